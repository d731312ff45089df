#pragma once
// Codecs for text: std::string, std::string_view and C strings (text, varchar, char(n), name).
//
// std::string_view decodes to a view into the result's memory: valid while the result lives.

#include <pgorm/types/codec.hpp>

namespace pgorm {

namespace detail {
inline bool is_text_oid(oid_t o) noexcept {
    return o == oid::text || o == oid::varchar || o == oid::bpchar || o == oid::name ||
           o == oid::unknown || o == oid::char_;
}
struct text_codec_base {
    static constexpr oid_t type_oid = oid::text;
    static constexpr oid_t array_oid = oid::text_array;
    static constexpr std::string_view sql_name = "text";
    static bool accepts(oid_t o) noexcept { return is_text_oid(o); }
    static void encode(std::string_view v, std::string& out) { out.append(v); }
    static void encode_text(std::string_view v, std::string& out) { out.append(v); }
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
struct codec<const char*> : detail::text_codec_base {};  // parameters only

template <std::size_t N>
struct codec<char[N]> : detail::text_codec_base {  // string literals as parameters
    static void encode(const char (&v)[N], std::string& out) { out.append(v, std::strlen(v)); }
};

}  // namespace pgorm
