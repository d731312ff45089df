// Cached prepared statements that the server no longer matches (issue 11, item 1): a schema change
// that alters a statement's result columns (0A000 "cached plan must not change result type") or a
// DISCARD ALL / DEALLOCATE that removed it (26000). The stale entry must be dropped the first time
// the server says so, on every path a cached statement runs by: execute / query*, repository,
// streaming, pipeline. Inside a transaction that transaction fails once with stale_statement and
// a retry succeeds; in autocommit a single statement is re-prepared and re-run transparently.
#include "support.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace pgorm;
using pgorm_test::empty_db;

namespace stale_test {

struct Item {
    std::int64_t id = 0;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, name))
PGORM_TABLE(Item, "items", key(&Item::id));

}  // namespace stale_test

using stale_test::Item;

namespace {

constexpr const char* select_all = "SELECT * FROM items ORDER BY id";
constexpr const char* select_name = "SELECT name FROM items WHERE id = $1";

/// A fresh database with items(id, name varchar(50)) holding two rows; `c` is the connection
/// under test, `other` changes the schema behind its back.
struct items_db {
    empty_db db;
    connection c = db.connect();
    connection other = db.connect();
    items_db() {
        c.execute_script("CREATE TABLE items (id bigint PRIMARY KEY, name varchar(50) NOT NULL);"
               "INSERT INTO items VALUES (1, 'one'), (2, 'two')");
    }
};

/// Schema changes that alter the result columns of `SELECT * FROM items` (and, all but the added
/// column, of the repository's explicit column list).
std::string result_changing_ddl(int which) {
    switch (which) {
        case 0: return "ALTER TABLE items ALTER COLUMN name TYPE varchar(75)";  // typmod only
        case 1: return "ALTER TABLE items ALTER COLUMN name TYPE text";
        case 2: return "ALTER TABLE items ADD COLUMN note text";  // only SELECT * changes
        default: return "ALTER TABLE items ALTER COLUMN name TYPE varchar(50) COLLATE \"C\"";
    }
}

/// Session commands that remove the server's prepared statements.
const char* dropping_command(int which) { return which == 0 ? "DISCARD ALL" : "DEALLOCATE ALL"; }

std::int64_t prepared_on_server(connection& c) {
    return std::stoll(std::string(c.execute_script("SELECT count(*) FROM pg_prepared_statements").raw(0, 0)));
}

retry_policy quick_retries(int attempts) {
    retry_policy r = retry_policy::attempts(attempts);
    r.initial_backoff = std::chrono::milliseconds(1);
    return r;
}

}  // namespace

TEST_CASE_METHOD(items_db, "a result-type change inside a transaction fails it once with stale_statement",
                 "[stale][xact]") {
    int which = GENERATE(0, 1, 2, 3);
    CAPTURE(result_changing_ddl(which));
    {
        xact q(c);
        CHECK(repository<Item>{q}.find().size() == 2);
        CHECK(q.conn().execute(select_all).size() == 2);
        q.commit();
    }
    other.execute_script(result_changing_ddl(which));

    {
        xact q(c);
        try {
            q.conn().execute(select_all);
            FAIL("a stale statement ran");
        } catch (const stale_statement& e) {
            CHECK(e.sqlstate() == "0A000");
            CHECK(e.server_message() == "cached plan must not change result type");
            CHECK_THAT(e.what(), Catch::Contains("changed type or number") && Catch::Contains("again") &&
                                     Catch::Contains(select_all));
        }
    }
    {
        xact q(c);
        CHECK(q.conn().execute(select_all).size() == 2);  // re-prepared
        if (which != 2) CHECK_THROWS_AS(repository<Item>{q}.find(), stale_statement);  // its own entry
    }
    for (int round = 0; round < 2; ++round) {  // every later transaction works
        xact q(c);
        CHECK(q.conn().execute(select_all).size() == 2);
        CHECK(repository<Item>{q}.find().size() == 2);
        q.commit();
    }
}

TEST_CASE_METHOD(items_db, "after DISCARD ALL or DEALLOCATE ALL a transaction fails once and the whole cache goes",
                 "[stale][xact]") {
    const char* command = dropping_command(GENERATE(0, 1));
    bool inside = GENERATE(false, true);  // DEALLOCATE ALL may also run inside the transaction
    if (inside && std::string(command) == "DISCARD ALL") return;  // not allowed in a transaction block
    CAPTURE(command, inside);

    CHECK(c.query_value<std::string>(select_name, std::int64_t{1}) == "one");
    CHECK(c.query<Item>(select_all).size() == 2);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 2);
    REQUIRE(c.cached_statements() == 3);
    if (!inside) c.execute_script(command);
    {
        xact q(c);
        if (inside) q.conn().execute_script(command);
        try {
            q.conn().query_value<std::string>(select_name, std::int64_t{1});
            FAIL("a statement the server dropped ran");
        } catch (const stale_statement& e) {
            CHECK(e.sqlstate() == "26000");
            CHECK_THAT(e.what(), Catch::Contains("DISCARD ALL") && Catch::Contains("again"));
        }
        CHECK(c.cached_statements() == 0);  // every statement went, not only the one that failed
    }
    xact q(c);
    CHECK(q.conn().query<Item>(select_all).size() == 2);
    CHECK(q.conn().query_value<std::int64_t>("SELECT count(*) FROM items") == 2);
    CHECK(q.conn().query_value<std::string>(select_name, std::int64_t{2}) == "two");
    q.commit();
}

TEST_CASE_METHOD(items_db, "in autocommit a stale statement is re-prepared and re-run once on every path",
                 "[stale][autocommit]") {
    bool schema_change = GENERATE(true, false);
    int path = GENERATE(0, 1, 2, 3, 4, 5);
    CAPTURE(schema_change, path);

    // Each path runs the same statement text before and after the change.
    auto run = [&]() -> std::size_t {
        switch (path) {
            case 0: return c.query<Item>(select_all).size();
            case 1: return c.query_one<Item>("SELECT * FROM items WHERE id = $1", std::int64_t{1}) ? 1 : 0;
            case 2: return c.query_value<std::string>(select_name, std::int64_t{1}).size();
            case 3: return static_cast<std::size_t>(c.execute(select_all).size());
            case 4: return repository<Item>{c}.find().size();
            default: {
                std::size_t n = 0;
                repository<Item>{c}.for_each({}, [&](const Item&) { ++n; });
                return n;
            }
        }
    };
    const std::size_t expected = run();
    if (schema_change) other.execute_script("ALTER TABLE items ALTER COLUMN name TYPE text");
    else c.execute_script("DISCARD ALL");
    CHECK(run() == expected);
    CHECK(run() == expected);
    CHECK(c.transaction_status() == PQTRANS_IDLE);
}

TEST_CASE_METHOD(items_db, "a stale plan dropped in autocommit is deallocated on the server",
                 "[stale][autocommit]") {
    c.query<Item>(select_all);
    c.query_value<std::string>(select_name, std::int64_t{1});
    const std::int64_t before = prepared_on_server(c);
    other.execute_script("ALTER TABLE items ALTER COLUMN name TYPE varchar(75)");
    c.query<Item>(select_all);                                 // re-prepared under a new name
    c.query_value<std::string>(select_name, std::int64_t{1});  // also stale, also re-prepared
    CHECK(prepared_on_server(c) == before);                    // the old names were deallocated
    CHECK(c.cached_statements() == 2);
}

TEST_CASE_METHOD(items_db, "streaming a stale statement inside a transaction fails once", "[stale][stream]") {
    std::int64_t seen = 0;
    repository<Item>{c}.for_each({}, [&](const Item&) { ++seen; });
    CHECK(seen == 2);
    other.execute_script("ALTER TABLE items ALTER COLUMN name TYPE varchar(75)");
    {
        xact q(c);
        seen = 0;
        CHECK_THROWS_AS(repository<Item>{q}.for_each({}, [&](const Item&) { ++seen; }), stale_statement);
        CHECK(seen == 0);
    }
    xact q(c);
    seen = 0;
    repository<Item>{q}.for_each({}, [&](const Item&) { ++seen; });
    CHECK(seen == 2);
    q.commit();
}

TEST_CASE_METHOD(items_db, "a stale statement in a pipeline fails the batch once with stale_statement",
                 "[stale][pipeline]") {
    bool in_xact = GENERATE(false, true);
    bool schema_change = GENERATE(true, false);
    CAPTURE(in_xact, schema_change);
    auto batch = [&](connection& on) {
        pipeline p{on};
        p.execute("INSERT INTO items VALUES ($1, $2)", std::int64_t{10}, "ten");
        p.execute(select_all);
        p.execute("DELETE FROM items WHERE id = $1", std::int64_t{10});
        return p.sync();
    };
    CHECK(batch(c).size() == 3);
    if (schema_change) other.execute_script("ALTER TABLE items ALTER COLUMN name TYPE text");
    else c.execute_script("DISCARD ALL");

    auto attempt = [&]() -> std::vector<result> {
        if (!in_xact) return batch(c);
        xact q(c);
        auto r = batch(q.conn());
        q.commit();
        return r;
    };
    try {
        auto r = attempt();
        FAIL("a stale statement ran in a pipeline");
    } catch (const stale_statement& e) {
        CHECK(e.sqlstate() == (schema_change ? "0A000" : "26000"));
    }
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 2);  // the batch left nothing
    auto r = attempt();
    REQUIRE(r.size() == 3);
    CHECK(r[1].size() == 3);
}

TEST_CASE_METHOD(items_db, "repository bulk inserts and COPY survive a stale cache", "[stale][repo]") {
    repository<Item> items{c};
    std::vector<Item> rows;
    for (std::int64_t i = 100; i < 110; ++i) rows.push_back({i, "n" + std::to_string(i)});
    CHECK(items.insert_many_returning(std::vector<Item>(rows.begin(), rows.begin() + 2)).size() == 2);
    other.execute_script("ALTER TABLE items ALTER COLUMN name TYPE varchar(75)");

    transact_options o;
    o.retry = quick_retries(2);
    int attempts = 0;
    auto stored = run_transaction(o.retry, [&] { return xact(c); }, [&](xact& q) {
        ++attempts;
        return repository<Item>{q}.insert_many_returning(std::vector<Item>(rows.begin() + 2, rows.begin() + 4));
    });
    CHECK(stored.size() == 2);
    CHECK(attempts == 2);  // RETURNING's result type changed: the first attempt met the stale plan

    c.execute_script("DISCARD ALL");
    items.copy_threshold = 2;  // binary COPY: its statement is not a cached one
    CHECK(items.insert_many(std::vector<Item>(rows.begin() + 4, rows.end())) == 6);
    CHECK(items.find().size() == 12);
}

TEST_CASE_METHOD(items_db, "pool::transact with a retry policy re-runs a transaction that met a stale statement",
                 "[stale][retry]") {
    pool_options po;
    po.max_size = 1;
    pool p(db.url(), po);  // its one connection is not `c`
    auto names = [](xact& q) { return repository<Item>{q}.find().size(); };
    CHECK(p.transact(names) == 2);
    other.execute_script("ALTER TABLE items ALTER COLUMN name TYPE varchar(75)");

    transact_options o;
    o.retry = quick_retries(3);
    int attempts = 0;
    CHECK(p.transact(o, [&](xact& q) {
        ++attempts;
        return names(q);
    }) == 2);
    CHECK(attempts == 2);

    // Without a policy the stale statement fails the one transaction, and only that one.
    other.execute_script("ALTER TABLE items ALTER COLUMN name TYPE varchar(90)");
    CHECK_THROWS_AS(p.transact(names), stale_statement);
    CHECK(p.transact(names) == 2);
}

TEST_CASE("other 0A000 and 26000 errors are neither stale nor re-run", "[stale][autocommit]") {
    empty_db db;
    auto c = db.connect();
    std::string state = GENERATE(std::string("0A000"), std::string("26000"));
    CAPTURE(state);
    c.execute_script("CREATE SEQUENCE calls;"
           "CREATE FUNCTION boom() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('calls');"
           " RAISE EXCEPTION 'not supported here' USING ERRCODE = '" + state + "'; END $$");
    c.query_value<std::int64_t>("SELECT 1::bigint");
    const std::size_t cached = c.cached_statements();
    try {
        c.execute("SELECT boom()");
        FAIL("boom() returned");
    } catch (const stale_statement&) {
        FAIL("a function's own error was taken for a stale statement");
    } catch (const sql_error& e) {
        CHECK(e.sqlstate() == state);
    }
    CHECK(c.query_value<std::int64_t>("SELECT last_value FROM calls") == 1);  // ran once, not re-run
    CHECK(c.cached_statements() == cached + 2);  // nothing was dropped
}

TEST_CASE_METHOD(items_db, "in autocommit a repository bulk insert that met a stale statement is sent again once",
                 "[stale][repo][autocommit]") {
    repository<Item> items{c};
    std::vector<Item> rows;
    for (std::int64_t i = 200; i < 206; ++i) rows.push_back({i, "n" + std::to_string(i)});
    CHECK(items.insert_many_returning(std::vector<Item>(rows.begin(), rows.begin() + 2)).size() == 2);
    CHECK(items.insert_many(std::vector<Item>(rows.begin() + 2, rows.begin() + 4)) == 2);
    other.execute_script("ALTER TABLE items ALTER COLUMN name TYPE varchar(75)");
    CHECK(items.insert_many_returning(std::vector<Item>(rows.begin() + 4, rows.begin() + 6)).size() == 2);
    c.execute_script("DEALLOCATE ALL");
    std::vector<Item> more{{300, "a"}, {301, "b"}};
    CHECK(items.insert_many(more) == 2);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM items") == 10);  // each row once: nothing doubled
}
