// Type codecs: every codec round-trips through the real server, as a parameter echoed back by
// `SELECT $1` and through a table column of the matching type, with NULL, empty, extreme and
// special values, plus the error paths (type mismatch, out of range, malformed input).
#include "support.hpp"

#include <boost/uuid/string_generator.hpp>

#include <cmath>
#include <limits>
#include <map>

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

    template <class T>
    T echo(const T& v) {
        return c.query_value<T>("SELECT $1", v);
    }
    /// `sql_type` is a literal from the test, never data.
    template <class T>
    T stored(std::string_view sql_type, const T& v) {
        std::string t = "rt_" + std::to_string(++tables);
        c.execute_script("CREATE TABLE " + t + " (v " + std::string(sql_type) + ")");
        c.execute("INSERT INTO " + t + " (v) VALUES ($1)", v);
        return c.query_value<T>("SELECT v FROM " + t);
    }
    /// The server's own text for a value sent as a parameter.
    template <class T>
    std::string text(const T& v) {
        return c.query_value<std::string>("SELECT $1::text", v);
    }
    template <class T>
    void both(std::string_view sql_type, const T& v) {
        CHECK(echo(v) == v);
        CHECK(stored(sql_type, v) == v);
        CHECK(stored(sql_type, std::optional<T>(v)) == std::optional<T>(v));
        CHECK_FALSE(stored(sql_type, std::optional<T>()).has_value());
    }
};

round_trip connect_rt(const empty_db& db) { return round_trip(db.connect()); }

enum class mood { sad, ok, happy };
BOOST_DESCRIBE_ENUM(mood, sad, ok, happy)

struct Address {
    std::string city;
    std::optional<std::string> zip;
    friend bool operator==(const Address&, const Address&) = default;
};
BOOST_DESCRIBE_STRUCT(Address, (), (city, zip))

struct Profile {
    std::string name;
    std::int64_t credits = 0;
    double ratio = 0;
    bool active = false;
    std::optional<std::string> nickname;
    Address address;
    std::vector<Address> past;
    timestamptz created;
    timestamp local;
    year_month_day birthday;
    std::optional<sys_days> closed;
    mood feeling = mood::ok;
    std::map<std::string, int> counts;
    numeric balance;
    boost::uuids::uuid id{};
    friend bool operator==(const Profile&, const Profile&) = default;
};
BOOST_DESCRIBE_STRUCT(Profile, (), (name, credits, ratio, active, nickname, address, past, created, local, birthday,
                                    closed, feeling, counts, balance, id))

struct Event {
    timestamptz when;
    std::optional<year_month_day> day;
};
BOOST_DESCRIBE_STRUCT(Event, (), (when, day))

/// A test-only type with no array OID and text that needs quoting inside an array literal.
struct label {
    std::string s;
};

boost::uuids::uuid make_uuid(const char* s) { return boost::uuids::string_generator()(s); }
timestamptz utc(sys_days d, microseconds t = 0us) { return timestamptz(d) + t; }

}  // namespace

template <>
struct pgorm::codec<label> {
    static constexpr oid_t type_oid = oid::unspecified;
    static constexpr oid_t array_oid = 0;
    static constexpr std::string_view sql_name = "label";
    static constexpr int format = 0;
    static bool accepts(oid_t o) noexcept { return o == oid::text; }
    static void encode(const label& v, std::string& out) { out += v.s; }
    static void encode_text(const label& v, std::string& out) { out += v.s; }
    static void decode(std::string_view in, oid_t, label& out) { out.s.assign(in); }
};

// ---- the example of docs/custom-types.md, verbatim ----
struct point {
    double x = 0, y = 0;
    friend bool operator==(const point&, const point&) = default;
};

template <>
struct pgorm::codec<point> {
    static constexpr pgorm::oid_t type_oid = 600;    // point, from pg_type
    static constexpr pgorm::oid_t array_oid = 1017;  // point[]
    static constexpr std::string_view sql_name = "point";
    static bool accepts(pgorm::oid_t column) noexcept { return column == type_oid; }

    static void encode(const point& p, std::string& out) {
        pgorm::codec<double>::encode(p.x, out);  // binary point = two float8, x then y
        pgorm::codec<double>::encode(p.y, out);
    }
    static void decode(std::string_view in, pgorm::oid_t, point& p) {
        pgorm::wire::expect_size(in, 16, sql_name);  // throws pgorm::decode_error
        pgorm::codec<double>::decode(in.substr(0, 8), pgorm::oid::float8, p.x);
        pgorm::codec<double>::decode(in.substr(8), pgorm::oid::float8, p.y);
    }
};
// ---- end of the example ----

TEST_CASE("scalars: bool, integers, floating point, text", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    r.both("boolean", true);
    r.both("boolean", false);
    for (std::int16_t v : {std::int16_t{0}, std::numeric_limits<std::int16_t>::min(), std::numeric_limits<std::int16_t>::max()})
        r.both("smallint", v);
    for (std::int32_t v : {0, -1, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()})
        r.both("integer", v);
    for (std::int64_t v : {std::int64_t{0}, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()})
        r.both("bigint", v);
    CHECK(r.text(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
    for (double v : {0.0, -0.0, 1.5, std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min(),
                     std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()})
        r.both("double precision", v);
    for (float v : {0.0f, 3.25f, std::numeric_limits<float>::max(), -std::numeric_limits<float>::infinity()})
        r.both("real", v);
    CHECK(std::isnan(r.echo(std::numeric_limits<double>::quiet_NaN())));
    CHECK(std::isnan(r.stored("real", std::numeric_limits<float>::quiet_NaN())));
    CHECK(r.text(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    CHECK(r.text(-std::numeric_limits<double>::infinity()) == "-Infinity");
    for (std::string v : {std::string(), std::string("hello"), std::string("ünïcødé ✓"), std::string(10000, 'x')})
        r.both("text", v);

    SECTION("a value that does not fit the C++ integer is an error, not a wrap") {
        CHECK_THROWS_AS(r.c.query_value<std::int16_t>("SELECT 70000::bigint"), value_out_of_range);
    }
}

TEST_CASE("bytea: std::vector<std::byte> and std::vector<unsigned char>", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    std::vector<std::byte> all;
    for (int i = 0; i < 256; ++i) all.push_back(std::byte(i));
    r.both("bytea", all);
    r.both("bytea", std::vector<std::byte>{});
    r.both("bytea", std::vector<unsigned char>{0, 1, 0xFF, 0});
    CHECK(r.c.query_value<std::string>("SELECT encode($1, 'hex')", std::vector<std::byte>{std::byte{0xde}, std::byte{0xad}}) ==
          "dead");
    CHECK(r.echo(std::vector<std::byte>{}).empty());
    CHECK_THROWS_AS(r.c.query_value<std::vector<std::byte>>("SELECT 'text'::text"), type_mismatch);
}

TEST_CASE("uuid", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    auto u = make_uuid("0e4f7c9a-1b2d-4e6f-8a9b-0c1d2e3f4a5b");
    r.both("uuid", u);
    r.both("uuid", boost::uuids::uuid{});
    r.both("uuid", make_uuid("ffffffff-ffff-ffff-ffff-ffffffffffff"));
    CHECK(r.text(u) == "0e4f7c9a-1b2d-4e6f-8a9b-0c1d2e3f4a5b");
    CHECK(r.c.query_value<boost::uuids::uuid>("SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid") ==
          make_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));

    SECTION("reading a uuid column into a timestamptz is a type mismatch that names both types") {
        r.c.execute_script("CREATE TABLE ids (id uuid)");
        r.c.execute("INSERT INTO ids VALUES ($1)", u);
        CHECK_THROWS_AS(r.c.query_value<timestamptz>("SELECT id FROM ids"), type_mismatch);
        CHECK_THROWS_WITH(r.c.query_value<timestamptz>("SELECT id FROM ids"),
                          Catch::Contains("\"id\"") && Catch::Contains("uuid") && Catch::Contains("timestamptz"));
    }
}

TEST_CASE("timestamptz and timestamp", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    const std::vector<timestamptz> values = {
        utc(sys_days(2000y / 1 / 1)),
        utc(sys_days(1970y / 1 / 1)),
        utc(sys_days(1969y / 12 / 31), 23h + 59min + 59s + 999999us),  // before both epochs
        utc(sys_days(2024y / 2 / 29), 12h + 34min + 56s + 1us),        // microsecond precision
        utc(sys_days(1y / 1 / 1)),
        utc(sys_days(9999y / 12 / 31), 23h + 59min + 59s + 999999us),
        utc(sys_days(-4713y / 11 / 24)),  // PostgreSQL's first day (4714-11-24 BC)
    };
    for (auto t : values) {
        r.both("timestamptz", t);
        auto local = timestamp(t.time_since_epoch());
        r.both("timestamp", local);
    }
    CHECK(r.text(values[3]) == "2024-02-29 12:34:56.000001+00");
    CHECK(r.text(values[2]) == "1969-12-31 23:59:59.999999+00");
    CHECK(r.text(timestamp(values[4].time_since_epoch())) == "0001-01-01 00:00:00");
    CHECK(r.c.query_value<timestamptz>("SELECT '2024-05-06 07:08:09.5+02'::timestamptz") ==
          utc(sys_days(2024y / 5 / 6), 5h + 8min + 9s + 500ms));

    SECTION("infinity is time_point::max() and -infinity is min(), both ways") {
        r.both("timestamptz", timestamptz::max());
        r.both("timestamptz", timestamptz::min());
        r.both("timestamp", timestamp::max());
        CHECK(r.text(timestamptz::max()) == "infinity");
        CHECK(r.text(timestamp::min()) == "-infinity");
        CHECK(r.c.query_value<timestamptz>("SELECT '-infinity'::timestamptz") == timestamptz::min());
    }
    SECTION("out of range") {
        // before 4714-11-24 BC: PostgreSQL cannot store it
        CHECK_THROWS_AS(r.echo(utc(sys_days(-4713y / 11 / 23))), value_out_of_range);
        // after year 294247: PostgreSQL can store it, a 64-bit microsecond time_point cannot
        CHECK_THROWS_AS(r.c.query_value<timestamptz>("SELECT '294270-01-01'::timestamptz"), value_out_of_range);
        CHECK_THROWS_WITH(r.c.query_value<timestamp>("SELECT '294270-01-01'::timestamp"), Catch::Contains("294247"));
    }
    SECTION("timestamp and timestamptz do not read each other's columns") {
        CHECK_THROWS_AS(r.c.query_value<timestamptz>("SELECT now()::timestamp"), type_mismatch);
        CHECK_THROWS_AS(r.c.query_value<timestamp>("SELECT now()"), type_mismatch);
    }
}

TEST_CASE("date as sys_days and year_month_day", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    for (year_month_day d : {2000y / 1 / 1, 1970y / 1 / 1, 1999y / 12 / 31, 2024y / 2 / 29, 1y / 1 / 1,
                             9999y / 12 / 31, 0y / 6 / 15, -4713y / 11 / 24, 32767y / 12 / 31}) {
        r.both("date", d);
        r.both("date", sys_days(d));
    }
    CHECK(r.text(0y / 6 / 15) == "0001-06-15 BC");
    CHECK(r.text(9999y / 12 / 31) == "9999-12-31");
    CHECK(r.c.query_value<year_month_day>("SELECT '1901-07-04'::date") == 1901y / 7 / 4);

    SECTION("infinity: sys_days::max()/min(); a year_month_day cannot hold it") {
        r.both("date", sys_days::max());
        r.both("date", sys_days::min());
        CHECK(r.text(sys_days::max()) == "infinity");
        CHECK_THROWS_AS(r.c.query_value<year_month_day>("SELECT 'infinity'::date"), value_out_of_range);
        CHECK_THROWS_WITH(r.c.query_value<year_month_day>("SELECT '-infinity'::date"),
                          Catch::Contains("-infinity") && Catch::Contains("sys_days"));
    }
    SECTION("out of range and invalid dates") {
        CHECK_THROWS_AS(r.echo(2023y / 2 / 29), value_out_of_range);
        CHECK_THROWS_WITH(r.echo(2023y / 13 / 1), Catch::Contains("not a valid calendar date"));
        CHECK_THROWS_AS(r.echo(-4713y / 11 / 23), value_out_of_range);
        CHECK_THROWS_AS(r.c.query_value<year_month_day>("SELECT '40000-01-01'::date"), value_out_of_range);
        CHECK(r.c.query_value<sys_days>("SELECT '40000-01-01'::date").time_since_epoch().count() ==
              r.c.query_value<std::int32_t>("SELECT '40000-01-01'::date - '1970-01-01'::date"));
        // a day count near the int64 limits is refused, not shifted into an overflow
        CHECK_THROWS_AS(r.echo(sys_days::min() + days(1)), value_out_of_range);
        CHECK_THROWS_AS(r.echo(sys_days::max() - days(1)), value_out_of_range);
    }
    SECTION("ISO text beyond year_month_day's years -32767..32767") {
        CHECK(iso_string(r.c.query_value<sys_days>("SELECT '40000-01-01'::date")) == "40000-01-01");
        CHECK(iso_string(r.c.query_value<sys_days>("SELECT '32768-03-01'::date")) == "32768-03-01");
        CHECK(iso_string(r.c.query_value<timestamptz>("SELECT '294246-12-31 23:59:59.5+00'::timestamptz")) ==
              "294246-12-31T23:59:59.500000+00:00");
        CHECK(iso_string(r.c.query_value<sys_days>("SELECT '4714-11-24 BC'::date")) == "-4713-11-24");
        CHECK(iso_string(sys_days(2024y / 2 / 29)) == "2024-02-29");
        CHECK(iso_string(sys_days(0y / 3 / 1) - days(1)) == "0000-02-29");
    }
}

TEST_CASE("time of day and interval", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    for (auto t : {time_of_day(), time_of_day(23h, 59min, 59s, 999999us), time_of_day(24h, 0min), time_of_day(12h, 30min)})
        r.both("time", t);
    CHECK(r.text(time_of_day(24h, 0min)) == "24:00:00");
    CHECK(r.text(time_of_day(1h, 2min, 3s, 4us)) == "01:02:03.000004");
    CHECK_THROWS_AS(r.echo(time_of_day(24h, 0min, 0s, 1us)), value_out_of_range);
    CHECK_THROWS_AS(r.echo(time_of_day(-1us)), value_out_of_range);

    for (auto i : {interval{}, interval{14, 3, 4h + 5us}, interval{-1, -2, -3us},
                   interval{std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::min(),
                            microseconds(std::numeric_limits<std::int64_t>::max())}})
        r.both("interval", i);
    CHECK(r.text(interval{14, 3, 4h + 5us}) == "1 year 2 mons 3 days 04:00:00.000005");
    r.both("interval", microseconds(90min + 1us));
    r.both("interval", microseconds(-1));
    CHECK(r.c.query_value<microseconds>("SELECT '2 days 1 second'::interval") == 48h + 1s);
    CHECK_THROWS_WITH(r.c.query_value<microseconds>("SELECT '1 month'::interval"),
                      Catch::Contains("month") && Catch::Contains("pgorm::interval"));
}

TEST_CASE("numeric keeps every digit and the scale", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    for (const char* s : {"0", "0.0001", "-0.0001", "1", "-1", "10000", "9999", "123456789", "-123.4500", "0.000",
                          "1.50", "100000000.00000001", "12345678901234567890123456789.123456789012345678901234567",
                          "0.00000000000000000000000000001", "NaN", "Infinity", "-Infinity"}) {
        INFO(s);
        numeric n(s);
        r.both("numeric", n);
        CHECK(r.text(n) == s);
    }
    std::string huge = "9" + std::string(999, '0') + "." + std::string(300, '7');
    r.both("numeric", numeric(huge));
    CHECK(r.text(numeric(huge)) == huge);

    SECTION("accepted spellings are normalised as PostgreSQL does") {
        CHECK(r.echo(numeric("+1.0")) == numeric("1.0"));
        CHECK(r.echo(numeric(".5")) == numeric("0.5"));
        CHECK(r.echo(numeric("5.")) == numeric("5"));
        CHECK(r.echo(numeric("-0.00")) == numeric("0.00"));
        CHECK(r.echo(numeric("0012.30")) == numeric("12.30"));
        CHECK(r.echo(numeric("1.5e3")) == numeric("1500"));
        CHECK(r.echo(numeric("15E-5")) == numeric("0.00015"));
        CHECK(r.echo(numeric("nan")) == numeric("NaN"));
        CHECK(r.echo(numeric("-inf")) == numeric("-Infinity"));
        CHECK(r.echo(numeric(std::int64_t{-42})) == numeric("-42"));
        CHECK(r.c.query_value<numeric>("SELECT 1.5e3::numeric") == numeric("1500"));
        CHECK(r.c.query_value<numeric>("SELECT 'NaN'::numeric").is_nan());
    }
    SECTION("malformed text is refused before it is sent") {
        CHECK_THROWS_AS(r.echo(numeric("12a")), usage_error);
        CHECK_THROWS_WITH(r.echo(numeric("12a")), Catch::Contains("\"12a\"") && Catch::Contains("not a numeric"));
        for (const char* bad : {"", "-", ".", "1e", "1.2.3", " 1", "1,5", "infinite", "0x10"}) {
            INFO(bad);
            CHECK_THROWS_AS(r.echo(numeric(bad)), usage_error);
        }
        CHECK_THROWS_AS(r.echo(numeric("1" + std::string(16384, '0') + "e-16384")), value_out_of_range);
        CHECK_THROWS_AS(r.echo(numeric("1e999999999")), value_out_of_range);
    }
    SECTION("a numeric column does not read into double, nor a double into numeric") {
        CHECK_THROWS_AS(r.c.query_value<double>("SELECT 1.5::numeric"), type_mismatch);
        CHECK_THROWS_AS(r.c.query_value<numeric>("SELECT 1.5::float8"), type_mismatch);
    }
}

TEST_CASE("enums map by label", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    r.c.execute_script("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic')");
    for (mood m : {mood::sad, mood::ok, mood::happy}) {
        CHECK(r.c.query_value<mood>("SELECT $1::mood", m) == m);
        r.both("mood", m);
    }
    CHECK(r.c.query_value<std::string>("SELECT $1::mood::text", mood::happy) == "happy");
    CHECK(r.c.query_value<mood>("SELECT 'sad'::text") == mood::sad);
    CHECK(r.c.query_value<bool>("SELECT $1::mood < 'happy'::mood", mood::ok));

    SECTION("arrays of enums travel as text literals, with NULLs") {
        std::vector<std::optional<mood>> v = {mood::happy, std::nullopt, mood::sad};
        CHECK(r.c.query_value<decltype(v)>("SELECT $1::mood[]", v) == v);
        CHECK(r.stored("mood[]", v) == v);
        CHECK(r.stored("mood[]", std::vector<mood>{}).empty());
        CHECK(r.c.query_value<std::string>("SELECT $1::mood[]::text", v) == "{happy,NULL,sad}");
        CHECK_THROWS_AS(r.c.query_value<std::vector<mood>>("SELECT '{ok,NULL}'::mood[]"), unexpected_null);
    }
    SECTION("a label the C++ enum lacks, and a value without an enumerator") {
        CHECK_THROWS_AS(r.c.query_value<mood>("SELECT 'ecstatic'::mood"), decode_error);
        CHECK_THROWS_WITH(r.c.query_value<mood>("SELECT 'ecstatic'::mood"),
                          Catch::Contains("\"ecstatic\"") && Catch::Contains("mood"));
        CHECK_THROWS_AS(r.echo(static_cast<mood>(42)), value_out_of_range);
        CHECK_THROWS_AS(r.c.query_value<mood>("SELECT $1::mood", std::string("angry")), data_exception);
    }
}

TEST_CASE("one-dimensional arrays of every element type", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    r.both("integer[]", std::vector<std::int32_t>{1, -2, std::numeric_limits<std::int32_t>::max()});
    r.both("integer[]", std::vector<std::int32_t>{});
    r.both("bigint[]", std::vector<std::optional<std::int64_t>>{std::nullopt, 7, std::nullopt});
    r.both("bigint[]", std::vector<std::optional<std::int64_t>>{std::nullopt});
    r.both("smallint[]", std::vector<std::int16_t>{-32768, 32767});
    r.both("boolean[]", std::vector<bool>{true, false, true});
    r.both("double precision[]", std::vector<double>{1.5, -std::numeric_limits<double>::infinity()});
    r.both("real[]", std::vector<float>{0.25f});
    r.both("text[]", std::vector<std::string>{"", "a,b", "{}", "\"quoted\"", "back\\slash", "NULL"});
    r.both("text[]", std::vector<std::optional<std::string>>{"x", std::nullopt, ""});
    r.both("bytea[]", std::vector<std::vector<std::byte>>{{}, {std::byte{1}, std::byte{0}}});
    r.both("uuid[]", std::vector<boost::uuids::uuid>{make_uuid("0e4f7c9a-1b2d-4e6f-8a9b-0c1d2e3f4a5b"), {}});
    r.both("timestamptz[]", std::vector<std::optional<timestamptz>>{timestamptz::max(), std::nullopt,
                                                                      utc(sys_days(1999y / 1 / 2), 3us)});
    r.both("timestamp[]", std::vector<timestamp>{timestamp(0us)});
    r.both("date[]", std::vector<year_month_day>{2000y / 1 / 1, 1y / 1 / 1});
    r.both("date[]", std::vector<sys_days>{sys_days::min()});
    r.both("time[]", std::vector<time_of_day>{time_of_day(24h, 0min)});
    r.both("interval[]", std::vector<interval>{{1, 2, 3us}});
    r.both("numeric[]", std::vector<std::optional<numeric>>{numeric("1.50"), std::nullopt, numeric("NaN")});
    r.both("jsonb[]", std::vector<jsonb<Address>>{Address{"Oslo", std::nullopt}, Address{"Lyon", "69001"}});
    r.both("point[]", std::vector<point>{{1, 2}, {-0.5, 1e300}});

    CHECK(r.text(std::vector<std::optional<std::string>>{"a b", std::nullopt, "\"", ""}) == R"({"a b",NULL,"\"",""})");
    CHECK(r.text(std::vector<std::int32_t>{}) == "{}");
    CHECK(r.c.query_value<std::vector<std::int64_t>>("SELECT ARRAY[1, 2]::int4[]") == std::vector<std::int64_t>{1, 2});
    CHECK(r.c.query_value<std::vector<std::int32_t>>("SELECT '[5:6]={7,8}'::int4[]") == std::vector<std::int32_t>{7, 8});

    SECTION("text fallback quotes and escapes every element") {
        std::vector<std::optional<label>> v = {label{"a,b"}, label{"q\"uote"}, label{"back\\slash"}, label{"NULL"},
                                               label{""}, label{" {x} "}, std::nullopt};
        auto back = r.c.query_value<std::vector<std::optional<std::string>>>("SELECT $1::text[]", v);
        REQUIRE(back.size() == v.size());
        for (std::size_t i = 0; i + 1 < v.size(); ++i) CHECK(back[i] == v[i]->s);
        CHECK_FALSE(back.back().has_value());
    }
    SECTION("errors: NULL into a plain element, several dimensions, wrong element type") {
        CHECK_THROWS_AS(r.c.query_value<std::vector<std::int32_t>>("SELECT ARRAY[1, NULL]"), unexpected_null);
        CHECK_THROWS_WITH(r.c.query_value<std::vector<std::int32_t>>("SELECT ARRAY[1, NULL]"),
                          Catch::Contains("element 2") && Catch::Contains("std::optional"));
        CHECK_THROWS_AS(r.c.query_value<std::vector<std::int32_t>>("SELECT ARRAY[[1, 2], [3, 4]]"), decode_error);
        CHECK_THROWS_WITH(r.c.query_value<std::vector<std::int32_t>>("SELECT ARRAY[[1, 2], [3, 4]]"),
                          Catch::Contains("2-dimensional"));
        CHECK_THROWS_AS(r.c.query_value<std::vector<std::int32_t>>("SELECT ARRAY['a']"), type_mismatch);
        CHECK_THROWS_AS(r.c.query_value<std::vector<std::int32_t>>("SELECT 1"), type_mismatch);
        CHECK_THROWS_AS(r.c.query_value<std::int32_t>("SELECT ARRAY[1]"), type_mismatch);
    }
}

TEST_CASE("json and raw jsonb text", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    json j(R"({"b": 1,  "a": [true, null]})");
    r.both("json", j);  // json keeps the text as written
    CHECK(r.echo(json("\"\"")) == json("\"\""));
    CHECK(r.c.query_value<std::string>("SELECT $1->>'b'", j) == "1");

    jsonb_text t(R"({"b": 1,  "a": [true, null]})");
    CHECK(r.echo(t) == jsonb_text(R"({"a": [true, null], "b": 1})"));  // jsonb normalises
    CHECK(r.c.query_value<bool>("SELECT $1 = '{\"a\":[true,null],\"b\":1}'::jsonb", t));
    CHECK(r.stored("jsonb", jsonb_text("[]")) == jsonb_text("[]"));
    CHECK(r.stored("jsonb", jsonb_text("\"\\u00e9\"")) == jsonb_text("\"é\""));
    CHECK_FALSE(r.stored("jsonb", std::optional<jsonb_text>()).has_value());
    CHECK(r.c.query_value<json>("SELECT '{\"x\": 1}'::jsonb") == json("{\"x\": 1}"));  // reads either column
    CHECK(r.c.query_value<jsonb_text>("SELECT '[1,2]'::json") == jsonb_text("[1,2]"));
    CHECK_THROWS_AS(r.echo(jsonb_text("{not json")), data_exception);
    CHECK_THROWS_AS(r.c.query_value<jsonb_text>("SELECT 'x'::text"), type_mismatch);
}

TEST_CASE("jsonb<T> maps described structs, with sentinel dates and timestamps", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    Profile p;
    p.name = "Ada";
    p.credits = std::numeric_limits<std::int64_t>::min();
    p.ratio = 0.1;
    p.active = true;
    p.address = {"Oslo", "0150"};
    p.past = {{"Lyon", std::nullopt}, {"Kyoto", "600-8216"}};
    p.created = utc(sys_days(1999y / 12 / 31), 23h + 59min + 59s + 123456us);
    p.local = timestamp(sys_days(2024y / 1 / 2).time_since_epoch() + 3h);
    p.birthday = 1815y / 12 / 10;
    p.closed = sys_days::max();
    p.feeling = mood::happy;
    p.counts = {{"a", 1}, {"b", -2}};
    p.balance = numeric("12345678901234567890.05");
    p.id = make_uuid("0e4f7c9a-1b2d-4e6f-8a9b-0c1d2e3f4a5b");
    jsonb<Profile> j = p;

    r.both("jsonb", j);
    CHECK(r.echo(j)->address.city == "Oslo");
    CHECK((*r.echo(j)).past.size() == 2);
    CHECK(r.echo(j).value() == p);
    CHECK(r.echo(j) == p);

    SECTION("the stored document carries seed 002's sentinels") {
        CHECK(r.c.query_value<std::string>("SELECT $1->'created'->>'__sentinel'", j) == "timestamp");
        CHECK(r.c.query_value<std::string>("SELECT $1->'created'->>'value'", j) == "1999-12-31T23:59:59.123456+00:00");
        CHECK(r.c.query_value<std::string>("SELECT $1->'local'->>'value'", j) == "2024-01-02T03:00:00");
        CHECK(r.c.query_value<std::string>("SELECT $1->'birthday'->>'__sentinel'", j) == "date");
        CHECK(r.c.query_value<std::string>("SELECT $1->'birthday'->>'value'", j) == "1815-12-10");
        CHECK(r.c.query_value<std::string>("SELECT $1->'closed'->>'value'", j) == "infinity");
        CHECK(r.c.query_value<bool>("SELECT $1->'nickname' = 'null'::jsonb", j));
        CHECK(r.c.query_value<std::string>("SELECT $1->>'feeling'", j) == "happy");
        CHECK(r.c.query_value<std::string>("SELECT $1->>'balance'", j) == "12345678901234567890.05");
        CHECK(r.c.query_value<std::string>("SELECT ($1->'address')::text", j) == R"({"zip": "0150", "city": "Oslo"})");
    }
    SECTION("documents written elsewhere: offsets, bare ISO strings, absent optionals") {
        auto e = r.c.query_value<jsonb<Event>>(
            R"(SELECT '{"when": {"__sentinel": "timestamp", "value": "2024-01-02T03:04:05.678+01:00"}}'::jsonb)");
        CHECK(e->when == utc(sys_days(2024y / 1 / 2), 2h + 4min + 5s + 678ms));
        CHECK_FALSE(e->day.has_value());
        e = r.c.query_value<jsonb<Event>>(R"(SELECT '{"when": "2024-01-02 03:04Z", "day": "2024-02-29"}'::json)");
        CHECK(e->when == utc(sys_days(2024y / 1 / 2), 3h + 4min));
        CHECK(e->day == 2024y / 2 / 29);
        CHECK(r.c.query_value<jsonb<std::vector<int>>>("SELECT '[1, 2.0, -3]'::jsonb").value() == std::vector<int>{1, 2, -3});
        auto any = r.c.query_value<jsonb<boost::json::value>>("SELECT '{\"k\": [1, \"two\"]}'::jsonb");
        CHECK(any->at("k").at(1).as_string() == "two");
        CHECK(r.echo(any) == any);
    }
    SECTION("a document that does not fit throws decode_error naming the place") {
        CHECK_THROWS_AS(r.c.query_value<jsonb<Address>>(R"(SELECT '{"city": 5}'::jsonb)"), decode_error);
        CHECK_THROWS_WITH(r.c.query_value<jsonb<Address>>(R"(SELECT '{"city": 5}'::jsonb)"),
                          Catch::Contains("$.city") && Catch::Contains("expected a string"));
        CHECK_THROWS_WITH(r.c.query_value<jsonb<Address>>(R"(SELECT '{"zip": "1"}'::jsonb)"),
                          Catch::Contains("$.city") && Catch::Contains("missing"));
        CHECK_THROWS_WITH(r.c.query_value<jsonb<std::vector<Address>>>(R"(SELECT '[{"city": "a"}, 3]'::jsonb)"),
                          Catch::Contains("$[1]") && Catch::Contains("object"));
        CHECK_THROWS_WITH(r.c.query_value<jsonb<Event>>(R"(SELECT '{"when": {"__sentinel": "date", "value": "2024-01-01"}}'::jsonb)"),
                          Catch::Contains("$.when") && Catch::Contains("\"timestamp\" sentinel"));
        CHECK_THROWS_WITH(r.c.query_value<jsonb<Event>>(R"(SELECT '{"when": "yesterday"}'::jsonb)"),
                          Catch::Contains("yesterday") && Catch::Contains("ISO 8601"));
        using small_map = std::map<std::string, std::int16_t>;
        CHECK_THROWS_WITH(r.c.query_value<jsonb<small_map>>(R"(SELECT '{"n": 70000}'::jsonb)"),
                          Catch::Contains("$.n") && Catch::Contains("out of range"));
        CHECK_THROWS_WITH(r.c.query_value<jsonb<std::vector<int>>>("SELECT '[1.5]'::jsonb"), Catch::Contains("integer"));
        CHECK_THROWS_WITH(r.c.query_value<jsonb<std::vector<mood>>>(R"(SELECT '["sad", "grumpy"]'::jsonb)"),
                          Catch::Contains("grumpy") && Catch::Contains("$[1]"));
        CHECK_THROWS_AS(jsonb<Address>::parse("{\"city\":"), decode_error);
    }
    SECTION("values JSON cannot carry are refused on encode") {
        Profile bad = p;
        bad.ratio = std::numeric_limits<double>::quiet_NaN();
        CHECK_THROWS_AS(r.echo(jsonb<Profile>(bad)), value_out_of_range);
        bad = p;
        bad.birthday = 2023y / 2 / 30;
        CHECK_THROWS_AS(r.echo(jsonb<Profile>(bad)), value_out_of_range);
    }
}

TEST_CASE("a user-defined codec (docs/custom-types.md) works like a built-in one", "[types]") {
    empty_db db;
    auto r = connect_rt(db);
    r.both("point", point{1.5, -2});
    CHECK(r.text(point{1.5, -2}) == "(1.5,-2)");
    CHECK(r.c.query_value<point>("SELECT point(3, 4)") == point{3, 4});
    CHECK(r.c.query_value<std::vector<std::optional<point>>>("SELECT ARRAY[point(1,2), NULL]") ==
          std::vector<std::optional<point>>{point{1, 2}, std::nullopt});
    CHECK_THROWS_AS(r.c.query_value<point>("SELECT 1.0::float8"), type_mismatch);
}
