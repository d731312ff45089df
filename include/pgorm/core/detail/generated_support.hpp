#pragma once
// Run-time support for the code pgorm-gen writes (docs/codegen.md): reading rows by column
// position through row_mapper (core/row_mapping.hpp), whose once-per-result check says when the
// server no longer returns the columns the header was generated for, and single-row streaming
// (core/stream.hpp). The read_row functions generated headers still define are no longer called
// by these helpers. `:copyfrom`
// and the `:batch*` forms use pgorm::copy_writer and pgorm::pipeline directly. Generated headers
// include this; applications rarely call it.

#include <pgorm/core/connection.hpp>
#include <pgorm/core/copy.hpp>      // :copyfrom (no longer in <pgorm/core.hpp>)
#include <pgorm/core/pipeline.hpp>  // :batch* (no longer in <pgorm/core.hpp>)
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

/// A single-value "row": the value of column `col` (called by the read_row bodies older
/// generated headers define).
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

inline constexpr std::string_view stale_hint =
    "; the database's schema is not the one the header was generated from (a migration since, or "
    "another database): run pgorm-gen again against it";

/// Generated rows map by position (the header was generated for the statement's column order),
/// with embedded tables (sqlc.embed) read one column per member of their own.
template <class Row>
row_mapper<Row, match::by_position> mapper_for(const result& r, std::string_view query) {
    static_assert(pgorm::detail::owned_row_required<Row>::value);
    return row_mapper<Row, match::by_position>(r.native(), {.statement = query, .hint = stale_hint});
}

}  // namespace detail

/// Checks once per result, before any row is read, that the server returned as many columns as
/// Row reads and that each column's type is one Row's member can decode. A header generated
/// against an older schema then fails with column_mismatch or type_mismatch naming the query
/// and every problem, instead of decoding bytes of one type as another.
template <class Row>
void check_columns(const result& r, std::string_view query) {
    (void)detail::mapper_for<Row>(r, query);
}

/// `:one`: the first row, or nullopt.
template <class Row>
std::optional<Row> first_row(const result& r, std::string_view query) {
    auto m = detail::mapper_for<Row>(r, query);
    if (r.empty()) return std::nullopt;
    std::optional<Row> out(std::in_place);
    m.read(0, *out);
    return out;
}

/// `:many`: every row.
template <class Row>
std::vector<Row> all_rows(const result& r, std::string_view query) {
    auto m = detail::mapper_for<Row>(r, query);
    std::vector<Row> out(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) m.read(i, out[static_cast<std::size_t>(i)]);
    return out;
}

/// Runs `sql` and calls on_row(Row&&) once per row in libpq single-row mode, so memory stays flat
/// however many rows the query returns; an exception from on_row leaves the connection usable
/// (core/stream.hpp).
template <class Row, class F, class... A>
void for_each_row(connection& conn, std::string_view sql, std::string_view query, F&& on_row, const A&... args) {
    std::string buf;
    packed_params<sizeof...(A)> p(buf, args...);
    std::optional<row_mapper<Row, match::by_position>> mapper;  // every single-row result has the same columns
    stream_results(conn, sql, p.refs(), [&](const result& one) {
        if (mapper) mapper->rebind(one.native());
        else mapper.emplace(detail::mapper_for<Row>(one, query));
        Row row{};
        mapper->read(0, row);
        on_row(std::move(row));
        return true;
    });
}

}  // namespace pgorm::generated
