#pragma once
// json and jsonb columns as raw text: pgorm::json and pgorm::jsonb<> (alias pgorm::jsonb_text).
// Apart from <pgorm/types/json.hpp>, which adds pgorm::jsonb<T> for C++ values and needs
// Boost.JSON (about 2 s of compiler time per translation unit, docs/performance.md "Build time"),
// so that <pgorm/core.hpp>'s codecs hold JSON text without it. The wire forms and the rules for
// JSON null are at the top of <pgorm/types/json.hpp>.

#include <pgorm/error.hpp>
#include <pgorm/types/codec.hpp>
#include <pgorm/types/oid.hpp>
#include <pgorm/types/string.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace pgorm {

/// Raw JSON text for a json column.
struct json {
    std::string text;

    json() = default;
    explicit json(std::string t) : text(std::move(t)) {}
    friend bool operator==(const json&, const json&) = default;
};

template <class T = void>
class jsonb;

/// Raw JSON text for a jsonb column. The server normalises jsonb text (key order, spacing),
/// so what comes back is equal in meaning, not always in spelling.
template <>
class jsonb<void> {
public:
    std::string text;

    jsonb() = default;
    explicit jsonb(std::string t) : text(std::move(t)) {}
    friend bool operator==(const jsonb&, const jsonb&) = default;
};
using jsonb_text = jsonb<>;

namespace detail {

inline constexpr char jsonb_version = 1;

/// The JSON text inside a json or jsonb wire value. `column` may also be a user type (the
/// element of a domain's array): JSON text never starts with byte 1, so a leading 1 is jsonb's.
inline std::string_view json_text_of(std::string_view in, oid_t column) {
    if (column == oid::json) return in;
    if (column != oid::jsonb && (in.empty() || in[0] != jsonb_version)) return in;
    if (in.empty() || in[0] != jsonb_version)
        throw decode_error("pgorm: unsupported jsonb wire version " +
                           (in.empty() ? std::string("(empty)") : std::to_string(int(in[0]))));
    return in.substr(1);
}

inline bool is_json_oid(oid_t o) noexcept { return o == oid::json || o == oid::jsonb; }

/// True when a json/jsonb wire value is the JSON document `null` (json keeps its spaces).
inline bool is_json_null(std::string_view in, oid_t column) {
    std::string_view t = json_text_of(in, column);
    constexpr std::string_view space = " \t\n\r";  // JSON's whitespace (RFC 8259, section 2)
    auto first = t.find_first_not_of(space);
    if (first == std::string_view::npos) return false;
    return t.substr(first, t.find_last_not_of(space) + 1 - first) == "null";
}

/// Base of the JSON codecs: what they read, and JSON null read as std::nullopt by std::optional.
struct json_codec_base {
    static bool accepts(oid_t o) noexcept { return is_json_oid(o); }
    static bool reads_as_null(std::string_view in, oid_t column) { return is_json_null(in, column); }
};

}  // namespace detail

template <>
struct codec<json> : detail::json_codec_base {
    static constexpr oid_t type_oid = oid::json;
    static constexpr oid_t array_oid = oid::json_array;
    static constexpr std::string_view sql_name = "json";
    static void encode(const json& v, std::string& out) {
        detail::check_no_nul(v.text, "JSON text");
        out += v.text;
    }
    static void decode(std::string_view in, oid_t column, json& out) {
        out.text.assign(detail::json_text_of(in, column));
    }
};

template <>
struct codec<jsonb<>> : detail::json_codec_base {
    static constexpr oid_t type_oid = oid::jsonb;
    static constexpr oid_t array_oid = oid::jsonb_array;
    static constexpr std::string_view sql_name = "jsonb";
    static void encode(const jsonb<>& v, std::string& out) {
        detail::check_no_nul(v.text, "JSON text");
        out.push_back(detail::jsonb_version);
        out += v.text;
    }
    static void decode(std::string_view in, oid_t column, jsonb<>& out) {
        out.text.assign(detail::json_text_of(in, column));
    }
};

}  // namespace pgorm
