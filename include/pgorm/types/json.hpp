#pragma once
// json and jsonb columns.
//
//   pgorm::json          raw JSON text, sent as json
//   pgorm::jsonb<>       raw JSON text, sent as jsonb (alias pgorm::jsonb_text)
//   pgorm::jsonb<T>      a C++ value (described struct, vector, map, boost::json::value...)
//                        stored as jsonb through the mapping of json_mapping.hpp, where dates
//                        and timestamps travel as seed 002's sentinel objects
//
// All of them read json and jsonb columns. jsonb's binary form is a version byte (1) and the
// text; json's binary form is the text. Raw text is not validated here: the server rejects
// malformed JSON with a data_exception.

#include <pgorm/types/codec.hpp>
#include <pgorm/types/json_mapping.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <concepts>
#include <string>
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

/// A C++ value stored as jsonb. Reads like a smart wrapper: *j, j->member, j.value().
template <class T>
class jsonb {
public:
    using value_type = T;

    jsonb() = default;
    jsonb(const T& v) : value_(v) {}  // implicit, so that `row.prefs = Prefs{...}` reads naturally
    jsonb(T&& v) : value_(std::move(v)) {}

    T& value() & noexcept { return value_; }
    const T& value() const& noexcept { return value_; }
    T&& value() && noexcept { return std::move(value_); }
    T& operator*() noexcept { return value_; }
    const T& operator*() const noexcept { return value_; }
    T* operator->() noexcept { return &value_; }
    const T* operator->() const noexcept { return &value_; }

    /// The JSON text this value is stored as.
    std::string dump() const { return boost::json::serialize(to_json(value_)); }
    /// Parses JSON text; throws decode_error when it is malformed or does not fit T.
    static jsonb parse(std::string_view text);

    friend bool operator==(const jsonb& a, const jsonb& b)
        requires std::equality_comparable<T>
    {
        return a.value_ == b.value_;
    }
    friend bool operator==(const jsonb& a, const T& b)
        requires std::equality_comparable<T>
    {
        return a.value_ == b;
    }

private:
    T value_{};
};

namespace detail {

inline constexpr char jsonb_version = 1;

/// The JSON text inside a json or jsonb wire value.
inline std::string_view json_text_of(std::string_view in, oid_t column) {
    if (column != oid::jsonb) return in;
    if (in.empty() || in[0] != jsonb_version)
        throw decode_error("pgorm: unsupported jsonb wire version " +
                           (in.empty() ? std::string("(empty)") : std::to_string(int(in[0]))));
    return in.substr(1);
}

inline bool is_json_oid(oid_t o) noexcept { return o == oid::json || o == oid::jsonb; }

}  // namespace detail

template <class T>
jsonb<T> jsonb<T>::parse(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
    if (ec)
        throw decode_error("pgorm: malformed JSON for " + std::string(cpp_type_name<T>()) + ": " + ec.message());
    try {
        return jsonb(from_json<T>(v));
    } catch (const decode_error& e) {
        throw decode_error(std::string(e.what()) + " (reading " + std::string(cpp_type_name<T>()) + ")");
    }
}

template <>
struct codec<json> {
    static constexpr oid_t type_oid = oid::json;
    static constexpr oid_t array_oid = oid::json_array;
    static constexpr std::string_view sql_name = "json";
    static bool accepts(oid_t o) noexcept { return detail::is_json_oid(o); }
    static void encode(const json& v, std::string& out) { out += v.text; }
    static void decode(std::string_view in, oid_t column, json& out) {
        out.text.assign(detail::json_text_of(in, column));
    }
};

template <>
struct codec<jsonb<>> {
    static constexpr oid_t type_oid = oid::jsonb;
    static constexpr oid_t array_oid = oid::jsonb_array;
    static constexpr std::string_view sql_name = "jsonb";
    static bool accepts(oid_t o) noexcept { return detail::is_json_oid(o); }
    static void encode(const jsonb<>& v, std::string& out) {
        out.push_back(detail::jsonb_version);
        out += v.text;
    }
    static void decode(std::string_view in, oid_t column, jsonb<>& out) {
        out.text.assign(detail::json_text_of(in, column));
    }
};

template <class T>
struct codec<jsonb<T>> {
    static constexpr oid_t type_oid = oid::jsonb;
    static constexpr oid_t array_oid = oid::jsonb_array;
    static constexpr std::string_view sql_name = "jsonb";
    static bool accepts(oid_t o) noexcept { return detail::is_json_oid(o); }
    static void encode(const jsonb<T>& v, std::string& out) {
        out.push_back(detail::jsonb_version);
        out += v.dump();
    }
    static void decode(std::string_view in, oid_t column, jsonb<T>& out) {
        out = jsonb<T>::parse(detail::json_text_of(in, column));
    }
};

}  // namespace pgorm
