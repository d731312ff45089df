#pragma once
// Bodies of queue/consume.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/queue/consume.hpp>

namespace pgorm::queue {

PGORM_DECL std::chrono::seconds backoff_policy::delay_for(std::int32_t read_ct) const {
    double d = static_cast<double>(base.count()) * std::pow(factor, std::max(0, read_ct - 1));
    d = std::min(d, static_cast<double>(max.count()));
    if (jitter > 0) {
        thread_local std::minstd_rand rng{std::random_device{}()};
        d *= std::uniform_real_distribution<double>(1 - jitter, 1 + jitter)(rng);
    }
    return std::chrono::seconds(static_cast<std::int64_t>(std::llround(std::max(0.0, d))));
}

}  // namespace pgorm::queue

namespace pgorm::queue {
namespace detail {

PGORM_DECL wakeup::wakeup(const config& cfg, const std::string& channel, bool listen, std::stop_token stop)
    : stop_(stop) {
    if (listen) thread_ = std::jthread([this, cfg, channel](std::stop_token own) { run(cfg, channel, own); });
}

PGORM_DECL wakeup::~wakeup() {
    if (thread_.joinable()) thread_.request_stop();
}

PGORM_DECL void wakeup::wait(std::chrono::milliseconds most) {
    std::unique_lock lock(mutex_);
    const std::uint64_t seen = generation_;
    cv_.wait_for(lock, stop_, most, [&] { return generation_ != seen; });
}

PGORM_DECL void wakeup::run(const config& cfg, const std::string& channel, std::stop_token own) {
    while (!own.stop_requested() && !stop_.stop_requested()) {
        try {
            listener l(cfg);
            l.listen(channel);
            notify();
            while (!own.stop_requested() && !stop_.stop_requested())
                if (l.wait(std::chrono::milliseconds(100))) notify();
        } catch (const connection_error&) {
            pgorm::detail::sleep_unless_stopped(std::chrono::seconds(1), own);
        } catch (const error&) {  // not an outage (no such channel name, ...): poll only
            return;
        }
    }
}

PGORM_DECL void wakeup::notify() {
    std::lock_guard lock(mutex_);
    ++generation_;
    cv_.notify_all();
}

}  // namespace detail
}  // namespace pgorm::queue
