// Parameter binding without a server (core/params.hpp): what packed_params hands libpq, and the
// NUL check every text parameter passes (types/string.hpp), at every length and position that
// its word-at-a-time and memchr paths split on.
#include <pgorm/core/params.hpp>
#include <pgorm/types/basic.hpp>
#include <pgorm/types/optional.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

using pgorm::oid_t;
using pgorm::packed_params;
using pgorm::param_refs;

TEST_CASE("params: check_no_nul refuses a NUL at any position of any length, and nothing else", "[unit][params]") {
    using pgorm::detail::check_no_nul;
    // Lengths across the 1-3, 4-7, 8-16 (overlapping word loads) and memchr paths; around the
    // NUL, bytes whose word-at-a-time test sits at its edges (0x01, 0x80, 0xff).
    for (std::size_t n = 0; n <= 40; ++n) {
        for (char fill : {'a', '\x01', '\x80', '\xff'}) {
            std::string text(n, fill);
            CHECK_NOTHROW(check_no_nul(text));
            for (std::size_t at = 0; at < n; ++at) {
                std::string bad = text;
                bad[at] = '\0';
                INFO("length " << n << ", NUL at " << at << ", fill " << int(static_cast<unsigned char>(fill)));
                CHECK_THROWS_MATCHES(check_no_nul(bad, "JSON text"), pgorm::value_out_of_range,
                                     Catch::Message("pgorm: JSON text value has a NUL byte at offset " +
                                                    std::to_string(at) + " (of " + std::to_string(n) +
                                                    " bytes); PostgreSQL text cannot store NUL, send binary "
                                                    "data as bytea (std::vector<std::byte>)"));
            }
        }
    }
    CHECK_NOTHROW(check_no_nul(std::string_view()));  // empty, with a null pointer
}

TEST_CASE("params: packed_params points at constant type and format arrays, borrows text, encodes the rest",
          "[unit][params]") {
    std::string scratch;
    const std::string text = "borrowed";
    const std::optional<std::string> no_text;
    const std::optional<std::int32_t> no_int, some_int = 7;
    packed_params<6> a(scratch, std::int32_t{258}, text, no_text, no_int, some_int, "lit");
    const param_refs r = a.refs();
    REQUIRE(r.count == 6);
    CHECK(r.static_types);
    CHECK_FALSE(r.static_text);  // only the caller knows where its SQL lives
    const oid_t want_types[6] = {pgorm::oid::int4, pgorm::oid::text, pgorm::oid::text,
                                 pgorm::oid::int4, pgorm::oid::int4, pgorm::oid::text};
    for (int k = 0; k < 6; ++k) {
        CHECK(r.types[k] == want_types[k]);
        CHECK(r.formats[k] == 1);
    }
    // int4 258, big-endian, in the scratch buffer
    REQUIRE(r.lengths[0] == 4);
    CHECK(std::memcmp(r.values[0], "\x00\x00\x01\x02", 4) == 0);
    CHECK(r.values[0] >= scratch.data());
    CHECK(r.values[0] < scratch.data() + scratch.size());
    // text is sent from the caller's own bytes
    CHECK(r.values[1] == text.data());
    CHECK(r.lengths[1] == static_cast<int>(text.size()));
    // NULLs, borrowed or encoded
    CHECK(r.values[2] == nullptr);
    CHECK(r.values[3] == nullptr);
    REQUIRE(r.lengths[4] == 4);
    CHECK(std::memcmp(r.values[4], "\x00\x00\x00\x07", 4) == 0);
    // a string literal is a char array: encoded up to its NUL
    REQUIRE(r.lengths[5] == 3);
    CHECK(std::string_view(r.values[5], 3) == "lit");

    // The same argument types share one constant array; other types have their own.
    packed_params<6> b(scratch, std::int32_t{1}, text, no_text, no_int, some_int, "abc");
    CHECK(b.refs().types == r.types);
    CHECK(b.refs().formats == r.formats);
    packed_params<1> c(scratch, std::int64_t{1});
    CHECK(c.refs().types != r.types);
    CHECK(c.refs().types[0] == pgorm::oid::int8);
    CHECK(c.types()[0] == pgorm::oid::int8);
}

TEST_CASE("params: a text parameter with a NUL is refused before anything is sent", "[unit][params]") {
    std::string scratch;
    const std::string bad("a\0b", 3);
    CHECK_THROWS_AS(packed_params<1>(scratch, bad), pgorm::value_out_of_range);
    CHECK_THROWS_AS(packed_params<1>(scratch, std::optional<std::string>(bad)), pgorm::value_out_of_range);
    CHECK_THROWS_AS(packed_params<1>(scratch, std::string_view(bad)), pgorm::value_out_of_range);
    pgorm::param_list list;
    CHECK_THROWS_AS(list.add(bad), pgorm::value_out_of_range);
}
