#pragma once
// subscribe(): seed 000's `async for event in store.subscribe()` as a worker loop. Each worker
// claims a batch on a pooled connection and gives the connection back, runs the handler on each
// event while holding the event's scope lock (lock_backend.hpp), then settles the batch on one
// checkout: handled → ack, poison_event or a payload that does not fit T → failed, any other
// exception → nack (backoff, then failed), scope busy → released. No connection or transaction
// is held while a handler runs: a slow handler pins no xmin horizon, so catch-up readers
// (stream.hpp) and VACUUM are not held back by it.

#include <pgorm/core/listener.hpp>
#include <pgorm/events/lock_backend.hpp>
#include <pgorm/events/store.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/pool/detail/outage.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pgorm::events {

/// Thrown by a handler for an event that can never succeed: it goes to `failed` at once.
class poison_event : public error {
public:
    using error::error;
};

struct subscribe_options {
    claim_options claim{};                          // batch size, lease, types
    int concurrency = 1;                            // worker threads
    std::chrono::milliseconds poll_interval{1000};  // look for due events at least this often
    bool listen = true;                             // also wake on the store's NOTIFY (one listener per worker)
    lock_backend* locks = nullptr;                  // scope locks (make_lock_backend); none: no handler-level exclusion
    std::chrono::milliseconds busy_scope_delay{100};  // a claimed event whose scope is locked is due again after this
    std::stop_token stop{};                         // ends the loop once the batches in hand are settled
    std::size_t max_events = 0;                     // stop after this many were settled (acked or failed); 0: never
    /// How long a worker keeps trying, every poll_interval (at most 1 s), while the server cannot
    /// be reached (connection_error: a restart, a failover) before that error stops every worker.
    /// A batch whose settlement failed that way is claimed again when its lease ends. 0: stop at
    /// the first one.
    std::chrono::milliseconds reconnect_timeout{30000};
};

struct subscribe_stats {
    std::size_t acked = 0;
    std::size_t retried = 0;   // nacked and due again
    std::size_t failed = 0;    // went to the dead-letter state
    std::size_t released = 0;  // given back because their scope was locked
    std::size_t lost = 0;      // outcomes refused because the lease had passed to another consumer
};

/// Runs `handler(const event<T>&)` on the store's events until `o.stop` or `o.max_events`.
///
/// Delivery is at-least-once: a consumer that dies mid-batch leaves its events to be claimed
/// again when their lease (o.claim.lease) ends, so handlers must tolerate a repeat; one that keeps
/// dying on an event gives up on it after max_retries + 1 deliveries (the claim fails it). Every
/// outcome is fenced by the claim's token: when a handler overran its lease and another consumer
/// claimed the event meanwhile, this worker's ack or nack is refused and counted in `lost`. Events of one
/// scope are handled one at a time in timestamp order across every consumer (the claim hands out
/// only a scope's oldest open event; the lock backend guards the handler against a lease that ran
/// out). A server restart is ridden out: each worker retries for up to `o.reconnect_timeout`.
/// Handler exceptions never escape; the first other error stops every worker and is rethrown:
/// sql_error (a missing schema: undefined_table), usage_error for bad options, connection_error
/// once the server stayed out of reach longer than `o.reconnect_timeout`.
template <class T, class Handler>
subscribe_stats subscribe(connection_pool& pool, event_store& store, Handler handler, const subscribe_options& o = {}) {
    detail::check_claim(o.claim);
    if (o.concurrency < 1)
        throw usage_error("pgorm: subscribe needs a concurrency of 1 or more, got " + std::to_string(o.concurrency));
    const config cfg = pool.acquire().conn().settings();

    std::stop_source done;
    std::stop_callback forward(o.stop, [&] { done.request_stop(); });
    std::mutex mutex;
    subscribe_stats total;
    std::exception_ptr failure;
    std::atomic<std::size_t> settled{0};

    auto worker = [&] {
        subscribe_stats mine;
        pgorm::detail::outage_window outage(o.reconnect_timeout);
        try {
            std::optional<listener> wake;
            if (o.listen) {
                try {
                    wake.emplace(cfg);
                    wake->listen(store.options().channel);
                } catch (const connection_error&) {
                    wake.reset();  // poll only
                }
            }
            std::vector<std::string> locked;  // scopes whose lock this worker holds
            auto unlock_all = [&] {
                for (auto& scope : locked) o.locks->unlock(scope);
                locked.clear();
            };
            while (!done.stop_requested()) try {
                std::vector<event<jsonb_text>> batch;
                {
                    auto h = pool.acquire();
                    batch = store.claim<jsonb_text>(h, o.claim);
                }
                outage.reached_server();
                if (batch.empty()) {
                    if (wake) wake->wait(o.poll_interval);
                    else std::this_thread::sleep_for(o.poll_interval);
                    continue;
                }
                std::vector<claim_token> acks, busy;
                std::vector<std::pair<claim_token, std::string>> nacks, poisoned;
                const subscribe_stats before = mine;
                for (auto& raw : batch) {
                    const claim_token token = raw.token();
                    if (raw.scope && o.locks) {
                        if (!o.locks->try_lock(*raw.scope)) {
                            busy.push_back(token);
                            continue;
                        }
                        locked.push_back(*raw.scope);
                    }
                    try {
                        const event<T> e = detail::retype<T>(std::move(raw));
                        handler(e);
                        acks.push_back(token);
                    } catch (const poison_event& why) {
                        poisoned.emplace_back(token, why.what());
                    } catch (const decode_error& why) {
                        poisoned.emplace_back(token, why.what());
                    } catch (const std::exception& why) {
                        nacks.emplace_back(token, why.what());
                    } catch (...) {
                        nacks.emplace_back(token, "the handler threw an exception that is not a std::exception");
                    }
                }
                {
                    auto h = pool.acquire();
                    const auto acked = static_cast<std::size_t>(store.ack(h, acks));
                    mine.acked += acked;
                    mine.lost += acks.size() - acked;
                    for (auto& [token, why] : poisoned) (store.fail(h, token, why) ? mine.failed : mine.lost) += 1;
                    for (auto& [token, why] : nacks) {
                        try {
                            (store.nack(h, token, why).failed ? mine.failed : mine.retried) += 1;
                        } catch (const lease_lost&) {
                            ++mine.lost;
                        }
                    }
                    mine.released += static_cast<std::size_t>(store.release(h, busy, o.busy_scope_delay));
                }
                unlock_all();  // after the acks are committed
                const std::size_t now = settled += (mine.acked - before.acked) + (mine.failed - before.failed);
                if (o.max_events && now >= o.max_events) done.request_stop();
            } catch (const connection_error&) {
                // The batch's leases run out and its events are claimed again; its scopes must
                // not stay locked meanwhile. A postgres backend's session locks may have gone with
                // a lost session (unlock then throws connection_lost, or usage_error once another
                // worker reconnected it): the scope is free either way.
                for (auto& scope : locked) {
                    try {
                        o.locks->unlock(scope);
                    } catch (const error&) {
                    }
                }
                locked.clear();
                if (!outage.tolerate()) throw;
                pgorm::detail::sleep_unless_stopped(std::min(o.poll_interval, std::chrono::milliseconds(1000)), done.get_token());
            }
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!failure) failure = std::current_exception();
            done.request_stop();
        }
        std::lock_guard lock(mutex);
        total.acked += mine.acked, total.retried += mine.retried;
        total.failed += mine.failed, total.released += mine.released, total.lost += mine.lost;
    };
    {
        std::vector<std::jthread> workers;
        for (int i = 0; i < o.concurrency; ++i) workers.emplace_back(worker);
    }
    if (failure) std::rethrow_exception(failure);
    return total;
}

}  // namespace pgorm::events
