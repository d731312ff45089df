// Regression tests for issue 11's type defects, each against the real server: arrays of user
// types (domains, enums, composites of them), enum and domain arrays in binary COPY and
// repository<T>::insert_many, JSON null vs SQL NULL, deep JSON, and NUL bytes in text.
#include "support.hpp"

#include <boost/json/value.hpp>

#ifdef PGORM_TYPES_GENERATED
#include "types_crates.hpp"  // pgorm-gen output for tests/types_codegen/ (tests/types_codegen.cmake)
#endif

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace pgorm;
using pgorm_test::empty_db;
using pgorm_test::fresh_db;

namespace {

enum class fruit { apple, pear, plum };
BOOST_DESCRIBE_ENUM(fruit, apple, pear, plum)

void make_user_types(connection& c) {
    c.execute_script("CREATE DOMAIN posint AS integer CHECK (VALUE > 0)");
    c.execute_script("CREATE DOMAIN big_posint AS bigint CHECK (VALUE > 0)");
    c.execute_script("CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%')");
    c.execute_script("CREATE DOMAIN level2 AS posint CHECK (VALUE < 1000)");  // a domain over a domain
    c.execute_script("CREATE DOMAIN ratio AS double precision");
    c.execute_script("CREATE DOMAIN doc AS jsonb");
    c.execute_script("CREATE DOMAIN moment AS timestamptz");
    c.execute_script("CREATE TYPE fruit AS ENUM ('apple', 'pear', 'plum')");
    c.execute_script("CREATE DOMAIN ripe_fruit AS fruit CHECK (VALUE <> 'plum')");  // a domain over an enum
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

struct Basket {
    std::int64_t id = 0;
    std::vector<fruit> fruits;
    std::optional<std::vector<std::optional<fruit>>> maybe;
    std::vector<int> counts;  // posint[]
    std::vector<std::string> owners;  // email[]
    std::vector<fruit> ripe;  // ripe_fruit[]
};
BOOST_DESCRIBE_STRUCT(Basket, (), (id, fruits, maybe, counts, owners, ripe))
PGORM_TABLE(Basket, "baskets", key(&Basket::id));

void make_baskets(connection& c) {
    make_user_types(c);
    c.execute_script("CREATE TABLE baskets (id bigint PRIMARY KEY, fruits fruit[] NOT NULL, maybe fruit[],"
           " counts posint[] NOT NULL, owners email[] NOT NULL, ripe ripe_fruit[] NOT NULL)");
}

std::vector<Basket> baskets(std::int64_t n) {
    std::vector<Basket> out;
    for (std::int64_t i = 1; i <= n; ++i)
        out.push_back({i,
                       {fruit::apple, fruit(i % 3)},
                       i % 2 ? std::nullopt : std::optional<std::vector<std::optional<fruit>>>({fruit::pear, std::nullopt}),
                       {int(i), 7},
                       {"a" + std::to_string(i) + "@x.org"},
                       {fruit::pear}});
    return out;
}

void check_baskets(connection& c, std::int64_t n) {
    auto back = c.query<Basket>("SELECT * FROM baskets ORDER BY id");
    REQUIRE(back.size() == static_cast<std::size_t>(n));
    auto want = baskets(n);
    for (std::size_t i = 0; i < back.size(); ++i) {
        CHECK(back[i].fruits == want[i].fruits);
        CHECK(back[i].maybe == want[i].maybe);
        CHECK(back[i].counts == want[i].counts);
        CHECK(back[i].owners == want[i].owners);
        CHECK(back[i].ripe == want[i].ripe);
    }
}

struct Prefs {
    bool marketing = false;
    std::string company;
};
BOOST_DESCRIBE_STRUCT(Prefs, (), (marketing, company))

}  // namespace

// ---- item 2: arrays of a domain (and of any user type) read and write as their base element

TEST_CASE("an array of a domain reads as its base element type", "[types][regression][domain]") {
    empty_db db;
    auto c = db.connect();
    make_user_types(c);
    c.execute_script("CREATE TABLE dom (xs posint[], x posint, bigs big_posint[], mails email[], deep level2[],"
           " ratios ratio[], docs doc[], moments moment[], fruits ripe_fruit[])");
    c.execute_script("INSERT INTO dom VALUES ('{1,2,3}', 4, '{5000000000}', '{a@b.c,NULL}', '{9}', '{0.5}',"
           " ARRAY['{\"a\": 1}'::doc], ARRAY['2024-01-02 03:04:05+00'::moment], '{apple,pear}')");

    CHECK(c.query_value<std::vector<int>>("SELECT xs FROM dom") == std::vector<int>{1, 2, 3});
    CHECK(c.query_value<std::vector<std::int64_t>>("SELECT xs FROM dom") == std::vector<std::int64_t>{1, 2, 3});
    CHECK(c.query_value<int>("SELECT x FROM dom") == 4);  // a scalar domain is its base type
    CHECK(c.query_value<std::vector<std::int64_t>>("SELECT bigs FROM dom") == std::vector<std::int64_t>{5000000000});
    CHECK(c.query_value<std::vector<std::optional<std::string>>>("SELECT mails FROM dom") ==
          std::vector<std::optional<std::string>>{"a@b.c", std::nullopt});
    CHECK(c.query_value<std::vector<std::int16_t>>("SELECT deep FROM dom") == std::vector<std::int16_t>{9});
    CHECK(c.query_value<std::vector<double>>("SELECT ratios FROM dom") == std::vector<double>{0.5});
    auto docs = c.query_value<std::vector<jsonb<boost::json::value>>>("SELECT docs FROM dom");
    REQUIRE(docs.size() == 1);
    CHECK(docs[0]->at("a") == 1);
    CHECK(c.query_value<std::vector<timestamptz>>("SELECT moments FROM dom").size() == 1);
    CHECK(c.query_value<std::vector<fruit>>("SELECT fruits FROM dom") == std::vector<fruit>{fruit::apple, fruit::pear});
    CHECK(c.query_value<std::vector<std::string>>("SELECT fruits FROM dom") == std::vector<std::string>{"apple", "pear"});

    SECTION("a wider base type that does not fit is refused, not wrapped") {
        c.execute_script("UPDATE dom SET bigs = '{5000000000}'");
        CHECK_THROWS_AS(c.query_value<std::vector<int>>("SELECT bigs FROM dom"), value_out_of_range);
    }
    SECTION("elements of a different size are refused") {
        CHECK_THROWS_AS(c.query_value<std::vector<bool>>("SELECT xs FROM dom"), decode_error);
        CHECK_THROWS_AS(c.query_value<std::vector<boost::uuids::uuid>>("SELECT bigs FROM dom"), decode_error);
    }
    SECTION("a user type that is not an array is not read as one") {
        CHECK_THROWS_AS(c.query_value<std::vector<int>>("SELECT 'apple'::fruit"), decode_error);
    }
}

TEST_CASE("an array of a domain is written from its base element type", "[types][regression][domain]") {
    empty_db db;
    auto c = db.connect();
    make_user_types(c);
    c.execute_script("CREATE TABLE dom (xs posint[], mails email[], fruits ripe_fruit[])");
    c.execute("INSERT INTO dom VALUES ($1, $2, $3)", std::vector<int>{1, 2}, std::vector<std::string>{"x@y.z"},
              std::vector<fruit>{fruit::pear});
    CHECK(c.query_value<std::vector<int>>("SELECT xs FROM dom") == std::vector<int>{1, 2});
    CHECK(c.query_value<std::vector<std::string>>("SELECT mails FROM dom") == std::vector<std::string>{"x@y.z"});
    CHECK(c.query_value<std::vector<fruit>>("SELECT fruits FROM dom") == std::vector<fruit>{fruit::pear});
    CHECK(c.query_value<std::vector<int>>("SELECT $1::posint[]", std::vector<int>{3}) == std::vector<int>{3});
    // The domain's CHECK still runs on every element.
    CHECK_THROWS_AS(c.execute("INSERT INTO dom (xs) VALUES ($1)", std::vector<int>{1, -1}), check_violation);
}

// ---- item 3: enum and domain arrays in binary COPY and insert_many

TEST_CASE("insert_many and copy_in store enum and domain arrays", "[types][regression][copy]") {
    empty_db db;
    auto c = db.connect();
    make_baskets(c);

    SECTION("text-format parameters (enum arrays) next to each other stay apart") {
        CHECK(c.query_value<std::string>("SELECT $1::fruit[]::text || $2::fruit[]::text",
                                         std::vector<fruit>{fruit::apple}, std::vector<fruit>{fruit::pear}) ==
              "{apple}{pear}");
        param_list p;
        p.add(std::vector<fruit>{fruit::plum});
        p.add(std::vector<std::optional<fruit>>{std::nullopt});
        CHECK(c.execute("SELECT $1::fruit[]::text || $2::fruit[]::text", p).get<std::string>(0, 0) == "{plum}{NULL}");
    }
    SECTION("10 rows through repository<T>::insert_many (multi-row INSERT)") {
        repository<Basket> repo{c};
        CHECK(repo.insert_many(baskets(10)) == 10);
        check_baskets(c, 10);
    }
    SECTION("through repository<T>::insert_many on its COPY path") {
        repository<Basket> repo{c};
        repo.copy_threshold = 1;
        CHECK(repo.insert_many(baskets(1200)) == 1200);
        check_baskets(c, 1200);
    }
    SECTION("through copy_in and copy_writer::write_row") {
        CHECK(copy_in(c, baskets(5)) == 5);
        check_baskets(c, 5);
        copy_writer w{c, "baskets", {"id", "fruits", "counts", "owners", "ripe"}};
        w.write_row(std::int64_t{99}, std::vector<fruit>{}, std::vector<int>{1}, std::vector<std::string>{},
                    std::vector<std::optional<fruit>>{fruit::apple});
        CHECK(w.finish() == 1);
        CHECK(c.query_value<std::vector<fruit>>("SELECT fruits FROM baskets WHERE id = 99").empty());
    }
    SECTION("the domain's and the column's checks still run") {
        auto rows = baskets(2);
        rows[1].counts = {0};  // posint > 0
        CHECK_THROWS_AS(copy_in(c, rows), check_violation);
        rows = baskets(2);
        rows[1].ripe = {fruit::plum};  // ripe_fruit <> 'plum'
        CHECK_THROWS_AS(copy_in(c, rows), check_violation);
    }
    SECTION("a C++ element type that is not the column's base type is still refused") {
        copy_writer w{c, "baskets", {"id", "fruits", "counts", "owners", "ripe"}};
        w.write_row(std::int64_t{1}, std::vector<fruit>{}, std::vector<std::int64_t>{1}, std::vector<std::string>{},
                    std::vector<fruit>{});
        CHECK_THROWS_AS(w.finish(), sql_error);
    }
}

#ifdef PGORM_TYPES_GENERATED
TEST_CASE("pgorm-gen code for domain and enum arrays compiles and runs", "[types][regression][codegen]") {
    empty_db db;
    auto c = db.connect();
    std::ifstream schema(PGORM_SOURCE_DIR "/tests/types_codegen/schema.sql");
    c.execute_script(std::string(std::istreambuf_iterator<char>(schema), {}));
    std::vector<crates::LoadCratesParams> rows;
    for (std::int64_t i = 1; i <= 10; ++i)
        rows.push_back({i, {std::int32_t(i), 2}, {crates::Fruit::pear, crates::Fruit::apple}, std::nullopt});
    CHECK(crates::load_crates(c, rows) == 10);  // :copyfrom into posint[] and fruit[]
    crates::add_crate(c, 11, {5}, {crates::Fruit::plum});
    auto back = crates::list_crates(c);  // the result's posint[] and fruit[] columns pass the drift check
    REQUIRE(back.size() == 11);
    CHECK(back[2].counts == std::vector<std::int32_t>{3, 2});
    CHECK(back[2].fruits == std::vector<crates::Fruit>{crates::Fruit::pear, crates::Fruit::apple});
    CHECK(back[10].fruits == std::vector<crates::Fruit>{crates::Fruit::plum});
    CHECK_THROWS_AS(crates::add_crate(c, 12, {0}, {}), check_violation);
}
#endif

// ---- item 4: JSON null vs SQL NULL

TEST_CASE("JSON null reads as nullopt in std::optional of every JSON type", "[types][regression][json]") {
    fresh_db db;
    auto c = db.connect();
    c.execute_script("INSERT INTO organizations (id, name) VALUES ('org_1', 'Acme')");
    c.execute_script("INSERT INTO users (user_id, organization_id, email, preferences) VALUES"
           " ('usr_json', 'org_1', 'j@x.org', 'null'), ('usr_sql', 'org_1', 's@x.org', NULL),"
           " ('usr_obj', 'org_1', 'o@x.org', '{\"marketing\": true, \"company\": \"Acme\"}')");
    auto prefs = [&](const char* id) {
        return c.query_value<std::optional<jsonb<Prefs>>>("SELECT preferences FROM users WHERE user_id = $1",
                                                          std::string(id));
    };
    CHECK_FALSE(prefs("usr_json").has_value());
    CHECK_FALSE(prefs("usr_sql").has_value());
    REQUIRE(prefs("usr_obj").has_value());
    CHECK(prefs("usr_obj").value()->company == "Acme");

    // The same for json (with spaces around null), raw text and arrays of optional documents.
    CHECK_FALSE(c.query_value<std::optional<jsonb<Prefs>>>("SELECT ' null '::json").has_value());
    CHECK_FALSE(c.query_value<std::optional<json>>("SELECT ' null '::json").has_value());
    CHECK_FALSE(c.query_value<std::optional<jsonb_text>>("SELECT 'null'::jsonb").has_value());
    CHECK_FALSE(c.query_value<std::optional<jsonb<boost::json::value>>>("SELECT 'null'::jsonb").has_value());
    auto many = c.query_value<std::vector<std::optional<jsonb<Prefs>>>>(
        "SELECT ARRAY['null'::jsonb, NULL, '{\"marketing\": false, \"company\": \"B\"}']");
    REQUIRE(many.size() == 3);
    CHECK_FALSE(many[0].has_value());
    CHECK_FALSE(many[1].has_value());
    CHECK(many[2].has_value());
    // A string "null" is not JSON null.
    CHECK(c.query_value<std::optional<jsonb<std::string>>>("SELECT '\"null\"'::jsonb") == jsonb<std::string>("null"));

    SECTION("a non-optional jsonb<T> says why JSON null does not fit") {
        try {
            c.query_value<jsonb<Prefs>>("SELECT 'null'::jsonb");
            FAIL("expected decode_error");
        } catch (const decode_error& e) {
            CHECK_THAT(e.what(), Catch::Contains("JSON value is null") && Catch::Contains("std::optional"));
        }
    }
    SECTION("types that hold JSON null themselves keep it") {
        CHECK(c.query_value<jsonb<boost::json::value>>("SELECT 'null'::jsonb")->is_null());
        CHECK_FALSE(c.query_value<jsonb<std::optional<Prefs>>>("SELECT 'null'::jsonb")->has_value());
        CHECK(c.query_value<jsonb_text>("SELECT 'null'::jsonb").text == "null");
    }
    SECTION("writing: nullopt is SQL NULL, an empty jsonb<optional> is JSON null") {
        c.execute("UPDATE users SET preferences = $1 WHERE user_id = 'usr_obj'", std::optional<jsonb<Prefs>>{});
        CHECK(c.query_value<bool>("SELECT preferences IS NULL FROM users WHERE user_id = 'usr_obj'"));
        c.execute("UPDATE users SET preferences = $1 WHERE user_id = 'usr_obj'", jsonb<std::optional<Prefs>>{});
        CHECK(c.query_value<std::string>("SELECT jsonb_typeof(preferences) FROM users WHERE user_id = 'usr_obj'") ==
              "null");
    }
}

// ---- item 5: JSON nesting

TEST_CASE("deep JSON reads back at every depth the server stores", "[types][regression][json]") {
    empty_db db;
    auto c = db.connect();
    for (std::size_t depth : {33u, 64u, 1000u, 10000u}) {
        INFO("depth " << depth);
        const std::string text = nested_arrays(depth);
        for (const char* type : {"jsonb", "json"}) {
            INFO(type);
            std::string sql = std::string("SELECT $1::text::") + type;
            auto v = c.query_value<jsonb<boost::json::value>>(sql, text);
            CHECK(v.dump() == text);
            // Written by pgorm, read back by pgorm.
            auto again = c.query_value<jsonb<boost::json::value>>(std::string("SELECT $1::") + type, v);
            CHECK(again.dump() == text);
        }
        CHECK(c.query_value<jsonb<boost::json::value>>("SELECT $1::jsonb", jsonb_text(text)).dump() == text);
    }
    SECTION("nested objects and typed values") {
        std::string text;
        for (int i = 0; i < 5000; ++i) text += "{\"a\":";
        text += "1" + std::string(5000, '}');
        CHECK(c.query_value<jsonb<boost::json::value>>("SELECT $1::text::jsonb", text).dump() == text);
        auto vv = c.query_value<jsonb<std::vector<std::vector<int>>>>("SELECT '[[1],[2,3]]'::json");
        CHECK(vv->size() == 2);
    }
    SECTION("the limit is configurable and named in the error, both ways") {
        const std::size_t old = json_max_depth();
        set_json_max_depth(40);
        try {
            c.query_value<jsonb<boost::json::value>>("SELECT $1::text::jsonb", nested_arrays(41));
            FAIL("expected decode_error");
        } catch (const decode_error& e) {
            CHECK_THAT(e.what(), Catch::Contains("json_max_depth() = 40") && Catch::Contains("set_json_max_depth"));
        }
        auto deep = c.query_value<jsonb<boost::json::value>>("SELECT $1::text::jsonb", nested_arrays(40));
        set_json_max_depth(39);
        CHECK_THROWS_WITH(c.query_value<int>("SELECT 1 WHERE $1 IS NOT NULL", deep),
                          Catch::Contains("cannot send") && Catch::Contains("json_max_depth() = 39"));
        set_json_max_depth(old);
        CHECK_THROWS_AS(set_json_max_depth(0), usage_error);
    }
}

// ---- item 9: NUL bytes in text

TEST_CASE("a NUL inside text is refused on every path, never dropped", "[types][regression][nul]") {
    empty_db db;
    auto c = db.connect();
    auto refused = [](auto&& call) {
        try {
            call();
            FAIL("expected value_out_of_range");
        } catch (const value_out_of_range& e) {
            CHECK_THAT(e.what(), Catch::Contains("NUL"));
        }
    };
    using namespace std::string_literals;
    using namespace std::string_view_literals;
    refused([&] { c.query_value<std::string>("SELECT $1::text", "ab\0cd"); });
    refused([&] { c.query_value<std::string>("SELECT $1::text", "ab\0cd"s); });
    refused([&] { c.query_value<std::string>("SELECT $1::text", "ab\0cd"sv); });
    refused([&] { c.query_value<std::string>("SELECT $1::text", std::optional<std::string>("ab\0cd"s)); });
    refused([&] { c.query_value<std::string>("SELECT $1::text", std::vector<std::string>{"ok", "ab\0cd"s}); });
    refused([&] { c.query_value<std::string>("SELECT $1::text", std::vector<std::string_view>{"ab\0cd"sv}); });
    refused([&] { c.query_value<std::string>("SELECT $1::text", json("\"ab\0cd\""s)); });
    refused([&] { c.query_value<std::string>("SELECT $1::text", jsonb_text("\"ab\0cd\""s)); });
    refused([&] { c.query_value<std::string>("SELECT $1::text", jsonb<std::string>("ab\0cd"s)); });
    refused([&] {
        c.query_value<std::string>("SELECT $1::text", jsonb<std::map<std::string, int>>({{"k\0"s, 1}}));
    });
    param_list p;
    refused([&] { p.add("ab\0cd"s); });

    c.execute_script("CREATE TABLE t (s text)");
    refused([&] {
        copy_writer w{c, "t", {"s"}};
        w.write_row("ab\0cd"s);
    });

    // A char buffer is a C string: it ends at its first NUL, trailing NULs are padding.
    char buffer[16] = "plain";
    CHECK(c.query_value<std::string>("SELECT $1::text", buffer) == "plain");
    const char* pointer = "ab\0cd";
    CHECK(c.query_value<std::string>("SELECT $1::text", pointer) == "ab");  // a const char* ends at its NUL
    CHECK(c.query_value<std::string>("SELECT $1::text", "") == "");
}
