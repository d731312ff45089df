#pragma once
// outage_window: how long a worker loop (queue::consume, events::subscribe) keeps trying while
// the server cannot be reached, so that a restart or a failover is ridden out and an outage
// longer than the caller allows is not.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/error.hpp>

#include <pgorm/types/detail/durations.hpp>
#include <optional>
#include <stop_token>

namespace pgorm::detail {

/// Counts the time since the first of a run of outage errors. Not thread-safe: one per worker.
class outage_window {
public:
    explicit outage_window(std::chrono::milliseconds limit) : limit_(limit) {}

    /// After an outage error: true while the outage is younger than the limit (the caller waits
    /// and tries again), false once it is older (the caller gives up and rethrows).
    bool tolerate() {
        const auto now = std::chrono::steady_clock::now();
        if (!since_) since_ = now;
        return limit_.count() > 0 && now - *since_ < limit_;
    }
    /// After a call that reached the server: the next error starts a new window.
    void reached_server() noexcept { since_.reset(); }

private:
    std::chrono::milliseconds limit_;
    std::optional<std::chrono::steady_clock::time_point> since_;
};

/// Sleeps up to `d` in short steps (50 ms at most, so a stop is noticed soon), returning early
/// once `stop` is requested.
PGORM_DECL void sleep_unless_stopped(std::chrono::milliseconds d, const std::stop_token& stop);

}  // namespace pgorm::detail

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/pool/detail/impl/outage.ipp>
#endif
