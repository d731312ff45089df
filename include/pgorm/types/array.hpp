#pragma once
// One-dimensional arrays: std::vector<T> for every T with a codec (NULL elements need
// std::optional<U> elements). std::vector<std::byte> and std::vector<unsigned char> are bytea,
// not arrays (bytea.hpp).
//
// Binary format: ndim, has-null flag, element OID, then per dimension (length, lower bound),
// then each element as an int32 length (-1 for NULL) and its bytes. An empty vector is ndim 0.
// Element types without an array OID (PostgreSQL enums, whose OIDs are only known at run time)
// are sent as a text array literal with OID 0, because the server's array_recv insists that a
// binary array's element OID matches the parameter type. Results are always binary.
//
// Decoding checks the element OID against the element codec and refuses multi-dimensional
// arrays (a std::vector cannot hold them) and NULL elements for non-optional element types.
//
// Arrays of user types (a domain, an enum, a composite) have array OIDs assigned at CREATE time,
// so any user-type column is accepted and the element OID in the value's header decides. A
// domain's array carries the domain's own OID there, with elements in its base type's binary
// form (measured: array_send on posint[] writes posint's OID): an element OID of a user type is
// handed to the element codec, which reads the base type's bytes and checks their size
// (PostgreSQL docs 8.15, Arrays; 8.18, Domain Types). Sent arrays carry the base type's OID,
// which the server casts to the domain's array on assignment; binary COPY, which does not cast,
// rewrites it to the column's element OID (core/copy.hpp).

#include <pgorm/types/codec.hpp>
#include <pgorm/types/optional.hpp>

#include <array>
#include <limits>
#include <optional>
#include <vector>

namespace pgorm {

namespace detail {

/// Anything with a codec except arrays themselves (PostgreSQL has no arrays of arrays) and the
/// byte types, whose vectors are bytea.
template <class T>
concept array_element = has_codec<T> && !requires { codec<T>::is_array; } && !std::same_as<T, std::byte> &&
                        !std::same_as<T, unsigned char> && !std::same_as<T, char>;

/// The element type of a built-in array type, or 0 for anything else.
constexpr oid_t element_of_array(oid_t a) noexcept {
    constexpr std::pair<oid_t, oid_t> table[] = {
        {oid::bool_array, oid::bool_}, {oid::bytea_array, oid::bytea}, {oid::char_array, oid::char_},
        {oid::name_array, oid::name}, {oid::int2_array, oid::int2}, {oid::int4_array, oid::int4},
        {oid::text_array, oid::text}, {oid::bpchar_array, oid::bpchar}, {oid::varchar_array, oid::varchar},
        {oid::int8_array, oid::int8}, {oid::float4_array, oid::float4}, {oid::float8_array, oid::float8},
        {oid::oid_array, oid::oid}, {oid::timestamp_array, oid::timestamp}, {oid::date_array, oid::date},
        {oid::time_array, oid::time}, {oid::timestamptz_array, oid::timestamptz},
        {oid::interval_array, oid::interval}, {oid::numeric_array, oid::numeric}, {oid::uuid_array, oid::uuid},
        {oid::json_array, oid::json}, {oid::jsonb_array, oid::jsonb}, {oid::xml_array, oid::xml},
        {oid::point_array, oid::point}, {oid::cidr_array, oid::cidr}, {oid::macaddr8_array, oid::macaddr8},
        {oid::money_array, oid::money}, {oid::macaddr_array, oid::macaddr}, {oid::inet_array, oid::inet},
        {oid::bit_array, oid::bit}, {oid::varbit_array, oid::varbit}, {oid::record_array, oid::record},
        {oid::tsvector_array, oid::tsvector}, {oid::int4range_array, oid::int4range},
        {oid::numrange_array, oid::numrange}, {oid::tsrange_array, oid::tsrange},
        {oid::tstzrange_array, oid::tstzrange}, {oid::daterange_array, oid::daterange},
        {oid::int8range_array, oid::int8range}, {oid::int4multirange_array, oid::int4multirange},
        {oid::nummultirange_array, oid::nummultirange}, {oid::tsmultirange_array, oid::tsmultirange},
        {oid::tstzmultirange_array, oid::tstzmultirange}, {oid::datemultirange_array, oid::datemultirange},
        {oid::int8multirange_array, oid::int8multirange}};
    for (auto [arr, elem] : table)
        if (arr == a) return elem;
    return 0;
}

/// "integer[]" from "integer", built at compile time for error messages.
template <class T>
struct array_sql_name {
    static constexpr std::string_view elem = codec<T>::sql_name;
    static constexpr auto chars = [] {
        std::array<char, elem.size() + 2> a{};
        for (std::size_t i = 0; i < elem.size(); ++i) a[i] = elem[i];
        a[elem.size()] = '[';
        a[elem.size() + 1] = ']';
        return a;
    }();
    static constexpr std::string_view value{chars.data(), chars.size()};
};

/// Appends one element of a text array literal: always quoted, with \ and " escaped.
inline void append_array_literal_element(std::string& out, std::string_view text) {
    out.push_back('"');
    for (char c : text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace detail

template <detail::array_element T, class A>
struct codec<std::vector<T, A>> {
    using element = codec<T>;
    static constexpr bool binary = element::array_oid != 0;
    static constexpr oid_t type_oid = element::array_oid;  // 0 (server infers) for text arrays
    static constexpr oid_t array_oid = 0;                  // PostgreSQL has no arrays of arrays
    static constexpr std::string_view sql_name = detail::array_sql_name<T>::value;
    static constexpr int format = binary ? 1 : 0;
    static constexpr bool is_array = true;
    static constexpr std::int32_t max_dimensions = 6;  // PostgreSQL's MAXDIM (utils/array.h)

    static bool accepts(oid_t o) noexcept {
        if (o == element::array_oid && o != 0) return true;
        if (oid_t e = detail::element_of_array(o)) return element::accepts(e);
        return o >= oid::first_user_oid;  // an array of a domain, enum, composite: decode() checks
    }

    static void encode(const std::vector<T, A>& v, std::string& out) {
        if (v.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
            throw value_out_of_range("pgorm: array of " + std::to_string(v.size()) + " elements is too long");
        bool has_null = false;
        if constexpr (nullable_value<T>)
            for (const auto& e : v) has_null = has_null || element::is_null(e);
        wire::put<std::int32_t>(out, v.empty() ? 0 : 1);
        wire::put<std::int32_t>(out, has_null ? 1 : 0);
        wire::put<std::uint32_t>(out, element::type_oid);
        if (v.empty()) return;
        wire::put<std::int32_t>(out, static_cast<std::int32_t>(v.size()));
        wire::put<std::int32_t>(out, 1);  // lower bound
        for (const auto& e : v) {
            if constexpr (nullable_value<T>) {
                if (element::is_null(e)) {
                    wire::put<std::int32_t>(out, -1);
                    continue;
                }
            }
            std::size_t at = out.size();
            wire::put<std::int32_t>(out, 0);  // length, patched below
            element::encode(e, out);
            std::size_t len = out.size() - at - 4;
            if (len > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
                throw value_out_of_range("pgorm: array element larger than 2 GiB");
            for (int k = 0; k < 4; ++k)  // big-endian length in the slot reserved above
                out[at + static_cast<std::size_t>(k)] = static_cast<char>((len >> (24 - 8 * k)) & 0xFF);
        }
    }

    /// The text literal '{"a","b",NULL}', used when the element type has no array OID.
    static void encode_text(const std::vector<T, A>& v, std::string& out)
        requires requires(const T& e, std::string& s) { element::encode_text(e, s); }
    {
        out.push_back('{');
        std::string text;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out.push_back(',');
            if constexpr (nullable_value<T>) {
                if (element::is_null(v[i])) {
                    out += "NULL";
                    continue;
                }
            }
            text.clear();
            element::encode_text(v[i], text);
            detail::append_array_literal_element(out, text);
        }
        out.push_back('}');
    }

    static void decode(std::string_view in, oid_t, std::vector<T, A>& out) {
        wire::reader r(in, "array");
        const auto ndim = r.read<std::int32_t>();
        r.read<std::int32_t>();  // has-null flag: the element lengths say the same
        const auto elem_oid = r.read<std::uint32_t>();
        out.clear();
        if (ndim == 0) return;
        if (ndim < 0 || ndim > max_dimensions)
            throw decode_error("pgorm: a value of a user type that is not an array cannot be read into " +
                               std::string(cpp_type_name<std::vector<T, A>>()) + " (its header claims " +
                               std::to_string(ndim) + " dimensions)");
        if (ndim != 1)
            throw decode_error("pgorm: a " + std::to_string(ndim) + "-dimensional array cannot be read into " +
                               std::string(cpp_type_name<std::vector<T, A>>()) + ", which holds one dimension");
        // A user-type element (domain, enum, composite) is left to the element codec's decode.
        if (elem_oid < oid::first_user_oid && !element::accepts(elem_oid))
            throw type_mismatch("pgorm: array of " + type_name_of(elem_oid) + " cannot be read into " +
                                std::string(cpp_type_name<std::vector<T, A>>()) + " (elements are " +
                                std::string(element::sql_name) + ")");
        const auto n = r.read<std::int32_t>();
        r.read<std::int32_t>();  // lower bound: a vector always starts at 0
        if (n < 0) throw decode_error("pgorm: negative array length on the wire");
        r.expect_room_for(n, 4, "elements");  // each element has at least its 4-byte length
        out.reserve(static_cast<std::size_t>(n));
        for (std::int32_t i = 0; i < n; ++i) {
            const auto len = r.read<std::int32_t>();
            T e{};
            if (len < 0) {
                if constexpr (nullable_value<T>) element::set_null(e);
                else
                    throw unexpected_null("pgorm: array element " + std::to_string(i + 1) + " is NULL, but " +
                                          std::string(cpp_type_name<T>()) +
                                          " is not std::optional; read into std::vector<std::optional<...>>");
            } else {
                element::decode(r.bytes(static_cast<std::size_t>(len)), elem_oid, e);
            }
            out.push_back(std::move(e));
        }
        if (!r.done()) throw decode_error("pgorm: trailing bytes after an array value");
    }
};

}  // namespace pgorm
