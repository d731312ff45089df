#pragma once
// bytea: std::vector<std::byte> (and std::vector<unsigned char>) travel as raw bytes.
//
// These two vectors are bytea, never arrays: array.hpp leaves byte-like element types alone.

#include <pgorm/types/codec.hpp>

#include <cstddef>
#include <vector>

namespace pgorm {

namespace detail {
template <class Byte>
struct bytea_codec {
    static constexpr oid_t type_oid = oid::bytea;
    static constexpr oid_t array_oid = oid::bytea_array;
    static constexpr std::string_view sql_name = "bytea";
    static bool accepts(oid_t o) noexcept { return o == oid::bytea; }
    static void encode(const std::vector<Byte>& v, std::string& out) {
        out.append(reinterpret_cast<const char*>(v.data()), v.size());
    }
    static void decode(std::string_view in, oid_t, std::vector<Byte>& out) {
        const auto* p = reinterpret_cast<const Byte*>(in.data());
        out.assign(p, p + in.size());
    }
};
}  // namespace detail

template <>
struct codec<std::vector<std::byte>> : detail::bytea_codec<std::byte> {};

template <>
struct codec<std::vector<unsigned char>> : detail::bytea_codec<unsigned char> {};

}  // namespace pgorm
