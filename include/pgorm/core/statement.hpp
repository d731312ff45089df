#pragma once
// statement<Row>: one SQL statement built ahead of its execution, with its bound parameters and
// the C++ type its rows read into. The repository (repo/statements.hpp) and pgorm-gen's
// *_statement functions build them; both executors run them, the synchronous connection
// (connection::query(stmt)) and the coroutine one (async/connection.hpp), so neither building
// layer needs to know which executor runs it (DESIGN.md, layer 9).
//
//   pgorm::statement<User> s = pgorm::repository<User>::get_statement(id);
//   std::optional<User> u = db.query_one(s);                 // synchronous
//   std::optional<User> v = co_await c.query_one(s);         // async_connection
//
// Rows are read by position: the statement's SQL selects Row's columns in Row's member order (the
// repository's select list and a generated query's result both do), through the same row_mapper
// as every other read (core/row_mapping.hpp).

#include <pgorm/core/params.hpp>
#include <pgorm/core/result.hpp>
#include <pgorm/core/row_mapping.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

/// A statement whose rows are Row (void: a statement run for its effect or its row count).
///
/// `sql` is one SQL command with $n placeholders, `params` the values bound to them (never in the
/// text). `label` and `hint` only feed error messages: "query <label>" names the statement, and
/// `hint` is appended to column problems (generated code says to regenerate). Both must point to
/// storage that outlives the statement (string literals, in practice).
/// Satisfies bound_statement (async/connection.hpp). Copyable; owns its text and values.
template <class Row>
struct statement {
    using row_type = Row;

    std::string sql;
    param_list params;
    std::string_view label = {};
    std::string_view hint = {};

    /// Every row of a result of this statement.
    /// Throws column_mismatch when the result does not have Row's column count, type_mismatch
    /// naming each column whose type Row's member cannot hold, unexpected_null naming each NULL met
    /// by a non-optional member, decode_error / value_out_of_range for a value that does not fit.
    std::vector<Row> rows(const result& r) const
        requires(!std::is_void_v<Row>)
    {
        auto m = mapper(r);
        std::vector<Row> out(static_cast<std::size_t>(r.size()));
        for (int i = 0; i < r.size(); ++i) m.read(i, out[static_cast<std::size_t>(i)]);
        return out;
    }

    /// The row of a result of at most one row, or nullopt when it has none; the columns are
    /// checked even then. Throws usage_error for more than one row, else as rows().
    std::optional<Row> one(const result& r) const
        requires(!std::is_void_v<Row>)
    {
        auto m = mapper(r);
        if (r.size() > 1)
            throw usage_error("pgorm: " + describe() + "expected at most one row, got " + std::to_string(r.size()));
        if (r.empty()) return std::nullopt;
        std::optional<Row> out(std::in_place);
        m.read(0, *out);
        return out;
    }

private:
    auto mapper(const result& r) const {
        static_assert(detail::owned_row_required<Row>::value);
        return row_mapper<Row, match::by_position>(r.native(), {.statement = label, .hint = hint});
    }
    std::string describe() const { return label.empty() ? std::string() : "query " + std::string(label) + ": "; }
};

/// What error messages call a statement: "query <label>", and a hint appended to column problems.
/// Both must outlive the statement (string literals, in practice).
struct statement_info {
    std::string_view label = {};
    std::string_view hint = {};
};

/// Builds a statement<Row> from one SQL command and its values, each encoded now (the values may
/// go out of scope afterwards): make_statement<User>("SELECT ... WHERE id = $1", {}, id).
/// Throws what encoding a value throws (value_out_of_range, usage_error).
template <class Row, class... A>
statement<Row> make_statement(std::string_view sql, statement_info info, const A&... args) {
    statement<Row> s{std::string(sql), {}, info.label, info.hint};
    (s.params.add(args), ...);
    return s;
}

}  // namespace pgorm
