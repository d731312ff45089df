#pragma once
// One fuzz target = one body `void(std::string_view input)`, declared with PGORM_FUZZ_TARGET(name).
// Built with clang and PGORM_FUZZ_LIBFUZZER, the body becomes libFuzzer's LLVMFuzzerTestOneInput
// (fuzz/CMakeLists.txt, scripts/fuzz.sh). Built without it (the g++ test build), the body is
// registered under its name, and tests/unit/fuzz_replay.cpp runs it over fuzz/corpus/<name>/ and
// fuzz/regressions/<name>/, so every input that once crashed stays a test without clang.
//
// A body may end in any of pgorm's own errors (pgorm::error, pgorm_gen::input_error): a clear
// error is the right answer to hostile bytes. Anything else escapes: a crash, a sanitizer report,
// std::bad_alloc or std::length_error from a size taken on trust, a failed invariant.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

namespace pgorm_fuzz {

using body = void (*)(std::string_view input);

/// name -> body, for the replay test (one entry per PGORM_FUZZ_TARGET in the build).
inline std::map<std::string, body>& registry() {
    static std::map<std::string, body> targets;
    return targets;
}

struct registration {
    registration(const char* name, body fn) { registry().emplace(name, fn); }
};

/// A broken invariant (a value that does not survive encode/decode, say): print and abort, which
/// libFuzzer reports as a crash and the replay test as a failure.
[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "pgorm fuzz: invariant failed at %s:%d: %s\n", file, line, what);
    std::abort();
}

/// Splits the fuzzer's bytes: the first `n` bytes choose (type, column OID, parser), the rest
/// is the payload. Short inputs read as zero choices.
class input {
public:
    explicit input(std::string_view all) : all_(all) {}
    unsigned char choice(std::size_t i) const { return i < all_.size() ? static_cast<unsigned char>(all_[i]) : 0; }
    std::string_view rest(std::size_t n) const { return n < all_.size() ? all_.substr(n) : std::string_view(); }

private:
    std::string_view all_;
};

}  // namespace pgorm_fuzz

#define PGORM_FUZZ_CHECK(cond) \
    ((cond) ? void(0) : ::pgorm_fuzz::invariant_failed(#cond, __FILE__, __LINE__))

#ifdef PGORM_FUZZ_LIBFUZZER
#define PGORM_FUZZ_TARGET(name)                                                             \
    static void pgorm_fuzz_body_##name(std::string_view);                                   \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {     \
        pgorm_fuzz_body_##name(std::string_view(reinterpret_cast<const char*>(data), size)); \
        return 0;                                                                           \
    }                                                                                       \
    static void pgorm_fuzz_body_##name(std::string_view data)
#else
#define PGORM_FUZZ_TARGET(name)                                                                  \
    static void pgorm_fuzz_body_##name(std::string_view);                                        \
    static const ::pgorm_fuzz::registration pgorm_fuzz_registration_##name{#name, &pgorm_fuzz_body_##name}; \
    static void pgorm_fuzz_body_##name(std::string_view data)
#endif
