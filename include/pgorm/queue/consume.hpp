#pragma once
// consume(): a worker loop over one queue. Each worker claims a batch on a pooled connection,
// gives the connection back, runs the handler on each message, then settles the batch:
// handled → deleted, poison (or a body that does not fit T) → dead-letter queue, any other
// exception → made visible again after a backoff delay (a nack). No connection is held while a
// handler runs or while a worker waits for work.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/listener.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/pool/detail/outage.hpp>
#include <pgorm/queue/client.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace pgorm::queue {

/// Thrown by a handler to say the message can never succeed: it goes to the dead-letter queue
/// at once instead of being retried.
class poison_message : public error {
public:
    using error::error;
};

/// Delay before a nacked message is visible again: base * factor^(read_ct - 1), at most `max`,
/// then spread by ±jitter (a fraction) so that failures do not come back in lockstep.
struct backoff_policy {
    std::chrono::seconds base{1};
    double factor = 2.0;
    std::chrono::seconds max{300};
    double jitter = 0.1;

    /// The delay for a message that has been delivered `read_ct` times (1 for the first).
    std::chrono::seconds delay_for(std::int32_t read_ct) const;
};

struct consume_options {
    std::chrono::seconds vt{30};        // a claimed message is hidden this long (keep handlers shorter)
    int batch = 10;                     // messages claimed per read
    int concurrency = 1;                // worker threads, each using the pool one call at a time
    bool fifo = false;                  // read_grouped: one message per x-pgmq-group in flight, in order
    std::chrono::milliseconds poll_interval{1000};  // look for work at least this often when idle
    bool listen = true;                 // also wake on the queue's insert notifications
    backoff_policy backoff{};           // nack delay
    std::stop_token stop{};             // ends the loop (after the batches in hand are settled)
    std::size_t max_messages = 0;       // stop once this many were settled (handled or dead-lettered); 0: no limit
    /// How long a worker keeps trying, every poll_interval (at most 1 s), while the server cannot
    /// be reached (connection_error: a restart, a failover) before that error stops every worker.
    /// A batch whose settlement failed that way reappears after `vt`. 0: stop at the first one.
    std::chrono::milliseconds reconnect_timeout{30000};
};

struct consume_stats {
    std::size_t handled = 0;        // handler returned: deleted
    std::size_t retried = 0;        // handler threw: set_vt by the backoff policy
    std::size_t dead_lettered = 0;  // poison_message, or a body that did not fit T
};

namespace detail {

/// Wakes idle workers: a poll interval at the latest, sooner when a notification arrives.
class wakeup {
public:
    wakeup(const config& cfg, const std::string& channel, bool listen, std::stop_token stop);
    ~wakeup();
    /// Sleeps up to `most`, or until a notification or a stop request.
    void wait(std::chrono::milliseconds most);

private:
    // A listener that loses its server tries again every second; meanwhile the workers poll.
    // A notification sent while it was away is not replayed (LISTEN keeps no backlog), so each
    // (re)connection wakes the workers once to look for what arrived.
    void run(const config& cfg, const std::string& channel, std::stop_token own);
    void notify();

    std::stop_token stop_;
    std::mutex mutex_;
    std::condition_variable_any cv_;
    std::uint64_t generation_ = 0;
    std::jthread thread_;
};

}  // namespace detail

/// Runs `handler(const message<T>&)` on the messages of `queue_name` until `o.stop` is requested
/// or `o.max_messages` were settled; returns what happened to them.
///
/// Delivery is at-least-once: a worker that dies mid-batch leaves its messages to reappear after
/// `o.vt`, so handlers must tolerate a repeat. A nacked message's read_ct grows on every
/// delivery; with pgmq.set_dead_letter on the queue it goes to the dead-letter queue after that
/// many reads. A server restart is ridden out: each worker retries for up to
/// `o.reconnect_timeout`. Throws, after stopping every worker, the first error that is not a
/// handler's: sql_error (a missing queue: undefined_table), usage_error for bad options, and
/// connection_error once the server stayed out of reach longer than `o.reconnect_timeout`.
/// Handler exceptions never escape.
template <class T, class Handler>
consume_stats consume(connection_pool& pool, std::string_view queue_name, Handler handler, const consume_options& o) {
    detail::check_queue_name(queue_name);
    detail::positive_count(o.batch, "batch");
    detail::positive_count(o.concurrency, "concurrency");
    detail::whole_seconds(o.vt, "vt");
    const std::string name(queue_name);

    std::stop_source done;
    std::stop_callback forward(o.stop, [&] { done.request_stop(); });
    config cfg = pool.acquire().conn().settings();
    detail::wakeup wake(cfg, insert_channel(name), o.listen, done.get_token());

    std::mutex stats_mutex;
    consume_stats stats;
    std::atomic<std::size_t> settled{0};
    std::exception_ptr failure;

    auto worker = [&] {
        consume_stats mine;
        pgorm::detail::outage_window outage(o.reconnect_timeout);
        try {
            while (!done.stop_requested()) try {
                std::vector<message<jsonb_text>> batch;
                {
                    auto h = pool.acquire();
                    client<jsonb_text> q(h, name);
                    batch = o.fifo ? q.read_grouped(o.vt, o.batch) : q.read(o.vt, o.batch);
                }
                outage.reached_server();
                if (batch.empty()) {
                    wake.wait(o.poll_interval);
                    continue;
                }
                std::vector<std::int64_t> handled, poisoned;
                std::vector<std::pair<std::int64_t, std::chrono::seconds>> retry;
                std::string reason;
                for (auto& raw : batch) {
                    try {
                        message<T> m{raw.msg_id, raw.read_ct, raw.enqueued_at, raw.last_read_at, raw.vt,
                                     detail::decode_body<T>(raw.message.text, name, raw.msg_id), std::move(raw.headers)};
                        handler(static_cast<const message<T>&>(m));
                        handled.push_back(raw.msg_id);
                    } catch (const poison_message& e) {
                        poisoned.push_back(raw.msg_id);
                        reason = e.what();
                    } catch (const decode_error& e) {
                        poisoned.push_back(raw.msg_id);
                        reason = e.what();
                    } catch (...) {
                        retry.emplace_back(raw.msg_id, o.backoff.delay_for(raw.read_ct));
                    }
                }
                {
                    auto h = pool.acquire();
                    client<jsonb_text> q(h, name);
                    if (!handled.empty()) q.remove(handled);
                    if (!poisoned.empty()) q.dead_letter(poisoned, reason);
                    for (auto [id, delay] : retry) q.set_vt(id, delay);
                }
                mine.handled += handled.size();
                mine.dead_lettered += poisoned.size();
                mine.retried += retry.size();
                const std::size_t now = settled += handled.size() + poisoned.size();
                if (o.max_messages && now >= o.max_messages) done.request_stop();
            } catch (const connection_error&) {
                if (!outage.tolerate()) throw;
                pgorm::detail::sleep_unless_stopped(std::min(o.poll_interval, std::chrono::milliseconds(1000)), done.get_token());
            }
        } catch (...) {
            std::lock_guard lock(stats_mutex);
            if (!failure) failure = std::current_exception();
            done.request_stop();
        }
        std::lock_guard lock(stats_mutex);
        stats.handled += mine.handled;
        stats.retried += mine.retried;
        stats.dead_lettered += mine.dead_lettered;
    };

    {
        std::vector<std::jthread> workers;
        for (int i = 0; i < o.concurrency; ++i) workers.emplace_back(worker);
    }
    if (failure) std::rethrow_exception(failure);
    return stats;
}

}  // namespace pgorm::queue

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/queue/impl/consume.ipp>
#endif
