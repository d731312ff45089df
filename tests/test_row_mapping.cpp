// Row mapping (core/row_mapping.hpp): one reader for the connection, the repository, streaming
// and generated code, which reports every problem of a result in one exception.
#include "support.hpp"

#include <pgorm/core/detail/generated_support.hpp>

#include <span>
#include <string_view>
#include <tuple>

using namespace pgorm;
using pgorm_test::empty_db;

namespace rm {
struct Gadget {
    std::int64_t id = 0;
    std::string name;
    std::int32_t weight = 0;
    std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(Gadget, (), (id, name, weight, note))
PGORM_TABLE(Gadget, "gadgets", key(&Gadget::id));

struct Maker {
    std::int64_t id = 0;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(Maker, (), (id, name))

// The shape pgorm-gen writes for `SELECT sqlc.embed(g), sqlc.embed(m) ... LEFT JOIN`.
struct GadgetWithMaker {
    Gadget g;
    std::optional<Maker> m;
};
BOOST_DESCRIBE_STRUCT(GadgetWithMaker, (), (g, m))

struct Plain {
    std::int64_t n;
    std::string s;
};

struct WithView {
    std::int64_t id;
    std::string_view text;
};
BOOST_DESCRIBE_STRUCT(WithView, (), (id, text))
}  // namespace rm

// Rows handed back to the caller must own their data; compile_fail/ checks the messages.
static_assert(owning_row<rm::Gadget> && owning_row<rm::GadgetWithMaker> && owning_row<rm::Plain>);
static_assert(owning_row<std::tuple<int, std::string, std::optional<std::vector<std::byte>>>>);
static_assert(!owning_row<std::string_view> && !owning_row<std::optional<std::string_view>>);
static_assert(!owning_row<std::tuple<int, std::string_view>> && !owning_row<std::pair<std::string_view, int>>);
static_assert(!owning_row<std::vector<std::string_view>> && !owning_row<std::span<const std::byte>>);
static_assert(!owning_row<rm::WithView> && !owning_row<const char*>);

namespace {
connection gadgets_db(const empty_db& db) {
    auto c = db.connect();
    c.execute_script("CREATE TABLE makers (id bigint PRIMARY KEY, name text NOT NULL);"
           "CREATE TABLE gadgets (id bigint PRIMARY KEY, name text NOT NULL, weight integer NOT NULL, note text,"
           "                      maker_id bigint REFERENCES makers);"
           "INSERT INTO makers VALUES (1, 'Acme');"
           "INSERT INTO gadgets VALUES (10, 'anvil', 50, NULL, 1), (11, 'rope', 2, 'long', NULL);");
    return c;
}

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(nothing thrown)";
}
}  // namespace

TEST_CASE("a struct read by name reports every missing member, unused column and type at once", "[row_mapping]") {
    empty_db db;
    auto c = gadgets_db(db);
    REQUIRE(c.query<rm::Gadget>("SELECT id, name, weight, note FROM gadgets ORDER BY id").size() == 2);

    SECTION("two members missing, one column unused, one type wrong") {
        const char* sql = "SELECT id, name::bigint AS name, maker_id FROM gadgets WHERE name ~ '^[0-9]+$'";
        CHECK_THROWS_AS(c.query<rm::Gadget>(sql), column_mismatch);
        std::string m = message_of([&] { c.query<rm::Gadget>(sql); });
        INFO(m);
        CHECK(m.find("4 problems reading") != std::string::npos);
        CHECK(m.find("no column \"weight\"") != std::string::npos);
        CHECK(m.find("no column \"note\"") != std::string::npos);
        CHECK(m.find("result column \"maker_id\" has no member") != std::string::npos);
        CHECK(m.find("column \"name\" has type bigint") != std::string::npos);
    }
    SECTION("only types wrong: type_mismatch naming each column") {
        const char* sql = "SELECT id::text AS id, name, weight::float8 AS weight, note FROM gadgets";
        CHECK_THROWS_AS(c.query<rm::Gadget>(sql), type_mismatch);
        std::string m = message_of([&] { c.query<rm::Gadget>(sql); });
        INFO(m);
        CHECK(m.find("2 problems") != std::string::npos);
        CHECK(m.find("column \"id\" has type text") != std::string::npos);
        CHECK(m.find("column \"weight\" has type double precision") != std::string::npos);
    }
    SECTION("the columns are checked even when no row comes back") {
        CHECK_THROWS_AS(c.query_one<rm::Gadget>("SELECT id, name FROM gadgets WHERE false"), column_mismatch);
        CHECK_THROWS_AS(c.query<rm::Gadget>("SELECT id, name, weight::text AS weight, note FROM gadgets WHERE false"),
                        type_mismatch);
    }
    SECTION("one problem reads as before, without a count") {
        std::string m = message_of([&] { c.query<rm::Gadget>("SELECT id, name, weight FROM gadgets"); });
        CHECK(m == "pgorm: struct rm::Gadget has member \"note\" but the result has no column \"note\" "
                   "(columns: id, name, weight)");
    }
}

TEST_CASE("tuples and aggregates are read by position, count and types checked together", "[row_mapping]") {
    empty_db db;
    auto c = gadgets_db(db);
    auto t = c.query<std::tuple<std::int64_t, std::string>>("SELECT id, name FROM gadgets ORDER BY id");
    REQUIRE(t.size() == 2);
    CHECK(std::get<1>(t[1]) == "rope");
    auto p = c.query<rm::Plain>("SELECT weight::bigint, name FROM gadgets ORDER BY id");
    CHECK(p[0].n == 50);

    CHECK_THROWS_WITH((c.query<std::tuple<std::int64_t, std::string>>("SELECT id FROM gadgets")),
                      Catch::Contains("the result has 1 column(s) but") && Catch::Contains("takes 2"));
    std::string m = message_of([&] { c.query<std::tuple<std::string, std::int64_t>>("SELECT id, name FROM gadgets"); });
    INFO(m);
    CHECK(m.find("2 problems") != std::string::npos);
    CHECK(m.find("column \"id\" has type bigint") != std::string::npos);
    CHECK(m.find("column \"name\" has type text") != std::string::npos);
}

TEST_CASE("result::check_column accepts a fitting column and names the column and both types otherwise",
          "[row_mapping]") {
    empty_db db;
    auto c = gadgets_db(db);
    result r = c.execute("SELECT id, name FROM gadgets WHERE id = $1", std::int64_t{1});
    CHECK_NOTHROW(r.check_column<std::int64_t>(0));
    CHECK_NOTHROW(r.check_column<std::optional<std::string>>(1));
    CHECK_THROWS_AS(r.check_column<std::string>(0), type_mismatch);
    CHECK_THROWS_WITH(r.check_column<std::int32_t>(1),
                      Catch::StartsWith("pgorm: column \"name\" has type text, which C++ type int"));
    // Simple-protocol results arrive as text: only text-like types read them.
    result text = c.execute_script("SELECT 1::bigint AS n");
    CHECK_NOTHROW(text.check_column<std::string>(0));
    CHECK_THROWS_WITH(text.check_column<std::int64_t>(0), Catch::Contains("column \"n\" arrived in text format"));
}

TEST_CASE("NULLs into non-optional members are named together, for the row they are in", "[row_mapping]") {
    empty_db db;
    auto c = gadgets_db(db);
    const char* sql = "SELECT id, NULL::text AS name, NULL::integer AS weight, NULL::text AS note FROM gadgets";
    CHECK_THROWS_AS(c.query<rm::Gadget>(sql), unexpected_null);
    std::string m = message_of([&] { c.query<rm::Gadget>(sql); });
    INFO(m);
    CHECK(m.find("row 0:") != std::string::npos);
    CHECK(m.find("column \"name\" of table gadgets is NULL, but member name") != std::string::npos);
    CHECK(m.find("column \"weight\" of table gadgets is NULL, but member weight") != std::string::npos);
    CHECK(m.find("\"note\"") == std::string::npos);  // std::optional: NULL is fine

    // A single NULL keeps the one-problem message.
    CHECK_THROWS_WITH(c.query_value<std::int64_t>("SELECT NULL::bigint"),
                      "pgorm: column \"int8\" is NULL, but the target (long int) is not std::optional");
}

TEST_CASE("the repository, streaming and generated code read through the same mapper", "[row_mapping]") {
    empty_db db;
    auto c = gadgets_db(db);
    repository<rm::Gadget> gadgets{c};
    REQUIRE(gadgets.get(std::int64_t{11})->note == std::optional<std::string>("long"));

    SECTION("embedded tables by position; an all-NULL one is std::nullopt") {
        auto r = c.execute("SELECT g.id, g.name, g.weight, g.note, m.id, m.name FROM gadgets g "
                           "LEFT JOIN makers m ON m.id = g.maker_id ORDER BY g.id");
        auto rows = generated::all_rows<rm::GadgetWithMaker>(r, "GadgetsWithMaker");
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].m->name == "Acme");
        CHECK(rows[1].g.name == "rope");
        CHECK_FALSE(rows[1].m.has_value());
        int seen = 0;
        generated::for_each_row<rm::GadgetWithMaker>(
            c, "SELECT g.id, g.name, g.weight, g.note, m.id, m.name FROM gadgets g LEFT JOIN makers m ON m.id = g.maker_id",
            "GadgetsWithMaker", [&](rm::GadgetWithMaker&& row) { seen += row.m ? 1 : 0; });
        CHECK(seen == 1);
    }
    SECTION("a half-NULL embedded table names its NULL member") {
        auto r = c.execute("SELECT id, name, weight, note, 7::bigint, NULL::text FROM gadgets");
        CHECK_THROWS_WITH(generated::all_rows<rm::GadgetWithMaker>(r, "Q"),
                          Catch::Contains("is NULL, but member name (") && !Catch::Contains("member id"));
    }
    SECTION("generated code: every stale column in one message, with the query and the hint") {
        c.execute_script("ALTER TABLE gadgets ALTER COLUMN name TYPE bytea USING name::bytea, "
               "ALTER COLUMN weight TYPE real");
        auto r = c.execute("SELECT g.id, g.name, g.weight, g.note, m.id, m.name FROM gadgets g "
                           "LEFT JOIN makers m ON m.id = g.maker_id");
        std::string m = message_of([&] { generated::all_rows<rm::GadgetWithMaker>(r, "GadgetsWithMaker"); });
        INFO(m);
        CHECK(m.starts_with("pgorm: query GadgetsWithMaker: 2 problems"));
        CHECK(m.find("column \"name\" has type bytea") != std::string::npos);
        CHECK(m.find("column \"weight\" has type real") != std::string::npos);
        CHECK(m.ends_with("run pgorm-gen again against it"));

        SECTION("the repository reports both too") {
            std::string rm_msg = message_of([&] { gadgets.find(); });
            INFO(rm_msg);
            CHECK(rm_msg.find("2 problems") != std::string::npos);
            CHECK_THROWS_AS(gadgets.get(std::int64_t{10}), type_mismatch);
            CHECK_THROWS_AS(gadgets.for_each({}, [](const rm::Gadget&) {}), type_mismatch);
        }
    }
    SECTION("streamed rows: a NULL into a non-optional member stops the stream") {
        param_list none;
        int n = 0;
        CHECK_THROWS_AS(stream_rows<rm::Gadget>(c, "SELECT id, name, weight, note FROM gadgets UNION ALL "
                                                   "SELECT 12, NULL, 1, NULL ORDER BY 1",
                                                none, [&](const rm::Gadget&) { ++n; }),
                        unexpected_null);
        CHECK(n == 2);
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM gadgets") == 2);  // connection still usable
    }
}
