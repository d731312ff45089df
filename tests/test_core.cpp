// Core: connection, parameters, result mapping and the error paths of issue 2.
#include "support.hpp"

#include <tuple>

using namespace pgorm;
using pgorm_test::fresh_db;

namespace {
struct Org {
    std::string id;
    std::string name;
    std::optional<std::string> storytime;
};
BOOST_DESCRIBE_STRUCT(Org, (), (id, name))

struct OrgRow {
    std::string id;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(OrgRow, (), (id, name))
PGORM_TABLE(OrgRow, "organizations", key(&OrgRow::id), defaults(&OrgRow::id));

struct Plain {  // not described: mapped by position through Boost.PFR
    std::int64_t n;
    std::string s;
};
}  // namespace

TEST_CASE("statements bind parameters and map rows", "[core]") {
    fresh_db db;
    auto c = db.connect();
    auto id = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ($1) RETURNING id", "Acme Inc");
    CHECK(id.starts_with("org_"));

    auto rows = c.query<OrgRow>("SELECT id, name FROM organizations WHERE id = $1", id);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].name == "Acme Inc");

    auto t = c.query_one<std::tuple<std::int64_t, std::optional<std::string>>>("SELECT 42::bigint, NULL::text");
    REQUIRE(t);
    CHECK(std::get<0>(*t) == 42);
    CHECK_FALSE(std::get<1>(*t).has_value());

    auto p = c.query<Plain>("SELECT 7::int, 'seven'");
    REQUIRE(p.size() == 1);
    CHECK(p[0].n == 7);
    CHECK(p[0].s == "seven");

    CHECK(table<OrgRow>::name == "organizations");
    CHECK(table<OrgRow>::is_key[0]);
    CHECK(table<OrgRow>::has_default[0]);
    CHECK_FALSE(table<OrgRow>::has_default[1]);
}

TEST_CASE("prepared statements are cached per connection", "[core]") {
    fresh_db db;
    auto c = db.connect();
    for (int i = 0; i < 5; ++i) CHECK(c.query_value<std::int64_t>("SELECT $1::bigint + 1", std::int64_t{i}) == i + 1);
    CHECK(c.cached_statements() == 1);
    config cfg = config::from_url(db.url());
    cfg.prepared_statements = false;
    connection unnamed(cfg);
    CHECK(unnamed.query_value<std::int64_t>("SELECT $1::bigint * 2", std::int64_t{21}) == 42);
    CHECK(unnamed.cached_statements() == 0);
}

TEST_CASE("bad input gets a clear error", "[core][errors]") {
    fresh_db db;
    auto c = db.connect();

    SECTION("malformed URL") {
        CHECK_THROWS_AS(config::from_url("not a url"), config_error);
        CHECK_THROWS_WITH(config::from_url("mysql://x@y/z"), Catch::Contains("unsupported URL scheme"));
        CHECK_THROWS_WITH(config::from_url("postgresql://u:secret@host:notaport/db"), Catch::Contains("malformed"));
        CHECK_THROWS_WITH(config::from_url("postgresql://u:secret@host:notaport/db"), !Catch::Contains("secret"));
    }
    SECTION("key=value connection strings work like URLs") {
        auto& server = pgorm_test::server();
        if (!server.external()) {
            connection kv("host=127.0.0.1 port=" + std::to_string(server.port()) + " user=postgres dbname=" +
                          db.db.name());
            CHECK(kv.query_value<std::int64_t>("SELECT 1::bigint") == 1);
        }
        CHECK_THROWS_WITH(config::parse("just words"), Catch::Contains("malformed connection string"));
        CHECK_THROWS_AS(config::parse("host=x nosuchkey=1"), config_error);
        CHECK_THROWS_WITH(config::parse("host=x password=hunter2 nosuchkey=1"), !Catch::Contains("hunter2"));
    }
    SECTION("unreachable server") {
        CHECK_THROWS_AS(connection("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"), connection_error);
    }
    SECTION("a result column the struct lacks") {
        CHECK_THROWS_WITH(c.query<OrgRow>("SELECT id, name, created_at FROM organizations"),
                          Catch::Contains("created_at") && Catch::Contains("no member"));
    }
    SECTION("a struct member the result lacks") {
        CHECK_THROWS_WITH(c.query<OrgRow>("SELECT id FROM organizations"),
                          Catch::Contains("\"name\"") && Catch::Contains("no column"));
    }
    SECTION("NULL into a non-optional member") {
        c.execute("INSERT INTO organizations (name) VALUES ('x')");
        CHECK_THROWS_AS(c.query<OrgRow>("SELECT id, NULL::text AS name FROM organizations"), unexpected_null);
        CHECK_THROWS_WITH(c.query<OrgRow>("SELECT id, NULL::text AS name FROM organizations"),
                          Catch::Contains("organizations") && Catch::Contains("name"));
    }
    SECTION("type mismatch names both types") {
        CHECK_THROWS_AS(c.query_value<std::int64_t>("SELECT 'abc'::text"), type_mismatch);
        CHECK_THROWS_WITH(c.query_value<std::int64_t>("SELECT 'abc'::text AS label"),
                          Catch::Contains("label") && Catch::Contains("text") && Catch::Contains("long"));
    }
    SECTION("a value that does not fit") {
        CHECK_THROWS_AS(c.query_value<std::int16_t>("SELECT 70000::bigint"), value_out_of_range);
        CHECK(c.query_value<std::int16_t>("SELECT 7000::bigint") == 7000);
    }
    SECTION("server errors keep their SQLSTATE class") {
        c.execute("INSERT INTO organizations (id, name) VALUES ('org_1', 'a')");
        CHECK_THROWS_AS(c.execute("INSERT INTO organizations (id, name) VALUES ('org_1', 'b')"), unique_violation);
        CHECK_THROWS_AS(c.execute("INSERT INTO organizations (id, name) VALUES ('bad', 'b')"), check_violation);
        CHECK_THROWS_AS(c.execute("INSERT INTO organizations (id, name) VALUES ('org_2', NULL)"), not_null_violation);
        CHECK_THROWS_AS(c.execute("SELECT * FROM no_such_table"), undefined_table);
        CHECK_THROWS_AS(c.execute("SELECT no_such_column FROM organizations"), undefined_column);
        try {
            c.execute("INSERT INTO users (organization_id, email) VALUES ('org_nope', 'a@b.c')");
            FAIL("expected a foreign key violation");
        } catch (const foreign_key_violation& e) {
            CHECK(e.sqlstate() == "23503");
            CHECK(!e.detail().empty());  // kept out of what() by default: docs/errors.md
            CHECK(e.constraint() == "users_organization_id_fkey");
        }
    }
    SECTION("connection loss is its own type") {
        connection victim(db.url());
        c.execute("SELECT pg_terminate_backend($1)", victim.backend_pid());
        CHECK_THROWS_AS(victim.execute("SELECT 1"), connection_lost);
        // Every later call says the connection stays broken and what to do; reconnect() mends it.
        CHECK_FALSE(victim.is_open());
        CHECK_THROWS_WITH(victim.execute("SELECT 1"), Catch::StartsWith("pgorm: connection lost: ") &&
                                                          Catch::Contains("call reconnect()"));
        victim.reconnect();
        CHECK(victim.query_value<std::int32_t>("SELECT $1::int", 7) == 7);
        victim.close();
        CHECK_THROWS_WITH(victim.execute("SELECT 1"), Catch::Contains("closed; call reconnect()"));
    }
}
