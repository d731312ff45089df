// Seed 001's notify worker on coroutines, on ONE io_context thread: it LISTENs on the domain's
// channel and drains the command queue whenever a notification arrives, and also every
// poll_interval without one, because a notification can be lost (sent while the listener was
// reconnecting, or by a producer that forgot to send it) and a queued command must still run.
//
// A producer coroutine queues 30 commands, notifying for most of them but not for every fifth,
// nor for the last one: that one can only be found by the polling fallback. Each command is
// claimed once (UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)), so the worker could
// run in several processes. The example checks its own outcome and exits 1 on a mismatch.
//
// Runs on an embedded throwaway PostgreSQL 15 that it starts and removes.

#include <pgorm.hpp>
#include <pgorm/async.hpp>
#include <pgorm/testing.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* channel = "commandbus.billing";
constexpr int command_count = 30;

struct worker_state {
    std::set<std::int64_t> done;  // ids processed
    int duplicates = 0;           // ids seen twice (must stay 0)
    int woken_by_notify = 0, woken_by_poll = 0, found_by_poll = 0;
    bool idle = false;            // the worker waits for a notification or the poll
};

/// Claims and processes queued commands, ten at a time, until none is left. Returns how many.
pgorm::awaitable<int> process_queue(pgorm::async_pool& db, worker_state& s) {
    int processed = 0;
    for (;;) {
        auto batch = co_await db.transact([&](pgorm::async_xact& q) -> pgorm::awaitable<std::vector<std::tuple<std::int64_t, std::string>>> {
            co_return co_await q.query<std::tuple<std::int64_t, std::string>>(
                "UPDATE commands SET done_at = now() WHERE id IN "
                "(SELECT id FROM commands WHERE done_at IS NULL ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED) "
                "RETURNING id, payload");
        });
        if (batch.empty()) co_return processed;
        for (const auto& [id, payload] : batch) {
            if (!s.done.insert(id).second) ++s.duplicates;
            std::cout << "processed command " << id << " (" << payload << ")\n";
        }
        processed += static_cast<int>(batch.size());
    }
}

/// Waits for a notification or poll_interval, whichever comes first, then drains the queue.
pgorm::awaitable<void> worker(pgorm::async_listener& l, pgorm::async_pool& db, worker_state& s,
                              std::chrono::milliseconds poll_interval) {
    asio::steady_timer poll(co_await asio::this_coro::executor);
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (static_cast<int>(s.done.size()) < command_count) {
        if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error("commands still queued after 30 s");
        poll.expires_after(poll_interval);
        // Named in full: pgorm's own operator|| (query filters) hides the using-directive's.
        s.idle = true;
        auto woke = co_await asio::experimental::awaitable_operators::operator||(
            l.next(), poll.async_wait(asio::use_awaitable));
        s.idle = false;
        const bool by_poll = woke.index() == 1;
        (by_poll ? s.woken_by_poll : s.woken_by_notify)++;
        const int n = co_await process_queue(db, s);
        if (by_poll) s.found_by_poll += n;
    }
}

/// Queues the commands; notifies for all but every fifth and the last. The last waits until the
/// worker has drained the others and gone back to waiting, so only the poll can find it.
pgorm::awaitable<void> producer(pgorm::async_pool& db, const worker_state& s) {
    asio::steady_timer pace(co_await asio::this_coro::executor);
    for (int i = 1; i <= command_count; ++i) {
        const bool notify = i % 5 != 0 && i != command_count;
        if (i == command_count) {
            // Wait for the others to be drained, then for late notifications of commands that an
            // earlier drain already took to arrive and wake the worker for nothing.
            while (static_cast<int>(s.done.size()) < command_count - 1) {
                pace.expires_after(5ms);
                co_await pace.async_wait(asio::use_awaitable);
            }
            pace.expires_after(200ms);
            co_await pace.async_wait(asio::use_awaitable);
            while (!s.idle) {
                pace.expires_after(5ms);
                co_await pace.async_wait(asio::use_awaitable);
            }
        }
        co_await db.transact([&](pgorm::async_xact& q) -> pgorm::awaitable<void> {
            co_await q.execute("INSERT INTO commands (payload) VALUES ($1)", "invoice #" + std::to_string(i));
            // Delivered at COMMIT, so the worker never wakes before the row is visible.
            if (notify) co_await q.execute("SELECT pg_notify($1, $2)", std::string(channel), std::string("billing__commands"));
        });
        pace.expires_after(10ms);
        co_await pace.async_wait(asio::use_awaitable);
    }
}

}  // namespace

int main() try {
    pgorm::testing::cluster server;
    pgorm::testing::scratch_database scratch(server);
    {
        pgorm::connection setup(scratch.url());
        setup.execute_script("CREATE TABLE commands (id bigserial PRIMARY KEY, payload text NOT NULL, done_at timestamptz)");
    }

    asio::io_context io;  // one thread: io.run() below
    pgorm::async_pool_options opts;
    opts.size = 2;
    pgorm::async_pool db{io.get_executor(), scratch.url(), opts};
    pgorm::async_listener listener{io.get_executor(), scratch.url()};
    worker_state state;
    std::exception_ptr failed;
    auto on_done = [&](std::exception_ptr e) {
        if (e && !failed) failed = e;
    };

    asio::co_spawn(io, [&]() -> pgorm::awaitable<void> {
        co_await listener.connect();
        co_await listener.listen(channel);  // before the producer starts: nothing notified is missed
        asio::co_spawn(io, producer(db, state), on_done);
        co_await worker(listener, db, state, 300ms);
        // The listener stays open, yet io.run() returns: a cancelled next() leaves no socket
        // wait armed (docs/async.md, LISTEN).
    }, on_done);
    io.run();
    if (failed) std::rethrow_exception(failed);

    pgorm::connection check(scratch.url());
    const auto left = check.query_value<std::int64_t>("SELECT count(*) FROM commands WHERE done_at IS NULL");
    std::cout << state.done.size() << " of " << command_count << " commands processed, " << left << " left, "
              << state.duplicates << " twice; woken " << state.woken_by_notify << " times by a notification, "
              << state.woken_by_poll << " times by the poll, which found " << state.found_by_poll << " command(s)\n";
    const bool ok = static_cast<int>(state.done.size()) == command_count && left == 0 && state.duplicates == 0 &&
                    state.woken_by_notify > 0 && state.found_by_poll > 0;
    std::cout << (ok ? "every command processed once; the poll found what no notification announced" : "MISMATCH")
              << '\n';
    return ok ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "async_notify_worker: " << e.what() << '\n';
    return 1;
}
