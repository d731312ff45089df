// pgorm-gen's mapping of the types added in issue 19 (item 4): inet, cidr, macaddr, macaddr8,
// money, bit, varbit, xml, tsvector, point, the six built-in ranges and multiranges, and arrays of
// each. The header is generated from tests/codegen/types.sql; the member types are checked at
// compile time and every column round-trips through the server, as a value and as NULL.

#include "support.hpp"

#ifdef PGORM_HAVE_GENERATED
#include "kinds.hpp"
#include "codegen/run_gen.hpp"
#endif

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#ifdef PGORM_HAVE_GENERATED

namespace {

using namespace std::chrono;

template <class Member, class Expected>
inline constexpr bool is = std::is_same_v<Member, std::optional<Expected>>;

// The spelling of each mapped column (nullable, so wrapped in std::optional).
static_assert(is<decltype(kinds::Kind::host), pgorm::inet>);
static_assert(is<decltype(kinds::Kind::net), pgorm::cidr>);
static_assert(is<decltype(kinds::Kind::mac), pgorm::macaddr>);
static_assert(is<decltype(kinds::Kind::mac8), pgorm::macaddr8>);
static_assert(is<decltype(kinds::Kind::price), pgorm::money>);
static_assert(is<decltype(kinds::Kind::flags), pgorm::bit_string>);
static_assert(is<decltype(kinds::Kind::vflags), pgorm::bit_string>);
static_assert(is<decltype(kinds::Kind::doc), pgorm::xml>);
static_assert(is<decltype(kinds::Kind::words), pgorm::tsvector>);
static_assert(is<decltype(kinds::Kind::spot), pgorm::point2d>);
static_assert(is<decltype(kinds::Kind::r4), pgorm::range<std::int32_t>>);
static_assert(is<decltype(kinds::Kind::r8), pgorm::range<std::int64_t>>);
static_assert(is<decltype(kinds::Kind::rnum), pgorm::range<pgorm::numeric>>);
static_assert(is<decltype(kinds::Kind::rts), pgorm::range<pgorm::timestamp>>);
static_assert(is<decltype(kinds::Kind::rtstz), pgorm::range<pgorm::timestamptz>>);
static_assert(is<decltype(kinds::Kind::rdate), pgorm::range<sys_days>>);
static_assert(is<decltype(kinds::Kind::m4), pgorm::multirange<std::int32_t>>);
static_assert(is<decltype(kinds::Kind::m8), pgorm::multirange<std::int64_t>>);
static_assert(is<decltype(kinds::Kind::mnum), pgorm::multirange<pgorm::numeric>>);
static_assert(is<decltype(kinds::Kind::mts), pgorm::multirange<pgorm::timestamp>>);
static_assert(is<decltype(kinds::Kind::mtstz), pgorm::multirange<pgorm::timestamptz>>);
static_assert(is<decltype(kinds::Kind::mdate), pgorm::multirange<sys_days>>);
static_assert(is<decltype(kinds::Kind::hosts), std::vector<pgorm::inet>>);
static_assert(is<decltype(kinds::Kind::vflagss), std::vector<pgorm::bit_string>>);
static_assert(is<decltype(kinds::Kind::spots), std::vector<pgorm::point2d>>);
static_assert(is<decltype(kinds::Kind::rdates), std::vector<pgorm::range<sys_days>>>);
static_assert(is<decltype(kinds::Kind::mdates), std::vector<pgorm::multirange<sys_days>>>);

template <class T>
pgorm::range<T> closed_open(T lo, T hi) {
    pgorm::range<T> r;
    r.lower = lo;
    r.upper = hi;
    return r;
}

template <class T>
pgorm::multirange<T> two(pgorm::range<T> a, pgorm::range<T> b) {
    return pgorm::multirange<T>{{a, b}};
}

/// One row with a value in every column; edge values where the type has them.
kinds::PutKindsParams full_row() {
    kinds::PutKindsParams p;
    p.id = 1;
    p.host = pgorm::inet::parse("192.168.1.5/24");
    p.net = pgorm::cidr::parse("2001:db8::/32");
    p.mac = pgorm::macaddr::parse("08:00:2b:01:02:03");
    p.mac8 = pgorm::macaddr8::parse("08:00:2b:01:02:03:04:05");
    p.price = pgorm::money{-92233720368547758};
    p.flags = pgorm::bit_string{"1010"};
    p.vflags = pgorm::bit_string{""};
    p.doc = pgorm::xml{"<a x=\"1\">t</a>"};
    p.words = pgorm::tsvector{"'cat':1 'fat':2"};
    p.spot = pgorm::point2d{-1.5, 2.25};
    p.r4 = closed_open<std::int32_t>(1, 10);
    p.r8 = pgorm::range<std::int64_t>{};  // (,) unbounded both sides
    p.r8->lower_inclusive = false;
    p.rnum = closed_open(pgorm::numeric("1.5"), pgorm::numeric("2.25"));
    p.rts = closed_open(pgorm::timestamp(local_days(2024y / 2 / 29).time_since_epoch()),
                        pgorm::timestamp(local_days(2024y / 3 / 1).time_since_epoch()));
    p.rtstz = closed_open(pgorm::timestamptz(sys_days(2000y / 1 / 1)), pgorm::timestamptz(sys_days(2000y / 1 / 2)));
    p.rdate = pgorm::range<sys_days>::empty();
    p.m4 = two(closed_open<std::int32_t>(1, 3), closed_open<std::int32_t>(5, 7));
    p.m8 = pgorm::multirange<std::int64_t>{};
    p.mnum = pgorm::multirange<pgorm::numeric>{{closed_open(pgorm::numeric("0"), pgorm::numeric("1"))}};
    p.mts = pgorm::multirange<pgorm::timestamp>{{*p.rts}};
    p.mtstz = pgorm::multirange<pgorm::timestamptz>{{*p.rtstz}};
    p.mdate = two(closed_open(sys_days(2020y / 1 / 1), sys_days(2020y / 2 / 1)),
                  closed_open(sys_days(2021y / 1 / 1), sys_days(2021y / 2 / 1)));
    p.hosts = std::vector{pgorm::inet::parse("10.0.0.1"), pgorm::inet::parse("::1")};
    p.nets = std::vector{pgorm::cidr::parse("10.0.0.0/8")};
    p.macs = std::vector<pgorm::macaddr>{};
    p.mac8s = std::vector{*p.mac8, *p.mac8};
    p.prices = std::vector{pgorm::money{0}, pgorm::money{123}};
    p.flagss = std::vector{pgorm::bit_string{"0000"}, pgorm::bit_string{"1111"}};
    p.vflagss = std::vector{pgorm::bit_string{"1"}, pgorm::bit_string{"010101010101010101"}};
    p.docs = std::vector{pgorm::xml{"<b/>"}};
    p.wordss = std::vector{pgorm::tsvector{"'a'"}, pgorm::tsvector{""}};
    p.spots = std::vector{pgorm::point2d{0, 0}, pgorm::point2d{1e300, -1e-300}};
    p.r4s = std::vector{*p.r4, pgorm::range<std::int32_t>::empty()};
    p.r8s = std::vector{closed_open<std::int64_t>(-9223372036854775807 - 1, 0)};
    p.rnums = std::vector{*p.rnum};
    p.rtss = std::vector{*p.rts};
    p.rtstzs = std::vector{*p.rtstz};
    p.rdates = std::vector{closed_open(sys_days(1999y / 12 / 31), sys_days(2000y / 1 / 1))};
    p.m4s = std::vector{*p.m4, pgorm::multirange<std::int32_t>{}};
    p.m8s = std::vector{pgorm::multirange<std::int64_t>{{closed_open<std::int64_t>(1, 2)}}};
    p.mnums = std::vector{*p.mnum};
    p.mtss = std::vector{*p.mts};
    p.mtstzs = std::vector{*p.mtstz};
    p.mdates = std::vector{*p.mdate};
    return p;
}

template <class T>
void check_same(const std::optional<T>& got, const std::optional<T>& sent, const char* what) {
    INFO(what);
    REQUIRE(got.has_value() == sent.has_value());
    if (sent) CHECK(*got == *sent);
}

}  // namespace

TEST_CASE("codegen types: every new type round-trips through generated code, and NULL", "[codegen][types]") {
    pgorm_test::empty_db db;
    auto c = db.connect();
    c.execute_script(pgorm_gen_test::slurp(PGORM_SOURCE_DIR "/tests/codegen/types_schema.sql"));

    auto sent = full_row();
    kinds::put_kinds(c, sent);
    kinds::PutKindsParams nulls;
    nulls.id = 2;
    kinds::put_kinds(c, nulls);

    auto got = kinds::get_kinds(c, 1);
    REQUIRE(got);
    CHECK(got->id == 1);
#define SAME(m) check_same(got->m, sent.m, #m)
    SAME(host); SAME(net); SAME(mac); SAME(mac8); SAME(price); SAME(flags); SAME(vflags); SAME(doc);
    SAME(words); SAME(spot); SAME(r4); SAME(r8); SAME(rnum); SAME(rts); SAME(rtstz); SAME(rdate);
    SAME(m4); SAME(m8); SAME(mnum); SAME(mts); SAME(mtstz); SAME(mdate); SAME(hosts); SAME(nets);
    SAME(macs); SAME(mac8s); SAME(prices); SAME(flagss); SAME(vflagss); SAME(docs); SAME(wordss);
    SAME(spots); SAME(r4s); SAME(r8s); SAME(rnums); SAME(rtss); SAME(rtstzs); SAME(rdates); SAME(m4s);
    SAME(m8s); SAME(mnums); SAME(mtss); SAME(mtstzs); SAME(mdates);
#undef SAME
    // The server's own view of what was stored, so a codec that is wrong both ways is caught too.
    CHECK(c.query_value<std::string>("SELECT host::text || ' ' || net::text || ' ' || price::numeric::text "
                                     "|| ' ' || m4::text || ' ' || r8::text FROM kinds WHERE id = 1") ==
          "192.168.1.5/24 2001:db8::/32 -922337203685477.58 {[1,3),[5,7)} (,)");

    auto empty = kinds::get_kinds(c, 2);
    REQUIRE(empty);
    CHECK_FALSE(empty->host);
    CHECK_FALSE(empty->price);
    CHECK_FALSE(empty->r4);
    CHECK_FALSE(empty->mdate);
    CHECK_FALSE(empty->hosts);
    CHECK_FALSE(empty->mdates);

    // Parameters of the new types (not only stored columns): network containment, range overlap.
    CHECK(kinds::hosts_in(c, pgorm::inet::parse("192.168.0.0/16")) == std::vector<std::int32_t>{1});
    CHECK(kinds::hosts_in(c, pgorm::inet::parse("10.0.0.0/8")).empty());
    auto over = kinds::overlapping(c, closed_open<std::int32_t>(9, 20));
    REQUIRE(over.size() == 1);
    CHECK(over[0].r4 == closed_open<std::int32_t>(1, 10));
    CHECK(kinds::overlapping(c, closed_open<std::int32_t>(10, 20)).empty());
}

#else
TEST_CASE("codegen types (skipped: built without pgorm-gen)", "[codegen][types]") { SUCCEED(); }
#endif
