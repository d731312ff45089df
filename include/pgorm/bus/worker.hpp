#pragma once
// worker: runs a domain's commands. Each thread claims a batch (commandbus."<domain>__claim": one
// round trip that reads the messages, marks the commands IN_PROGRESS and audits RECEIVED), gives
// its connection back, runs the handlers with no transaction open, then settles the whole batch
// in one transaction (commandbus."<domain>__settle": completions, retries, troubleshooting
// moves, replies, audit, batch counts). Both are the domain's own functions (bus schema version
// 4), whose statements the server plans once per session. Idle threads sleep until NOTIFY commandbus.<domain> or the poll
// interval, whichever comes first (seed 001's "notify + polling fallback").

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

    std::chrono::seconds delay_after(std::int32_t attempt) const {
        if (backoff_schedule.empty()) return std::chrono::seconds(0);
        const auto i = static_cast<std::size_t>(std::max(1, attempt) - 1);
        return backoff_schedule[std::min(i, backoff_schedule.size() - 1)];
    }
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
    worker(connection_pool& pool, std::string domain, const handler_registry& registry, worker_options o = {})
        : pool_(&pool), domain_(std::move(domain)), registry_(&registry), o_(std::move(o)) {
        detail::check_domain(domain_);
        claim_sql_ = "SELECT msg_id, command_id, command_type, attempt, max_attempts, correlation_id, reply_to, "
                     "batch_id, data FROM " + detail::domain_function(domain_, "claim") + "($1, $2)";
        settle_sql_ = "SELECT * FROM " + detail::domain_function(domain_, "settle") + "($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        queue::detail::positive_count(o_.concurrency, "concurrency");
        queue::detail::positive_count(o_.batch_size, "batch_size");
        vt_ = queue::detail::whole_seconds(o_.visibility_timeout, "visibility_timeout");
        if (o_.visibility_timeout.count() < 1) throw usage_error("pgorm: the visibility timeout must be at least 1 second");
        if (o_.statement_timeout.count() < 0) throw usage_error("pgorm: statement_timeout must not be negative");
        for (auto d : o_.retry.backoff_schedule) queue::detail::whole_seconds(d, "a backoff delay");
        if (o_.retry.max_attempts) queue::detail::positive_count(*o_.retry.max_attempts, "retry_policy.max_attempts");
    }
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    ~worker() { stop(); }

    /// Starts the threads (and the listener). Throws usage_error when already running.
    void start() {
        if (!threads_.empty()) throw usage_error("pgorm: this worker is already running");
        stop_ = std::stop_source();
        wake_.emplace(pool_->settings(), notify_channel(domain_), o_.listen, stop_.get_token());
        for (int i = 0; i < o_.concurrency; ++i) threads_.emplace_back([this] { run(); });
    }

    /// Asks the threads to stop and waits for them: each finishes and settles the batch it holds.
    void stop() {
        stop_.request_stop();
        threads_.clear();  // joins
        wake_.reset();
    }

    worker_stats stats() const {
        std::lock_guard lock(mutex_);
        return stats_;
    }
    /// The last database error a thread met (empty if none); a domain that was never created
    /// reads "pgorm bus: there is no command bus domain ...".
    std::string last_error() const {
        std::lock_guard lock(mutex_);
        return last_error_;
    }

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

    void run() {
        const auto token = stop_.get_token();
        while (!token.stop_requested()) {
            try {
                auto batch = claim();
                if (batch.empty()) {
                    wake_->wait(o_.poll_interval);
                    continue;
                }
                outcome out;
                worker_stats mine;
                for (const auto& c : batch) handle(c, out, mine);
                settle(out);
                std::lock_guard lock(mutex_);
                stats_.completed += mine.completed;
                stats_.retried += mine.retried;
                stats_.troubleshooting += mine.troubleshooting;
            } catch (const std::exception& e) {
                {
                    std::lock_guard lock(mutex_);
                    last_error_ = e.what();
                }
                wake_->wait(o_.poll_interval);
            }
        }
    }

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

    std::vector<claimed> claim() {
        return detail::calling_bus(domain_, [&] {
            return on_connection(
                [&](connection& c) { return c.query<claimed>(claim_sql_, vt_, std::int32_t(o_.batch_size)); });
        });
    }

    void handle(const claimed& c, outcome& out, worker_stats& mine) {
        if (!c.command_id) {  // a message no command stands behind: archived by settle
            out.orphans.push_back(c.msg_id);
            return;
        }
        const std::int32_t max = std::min(*c.max_attempts, o_.retry.max_attempts.value_or(*c.max_attempts));
        const auto* h = registry_->find(domain_, *c.command_type);
        if (!h) {
            out.fail(c, "UNKNOWN_COMMAND_TYPE",
                     "pgorm: no handler is registered for command type '" + *c.command_type + "' in domain '" +
                         domain_ + "'",
                     std::nullopt);
            ++mine.troubleshooting;
            return;
        }
        handler_context ctx(*pool_, domain_);
        ctx.command_id = *c.command_id;
        ctx.command_type = *c.command_type;
        ctx.attempt = *c.attempt;
        ctx.max_attempts = max;
        ctx.msg_id = c.msg_id;
        ctx.correlation_id = c.correlation_id;
        ctx.reply_to = c.reply_to;
        ctx.batch_id = c.batch_id;
        auto retry_or_give_up = [&](std::string code, std::string msg) {
            if (*c.attempt < max) {
                out.fail(c, std::move(code), std::move(msg),
                         queue::detail::whole_seconds(o_.retry.delay_after(*c.attempt), "a backoff delay"));
                ++mine.retried;
            } else {
                out.fail(c, std::move(code), std::move(msg), std::nullopt);
                ++mine.troubleshooting;
            }
        };
        try {
            auto result = (*h)(c.data ? *c.data : jsonb_text("null"), ctx);
            out.done_ids.push_back(*c.command_id);
            out.done_attempts.push_back(*c.attempt);
            out.done_results.push_back(std::move(result));
            ++mine.completed;
        } catch (const permanent_command_error& e) {
            out.fail(c, e.code(), e.what(), std::nullopt);
            ++mine.troubleshooting;
        } catch (const transient_command_error& e) {
            retry_or_give_up(e.code(), e.what());
        } catch (const std::exception& e) {
            retry_or_give_up("UNHANDLED_EXCEPTION", e.what());
        } catch (...) {
            retry_or_give_up("UNHANDLED_EXCEPTION", "a handler threw something that is not a std::exception");
        }
    }

    void settle(const outcome& out) {
        auto finished = detail::calling_bus(domain_, [&] {
            return on_connection([&](connection& c) {
                return c.query<boost::uuids::uuid>(settle_sql_, out.done_ids, out.done_attempts, out.done_results,
                                                   out.fail_ids, out.fail_attempts, out.fail_codes, out.fail_msgs,
                                                   out.fail_delays, out.orphans);
            });
        });
        if (!o_.on_batch_complete || finished.empty()) return;
        for (const auto& id : finished) {
            std::optional<batch_info> b;
            {
                auto h = pool_->acquire();
                b = get_batch(h, domain_, id);
            }
            if (b) o_.on_batch_complete(*b);
        }
    }

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
