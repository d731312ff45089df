// Replays every fuzz target (fuzz/targets/*.cpp, compiled here by g++ without libFuzzer) over its
// seed corpus (fuzz/corpus/<target>/) and the inputs that once crashed it (fuzz/regressions/
// <target>/), so a fixed fuzzer finding stays fixed in the normal build. Below that, one test per
// library bug the fuzzer found, stating the behaviour in plain terms (docs/fuzzing.md lists them).
#include "../../fuzz/fuzz_target.hpp"

#include <pgorm/types.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace std::string_literals;

namespace {

std::string read_all(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::filesystem::path> inputs_in(const std::filesystem::path& folder) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(folder))
        for (const auto& e : std::filesystem::directory_iterator(folder))
            if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("every fuzz target runs clean over its seed corpus and its past crashes", "[unit][fuzz]") {
    const std::filesystem::path fuzz_dir = std::filesystem::path(PGORM_SOURCE_DIR) / "fuzz";
    const auto& targets = pgorm_fuzz::registry();
    // One per fuzz/targets/*.cpp: a target left out of this build would silently replay nothing.
    CHECK(targets.size() == inputs_in(fuzz_dir / "targets").size());
    for (const auto& [name, body] : targets) {
        const auto seeds = inputs_in(fuzz_dir / "corpus" / name);
        INFO("target " << name);
        CHECK_FALSE(seeds.empty());  // every target has a committed seed corpus
        auto files = seeds;
        const auto regressions = inputs_in(fuzz_dir / "regressions" / name);
        files.insert(files.end(), regressions.begin(), regressions.end());
        for (const auto& file : files) {
            INFO("input " << file.string());
            const std::string bytes = read_all(file);
            CHECK_NOTHROW(body(bytes));  // an invariant failure aborts the whole run, naming the input above
        }
    }
}

namespace {
template <class T>
T decoded(const std::string& bytes, pgorm::oid_t column) {
    T v{};
    pgorm::codec<T>::decode(bytes, column, v);
    return v;
}
}  // namespace

TEST_CASE("an array or multirange whose count exceeds its bytes is refused before allocating", "[unit][fuzz]") {
    // ndim 1, no nulls, int4 elements, 2^31-1 elements claimed, lower bound 1, then nothing.
    const auto huge_array = "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x17\x7f\xff\xff\xff\x00\x00\x00\x01"s;
    CHECK_THROWS_AS(decoded<std::vector<std::int32_t>>(huge_array, pgorm::oid::int4_array), pgorm::decode_error);
    CHECK_THROWS_WITH(decoded<std::vector<std::int32_t>>(huge_array, pgorm::oid::int4_array),
                      Catch::Contains("claims 2147483647 elements"));
    const auto huge_multirange = "\x7f\xff\xff\xff"s;
    CHECK_THROWS_AS(decoded<pgorm::multirange<std::int32_t>>(huge_multirange, pgorm::oid::int4multirange),
                    pgorm::decode_error);
    // A count that the bytes can hold still decodes.
    const auto two = "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x01"
                     "\x00\x00\x00\x04\x00\x00\x00\x05\x00\x00\x00\x04\xff\xff\xff\xff"s;
    CHECK(decoded<std::vector<std::int32_t>>(two, pgorm::oid::int4_array) == std::vector<std::int32_t>{5, -1});
}

TEST_CASE("a negative numeric whose visible digits are all zero reads as 0, not -0", "[unit][fuzz]") {
    // ndigits 2, weight -2051, sign negative, dscale 0: every digit lies below the scale.
    const auto hidden = "\x00\x02\xf7\xfd\x40\x00\x00\x00\x00\x0c\x0d\x48"s;
    CHECK(decoded<pgorm::numeric>(hidden, pgorm::oid::numeric).str() == "0");
    // dscale 2 keeps two zero places; still no sign.
    const auto hidden_scaled = "\x00\x01\xff\xfd\x40\x00\x00\x02\x00\x07"s;
    CHECK(decoded<pgorm::numeric>(hidden_scaled, pgorm::oid::numeric).str() == "0.00");
    // A visible non-zero digit keeps its sign.
    const auto small = "\x00\x01\xff\xff\x40\x00\x00\x04\x00\x07"s;
    CHECK(decoded<pgorm::numeric>(small, pgorm::oid::numeric).str() == "-0.0007");
}

TEST_CASE("a jsonb number beyond double's range is refused when written back, not sent as non-JSON", "[unit][fuzz]") {
    // jsonb keeps 1e400 (as numeric); Boost.JSON reads it as an infinity.
    const auto doc = decoded<pgorm::jsonb<boost::json::value>>("\x01{\"n\": 1e400}"s, pgorm::oid::jsonb);
    REQUIRE(std::isinf(doc->at("n").as_double()));
    std::string out;
    CHECK_THROWS_AS(pgorm::codec<pgorm::jsonb<boost::json::value>>::encode(doc, out), pgorm::value_out_of_range);
    // The text form keeps the number as the server wrote it.
    CHECK(decoded<pgorm::jsonb<>>("\x01{\"n\": 1e400}"s, pgorm::oid::jsonb).text == "{\"n\": 1e400}");
}
