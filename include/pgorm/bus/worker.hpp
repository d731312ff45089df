#pragma once
// worker: runs a domain's commands. Each thread claims a batch (commandbus."<domain>__claim": one
// round trip that reads the messages, marks the commands IN_PROGRESS and audits RECEIVED), gives
// its connection back, runs the handlers with no transaction open, then settles the whole batch
// in one transaction (commandbus."<domain>__settle": completions, retries, troubleshooting
// moves, replies, audit, batch counts). Both are the domain's own functions (bus schema version
// 4), whose statements the server plans once per session. Idle threads sleep until NOTIFY commandbus.<domain> or the poll
// interval, whichever comes first (seed 001's "notify + polling fallback").

#include <pgorm/detail/linkage.hpp>
#include <pgorm/bus/command_bus.hpp>
#include <pgorm/bus/handlers.hpp>
#include <pgorm/bus/queries.hpp>
#include <pgorm/queue/consume.hpp>
#include <pgorm/types/array.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/xact/xact.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace pgorm::bus {

/// When a failed attempt is tried again (seed 001's RetryPolicy). The delay before attempt n+1
/// is backoff_schedule[n-1], the last entry for every later one.
struct retry_policy {
    std::optional<int> max_attempts;  // caps each command's own max_attempts when set
    std::vector<std::chrono::seconds> backoff_schedule{std::chrono::seconds(10), std::chrono::seconds(60),
                                                       std::chrono::seconds(300)};

    std::chrono::seconds delay_after(std::int32_t attempt) const;
};

struct worker_options {
    int concurrency = 1;                           // threads, each with its own claims
    std::chrono::seconds visibility_timeout{30};   // a claimed batch is hidden this long (cover the whole batch)
    int batch_size = 10;                           // commands claimed per round trip
    std::chrono::milliseconds poll_interval{1000}; // look for work at least this often when idle
    std::chrono::milliseconds statement_timeout{0};// for claim and settle; 0: the server's setting
    bool listen = true;                            // wake on NOTIFY commandbus.<domain>
    retry_policy retry{};
    std::function<void(const batch_info&)> on_batch_complete;  // e.g. command_bus::batch_listener()
};

/// What a worker has done so far.
struct worker_stats {
    std::size_t completed = 0;
    std::size_t retried = 0;             // failed attempts that will be retried
    std::size_t troubleshooting = 0;     // moved to the troubleshooting queue
};

namespace detail {
/// One row of commandbus."<domain>__claim": a claimed command (command_id empty for a message no command
/// stands behind).
struct claimed_command {
    std::int64_t msg_id = 0;
    std::optional<boost::uuids::uuid> command_id;
    std::optional<std::string> command_type;
    std::optional<std::int32_t> attempt, max_attempts;
    std::optional<boost::uuids::uuid> correlation_id;
    std::optional<std::string> reply_to;
    std::optional<boost::uuids::uuid> batch_id;
    std::optional<jsonb_text> data;
};
BOOST_DESCRIBE_STRUCT(claimed_command, (),
                      (msg_id, command_id, command_type, attempt, max_attempts, correlation_id, reply_to, batch_id, data))
}  // namespace detail

/// Runs the handlers of `registry` on the commands of one domain, on `concurrency` threads,
/// from start() until stop() (or destruction). Delivery is at least once: a worker that dies
/// mid-handler leaves its commands to reappear after the visibility timeout and another worker
/// runs them again, but a command is completed once: settling matches the attempt it claimed.
///
/// A command with no handler for its type goes straight to the troubleshooting queue (code
/// UNKNOWN_COMMAND_TYPE), as does data that does not fit the handler's T (INVALID_PAYLOAD) and a
/// permanent_command_error. Errors of the database (a lost server) do not end the threads: they
/// are kept in last_error() and the thread tries again after the poll interval.
class worker {
public:
    worker(connection_pool& pool, std::string domain, const handler_registry& registry, worker_options o = {});
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    ~worker() { stop(); }

    /// Starts the threads (and the listener). Throws usage_error when already running.
    void start();

    /// Asks the threads to stop and waits for them: each finishes and settles the batch it holds.
    void stop();

    worker_stats stats() const;
    /// The last database error a thread met (empty if none); a domain that was never created
    /// reads "pgorm bus: there is no command bus domain ...".
    std::string last_error() const;

private:
    using claimed = detail::claimed_command;
    // The arrays commandbus."<domain>__settle" takes.
    struct outcome {
        std::vector<boost::uuids::uuid> done_ids;
        std::vector<std::int32_t> done_attempts;
        std::vector<std::optional<jsonb_text>> done_results;
        std::vector<boost::uuids::uuid> fail_ids;
        std::vector<std::int32_t> fail_attempts;
        std::vector<std::string> fail_codes, fail_msgs;
        std::vector<std::optional<std::int32_t>> fail_delays;  // empty: troubleshooting queue
        std::vector<std::int64_t> orphans;

        void fail(const claimed& c, std::string code, std::string msg, std::optional<std::int32_t> delay) {
            fail_ids.push_back(*c.command_id);
            fail_attempts.push_back(*c.attempt);
            fail_codes.push_back(std::move(code));
            fail_msgs.push_back(std::move(msg));
            fail_delays.push_back(delay);
        }
    };

    void run();

    // Runs claim or settle on a pooled connection, under statement_timeout when one is set.
    template <class F>
    auto on_connection(F&& f) {
        auto h = pool_->acquire();
        if (o_.statement_timeout.count() == 0) return f(h.conn());
        xact t(h.conn());
        h->execute("SELECT set_config('statement_timeout', $1, true)", std::to_string(o_.statement_timeout.count()));
        auto r = f(h.conn());
        t.commit();
        return r;
    }

    std::vector<claimed> claim();

    void handle(const claimed& c, outcome& out, worker_stats& mine);

    void settle(const outcome& out);

    connection_pool* pool_;
    std::string domain_;
    std::string claim_sql_, settle_sql_;  // the domain's own functions
    const handler_registry* registry_;
    worker_options o_;
    std::int32_t vt_ = 30;
    std::stop_source stop_;
    std::optional<queue::detail::wakeup> wake_;
    mutable std::mutex mutex_;
    worker_stats stats_;
    std::string last_error_;
    std::vector<std::jthread> threads_;
};

}  // namespace pgorm::bus

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/bus/impl/worker.ipp>
#endif
