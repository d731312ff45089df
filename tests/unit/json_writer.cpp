// The direct JSON writer (types/json_writer.hpp) against the general path it replaces in
// jsonb<T>::dump(): to_json() into a boost::json::value, check_storable_as_jsonb(), Boost.JSON's
// serialize(). For every value, both must give the same bytes, or the same error (type and
// message); and the writer must take the value itself (not hand it back) whenever the general
// path accepts it. Fixed shapes first, then a seeded random loop over generated values.
#include <pgorm/types.hpp>

#include <catch2/catch.hpp>

#include <boost/uuid/string_generator.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

using namespace std::chrono;
using namespace std::string_literals;

namespace jw {

enum class colour { red, green, blue };
BOOST_DESCRIBE_ENUM(colour, red, green, blue)

struct point {
    double x = 0;
    float y = 0;
};
BOOST_DESCRIBE_STRUCT(point, (), (x, y))

struct nothing {};
BOOST_DESCRIBE_STRUCT(nothing, (), ())

struct base_part {
    std::int32_t id = 0;
};
BOOST_DESCRIBE_STRUCT(base_part, (), (id))
struct derived_part : base_part {
    std::string label;
};
BOOST_DESCRIBE_STRUCT(derived_part, (base_part), (label))

struct dates {
    pgorm::timestamptz at{};
    std::chrono::local_time<std::chrono::microseconds> local{};
    std::chrono::sys_days day{};
    std::chrono::year_month_day ymd{};
    pgorm::time_of_day time{};
};
BOOST_DESCRIBE_STRUCT(dates, (), (at, local, day, ymd, time))

struct leaf {
    std::string name;
    std::int64_t count = 0;
    std::optional<double> ratio;
    bool on = false;
    colour c = colour::red;
};
BOOST_DESCRIBE_STRUCT(leaf, (), (name, count, ratio, on, c))

struct node {
    std::string name;
    std::vector<node> children;  // recursive: nesting depth is data-driven
};
BOOST_DESCRIBE_STRUCT(node, (), (name, children))

struct everything {
    std::uint64_t big = 0;
    std::int16_t small = 0;
    std::uint8_t byte = 0;
    std::vector<leaf> leaves;
    std::map<std::string, std::vector<double>> series;
    std::optional<point> where;
    std::vector<std::optional<std::int32_t>> gaps;
    std::vector<bool> flags;
    boost::uuids::uuid id{};
    pgorm::numeric amount;
    boost::json::value extra;
    std::optional<dates> when;
    node tree;
};
BOOST_DESCRIBE_STRUCT(everything, (),
                      (big, small, byte, leaves, series, where, gaps, flags, id, amount, extra, when, tree))

/// What a way of writing produced: the text, or the error's type and message.
struct outcome {
    std::string text, error_type, error;
    friend bool operator==(const outcome&, const outcome&) = default;
};

template <class Write>
outcome run(Write write) {
    try {
        return {write(), "", ""};
    } catch (const std::exception& e) {
        return {"", typeid(e).name(), e.what()};
    }
}

/// The path jsonb<T>::dump() took before the writer existed.
template <class T>
outcome general(const T& v) {
    return run([&] {
        boost::json::value tree = pgorm::to_json(v);
        pgorm::detail::check_storable_as_jsonb(tree, pgorm::cpp_type_name<T>());
        return boost::json::serialize(tree);
    });
}

/// Checks dump() and the codec against the general path; returns the general outcome.
template <class T>
outcome same_as_general(const T& v) {
    const outcome want = general(v);
    const outcome got = run([&] { return pgorm::jsonb<T>(v).dump(); });
    INFO("general: " << want.text << want.error);
    INFO("dump:    " << got.text << got.error);
    REQUIRE(got == want);
    const outcome wire = run([&] {
        std::string out;
        pgorm::codec<pgorm::jsonb<T>>::encode(pgorm::jsonb<T>(v), out);
        return out;
    });
    if (want.error.empty()) REQUIRE(wire.text == "\x01" + want.text);
    else REQUIRE(wire.error == want.error);
    // The parameter that refers to the value instead of copying it (detail::jsonb_ref) sends the same.
    const outcome by_ref = run([&] {
        std::string out;
        pgorm::codec<pgorm::detail::jsonb_ref<T>>::encode(pgorm::detail::jsonb_ref<T>{v}, out);
        return out;
    });
    REQUIRE(by_ref == wire);
    // The writer itself took every value the general path accepts (no silent fallback).
    std::string direct = "prefix";
    const bool took = pgorm::detail::json_write::try_append(direct, v);
    REQUIRE(took == want.error.empty());
    REQUIRE(direct == (took ? "prefix" + want.text : "prefix"s));
    return want;
}

/// Sets json_max_depth() for one scope.
struct depth_limit {
    explicit depth_limit(std::size_t n) { pgorm::set_json_max_depth(n); }
    ~depth_limit() { pgorm::set_json_max_depth(pgorm::default_json_max_depth); }
};

node chain(int levels) {
    node n{"leaf", {}};
    for (int i = 0; i < levels; ++i) n = node{"level" + std::to_string(i), {n}};
    return n;
}

}  // namespace jw

using namespace jw;

TEST_CASE("json writer: scalars are written as Boost.JSON writes them", "[unit][json]") {
    same_as_general(true);
    same_as_general(false);
    same_as_general(std::int8_t{-128});
    same_as_general(std::uint8_t{255});
    same_as_general(std::int16_t{-32768});
    same_as_general(std::numeric_limits<std::int32_t>::min());
    same_as_general(std::numeric_limits<std::int64_t>::min());
    same_as_general(std::numeric_limits<std::int64_t>::max());
    same_as_general(std::numeric_limits<std::uint64_t>::max());
    same_as_general(0L);
    same_as_general(42ULL);
    for (double d : {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 100.0, 1e7, 1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 123456789.125,
                     9007199254740993.0, 1e-7, 1.5e-10, 3.14159, 2.0 / 3.0, 1e100, 1e300, 1e-300,
                     std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
                     std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::lowest(),
                     std::numeric_limits<double>::epsilon()})
        same_as_general(d);
    for (float f : {0.1f, 1.0f, -2.5f, 3.4e38f, 1e-45f, 16777217.0f}) same_as_general(f);
    CHECK(same_as_general(1.0).text == "1E0");
    CHECK(same_as_general(-0.0).text == "-0E0");
    CHECK(same_as_general(1.5e-7).text == "1.5E-7");
    CHECK(same_as_general(std::numeric_limits<double>::max()).text == "1.7976931348623157E308");
    CHECK(same_as_general(std::string("a\"b\\c")).text == R"("a\"b\\c")");
}

TEST_CASE("json writer: strings escape as RFC 8259 asks and Boost.JSON does", "[unit][json]") {
    same_as_general(std::string());
    same_as_general(std::string("plain ascii / with slash"));
    same_as_general(std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // UTF-8 kept as is
    same_as_general(std::string("\xff\xfe invalid UTF-8 \x80"));                 // so is what is not UTF-8
    std::string every_byte;
    for (int c = 1; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
    CHECK(same_as_general(every_byte).error.empty());
    CHECK(same_as_general(std::string("\b\t\n\f\r\x0b\x1f\x7f")).text == R"("\b\t\n\f\r\u000b\u001f)" "\x7f\"");
    // jsonb cannot store NUL: the general path's error, in strings and in keys
    CHECK_FALSE(same_as_general(std::string("a\0b", 3)).error.empty());
    CHECK_FALSE(same_as_general(std::map<std::string, int>{{std::string("k\0", 2), 1}}).error.empty());
    same_as_general(std::map<std::string, int>{{"", 0}, {"tab\there", 1}, {"quote\"", 2}});
}

TEST_CASE("json writer: every escaped byte at every position of strings up to 24 bytes, and one-digit integers",
          "[unit][json]") {
    // put_string scans 8 bytes at a time while none needs escaping: each byte class at each
    // position and length, next to the bytes its word test sits closest to.
    for (std::size_t n = 1; n <= 24; ++n)
        for (char special : {'"', '\\', '\x01', '\x1f', '\x20', '\x21', '\x7f', '\x80', '\xff', '\n'})
            for (std::size_t at = 0; at < n; ++at) {
                std::string s(n, 'x');
                s[at] = special;
                INFO("length " << n << ", byte " << int(static_cast<unsigned char>(special)) << " at " << at);
                CHECK(same_as_general(s).error.empty());
            }
    for (int i = -12; i <= 12; ++i) same_as_general(i);
    for (long long i : {9LL, 10LL, 99LL, 100LL, 999'999LL, 1'000'000LL, -9LL, -10LL}) same_as_general(i);
    CHECK(same_as_general(std::uint8_t{0}).text == "0");
    CHECK(same_as_general(7).text == "7");
    CHECK(same_as_general(-7).text == "-7");
}

TEST_CASE("json writer: enums, uuids, numerics, dates and timestamps", "[unit][json]") {
    same_as_general(colour::blue);
    CHECK_FALSE(same_as_general(static_cast<colour>(7)).error.empty());  // no label
    same_as_general(boost::uuids::string_generator()("0e3f7a2c-9b1d-4c5e-8f60-7a1b2c3d4e5f"));
    same_as_general(boost::uuids::uuid{});
    same_as_general(pgorm::numeric("-12345.678900"));
    same_as_general(pgorm::numeric("NaN"));
    dates d;
    d.at = pgorm::timestamptz(sys_days(2026y / 11 / 29) + 20h + 31min + 5s + 123456us);
    d.local = local_days(1999y / 12 / 31) + 23h + 59min + 59s;
    d.day = sys_days(1970y / 1 / 1) - days(1);
    d.ymd = 2024y / 2 / 29;
    d.time = pgorm::time_of_day(hours(13) + minutes(5) + microseconds(7));
    CHECK(same_as_general(d).text.find(R"("at":{"__sentinel":"timestamp","value":")") != std::string::npos);
    d.ymd = 2023y / 2 / 29;  // not a date: the general path's error
    CHECK_FALSE(same_as_general(d).error.empty());
    d.ymd = 2023y / 2 / 28;
    d.at = pgorm::timestamptz::max();
    d.day = sys_days::min();
    same_as_general(d);
}

TEST_CASE("json writer: containers, optionals, structs and embedded JSON trees", "[unit][json]") {
    same_as_general(nothing{});
    same_as_general(derived_part{{7}, "inherited member first"});
    same_as_general(std::optional<int>());
    same_as_general(std::optional<std::optional<int>>(std::optional<int>()));
    same_as_general(std::vector<int>());
    same_as_general(std::vector<std::vector<std::string>>{{}, {"a"}, {"b", "c"}});
    same_as_general(std::vector<bool>{true, false, true});
    same_as_general(std::map<std::string, point>{{"origin", {}}, {"p", {0.25, -1.5f}}});
    everything e;
    e.leaves = {{"one", 1, 0.5, true, colour::green}, {"two", -2, std::nullopt, false, colour::blue}};
    e.series = {{"a", {1.0, 2.5}}, {"b", {}}};
    e.gaps = {1, std::nullopt, 3};
    e.flags = {false, true};
    e.extra = boost::json::parse(R"({"k":[1,2.5,"x\n",null,true,{"deep":[[]]}],"u":18446744073709551615})");
    e.tree = chain(3);
    CHECK(same_as_general(e).error.empty());
    // a tree holding what jsonb refuses
    e.extra = boost::json::value{{"bad", "nul\0"s}};
    CHECK_FALSE(same_as_general(e).error.empty());
    e.extra = boost::json::value{{std::string("k\0", 2), 1}};
    CHECK_FALSE(same_as_general(e).error.empty());
    e.extra = boost::json::value{{"inf", std::numeric_limits<double>::infinity()}};
    CHECK_FALSE(same_as_general(e).error.empty());
    e.extra = nullptr;
    e.where = point{std::nan(""), 0};  // NaN has no JSON form
    CHECK_FALSE(same_as_general(e).error.empty());
    e.where = point{1, std::numeric_limits<float>::infinity()};
    CHECK_FALSE(same_as_general(e).error.empty());
    // a top-level boost::json::value keeps its own path
    same_as_general(boost::json::value(boost::json::parse(R"([1,{"a":"b"}])")));
}

TEST_CASE("json writer: json_max_depth() is enforced as the general path does", "[unit][json]") {
    depth_limit limit(4);
    // node chain(n) nests n + 1 objects and n arrays
    CHECK(same_as_general(chain(1)).error.empty());  // 3 levels
    CHECK_FALSE(same_as_general(chain(2)).error.empty());
    CHECK(same_as_general(std::vector<std::vector<std::vector<std::vector<int>>>>{{{{1}}}}).error.empty());
    CHECK_FALSE(same_as_general(std::vector<std::vector<std::vector<std::vector<std::vector<int>>>>>{{{{{1}}}}})
                    .error.empty());
    everything e;  // the tree inside counts from where it sits: everything (1) + tree (2, 3, 4)
    e.extra = boost::json::parse("[[[]]]");
    CHECK(same_as_general(e).error.empty());
    e.extra = boost::json::parse("[[[[]]]]");
    CHECK_FALSE(same_as_general(e).error.empty());
    e.extra = nullptr;
    e.when = dates{};  // a sentinel is an object too: everything, dates, sentinel
    e.when->ymd = 2000y / 1 / 1;
    CHECK(same_as_general(e).error.empty());
    depth_limit tighter(2);
    CHECK_FALSE(same_as_general(e).error.empty());
    CHECK(same_as_general(std::map<std::string, std::vector<int>>{{"a", {1}}, {"b", {}}}).error.empty());
    CHECK_FALSE(same_as_general(std::vector<std::map<std::string, std::vector<int>>>{{{"a", {1}}}}).error.empty());
}

namespace {

/// Random values of every shape above, with a small chance of each thing jsonb refuses.
struct generator {
    std::mt19937_64 rng;

    int below(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
    bool chance(int percent) { return below(100) < percent; }

    std::string text() {
        static const std::string pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                             "\xc3\xa9", "\xe2\x82\xac", "\xff", "{", "}", "[", ":", ",", "0"};
        std::string s;
        for (int n = below(8); n > 0; --n) s += pieces[below(std::size(pieces))];
        if (chance(2)) s.insert(s.begin() + below(static_cast<int>(s.size()) + 1), '\0');
        return s;
    }
    double number() {
        switch (below(6)) {
            case 0: return static_cast<double>(static_cast<std::int64_t>(rng()) >> below(64));
            case 1: return std::ldexp(static_cast<double>(rng() >> 11), below(200) - 150);
            case 2: {  // any bit pattern: subnormals, huge, tiny; non-finite now and then
                double d = std::bit_cast<double>(rng());
                if (!std::isfinite(d) && !chance(5)) d = 0.5;
                return d;
            }
            case 3: return below(1000) / 8.0;
            case 4: return static_cast<float>(below(100000) / 7.0);
            default: return below(10) - 5;
        }
    }
    boost::json::value tree(int depth) {
        switch (depth > 4 ? below(5) : below(7)) {
            case 0: return nullptr;
            case 1: return chance(50);
            case 2: return static_cast<std::int64_t>(rng());
            case 3: return number();
            case 4: return boost::json::string(text());
            case 5: {
                boost::json::array a;
                for (int n = below(4); n > 0; --n) a.push_back(tree(depth + 1));
                return a;
            }
            default: {
                boost::json::object o;
                for (int n = below(4); n > 0; --n) o[text()] = tree(depth + 1);
                return o;
            }
        }
    }
    node a_node(int depth) {
        node n{text(), {}};
        if (depth < 6)
            for (int k = below(3); k > 0; --k) n.children.push_back(a_node(depth + 1));
        return n;
    }
    leaf a_leaf() {
        leaf l{text(), static_cast<std::int64_t>(rng()), std::nullopt, chance(50), static_cast<colour>(below(3))};
        if (chance(50)) l.ratio = number();
        if (chance(1)) l.c = static_cast<colour>(9);
        return l;
    }
    everything value() {
        everything e;
        e.big = rng();
        e.small = static_cast<std::int16_t>(rng());
        e.byte = static_cast<std::uint8_t>(rng());
        for (int n = below(4); n > 0; --n) e.leaves.push_back(a_leaf());
        for (int n = below(3); n > 0; --n) {
            auto& s = e.series[text()];
            for (int k = below(4); k > 0; --k) s.push_back(number());
        }
        if (chance(50)) e.where = point{number(), static_cast<float>(below(1000) / 3.0)};
        for (int n = below(4); n > 0; --n) e.gaps.push_back(chance(30) ? std::nullopt : std::optional(below(1000)));
        for (int n = below(4); n > 0; --n) e.flags.push_back(chance(50));
        for (auto& b : e.id.data) b = static_cast<std::uint8_t>(rng());
        e.amount = pgorm::numeric(std::to_string(static_cast<std::int64_t>(rng()) >> 20) + "." + std::to_string(below(1000)));
        e.extra = tree(0);
        if (chance(30)) {
            dates d;
            d.at = pgorm::timestamptz(microseconds(static_cast<std::int64_t>(rng() >> 14) - (std::int64_t(1) << 49)));
            d.local = std::chrono::local_time<microseconds>(microseconds(static_cast<std::int64_t>(rng() >> 16)));
            d.day = sys_days(days(below(200000) - 100000));
            d.ymd = year(1900 + below(300)) / month(1 + below(12)) / day(1 + below(chance(3) ? 31 : 28));
            d.time = pgorm::time_of_day(microseconds(static_cast<std::int64_t>(rng() % 86'400'000'000ULL)));
            e.when = d;
        }
        e.tree = a_node(0);
        return e;
    }
};

}  // namespace

TEST_CASE("json writer: generated values give the general path's bytes or its error", "[unit][json][fuzz]") {
    generator g{std::mt19937_64(20261129)};
    int written = 0, refused = 0;
    for (int i = 0; i < 3000; ++i) {
        // now and then a small depth limit, so that refusals for depth come up too
        std::optional<depth_limit> limit;
        if (g.chance(10)) limit.emplace(static_cast<std::size_t>(1 + g.below(8)));
        const everything e = g.value();
        INFO("iteration " << i);
        (same_as_general(e).error.empty() ? written : refused)++;
        // the tree alone, top-level and inside an optional (the writer's copy of the checks)
        same_as_general(std::optional<boost::json::value>(e.extra));
        same_as_general(e.leaves);
    }
    // both outcomes came up often enough to mean something
    CHECK(written > 1500);
    CHECK(refused > 100);
}

TEST_CASE("jsonb<T>::parse: JSON trees inside T outlive the parse's stack arena", "[unit][json]") {
    // parse() builds its tree in a stack buffer; a boost::json::value member must be a heap copy.
    const std::string text = R"({"big":1,"small":2,"byte":3,"leaves":[],"series":{},"where":null,"gaps":[],)"
                             R"("flags":[],"id":"0e3f7a2c-9b1d-4c5e-8f60-7a1b2c3d4e5f","amount":"1.5",)"
                             R"("extra":{"k":["a long string that does not fit inline",{"n":[1,2,3]}]},)"
                             R"("when":null,"tree":{"name":"root","children":[]}})";
    auto parsed = pgorm::jsonb<everything>::parse(text);
    auto alone = pgorm::jsonb<std::optional<boost::json::value>>::parse(R"({"x":["kept after the parse returns"]})");
    std::string scratch(4096, 'x');  // reuse the stack the arena was on
    CHECK(boost::json::serialize(parsed->extra) ==
          R"({"k":["a long string that does not fit inline",{"n":[1,2,3]}]})");
    CHECK(parsed->extra.storage().get() == boost::json::storage_ptr().get());
    REQUIRE(alone->has_value());
    CHECK(boost::json::serialize(**alone) == R"({"x":["kept after the parse returns"]})");
    CHECK((*alone)->storage().get() == boost::json::storage_ptr().get());
    // and what parse reads writes back as the same text, through the writer
    CHECK(pgorm::jsonb<everything>::parse(parsed.dump()).dump() == parsed.dump());
}

TEST_CASE("from_json: error messages name the exact path; members are found in any order", "[unit][json]") {
    // The path is put together only when an error is reported (types/detail/json_mapping.hpp):
    // every kind of step must still appear, in order, with the message as it always read.
    auto error_of = [](const std::string& text) {
        try {
            (void)pgorm::jsonb<everything>::parse(text);
        } catch (const pgorm::decode_error& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    const std::string head = R"({"big":1,"small":2,"byte":3,"series":{},"where":null,"gaps":[],"flags":[],)"
                             R"("id":"0e3f7a2c-9b1d-4c5e-8f60-7a1b2c3d4e5f","amount":"1.5","extra":null,"when":null,)";
    const std::string tail = R"("tree":{"name":"root","children":[]}})";
    CHECK(error_of(head + R"("leaves":[{"name":"a","count":1,"on":true,"c":"red"},{"name":"b","count":"x",)"
                          R"("on":true,"c":"red"}],)" + tail) ==
          "pgorm: JSON at $.leaves[1].count: expected an integer, got string (reading jw::everything)");
    CHECK(error_of(head + R"("leaves":[],"tree":{"name":"root","children":[{"name":"k","children":[]},)"
                          R"({"name":7,"children":[]}]}})") ==
          "pgorm: JSON at $.tree.children[1].name: expected a string, got int64 (reading jw::everything)");
    CHECK(error_of(R"({"big":1,"small":2,"byte":3,"leaves":[],"series":{"up":[1.5,true]},"where":null,"gaps":[],)"
                   R"("flags":[],"id":"0e3f7a2c-9b1d-4c5e-8f60-7a1b2c3d4e5f","amount":"1.5","extra":null,)"
                   R"("when":null,)" + tail) ==
          "pgorm: JSON at $.series.up[1]: expected a number, got bool (reading jw::everything)");
    CHECK(error_of(head + R"("leaves":[{"name":"a","count":1,"c":"red"}],)" + tail) ==
          "pgorm: JSON at $.leaves[0].on: missing member (C++ jw::leaf::on is not std::optional) "
          "(reading jw::everything)");
    CHECK(error_of("[1]") == "pgorm: JSON at $: expected an object for jw::everything, got array "
                             "(reading jw::everything)");
    // Members in another order than the struct's (jsonb sorts keys by length) read the same.
    auto shuffled = pgorm::jsonb<leaf>::parse(R"({"c":"blue","on":true,"name":"n","count":5,"ratio":0.5})");
    CHECK(shuffled->name == "n");
    CHECK(shuffled->count == 5);
    CHECK(shuffled->ratio == 0.5);
    CHECK(shuffled->on);
    CHECK(shuffled->c == colour::blue);
    auto in_order = pgorm::jsonb<leaf>::parse(R"({"name":"m","count":6,"on":false,"c":"green"})");
    CHECK(in_order->name == "m");
    CHECK(in_order->count == 6);
    CHECK(!in_order->ratio);
    CHECK(in_order->c == colour::green);
}

namespace jw {
struct flat {
    std::int64_t a = 0;
    std::string s;
    std::int32_t small = 0;
    std::optional<double> d;
    bool b = false;
    std::optional<std::string> os;
    std::uint8_t byte = 0;
    float f = 0;
    std::optional<std::int32_t> preset = 7;  // a missing optional reads as nullopt, whatever its default
    friend bool operator==(const flat&, const flat&) = default;
};
BOOST_DESCRIBE_STRUCT(flat, (), (a, s, small, d, b, os, byte, f, preset))
static_assert(pgorm::detail::json_flat::flat_struct<flat>);
static_assert(!pgorm::detail::json_flat::flat_struct<leaf>);  // an enum member: the general path only
}  // namespace jw

namespace {
std::size_t rng_index(std::mt19937& rng, std::size_t n) { return static_cast<std::size_t>(rng() % n); }
}  // namespace

TEST_CASE("jsonb<T>::parse of a flat struct: the event-parser path reads what the tree path reads, and "
          "leaves everything else to it",
          "[unit][json]") {
    using jw::flat;
    // The tree path alone: what jsonb<flat>::parse gave before the fast path existed.
    auto by_tree = [](const std::string& text) -> std::optional<flat> {
        try {
            return pgorm::from_json<flat>(boost::json::parse(text));
        } catch (const std::exception&) {
            return std::nullopt;
        }
    };
    auto by_fast = [](const std::string& text) -> std::optional<flat> {
        flat out{};
        if (!pgorm::detail::json_flat::read(text, out)) return std::nullopt;
        return out;
    };
    auto by_parse = [](const std::string& text, std::string& error) -> std::optional<flat> {
        try {
            return *pgorm::jsonb<flat>::parse(text);
        } catch (const pgorm::decode_error& e) {
            error = e.what();
            return std::nullopt;
        }
    };
    const std::string full = R"({"a":-3,"s":"x","small":2,"d":15,"b":true,"os":"y","byte":255,"f":-25,"preset":1})";
    // The plain cases take the fast path (else it would be dead code): struct order, any order,
    // whitespace, optional members missing or null, the integer limits.
    const std::vector<std::string> fast_ones = {
        full,
        R"({"preset":null,"f":1,"byte":0,"os":null,"b":false,"d":null,"small":-2147483648,"s":"","a":9223372036854775807})",
        " {\"a\" : -9223372036854775808 ,\n\"s\":\"~ !#\",\t\"small\":0,\"b\":true,\"byte\":1,\"f\":0,"
        "\"d\":18446744073709551615}\r\n",
    };
    for (const auto& text : fast_ones) {
        INFO(text);
        auto fast = by_fast(text);
        REQUIRE(fast);
        auto tree = by_tree(text);
        REQUIRE(tree);
        CHECK(*fast == *tree);
        std::string error;
        auto parsed = by_parse(text, error);
        REQUIRE(parsed);
        CHECK(*parsed == *tree);
    }
    CHECK(!by_fast(fast_ones[2])->preset);  // missing: nullopt, not the default 7
    CHECK(by_fast(fast_ones[2])->a == std::numeric_limits<std::int64_t>::min());
    CHECK(by_fast(fast_ones[2])->d == 18446744073709551615.0);

    // Left to the tree path, which reads some of them and refuses the rest with its own error.
    const std::vector<std::string> others = {
        R"({"a":1,"s":"x","small":0,"b":true,"byte":1,"f":1,"extra":{"n":[1,2]}})",  // unknown key: ignored
        R"({"a":1,"a":2,"s":"x","small":0,"b":true,"byte":1,"f":1})",                // repeated key
        R"({"a":2.0,"s":"x","small":0,"b":true,"byte":1,"f":1})",                    // integral double
        R"({"a":1,"s":"tab\there \"q\" \u00e9\ud83d\ude00","small":0,"b":true,"byte":1,"f":1})",  // escapes
        R"({"\u0061":1,"s":"x","small":0,"b":true,"byte":1,"f":1e3,"d":-0.5})",       // escaped key, exponent
        "{\"a\":1,\"s\":\"\xc3\xa9\",\"small\":0,\"b\":true,\"byte\":1,\"f\":1}",   // UTF-8 text
        R"({"a":-0,"s":"x","small":0,"b":true,"byte":1,"f":1})",                     // minus zero
        R"({"a":2.5,"s":"x","small":0,"b":true,"byte":1,"f":1})",
        R"({"a":1,"s":"x","small":2147483648,"b":true,"byte":1,"f":1})",             // out of range
        R"({"a":1,"s":"x","small":0,"b":true,"byte":-1,"f":1})",
        R"({"a":18446744073709551615,"s":"x","small":0,"b":true,"byte":1,"f":1})",
        R"({"a":1,"s":null,"small":0,"b":true,"byte":1,"f":1})",                     // null, not optional
        R"({"a":1,"s":7,"small":0,"b":true,"byte":1,"f":1})",                        // wrong kinds
        R"({"a":true,"s":"x","small":0,"b":true,"byte":1,"f":1})",
        R"({"a":1,"s":"x","small":0,"b":1,"byte":1,"f":1})",
        R"({"a":1,"s":"x","small":0,"b":true,"byte":1,"f":"1"})",
        R"({"a":1,"s":"x","small":0,"b":true,"byte":1,"f":1,"d":[1]})",
        R"({"a":1,"s":"x","small":0,"b":true,"byte":1})",                            // missing member
        R"({"a":1,"s":"x","small":0,"b":true,"byte":1,"f":1} x)",                    // malformed
        R"({"a":1,"s":"x","small":0,"b":true,"byte":1,"f":1)",
        R"({"a":1,"s":"x","small":0,"b":true,"byte":1,"f":1,})",
        R"({"a":01,"s":"x","small":0,"b":true,"byte":1,"f":1})",
        R"({"a":1,/*c*/"s":"x","small":0,"b":true,"byte":1,"f":1})",
        "{\"a\":1,\"s\":\"x\x01\",\"small\":0,\"b\":true,\"byte\":1,\"f\":1}",
        R"([{"a":1}])",
        "null",
        "",
    };
    std::vector<std::size_t> read_by_tree;
    for (std::size_t i = 0; i < others.size(); ++i) {
        const std::string& text = others[i];
        INFO(text);
        CHECK(!by_fast(text));
        auto tree = by_tree(text);
        std::string error;
        auto parsed = by_parse(text, error);
        REQUIRE(parsed.has_value() == tree.has_value());
        if (tree) {
            CHECK(*parsed == *tree);
            read_by_tree.push_back(i);
        } else {
            CHECK(!error.empty());
        }
    }
    // The unknown key (ignored), the repeated one (Boost.JSON keeps one), the integral double,
    // escapes, the escaped key with an exponent, UTF-8 text, minus zero.
    CHECK(read_by_tree == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
    std::string error;
    CHECK(by_parse(others[3], error)->s == "tab\there \"q\" \u00e9\U0001F600");
    CHECK(!by_parse(others[11], error));
    CHECK(error == "pgorm: JSON at $.s: expected a string, got null (reading jw::flat)");
    CHECK(!by_parse(others[17], error));
    CHECK(error == "pgorm: JSON at $.f: missing member (C++ jw::flat::f is not std::optional) (reading jw::flat)");

    // Generated documents, members in random order: clean ones (every value fits, optional
    // members sometimes left out) must take the fast path; ones with a single fault, or random
    // ones, must give what the tree path gives.
    std::mt19937 rng(1234);
    struct member_values {
        std::string key;
        std::vector<std::string> fit, slow, misfit;
        bool required;
    };
    // fit: the fast path reads it; slow: only the tree path does; misfit: nobody does.
    const std::vector<member_values> members = {
        {"a", {"0", "-1", "9223372036854775807", "-9223372036854775808"}, {"1.0", "-0"}, {"9223372036854775808", "1.5", "\"1\"", "null"}, true},
        {"s", {"\"\"", "\"abc\"", "\"a b~\""}, {"\"\\u0000x\"", "\"\\\\\""}, {"1", "null"}, true},
        {"small", {"5", "-7"}, {"3e2"}, {"-2147483649", "false"}, true},
        {"d", {"null", "1", "18446744073709551615"}, {"-0.5", "1e308"}, {"\"x\""}, false},
        {"b", {"true", "false"}, {}, {"null", "0"}, true},
        {"os", {"null", "\"z\""}, {"\"\\ud83d\\ude00\""}, {"[]"}, false},
        {"byte", {"0", "255"}, {}, {"256", "-1"}, true},
        {"f", {"1", "-3"}, {"3.5", "-1e-3"}, {"{}"}, true},
        {"preset", {"null", "3"}, {}, {"4294967296"}, false},
        {"zzz", {}, {"1", "[1,{\"a\":2}]"}, {}, false},
    };
    auto pick = [&](const std::vector<std::string>& v) { return v[rng_index(rng, v.size())]; };
    int clean_fast = 0, tree_read = 0;
    for (int round = 0; round < 3000; ++round) {
        const int kind = round % 3;  // 0 clean, 1 one fault, 2 anything
        const std::size_t faulty = rng_index(rng, members.size());
        std::vector<std::size_t> order(members.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::shuffle(order.begin(), order.end(), rng);
        std::string text = "{";
        for (std::size_t i : order) {
            const auto& m = members[i];
            const bool fault = kind == 2 ? rng() % 3 == 0 : kind == 1 && i == faulty;
            std::string value;
            if (fault) {
                const bool slow = rng() % 2 == 0 && !m.slow.empty();
                if (!slow && (m.misfit.empty() || (m.required && rng() % 4 == 0))) continue;  // left out
                value = pick(slow ? m.slow : m.misfit);
            } else {
                if (m.fit.empty() || (!m.required && rng() % 3 == 0)) continue;
                value = pick(m.fit);
            }
            if (text.size() > 1) text += ',';
            text += "\"" + m.key + "\":" + value;
        }
        text += "}";
        INFO(text);
        auto fast = by_fast(text);
        auto tree = by_tree(text);
        auto parsed = by_parse(text, error);
        if (kind == 0) {
            CHECK(fast);
            clean_fast += fast.has_value();
        }
        if (fast) {
            REQUIRE(tree);
            CHECK(*fast == *tree);
        }
        REQUIRE(parsed.has_value() == tree.has_value());
        if (tree) {
            CHECK(*parsed == *tree);
            tree_read += !fast;
        }
    }
    CHECK(clean_fast == 1000);
    CHECK(tree_read > 100);  // the slow values, the unknown key
}

TEST_CASE("jsonb<T>::parse of a flat struct: strings are scanned 8 bytes a step without missing a byte that "
          "ends them or needs the tree path",
          "[unit][json]") {
    using jw::flat;
    // Each byte class at each position of strings up to 24 bytes: '"' and '\\' (written escaped),
    // a raw control byte (malformed), UTF-8 and 0x80 (tree path), and plain bytes next to them.
    for (std::size_t n = 0; n <= 24; ++n)
        for (const char* special : {"\\\"", "\\\\", "\x01", "\x1f", "\xc3\xa9", "\x80", " ", "\x7f", "~"})
            for (std::size_t at = 0; at <= n; ++at) {
                std::string value(n, 'q');
                value.insert(at, special);
                const std::string text = R"({"a":1,"s":")" + value + R"(","small":0,"b":true,"byte":1,"f":1})";
                INFO(text);
                std::optional<flat> tree;
                try {
                    tree = pgorm::from_json<flat>(boost::json::parse(text));
                } catch (const std::exception&) {
                }
                flat fast{};
                const bool took = pgorm::detail::json_flat::read(text, fast);
                const bool plain = std::string_view(special) == " " || std::string_view(special) == "\x7f" ||
                                   std::string_view(special) == "~";
                CHECK(took == plain);  // the scanner takes exactly the printable ASCII strings
                if (took) {
                    REQUIRE(tree);
                    CHECK(fast == *tree);
                }
                std::optional<flat> parsed;
                try {
                    parsed = *pgorm::jsonb<flat>::parse(text);
                } catch (const pgorm::decode_error&) {
                }
                REQUIRE(parsed.has_value() == tree.has_value());
                if (tree) CHECK(*parsed == *tree);
            }
}
