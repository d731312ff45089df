#pragma once
// Runs a transaction function in a scope: commit on normal return, rollback when it throws (the
// exception propagates), and, under a retry_policy, the whole function again after a
// serialization failure, a deadlock or a stale cached statement.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/xact/xact.hpp>

#include <type_traits>

namespace pgorm {

namespace detail {

/// Sleeps a full-jitter backoff before attempt `attempt + 1`: a random time in
/// [0, min(max_backoff, initial_backoff * 2^(attempt-1))] (xact/options.hpp, retry_policy).
PGORM_DECL void retry_backoff(const retry_policy& p, int attempt);

/// Throws config_error for max_attempts below 1 or a negative backoff time.
PGORM_DECL void check_retry_policy(const retry_policy& p);

/// The failures a re-run can cure: the server gave up on the transaction because of a concurrent
/// one (40001 serialization_failure, 40P01 deadlock_detected), or a cached statement was stale
/// (stale_statement: pgorm dropped it, so the next attempt prepares it anew).
PGORM_DECL bool retryable(const transaction_rollback& e) noexcept;

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

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/xact/impl/retry.ipp>
#endif
