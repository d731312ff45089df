// Server restarts under live clients: testing::cluster's stop()/start()/restart() keep the port
// and the data, so a pool and a listener holding the URL must resume on their own, and every
// write the server acknowledged before the restart must still be there after it.
#include "support.hpp"

#include <chrono>
#include <thread>

using namespace pgorm;
using namespace std::chrono_literals;

namespace {

// One server for the whole file (initdb is the slow part), restarted by every test case.
testing::cluster& own_server() {
    static testing::cluster server([] {
        testing::cluster_options co;
        co.force_embedded = true;  // these tests stop the server: never an external one
        // The embedded cluster runs with synchronous_commit = off; an immediate (crash) stop would
        // then lose commits still in WAL buffers, which is PostgreSQL's documented trade, not pgorm's.
        co.settings = {"synchronous_commit = on"};
        return co;
    }());
    return server;
}

std::int64_t ledger_sum(connection& c) { return c.query_value<std::int64_t>("SELECT coalesce(sum(amount), 0) FROM ledger"); }

}  // namespace

TEST_CASE("cluster: stop keeps the data, start brings it back on the same port", "[fault][restart]") {
    testing::cluster& server = own_server();
    const int port = server.port();
    const auto data = server.data_directory();
    REQUIRE(std::filesystem::exists(data / "PG_VERSION"));
    const std::string url = server.url() + "?connect_timeout=5";
    connection(url).execute_script("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");

    server.stop();
    CHECK_FALSE(server.running());
    CHECK(std::filesystem::exists(data / "PG_VERSION"));
    CHECK_THROWS_AS(connection(url), connection_error);
    server.stop();  // idempotent

    server.start();
    CHECK(server.running());
    CHECK(server.port() == port);
    CHECK(server.data_directory() == data);
    connection c(url);
    CHECK(c.query_value<int>("SELECT v FROM kept") == 42);
    server.start();  // already running: nothing
    CHECK(server.port() == port);
    for (int round = 0; round < 2; ++round) {
        server.restart();
        CHECK(connection(url).query_value<int>("SELECT v FROM kept") == 42);
    }
}

TEST_CASE("a restart under a live pool and listener: both resume, no acknowledged write is lost", "[fault][restart]") {
    const auto mode = GENERATE(testing::stop_mode::fast, testing::stop_mode::immediate);
    CAPTURE(mode == testing::stop_mode::fast ? "fast" : "immediate");
    testing::cluster& server = own_server();
    const std::string url = server.url() + "?connect_timeout=5";
    connection(url).execute_script("DROP TABLE IF EXISTS ledger; CREATE TABLE ledger (id int PRIMARY KEY, amount int NOT NULL)");

    pool_options o;
    o.min_size = 2;
    o.max_size = 4;
    o.maintenance_interval = 100ms;
    connection_pool pool(url, o);
    listener l(url);
    l.listen("jobs");

    std::int64_t acknowledged = 0;
    int rows = 0;
    for (int i = 1; i <= 40; ++i) {
        pool.acquire()->execute("INSERT INTO ledger VALUES ($1, $2)", i, i * 10);
        acknowledged += i * 10;  // counted only once execute() returned: the server committed it
        ++rows;
    }
    auto held = pool.acquire();  // checked out across the restart
    const int old_pid = held->backend_pid();

    server.restart(mode);

    // The checkout that lived through the restart fails cleanly and is not given back out.
    CHECK_THROWS_AS(held->execute("SELECT 1"), connection_lost);
    held.release();

    // The listener: a wait finds the connection gone, reconnects and listens again. What was
    // sent while it was disconnected is lost (LISTEN/NOTIFY keeps no backlog for a new session).
    connection sender(url);
    sender.execute("SELECT pg_notify('jobs', 'sent before the listener reconnected')");
    CHECK_FALSE(l.wait(0ms).has_value());
    CHECK(l.reconnects() == 1);
    sender.execute("SELECT pg_notify('jobs', 'after')");
    auto n = l.wait(5000ms);
    REQUIRE(n);
    CHECK(n->payload == "after");

    // The pool: every checkout works; the dead connections were found and replaced.
    for (int i = 41; i <= 60; ++i) {
        auto c = pool.acquire();
        CHECK(c->backend_pid() != old_pid);
        c->execute("INSERT INTO ledger VALUES ($1, $2)", i, i * 10);
        acknowledged += i * 10;
        ++rows;
    }
    auto s = pool.stats();
    CHECK(s.in_use == 0);
    CHECK(s.replaced >= 2);  // the idle connection and the one held across the restart

    connection check(url);
    CHECK(check.query_value<std::int64_t>("SELECT count(*) FROM ledger") == rows);
    CHECK(ledger_sum(check) == acknowledged);
}
