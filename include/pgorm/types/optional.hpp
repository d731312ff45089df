#pragma once
// std::optional<T> is SQL NULL when empty; everything else comes from codec<T>.
//
// A codec may also declare `static bool reads_as_null(std::string_view in, oid_t column)`: a
// non-NULL wire value for which std::optional<T> reads std::nullopt (the JSON codecs use it for
// the JSON document `null`; json.hpp). Writing std::nullopt always sends SQL NULL.

#include <pgorm/types/codec.hpp>

#include <optional>

namespace pgorm {

template <class T>
struct codec<std::optional<T>> {
    static constexpr oid_t type_oid = codec<T>::type_oid;
    static constexpr oid_t array_oid = codec<T>::array_oid;
    static constexpr std::string_view sql_name = codec<T>::sql_name;
    static constexpr bool nullable = true;
    static constexpr int format = param_format_of<T>();

    static bool accepts(oid_t o) noexcept { return codec<T>::accepts(o); }
    static bool is_null(const std::optional<T>& v) noexcept { return !v.has_value(); }
    static void set_null(std::optional<T>& v) noexcept { v.reset(); }
    static void encode(const std::optional<T>& v, std::string& out) { codec<T>::encode(*v, out); }
    static void encode_text(const std::optional<T>& v, std::string& out)
        requires requires(std::string& s) { codec<T>::encode_text(*v, s); }
    {
        codec<T>::encode_text(*v, out);
    }
    static void decode(std::string_view in, oid_t column, std::optional<T>& out) {
        if constexpr (requires { codec<T>::reads_as_null(in, column); }) {
            if (codec<T>::reads_as_null(in, column)) {  // a value that means "nothing" (JSON null)
                out.reset();
                return;
            }
        }
        if (!out) out.emplace();
        codec<T>::decode(in, column, *out);
    }
};

template <>
struct codec<std::nullopt_t> {  // a literal NULL parameter
    static constexpr oid_t type_oid = oid::unspecified;
    static constexpr oid_t array_oid = 0;
    static constexpr std::string_view sql_name = "NULL";
    static constexpr bool nullable = true;
    static bool accepts(oid_t) noexcept { return false; }
    static bool is_null(std::nullopt_t) noexcept { return true; }
    static void encode(std::nullopt_t, std::string&) {}
};

}  // namespace pgorm
