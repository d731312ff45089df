// core/copy.hpp (binary COPY FROM STDIN) and core/pipeline.hpp (pipeline batches).
#include "support.hpp"

#include <pgorm/core/copy.hpp>
#include <pgorm/core/pipeline.hpp>

#include <tuple>
#include <vector>

using namespace pgorm;
using pgorm_test::fresh_db;

namespace {
struct Item {
    std::int64_t id;
    std::string name;
    std::optional<std::string> note;
    std::int32_t qty;
    double price;
    bool active;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, name, note, qty, price, active))
PGORM_TABLE(Item, "items", key(&Item::id));

void make_items(connection& c) {
    c.execute_script("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, note text, qty integer NOT NULL,"
           " price double precision NOT NULL, active boolean NOT NULL)");
}
}  // namespace

TEST_CASE("binary COPY loads described structs and tuples", "[copy]") {
    fresh_db db;
    auto c = db.connect();
    make_items(c);

    std::vector<Item> items;
    for (std::int64_t i = 1; i <= 5000; ++i)
        items.push_back({i, "item " + std::to_string(i), i % 2 ? std::optional<std::string>{} : "even", int(i % 7), i * 0.5,
                         i % 3 == 0});
    CHECK(copy_in(c, items) == 5000);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 5000);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items WHERE note IS NULL") == 2500);
    auto back = c.query<Item>("SELECT * FROM items WHERE id = $1", std::int64_t{42});
    REQUIRE(back.size() == 1);
    CHECK(back[0].name == "item 42");
    CHECK(back[0].note == "even");
    CHECK(back[0].qty == 0);
    CHECK(back[0].price == 21.0);
    CHECK(back[0].active);

    std::vector<std::tuple<std::string, std::string>> orgs{{"org_a", "Acme Inc"}, {"org_b", "Globex"}};
    CHECK(copy_in(c, "organizations", {"id", "name"}, orgs) == 2);
    CHECK(c.query_value<std::string>("SELECT name FROM organizations WHERE id = 'org_b'") == "Globex");

    copy_writer w{c, "items", {"id", "name", "qty", "price", "active"}};
    w.write_row(std::int64_t{9001}, std::string("by hand"), std::int32_t{3}, 1.5, false);
    CHECK(w.rows_written() == 1);
    CHECK(w.finish() == 1);
    CHECK(c.query_value<std::string>("SELECT name FROM items WHERE id = 9001") == "by hand");
}

TEST_CASE("binary COPY errors", "[copy][errors]") {
    fresh_db db;
    auto c = db.connect();
    make_items(c);

    SECTION("a duplicate key fails the whole COPY as unique_violation") {
        std::vector<Item> items{{1, "a", {}, 1, 1, true}, {1, "b", {}, 1, 1, true}};
        CHECK_THROWS_AS(copy_in(c, items), unique_violation);
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 0);
    }
    SECTION("a C++ type that does not match the column type") {
        copy_writer w{c, "items", {"id", "name", "qty", "price", "active"}};
        w.write_row(std::int32_t{1}, std::string("x"), std::int32_t{1}, 1.0, true);  // int4 into bigint
        try {
            w.finish();
            FAIL("expected a data_exception");
        } catch (const data_exception& e) {
            CHECK_THAT(e.what(), Catch::Contains("does not match the column types"));
        }
    }
    SECTION("a row of the wrong width") {
        copy_writer w{c, "items", {"id", "name"}};
        CHECK_THROWS_WITH(w.write_row(std::int64_t{1}), Catch::Contains("1 value(s) for 2 column(s)"));
    }
    SECTION("an unknown table") {
        CHECK_THROWS_AS((copy_writer{c, "no_such_table", {"id"}}), undefined_table);
    }
    SECTION("no columns") {
        CHECK_THROWS_AS((copy_writer{c, "items", std::vector<std::string_view>{}}), usage_error);
    }
    SECTION("a writer dropped before finish stores nothing") {
        {
            copy_writer w{c, "items", {"id", "name", "qty", "price", "active"}};
            w.write_row(std::int64_t{1}, std::string("x"), std::int32_t{1}, 1.0, true);
        }
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 0);
    }
    SECTION("finish twice") {
        copy_writer w{c, "items", {"id", "name", "qty", "price", "active"}};
        CHECK(w.finish() == 0);
        CHECK_THROWS_AS(w.finish(), usage_error);
        CHECK_THROWS_AS(w.write_row(std::int64_t{1}, std::string("x"), std::int32_t{1}, 1.0, true), usage_error);
    }
    // The connection is usable after every failure.
    CHECK(c.query_value<std::int64_t>("SELECT 1::bigint") == 1);
}

TEST_CASE("pipeline batches run in one round trip, results in order", "[pipeline]") {
    fresh_db db;
    auto c = db.connect();
    make_items(c);

    pipeline p{c};
    CHECK(p.sync().empty());
    for (std::int64_t i = 1; i <= 3; ++i)
        CHECK(p.execute("INSERT INTO items VALUES ($1, $2, NULL, $3, $4, true) RETURNING id * 10", i,
                        "p" + std::to_string(i), std::int32_t{1}, 2.0) == static_cast<std::size_t>(i - 1));
    p.execute("UPDATE items SET qty = qty + $1 WHERE id <= $2", std::int32_t{5}, std::int64_t{2});
    p.execute("SELECT sum(qty)::bigint FROM items");
    CHECK(p.size() == 5);
    auto results = p.sync();
    REQUIRE(results.size() == 5);
    CHECK(p.empty());
    CHECK(results[0].value<std::int64_t>() == 10);
    CHECK(results[2].value<std::int64_t>() == 30);
    CHECK(results[3].affected_rows() == 2);
    CHECK(results[4].value<std::int64_t>() == 13);
    CHECK_FALSE(p.failed_index());

    SECTION("a large batch does not deadlock on full socket buffers") {
        for (std::int64_t i = 100; i < 20100; ++i) p.execute("SELECT $1::bigint, repeat('x', 200)", i);
        auto many = p.sync();
        REQUIRE(many.size() == 20000);
        CHECK(many.back().get<std::int64_t>(0, 0) == 20099);
    }
    SECTION("without named prepared statements") {
        config cfg = config::from_url(db.url());
        cfg.prepared_statements = false;
        connection u(cfg);
        pipeline q{u};
        q.execute("SELECT $1::bigint + 1", std::int64_t{41});
        q.execute("SELECT $1::text", std::string("x"));
        auto r = q.sync();
        CHECK(r[0].value<std::int64_t>() == 42);
        CHECK(r[1].value<std::string>() == "x");
        CHECK(u.cached_statements() == 0);
    }
}

TEST_CASE("pipeline: the first failure aborts the batch and is reported by index", "[pipeline][errors]") {
    fresh_db db;
    auto c = db.connect();
    make_items(c);
    pipeline p{c};
    p.execute("INSERT INTO items VALUES (1, 'a', NULL, 1, 1, true)");
    p.execute("INSERT INTO items VALUES (2, 'b', NULL, 1, 1, true)");
    p.execute("INSERT INTO items VALUES (1, 'dup', NULL, 1, 1, true)");
    p.execute("INSERT INTO items VALUES (3, 'c', NULL, 1, 1, true)");
    try {
        p.sync();
        FAIL("expected a unique violation");
    } catch (const unique_violation& e) {
        CHECK(e.statement().find("'dup'") != std::string::npos);
    }
    REQUIRE(p.failed_index());
    CHECK(*p.failed_index() == 2);
    // The batch was one implicit transaction: nothing stayed. The connection is usable.
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 0);
    CHECK(c.transaction_status() == PQTRANS_IDLE);
    p.execute("SELECT no_such_column FROM items");
    CHECK_THROWS_AS(p.sync(), undefined_column);  // fails while preparing, inside the pipeline
    CHECK(c.query_value<std::int64_t>("SELECT 2::bigint") == 2);

    // A connection someone left in pipeline mode is refused at the first statement, not corrupted.
    REQUIRE(PQenterPipelineMode(c.native()) == 1);
    CHECK_THROWS_AS(p.execute("SELECT 1"), usage_error);
    CHECK(p.empty());
    CHECK(p.sync().empty());
    REQUIRE(PQexitPipelineMode(c.native()) == 1);
    CHECK(c.query_value<std::int64_t>("SELECT 3::bigint") == 3);
}

TEST_CASE("pipeline: statements go out as they are queued, new texts prepared inside the pipeline",
          "[pipeline]") {
    fresh_db db;
    auto c = db.connect();
    make_items(c);
    const std::size_t cached = c.cached_statements();

    SECTION("20,000 statements of a text the connection has not prepared") {
        pipeline p{c};
        for (std::int64_t i = 1; i <= 20000; ++i)
            p.execute("INSERT INTO items (id, name, qty, price, active) VALUES ($1, $2, $3, $4, $5)", i,
                      "n" + std::to_string(i), std::int32_t{2}, 0.5, i % 2 == 0);
        CHECK(PQpipelineStatus(c.native()) == PQ_PIPELINE_ON);  // sent already, before sync()
        auto r = p.sync();
        REQUIRE(r.size() == 20000);
        CHECK(r.back().affected_rows() == 1);
        CHECK(PQpipelineStatus(c.native()) == PQ_PIPELINE_OFF);
        CHECK(c.cached_statements() == cached + 1);
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items WHERE active") == 10000);
        CHECK(c.query_value<std::string>("SELECT name FROM items WHERE id = 20000") == "n20000");
    }
    SECTION("a statement that fails to prepare aborts the batch and leaves no cache entry") {
        const char* bad = "SELECT count(*) FROM later_table WHERE id = $1";
        pipeline p{c};
        p.execute("INSERT INTO items VALUES (1, 'a', NULL, 1, 1, true)");
        p.execute("INSERT INTO items VALUES (2, 'b', NULL, 1, 1, true)");
        p.execute(bad, std::int64_t{1});
        p.execute("INSERT INTO items VALUES (3, 'c', NULL, 1, 1, true)");
        try {
            p.sync();
            FAIL("expected undefined_table");
        } catch (const undefined_table& e) {
            CHECK(e.statement() == bad);
        }
        REQUIRE(p.failed_index());
        CHECK(*p.failed_index() == 2);
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 0);
        CHECK(c.transaction_status() == PQTRANS_IDLE);
        CHECK(PQpipelineStatus(c.native()) == PQ_PIPELINE_OFF);
        // The prepare after the failure was skipped: the two first texts and the count above stayed cached.
        CHECK(c.cached_statements() == cached + 3);
        // Not poisoned: once the table exists, the same text prepares and runs, in a pipeline and directly.
        c.execute_script("CREATE TABLE later_table (id bigint)");
        p.execute(bad, std::int64_t{1});
        CHECK(p.sync().at(0).value<std::int64_t>() == 0);
        CHECK(c.query_value<std::int64_t>(bad, std::int64_t{1}) == 0);
        CHECK(c.cached_statements() == cached + 4);
    }
    SECTION("a prepare skipped because an earlier statement failed is not cached") {
        pipeline p{c};
        p.execute("INSERT INTO items VALUES (1, 'a', NULL, 1, 1, true)");
        p.execute("INSERT INTO items VALUES (1, 'a', NULL, 1, 1, true)");
        p.execute("SELECT count(*) FROM items WHERE qty = $1", std::int32_t{1});
        CHECK_THROWS_AS(p.sync(), unique_violation);
        CHECK(*p.failed_index() == 1);
        CHECK(c.cached_statements() == cached + 1);
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items WHERE qty = $1", std::int32_t{1}) == 0);
    }
    SECTION("without named prepared statements: large batches and failures") {
        config cfg = config::from_url(db.url());
        cfg.prepared_statements = false;
        connection u(cfg);
        pipeline q{u};
        for (std::int64_t i = 1; i <= 5000; ++i)
            q.execute("INSERT INTO items VALUES ($1, $2, NULL, 1, 1, true)", i, std::string("u"));
        q.execute("SELECT count(*) FROM items");
        auto r = q.sync();
        REQUIRE(r.size() == 5001);
        CHECK(r.back().value<std::int64_t>() == 5000);
        q.execute("INSERT INTO items VALUES ($1, 'x', NULL, 1, 1, true)", std::int64_t{6000});
        q.execute("SELECT nope FROM items");
        q.execute("INSERT INTO items VALUES ($1, 'y', NULL, 1, 1, true)", std::int64_t{6001});
        CHECK_THROWS_AS(q.sync(), undefined_column);
        CHECK(*q.failed_index() == 1);
        CHECK(u.query_value<std::int64_t>("SELECT count(*) FROM items") == 5000);
        CHECK(u.cached_statements() == 0);
    }
    SECTION("a pipeline dropped before sync() discards what it sent") {
        {
            pipeline p{c};
            p.execute("INSERT INTO items VALUES (1, 'a', NULL, 1, 1, true)");
            p.execute("INSERT INTO items VALUES ($1, 'b', NULL, 1, 1, true)", std::int64_t{2});
        }
        CHECK(PQpipelineStatus(c.native()) == PQ_PIPELINE_OFF);
        CHECK(c.transaction_status() == PQTRANS_IDLE);
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 0);
        // Inside a transaction the statements ran already: the transaction is marked failed.
        c.execute_script("BEGIN");
        {
            pipeline p{c};
            p.execute("INSERT INTO items VALUES (1, 'a', NULL, 1, 1, true)");
        }
        CHECK(c.transaction_status() == PQTRANS_INERROR);
        c.execute_script("ROLLBACK");
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 0);
    }
    SECTION("a statement libpq refuses (too many parameters) is a usage_error; the batch goes on") {
        pipeline p{c};
        p.execute("INSERT INTO items VALUES (1, 'a', NULL, 1, 1, true)");
        param_list many;
        for (int i = 0; i < 70000; ++i) many.add(std::int32_t{i});
        CHECK_THROWS_WITH(p.execute("SELECT $1", std::move(many)), Catch::Contains("libpq refused"));
        CHECK(p.size() == 1);
        CHECK(p.sync().size() == 1);
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 1);
    }
    SECTION("a moved pipeline carries its batch") {
        pipeline p{c};
        p.execute("INSERT INTO items VALUES (1, 'a', NULL, 1, 1, true)");
        pipeline q = std::move(p);
        CHECK(p.empty());  // NOLINT: moved-from
        CHECK(p.sync().empty());
        CHECK(q.sync().size() == 1);
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 1);
    }
    CHECK(c.query_value<std::int64_t>("SELECT 7::bigint") == 7);
}
