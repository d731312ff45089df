// Cross-cutting failure paths: a backend terminated in the middle of work, the server stopped
// under open pools, listeners and transactions, "forever" timeouts, and passwords in messages.
#include "support.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

using namespace pgorm;
using namespace std::chrono_literals;
using pgorm_test::empty_db;
using pgorm_test::fresh_db;

namespace {

void terminate_backend(const std::string& url, int pid) {
    connection admin(url);
    REQUIRE(admin.query_value<bool>("SELECT pg_terminate_backend($1, 5000)", std::int32_t{pid}));
}

}  // namespace

TEST_CASE("commit after the backend was terminated throws connection_lost; the pool drops the connection",
          "[failures][xact]") {
    fresh_db db;
    pool_options o;
    o.max_size = 1;
    pgorm::pool p(db.url(), o);
    int victim = 0;
    {
        auto q = p.xact();
        q.conn().execute("INSERT INTO organizations (id, name) VALUES ('org_lost', 'lost')");
        victim = q.conn().backend_pid();
        terminate_backend(db.url(), victim);
        CHECK_THROWS_AS(q.commit(), connection_lost);
        CHECK_FALSE(q.is_open());
    }
    auto s = p.stats();
    CHECK(s.in_use == 0);
    CHECK(s.idle == 0);  // not put back
    CHECK(s.replaced == 1);
    auto h = p.acquire();
    CHECK(h->backend_pid() != victim);
    CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM organizations WHERE id = 'org_lost'") == 0);
}

TEST_CASE("a transaction function whose backend dies gets connection_lost and no retry", "[failures][xact]") {
    fresh_db db;
    pgorm::pool p(db.url());
    int calls = 0;
    transact_options o;
    o.retry = retry_policy::attempts(3);
    CHECK_THROWS_AS(p.transact(o,
                               [&](xact& q) {
                                   ++calls;
                                   q.conn().execute("SELECT pg_terminate_backend(pg_backend_pid())");
                               }),
                    connection_lost);
    CHECK(calls == 1);
    CHECK(p.stats().in_use == 0);
    CHECK(p.stats().idle == 0);
    CHECK(p.acquire()->query_value<std::int32_t>("SELECT 1") == 1);
}

TEST_CASE("a migration whose connection drops names the file and what stays", "[failures][migrate]") {
    empty_db db;
    auto dir = std::filesystem::temp_directory_path() / ("pgorm-failures-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "001_create.sql") << "-- migrate:up\nCREATE TABLE t (x int);\n"
                                             "SELECT pg_terminate_backend(pg_backend_pid());\n"
                                             "-- migrate:down\nDROP TABLE t;\n";
    auto c = db.connect();
    migrate::migrator m(c, {.directory = dir.string()});
    try {
        m.up();
        FAIL("expected connection_lost");
    } catch (const connection_lost& e) {
        std::string what = e.what();
        CHECK_THAT(what, Catch::Contains("001_create.sql:3") && Catch::Contains("connection lost") &&
                             Catch::Contains("rolled back"));
    }
    std::filesystem::remove_all(dir);
    auto check = db.connect();
    CHECK_FALSE(check.query_value<bool>("SELECT to_regclass('t') IS NOT NULL"));
}

TEST_CASE("milliseconds::max() means wait forever, not an overflowed clock", "[failures][pool][listen]") {
    fresh_db db;
    SECTION("pool acquire_timeout and max_lifetime") {
        pool_options o;
        o.max_size = 1;
        o.acquire_timeout = std::chrono::milliseconds::max();
        o.max_lifetime = std::chrono::milliseconds::max();
        o.idle_timeout = std::chrono::milliseconds::max();
        connection_pool p(db.url(), o);
        int first = p.acquire()->backend_pid();
        CHECK(p.acquire()->backend_pid() == first);  // neither expired nor idle too long
        auto held = p.acquire();
        std::thread giver([&] {
            std::this_thread::sleep_for(100ms);
            held.release();
        });
        CHECK_NOTHROW(p.acquire());  // waits for the release instead of timing out at once
        giver.join();
        CHECK(p.stats().timeouts == 0);
    }
    SECTION("listener wait") {
        listener l(db.url());
        l.listen("forever");
        auto c = db.connect();
        notify(c, "forever", "hello");
        auto n = l.wait(std::chrono::milliseconds::max());
        REQUIRE(n.has_value());
        CHECK(n->payload == "hello");
        CHECK_FALSE(l.wait(0ms).has_value());
    }
}

TEST_CASE("passwords never show in messages or redacted settings", "[failures][config]") {
    CHECK(config::redact("host=h password = s3cret dbname=d").find("s3cret") == std::string::npos);
    CHECK(config::redact("host=h password='a b' password=again").find("again") == std::string::npos);
    CHECK(config::redact("postgresql://u@h/d?sslmode=disable&password=s3cret&x=1") ==
          "postgresql://u@h/d?sslmode=disable&password=***&x=1");
    CHECK(config::redact("postgresql://u:s3cret@h:5/d") == "postgresql://u:***@h:5/d");
    CHECK(config::redact("host=h passwordx=1 dbname=d") == "host=h passwordx=1 dbname=d");
    CHECK_THROWS_WITH(connection(config{"host=127.0.0.1 port=1 password = s3cret connect_timeout=2"}),
                      Catch::Contains("cannot connect") && !Catch::Contains("s3cret"));
}

TEST_CASE("a stopped server: every API fails cleanly, nothing hangs or leaks", "[failures][server]") {
    testing::cluster_options co;
    co.force_embedded = true;
    testing::cluster server(co);
    const std::string url = server.url() + "?connect_timeout=2";

    pool_options o;
    o.min_size = 2;
    o.max_size = 3;
    pgorm::pool p(url, o);
    listener l(url);
    l.listen("jobs");
    connection plain(url);
    auto open_xact = p.xact();
    open_xact.conn().execute("SELECT 1");
    auto held = p.acquire();
    {
        auto lock = advisory_lock::try_lock(held, advisory_key("stop"));
        REQUIRE(lock);
        server.stop();
        CHECK_NOTHROW(lock.reset());  // the unlock fails quietly in a destructor
    }

    CHECK_THROWS_AS(open_xact.commit(), connection_lost);
    CHECK_THROWS_AS(plain.execute("SELECT 1"), connection_lost);
    CHECK_THROWS_AS(held->execute("SELECT 1"), connection_lost);
    held.release();
    try {
        (void)p.acquire();  // idle connections are found dead, a new one cannot be opened
        FAIL("expected connection_error");
    } catch (const connection_error& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains("cannot connect to") && Catch::Contains("127.0.0.1"));
    }
    CHECK_THROWS_AS(p.transact([](xact&) {}), connection_error);
    CHECK_THROWS_AS(l.wait(2000ms), connection_error);
    CHECK_THROWS_AS(l.wait(0ms), connection_error);  // still down: tries again, fails again
    CHECK_THROWS_AS(plain.reconnect(), connection_error);
    CHECK_THROWS_AS(plain.execute("SELECT 1"), connection_lost);
    CHECK_THROWS_AS(migrate::migrator(plain, {.directory = pgorm_test::test_migrations_dir}).up(), connection_lost);

    auto s = p.stats();
    CHECK(s.in_use == 0);
    CHECK(s.opening == 0);
    CHECK(s.idle == 0);
    CHECK(s.created - s.closed == 0);
}
