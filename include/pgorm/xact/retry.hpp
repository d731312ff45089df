#pragma once
// Runs a transaction function in a scope: commit on normal return, rollback when it throws (the
// exception propagates), and, under a retry_policy, the whole function again after a
// serialization failure, a deadlock or a stale cached statement.

#include <pgorm/core/detail/entropy.hpp>
#include <pgorm/xact/xact.hpp>

#include <algorithm>
#include <pgorm/types/detail/durations.hpp>
#include <cstdint>
#include <thread>
#include <type_traits>

namespace pgorm {

namespace detail {

/// Full-jitter backoff before attempt `attempt + 1`.
inline void retry_backoff(const retry_policy& p, int attempt) {
    using ms = std::chrono::milliseconds;
    auto cap = p.initial_backoff.count();
    for (int i = 1; i < attempt && cap < p.max_backoff.count(); ++i) cap *= 2;
    cap = std::min<ms::rep>(cap, p.max_backoff.count());
    if (cap <= 0) return;
    // splitmix64 over a per-thread counter from a random start: jitter, not secrets (and no <random>,
    // which costs every translation unit that includes this header to compile).
    thread_local std::uint64_t state = random_seed();
    state += 0x9e3779b97f4a7c15ull;
    auto pick = static_cast<ms::rep>(mix64(state) % (static_cast<std::uint64_t>(cap) + 1));  // 0..cap
    std::this_thread::sleep_for(ms(pick));
}

inline void check_retry_policy(const retry_policy& p) {
    if (p.max_attempts < 1)
        throw config_error("pgorm: retry_policy.max_attempts must be at least 1, got " + std::to_string(p.max_attempts));
    if (p.initial_backoff.count() < 0 || p.max_backoff.count() < 0)
        throw config_error("pgorm: retry_policy backoff times must not be negative");
}

/// The failures a re-run can cure: the server gave up on the transaction because of a concurrent
/// one (40001 serialization_failure, 40P01 deadlock_detected), or a cached statement was stale
/// (stale_statement: pgorm dropped it, so the next attempt prepares it anew).
inline bool retryable(const transaction_rollback& e) noexcept {
    return dynamic_cast<const serialization_failure*>(&e) || dynamic_cast<const deadlock_detected*>(&e) ||
           dynamic_cast<const stale_statement*>(&e);
}

}  // namespace detail

/// Calls `f(xact&)` in a fresh scope made by `open()` for each attempt; returns what f returns.
template <class Open, class F>
auto run_transaction(const retry_policy& policy, Open&& open, F&& f) -> std::invoke_result_t<F&, xact&> {
    using R = std::invoke_result_t<F&, xact&>;
    detail::check_retry_policy(policy);
    for (int attempt = 1;; ++attempt) {
        try {
            xact q = open();
            if constexpr (std::is_void_v<R>) {
                f(q);
                if (q.is_open()) q.commit();
                return;
            } else {
                R r = f(q);
                if (q.is_open()) q.commit();
                return r;
            }
        } catch (const transaction_rollback& e) {
            if (!detail::retryable(e) || attempt >= policy.max_attempts) throw;
        }
        detail::retry_backoff(policy, attempt);
    }
}

}  // namespace pgorm
