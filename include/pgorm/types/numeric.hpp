#pragma once
// numeric: an exact decimal kept as its text ("-123.4500", "NaN", "Infinity", "-Infinity").
//
// pgorm does no decimal arithmetic; it carries the digits unchanged, binary both ways. The text
// is checked when the value is sent: anything that is not [+-]digits[.digits][e[+-]digits] or a
// special value throws usage_error. Decoding produces PostgreSQL's own spelling, with exactly
// `dscale` fraction digits, so "1.50" stays "1.50". Equality compares the text ("1.5" != "1.50").

#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/codec.hpp>

#include <compare>
#include <concepts>
#include <string>
#include <utility>
#include <vector>

namespace pgorm {

class numeric {
public:
    numeric() = default;
    explicit numeric(std::string text) : text_(std::move(text)) {}
    explicit numeric(std::string_view text) : text_(text) {}
    explicit numeric(const char* text) : text_(text) {}
    template <std::integral I>
        requires(!std::same_as<I, bool>)
    explicit numeric(I v) : text_(std::to_string(v)) {}

    const std::string& str() const noexcept { return text_; }
    bool is_nan() const noexcept { return text_ == "NaN"; }
    bool is_infinity() const noexcept { return text_ == "Infinity" || text_ == "-Infinity"; }

    friend bool operator==(const numeric&, const numeric&) = default;

private:
    std::string text_ = "0";
};

namespace detail::numeric_wire {
inline constexpr std::uint16_t positive = 0x0000, negative = 0x4000, nan = 0xC000, pinf = 0xD000, ninf = 0xF000;
inline constexpr std::int64_t max_dscale = 0x3FFF;     // NUMERIC_DSCALE_MAX
inline constexpr std::int64_t max_int_digits = 131072;  // digits before the point
inline constexpr std::int64_t max_exponent = max_int_digits + max_dscale;

PGORM_DECL bool iequals(std::string_view a, std::string_view b) noexcept;

[[noreturn]] PGORM_DECL void malformed(std::string_view s);

/// The digits of a finite decimal, split at the point, with the exponent already applied.
struct decimal {
    bool negative = false;
    std::string int_digits, frac_digits;
};

PGORM_DECL decimal parse(std::string_view s);

PGORM_DECL void encode(std::string_view s, std::string& out);

PGORM_DECL std::string decode(std::string_view in);
}  // namespace detail::numeric_wire

template <>
struct codec<numeric> {
    static constexpr oid_t type_oid = oid::numeric;
    static constexpr oid_t array_oid = oid::numeric_array;
    static constexpr std::string_view sql_name = "numeric";
    static bool accepts(oid_t o) noexcept { return o == oid::numeric; }
    static void encode(const numeric& v, std::string& out) { detail::numeric_wire::encode(v.str(), out); }
    static void decode(std::string_view in, oid_t, numeric& out) { out = numeric(detail::numeric_wire::decode(in)); }
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/types/impl/numeric.ipp>
#endif
