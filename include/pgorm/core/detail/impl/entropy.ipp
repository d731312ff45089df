#pragma once
// The body of core/detail/entropy.hpp's random_seed(): getentropy() and its fallback.

#include <pgorm/core/detail/entropy.hpp>

#include <unistd.h>

namespace pgorm::detail {

PGORM_DECL std::uint64_t random_seed() noexcept {
    std::uint64_t seed = 0;
    if (::getentropy(&seed, sizeof seed) == 0) return seed;
    auto ticks = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return mix64(ticks ^ reinterpret_cast<std::uintptr_t>(&seed));
}

}  // namespace pgorm::detail
