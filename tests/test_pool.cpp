// Pool: checkout and return, knobs, broken and expired connections, reset, real concurrency.
#include "support.hpp"

#include <atomic>
#include <thread>
#include <vector>

using namespace pgorm;
using pgorm_test::fresh_db;

namespace {

pool_options small(std::size_t max_size, std::size_t max_overflow = 0) {
    pool_options o;
    o.max_size = max_size;
    o.max_overflow = max_overflow;
    o.acquire_timeout = std::chrono::milliseconds(5000);
    return o;
}

void terminate_backend(const std::string& url, int pid) {
    connection admin(url);
    // The timeout form waits until the backend has really exited.
    REQUIRE(admin.query_value<bool>("SELECT pg_terminate_backend($1, 5000)", std::int32_t{pid}));
}

void check_books_balance(const pool_stats& s) {
    CHECK(s.created - s.closed == s.in_use + s.idle + s.opening);
}

}  // namespace

TEST_CASE("a checkout is returned when its handle goes", "[pool]") {
    fresh_db db;
    connection_pool p(db.url(), small(2));
    {
        auto h = p.acquire();
        CHECK(h->query_value<std::int64_t>("SELECT $1::bigint * 2", std::int64_t{21}) == 42);
        CHECK(p.stats().in_use == 1);
        CHECK(p.stats().idle == 0);
    }
    auto s = p.stats();
    CHECK(s.in_use == 0);
    CHECK(s.idle == 1);
    CHECK(s.created == 1);
    CHECK(s.acquired == 1);
    check_books_balance(s);

    auto h = p.acquire();
    CHECK(p.stats().created == 1);  // the idle one was reused
    h.release();
    h.release();  // a handle holds one connection: a second release has nothing to return
    CHECK(p.stats().idle == 1);
    CHECK_THROWS_AS(h.conn(), usage_error);
    CHECK_THROWS_WITH(h.conn(), Catch::Contains("already returned"));

    auto a = p.acquire();
    auto b = std::move(a);
    CHECK_THROWS_AS(a.conn(), usage_error);
    CHECK(b->query_value<std::int32_t>("SELECT 1") == 1);
}

TEST_CASE("pool options are validated", "[pool]") {
    fresh_db db;
    pool_options o;
    o.max_size = 0;
    CHECK_THROWS_AS(connection_pool(db.url(), o), config_error);
    o.max_size = 2;
    o.min_size = 3;
    CHECK_THROWS_WITH(connection_pool(db.url(), o), Catch::Contains("min_size (3) is larger than max_size (2)"));
    o.min_size = 0;
    o.acquire_timeout = std::chrono::milliseconds(-1);
    CHECK_THROWS_AS(connection_pool(db.url(), o), config_error);
    o.acquire_timeout = std::chrono::milliseconds(100);
    o.tenant = tenant_login{"", ""};
    CHECK_THROWS_WITH(connection_pool(db.url(), o), Catch::Contains("tenant.user is empty"));
    CHECK_THROWS_AS(connection_pool("mysql://nope", {}), config_error);
    CHECK_THROWS_AS(connection_pool(db.url(), {}).acquire_tenant(), usage_error);
}

TEST_CASE("min_size connections are opened up front", "[pool]") {
    fresh_db db;
    pool_options o = small(3);
    o.min_size = 2;
    connection_pool p(db.url(), o);
    CHECK(p.stats().idle == 2);
    CHECK(p.stats().created == 2);
}

TEST_CASE("an exhausted pool times out and says why", "[pool]") {
    fresh_db db;
    pool_options o = small(1);
    o.acquire_timeout = std::chrono::milliseconds(50);
    connection_pool p(db.url(), o);
    auto held = p.acquire();
    CHECK_THROWS_AS(p.acquire(), pool_timeout);
    try {
        (void)p.acquire();
        FAIL("acquire should have timed out");
    } catch (const pool_timeout& e) {
        std::string m = e.what();
        CHECK_THAT(m, Catch::Contains("1 of 1 connections in use"));
        CHECK_THAT(m, Catch::Contains("ms waiting"));
    }
    CHECK(p.stats().timeouts == 2);
    held.release();
    CHECK(p.acquire()->query_value<std::int32_t>("SELECT 1") == 1);
}

TEST_CASE("overflow connections are closed when returned", "[pool]") {
    fresh_db db;
    connection_pool p(db.url(), small(1, 1));
    {
        auto a = p.acquire();
        auto b = p.acquire();  // the overflow one
        CHECK(p.stats().in_use == 2);
    }
    auto s = p.stats();
    CHECK(s.idle == 1);
    CHECK(s.created == 2);
    CHECK(s.closed == 1);
    check_books_balance(s);
}

TEST_CASE("a connection returned inside a transaction is rolled back and reset", "[pool]") {
    fresh_db db;
    connection_pool p(db.url(), small(1));
    int pid = 0;
    {
        auto h = p.acquire();
        pid = h->backend_pid();
        h->execute_script("SET application_name = 'left_behind'");
        h->execute_script("BEGIN");
        h->execute("INSERT INTO organizations (name) VALUES ($1)", "never committed");
        h->execute("SELECT pg_advisory_lock($1)", std::int64_t{77});
    }
    auto h = p.acquire();
    REQUIRE(h->backend_pid() == pid);  // the same connection, cleaned
    CHECK(h->transaction_status() == PQTRANS_IDLE);
    CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM organizations") == 0);
    CHECK(h->query_value<std::string>("SELECT current_setting('application_name')") == "pgorm");
    CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = $1",
                                       std::int32_t{pid}) == 0);

    // A connection in a failed transaction is rolled back just the same.
    h->execute_script("BEGIN");
    CHECK_THROWS_AS(h->execute_script("SELECT * FROM no_such_table"), undefined_table);
    h.release();
    CHECK(p.acquire()->query_value<std::int32_t>("SELECT 1") == 1);
    CHECK(p.stats().created == 1);
}

TEST_CASE("reset_on_return cleans session state even outside a transaction", "[pool]") {
    fresh_db db;
    pool_options o = small(1);
    o.reset_on_return = true;
    connection_pool p(db.url(), o);
    p.acquire()->execute_script("SET application_name = 'left_behind'; LISTEN some_channel");
    auto h = p.acquire();
    CHECK(h->query_value<std::string>("SELECT current_setting('application_name')") == "pgorm");
    CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM pg_listening_channels()") == 0);
}

TEST_CASE("a backend terminated while idle in the pool is replaced on the next checkout", "[pool]") {
    fresh_db db;
    bool pre_ping = GENERATE(false, true);
    pool_options o = small(1);
    o.pre_ping = pre_ping;
    connection_pool p(db.url(), o);
    int pid = p.acquire()->backend_pid();
    terminate_backend(db.url(), pid);

    auto h = p.acquire();
    CHECK(h->backend_pid() != pid);
    CHECK(h->query_value<std::int32_t>("SELECT 1") == 1);
    auto s = p.stats();
    CHECK(s.replaced == 1);
    CHECK(s.created == 2);
    check_books_balance(s);
}

TEST_CASE("a connection that broke while checked out is not put back", "[pool]") {
    fresh_db db;
    connection_pool p(db.url(), small(1));
    {
        auto h = p.acquire();
        terminate_backend(db.url(), h->backend_pid());
        CHECK_THROWS_AS(h->execute_script("SELECT 1"), connection_lost);
    }
    auto s = p.stats();
    CHECK(s.idle == 0);
    CHECK(s.replaced == 1);
    CHECK(p.acquire()->query_value<std::int32_t>("SELECT 1") == 1);
}

TEST_CASE("connections past max_lifetime or idle_timeout are not reused", "[pool]") {
    fresh_db db;
    pool_options o = small(1);
    bool lifetime = GENERATE(true, false);
    if (lifetime) o.max_lifetime = std::chrono::milliseconds(1);
    else o.idle_timeout = std::chrono::milliseconds(1);
    connection_pool p(db.url(), o);
    int pid = p.acquire()->backend_pid();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let it age past the limit
    CHECK(p.acquire()->backend_pid() != pid);
    auto s = p.stats();
    CHECK(s.closed >= 1);
    CHECK(s.replaced == 0);  // retired, not broken
    check_books_balance(s);
}

TEST_CASE("prepared statements can be turned off for PgBouncer transaction pooling", "[pool]") {
    fresh_db db;
    pool_options o = small(1);
    o.prepared_statements = false;
    connection_pool p(db.url(), o);
    auto h = p.acquire();
    for (int i = 0; i < 3; ++i) CHECK(h->query_value<std::int64_t>("SELECT $1::bigint", std::int64_t{i}) == i);
    CHECK(h->cached_statements() == 0);
    CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements") == 0);

    connection_pool cached(db.url(), small(1));
    auto c = cached.acquire();
    c->query_value<std::int64_t>("SELECT $1::bigint", std::int64_t{1});
    CHECK(c->cached_statements() == 1);
}

TEST_CASE("a checkout outlives its pool safely", "[pool]") {
    fresh_db db;
    std::optional<connection_pool> p(std::in_place, db.url(), small(2));
    auto h = p->acquire();
    p.reset();
    CHECK(h->query_value<std::int32_t>("SELECT 1") == 1);  // still its own live connection
    h.release();                                           // closed now, not pooled
    CHECK_THROWS_AS(h.conn(), usage_error);

    connection_pool closed(db.url(), small(1));
    closed.close();
    CHECK_THROWS_WITH(closed.acquire(), Catch::Contains("pool is closed"));
}

TEST_CASE("threads hammering a smaller pool neither deadlock nor leak", "[pool][concurrency]") {
    fresh_db db;
    db.connect().execute_script("CREATE TABLE hits (n BIGINT NOT NULL)");
    constexpr int threads = 8, rounds = 40;
    connection_pool p(db.url(), small(3, 1));
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < rounds; ++i) {
                try {
                    auto h = p.acquire();
                    h->execute("INSERT INTO hits (n) VALUES ($1)", std::int64_t{t});
                } catch (...) {
                    ++failures;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(failures == 0);
    auto s = p.stats();
    CHECK(s.in_use == 0);
    CHECK(s.waiting == 0);
    CHECK(s.idle <= 3);
    CHECK(s.acquired == threads * rounds);
    CHECK(s.created <= s.closed + 3);
    check_books_balance(s);
    CHECK(db.connect().query_value<std::int64_t>("SELECT count(*) FROM hits") == threads * rounds);
}
