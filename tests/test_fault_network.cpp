// Network faults through testing::fault_proxy: pgorm's TCP defaults reach the socket, and a peer
// that vanishes without closing (no FIN, no RST) during a query, a transaction, a COPY, a
// pipeline or a LISTEN wait ends in connection_lost (the listener: a reconnect) within the
// keepalive bound the URL configures, never a hang.
#include "support.hpp"

#include <pgorm/testing/fault_proxy.hpp>

#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace pgorm;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// The bound the tests configure: idle 1 s + 2 probes 1 s apart, and 3 s for unacknowledged data.
constexpr const char* fast_detection = "keepalives_idle=1&keepalives_interval=1&keepalives_count=2&tcp_user_timeout=3000";
constexpr auto configured_bound = 3s;
constexpr auto asserted_bound = 3 * configured_bound;  // generous: the host is shared and loaded
constexpr auto hang_guard = 30s;                      // past it the socket is shut, so the test ends

std::string via(const testing::fault_proxy& proxy, const pgorm_test::empty_db& db, std::string_view query = fast_detection) {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(proxy.port()) + "/" + db.db.name() + "?connect_timeout=5&" +
           std::string(query);
}

int socket_option(connection& c, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    REQUIRE(::getsockopt(PQsocket(c.native()), level, name, &v, &len) == 0);
    return v;
}

struct fault_outcome {
    std::exception_ptr error;                // what the operation threw (nullptr: it returned)
    clock_type::duration after_fault{};      // from the fault to the operation's end
    bool hung = false;                       // still blocked after hang_guard
};

// Runs op(ready) on a thread; once it calls ready(connection) and 200 ms more have passed (it is
// blocked in its round trip by then), the proxy's end vanishes. Measures how long op takes to give
// up. Past hang_guard the connection's socket is shut down here, which wakes the blocked call, so
// a hang fails the test instead of stopping the run (the proxy has forgotten the connection, so
// cutting it there would do nothing: a run without keepalives showed exactly that hang).
template <class Op>
fault_outcome vanish_during(testing::fault_proxy& proxy, Op op) {
    std::promise<int> ready_signal;
    auto ready = ready_signal.get_future();
    std::promise<std::exception_ptr> finished;
    auto result = finished.get_future();
    std::thread t([&] {
        bool signalled = false;
        auto mark = [&](connection& c) {
            if (!signalled) { signalled = true; ready_signal.set_value(PQsocket(c.native())); }
        };
        try {
            op(mark);
            if (!signalled) ready_signal.set_value(-1);
            finished.set_value(nullptr);
        } catch (...) {
            if (!signalled) ready_signal.set_value(-1);
            finished.set_value(std::current_exception());
        }
    });
    const int fd = ready.get();
    std::this_thread::sleep_for(200ms);
    proxy.vanish();
    const auto fault = clock_type::now();
    fault_outcome out;
    out.hung = result.wait_for(hang_guard) != std::future_status::ready;
    out.after_fault = clock_type::now() - fault;
    if (out.hung && fd >= 0) ::shutdown(fd, SHUT_RDWR);
    out.error = result.get();
    t.join();
    return out;
}

void require_lost_in_time(const fault_outcome& o) {
    CHECK_FALSE(o.hung);
    CAPTURE(std::chrono::duration<double>(o.after_fault).count());
    CHECK(o.after_fault < asserted_bound);
    REQUIRE(o.error);
    try {
        std::rethrow_exception(o.error);
    } catch (const connection_lost&) {
        SUCCEED("connection_lost");
    } catch (const std::exception& e) {
        FAIL("expected connection_lost, got: " << e.what());
    }
}

bool vanish_available() {
    if (pgorm_test::server().external()) {
        WARN("skipped: the proxy needs the embedded server's port (PGORM_TEST_URL is set)");
        return false;
    }
    if (!testing::fault_proxy::can_vanish()) {
        WARN("skipped: vanish() needs CAP_NET_ADMIN (TCP_REPAIR) on this host");
        return false;
    }
    return true;
}

}  // namespace

TEST_CASE("pgorm's TCP defaults reach the socket; the URL's own values win", "[fault][network]") {
    pgorm_test::empty_db db;
    {
        connection c(pgorm_test::server().url(db.db.name()));
        CHECK(socket_option(c, SOL_SOCKET, SO_KEEPALIVE) == 1);
        CHECK(socket_option(c, IPPROTO_TCP, TCP_KEEPIDLE) == 10);
        CHECK(socket_option(c, IPPROTO_TCP, TCP_KEEPINTVL) == 5);
        CHECK(socket_option(c, IPPROTO_TCP, TCP_KEEPCNT) == 4);
        CHECK(socket_option(c, IPPROTO_TCP, TCP_USER_TIMEOUT) == 30000);
    }
    {
        connection c(pgorm_test::server().url(db.db.name()) + "?keepalives_idle=7&tcp_user_timeout=1234");
        CHECK(socket_option(c, IPPROTO_TCP, TCP_KEEPIDLE) == 7);
        CHECK(socket_option(c, IPPROTO_TCP, TCP_USER_TIMEOUT) == 1234);
        CHECK(socket_option(c, IPPROTO_TCP, TCP_KEEPCNT) == 4);
    }
    if (!pgorm_test::server().external()) {  // the key=value form too
        connection c("host=127.0.0.1 port=" + std::to_string(pgorm_test::server().port()) +
                     " user=postgres dbname=" + db.db.name() + " keepalives_count=9");
        CHECK(socket_option(c, IPPROTO_TCP, TCP_KEEPCNT) == 9);
        CHECK(socket_option(c, IPPROTO_TCP, TCP_KEEPIDLE) == 10);
    }
}

TEST_CASE("fault_proxy relays, delays, stalls and cuts", "[fault][network]") {
    if (pgorm_test::server().external()) return;
    pgorm_test::empty_db db;
    testing::fault_proxy proxy(pgorm_test::server().port());
    connection c(via(proxy, db));
    CHECK(c.query_value<int>("SELECT 1") == 1);
    CHECK(proxy.accepted() == 1);

    proxy.delay(150ms);  // each way: a round trip takes at least 300 ms
    auto start = clock_type::now();
    CHECK(c.query_value<int>("SELECT 2") == 2);
    CHECK(clock_type::now() - start >= 300ms);

    proxy.stall();  // TCP stays healthy, so nothing fails: the query waits until the relay resumes
    auto stalled = std::async(std::launch::async, [&] { return c.query_value<int>("SELECT 3"); });
    CHECK(stalled.wait_for(500ms) == std::future_status::timeout);
    proxy.pass();
    REQUIRE(stalled.wait_for(10s) == std::future_status::ready);
    CHECK(stalled.get() == 3);

    proxy.cut();  // a reset: the next statement fails at once
    start = clock_type::now();
    CHECK_THROWS_AS(c.execute("SELECT 4"), connection_lost);
    CHECK(clock_type::now() - start < 2s);
    connection again(via(proxy, db));  // new connections are relayed again
    CHECK(again.query_value<int>("SELECT 5") == 5);
}

TEST_CASE("a vanished peer during a query ends in connection_lost within the bound", "[fault][network]") {
    if (!vanish_available()) return;
    pgorm_test::empty_db db;
    testing::fault_proxy proxy(pgorm_test::server().port());
    connection c(via(proxy, db));
    require_lost_in_time(vanish_during(proxy, [&](auto ready) {
        ready(c);
        c.execute("SELECT pg_sleep(60)");
    }));
    CHECK_FALSE(c.is_open());
}

TEST_CASE("a vanished peer during a transaction: connection_lost, nothing committed", "[fault][network]") {
    if (!vanish_available()) return;
    pgorm_test::empty_db db;
    connection admin(db.url());
    admin.execute_script("CREATE TABLE written (v int)");
    testing::fault_proxy proxy(pgorm_test::server().port());
    pgorm::pool pool(via(proxy, db));
    require_lost_in_time(vanish_during(proxy, [&](auto ready) {
        pool.transact([&](xact& x) {
            x.conn().execute("INSERT INTO written VALUES (1)");
            ready(x.conn());
            x.conn().execute("SELECT pg_sleep(60)");
        });
    }));
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM written") == 0);
    CHECK(pool.stats().in_use == 0);
    CHECK(pool.acquire()->query_value<int>("SELECT 1") == 1);  // a new connection through the proxy
}

TEST_CASE("a vanished peer during a COPY ends in connection_lost within the bound", "[fault][network]") {
    if (!vanish_available()) return;
    pgorm_test::empty_db db;
    connection admin(db.url());
    admin.execute_script("CREATE TABLE copied (v int)");
    testing::fault_proxy proxy(pgorm_test::server().port());
    connection c(via(proxy, db));
    require_lost_in_time(vanish_during(proxy, [&](auto ready) {
        copy_writer w(c, "copied", {"v"}, false);
        for (int i = 0; i < 1000; ++i) w.write_row(i);
        ready(c);
        std::this_thread::sleep_for(400ms);  // the peer is gone by now
        for (int i = 0; i < 100'000; ++i) w.write_row(i);
        w.finish();
    }));
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM copied") == 0);
}

TEST_CASE("a vanished peer during a pipeline ends in connection_lost within the bound", "[fault][network]") {
    if (!vanish_available()) return;
    pgorm_test::empty_db db;
    testing::fault_proxy proxy(pgorm_test::server().port());
    connection c(via(proxy, db));
    require_lost_in_time(vanish_during(proxy, [&](auto ready) {
        pipeline p(c);
        p.execute("SELECT 1");
        p.execute("SELECT pg_sleep(60)");
        p.execute("SELECT 2");
        ready(c);
        (void)p.sync();
    }));
}

TEST_CASE("a vanished peer during a LISTEN wait: the listener reconnects within the bound", "[fault][network]") {
    if (!vanish_available()) return;
    pgorm_test::empty_db db;
    testing::fault_proxy proxy(pgorm_test::server().port());
    listener l(via(proxy, db));
    l.listen("jobs");
    std::atomic<bool> received{false};
    std::size_t reconnects = 0;
    std::string payload;
    auto waiting = std::async(std::launch::async, [&] {
        auto n = l.wait(20s);  // only what arrives after the reconnect can reach it
        reconnects = l.reconnects();
        if (n) payload = n->payload;
        received = n.has_value();
    });
    std::this_thread::sleep_for(300ms);
    proxy.vanish();
    const auto fault = clock_type::now();
    connection sender(db.url());
    while (!received && clock_type::now() - fault < hang_guard) {
        sender.execute("SELECT pg_notify('jobs', 'ping')");
        std::this_thread::sleep_for(100ms);
    }
    const auto took = clock_type::now() - fault;
    // wait(20s) ends by itself: the listener polls with a deadline.
    waiting.get();
    CHECK(received);
    CHECK(payload == "ping");
    CHECK(reconnects == 1);
    CAPTURE(std::chrono::duration<double>(took).count());
    CHECK(took < asserted_bound);
}

// ---- client-side deadlines (config::call_timeout): a peer whose TCP stack still acknowledges
// but that never answers (a stopped backend, a proxy that stopped relaying) is invisible to
// keepalives; the deadline ends the call anyway.

namespace {

constexpr auto call_timeout = 500ms;
// Deadline + cancel grace (min(call_timeout, 2 s)) is the bound by design; the rest is slack for a loaded host.
constexpr auto call_bound = 2 * call_timeout + 2s;

std::string with_call_timeout(const std::string& url) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "pgorm_call_timeout=500ms";
}

// Stops a backend process of the embedded server (the test's own server: it may signal it) and
// lets it go on again when destroyed, so a failed check never leaves the server wedged.
struct stopped_backend {
    int pid;
    explicit stopped_backend(int p) : pid(p) { REQUIRE(::kill(pid, SIGSTOP) == 0); }
    ~stopped_backend() { resume(); }
    void resume() {
        if (pid > 0) ::kill(pid, SIGCONT);
        pid = 0;
    }
};

// Runs op() on a thread and measures how long it takes; past hang_guard `unstick()` runs (the
// peer answers again), so a missing deadline fails the test instead of hanging the run.
template <class Op, class Unstick>
fault_outcome time_call(Op op, Unstick unstick) {
    auto start = clock_type::now();
    auto running = std::async(std::launch::async, [&]() -> std::exception_ptr {
        try {
            op();
            return nullptr;
        } catch (...) {
            return std::current_exception();
        }
    });
    fault_outcome out;
    out.hung = running.wait_for(hang_guard) != std::future_status::ready;
    out.after_fault = clock_type::now() - start;
    if (out.hung) unstick();
    out.error = running.get();
    return out;
}

template <class Expected>
void require_thrown(const fault_outcome& o, clock_type::duration bound) {
    CHECK_FALSE(o.hung);
    CAPTURE(std::chrono::duration<double>(o.after_fault).count());
    CHECK(o.after_fault < bound);
    REQUIRE(o.error);
    try {
        std::rethrow_exception(o.error);
    } catch (const Expected&) {
        SUCCEED("the expected error");
    } catch (const std::exception& e) {
        FAIL("unexpected error: " << e.what());
    }
}

}  // namespace

TEST_CASE("pgorm_call_timeout: parsed from URLs and key=value strings, stripped, bad values refused", "[fault][config]") {
    config a = config::parse("postgresql://u@h/db?pgorm_call_timeout=5s&sslmode=disable");
    CHECK(a.call_timeout == 5s);
    CHECK(a.conninfo == "postgresql://u@h/db?sslmode=disable");
    CHECK(config::parse("postgresql://u@h/db?pgorm_call_timeout=250").call_timeout == 250ms);
    CHECK(config::parse("postgresql://u@h/db?pgorm_call_timeout=250ms&pgorm_prepare=off").call_timeout == 250ms);
    CHECK_FALSE(config::parse("postgresql://u@h/db?pgorm_prepare=off&pgorm_call_timeout=1min").prepared_statements);
    CHECK(config::parse("postgresql://u@h/db?pgorm_call_timeout=1min").call_timeout == 60s);
    CHECK(config::parse("postgresql://u@h/db?pgorm_call_timeout=0").call_timeout == 0ms);
    CHECK(config::parse("postgresql://u@h/db").call_timeout == 0ms);  // off by default
    config k = config::parse("host=h dbname=db pgorm_call_timeout = 2s user=u");
    CHECK(k.call_timeout == 2s);
    CHECK(k.conninfo.find("pgorm_call_timeout") == std::string::npos);
    for (const char* bad : {"", "-1", "5h", "1.5s", "abc", "1234567890", "5 s", "s"}) {
        CAPTURE(bad);
        std::string url = std::string("postgresql://u:secret@h/db?pgorm_call_timeout=") + bad;
        try {
            (void)config::parse(url);
            FAIL("accepted");
        } catch (const config_error& e) {
            std::string what = e.what();
            CHECK(what.find("pgorm_call_timeout must be a whole number of milliseconds") != std::string::npos);
            CHECK(what.find("secret") == std::string::npos);
        }
    }
    CHECK_THROWS_AS(config::parse("host=h pgorm_call_timeout=forever"), config_error);
    CHECK_THROWS_AS(config::parse("postgresql://u@h/db?pgorm_call_timeout"), config_error);
}

TEST_CASE("with call_timeout set, statements behave as without it", "[fault][network]") {
    pgorm_test::empty_db db;
    for (const char* prepare : {"on", "off"}) {
        CAPTURE(prepare);
        connection c(with_call_timeout(db.url()) + "&pgorm_prepare=" + prepare);
        REQUIRE(c.settings().call_timeout == call_timeout);
        c.execute_script("CREATE TEMP TABLE t (v int PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
        for (int i = 0; i < 3; ++i) CHECK(c.query_value<std::int64_t>("SELECT sum(v) FROM t WHERE v >= $1", 1) == 3);
        CHECK(c.query<int>("SELECT v FROM t ORDER BY v") == std::vector<int>{1, 2});
        CHECK_THROWS_AS(c.execute("INSERT INTO t VALUES ($1)", 1), unique_violation);
        CHECK_THROWS_AS(c.execute_script("SELECT 1; SELECT * FROM missing_table"), undefined_table);
        // A statement shorter than the deadline but longer than a poll() tick completes.
        CHECK(c.query_value<int>("SELECT 7 FROM pg_sleep(0.2)") == 7);
        // A long parameter (more than a socket buffer) is flushed under the deadline too.
        std::string big(4 << 20, 'x');
        CHECK(c.query_value<std::int64_t>("SELECT length($1::text)", big) == static_cast<std::int64_t>(big.size()));
        CHECK(c.transaction_status() == PQTRANS_IDLE);
    }
}

TEST_CASE("call_timeout: a slow statement is cancelled at the deadline; the connection stays usable", "[fault][network]") {
    pgorm_test::empty_db db;
    connection c(with_call_timeout(db.url()));
    require_thrown<query_canceled>(time_call([&] { c.execute("SELECT pg_sleep(30)"); }, [] {}), call_timeout + 3s);
    REQUIRE(c.is_open());
    CHECK(c.query_value<int>("SELECT 1") == 1);
}

TEST_CASE("call_timeout: a stalled peer (TCP healthy, no answer) ends in connection_lost within the deadline", "[fault][network]") {
    if (pgorm_test::server().external()) return;
    pgorm_test::empty_db db;
    testing::fault_proxy proxy(pgorm_test::server().port());
    connection c(with_call_timeout(via(proxy, db)));
    CHECK(c.query_value<int>("SELECT 1") == 1);
    proxy.stall();
    require_thrown<connection_lost>(time_call([&] { c.execute("SELECT 2"); }, [&] { proxy.pass(); }), call_bound);
    CHECK_FALSE(c.is_open());  // given up on and closed, so a pool would replace it
    proxy.pass();
}

TEST_CASE("call_timeout: a SIGSTOPped backend ends in connection_lost; the pool replaces the connection", "[fault][network]") {
    if (pgorm_test::server().external()) return;  // only the test's own server may be stopped
    pgorm_test::empty_db db;
    SECTION("a connection") {
        connection c(with_call_timeout(db.url()));
        stopped_backend stopped(c.backend_pid());
        require_thrown<connection_lost>(time_call([&] { c.execute("SELECT 1"); }, [&] { stopped.resume(); }), call_bound);
        CHECK_FALSE(c.is_open());
    }
    SECTION("a pool, call_timeout from pool_options, inside a transaction") {
        pool_options o;
        o.call_timeout = call_timeout;
        pgorm::pool pool(db.url(), o);
        int stopped_pid = 0;
        {
            auto h = pool.acquire();
            REQUIRE(h->settings().call_timeout == call_timeout);
            stopped_pid = h->backend_pid();
        }
        {
            stopped_backend stopped(stopped_pid);
            require_thrown<connection_lost>(time_call([&] {
                pool.transact([&](xact& x) {
                    REQUIRE(x.conn().backend_pid() == stopped_pid);  // the only connection, idle in the pool
                    x.conn().execute("SELECT 1");
                });
            }, [&] { stopped.resume(); }), call_bound);
        }
        CHECK(pool.stats().in_use == 0);
        CHECK(pool.stats().replaced >= 1);
        auto h = pool.acquire();
        CHECK(h->backend_pid() != stopped_pid);
        CHECK(h->query_value<int>("SELECT 1") == 1);
    }
}
