// Network faults through testing::fault_proxy: pgorm's TCP defaults reach the socket, and a peer
// that vanishes without closing (no FIN, no RST) during a query, a transaction, a COPY, a
// pipeline or a LISTEN wait ends in connection_lost (the listener: a reconnect) within the
// keepalive bound the URL configures, never a hang.
#include "support.hpp"

#include <pgorm/testing/fault_proxy.hpp>

#include <netinet/tcp.h>
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
