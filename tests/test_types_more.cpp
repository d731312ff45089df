// More PostgreSQL types (issue 19, item 4): inet / cidr, macaddr / macaddr8, ranges and
// multiranges, composites, money, bit / varbit, oid, xml, tsvector, point. Each round-trips
// through the real server, as a parameter echoed back and through a table column, with NULL and
// edge values, and is refused with a clear error where the column's type does not match.
#include "support.hpp"

#include <cmath>
#include <limits>

using namespace pgorm;
using namespace std::chrono;
using namespace std::chrono_literals;
using pgorm_test::empty_db;

namespace {

/// Round trips through one connection: echo a parameter, or store it in a fresh table column.
struct round_trip {
    connection c;
    int tables = 0;

    explicit round_trip(connection conn) : c(std::move(conn)) { c.execute_script("SET TimeZone = 'UTC'"); }

    /// `cast` is the SQL type for the echo ("" for none); a literal from the test, never data.
    template <class T>
    T echo(const T& v, std::string_view cast = "") {
        std::string sql = "SELECT $1";
        if (!cast.empty()) sql += "::" + std::string(cast);
        return c.query_value<T>(sql, v);
    }
    template <class T>
    T stored(std::string_view sql_type, const T& v) {
        std::string t = "rt_" + std::to_string(++tables);
        c.execute_script("CREATE TABLE " + t + " (v " + std::string(sql_type) + ")");
        c.execute("INSERT INTO " + t + " (v) VALUES ($1)", v);
        return c.query_value<T>("SELECT v FROM " + t);
    }
    /// The server's own text for a value sent as a parameter of `sql_type`.
    template <class T>
    std::string text(const T& v, std::string_view sql_type) {
        return c.query_value<std::string>("SELECT ($1::" + std::string(sql_type) + ")::text", v);
    }
    /// Echo, column, optional column, NULL column: all give `v` back.
    template <class T>
    void both(std::string_view sql_type, const T& v) {
        CHECK(echo(v, sql_type) == v);
        CHECK(stored(sql_type, v) == v);
        CHECK(stored(sql_type, std::optional<T>(v)) == std::optional<T>(v));
        CHECK_FALSE(stored(sql_type, std::optional<T>()).has_value());
    }
};

round_trip connect_rt(const empty_db& db) { return round_trip(db.connect()); }

template <class T>
range<T> closed_open(T lo, T hi) {
    return range<T>{lo, hi, true, false, false};
}

enum class mood { sad, ok, happy };
BOOST_DESCRIBE_ENUM(mood, sad, ok, happy)

struct address {
    std::string city;
    std::optional<std::string> zip;
    friend bool operator==(const address&, const address&) = default;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, zip))

struct person {
    std::string name;
    address home;
    std::vector<std::string> tags;
    mood feeling = mood::ok;
    std::optional<sys_days> born;
    double score = 0;
    std::vector<std::optional<std::int32_t>> lucky;
    timestamptz seen;
    friend bool operator==(const person&, const person&) = default;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, home, tags, feeling, born, score, lucky, seen))

struct pair_row {
    std::int32_t n = 0;
    std::string s;
    friend bool operator==(const pair_row&, const pair_row&) = default;
};
BOOST_DESCRIBE_STRUCT(pair_row, (), (n, s))

/// A row of columns (not a composite itself) with a composite column.
struct home_row {
    std::int32_t id = 0;
    std::optional<address> home;
};
BOOST_DESCRIBE_STRUCT(home_row, (), (id, home))

struct not_opted_in {
    std::string city;
};
BOOST_DESCRIBE_STRUCT(not_opted_in, (), (city))

}  // namespace

template <> inline constexpr bool pgorm::enable_composite<address> = true;
template <> inline constexpr bool pgorm::enable_composite<person> = true;
template <> inline constexpr bool pgorm::enable_composite<pair_row> = true;

static_assert(!has_codec<not_opted_in>, "a described struct is a composite only when it opts in");

TEST_CASE("inet and cidr: IPv4, IPv6 with prefixes, text forms, host bits", "[types][network]") {
    empty_db db;
    auto r = connect_rt(db);
    for (const char* t : {"192.168.1.5/24", "192.168.1.5", "0.0.0.0/0", "255.255.255.255", "2001:db8::1/64", "::1",
                          "::", "::ffff:1.2.3.4", "fe80::1:2:3:4/10"}) {
        INFO(t);
        const inet v = inet::parse(t);
        r.both("inet", v);
        // inet_out's spelling (a cast to text always adds the prefix, abbrev() is inet_out's form).
        CHECK(r.c.query_value<std::string>("SELECT abbrev($1::inet)", v) == t);
        CHECK(v.to_string() == t);
        CHECK(r.c.query_value<inet>(std::string("SELECT '") + t + "'::inet") == v);
    }
    const inet v6 = inet::parse("2001:db8::1/64");
    CHECK(v6.family == inet::family_t::ipv6);
    CHECK(v6.bits == 64);
    CHECK(v6.address[0] == 0x20);
    CHECK(v6.address[15] == 1);

    for (const char* t : {"10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32", "1.2.3.4/32", "::/0"}) {
        INFO(t);
        const cidr c = cidr::parse(t);
        r.both("cidr", c);
        CHECK(r.text(c, "cidr") == t);
        CHECK(c.to_string() == t);
    }
    // A cidr column reads into inet (every network is an address); not the other way round.
    CHECK(r.c.query_value<inet>("SELECT '10.1.0.0/16'::cidr") == inet::parse("10.1.0.0/16"));
    CHECK_THROWS_AS(r.c.query_value<cidr>("SELECT '10.1.0.0/16'::inet"), type_mismatch);
    CHECK(r.stored("inet[]", std::vector<inet>{inet::parse("::1"), inet::parse("1.2.3.4/8")}) ==
          std::vector<inet>{inet::parse("::1"), inet::parse("1.2.3.4/8")});
    // A cidr[] column reads into inets too, as a single cidr column does.
    CHECK(r.c.query_value<std::vector<inet>>("SELECT ARRAY['10.0.0.0/8'::cidr]") ==
          std::vector<inet>{inet::parse("10.0.0.0/8")});
    CHECK(r.stored("cidr[]", std::vector<std::optional<cidr>>{cidr::parse("10.0.0.0/8"), std::nullopt}) ==
          std::vector<std::optional<cidr>>{cidr::parse("10.0.0.0/8"), std::nullopt});

    SECTION("bad text, bad bits and host bits in a cidr are refused before sending") {
        CHECK_THROWS_AS(inet::parse("300.1.1.1"), usage_error);
        CHECK_THROWS_AS(inet::parse("1.2.3.4/33"), usage_error);
        CHECK_THROWS_AS(inet::parse("::1/129"), usage_error);
        CHECK_THROWS_AS(inet::parse("1.2.3.4/"), usage_error);
        CHECK_THROWS_WITH(inet::parse("not an address"), Catch::Contains("not an address") && Catch::Contains("inet"));
        CHECK_THROWS_AS(cidr::parse("10.0.0.1/8"), usage_error);
        cidr host;
        host.bits = 8;
        host.address = {10, 0, 0, 1};
        CHECK_THROWS_AS(r.echo(host), value_out_of_range);
        inet wide;
        wide.bits = 40;
        CHECK_THROWS_AS(r.echo(wide), value_out_of_range);
    }
    SECTION("an inet column is not text, and text is not an inet") {
        CHECK_THROWS_WITH(r.c.query_value<inet>("SELECT 'x'::text"), Catch::Contains("inet") && Catch::Contains("text"));
        CHECK_THROWS_AS(r.c.query_value<std::string>("SELECT '::1'::inet"), type_mismatch);
    }
}

TEST_CASE("macaddr and macaddr8", "[types][network]") {
    empty_db db;
    auto r = connect_rt(db);
    for (const char* t : {"08:00:2b:01:02:03", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"}) {
        const macaddr m = macaddr::parse(t);
        r.both("macaddr", m);
        CHECK(r.text(m, "macaddr") == t);
    }
    CHECK(macaddr::parse("08-00-2B-01-02-03") == macaddr::parse("08:00:2b:01:02:03"));
    const macaddr8 m8 = macaddr8::parse("08:00:2b:01:02:03:04:05");
    r.both("macaddr8", m8);
    CHECK(r.text(m8, "macaddr8") == "08:00:2b:01:02:03:04:05");
    // The server widens a 6-byte address into EUI-64 with ff:fe in the middle.
    CHECK(r.c.query_value<macaddr8>("SELECT '08:00:2b:01:02:03'::macaddr8") ==
          macaddr8::parse("08:00:2b:ff:fe:01:02:03"));
    CHECK(r.stored("macaddr[]", std::vector<macaddr>{macaddr::parse("01:02:03:04:05:06")}) ==
          std::vector<macaddr>{macaddr::parse("01:02:03:04:05:06")});
    CHECK_THROWS_AS(macaddr::parse("08:00:2b:01:02"), usage_error);
    CHECK_THROWS_AS(macaddr::parse("08:00:2b:01:02:0g"), usage_error);
    CHECK_THROWS_AS(macaddr8::parse("08:00:2b:01:02:03"), usage_error);
    CHECK_THROWS_AS(r.c.query_value<macaddr>("SELECT '08:00:2b:01:02:03:04:05'::macaddr8"), type_mismatch);
    CHECK_THROWS_AS(r.c.query_value<macaddr8>("SELECT '08:00:2b:01:02:03'::macaddr"), type_mismatch);
}

TEST_CASE("ranges: bounds, empty, unbounded, infinite values, every built-in range type", "[types][range]") {
    empty_db db;
    auto r = connect_rt(db);

    r.both("int4range", closed_open<std::int32_t>(1, 6));
    r.both("int4range", range<std::int32_t>::empty());
    r.both("int4range", range<std::int32_t>{});  // (,) : unbounded both sides
    r.both("int4range", range<std::int32_t>{std::nullopt, 10, false, false, false});
    r.both("int4range", range<std::int32_t>{std::numeric_limits<std::int32_t>::min(), std::nullopt, true, false, false});
    CHECK(r.text(range<std::int32_t>::empty(), "int4range") == "empty");
    CHECK(r.text(range<std::int32_t>{}, "int4range") == "(,)");
    CHECK(r.text(closed_open<std::int32_t>(1, 6), "int4range") == "[1,6)");

    // Discrete ranges come back canonical: [1,5] is [1,6), (,5] is (,6).
    CHECK(r.echo(range<std::int32_t>{1, 5, true, true, false}, "int4range") == closed_open<std::int32_t>(1, 6));
    CHECK(r.echo(range<std::int32_t>{std::nullopt, 5, true, true, false}, "int4range") ==
          range<std::int32_t>{std::nullopt, 6, false, false, false});
    // An empty interval written with bounds is the empty range.
    CHECK(r.echo(closed_open<std::int32_t>(3, 3), "int4range").is_empty);
    // The unbounded side's inclusive flag does not matter.
    CHECK(range<std::int32_t>{std::nullopt, 6, true, false, false} == range<std::int32_t>{std::nullopt, 6, false, false, false});

    r.both("int8range", closed_open<std::int64_t>(std::numeric_limits<std::int64_t>::min(), 0));
    r.both("numrange", range<numeric>{numeric("1.5"), numeric("2.25"), false, true, false});
    r.both("numrange", range<numeric>{numeric("-0.001"), std::nullopt, true, false, false});
    CHECK(r.text(range<numeric>{numeric("1.5"), numeric("2.25"), false, true, false}, "numrange") == "(1.5,2.25]");

    const auto day = sys_days(2024y / March / 1);
    r.both("daterange", closed_open(day, day + days(31)));
    r.both("daterange", range<year_month_day>{2024y / 1 / 1, 2025y / 1 / 1, true, false, false});
    r.both("tsrange", closed_open(timestamp(local_days(2024y / 1 / 1)), timestamp(local_days(2024y / 1 / 2) + 1us)));

    SECTION("an infinite value is a bound; a missing bound is unbounded") {
        const range<timestamptz> to_infinity{timestamptz(day), timestamptz::max(), true, false, false};
        r.both("tstzrange", to_infinity);
        CHECK(r.text(to_infinity, "tstzrange") == "[\"2024-03-01 00:00:00+00\",infinity)");
        const range<timestamptz> unbounded{timestamptz(day), std::nullopt, true, false, false};
        r.both("tstzrange", unbounded);
        CHECK(r.text(unbounded, "tstzrange") == "[\"2024-03-01 00:00:00+00\",)");
        CHECK_FALSE(r.echo(to_infinity, "tstzrange") == unbounded);
        CHECK(r.c.query_value<bool>("SELECT upper_inf($1::tstzrange)", unbounded));
        CHECK_FALSE(r.c.query_value<bool>("SELECT upper_inf($1::tstzrange)", to_infinity));
        r.both("daterange", range<sys_days>{sys_days::min(), sys_days::max(), true, false, false});
    }
    SECTION("a user range type over an element without a built-in range") {
        r.c.execute_script("CREATE TYPE floatrange AS RANGE (subtype = float8)");
        static_assert(codec<range<double>>::type_oid == oid::unspecified);
        const range<double> v{-1.5, std::numeric_limits<double>::infinity(), false, true, false};
        CHECK(r.echo(v, "floatrange") == v);
        CHECK(r.stored("floatrange", v) == v);
        CHECK(r.text(v, "floatrange") == "(-1.5,Infinity]");
        CHECK(r.echo(range<double>::empty(), "floatrange").is_empty);
        CHECK_THROWS_AS(r.c.query_value<range<double>>("SELECT '[1,2)'::numrange"), type_mismatch);
    }
    SECTION("arrays of ranges") {
        std::vector<std::optional<range<std::int32_t>>> v{closed_open(1, 3), std::nullopt, range<std::int32_t>::empty()};
        CHECK(r.stored("int4range[]", v) == v);
        CHECK(r.echo(v) == v);
    }
    SECTION("errors: a lower bound above the upper, a range of another element type") {
        CHECK_THROWS_AS(r.echo(closed_open<std::int32_t>(5, 1), "int4range"), data_exception);
        CHECK_THROWS_WITH(r.c.query_value<range<std::int64_t>>("SELECT '[1,2)'::int4range"),
                          Catch::Contains("int4range") && Catch::Contains("int8range"));
        CHECK_THROWS_AS(r.c.query_value<range<std::int32_t>>("SELECT 1"), type_mismatch);
        CHECK_THROWS_AS(r.c.query_value<range<std::int32_t>>("SELECT '{[1,2)}'::int4multirange"), type_mismatch);
    }
}

TEST_CASE("multiranges: empty, merged, unbounded, every built-in multirange type", "[types][range]") {
    empty_db db;
    auto r = connect_rt(db);
    using mr4 = multirange<std::int32_t>;
    r.both("int4multirange", mr4{});
    r.both("int4multirange", mr4{{closed_open(1, 3), closed_open(5, 7)}});
    r.both("int4multirange", mr4{{range<std::int32_t>{std::nullopt, 0, false, false, false}, closed_open(10, 20)}});
    CHECK(r.text(mr4{}, "int4multirange") == "{}");
    CHECK(r.text(mr4{{closed_open(1, 3), closed_open(5, 7)}}, "int4multirange") == "{[1,3),[5,7)}");
    // The server sorts, merges and drops empty ranges.
    CHECK(r.echo(mr4{{closed_open(5, 7), range<std::int32_t>::empty(), closed_open(1, 3), closed_open(2, 5)}},
                 "int4multirange") == mr4{{closed_open(1, 7)}});

    r.both("int8multirange", multirange<std::int64_t>{{closed_open<std::int64_t>(-1, 1)}});
    r.both("nummultirange", multirange<numeric>{{range<numeric>{numeric("0.5"), numeric("1"), true, true, false}}});
    const auto day = sys_days(2024y / May / 1);
    r.both("datemultirange", multirange<sys_days>{{closed_open(day, day + days(1)), closed_open(day + days(3), day + days(4))}});
    r.both("tsmultirange", multirange<timestamp>{{range<timestamp>{timestamp(local_days(2024y / 1 / 1)), std::nullopt, true, false, false}}});
    r.both("tstzmultirange", multirange<timestamptz>{{range<timestamptz>{std::nullopt, timestamptz::max(), false, false, false}}});
    std::vector<mr4> arr{mr4{}, mr4{{closed_open(1, 2)}}};
    CHECK(r.stored("int4multirange[]", arr) == arr);
    CHECK_THROWS_AS(r.c.query_value<mr4>("SELECT '[1,2)'::int4range"), type_mismatch);
    CHECK_THROWS_AS(r.c.query_value<multirange<std::int64_t>>("SELECT '{}'::int4multirange"), type_mismatch);
}

TEST_CASE("composites: described structs, nested, NULL attributes, arrays, both directions", "[types][composite]") {
    empty_db db;
    auto r = connect_rt(db);
    r.c.execute_script("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    r.c.execute_script("CREATE TYPE address AS (city text, zip text)");
    r.c.execute_script("CREATE TYPE person AS (name text, home address, tags text[], feeling mood, born date, "
             "score double precision, lucky integer[], seen timestamptz)");

    const address oslo{"Oslo", "0150"};
    const address odd{"a \"quoted\", (odd) \\ city", std::nullopt};  // needs every escape in the literal
    CHECK(r.echo(oslo, "address") == oslo);
    CHECK(r.echo(odd, "address") == odd);
    r.both("address", oslo);
    r.both("address", odd);
    r.both("address", address{"", ""});  // an empty string is not NULL
    CHECK(r.text(odd, "address") == R"(("a ""quoted"", (odd) \\ city",))");
    CHECK(r.c.query_value<address>("SELECT ROW('Bergen', NULL)::address") == address{"Bergen", std::nullopt});

    const person p{"Ada", oslo, {"x", "", "{braces}"}, mood::happy, sys_days(1815y / December / 10), 0.1,
                   {7, std::nullopt, -1}, timestamptz(sys_days(2024y / 1 / 2)) + 3h + 4us};
    r.both("person", p);
    person q = p;
    q.home = odd;
    q.tags.clear();
    q.born = std::nullopt;
    q.score = -std::numeric_limits<double>::infinity();
    q.lucky.clear();
    q.seen = timestamptz::max();
    r.both("person", q);
    CHECK(r.c.query_value<std::string>("SELECT ($1::person).home.city", p) == "Oslo");
    CHECK(r.c.query_value<address>("SELECT ($1::person).home", q) == odd);

    SECTION("arrays of composites, with NULL elements") {
        std::vector<std::optional<address>> v{oslo, std::nullopt, odd};
        CHECK(r.stored("address[]", v) == v);
        CHECK(r.echo(v, "address[]") == v);
        CHECK(r.stored("person[]", std::vector<person>{p, q}) == std::vector<person>{p, q});
        CHECK(r.c.query_value<std::vector<address>>("SELECT ARRAY[ROW('A','1'), ROW('B',NULL)]::address[]") ==
              std::vector<address>{{"A", "1"}, {"B", std::nullopt}});
    }
    SECTION("binary COPY writes a composite whose members have built-in types") {
        static_assert(codec<address>::binary_members && !codec<person>::binary_members);
        r.c.execute_script("CREATE TABLE homes (id integer, home address)");
        copy_writer w(r.c, "homes", {"id", "home"});
        w.write_row(1, oslo);
        w.write_row(2, odd);
        w.write_row(3, std::optional<address>());
        w.finish();
        CHECK(r.c.query_value<address>("SELECT home FROM homes WHERE id = 2") == odd);
        CHECK(r.c.query_value<std::string>("SELECT (home).zip FROM homes WHERE id = 1") == "0150");
        CHECK_FALSE(r.c.query_value<std::optional<address>>("SELECT home FROM homes WHERE id = 3").has_value());
        // A row struct with a composite member reads columns, the member reads the record.
        const auto rows = r.c.query<home_row>("SELECT id, home FROM homes ORDER BY id");
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].home == oslo);
        CHECK(rows[1].home == odd);
        CHECK_FALSE(rows[2].home.has_value());
        CHECK(rows[2].id == 3);
        // record_recv wants each attribute's exact type: an integer member for a text attribute is refused.
        r.c.execute_script("CREATE TABLE pairs (p address)");
        CHECK_THROWS_WITH(
            [&] {
                copy_writer bad(r.c, "pairs", {"p"});
                bad.write_row(pair_row{1, "x"});
                bad.finish();
            }(),
            Catch::Contains("binary data has type 23 (integer) instead of expected 25 (text)"));
    }
    SECTION("an anonymous record reads into a struct of the same shape") {
        CHECK(r.c.query_value<pair_row>("SELECT ROW(7, 'seven')") == pair_row{7, "seven"});
    }
    SECTION("mismatches: attribute count, attribute type, NULL into a non-optional, a non-composite column") {
        CHECK_THROWS_WITH(r.c.query_value<address>("SELECT ROW(1, 'a', 'b')"),
                          Catch::Contains("3 attribute") && Catch::Contains("2 member"));
        CHECK_THROWS_WITH(r.c.query_value<pair_row>("SELECT ROW('x'::text, 'y'::text)"),
                          Catch::Contains("\"n\"") && Catch::Contains("text"));
        CHECK_THROWS_WITH(r.c.query_value<address>("SELECT ROW(NULL, 'z')::address"),
                          Catch::Contains("\"city\"") && Catch::Contains("NULL"));
        CHECK_THROWS_AS(r.c.query_value<address>("SELECT ROW(NULL, 'z')::address"), unexpected_null);
        CHECK_THROWS_AS(r.c.query_value<address>("SELECT 1"), type_mismatch);
        // Sending a struct to a row type whose attributes cannot take its values is the server's error.
        r.c.execute_script("CREATE TYPE pair_row AS (n integer, s text)");
        CHECK(r.c.query_value<pair_row>("SELECT $1::pair_row", pair_row{-3, "x"}) == pair_row{-3, "x"});
        CHECK_THROWS_AS(r.c.query_value<pair_row>("SELECT $1::pair_row", address{"Oslo", "x"}), data_exception);
        CHECK_THROWS_AS(r.c.query_value<pair_row>("SELECT $1::pair_row", p), data_exception);
    }
}

TEST_CASE("money: int64 units, locale-free in binary", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    r.c.execute_script("SET lc_monetary = 'C'");
    for (std::int64_t v : {std::int64_t{0}, std::int64_t{1234}, std::int64_t{-5}, std::numeric_limits<std::int64_t>::max(),
                           std::numeric_limits<std::int64_t>::min()})
        r.both("money", money{v});
    CHECK(r.c.query_value<money>("SELECT '12.34'::money") == money{1234});
    CHECK(r.text(money{-1234}, "money") == "-$12.34");
    CHECK(r.stored("money[]", std::vector<money>{{1}, {2}}) == std::vector<money>{{1}, {2}});
    CHECK_THROWS_AS(r.c.query_value<money>("SELECT 12::bigint"), type_mismatch);
    CHECK_THROWS_AS(r.c.query_value<std::int64_t>("SELECT '1'::money"), type_mismatch);
}

TEST_CASE("bit and bit varying: zero length, padding, long strings", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    for (const std::string& bits : {std::string(), std::string("1"), std::string("10101"), std::string("11111111"),
                                    std::string("100000001"), std::string(1000, '1') + "0"}) {
        INFO(bits);
        r.both("bit varying", bit_string{bits});
        CHECK(r.text(bit_string{bits}, "varbit") == bits);
    }
    r.both("bit(8)", bit_string{"01000001"});
    CHECK(r.c.query_value<bit_string>("SELECT B'1011'::bit(4)") == bit_string{"1011"});
    CHECK(r.c.query_value<bit_string>("SELECT B''") == bit_string{""});
    CHECK(r.stored("varbit[]", std::vector<bit_string>{{""}, {"1"}}) == std::vector<bit_string>{{""}, {"1"}});
    CHECK_THROWS_AS(r.echo(bit_string{"10201"}), usage_error);
    CHECK_THROWS_AS(r.stored("bit(4)", bit_string{"101"}), data_exception);  // length must match bit(n)
    CHECK_THROWS_AS(r.c.query_value<bit_string>("SELECT '101'::text"), type_mismatch);
}

TEST_CASE("oid as std::uint32_t", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    for (std::uint32_t v : {0u, 1259u, 2147483648u, std::numeric_limits<std::uint32_t>::max()}) r.both("oid", v);
    CHECK(r.c.query_value<std::uint32_t>("SELECT 'pg_class'::regclass::oid") == 1259u);
    CHECK(r.text(std::uint32_t{4294967295u}, "oid") == "4294967295");
    CHECK(r.stored("oid[]", std::vector<std::uint32_t>{1, 4294967295u}) == std::vector<std::uint32_t>{1, 4294967295u});
    CHECK_THROWS_AS(r.c.query_value<std::uint32_t>("SELECT 1"), type_mismatch);
}

TEST_CASE("xml and tsvector: their text", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    for (const char* t : {"<a>x</a>", "<doc lang=\"nb\">ærfugl &amp; ✓</doc>", "plain text content"}) {
        INFO(t);
        r.both("xml", xml{t});
    }
    CHECK(r.c.query_value<std::string>("SELECT xpath('/a/text()', $1)::text", xml{"<a>hi</a>"}) == "{hi}");
    CHECK_THROWS_AS(r.echo(xml{"<a>unclosed"}, "xml"), data_exception);
    CHECK(r.stored("xml[]", std::vector<xml>{{"<a/>"}, {"<b/>"}}) == std::vector<xml>{{"<a/>"}, {"<b/>"}});

    // Reading decodes the binary form into the server's own text, whatever was sent.
    for (const char* sql : {"SELECT ''::tsvector", "SELECT 'a fat cat'::tsvector", "SELECT 'a:1A,2 b:3C,4B c:5D'::tsvector",
                            "SELECT to_tsvector('english', 'The quick brown foxes jumped')",
                            "SELECT $$'it''s' 'back\\\\slash':7$$::tsvector"}) {
        INFO(sql);
        const auto v = r.c.query_value<tsvector>(sql);
        CHECK(v.text == r.c.query_value<std::string>(std::string(sql) + "::text"));
    }
    CHECK(r.c.query_value<tsvector>("SELECT 'a:1A,2 b:3C'::tsvector").text == "'a':1A,2 'b':3C");
    r.both("tsvector", tsvector{"'cat':3 'fat':2A,4"});
    r.both("tsvector", tsvector{""});
    CHECK(r.c.query_value<bool>("SELECT $1 @@ 'fat & cat'::tsquery", tsvector{"'cat':3 'fat':2"}));
    CHECK_THROWS_WITH(r.echo(tsvector{"'unterminated"}, "tsvector"), Catch::Contains("syntax error in tsvector"));
    // tsvector[] reads element by element (array.hpp maps tsvector[] to tsvector).
    CHECK(r.c.query_value<std::vector<tsvector>>("SELECT ARRAY['a:1'::tsvector, 'b c'::tsvector]") ==
          std::vector<tsvector>{tsvector{"'a':1"}, tsvector{"'b' 'c'"}});
    CHECK_THROWS_AS(r.c.query_value<std::vector<tsvector>>("SELECT ARRAY['a'::text]"), type_mismatch);
    CHECK_THROWS_AS(r.c.query_value<tsvector>("SELECT 'a'::text"), type_mismatch);
    CHECK_THROWS_AS(r.c.query_value<xml>("SELECT 'a'::text"), type_mismatch);
}

TEST_CASE("point as pgorm::point2d", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    for (point2d p : {point2d{0, 0}, point2d{1.5, -2.25}, point2d{std::numeric_limits<double>::max(), -0.0},
                      point2d{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::denorm_min()}})
        r.both("point", p);
    CHECK(r.text(point2d{1, 2}, "point") == "(1,2)");
    CHECK(r.c.query_value<point2d>("SELECT point(3, 4)") == point2d{3, 4});
    CHECK(std::isnan(r.echo(point2d{std::nan(""), 0}, "point").x));
    CHECK(r.stored("point[]", std::vector<point2d>{{1, 2}}) == std::vector<point2d>{{1, 2}});
    CHECK_THROWS_AS(r.c.query_value<point2d>("SELECT 1.0::float8"), type_mismatch);
}
