#pragma once
// oid: std::uint32_t (pgorm::oid_t is unsigned int, the same type), as PostgreSQL's unsigned
// 32-bit object identifier (docs 8.19). Binary format: a uint32 (oidsend).
//
// Only std::uint32_t maps to oid; the signed integer codecs also read oid columns (scalar.hpp).
// Sending a std::uint32_t to an integer or bigint column relies on the server's assignment cast
// from oid; an unsigned value above 2^31 - 1 does not fit `integer` there.

#include <pgorm/types/codec.hpp>

namespace pgorm {

template <>
struct codec<std::uint32_t> {
    static constexpr oid_t type_oid = oid::oid;
    static constexpr oid_t array_oid = oid::oid_array;
    static constexpr std::string_view sql_name = "oid";
    static bool accepts(oid_t o) noexcept { return o == oid::oid; }
    static void encode(std::uint32_t v, std::string& out) { wire::put<std::uint32_t>(out, v); }
    static void decode(std::string_view in, oid_t, std::uint32_t& out) {
        wire::expect_size(in, 4, sql_name);
        out = wire::get<std::uint32_t>(in.data());
    }
};

}  // namespace pgorm
