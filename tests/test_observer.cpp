// The statement observer (core/observer.hpp): every execution path of a connection reports the
// statement, its parameter count, time, rows and error; a pool passes its observer on.
#include "support.hpp"

#include <string>
#include <vector>

using namespace pgorm;
using pgorm_test::empty_db;

namespace {
struct seen {
    statement_path path;
    std::string sql;
    int parameters;
    std::int64_t rows;
    std::int64_t micros;
    std::string error;  // what() of the exception, empty when it succeeded
};

struct recorder {
    std::vector<seen> events;
    statement_observer observer() {
        return [this](const statement_event& e) {
            std::string why;
            if (e.error) {
                try {
                    std::rethrow_exception(e.error);
                } catch (const std::exception& x) {
                    why = x.what();
                }
            }
            events.push_back({e.path, std::string(e.sql), e.parameters, e.rows, e.duration.count(), why});
        };
    }
};

connection things_db(const empty_db& db) {
    auto c = db.connect();
    c.execute_script("CREATE TABLE things (id bigint PRIMARY KEY, name text NOT NULL)");
    return c;
}

struct thing {
    std::int64_t id;
    std::string name;
};
}  // namespace

TEST_CASE("the observer sees every execution path, with parameters, rows and time", "[observer]") {
    empty_db db;
    auto c = things_db(db);
    recorder rec;
    c.set_observer(rec.observer());

    SECTION("simple protocol and bound parameters (prepared and cached, then by name)") {
        c.execute_script("INSERT INTO things VALUES (1, 'a'), (2, 'b')");
        for (int i = 0; i < 2; ++i) c.execute("UPDATE things SET name = $1 WHERE id = $2", "z", std::int64_t{1});
        auto rows = c.query<thing>("SELECT id, name FROM things ORDER BY id");
        CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM things WHERE id > $1", std::int64_t{0}) == 2);
        REQUIRE(rec.events.size() == 5);
        CHECK(rec.events[0].path == statement_path::simple);
        CHECK(rec.events[0].rows == 2);  // INSERT: rows affected
        CHECK(rec.events[0].parameters == 0);
        CHECK(rec.events[1].path == statement_path::extended);
        CHECK(rec.events[1].sql == "UPDATE things SET name = $1 WHERE id = $2");
        CHECK(rec.events[1].parameters == 2);
        CHECK(rec.events[1].rows == 1);
        CHECK(rec.events[3].rows == 2);  // SELECT: rows returned
        CHECK(rec.events[4].parameters == 1);
        for (const seen& s : rec.events) {
            CHECK(s.error.empty());
            CHECK(s.micros >= 0);
            CHECK(s.micros < 60'000'000);
        }
    }
    SECTION("a pipeline reports each statement at sync, the failed one and those after it with the error") {
        pipeline p{c};
        p.execute("INSERT INTO things VALUES ($1, $2)", std::int64_t{1}, "a");
        p.execute("INSERT INTO things VALUES ($1, $2)", std::int64_t{1}, "dup");
        p.execute("SELECT 1");
        CHECK(rec.events.empty());  // nothing is known before sync
        CHECK_THROWS_AS(p.sync(), unique_violation);
        REQUIRE(rec.events.size() == 3);
        CHECK(rec.events[0].path == statement_path::pipeline);
        CHECK(rec.events[0].parameters == 2);
        CHECK(rec.events[0].error.empty());
        CHECK(rec.events[1].error.find("duplicate key") != std::string::npos);
        CHECK_FALSE(rec.events[2].error.empty());
        CHECK(rec.events[2].parameters == 0);

        rec.events.clear();
        p.execute("INSERT INTO things VALUES ($1, $2)", std::int64_t{5}, "e");
        p.execute("SELECT id FROM things");
        auto results = p.sync();
        REQUIRE(rec.events.size() == 2);
        CHECK(rec.events[0].rows == 1);
        CHECK(rec.events[1].rows == 1);
        CHECK(rec.events[1].sql == "SELECT id FROM things");
    }
    SECTION("COPY reports the rows stored, or the error") {
        {
            copy_writer w(c, "things", {"id", "name"}, false);
            w.write_row(std::int64_t{1}, std::string("a"));
            w.write_row(std::int64_t{2}, std::string("b"));
            CHECK(w.finish() == 2);
        }
        REQUIRE_FALSE(rec.events.empty());
        CHECK(rec.events.back().path == statement_path::copy);
        CHECK(rec.events.back().rows == 2);
        CHECK(rec.events.back().sql.starts_with("COPY \"things\""));
        {
            copy_writer w(c, "things", {"id", "name"}, false);
            w.write_row(std::int64_t{1}, std::string("again"));
            CHECK_THROWS_AS(w.finish(), unique_violation);
        }
        CHECK(rec.events.back().path == statement_path::copy);
        CHECK(rec.events.back().error.find("duplicate key") != std::string::npos);
    }
    SECTION("streams report the rows handed over, and an error from the server or the callback") {
        c.execute_script("INSERT INTO things SELECT g, 'n' || g FROM generate_series(1, 5) g");
        rec.events.clear();
        param_list none;
        CHECK(stream_rows<thing>(c, "SELECT id, name FROM things", none, [](const thing&) {}) == 5);
        REQUIRE(rec.events.size() == 1);
        CHECK(rec.events[0].path == statement_path::stream);
        CHECK(rec.events[0].rows == 5);
        CHECK_THROWS_AS(stream_rows<thing>(c, "SELECT id, name FROM nowhere", none, [](const thing&) {}),
                        undefined_table);
        CHECK(rec.events.back().error.find("nowhere") != std::string::npos);
        CHECK_THROWS_AS(stream_rows<thing>(c, "SELECT id, name FROM things", none,
                                           [](const thing& t) { if (t.id == 2) throw std::runtime_error("stop"); }),
                        std::runtime_error);
        CHECK(rec.events.back().error == "stop");
        CHECK(rec.events.back().rows == 2);
    }
    SECTION("server errors on the simple and extended paths") {
        CHECK_THROWS_AS(c.execute_script("SELECT * FROM nowhere"), undefined_table);
        CHECK_THROWS_AS(c.execute("INSERT INTO things VALUES ($1, NULL)", std::int64_t{1}), not_null_violation);
        REQUIRE(rec.events.size() == 2);
        CHECK(rec.events[0].path == statement_path::simple);
        CHECK(rec.events[0].error.find("nowhere") != std::string::npos);
        CHECK(rec.events[1].path == statement_path::extended);
        CHECK(rec.events[1].parameters == 1);
        CHECK(rec.events[1].error.find("null value") != std::string::npos);
    }
    SECTION("an observer that throws does not change the statement's outcome; an empty one removes it") {
        c.set_observer([](const statement_event&) { throw std::runtime_error("observer broke"); });
        CHECK(c.query_value<std::int64_t>("SELECT 7::bigint") == 7);
        CHECK_THROWS_AS(c.execute_script("SELECT * FROM nowhere"), undefined_table);
        c.set_observer(rec.observer());
        connection moved = std::move(c);  // the observer moves with the connection
        moved.execute_script("SELECT 1");
        CHECK(rec.events.size() == 1);
        moved.set_observer({});
        moved.execute_script("SELECT 1");
        CHECK(rec.events.size() == 1);
    }
}

TEST_CASE("a pool gives its observer to every connection it opens", "[observer][pool]") {
    empty_db db;
    things_db(db);
    recorder rec;
    std::mutex m;
    pool_options o;
    o.max_size = 2;
    auto inner = rec.observer();
    o.observer = [&](const statement_event& e) {
        std::lock_guard lock(m);
        inner(e);
    };
    connection_pool pool(db.url(), o);
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        a->execute("INSERT INTO things VALUES ($1, 'a')", std::int64_t{1});
        b->execute("INSERT INTO things VALUES ($1, 'b')", std::int64_t{2});
    }
    std::lock_guard lock(m);
    int inserts = 0;
    for (const seen& s : rec.events) inserts += s.sql.starts_with("INSERT INTO things") ? 1 : 0;
    CHECK(inserts == 2);
}
