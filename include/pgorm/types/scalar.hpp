#pragma once
// Codecs for bool, the integer types and the floating-point types.
//
// Integers decode from any PostgreSQL integer column; a value that does not fit the C++ type
// (a bigint of 70000 read into std::int16_t) throws value_out_of_range instead of wrapping.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/codec.hpp>

#include <limits>

namespace pgorm {

template <>
struct codec<bool> {
    static constexpr oid_t type_oid = oid::bool_;
    static constexpr oid_t array_oid = oid::bool_array;
    static constexpr std::string_view sql_name = "boolean";
    static bool accepts(oid_t o) noexcept { return o == oid::bool_; }
    static void encode(bool v, std::string& out) { out.push_back(v ? 1 : 0); }
    static void decode(std::string_view in, oid_t, bool& out) {
        wire::expect_size(in, 1, "boolean");
        out = in[0] != 0;
    }
};

namespace detail {

template <class I>
struct int_traits;
template <> struct int_traits<std::int16_t> { static constexpr oid_t type_oid = oid::int2, array_oid = oid::int2_array; static constexpr std::string_view sql_name = "smallint"; };
template <> struct int_traits<std::int32_t> { static constexpr oid_t type_oid = oid::int4, array_oid = oid::int4_array; static constexpr std::string_view sql_name = "integer"; };
template <> struct int_traits<std::int64_t> { static constexpr oid_t type_oid = oid::int8, array_oid = oid::int8_array; static constexpr std::string_view sql_name = "bigint"; };

/// narrow_int's value_out_of_range, out of line (types/impl/scalar.ipp): one copy, not one per type.
[[noreturn, gnu::cold]] PGORM_DECL void throw_int_out_of_range(std::int64_t v, std::string_view type);

template <class I>
I narrow_int(std::int64_t v) {
    if (v < std::numeric_limits<I>::min() || v > std::numeric_limits<I>::max()) [[unlikely]] {
        constexpr std::string_view type = cpp_type_name<I>();  // evaluated here, not emitted per type
        throw_int_out_of_range(v, type);
    }
    return static_cast<I>(v);
}

}  // namespace detail

/// int16/int32/int64 (and the same-width `long`/`long long` aliases).
template <class I>
struct codec<I, std::enable_if_t<std::is_integral_v<I> && std::is_signed_v<I> && (sizeof(I) >= 2) &&
                                 !std::is_same_v<I, bool> && !std::is_same_v<I, char>>> {
    using fixed = std::conditional_t<sizeof(I) == 2, std::int16_t,
                                     std::conditional_t<sizeof(I) == 4, std::int32_t, std::int64_t>>;
    static constexpr oid_t type_oid = detail::int_traits<fixed>::type_oid;
    static constexpr oid_t array_oid = detail::int_traits<fixed>::array_oid;
    static constexpr std::string_view sql_name = detail::int_traits<fixed>::sql_name;
    static bool accepts(oid_t o) noexcept { return o == oid::int2 || o == oid::int4 || o == oid::int8 || o == oid::oid; }
    static void encode(I v, std::string& out) { wire::put<fixed>(out, static_cast<fixed>(v)); }
    static void decode(std::string_view in, oid_t column, I& out) {
        std::int64_t v;
        switch (in.size()) {
            case 2: v = wire::get<std::int16_t>(in.data()); break;
            case 4: v = column == oid::oid ? std::int64_t{wire::get<std::uint32_t>(in.data())}
                                           : std::int64_t{wire::get<std::int32_t>(in.data())}; break;
            case 8: v = wire::get<std::int64_t>(in.data()); break;
            default: wire::expect_size(in, sizeof(I), sql_name); return;
        }
        out = detail::narrow_int<I>(v);
    }
};

template <>
struct codec<float> {
    static constexpr oid_t type_oid = oid::float4;
    static constexpr oid_t array_oid = oid::float4_array;
    static constexpr std::string_view sql_name = "real";
    static bool accepts(oid_t o) noexcept { return o == oid::float4; }
    static void encode(float v, std::string& out) { wire::put(out, std::bit_cast<std::uint32_t>(v)); }
    static void decode(std::string_view in, oid_t, float& out) {
        wire::expect_size(in, 4, sql_name);
        out = std::bit_cast<float>(wire::get<std::uint32_t>(in.data()));
    }
};

template <>
struct codec<double> {
    static constexpr oid_t type_oid = oid::float8;
    static constexpr oid_t array_oid = oid::float8_array;
    static constexpr std::string_view sql_name = "double precision";
    static bool accepts(oid_t o) noexcept { return o == oid::float8 || o == oid::float4; }
    static void encode(double v, std::string& out) { wire::put(out, std::bit_cast<std::uint64_t>(v)); }
    static void decode(std::string_view in, oid_t, double& out) {
        if (in.size() == 4) {  // real widens exactly
            out = std::bit_cast<float>(wire::get<std::uint32_t>(in.data()));
            return;
        }
        wire::expect_size(in, 8, sql_name);
        out = std::bit_cast<double>(wire::get<std::uint64_t>(in.data()));
    }
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/types/impl/scalar.ipp>
#endif
