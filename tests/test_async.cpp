// async/: the coroutine connection on Boost.Asio against a real server: typed queries, errors,
// non-blocking connect (socket replaced when the first host is down, own timeout), automatic
// pipelining, cancellation, timeouts, a terminated backend, the pool, transactions and LISTEN.

#include "support.hpp"

#include <pgorm/async.hpp>
#include <pgorm/repo/filter.hpp>  // statements built by the repository layer, run by the async executor

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <chrono>
#include <thread>
#include <tuple>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using pgorm::awaitable;

namespace {

struct Account {
    std::int64_t id;
    std::string owner;
    std::optional<std::int64_t> balance;
};

/// Runs `f` (a coroutine factory) to completion on a fresh io_context on this thread; rethrows.
template <class F>
void run_async(F&& f) {
    asio::io_context io;
    std::exception_ptr failed;
    bool finished = false;
    asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e) {
        failed = e;
        finished = true;
    });
    io.run();
    REQUIRE(finished);
    if (failed) std::rethrow_exception(failed);
}

/// A TCP port on 127.0.0.1 that accepts connections and never answers (the kernel completes the
/// handshake from the listen backlog).
struct silent_server {
    int fd = -1;
    int port = 0;
    silent_server() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd, 8) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~silent_server() { ::close(fd); }
};

/// postgresql://user@127.0.0.1:PORT/db -> the same with other host:port list.
std::string with_hosts(const std::string& url, const std::string& hosts) {
    auto at = url.find('@');
    auto slash = url.find('/', at);
    return url.substr(0, at + 1) + hosts + url.substr(slash);
}

}  // namespace

BOOST_DESCRIBE_STRUCT(Account, (), (id, owner, balance))

TEST_CASE("async_connection: typed queries with bound parameters, same results as the sync API") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE account (id bigint PRIMARY KEY, owner text NOT NULL, balance bigint)");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        CHECK(c.is_open());
        CHECK(c.backend_pid() > 0);
        pgorm::result ins = co_await c.execute("INSERT INTO account VALUES ($1, $2, $3), ($4, $5, NULL)",
                                               std::int64_t{1}, std::string("ada"), std::int64_t{10}, std::int64_t{2},
                                               "bob");
        CHECK(ins.affected_rows() == 2);
        auto all = co_await c.query<Account>("SELECT id, owner, balance FROM account ORDER BY id");
        REQUIRE(all.size() == 2);
        CHECK(all[0].owner == "ada");
        CHECK(all[0].balance == 10);
        CHECK_FALSE(all[1].balance.has_value());
        auto one = co_await c.query_one<std::tuple<std::string, std::int64_t>>(
            "SELECT owner, id FROM account WHERE id = $1", std::int64_t{2});
        REQUIRE(one.has_value());
        CHECK(std::get<0>(*one) == "bob");
        auto none = co_await c.query_one<Account>("SELECT id, owner, balance FROM account WHERE id = $1", std::int64_t{9});
        CHECK_FALSE(none.has_value());
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM account") == 2);
        CHECK(co_await c.query_value<std::string>("SELECT $1::text || $2::text", std::string("a"), std::string("b")) == "ab");
    });
}

TEST_CASE("async_connection: SQL text in a temporary std::string is owned by the awaitable, which may start later") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        // Longer than any small-string buffer and built at run time: each text's heap block is
        // freed at the end of its full expression, before the awaitables below start.
        auto sql = [](int n) { return "SELECT " + std::to_string(n) + "::bigint" + std::string(200, ' '); };
        auto value = c.query_value<std::int64_t>(sql(42));
        auto rows = c.query<std::tuple<std::int64_t>>(sql(7));
        auto one = c.query_one<std::tuple<std::int64_t>>(sql(8));
        auto raw = c.execute(sql(9));
        std::vector<std::string> clobber(8, std::string(256, 'x'));  // a kept view would now read these
        std::int64_t v = co_await std::move(value);
        CHECK(v == 42);
        std::vector<std::tuple<std::int64_t>> all = co_await std::move(rows);
        REQUIRE(all.size() == 1);
        CHECK(std::get<0>(all[0]) == 7);
        std::optional<std::tuple<std::int64_t>> first = co_await std::move(one);
        REQUIRE(first.has_value());
        CHECK(std::get<0>(*first) == 8);
        pgorm::result r = co_await std::move(raw);
        CHECK(r.value<std::int64_t>() == 9);

        // Handed to co_spawn, which starts it after this statement's temporaries are gone.
        std::optional<std::int64_t> spawned;
        asio::co_spawn(ex, c.query_value<std::int64_t>(sql(5)), [&](std::exception_ptr e, std::int64_t got) {
            if (!e) spawned = got;
            else spawned = -1;
        });
        clobber.assign(8, std::string(256, 'y'));
        asio::steady_timer wait{ex};
        for (int i = 0; i < 500 && !spawned; ++i) {
            wait.expires_after(std::chrono::milliseconds(10));
            co_await wait.async_wait(asio::use_awaitable);
        }
        CHECK(spawned == std::optional<std::int64_t>(5));
    });
}

namespace {
struct Ledger {  // described where it is defined, so filter<Ledger> finds its columns by name
    std::int64_t id;
    std::string owner;
    std::optional<std::int64_t> balance;
};
BOOST_DESCRIBE_STRUCT(Ledger, (), (id, owner, balance))
PGORM_TABLE(Ledger, "account", key(&Ledger::id));
}  // namespace

TEST_CASE("async_connection: a statement built by the repository layer (sql_builder, filter<T>) runs as built") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE account (id bigint PRIMARY KEY, owner text NOT NULL, balance bigint); "
                                "INSERT INTO account VALUES (1, 'ada', 10), (2, 'bob', NULL), (3, 'cy', 30)");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        using pgorm::col;
        pgorm::sql_builder b;
        b << "SELECT id, owner, balance FROM account WHERE ";
        (col(&Ledger::balance) > 5 && col(&Ledger::owner) != "cy").render(b);
        b << " ORDER BY id";
        CHECK(b.params.size() == 2);  // the values travel as parameters, not in the text
        auto rows = co_await c.query<Ledger>(b);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].owner == "ada");
        auto none = co_await c.query_one<Ledger>(b);  // the same statement again: the prepared one
        REQUIRE(none);
        CHECK(none->id == 1);
        pgorm::sql_builder bad;
        bad << "SELECT id FROM account WHERE owner = ";
        bad.bind(std::int64_t{1});  // bigint against text: the server refuses, as in the sync API
        bool refused = false;
        try {
            co_await c.execute(bad);
        } catch (const pgorm::sql_error&) {
            refused = true;
        }
        CHECK(refused);
    });
}

TEST_CASE("async_connection: errors are the sync API's classes and fail only their own statement") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE k (id int PRIMARY KEY)");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        co_await c.execute("INSERT INTO k VALUES ($1)", 1);
        bool unique = false, syntax = false, mismatch = false, undefined = false;
        try {
            co_await c.execute("INSERT INTO k VALUES ($1)", 1);
        } catch (const pgorm::unique_violation& e) {
            unique = e.sqlstate() == "23505";
        }
        try {
            co_await c.execute("SELEC 1");
        } catch (const pgorm::syntax_error_or_access_rule_violation&) {
            syntax = true;
        }
        try {
            co_await c.query_value<std::string>("SELECT 1::int");
        } catch (const pgorm::type_mismatch&) {
            mismatch = true;
        }
        try {  // the same bad statement twice: its failed prepare must not poison the cache
            co_await c.execute("SELECT * FROM missing_table");
        } catch (const pgorm::undefined_table&) {
        }
        try {
            co_await c.execute("SELECT * FROM missing_table");
        } catch (const pgorm::undefined_table&) {
            undefined = true;
        }
        CHECK(unique);
        CHECK(syntax);
        CHECK(mismatch);
        CHECK(undefined);
        CHECK(co_await c.query_value<std::int32_t>("SELECT count(*)::int FROM k") == 1);  // still usable
    });
}

TEST_CASE("async_connection: connect errors and the connect timeout") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        // Nothing listens on port 1: refused at once, and the message names the server.
        pgorm::async_connection refused{ex, with_hosts(db.url(), "127.0.0.1:1")};
        std::string why;
        try {
            co_await refused.connect();
        } catch (const pgorm::connection_error& e) {
            why = e.what();
        }
        CHECK(why.find("cannot connect to") != std::string::npos);
        CHECK(why.find("127.0.0.1:1") != std::string::npos);

        silent_server silent;
        pgorm::async_options o;
        o.connect_timeout = 300ms;
        pgorm::async_connection hung{ex, with_hosts(db.url(), "127.0.0.1:" + std::to_string(silent.port)), o};
        auto start = std::chrono::steady_clock::now();
        why.clear();
        try {
            co_await hung.connect();
        } catch (const pgorm::connection_error& e) {
            why = e.what();
        }
        auto took = std::chrono::steady_clock::now() - start;
        CHECK(why.find("connect_timeout") != std::string::npos);
        CHECK(took >= 250ms);
        CHECK(took < 5s);
    });
    CHECK_THROWS_AS(pgorm::async_connection(asio::system_executor(), "not a url"), pgorm::config_error);
}

TEST_CASE("async_connection: first host down, libpq replaces the socket during connect") {
    pgorm_test::empty_db db;
    int port = pgorm_test::server().port();
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        // A refused first host, then a silent one would hang: use refused + the real server.
        pgorm::async_connection c{ex, with_hosts(db.url(), "127.0.0.1:1,127.0.0.1:" + std::to_string(port))};
        co_await c.connect();
        CHECK(co_await c.query_value<std::int32_t>("SELECT 41 + $1", 1) == 42);
    });
}

TEST_CASE("auto-pipelining: 64 concurrent point selects share a few round trips") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE p (id int PRIMARY KEY, v text); "
                      "INSERT INTO p SELECT g, 'v' || g FROM generate_series(1, 64) g");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        std::vector<std::string> got(64);
        int done = 0;
        for (int i = 0; i < 64; ++i)
            asio::co_spawn(ex, [&, i]() -> awaitable<void> {
                got[static_cast<std::size_t>(i)] = co_await c.query_value<std::string>("SELECT v FROM p WHERE id = $1", i + 1);
                ++done;
            }, asio::detached);
        asio::steady_timer t(ex);
        while (done < 64) {
            t.expires_after(1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        for (int i = 0; i < 64; ++i) CHECK(got[static_cast<std::size_t>(i)] == "v" + std::to_string(i + 1));
        const pgorm::async_stats concurrent = c.stats();
        CHECK(concurrent.requests == 64);
        CHECK(concurrent.batches <= 4);  // one write for all 64 in practice

        // One at a time, each await before the next: one round trip per statement.
        for (int i = 0; i < 64; ++i) co_await c.query_value<std::string>("SELECT v FROM p WHERE id = $1", i + 1);
        CHECK(c.stats().requests - concurrent.requests == 64);
        CHECK(c.stats().batches - concurrent.batches == 64);
    });
}

TEST_CASE("auto-pipelining: an error in one concurrent statement fails that statement only") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        int ok = 0, failed = 0, finished = 0;
        for (int i = 0; i < 30; ++i)
            asio::co_spawn(ex, [&, i]() -> awaitable<void> {
                try {
                    // every third divides by zero
                    int v = co_await c.query_value<std::int32_t>("SELECT 10 / $1", i % 3 == 0 ? 0 : 1);
                    if (v == 10) ++ok;
                } catch (const pgorm::data_exception& e) {
                    if (e.sqlstate() == "22012") ++failed;
                }
                ++finished;
            }, asio::detached);
        asio::steady_timer t(ex);
        while (finished < 30) {
            t.expires_after(1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(ok == 20);
        CHECK(failed == 10);
        CHECK(c.stats().batches < 30);
    });
}

TEST_CASE("cancellation: a cancellation slot and a per-call timeout stop pg_sleep; the connection stays usable") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();

        // Cancellation slot: emit while the server sleeps.
        asio::cancellation_signal stop;
        std::exception_ptr outcome;
        bool done = false;
        auto start = std::chrono::steady_clock::now();
        asio::co_spawn(ex, c.execute("SELECT pg_sleep(30)"),
                       asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e, pgorm::result) {
                           outcome = e;
                           done = true;
                       }));
        asio::steady_timer t(ex, 200ms);
        co_await t.async_wait(asio::use_awaitable);
        stop.emit(asio::cancellation_type::terminal);
        while (!done) {
            t.expires_after(2ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        REQUIRE(outcome);
        CHECK_THROWS_AS(std::rethrow_exception(outcome), pgorm::query_canceled);
        CHECK(std::chrono::steady_clock::now() - start < 10s);
        CHECK(c.stats().cancels == 1);
        CHECK(co_await c.query_value<std::int32_t>("SELECT 7") == 7);

        // Per-call timeout.
        start = std::chrono::steady_clock::now();
        bool timed_out = false;
        try {
            co_await c.with_timeout(150ms).execute("SELECT pg_sleep(30)");
        } catch (const pgorm::query_canceled&) {
            timed_out = true;
        }
        CHECK(timed_out);
        CHECK(std::chrono::steady_clock::now() - start < 10s);
        CHECK(co_await c.with_timeout(5s).query_value<std::int32_t>("SELECT 8") == 8);  // fast calls are untouched
        CHECK(c.stats().cancels == 2);
    });
}

TEST_CASE("connection lost: a backend terminated mid-await fails every pending await with connection_lost") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        int pid = c.backend_pid();
        int lost = 0, finished = 0;
        for (int i = 0; i < 5; ++i)
            asio::co_spawn(ex, [&]() -> awaitable<void> {
                try {
                    co_await c.execute("SELECT pg_sleep(30)");
                } catch (const pgorm::connection_lost&) {
                    ++lost;
                }
                ++finished;
            }, asio::detached);
        asio::steady_timer t(ex, 200ms);
        co_await t.async_wait(asio::use_awaitable);
        pgorm::async_connection admin{ex, db.url()};
        co_await admin.connect();
        const bool terminated = co_await admin.query_value<bool>("SELECT pg_terminate_backend($1)", pid);
        CHECK(terminated);
        auto start = std::chrono::steady_clock::now();
        while (finished < 5 && std::chrono::steady_clock::now() - start < 10s) {
            t.expires_after(2ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(lost == 5);
        CHECK_FALSE(c.is_open());
        CHECK_THROWS_AS(co_await c.execute("SELECT 1"), pgorm::connection_lost);
        co_await c.connect();  // connect() again reopens it
        CHECK(co_await c.query_value<std::int32_t>("SELECT 1") == 1);
    });
}

TEST_CASE("async_pool: 1,000 concurrent coroutines on one thread over a pool of 4") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_pool_options o;
        o.size = 4;
        pgorm::async_pool pool{ex, db.url(), o};
        int right = 0, finished = 0;
        for (int i = 0; i < 1000; ++i)
            asio::co_spawn(ex, [&, i]() -> awaitable<void> {
                pgorm::async_lease c = co_await pool.acquire();
                if (co_await c->query_value<std::int32_t>("SELECT $1 * 2", i) == 2 * i) ++right;
                ++finished;
            }, asio::detached);
        asio::steady_timer t(ex);
        while (finished < 1000) {
            t.expires_after(2ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(right == 1000);
        pgorm::async_pool_stats s = pool.stats();
        CHECK(s.created <= 4);
        CHECK(s.open == s.idle);  // every lease came back: none leaked
        CHECK(s.waiting == 0);
        CHECK(s.acquired == 1000);
    });
}

TEST_CASE("async_pool: acquire timeout and bad options") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_pool_options o;
        o.size = 1;
        o.acquire_timeout = 100ms;
        pgorm::async_pool pool{ex, db.url(), o};
        pgorm::async_lease held = co_await pool.acquire();
        bool timed_out = false;
        try {
            co_await pool.acquire();
        } catch (const pgorm::pool_timeout&) {
            timed_out = true;
        }
        CHECK(timed_out);
        CHECK(pool.stats().timeouts == 1);
        held.release();
        pgorm::async_lease again = co_await pool.acquire();
        CHECK(again->is_open());
    });
    pgorm::async_pool_options none;
    none.size = 0;
    CHECK_THROWS_AS(pgorm::async_pool(asio::system_executor(), "postgresql://x@127.0.0.1/db", none), pgorm::config_error);
}

TEST_CASE("async_pool::transact: commit on return, rollback on throw, retry on serialization failure") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL); "
                      "CREATE FUNCTION raise_40001() RETURNS void LANGUAGE plpgsql AS "
                      "$$BEGIN RAISE EXCEPTION 'simulated conflict' USING ERRCODE = '40001'; END$$");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_pool_options o;
        o.size = 2;
        pgorm::async_pool pool{ex, db.url(), o};
        int n = co_await pool.transact([&](pgorm::async_xact& q) -> awaitable<int> {
            co_await q.execute("INSERT INTO t VALUES ($1, $2)", 1, 10);
            co_return co_await q.query_value<std::int32_t>("SELECT n FROM t WHERE id = $1", 1);
        });
        CHECK(n == 10);
        bool thrown = false;
        try {
            co_await pool.transact([&](pgorm::async_xact& q) -> awaitable<void> {
                co_await q.execute("INSERT INTO t VALUES ($1, $2)", 2, 20);
                throw std::runtime_error("handler failed");
            });
        } catch (const std::runtime_error& e) {
            thrown = std::string(e.what()) == "handler failed";
        }
        CHECK(thrown);
        pgorm::async_lease c = co_await pool.acquire();
        CHECK(co_await c->query_value<std::int64_t>("SELECT count(*) FROM t") == 1);  // row 2 rolled back
        c.release();

        int attempts = 0;
        pgorm::transact_options retry;
        retry.retry = pgorm::retry_policy::attempts(3);
        co_await pool.transact([&](pgorm::async_xact& q) -> awaitable<void> {
            if (++attempts == 1) co_await q.execute("SELECT raise_40001()");
            co_await q.execute("UPDATE t SET n = n + 1 WHERE id = $1", 1);
        }, retry);
        CHECK(attempts == 2);
        c = co_await pool.acquire();
        CHECK(co_await c->query_value<std::int32_t>("SELECT n FROM t WHERE id = $1", 1) == 11);
    });
}

TEST_CASE("async_listener: next() returns notifications; a terminated session is reopened and listens again") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_listener l{ex, db.url()};
        co_await l.connect();
        co_await l.listen("Jobs");
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        co_await c.execute("SELECT pg_notify($1, $2)", "Jobs", "first");
        pgorm::notification n = co_await l.next();
        CHECK(n.channel == "Jobs");
        CHECK(n.payload == "first");

        // Terminated while waiting: the listener reconnects, LISTENs again, and goes on waiting.
        int old_pid = l.conn().backend_pid();
        REQUIRE(old_pid != 0);  // still connected after the first notification
        std::optional<pgorm::notification> second;
        asio::cancellation_signal give_up;
        bool waiter_done = false;
        asio::co_spawn(ex, [&]() -> awaitable<void> { second = co_await l.next(); },
                       asio::bind_cancellation_slot(give_up.slot(), [&](std::exception_ptr) { waiter_done = true; }));
        asio::steady_timer t(ex, 100ms);
        co_await t.async_wait(asio::use_awaitable);
        const bool terminated = co_await c.query_value<bool>("SELECT pg_terminate_backend($1)", old_pid);
        CHECK(terminated);
        auto start = std::chrono::steady_clock::now();
        while (!second && std::chrono::steady_clock::now() - start < 10s) {
            if (l.reconnects() == 1 && l.conn().is_open())
                co_await c.execute("SELECT pg_notify($1, $2)", "Jobs", "second");
            t.expires_after(20ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        if (!second) {  // stop the waiting next() before the test's locals go away
            give_up.emit(asio::cancellation_type::terminal);
            while (!waiter_done) {
                t.expires_after(5ms);
                co_await t.async_wait(asio::use_awaitable);
            }
        }
        REQUIRE(second);
        CHECK(second->payload == "second");
        CHECK(l.reconnects() == 1);
        CHECK(l.conn().backend_pid() != old_pid);
    });
}

TEST_CASE("async_listener: a cancelled next() lets io_context::run() return; a notification libpq already read is not missed") {
    pgorm_test::empty_db db;
    asio::io_context io;
    pgorm::async_listener l{io.get_executor(), db.url()};
    pgorm::async_connection c{io.get_executor(), db.url()};
    // Runs one coroutine; io_context::run must return by itself once it is done (nothing armed).
    auto run_alone = [&](auto make) {
        bool finished = false;
        std::exception_ptr failed;
        asio::co_spawn(io, make(), [&](std::exception_ptr e) {
            failed = e;
            finished = true;
        });
        io.restart();
        io.run_for(10s);
        REQUIRE(finished);
        CHECK(io.stopped());  // ran out of work: no socket wait left behind
        if (failed) std::rethrow_exception(failed);
    };
    // next() on its own coroutine, cancelled after `patience` if it has not returned.
    auto next_within = [&](std::chrono::milliseconds patience) -> awaitable<std::optional<pgorm::notification>> {
        std::optional<pgorm::notification> got;
        std::exception_ptr failed;
        bool done = false;
        asio::cancellation_signal stop;
        asio::co_spawn(io, [&]() -> awaitable<void> { got = co_await l.next(); },
                       asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e) {
                           failed = e;
                           done = true;
                       }));
        asio::steady_timer t(io);
        const auto until = std::chrono::steady_clock::now() + patience;
        while (!done) {
            if (std::chrono::steady_clock::now() >= until) stop.emit(asio::cancellation_type::terminal);
            t.expires_after(2ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        if (failed) CHECK_THROWS_AS(std::rethrow_exception(failed), boost::system::system_error);
        co_return got;
    };

    run_alone([&]() -> awaitable<void> {
        co_await l.connect();
        co_await c.connect();
        co_await l.listen("ch");
        CHECK_FALSE(co_await next_within(50ms));  // nothing sent: cancelled
    });
    // Sent while nobody waited and no read was armed: the next next() still gets it.
    run_alone([&]() -> awaitable<void> {
        co_await c.execute("SELECT pg_notify('ch', 'after')");
        auto n = co_await next_within(5s);
        REQUIRE(n);
        CHECK(n->payload == "after");
    });
    // Already read into libpq's buffer (here by a PQconsumeInput of our own): the socket will not
    // signal it again, so next() must look in libpq first.
    run_alone([&]() -> awaitable<void> {
        co_await c.execute("SELECT pg_notify('ch', 'buffered')");
        pollfd fd{PQsocket(l.conn().native()), POLLIN, 0};
        REQUIRE(::poll(&fd, 1, 5000) == 1);
        REQUIRE(PQconsumeInput(l.conn().native()) == 1);
        auto n = co_await next_within(3s);
        REQUIRE(n);
        CHECK(n->payload == "buffered");
    });
    CHECK(l.reconnects() == 0);
}

TEST_CASE("async_connection: an io_context run by 4 threads shares one connection safely") {
    pgorm_test::empty_db db;
    asio::io_context io;
    std::atomic<int> right{0}, finished{0};
    std::exception_ptr failed;
    std::unique_ptr<pgorm::async_connection> c;
    asio::co_spawn(io, [&]() -> awaitable<void> {
        c = std::make_unique<pgorm::async_connection>(io.get_executor(), db.url());
        co_await c->connect();
        for (int i = 0; i < 200; ++i)
            asio::co_spawn(io, [&, i]() -> awaitable<void> {
                if (co_await c->query_value<std::int32_t>("SELECT $1 + 1", i) == i + 1) ++right;
                ++finished;
            }, asio::detached);
    }, [&](std::exception_ptr e) { failed = e; });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { io.run(); });
    for (auto& t : threads) t.join();
    if (failed) std::rethrow_exception(failed);
    CHECK(finished == 200);
    CHECK(right == 200);
    CHECK(c->stats().requests == 200);
}

// ---- tenant (RLS) scopes on the async pool: the async twin of tests/test_tenant_isolation.cpp ----

namespace {

struct tenant_rows {
    std::string org_a, org_b, user_a, user_b;
};

tenant_rows seed_tenants(pgorm::connection& c) {
    tenant_rows t;
    t.org_a = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ('A') RETURNING id");
    t.org_b = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ('B') RETURNING id");
    t.user_a = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'a@a.test') RETURNING user_id", t.org_a);
    t.user_b = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'secret-b@b.test') RETURNING user_id", t.org_b);
    return t;
}

pgorm::async_pool_options one_tenant_session() {
    pgorm::async_pool_options o;
    o.size = 1;  // every scope reuses the previous tenant's server session
    o.acquire_timeout = 10s;
    o.tenant = pgorm::tenant_login{};
    return o;
}

awaitable<std::vector<std::string>> visible_emails(const pgorm::async_statements& q) {
    co_return co_await q.query<std::string>("SELECT email FROM users ORDER BY 1");
}

/// Runs one hostile statement in a savepoint of A's scope; whether the server takes it or not,
/// A must still see none of B's rows. Returns whether the server took it.
awaitable<bool> hostile(pgorm::async_xact& q, const std::string& sql, const tenant_rows& t) {
    co_await q.execute("SAVEPOINT hostile");
    bool accepted = true;
    try {
        co_await q.execute(sql);
        for (const auto& e : co_await visible_emails(q)) CHECK(e != "secret-b@b.test");
        co_await q.execute("RELEASE SAVEPOINT hostile");
    } catch (const pgorm::error&) {
        accepted = false;
    }
    if (!accepted) co_await q.execute("ROLLBACK TO SAVEPOINT hostile");
    for (const auto& e : co_await visible_emails(q)) CHECK(e != "secret-b@b.test");
    CHECK(co_await q.query_value<std::int64_t>("SELECT count(*) FROM organizations WHERE id = $1", t.org_b) == 0);
    co_return accepted;
}

}  // namespace

TEST_CASE("async_pool tenant scopes: A never sees B, hostile SQL cannot escape, nothing reaches the next borrower") {
    pgorm_test::fresh_db db;
    auto admin = db.connect();
    const tenant_rows t = seed_tenants(admin);
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_pool p{ex, db.url(), one_tenant_session()};
        auto a_rows = co_await p.transact_tenant(t.user_a, t.org_a, [&](pgorm::async_xact& q) -> awaitable<std::vector<std::string>> {
            co_return co_await visible_emails(q);
        });
        CHECK(a_rows == std::vector<std::string>{"a@a.test"});
        int pid = 0;
        {
            pgorm::async_lease first = co_await p.acquire_tenant();  // named: see docs/async.md, g++ 12 pitfall
            pid = first->backend_pid();
        }

        // A sends what it likes inside its own scope.
        {
            pgorm::async_xact q = co_await p.xact_tenant(t.user_a, t.org_a);
            const std::vector<std::string> attempts = {
                "RESET ROLE",  // back to the login: still a NOBYPASSRLS non-owner
                "RESET pgorm.scope",
                "SET LOCAL pgorm.scope = 'v1.00.00.1.00'",
                "SELECT set_config('pgorm.scope', current_setting('pgorm.scope'), false)",
                "SET ROLE postgres",
                "SET SESSION AUTHORIZATION postgres",
                "SET LOCAL row_security = off",
                "ALTER TABLE users NO FORCE ROW LEVEL SECURITY",
                "ALTER ROLE app_customer_login BYPASSRLS",
                "SELECT key FROM pgorm_rls.signing_key",
                "DISCARD TEMP",
                "RESET ALL",
            };
            for (const auto& sql : attempts) {
                INFO(sql);
                co_await hostile(q, sql, t);
            }
            CHECK(co_await hostile(q, "RESET ROLE", t));  // allowed, and still blind to B
            CHECK_FALSE(co_await hostile(q, "SET SESSION AUTHORIZATION postgres", t));
            CHECK_FALSE(co_await hostile(q, "SET ROLE postgres", t));
            // State a tenant can leave behind at session level, then commit.
            co_await q.execute("SET search_path = pg_temp, public");
            co_await q.execute("CREATE TEMP TABLE users AS SELECT * FROM public.users");
            co_await q.execute("LISTEN tenant_b_events");
            co_await q.execute("SELECT pg_advisory_lock(42)");
            co_await q.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
            co_await q.execute("SELECT set_config('pgorm.scope', current_setting('pgorm.scope'), false)");
            co_await q.execute("CREATE TEMP SEQUENCE counter START 4242");
            co_await q.execute("SELECT nextval('counter')");
            co_await q.execute("SET statement_timeout = 4242");  // long enough never to cancel the reset
            co_await q.execute("PREPARE left_behind AS SELECT 1");
            co_await q.execute("SET ROLE NONE");
            co_await q.commit();
        }
        // The next borrower gets the same session (pool of one), reset.
        {
            pgorm::async_lease h = co_await p.acquire_tenant();
            REQUIRE(h->backend_pid() == pid);
            CHECK(co_await h->query_value<std::string>("SELECT current_setting('search_path')") == "\"$user\", public");
            CHECK(co_await h->query_value<std::string>("SELECT current_user::text") == "app_customer_login");
            CHECK(co_await h->query_value<std::int64_t>("SELECT count(*) FROM pg_listening_channels()") == 0);
            CHECK(co_await h->query_value<std::int64_t>(
                      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()") == 0);
            CHECK(co_await h->query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements WHERE from_sql") == 0);
            CHECK_FALSE(co_await h->query_value<std::optional<std::string>>("SELECT to_regclass('pg_temp.users')::text"));
            CHECK(co_await h->query_value<std::string>("SELECT current_setting('default_transaction_read_only')") == "off");
            CHECK(co_await h->query_value<std::string>("SELECT current_setting('statement_timeout')") != "4242ms");
            CHECK(co_await h->query_value<std::string>("SELECT coalesce(current_setting('pgorm.scope', true), '')") == "");
            CHECK_FALSE(co_await h->query_value<std::optional<std::string>>("SELECT pgorm_rls.organization_id()"));
            CHECK(co_await h->query_value<std::int64_t>("SELECT count(*) FROM users") == 0);  // no scope, no rows
            bool lastval_failed = false;
            try {
                co_await h->query_value<std::int64_t>("SELECT lastval()");
            } catch (const pgorm::sql_error&) {
                lastval_failed = true;
            }
            CHECK(lastval_failed);
        }
        // B sees exactly its own rows; A's uncommitted write thrown away with a throw.
        auto b_rows = co_await p.transact_tenant(t.user_b, t.org_b, [&](pgorm::async_xact& q) -> awaitable<std::vector<std::string>> {
            CHECK(co_await q.query_value<std::string>("SELECT app_current_organization_id()") == t.org_b);
            co_return co_await visible_emails(q);
        });
        CHECK(b_rows == std::vector<std::string>{"secret-b@b.test"});
        bool thrown = false;
        try {
            co_await p.transact_tenant(t.user_a, t.org_a, [&](pgorm::async_xact& q) -> awaitable<void> {
                co_await q.execute("UPDATE users SET email = 'changed@a.test'");
                throw std::runtime_error("handler failed");
            });
        } catch (const std::runtime_error&) {
            thrown = true;
        }
        CHECK(thrown);
        CHECK(p.tenant_stats().discarded == 0);  // every reset above succeeded on the one session
        CHECK(p.tenant_stats().created == 1);
    });
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM users WHERE email = 'changed@a.test'") == 0);
}

TEST_CASE("async_pool tenant scopes: bad input and a login with role-level defaults are refused") {
    pgorm_test::fresh_db db;
    auto admin = db.connect();
    const tenant_rows t = seed_tenants(admin);
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_pool plain{ex, db.url()};
        CHECK_FALSE(plain.has_tenant_login());
        bool refused = false;
        try {
            co_await plain.xact_tenant(t.user_a, t.org_a);
        } catch (const pgorm::usage_error& e) {
            refused = std::string(e.what()).find("no tenant login") != std::string::npos;
        }
        CHECK(refused);
        pgorm::async_pool p{ex, db.url(), one_tenant_session()};
        refused = false;
        try {
            co_await p.xact_tenant(std::string(), t.org_a);
        } catch (const pgorm::usage_error& e) {
            refused = std::string(e.what()).find("user id and an organization id") != std::string::npos;
        }
        CHECK(refused);
        admin.execute_script("ALTER ROLE app_customer_login SET search_path = pg_temp, public");
        refused = false;
        std::string said;
        try {
            co_await p.xact_tenant(t.user_a, t.org_a);
        } catch (const pgorm::error& e) {  // any pgorm error: the role's defaults are dropped below in every case
            said = e.what();
            refused = dynamic_cast<const pgorm::usage_error*>(&e) != nullptr;
        }
        admin.execute_script("ALTER ROLE app_customer_login RESET ALL");  // roles are cluster-wide
        CHECK(refused);
        CHECK_THAT(said, Catch::Contains("role-level defaults (search_path"));
        CHECK(p.tenant_stats().open == 0);  // the refused connection freed its place
        pgorm::async_xact q = co_await p.xact_tenant(t.user_a, t.org_a);
        auto seen = co_await visible_emails(q);  // g++ 12: no initializer list in a co_await expression
        CHECK(seen == std::vector<std::string>{"a@a.test"});
        co_await q.rollback();
    });
    auto bad = [&](auto&& edit) {
        pgorm::async_pool_options o = one_tenant_session();
        edit(o);
        asio::io_context io;
        pgorm::async_pool p{io.get_executor(), db.url(), o};
    };
    CHECK_THROWS_AS(bad([](auto& o) { o.tenant->user.clear(); }), pgorm::config_error);
    CHECK_THROWS_AS(bad([](auto& o) { o.tenant_role.clear(); }), pgorm::config_error);
    CHECK_THROWS_AS(bad([](auto& o) { o.scope_signing_key_hex = "abc"; }), pgorm::config_error);
    CHECK_THROWS_AS(bad([](auto& o) { o.scope_token_ttl = std::chrono::seconds(0); }), pgorm::config_error);
}

namespace {
/// Resident set size of this process in bytes (/proc/self/statm, second field, in pages).
std::int64_t resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    REQUIRE(f);
    long total = 0, resident = 0;
    REQUIRE(std::fscanf(f, "%ld %ld", &total, &resident) == 2);
    std::fclose(f);
    return static_cast<std::int64_t>(resident) * ::sysconf(_SC_PAGESIZE);
}
}  // namespace

TEST_CASE("stream: 200,000 rows one at a time, memory flat, statements queued behind it complete after it") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        constexpr std::int64_t n = 200'000;  // x 200 bytes of text: a 40 MB result if held whole
        std::int64_t seen = 0, sum = 0, out_of_order = 0, bad_text = 0;
        const std::int64_t rss_before = resident_bytes();
        std::int64_t rss_peak = rss_before;
        // Neighbours start at the first row, so they queue behind the stream in the pipeline:
        // each must see every row handed over before its own answer.
        std::vector<std::int64_t> seen_when_done(8, -1);
        std::vector<std::int32_t> answers(8, -1);
        auto start_neighbours = [&] {
            for (int k = 0; k < 8; ++k)
                asio::co_spawn(ex, [&, k]() -> awaitable<void> {
                    answers[static_cast<std::size_t>(k)] = co_await c.query_value<std::int32_t>("SELECT $1::int * 2", k);
                    seen_when_done[static_cast<std::size_t>(k)] = seen;
                }, asio::detached);
        };
        const std::int64_t handed = co_await c.stream<std::tuple<std::int64_t, std::string>>(
            "SELECT i, repeat('x', 200) FROM generate_series(1, $1::bigint) i", [&](const auto& row) {
                const auto& [i, text] = row;
                if (i != seen + 1) ++out_of_order;
                if (text.size() != 200) ++bad_text;
                if (++seen == 1) start_neighbours();
                sum += i;
                if (seen % 10'000 == 0) rss_peak = std::max(rss_peak, resident_bytes());
            }, n);
        CHECK(handed == n);
        CHECK(seen == n);
        CHECK(sum == n * (n + 1) / 2);
        CHECK(out_of_order == 0);
        CHECK(bad_text == 0);
        CHECK(c.stats().largest_stream_result == 1);  // single-row mode: no PGresult held more than one row
        CHECK(c.stats().streamed_rows == static_cast<std::uint64_t>(n));
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine keeps freed rows resident (365 MB seen): only
        // largest_stream_result above speaks there; without ASan, RSS must stay far below 40 MB.
        CHECK(rss_peak - rss_before < 16 * 1024 * 1024);
#else
        (void)rss_peak;
#endif
        asio::steady_timer t(ex, 1ms);
        for (int spin = 0; spin < 1000 && std::count(answers.begin(), answers.end(), -1) > 0; ++spin) {
            t.expires_after(1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        for (int k = 0; k < 8; ++k) {
            CHECK(answers[static_cast<std::size_t>(k)] == 2 * k);
            CHECK(seen_when_done[static_cast<std::size_t>(k)] == n);
        }
    });
}

TEST_CASE("stream: errors mid-stream, rows that do not fit, a throwing or stopping callback, a timeout and a "
          "dropped server; the connection stays usable") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        using two_ints = std::tuple<std::int32_t, std::int32_t>;

        // The server fails at row 5000: the rows before it were handed over, then its error.
        std::int64_t rows = 0;
        std::string state;
        try {
            co_await c.stream<two_ints>("SELECT i, 1 / (5000 - i) FROM generate_series(1, 10000) i",
                                    [&](const two_ints&) { ++rows; });
        } catch (const pgorm::data_exception& e) {
            state = e.sqlstate();
        }
        CHECK(state == "22012");
        CHECK(rows == 4999);
        CHECK(co_await c.query_value<std::int32_t>("SELECT 7") == 7);

        // A column that does not fit T: type_mismatch before the callback sees a row.
        rows = 0;
        CHECK_THROWS_AS(co_await c.stream<std::string>("SELECT i FROM generate_series(1, 1000) i",
                                                       [&](const std::string&) { ++rows; }),
                        pgorm::type_mismatch);
        CHECK(rows == 0);
        CHECK(co_await c.query_value<std::int32_t>("SELECT 8") == 8);

        // The callback's own exception ends the stream and comes back as itself.
        rows = 0;
        CHECK_THROWS_AS(co_await c.stream<std::int32_t>("SELECT i FROM generate_series(1, 1000) i",
                                                        [&](std::int32_t i) {
                                                            ++rows;
                                                            if (i == 10) throw std::runtime_error("stop here");
                                                        }),
                        std::runtime_error);
        CHECK(rows == 10);
        CHECK(co_await c.query_value<std::int32_t>("SELECT 9") == 9);

        // false stops: the rest is read and dropped. Twice: first it prepares, then it is cached.
        for (int round = 0; round < 2; ++round) {
            std::int64_t stopped = co_await c.stream<std::int32_t>(
                "SELECT i FROM generate_series(1, 100000) i", [&](std::int32_t i) { return i < 10; });
            CHECK(stopped == 10);
            CHECK(co_await c.query_value<std::int32_t>("SELECT $1::int", round) == round);
        }

        // A per-call timeout cancels it on the server.
        rows = 0;
        CHECK_THROWS_AS(co_await c.with_timeout(300ms).stream<two_ints>(
                            "SELECT i, 0 FROM generate_series(1, 100000) i, LATERAL (SELECT pg_sleep(0.001 + i * 0)) s", [&](const two_ints&) { ++rows; }),
                        pgorm::query_canceled);
        CHECK(rows > 0);
        CHECK(rows < 100000);
        CHECK(co_await c.query_value<std::int32_t>("SELECT 10") == 10);
        CHECK(c.stats().largest_stream_result == 1);

        // The server goes away mid-stream: connection_lost, nothing hangs.
        int pid = c.backend_pid();
        pgorm::async_connection admin{ex, db.url()};
        co_await admin.connect();
        rows = 0;
        bool asked = false;
        CHECK_THROWS_AS(co_await c.stream<two_ints>("SELECT i, 0 FROM generate_series(1, 100000) i, LATERAL (SELECT pg_sleep(0.001 + i * 0)) s",
                                                [&](const two_ints&) {
                                                    if (++rows == 5 && !asked) {
                                                        asked = true;
                                                        asio::co_spawn(ex, admin.query_value<bool>(
                                                                               "SELECT pg_terminate_backend($1)", pid),
                                                                       asio::detached);
                                                    }
                                                }),
                        pgorm::connection_lost);
        CHECK(rows >= 5);
        CHECK_FALSE(c.is_open());
    });
}

namespace {
struct Item {
    std::int64_t id;
    std::string name;
    std::optional<std::int32_t> qty;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, name, qty))
PGORM_TABLE(Item, "item", key(&Item::id));

std::vector<Item> items(std::int64_t from, std::int64_t count) {
    std::vector<Item> v;
    v.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = from; i < from + count; ++i)
        v.push_back({i, "item " + std::to_string(i), i % 7 == 0 ? std::nullopt : std::optional<std::int32_t>(i % 1000)});
    return v;
}
}  // namespace

TEST_CASE("async copy_in: binary COPY outside the pipeline while other coroutines query; errors leave the connection usable") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE item (id bigint PRIMARY KEY, name text NOT NULL, qty integer)");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        // Named, not braced in the co_await: g++ 12 cannot keep an initializer_list's array in
        // a coroutine frame ("array used as initializer").
        const std::vector<std::string_view> id_name{"id", "name"}, id_only{"id"}, none{}, id_nope{"id", "nope"};
        const std::string long_name(64, 't');

        // Neighbours query before, during and after the COPY: theirs wait in the outbox while it runs.
        int right = 0, finished = 0;
        for (int k = 0; k < 16; ++k)
            asio::co_spawn(ex, [&, k]() -> awaitable<void> {
                for (int j = 0; j < 20; ++j)
                    if (co_await c.query_value<std::int32_t>("SELECT $1::int + $2::int", k, j) == k + j) ++right;
                ++finished;
            }, asio::detached);
        const std::vector<Item> rows = items(1, 50'000);
        // Awaited outside CHECK: g++ 12 evaluates a co_await inside Catch's CHECK more than once.
        const std::int64_t loaded = co_await c.copy_in(rows);
        CHECK(loaded == 50'000);
        asio::steady_timer t(ex, 1ms);
        for (int spin = 0; spin < 5000 && finished < 16; ++spin) {
            t.expires_after(1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(finished == 16);
        CHECK(right == 16 * 20);
        CHECK(c.stats().copies == 1);
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM item") == 50'000);
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM item WHERE qty IS NULL") == 50'000 / 7);
        auto one = co_await c.query_one<Item>("SELECT id, name, qty FROM item WHERE id = 4243");
        REQUIRE(one.has_value());
        CHECK(one->name == "item 4243");
        CHECK(one->qty == 243);

        // The columns form, with tuples; the columns left out take their defaults (NULL).
        std::vector<std::tuple<std::int64_t, std::string>> pairs{{100'001, "a"}, {100'002, "b\"quoted\""}};
        const std::int64_t two = co_await c.copy_in("item", id_name, pairs);
        CHECK(two == 2);
        CHECK(co_await c.query_value<std::string>("SELECT name FROM item WHERE id = 100002 AND qty IS NULL") ==
              "b\"quoted\"");

        // A constraint violation: the server's error, nothing stored, the connection usable.
        const std::vector<Item> clash = items(49'990, 100);
        CHECK_THROWS_AS(co_await c.copy_in(clash), pgorm::unique_violation);
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM item") == 50'002);

        // A C++ type that is not the column's exact type (int32 into bigint): data_exception, not connection_lost.
        std::vector<std::tuple<std::int32_t, std::string>> narrow{{1, "x"}};
        CHECK_THROWS_AS(co_await c.copy_in("item", id_name, narrow), pgorm::data_exception);
        CHECK(c.is_open());

        // A row of the wrong width is refused while encoding: the COPY is aborted, nothing stored.
        std::vector<std::tuple<std::int64_t, std::string, std::int32_t>> wide{{200'001, "w", 1}};
        CHECK_THROWS_AS(co_await c.copy_in("item", id_name, wide), pgorm::usage_error);
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM item WHERE id = 200001") == 0);

        // Bad names: refused before anything is sent, or by the server.
        CHECK_THROWS_AS(co_await c.copy_in(std::string_view(), id_only, pairs), pgorm::usage_error);
        CHECK_THROWS_AS(co_await c.copy_in("item", none, pairs), pgorm::usage_error);
        CHECK_THROWS_AS(co_await c.copy_in(long_name, id_only, pairs), pgorm::usage_error);
        CHECK_THROWS_AS(co_await c.copy_in("no_such_table", id_name, pairs), pgorm::undefined_table);
        CHECK_THROWS_AS(co_await c.copy_in("item", id_nope, pairs), pgorm::undefined_column);
        CHECK(co_await c.query_value<std::int32_t>("SELECT 11") == 11);
        CHECK(c.stats().copies == 7);

        // The server goes away mid-COPY: the COPY and the statements queued behind it fail with
        // connection_lost; nothing hangs.
        const int pid = c.backend_pid();
        pgorm::async_connection admin{ex, db.url()};
        co_await admin.connect();
        const std::vector<Item> big = items(1'000'000, 400'000);
        bool behind_lost = false;
        asio::co_spawn(ex, [&]() -> awaitable<void> {
            while (c.stats().copies < 8) {  // until the big COPY has started
                t.expires_after(1ms);
                co_await t.async_wait(asio::use_awaitable);
            }
            try {
                co_await c.query_value<std::int32_t>("SELECT 12");
            } catch (const pgorm::connection_lost&) {
                behind_lost = true;
            }
        }, asio::detached);
        asio::co_spawn(ex, [&]() -> awaitable<void> {
            asio::steady_timer t2(ex, 1ms);
            while (c.stats().copies < 8) {
                t2.expires_after(1ms);
                co_await t2.async_wait(asio::use_awaitable);
            }
            co_await admin.query_value<bool>("SELECT pg_terminate_backend($1)", pid);
        }, asio::detached);
        CHECK_THROWS_AS(co_await c.copy_in(big), pgorm::connection_lost);
        for (int spin = 0; spin < 5000 && !behind_lost; ++spin) {
            t.expires_after(1ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(behind_lost);
        CHECK_FALSE(c.is_open());
    });
}

// ---- pipeline_sync::per_batch: one Sync per write, errors settled per batch ----

namespace {

pgorm::async_options one_sync_per_batch() {
    pgorm::async_options o;
    o.sync = pgorm::pipeline_sync::per_batch;
    return o;
}

/// Starts `n` coroutines at once (their statements are queued in the same turn of the event loop,
/// so one write carries them all, in this order) and waits until every one has finished.
template <class F>
awaitable<void> all_at_once(asio::any_io_executor ex, int n, F body) {
    int finished = 0;
    for (int i = 0; i < n; ++i)
        asio::co_spawn(ex, [&, i]() -> awaitable<void> {
            co_await body(i);
            ++finished;
        }, asio::detached);
    asio::steady_timer t(ex);
    const auto start = std::chrono::steady_clock::now();
    while (finished < n && std::chrono::steady_clock::now() - start < 20s) {
        t.expires_after(1ms);
        co_await t.async_wait(asio::use_awaitable);
    }
    REQUIRE(finished == n);
}

}  // namespace

TEST_CASE("per_batch: 64 concurrent point selects share one Sync; per_statement sends 64") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE p (id int PRIMARY KEY, v text); "
                                "INSERT INTO p SELECT g, 'v' || g FROM generate_series(1, 64) g");
    for (const auto mode : {pgorm::pipeline_sync::per_batch, pgorm::pipeline_sync::per_statement}) {
        run_async([&](asio::any_io_executor ex) -> awaitable<void> {
            pgorm::async_options o;
            o.sync = mode;
            pgorm::async_connection c{ex, db.url(), o};
            co_await c.connect();
            std::vector<std::string> got(64);
            co_await all_at_once(ex, 64, [&](int i) -> awaitable<void> {
                got[static_cast<std::size_t>(i)] = co_await c.query_value<std::string>("SELECT v FROM p WHERE id = $1", i + 1);
            });
            for (int i = 0; i < 64; ++i) CHECK(got[static_cast<std::size_t>(i)] == "v" + std::to_string(i + 1));
            CHECK(c.stats().requests == 64);
            CHECK(c.stats().resent == 0);
            // statements_per_sync (32 by default) cuts the write of 64 in two Syncs.
            if (mode == pgorm::pipeline_sync::per_batch) CHECK(c.stats().syncs <= 4);  // 2 in practice
            else CHECK(c.stats().syncs == 64);
        });
    }
}

TEST_CASE("per_batch: a failing statement first, in the middle or last of a batch fails alone; the others run once") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE u (id int PRIMARY KEY, round int NOT NULL); "
                                "INSERT INTO u VALUES (-1, 0)");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_options whole = one_sync_per_batch();
        whole.statements_per_sync = 64;  // the 64 share one Sync
        pgorm::async_connection c{ex, db.url(), whole};
        co_await c.connect();
        int round = 0;
        for (const int bad : {0, 31, 63}) {
            ++round;
            const std::uint64_t resent_before = c.stats().resent, syncs_before = c.stats().syncs;
            int inserted = 0, duplicates = 0;
            co_await all_at_once(ex, 64, [&](int i) -> awaitable<void> {
                try {
                    // The planted one reuses the id that exists: unique_violation.
                    pgorm::result r = co_await c.execute("INSERT INTO u (id, round) VALUES ($1, $2)",
                                                         i == bad ? -1 : round * 100 + i, round);
                    inserted += static_cast<int>(r.affected_rows());
                } catch (const pgorm::unique_violation&) {
                    ++duplicates;
                }
            });
            CHECK(inserted == 63);
            CHECK(duplicates == 1);
            // The 63 others were rolled back (before it) or skipped (after it) and sent again alone.
            CHECK(c.stats().resent - resent_before == 63);
            CHECK(c.stats().syncs - syncs_before == 1 + 63);
            CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM u WHERE round = $1", round) == 63);
            CHECK(co_await c.query_value<std::int64_t>("SELECT count(DISTINCT id) FROM u WHERE round = $1", round) == 63);
        }
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM u") == 1 + 3 * 63);
    });
}

TEST_CASE("per_batch: statements prepared in a batch that aborts (Parse run or skipped) are prepared again or reused safely") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url(), one_sync_per_batch()};
        co_await c.connect();
        auto prepared_count = [&](std::string sql) -> awaitable<std::int64_t> {
            co_return co_await c.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
                                                           sql);
        };
        // Batch 1: the error comes first, so the Parse of the new statement behind it is skipped.
        // Batch 2: the new statement's Parse runs, then the error rolls the batch back.
        // Server fact checked here: a named statement from a Parse that ran survives the rollback
        // of its implicit transaction (prepared statements are not transactional), so its
        // re-send reuses it; one whose Parse was skipped does not exist and is prepared again.
        for (const bool error_first : {true, false}) {
            const std::string fresh = error_first ? "SELECT $1::int + 100" : "SELECT $1::int + 200";
            std::int32_t value = 0;
            bool divided = false;
            co_await all_at_once(ex, 2, [&](int i) -> awaitable<void> {
                if ((i == 0) == error_first) {
                    try {
                        co_await c.query_value<std::int32_t>("SELECT 1 / $1", 0);
                    } catch (const pgorm::data_exception&) {
                        divided = true;
                    }
                } else {
                    value = co_await c.query_value<std::int32_t>(fresh, 1);
                }
            });
            CHECK(divided);
            CHECK(value == (error_first ? 101 : 201));
            CHECK(co_await prepared_count(fresh) == 1);  // prepared once: skipped then prepared, or kept
            CHECK(co_await c.query_value<std::int32_t>(fresh, 2) == (error_first ? 102 : 202));  // reused
            CHECK(co_await prepared_count(fresh) == 1);
        }
        // A statement that fails in its own Parse, in a batch with others, then again later.
        int undefined = 0, fine = 0;
        for (int pass = 0; pass < 2; ++pass)
            co_await all_at_once(ex, 3, [&](int i) -> awaitable<void> {
                try {
                    if (i == 1) co_await c.execute("SELECT no_such_column FROM pg_class WHERE oid = $1", 1);
                    else if (co_await c.query_value<std::int32_t>("SELECT $1::int * 3", i) == i * 3) ++fine;
                } catch (const pgorm::sql_error& e) {
                    if (e.sqlstate() == "42703") ++undefined;
                }
            });
        CHECK(undefined == 2);
        CHECK(fine == 4);
    });
}

TEST_CASE("per_batch: inside an open transaction the statements before the error keep their results, "
          "the ones after get 25P02") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (0)");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url(), one_sync_per_batch()};
        co_await c.connect();
        co_await c.execute("BEGIN");
        std::vector<std::string> outcome(4);
        co_await all_at_once(ex, 4, [&](int i) -> awaitable<void> {
            try {
                pgorm::result r = co_await c.execute("INSERT INTO t VALUES ($1)", i == 2 ? 0 : i + 1);
                outcome[static_cast<std::size_t>(i)] = "inserted " + std::to_string(r.affected_rows());
            } catch (const pgorm::sql_error& e) {
                outcome[static_cast<std::size_t>(i)] = e.sqlstate();
            }
        });
        CHECK(outcome[0] == "inserted 1");
        CHECK(outcome[1] == "inserted 1");
        CHECK(outcome[2] == "23505");
        CHECK(outcome[3] == "25P02");
        CHECK(c.stats().resent == 1);
        CHECK(c.transaction_status() == PQTRANS_INERROR);
        co_await c.execute("ROLLBACK");
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM t") == 1);
    });
}

TEST_CASE("per_batch: a timeout or a cancellation mid-batch fails that statement only; a terminated server fails all") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url(), one_sync_per_batch()};
        co_await c.connect();
        for (const bool by_timeout : {true, false}) {
            asio::cancellation_signal stop;
            int ok = 0, canceled = 0;
            const auto start = std::chrono::steady_clock::now();
            co_await all_at_once(ex, 5, [&](int i) -> awaitable<void> {
                try {
                    if (i != 2) {
                        if (co_await c.query_value<std::int32_t>("SELECT $1::int", i) == i) ++ok;
                    } else if (by_timeout) {
                        co_await c.with_timeout(200ms).execute("SELECT pg_sleep(30)");
                    } else {
                        auto sleep = c.async_execute_params("SELECT pg_sleep(30)", {},
                                                            asio::bind_cancellation_slot(stop.slot(), asio::use_awaitable));
                        asio::steady_timer t(ex, 200ms);
                        t.async_wait([&](boost::system::error_code) { stop.emit(asio::cancellation_type::terminal); });
                        co_await std::move(sleep);
                    }
                } catch (const pgorm::query_canceled&) {
                    ++canceled;
                }
            });
            CHECK(ok == 4);
            CHECK(canceled == 1);
            CHECK(std::chrono::steady_clock::now() - start < 10s);
        }
        CHECK(c.stats().cancels == 2);

        const int pid = c.backend_pid();
        pgorm::async_connection admin{ex, db.url()};
        co_await admin.connect();
        int lost = 0;
        asio::co_spawn(ex, [&]() -> awaitable<void> {
            asio::steady_timer t(ex, 200ms);
            co_await t.async_wait(asio::use_awaitable);
            co_await admin.execute("SELECT pg_terminate_backend($1)", pid);
        }, asio::detached);
        // The two before the sleep have their results in and wait for the batch's Sync.
        co_await all_at_once(ex, 4, [&](int i) -> awaitable<void> {
            try {
                co_await c.execute(i == 2 ? "SELECT pg_sleep(30)" : "SELECT 1");
            } catch (const pgorm::connection_lost&) {
                ++lost;
            }
        });
        CHECK(lost == 4);
        CHECK_FALSE(c.is_open());
    });
}

TEST_CASE("per_batch: streams and statements outside SELECT/DML get a Sync of their own; a re-sent nextval() draws twice") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE SEQUENCE s; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url(), one_sync_per_batch()};
        co_await c.connect();

        // Batch: SELECT 1 | SET (alone) | SELECT 2 | stream (alone): four Syncs, not one or two.
        const std::uint64_t syncs = c.stats().syncs;
        std::int64_t streamed = 0, summed = 0;
        int selects = 0;
        co_await all_at_once(ex, 4, [&](int i) -> awaitable<void> {
            if (i == 1) co_await c.execute("SET application_name = 'pgorm_per_batch'");
            else if (i == 3)
                streamed = co_await c.stream<std::int32_t>("SELECT g FROM generate_series(1, $1) g",
                                                           [&](const std::int32_t& v) { summed += v; }, 1000);
            else if (co_await c.query_value<std::int32_t>("SELECT $1::int", i) == i) ++selects;
        });
        CHECK(c.stats().syncs - syncs == 4);
        CHECK(selects == 2);
        CHECK(streamed == 1000);
        CHECK(summed == 500500);
        CHECK(c.stats().largest_stream_result == 1);  // single-row mode inside its own Sync
        CHECK(co_await c.query_value<std::string>("SELECT current_setting('application_name')") == "pgorm_per_batch");

        // docs/async.md: a statement rolled back and sent again runs twice; nextval() is not
        // rolled back, so the value it returns is the second one drawn.
        std::int64_t drawn = 0;
        bool duplicate = false;
        co_await all_at_once(ex, 2, [&](int i) -> awaitable<void> {
            try {
                if (i == 0) drawn = co_await c.query_value<std::int64_t>("SELECT nextval('s')");
                else co_await c.execute("INSERT INTO t VALUES ($1)", 1);
            } catch (const pgorm::unique_violation&) {
                duplicate = true;
            }
        });
        CHECK(duplicate);
        CHECK(drawn == 2);
        CHECK(co_await c.query_value<std::int64_t>("SELECT last_value FROM s") == 2);
    });
}

// ---- batches in flight at once (async_options::statements_per_sync, max_in_flight) ----

namespace {

/// Starts `n` coroutines now (their statements go out in one write) and counts them in `finished`.
template <class F>
void spawn_batch(asio::any_io_executor ex, int n, int& finished, F body) {
    for (int i = 0; i < n; ++i)
        asio::co_spawn(ex, [&finished, body, i]() -> awaitable<void> {
            co_await body(i);
            ++finished;
        }, asio::detached);
}

awaitable<void> wait_until(asio::any_io_executor ex, const int& finished, int n) {
    asio::steady_timer t(ex);
    const auto start = std::chrono::steady_clock::now();
    while (finished < n && std::chrono::steady_clock::now() - start < 20s) {
        t.expires_after(1ms);
        co_await t.async_wait(asio::use_awaitable);
    }
    REQUIRE(finished == n);
}

/// Waits until the connection has made `n` writes in all (the batch just started is on the wire).
awaitable<void> written(asio::any_io_executor ex, const pgorm::async_connection& c, std::uint64_t n) {
    asio::steady_timer t(ex);
    const auto start = std::chrono::steady_clock::now();
    while (c.stats().batches < n && std::chrono::steady_clock::now() - start < 20s) {
        t.expires_after(1ms);
        co_await t.async_wait(asio::use_awaitable);
    }
    REQUIRE(c.stats().batches == n);
}

}  // namespace

TEST_CASE("per_batch: a second batch goes out while the first runs; an error in the first leaves the second's rows once") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE w (id int PRIMARY KEY)");
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url(), one_sync_per_batch()};
        co_await c.connect();
        int finished = 0, inserted = 0, divided = 0;
        // Batch 1: INSERT 1 | 0.5 s of sleep | 1/0 | INSERT 2, one Sync: the error rolls INSERT 1
        // and the sleep back and skips INSERT 2; the three are sent again, each alone.
        spawn_batch(ex, 4, finished, [&](int i) -> awaitable<void> {
            try {
                if (i == 0 || i == 3) inserted += static_cast<int>((co_await c.execute("INSERT INTO w VALUES ($1)", i == 0 ? 1 : 2)).affected_rows());
                else if (i == 1) co_await c.execute("SELECT pg_sleep(0.5)");
                else co_await c.query_value<std::int32_t>("SELECT 1 / $1", 0);
            } catch (const pgorm::data_exception&) {
                ++divided;
            }
        });
        co_await written(ex, c, 1);
        CHECK(c.pending() == 4);  // batch 1 is on the server, sleeping
        // Batch 2, written behind batch 1's Sync: its own implicit transaction, untouched by the error.
        spawn_batch(ex, 8, finished, [&](int i) -> awaitable<void> {
            inserted += static_cast<int>((co_await c.execute("INSERT INTO w VALUES ($1)", 10 + i)).affected_rows());
        });
        co_await written(ex, c, 2);
        CHECK(c.pending() == 12);
        co_await wait_until(ex, finished, 12);
        CHECK(divided == 1);
        CHECK(inserted == 10);
        CHECK(c.stats().most_syncs_in_flight >= 2);
        CHECK(c.stats().resent == 3);
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM w") == 10);
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(DISTINCT id) FROM w") == 10);
        CHECK(co_await c.query_value<std::int64_t>("SELECT sum(id) FROM w") == 1 + 2 + (10 + 17) * 4);
    });
}

TEST_CASE("per_batch with batches in flight: a cancel in the second batch stops that statement only; a terminated "
          "server fails every await of both") {
    pgorm_test::empty_db db;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url(), one_sync_per_batch()};
        co_await c.connect();
        int finished = 0, ok = 0, canceled = 0;
        spawn_batch(ex, 3, finished, [&](int i) -> awaitable<void> {
            if (i == 0) co_await c.execute("SELECT pg_sleep(0.5)");
            else if (co_await c.query_value<std::int32_t>("SELECT $1::int", i) == i) ++ok;
            if (i == 0) ++ok;
        });
        co_await written(ex, c, 1);
        asio::cancellation_signal stop;
        spawn_batch(ex, 3, finished, [&](int i) -> awaitable<void> {
            try {
                if (i == 1) {
                    co_await c.async_execute_params("SELECT pg_sleep(30)", {},
                                                    asio::bind_cancellation_slot(stop.slot(), asio::use_awaitable));
                } else if (co_await c.query_value<std::int32_t>("SELECT $1::int", i) == i) {
                    ++ok;
                }
            } catch (const pgorm::query_canceled&) {
                ++canceled;
            }
        });
        co_await written(ex, c, 2);
        CHECK(c.pending() == 6);  // both batches on the wire; the cancel waits for its statement
        stop.emit(asio::cancellation_type::terminal);
        const auto start = std::chrono::steady_clock::now();
        co_await wait_until(ex, finished, 6);
        CHECK(std::chrono::steady_clock::now() - start < 10s);
        CHECK(ok == 5);  // batch 1 (the sleep included) was not hit by the cancel
        CHECK(canceled == 1);
        CHECK(c.stats().cancels == 1);
        CHECK(c.stats().most_syncs_in_flight >= 2);
        CHECK(co_await c.query_value<std::int32_t>("SELECT 7") == 7);  // still usable

        // Two batches on the wire when the backend is terminated: all six awaits fail alike.
        const int pid = c.backend_pid();
        pgorm::async_connection admin{ex, db.url()};
        co_await admin.connect();
        finished = 0;
        int lost = 0;
        auto body = [&](int i) -> awaitable<void> {
            try {
                co_await c.execute(i == 0 ? "SELECT pg_sleep(30)" : "SELECT 1");
            } catch (const pgorm::connection_lost&) {
                ++lost;
            }
        };
        const std::uint64_t batches = c.stats().batches;
        spawn_batch(ex, 3, finished, body);
        co_await written(ex, c, batches + 1);
        spawn_batch(ex, 3, finished, body);
        co_await written(ex, c, batches + 2);
        CHECK(c.pending() == 6);
        co_await admin.execute("SELECT pg_terminate_backend($1)", pid);
        co_await wait_until(ex, finished, 6);
        CHECK(lost == 6);
        CHECK_FALSE(c.is_open());
    });
}

TEST_CASE("per_batch without prepared statements; statements_per_sync and the in-flight caps bound what is sent") {
    pgorm_test::empty_db db;
    db.connect().execute_script("CREATE TABLE p (id int PRIMARY KEY, v text); "
                                "INSERT INTO p SELECT g, 'v' || g FROM generate_series(1, 64) g");
    pgorm::config unprepared = pgorm::config::parse(db.url());
    unprepared.prepared_statements = false;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        // prepared_statements = false: unnamed statements, the same resend protocol.
        pgorm::async_connection c{ex, unprepared, one_sync_per_batch()};
        co_await c.connect();
        std::vector<std::string> got(64);
        int failed = 0;
        co_await all_at_once(ex, 64, [&](int i) -> awaitable<void> {
            try {
                if (i == 20) co_await c.query_value<std::int32_t>("SELECT 1 / $1", 0);
                else got[static_cast<std::size_t>(i)] = co_await c.query_value<std::string>("SELECT v FROM p WHERE id = $1", i + 1);
            } catch (const pgorm::data_exception&) {
                ++failed;
            }
        });
        CHECK(failed == 1);
        for (int i = 0; i < 64; ++i)
            if (i != 20) CHECK(got[static_cast<std::size_t>(i)] == "v" + std::to_string(i + 1));
        CHECK(c.stats().resent == 31);  // the others of its Sync group of 32
        CHECK(c.stats().syncs == 2 + 31);
        CHECK(co_await c.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements") == 0);

        // max_in_flight = 8: 64 concurrent statements go out 8 (then as answers come back) at a time.
        pgorm::async_options capped = one_sync_per_batch();
        capped.max_in_flight = 8;
        capped.statements_per_sync = 4;
        pgorm::async_connection small{ex, db.url(), capped};
        co_await small.connect();
        co_await all_at_once(ex, 64, [&](int i) -> awaitable<void> {
            got[static_cast<std::size_t>(i)] = co_await small.query_value<std::string>("SELECT v FROM p WHERE id = $1", i + 1);
        });
        for (int i = 0; i < 64; ++i) CHECK(got[static_cast<std::size_t>(i)] == "v" + std::to_string(i + 1));
        CHECK(small.stats().capped_writes > 0);
        CHECK(small.stats().most_syncs_in_flight <= 2);  // 8 in flight / 4 per Sync
        CHECK(small.stats().syncs >= 16);

        // A byte cap of 1: one statement at a time.
        pgorm::async_options one_by_one;
        one_by_one.max_in_flight_bytes = 1;
        pgorm::async_connection tiny{ex, db.url(), one_by_one};
        co_await tiny.connect();
        co_await all_at_once(ex, 8, [&](int i) -> awaitable<void> {
            got[static_cast<std::size_t>(i)] = co_await tiny.query_value<std::string>("SELECT v FROM p WHERE id = $1", i + 1);
        });
        for (int i = 0; i < 8; ++i) CHECK(got[static_cast<std::size_t>(i)] == "v" + std::to_string(i + 1));
        CHECK(tiny.stats().most_syncs_in_flight == 1);
        CHECK(tiny.stats().batches == 8);
    });
    // Limits of 0 are refused when the connection is made.
    asio::io_context io;
    for (int which = 0; which < 3; ++which) {
        pgorm::async_options bad;
        if (which == 0) bad.statements_per_sync = 0;
        if (which == 1) bad.max_in_flight = 0;
        if (which == 2) bad.max_in_flight_bytes = 0;
        CHECK_THROWS_WITH(pgorm::async_connection(io.get_executor(), db.url(), bad),
                          Catch::Contains("must be positive") && Catch::Contains("statements_per_sync"));
    }
}
