#pragma once
// random_seed(): 64 bits from the operating system's entropy source, for the few places that
// need values other processes will not repeat (statement-name prefixes, retry jitter). It reads
// getentropy() (POSIX.1-2024, <unistd.h>; glibc 2.25+, FreeBSD, macOS) rather than
// std::random_device, whose header <random> costs every translation unit about 0.1-0.3 s of
// compile time (docs/performance.md, "Build time"). Not for keys or tokens: a source that fails
// falls back to the clock and an address.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/detail/durations.hpp>
#include <cstdint>


namespace pgorm::detail {

/// splitmix64's output step: spreads any input over all 64 bits (a bijection, so distinct
/// inputs stay distinct).
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/// 64 random bits: getentropy() when it works, else the steady clock mixed with a stack address
/// (distinct per process and per call, not unpredictable).
PGORM_DECL std::uint64_t random_seed() noexcept;

}  // namespace pgorm::detail

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/detail/impl/entropy.ipp>
#endif
