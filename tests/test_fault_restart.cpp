// Server restarts under live clients: testing::cluster's stop()/start()/restart() keep the port
// and the data, so a pool and a listener holding the URL must resume on their own, and every
// write the server acknowledged before the restart must still be there after it.
#include "support.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
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

struct Job {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(Job, (), (n))

// Polls `done` until it holds or `limit` passes.
template <class F>
bool eventually(F done, std::chrono::seconds limit = 30s) {
    for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(50ms))
        if (done()) return true;
    return done();
}

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

TEST_CASE("a restart under running queue, event and bus workers: they resume, nothing committed is lost or completed twice",
          "[fault][restart][workers]") {
    testing::cluster& server = own_server();
    const std::string url = server.url() + "?connect_timeout=5";
    {
        connection c(url);
        queue::install(c);
        queue::client<Job>(c, "restart_jobs").create();
        bus::install(c);
        bus::create_domain(c, "restart");
        events::install(c);
    }
    constexpr int per_phase = 40;  // sent before the restart, and as many after it

    pool_options po;
    po.max_size = 6;
    po.maintenance_interval = 100ms;
    pgorm::pool pool(url, po);

    // The bus worker: catches its own errors and claims again (bus/worker.hpp).
    std::mutex mutex;
    std::map<boost::uuids::uuid, int> bus_runs;  // handler runs per command
    bus::handler_registry reg;
    reg.on<Job>("restart", "Work", [&](const Job&, bus::handler_context& ctx) {
        std::lock_guard lock(mutex);
        ++bus_runs[ctx.command_id];
    });
    bus::worker_options wo;
    wo.poll_interval = 50ms;
    wo.visibility_timeout = 2s;  // a claim lost in the restart comes back soon
    wo.batch_size = 5;
    wo.retry.backoff_schedule = {0s};
    bus::worker worker(pool, "restart", reg, wo);
    worker.start();

    // The queue consumer and the event subscriber ride out the restart on their own
    // (reconnect_timeout, 30 s by default): one call each, no supervision; any error escaping
    // them fails the test.
    std::map<std::int64_t, int> queue_runs;  // handler runs per message body
    std::stop_source stop_consumer;
    std::mutex errors_mutex;
    std::vector<std::string> escaped;  // errors that escaped consume() or subscribe()
    auto keep = [&](const char* who) {
        try {
            throw;
        } catch (const std::exception& e) {
            std::lock_guard lock(errors_mutex);
            escaped.push_back(std::string(who) + ": " + e.what());
        }
    };
    events::event_store store;
    std::map<boost::uuids::uuid, int> event_runs;  // handler runs per event
    std::jthread subscriber([&] {
        events::subscribe_options so;
        so.claim = {.batch = 5, .lease = 2s};
        so.concurrency = 2;
        so.poll_interval = 50ms;
        so.stop = stop_consumer.get_token();
        try {
            events::subscribe<Job>(pool, store, [&](const events::event<Job>& e) {
                std::lock_guard lock(mutex);
                ++event_runs[e.id];
            }, so);
        } catch (...) {
            keep("subscribe");
        }
    });
    std::jthread consumer([&] {
        queue::consume_options qo;
        qo.vt = 2s;
        qo.batch = 5;
        qo.concurrency = 2;
        qo.poll_interval = 50ms;
        qo.stop = stop_consumer.get_token();
        qo.backoff = {.base = 0s, .factor = 1, .max = 0s, .jitter = 0};
        try {
            queue::consume<Job>(pool, "restart_jobs", [&](const queue::message<Job>& m) {
                std::lock_guard lock(mutex);
                ++queue_runs[m.message.n];
            }, qo);
        } catch (...) {
            keep("consume");
        }
    });

    bus::command_bus b;
    std::vector<boost::uuids::uuid> sent, published;
    auto send_phase = [&](int first) {
        connection c(url);
        queue::client<Job> q(c, "restart_jobs");
        for (int i = first; i < first + per_phase; ++i) {
            q.send(Job{i});
            events::event<Job> e;
            e.type = "job";
            e.source = "restart test";
            e.payload = Job{i};
            published.push_back(store.publish(c, e));
            auto id = bus::new_id();
            b.send(c, "restart", "Work", id, Job{i});
            sent.push_back(id);  // both committed: send() returned
        }
    };
    auto completed = [&](connection& c) {
        return c.query_value<std::int64_t>("SELECT count(*) FROM commandbus.command WHERE domain = 'restart' AND status = 'COMPLETED'");
    };
    auto processed = [&](connection& c) {
        return c.query_value<std::int64_t>("SELECT count(*) FROM pgorm_events.events WHERE source = 'restart test' AND status = 'processed'");
    };
    send_phase(0);
    {
        connection c(url);
        REQUIRE(eventually([&] { return completed(c) >= 5; }));  // the workers are busy when the server goes
    }
    server.restart(testing::stop_mode::immediate);
    send_phase(per_phase);

    connection c(url);
    queue::client<Job> q(c, "restart_jobs");
    const bool all_done = eventually([&] {
        std::lock_guard lock(mutex);
        return completed(c) == 2 * per_phase && q.metrics().queue_length == 0 &&
               static_cast<int>(queue_runs.size()) == 2 * per_phase && static_cast<int>(event_runs.size()) == 2 * per_phase &&
               processed(c) == 2 * per_phase;
    });
    stop_consumer.request_stop();
    consumer.join();
    subscriber.join();
    worker.stop();
    CHECK(all_done);

    // Nothing lost: every committed command completed, every committed message handled.
    CHECK(completed(c) == 2 * per_phase);
    CHECK(q.metrics().queue_length == 0);
    std::lock_guard lock(mutex);
    CHECK(queue_runs.size() == 2 * per_phase);
    CHECK(bus_runs.size() == 2 * per_phase);
    CHECK(event_runs.size() == 2 * per_phase);
    for (const auto& id : published) CHECK(store.find<Job>(c, id)->status == events::status::processed);
    // Nothing done twice: each command completed once (one COMPLETED in its audit trail). Handler
    // runs may repeat only for what was claimed when the server went (at-least-once delivery): at
    // most one batch per worker thread.
    for (const auto& id : sent) {
        int completions = 0;
        for (auto& e : bus::audit_trail(c, id, "restart")) completions += e.event_type == bus::audit_event_type::COMPLETED;
        CHECK(completions == 1);
    }
    int bus_repeats = 0, queue_repeats = 0, event_repeats = 0;
    for (auto& [id, runs] : bus_runs) bus_repeats += runs - 1;
    for (auto& [n, runs] : queue_runs) queue_repeats += runs - 1;
    for (auto& [id, runs] : event_runs) event_repeats += runs - 1;
    CAPTURE(bus_repeats, queue_repeats, event_repeats);
    CHECK(bus_repeats <= wo.batch_size);
    CHECK(queue_repeats <= 2 * 5);
    CHECK(event_repeats <= 2 * 5);
    std::lock_guard errors_lock(errors_mutex);
    for (const auto& e : escaped) FAIL_CHECK("escaped the worker loop: " << e);
}

TEST_CASE("an outage longer than reconnect_timeout stops consume() and subscribe() with connection_error",
          "[fault][restart][workers]") {
    testing::cluster& server = own_server();
    const std::string url = server.url() + "?connect_timeout=2";
    {
        connection c(url);
        queue::install(c);
        queue::client<Job>(c, "outage_jobs").create();
        events::install(c);
    }
    pool_options po;
    po.max_size = 4;
    pgorm::pool pool(url, po);
    events::event_store store;

    queue::consume_options qo;
    qo.poll_interval = 50ms;
    qo.reconnect_timeout = 1500ms;
    events::subscribe_options so;
    so.poll_interval = 50ms;
    so.reconnect_timeout = 1500ms;
    std::atomic<bool> consume_running{true}, subscribe_running{true};
    std::string consume_error, subscribe_error;
    std::chrono::steady_clock::time_point stopped_at, consume_ended, subscribe_ended;
    std::jthread consumer([&] {
        try {
            queue::consume<Job>(pool, "outage_jobs", [](const queue::message<Job>&) {}, qo);
        } catch (const connection_error& e) {
            consume_error = e.what();
        }
        consume_ended = std::chrono::steady_clock::now();
        consume_running = false;
    });
    std::jthread subscriber([&] {
        try {
            events::subscribe<Job>(pool, store, [](const events::event<Job>&) {}, so);
        } catch (const connection_error& e) {
            subscribe_error = e.what();
        }
        subscribe_ended = std::chrono::steady_clock::now();
        subscribe_running = false;
    });
    std::this_thread::sleep_for(300ms);
    REQUIRE(consume_running);  // an idle queue and store: both poll on
    REQUIRE(subscribe_running);
    stopped_at = std::chrono::steady_clock::now();
    server.stop();
    consumer.join();
    subscriber.join();
    server.start();
    CHECK_FALSE(consume_error.empty());
    CHECK_FALSE(subscribe_error.empty());
    // Not before the window (1.5 s), and not long after it (connect_timeout 2 s per try + slack).
    CHECK(consume_ended - stopped_at >= 1500ms);
    CHECK(subscribe_ended - stopped_at >= 1500ms);
    CHECK(consume_ended - stopped_at < 12s);
    CHECK(subscribe_ended - stopped_at < 12s);

    // reconnect_timeout = 0: the first connection_error stops the loop, as before.
    server.stop();
    qo.reconnect_timeout = 0ms;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(queue::consume<Job>(pool, "outage_jobs", [](const queue::message<Job>&) {}, qo), connection_error);
    CHECK(std::chrono::steady_clock::now() - t0 < 8s);
    server.start();
}
