#pragma once
// Range and multirange types (docs 8.17): pgorm::range<T> and pgorm::multirange<T>.
//
//   T                                     range        multirange
//   std::int32_t                          int4range    int4multirange
//   std::int64_t                          int8range    int8multirange
//   pgorm::numeric                        numrange     nummultirange
//   pgorm::timestamp                      tsrange      tsmultirange
//   pgorm::timestamptz                    tstzrange    tstzmultirange
//   std::chrono::sys_days, year_month_day daterange    datemultirange
//
// A bound is either a value (inclusive or exclusive) or absent: std::nullopt is an unbounded
// side ("(,5]"), which is not the same as a bound whose value is infinity ('[2024-01-01,
// infinity)' has an upper bound, timestamptz::max()). range<T>::empty() is the empty range.
// The server canonicalises discrete ranges (int4range, int8range, daterange) to '[a,b)', so
// [1,5] comes back as [1,6); equality here compares bounds as written, not the set of values.
//
// Binary formats (PostgreSQL's range_send / multirange_send, checked against PostgreSQL 15:
// range_send('[1,5)'::int4range) = 02 00000004 00000001 00000004 00000005):
//   range:      flags byte (0x01 empty, 0x02 lower inclusive, 0x04 upper inclusive, 0x08 lower
//               unbounded, 0x10 upper unbounded), then each present bound as int32 length and
//               the element's binary value.
//   multirange: int32 range count, then per range its int32 length and the range's bytes.
// Element types without a built-in range (a user's range over float8) send OID 0 (the server
// takes the range type from context, `$1::floatrange`) and read any user-type column.

#include <pgorm/types/chrono.hpp>
#include <pgorm/types/codec.hpp>
#include <pgorm/types/numeric.hpp>

#include <limits>
#include <optional>
#include <vector>

namespace pgorm {

template <class T>
struct range {
    std::optional<T> lower;  // std::nullopt: unbounded below
    std::optional<T> upper;  // std::nullopt: unbounded above
    bool lower_inclusive = true;
    bool upper_inclusive = false;
    bool is_empty = false;

    /// The empty range ('empty').
    static range empty() {
        range r;
        r.is_empty = true;
        return r;
    }

    /// Equal when both are empty, or bounds and their inclusiveness match; an unbounded side's
    /// inclusive flag is ignored (the server always stores it as exclusive).
    friend bool operator==(const range& a, const range& b) {
        if (a.is_empty || b.is_empty) return a.is_empty == b.is_empty;
        return a.lower == b.lower && a.upper == b.upper && (!a.lower || a.lower_inclusive == b.lower_inclusive) &&
               (!a.upper || a.upper_inclusive == b.upper_inclusive);
    }
};

/// A sorted list of non-overlapping ranges; the server merges and sorts what it is sent.
template <class T>
struct multirange {
    std::vector<range<T>> ranges;
    friend bool operator==(const multirange&, const multirange&) = default;
};

namespace detail::ranges {
inline constexpr std::uint8_t empty = 0x01, lower_inc = 0x02, upper_inc = 0x04, lower_inf = 0x08,
                              upper_inf = 0x10;  // utils/rangetypes.h

struct range_oids {
    oid_t element, range, range_array, multirange, multirange_array;
};
inline constexpr range_oids builtin[] = {
    {oid::int4, oid::int4range, oid::int4range_array, oid::int4multirange, oid::int4multirange_array},
    {oid::int8, oid::int8range, oid::int8range_array, oid::int8multirange, oid::int8multirange_array},
    {oid::numeric, oid::numrange, oid::numrange_array, oid::nummultirange, oid::nummultirange_array},
    {oid::timestamp, oid::tsrange, oid::tsrange_array, oid::tsmultirange, oid::tsmultirange_array},
    {oid::timestamptz, oid::tstzrange, oid::tstzrange_array, oid::tstzmultirange, oid::tstzmultirange_array},
    {oid::date, oid::daterange, oid::daterange_array, oid::datemultirange, oid::datemultirange_array},
};

/// The built-in range family of an element OID; all zero when there is none.
constexpr range_oids family_of(oid_t element) noexcept {
    for (const auto& f : builtin)
        if (f.element == element) return f;
    return {element, 0, 0, 0, 0};
}
/// The element OID of a built-in range or multirange, or 0.
constexpr oid_t element_of(oid_t range_or_multirange) noexcept {
    for (const auto& f : builtin)
        if (f.range == range_or_multirange || f.multirange == range_or_multirange) return f.element;
    return 0;
}

template <class T>
void put_bound(const T& v, std::string& out) {
    const std::size_t at = out.size();
    wire::put<std::int32_t>(out, 0);  // length, patched below
    codec<T>::encode(v, out);
    const std::size_t len = out.size() - at - 4;
    if (len > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        throw value_out_of_range("pgorm: range bound larger than 2 GiB");
    for (int k = 0; k < 4; ++k) out[at + static_cast<std::size_t>(k)] = static_cast<char>((len >> (24 - 8 * k)) & 0xFF);
}

template <class T>
void encode(const range<T>& v, std::string& out) {
    if (v.is_empty) return void(out.push_back(static_cast<char>(empty)));
    std::uint8_t flags = 0;
    if (!v.lower) flags |= lower_inf;
    else if (v.lower_inclusive) flags |= lower_inc;
    if (!v.upper) flags |= upper_inf;
    else if (v.upper_inclusive) flags |= upper_inc;
    out.push_back(static_cast<char>(flags));
    if (v.lower) put_bound(*v.lower, out);
    if (v.upper) put_bound(*v.upper, out);
}

template <class T>
void decode(std::string_view in, oid_t element, range<T>& out) {
    wire::reader r(in, "range");
    const auto flags = r.read<std::uint8_t>();
    out = range<T>{};
    auto bound = [&](std::optional<T>& into) {
        const auto len = r.read<std::int32_t>();
        if (len < 0) throw decode_error("pgorm: negative range bound length on the wire");
        into.emplace();
        codec<T>::decode(r.bytes(static_cast<std::size_t>(len)), element, *into);
    };
    if (flags & empty) {
        out.is_empty = true;
    } else {
        out.lower_inclusive = (flags & lower_inc) != 0;
        out.upper_inclusive = (flags & upper_inc) != 0;
        if (!(flags & lower_inf)) bound(out.lower);
        if (!(flags & upper_inf)) bound(out.upper);
    }
    if (!r.done()) throw decode_error("pgorm: trailing bytes after a range value");
}

/// "int4range" from "integer" and the like, for messages.
template <class T>
constexpr std::string_view range_sql_name(bool multi) {
    switch (family_of(codec<T>::type_oid).range) {
        case oid::int4range: return multi ? "int4multirange" : "int4range";
        case oid::int8range: return multi ? "int8multirange" : "int8range";
        case oid::numrange: return multi ? "nummultirange" : "numrange";
        case oid::tsrange: return multi ? "tsmultirange" : "tsrange";
        case oid::tstzrange: return multi ? "tstzmultirange" : "tstzrange";
        case oid::daterange: return multi ? "datemultirange" : "daterange";
        default: return multi ? "multirange" : "range";
    }
}

/// Which element OID to hand the element codec for a column: the built-in's, or T's own.
template <class T>
oid_t element_for(oid_t column) noexcept {
    const oid_t e = element_of(column);
    return e ? e : codec<T>::type_oid;
}
}  // namespace detail::ranges

/// Ranges of any element type with a codec that is not itself an array or a range.
template <class T>
    requires has_codec<T> && (!requires { codec<T>::is_array; })
struct codec<range<T>> {
    static constexpr auto family = detail::ranges::family_of(codec<T>::type_oid);
    static constexpr oid_t type_oid = family.range;  // 0: a user range type, inferred by the server
    static constexpr oid_t array_oid = family.range_array;
    static constexpr std::string_view sql_name = detail::ranges::range_sql_name<T>(false);

    static bool accepts(oid_t o) noexcept {
        if (type_oid != 0) return o == type_oid;
        return o >= oid::first_user_oid;  // a user range type over T
    }
    static void encode(const range<T>& v, std::string& out) { detail::ranges::encode(v, out); }
    static void decode(std::string_view in, oid_t column, range<T>& out) {
        detail::ranges::decode(in, detail::ranges::element_for<T>(column), out);
    }
};

template <class T>
    requires has_codec<T> && (!requires { codec<T>::is_array; })
struct codec<multirange<T>> {
    static constexpr auto family = detail::ranges::family_of(codec<T>::type_oid);
    static constexpr oid_t type_oid = family.multirange;
    static constexpr oid_t array_oid = family.multirange_array;
    static constexpr std::string_view sql_name = detail::ranges::range_sql_name<T>(true);

    static bool accepts(oid_t o) noexcept {
        if (type_oid != 0) return o == type_oid;
        return o >= oid::first_user_oid;
    }
    static void encode(const multirange<T>& v, std::string& out) {
        if (v.ranges.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
            throw value_out_of_range("pgorm: multirange of " + std::to_string(v.ranges.size()) + " ranges is too long");
        wire::put<std::int32_t>(out, static_cast<std::int32_t>(v.ranges.size()));
        for (const auto& r : v.ranges) {
            const std::size_t at = out.size();
            wire::put<std::int32_t>(out, 0);  // length, patched below
            detail::ranges::encode(r, out);
            const std::size_t len = out.size() - at - 4;
            if (len > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
                throw value_out_of_range("pgorm: range in a multirange larger than 2 GiB");
            for (int k = 0; k < 4; ++k)
                out[at + static_cast<std::size_t>(k)] = static_cast<char>((len >> (24 - 8 * k)) & 0xFF);
        }
    }
    static void decode(std::string_view in, oid_t column, multirange<T>& out) {
        wire::reader r(in, "multirange");
        const auto n = r.read<std::int32_t>();
        if (n < 0) throw decode_error("pgorm: negative multirange count on the wire");
        const oid_t element = detail::ranges::element_for<T>(column);
        out.ranges.clear();
        r.expect_room_for(n, 4, "ranges");  // each range has at least its 4-byte length
        out.ranges.reserve(static_cast<std::size_t>(n));
        for (std::int32_t i = 0; i < n; ++i) {
            const auto len = r.read<std::int32_t>();
            if (len < 0) throw decode_error("pgorm: negative range length in a multirange on the wire");
            detail::ranges::decode(r.bytes(static_cast<std::size_t>(len)), element, out.ranges.emplace_back());
        }
        if (!r.done()) throw decode_error("pgorm: trailing bytes after a multirange value");
    }
};

}  // namespace pgorm
