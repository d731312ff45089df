#pragma once
// Bodies of xact/retry.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/core/detail/entropy.hpp>
#include <pgorm/xact/retry.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>

namespace pgorm::detail {

PGORM_DECL void retry_backoff(const retry_policy& p, int attempt) {
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

PGORM_DECL void check_retry_policy(const retry_policy& p) {
    if (p.max_attempts < 1)
        throw config_error("pgorm: retry_policy.max_attempts must be at least 1, got " +
                           std::to_string(p.max_attempts));
    if (p.initial_backoff.count() < 0 || p.max_backoff.count() < 0)
        throw config_error("pgorm: retry_policy backoff times must not be negative");
}

PGORM_DECL bool retryable(const transaction_rollback& e) noexcept {
    return dynamic_cast<const serialization_failure*>(&e) || dynamic_cast<const deadlock_detected*>(&e) ||
           dynamic_cast<const stale_statement*>(&e);
}

}  // namespace pgorm::detail
