#pragma once
// Run-time support for the code pgorm-gen writes (docs/codegen.md): reading rows by column
// position, the once-per-result check that the server still returns the columns the header was
// generated for, and single-row streaming (core/stream.hpp). `:copyfrom`
// and the `:batch*` forms use pgorm::copy_writer and pgorm::pipeline directly. Generated headers
// include this; applications rarely call it.

#include <pgorm/core/connection.hpp>
#include <pgorm/core/stream.hpp>
#include <pgorm/reflect/table.hpp>

#include <libpq-fe.h>

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgorm::generated {

/// A single-value "row": the value of column `col`.
template <class T>
    requires has_codec<T>
void read_row(const result& r, int row, int col, T& out) {
    r.read_field(row, col, out);
}

/// True when every column in [col, col + count) of the row is NULL: an embedded table on the
/// nullable side of an outer join that found no match.
inline bool all_null(const result& r, int row, int col, int count) noexcept {
    for (int c = col; c < col + count; ++c)
        if (!r.is_null(row, c)) return false;
    return true;
}

namespace detail {

// A generated row type reads one column per member, except an embedded table struct (possibly
// std::optional), which reads one column per member of its own.
template <class T>
struct embedded_row : std::bool_constant<described_struct<T>> {
    using type = T;
};
template <class T>
struct embedded_row<std::optional<T>> : std::bool_constant<described_struct<T>> {
    using type = T;
};

template <class Row, class F>
constexpr void for_each_member_type(F&& f) {
    boost::mp11::mp_for_each<reflect::members_of<Row>>([&](auto d) {
        f(static_cast<std::remove_cvref_t<decltype(std::declval<Row&>().*d.pointer)>*>(nullptr));
    });
}

/// The number of result columns a generated row type reads.
template <class T>
constexpr int width() {
    if constexpr (embedded_row<T>::value) {
        int n = 0;
        for_each_member_type<typename embedded_row<T>::type>(
            [&](auto* m) { n += width<std::remove_pointer_t<decltype(m)>>(); });
        return n;
    } else {
        return 1;
    }
}

inline constexpr std::string_view stale_hint =
    "; the schema changed since the header was generated: run pgorm-gen again";

template <class T>
void check_types(const result& r, int& col, std::string_view query) {
    if constexpr (embedded_row<T>::value) {
        for_each_member_type<typename embedded_row<T>::type>(
            [&](auto* m) { check_types<std::remove_pointer_t<decltype(m)>>(r, col, query); });
    } else {
        oid_t type = r.column_type(col);
        if (!codec<T>::accepts(type)) {
            try {
                check_accepts<T>(type, r.column_name(col));  // the standard message
            } catch (const type_mismatch& e) {
                std::string_view why = e.what();
                if (why.starts_with("pgorm: ")) why.remove_prefix(7);
                throw type_mismatch("pgorm: query " + std::string(query) + ": " + std::string(why) + std::string(stale_hint));
            }
        }
        ++col;
    }
}

}  // namespace detail

/// Checks once per result, before any row is read, that the server returned as many columns as
/// Row reads and that each column's type is one Row's member can decode. A header generated
/// against an older schema then fails with column_mismatch or type_mismatch naming the query,
/// instead of decoding bytes of one type as another.
template <class Row>
void check_columns(const result& r, std::string_view query) {
    constexpr int expected = detail::width<Row>();
    if (r.columns() != expected)
        throw column_mismatch("pgorm: query " + std::string(query) + " returns " + std::to_string(r.columns()) +
                              " column(s), the generated code reads " + std::to_string(expected) +
                              std::string(detail::stale_hint));
    int col = 0;
    detail::check_types<Row>(r, col, query);
}

/// `:one`: the first row, or nullopt.
template <class Row>
std::optional<Row> first_row(const result& r, std::string_view query) {
    check_columns<Row>(r, query);
    if (r.empty()) return std::nullopt;
    std::optional<Row> out(std::in_place);
    read_row(r, 0, 0, *out);
    return out;
}

/// `:many`: every row.
template <class Row>
std::vector<Row> all_rows(const result& r, std::string_view query) {
    check_columns<Row>(r, query);
    std::vector<Row> out(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) read_row(r, i, 0, out[static_cast<std::size_t>(i)]);
    return out;
}

/// Runs `sql` and calls on_row(Row&&) once per row in libpq single-row mode, so memory stays flat
/// however many rows the query returns; an exception from on_row leaves the connection usable
/// (core/stream.hpp).
template <class Row, class F, class... A>
void for_each_row(connection& conn, std::string_view sql, std::string_view query, F&& on_row, const A&... args) {
    std::string buf;
    packed_params<sizeof...(A)> p(buf, args...);
    bool checked = false;
    stream_results(conn, sql, p.refs(), [&](const result& one) {
        if (!checked) check_columns<Row>(one, query);  // every single-row result has the same columns
        checked = true;
        Row row{};
        read_row(one, 0, 0, row);
        on_row(std::move(row));
        return true;
    });
}

}  // namespace pgorm::generated
