#pragma once
// Composite types (docs 8.16): a struct described with BOOST_DESCRIBE_STRUCT <-> a row type,
// member i <-> attribute i, opted in one struct at a time:
//
//   struct address { std::string city; std::optional<std::string> zip; };
//   BOOST_DESCRIBE_STRUCT(address, (), (city, zip))       // CREATE TYPE address AS (city text, zip text)
//   template <> inline constexpr bool pgorm::enable_composite<address> = true;
//
// Opt-in, because a struct with a codec is read as one column value (query<address>("SELECT
// home FROM ...")) instead of a row of columns; a described struct without the flag keeps
// reading rows. Members may be anything with a codec: std::optional for NULL attributes, nested
// composites, enums, arrays; std::vector<address> is address[].
//
// Reading is binary (record_send, checked against PostgreSQL 15 with record_send(row(1,'a'))):
// int32 attribute count, then per attribute its uint32 type OID, int32 length (-1: NULL) and
// bytes. The count must equal the number of described members and each built-in attribute OID
// must be one the member's codec reads (type_mismatch naming the member otherwise); an attribute
// of a user type (nested composite, enum, domain) goes to the member's codec, as in arrays.
//
// Sending is text: record_recv insists that every attribute's OID equals the attribute's type,
// and the OIDs of nested composites, enums and domains are assigned at CREATE time, so a
// compile-time struct cannot know them. A composite parameter is therefore the record literal
// ("(\"Oslo\",)" — every present value double-quoted with " and \ escaped, NULL left empty),
// sent with OID 0 so the server takes the type from context (`$1::address`, an INSERT column),
// and arrays of composites go as text array literals (array.hpp). Member text forms: bool t/f,
// integers, shortest round-trip floats (NaN, Infinity), numeric's text, uuid, ISO dates and
// timestamps (timestamptz with +00:00), time, interval as months/days/microseconds, bytea as \x
// hex, arrays as {...} literals, and every codec's encode_text (text, enums, inet, ...). A member
// type without a text form (money, whose text depends on lc_monetary; a date before year 1) is
// a compile error or value_out_of_range. A struct whose members all have fixed built-in OIDs
// (no enums, no nested composites) also has a binary encode(), so binary COPY can write it.

#include <pgorm/types/bytea.hpp>
#include <pgorm/types/chrono.hpp>
#include <pgorm/types/codec.hpp>
#include <pgorm/types/iso_time.hpp>
#include <pgorm/types/numeric.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/uuid.hpp>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>
#include <optional>
#include <vector>

namespace pgorm {

/// Specialise to true for a described struct that maps to a PostgreSQL composite type.
template <class T>
inline constexpr bool enable_composite = false;

template <class T>
concept composite_struct = enable_composite<T> && boost::describe::has_describe_members<T>::value;

namespace detail::composite {

template <class T>
using members = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <class>
inline constexpr bool is_vector = false;
template <class U, class A>
inline constexpr bool is_vector<std::vector<U, A>> = true;
template <class>
inline constexpr bool is_optional = false;
template <class U>
inline constexpr bool is_optional<std::optional<U>> = true;

/// Appends `text` double-quoted with " and \ escaped by a backslash (record and array literals).
inline void append_quoted(std::string& out, std::string_view text) {
    out.push_back('"');
    for (char c : text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
}

/// ISO text has no BC years, so a day before 0001-01-01 cannot be sent in a composite.
inline void check_ad(std::chrono::sys_days d) {
    using namespace std::chrono;
    if (d != sys_days::max() && d != sys_days::min() && d < sys_days(year(1) / January / 1))
        throw value_out_of_range("pgorm: a date before year 1 has no ISO text for a composite parameter");
}

/// Appends the text form of a present value of `F` (not NULL); false when F is a NULL optional.
template <class F>
bool append_text(const F& v, std::string& out) {
    using namespace std::chrono;
    if constexpr (is_optional<F>) {
        return v ? append_text(*v, out) : false;
    } else if constexpr (std::is_same_v<F, bool>) {
        out.push_back(v ? 't' : 'f');
    } else if constexpr (std::is_integral_v<F>) {
        out += std::to_string(v);
    } else if constexpr (std::is_floating_point_v<F>) {
        if (std::isnan(v)) out += "NaN";
        else if (std::isinf(v)) out += v > 0 ? "Infinity" : "-Infinity";
        else {
            char buf[64];
            auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
            out.append(buf, r.ptr);
        }
    } else if constexpr (std::is_same_v<F, numeric>) {
        out += v.str();
    } else if constexpr (std::is_same_v<F, boost::uuids::uuid>) {
        out += boost::uuids::to_string(v);
    } else if constexpr (std::is_same_v<F, timestamptz> || std::is_same_v<F, timestamp>) {
        if (v != F::max() && v != F::min()) check_ad(floor<days>(sys_time<microseconds>(v.time_since_epoch())));
        out += iso::format_timestamp(v);
    } else if constexpr (std::is_same_v<F, sys_days>) {
        check_ad(v);
        out += iso::format_date(v);
    } else if constexpr (std::is_same_v<F, year_month_day>) {
        if (!v.ok()) throw value_out_of_range("pgorm: year_month_day is not a valid calendar date");
        check_ad(sys_days(v));
        out += iso::format_date(sys_days(v));
    } else if constexpr (std::is_same_v<F, time_of_day>) {
        iso::append_time(out, v.since_midnight);
    } else if constexpr (std::is_same_v<F, interval>) {
        out += std::to_string(v.months) + " mons " + std::to_string(v.days) + " days " +
               std::to_string(v.time.count()) + " microseconds";
    } else if constexpr (std::is_same_v<F, microseconds>) {
        out += std::to_string(v.count()) + " microseconds";
    } else if constexpr (std::is_same_v<F, std::vector<std::byte>> || std::is_same_v<F, std::vector<unsigned char>>) {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\x";
        for (auto b : v) {
            out.push_back(hex[static_cast<unsigned>(b) >> 4]);
            out.push_back(hex[static_cast<unsigned>(b) & 0xF]);
        }
    } else if constexpr (is_vector<F>) {
        out.push_back('{');
        std::string element;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out.push_back(',');
            element.clear();
            if (append_text(v[i], element)) append_quoted(out, element);
            else out += "NULL";
        }
        out.push_back('}');
    } else if constexpr (requires(std::string& s) { codec<F>::encode_text(v, s); }) {
        codec<F>::encode_text(v, out);
    } else {
        static_assert(sizeof(F) == 0,
                      "pgorm: a member of this composite has no text form, so the composite cannot be sent "
                      "(composite.hpp lists the member types it can send); read-only use needs no text form");
    }
    return true;
}

}  // namespace detail::composite

template <composite_struct T>
struct codec<T> {
    static constexpr oid_t type_oid = oid::unspecified;  // the server takes the row type from context
    static constexpr oid_t array_oid = 0;                // arrays go as text literals
    static constexpr std::string_view sql_name = "composite";
    static constexpr int format = 0;

    static bool accepts(oid_t o) noexcept { return o >= oid::first_user_oid || o == oid::record; }

    /// True when every member's codec sends a fixed built-in OID in binary: then the struct
    /// has a binary record form too, which binary COPY needs (parameters stay text).
    static constexpr bool binary_members = [] {
        bool all = true;
        boost::mp11::mp_for_each<detail::composite::members<T>>([&](auto d) {
            using M = std::remove_cvref_t<decltype(std::declval<const T&>().*d.pointer)>;
            all = all && codec<M>::type_oid != oid::unspecified && codec<M>::type_oid < oid::first_user_oid &&
                  param_format_of<M>() == 1;
        });
        return all;
    }();

    /// record_recv's form: count, then per member its codec's OID, length (-1 NULL), bytes. The
    /// server refuses an OID that is not the attribute's exact type (an int32 member for a
    /// bigint attribute), so match member types to the row type's.
    static void encode(const T& v, std::string& out)
        requires binary_members
    {
        constexpr std::size_t count = boost::mp11::mp_size<detail::composite::members<T>>::value;
        wire::put<std::int32_t>(out, static_cast<std::int32_t>(count));
        boost::mp11::mp_for_each<detail::composite::members<T>>([&](auto d) {
            using M = std::remove_cvref_t<decltype(v.*d.pointer)>;
            wire::put<std::uint32_t>(out, codec<M>::type_oid);
            if constexpr (nullable_value<M>) {
                if (codec<M>::is_null(v.*d.pointer)) return wire::put<std::int32_t>(out, -1);
            }
            const std::size_t at = out.size();
            wire::put<std::int32_t>(out, 0);  // length, patched below
            codec<M>::encode(v.*d.pointer, out);
            const std::size_t len = out.size() - at - 4;
            if (len > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
                throw value_out_of_range("pgorm: composite attribute larger than 2 GiB");
            for (int k = 0; k < 4; ++k)
                out[at + static_cast<std::size_t>(k)] = static_cast<char>((len >> (24 - 8 * k)) & 0xFF);
        });
    }

    /// The record literal: (value,value,...) with each present value quoted, NULL empty.
    static void encode_text(const T& v, std::string& out) {
        out.push_back('(');
        bool first = true;
        std::string field;
        boost::mp11::mp_for_each<detail::composite::members<T>>([&](auto d) {
            if (!first) out.push_back(',');
            first = false;
            field.clear();
            if (detail::composite::append_text(v.*d.pointer, field)) detail::composite::append_quoted(out, field);
        });
        out.push_back(')');
    }

    static void decode(std::string_view in, oid_t, T& out) {
        constexpr std::size_t count = boost::mp11::mp_size<detail::composite::members<T>>::value;
        wire::reader r(in, "composite");
        const auto n = r.read<std::int32_t>();
        if (n != static_cast<std::int32_t>(count))
            throw decode_error("pgorm: a composite value with " + std::to_string(n) + " attribute(s) cannot be read into " +
                               std::string(cpp_type_name<T>()) + ", which describes " + std::to_string(count) +
                               " member(s)");
        boost::mp11::mp_for_each<detail::composite::members<T>>([&](auto d) {
            using M = std::remove_cvref_t<decltype(out.*d.pointer)>;
            const auto attribute_oid = r.read<std::uint32_t>();
            const auto len = r.read<std::int32_t>();
            if (attribute_oid < oid::first_user_oid && !codec<M>::accepts(attribute_oid))
                throw type_mismatch("pgorm: composite attribute \"" + std::string(d.name) + "\" has type " +
                                    type_name_of(attribute_oid) + ", which member " +
                                    std::string(cpp_type_name<T>()) + "::" + d.name + " (" +
                                    std::string(codec<M>::sql_name) + ") cannot hold");
            if (len < 0) {
                if constexpr (nullable_value<M>) codec<M>::set_null(out.*d.pointer);
                else
                    throw unexpected_null("pgorm: composite attribute \"" + std::string(d.name) + "\" is NULL, but " +
                                          std::string(cpp_type_name<T>()) + "::" + d.name +
                                          " is not std::optional");
                return;
            }
            codec<M>::decode(r.bytes(static_cast<std::size_t>(len)), attribute_oid, out.*d.pointer);
        });
        if (!r.done()) throw decode_error("pgorm: trailing bytes after a composite value");
    }
};

}  // namespace pgorm
