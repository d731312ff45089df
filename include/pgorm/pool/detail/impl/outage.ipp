#pragma once
// Bodies of pool/detail/outage.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/pool/detail/outage.hpp>

#include <algorithm>
#include <thread>

namespace pgorm::detail {

PGORM_DECL void sleep_unless_stopped(std::chrono::milliseconds d, const std::stop_token& stop) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop.stop_requested()) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= until) return;
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
    }
}

}  // namespace pgorm::detail
