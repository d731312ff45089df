#pragma once
// json and jsonb columns.
//
//   pgorm::json          raw JSON text, sent as json
//   pgorm::jsonb<>       raw JSON text, sent as jsonb (alias pgorm::jsonb_text)
//                        (these two are in json_text.hpp, without Boost.JSON: core.hpp has them)
//   pgorm::jsonb<T>      a C++ value (described struct, vector, map, boost::json::value...)
//                        stored as jsonb through the mapping of json_mapping.hpp, where dates
//                        and timestamps travel as seed 002's sentinel objects
//
// All of them read json and jsonb columns. jsonb's binary form is a version byte (1) and the
// text; json's binary form is the text. Raw text is not validated here: the server rejects
// malformed JSON with a data_exception (a NUL byte in it is refused before sending).
//
// JSON null and SQL NULL (PostgreSQL docs 8.14: a jsonb 'null' is a value, not SQL NULL):
//   reading   std::optional<any of these> is std::nullopt for SQL NULL *and* for the JSON
//             document `null` (another system's way to store "nothing");
//             jsonb<T> for JSON null throws decode_error, unless T holds null itself
//             (boost::json::value, std::optional<U>); jsonb<> and json keep the text "null".
//   writing   std::nullopt sends SQL NULL; jsonb<std::optional<U>>{} and
//             jsonb<boost::json::value>{nullptr} send the JSON document `null`.
// Nesting deeper than json_max_depth() (json_limits.hpp) is refused both ways with an error that
// names the limit.

#include <pgorm/types/codec.hpp>
#include <pgorm/types/json_text.hpp>
#include <pgorm/types/json_limits.hpp>
#include <pgorm/types/json_writer.hpp>
#include <pgorm/types/detail/json_flat_reader.hpp>
#include <pgorm/types/detail/json_mapping.hpp>
#include <pgorm/types/string.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <concepts>
#include <optional>
#include <type_traits>
#include <string>
#include <utility>

namespace pgorm {

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

    /// The JSON text this value is stored as. Throws value_out_of_range when jsonb could not store
    /// it or pgorm could not read it back (json_limits.hpp).
    std::string dump() const;
    /// Parses JSON text; throws decode_error when it is malformed, deeper than json_max_depth(),
    /// or does not fit T (JSON null only fits a T that holds null: see the top of this file).
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

/// The options every JSON read uses: Boost.JSON's defaults (strict RFC 8259) with pgorm's depth limit.
inline boost::json::parse_options json_parse_options() {
    boost::json::parse_options options;
    options.max_depth = json_max_depth();
    return options;
}

/// Parses JSON text with pgorm's depth limit; throws decode_error naming the C++ type. The tree's
/// memory comes from `storage` (default: the heap).
inline boost::json::value parse_json(std::string_view text, std::string_view cpp_type,
                                     boost::json::storage_ptr storage = {}) {
    const boost::json::parse_options options = json_parse_options();
    boost::system::error_code ec;
    boost::json::value v =
        boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, std::move(storage), options);
    if (ec == boost::json::error::too_deep) throw decode_error(json_too_deep("read", cpp_type));
    if (ec) throw decode_error("pgorm: malformed JSON for " + std::string(cpp_type) + ": " + ec.message());
    return v;
}

template <class T> inline constexpr bool holds_json_null = std::is_same_v<T, boost::json::value>;
template <class U> inline constexpr bool holds_json_null<std::optional<U>> = true;

/// Appends the JSON text jsonb<T>::dump() returns: through the direct writer (json_writer.hpp)
/// when it can, else through a boost::json::value, which also throws dump()'s errors.
template <class T>
void append_jsonb_text(std::string& out, const T& v) {
    static constexpr std::string_view type_name = cpp_type_name<T>();  // no run-time cost
    if constexpr (std::is_same_v<T, boost::json::value>) {  // no copy: check the value itself
        check_storable_as_jsonb(v, type_name);
        out += boost::json::serialize(v);
    } else {
        if (json_write::try_append(out, v)) return;
        boost::json::value tree = to_json(v);
        check_storable_as_jsonb(tree, type_name);
        out += boost::json::serialize(tree);
    }
}

}  // namespace detail

template <class T>
std::string jsonb<T>::dump() const {
    std::string out;
    detail::append_jsonb_text(out, value_);
    return out;
}

template <class T>
jsonb<T> jsonb<T>::parse(std::string_view text) {
    static constexpr std::string_view type_name = cpp_type_name<T>();  // no run-time cost
    if constexpr (std::is_same_v<T, boost::json::value>) {
        return jsonb(detail::parse_json(text, type_name));
    } else {
        // The tree lives only until from_json has copied what T needs out of it, so its nodes come
        // from a stack buffer (then blocks released all at once), not from one malloc each, and
        // it is dropped without visiting them (monotonic_resource: deallocation is a no-op).
        if constexpr (detail::json_flat::flat_struct<T>) {
            // A flat struct is filled without a tree when the text is what it expects; all else,
            // and every error, is the general path's below (types/detail/json_flat_reader.hpp).
            T out{};
            if (detail::json_flat::read(text, out)) return jsonb(std::move(out));
        }
        unsigned char first_block[1024];
        boost::json::monotonic_resource arena(first_block, sizeof first_block);
        const boost::json::value v = detail::parse_json(text, type_name, &arena);
        if (v.is_null() && !detail::holds_json_null<T>)
            throw decode_error("pgorm: the JSON value is null, which " + std::string(type_name) +
                               " cannot hold; read it into std::optional<pgorm::jsonb<...>>, where JSON null and "
                               "SQL NULL both read as std::nullopt");
        try {
            return jsonb(from_json<T>(v));  // a boost::json::value inside T is copied to the heap
        } catch (const decode_error& e) {
            throw decode_error(std::string(e.what()) + " (reading " + std::string(type_name) + ")");
        }
    }
}

namespace detail {
/// A jsonb parameter written straight from a value the caller keeps alive through the statement
/// call: what codec<jsonb<T>> sends, without copying the value into a jsonb<T> first.
template <class T>
struct jsonb_ref {
    const T& value;
};
}  // namespace detail

template <class T>
struct codec<detail::jsonb_ref<T>> : detail::json_codec_base {  // parameters only
    static constexpr oid_t type_oid = oid::jsonb;
    static constexpr oid_t array_oid = oid::jsonb_array;
    static constexpr std::string_view sql_name = "jsonb";
    static void encode(const detail::jsonb_ref<T>& v, std::string& out) {
        out.push_back(detail::jsonb_version);
        detail::append_jsonb_text(out, v.value);
    }
};

template <class T>
struct codec<jsonb<T>> : detail::json_codec_base {
    static constexpr oid_t type_oid = oid::jsonb;
    static constexpr oid_t array_oid = oid::jsonb_array;
    static constexpr std::string_view sql_name = "jsonb";
    static void encode(const jsonb<T>& v, std::string& out) {
        out.push_back(detail::jsonb_version);
        detail::append_jsonb_text(out, v.value());
    }
    static void decode(std::string_view in, oid_t column, jsonb<T>& out) {
        out = jsonb<T>::parse(detail::json_text_of(in, column));
    }
};

}  // namespace pgorm
