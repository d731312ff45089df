#pragma once
// How a transaction begins (isolation, read-only, deferrable) and how a failed one is retried.

#include <pgorm/types/detail/durations.hpp>

namespace pgorm {

enum class isolation { server_default, read_committed, repeatable_read, serializable };

struct xact_options {
    isolation level = isolation::server_default;
    bool read_only = false;
    /// Only meaningful for serializable read-only transactions: wait for a safe snapshot, then
    /// run without the risk of a serialization failure.
    bool deferrable = false;
};

/// Re-runs a whole transaction function after serialization_failure, deadlock_detected or
/// stale_statement (a cached statement that a schema change or DISCARD ALL invalidated), waiting
/// a random time in [0, min(max_backoff, initial_backoff * 2^(attempt-1))] between attempts
/// ("full jitter"), so that the transactions that collided do not collide again in lockstep.
struct retry_policy {
    int max_attempts = 1;  // 1: run once, never retry
    std::chrono::milliseconds initial_backoff{5};
    std::chrono::milliseconds max_backoff{500};

    static retry_policy none() { return {}; }
    static retry_policy attempts(int n) {
        retry_policy p;
        p.max_attempts = n;
        return p;
    }
};

struct transact_options {
    xact_options xact;
    retry_policy retry;
};

}  // namespace pgorm
