#pragma once
// Codecs for text: std::string, std::string_view and C strings (text, varchar, char(n), name).
//
// std::string_view decodes to a view into the result's memory: valid while the result lives.
//
// PostgreSQL text cannot hold the byte 0 (PostgreSQL docs 8.3, "Character Types": "the character
// with code zero cannot be stored"), so every text value pgorm sends is checked and a NUL is
// refused with value_out_of_range naming its position, instead of the server's encoding error or
// a silently shortened string. A char array argument is a C string in a buffer: it ends at its
// first NUL, and a non-NUL byte after that NUL ("ab\0cd") is an error, not a truncation.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/codec.hpp>

#include <cstdint>
#include <cstring>

namespace pgorm {

namespace detail {
inline bool is_text_oid(oid_t o) noexcept {
    return o == oid::text || o == oid::varchar || o == oid::bpchar || o == oid::name ||
           o == oid::unknown || o == oid::char_;
}

/// check_no_nul's error, out of line (types/impl/string.ipp): built only when there is one, so the
/// check itself stays a few instructions at every call site.
[[noreturn, gnu::cold]] PGORM_DECL void throw_nul_in_text(std::string_view v, const char* what);

/// True when a byte of w is 0: subtracting 1 from every byte borrows into a byte's top bit that
/// was clear only where some byte at or below it is 0 (the classic word-at-a-time test).
template <class U>
constexpr bool has_zero_byte(U w) noexcept {
    constexpr U ones = static_cast<U>(~U{0}) / 0xff;  // 0x0101...
    return ((w - ones) & ~w & (ones << 7)) != 0;
}

/// Whether the n bytes at p, 1 <= n <= 16, hold a NUL: two overlapping word loads that cover
/// them all, instead of a call to memchr (most parameters are short: names, types, channels).
inline bool short_text_has_nul(const char* p, std::size_t n) noexcept {
    if (n >= 8) {
        std::uint64_t first, last;
        std::memcpy(&first, p, 8);
        std::memcpy(&last, p + n - 8, 8);
        return has_zero_byte(first) || has_zero_byte(last);
    }
    if (n >= 4) {
        std::uint32_t first, last;
        std::memcpy(&first, p, 4);
        std::memcpy(&last, p + n - 4, 4);
        return has_zero_byte(first) || has_zero_byte(last);
    }
    return p[0] == '\0' || p[n / 2] == '\0' || p[n - 1] == '\0';  // n is 1, 2 or 3: every byte
}

/// Throws value_out_of_range when `v` holds a NUL byte; `what` names the value ("text", "JSON text").
/// Always inlined: a call costs as much as the check of a short text.
[[gnu::always_inline]] inline void check_no_nul(std::string_view v, const char* what = "text") {
    const std::size_t n = v.size();
    if (n == 0) return;  // (memchr must not be given the null pointer an empty view may hold)
    if (n <= 16 ? short_text_has_nul(v.data(), n) : std::memchr(v.data(), '\0', n) != nullptr) [[unlikely]]
        throw_nul_in_text(v, what);
}

/// The C string held in a char array: up to its first NUL; a non-NUL byte after it is refused.
template <std::size_t N>
std::string_view c_string_in_array(const char (&v)[N]) {
    std::string_view all(v, N);
    std::size_t end = all.find('\0');
    if (end == std::string_view::npos) return all;  // a full buffer without terminator
    if (all.find_first_not_of('\0', end) != std::string_view::npos)
        check_no_nul(all.substr(0, all.find_last_not_of('\0') + 1), "char array (string literal)");
    return all.substr(0, end);
}

struct text_codec_base {
    static constexpr oid_t type_oid = oid::text;
    static constexpr oid_t array_oid = oid::text_array;
    static constexpr std::string_view sql_name = "text";
    static bool accepts(oid_t o) noexcept { return is_text_oid(o); }
    static void encode(std::string_view v, std::string& out) {
        check_no_nul(v);
        out.append(v);
    }
    static void encode_text(std::string_view v, std::string& out) { encode(v, out); }
};
}  // namespace detail

template <>
struct codec<std::string> : detail::text_codec_base {
    static void decode(std::string_view in, oid_t, std::string& out) { out.assign(in.data(), in.size()); }
};

template <>
struct codec<std::string_view> : detail::text_codec_base {
    static void decode(std::string_view in, oid_t, std::string_view& out) { out = in; }
};

template <>
struct codec<const char*> : detail::text_codec_base {};  // parameters only; ends at its NUL by definition

template <std::size_t N>
struct codec<char[N]> : detail::text_codec_base {  // string literals and char buffers as parameters
    static void encode(const char (&v)[N], std::string& out) { out.append(detail::c_string_in_array(v)); }
    static void encode_text(const char (&v)[N], std::string& out) { encode(v, out); }
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/types/impl/string.ipp>
#endif
