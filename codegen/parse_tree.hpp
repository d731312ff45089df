#pragma once
// PostgreSQL's own parser (libpg_query, the PostgreSQL 15 grammar as a library): a statement's raw
// parse tree as Boost.JSON, and statement boundaries. The JSON shape is libpg_query's
// (pg_query.proto / src/include/nodes/parsenodes.h of PostgreSQL 15): every node is an object
// with one key, its node type ("SelectStmt", "ColumnRef", ...), except where a field has a fixed
// type (SelectStmt.larg/rarg, RangeVar fields).

#include "query_file.hpp"

#include <pg_query.h>

#include <boost/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace pgorm_gen {

/// A parse error of libpg_query: the parser's message and the 1-based character offset of the
/// failing token in the text (0 when the parser gave none).
struct parse_failure {
    std::string message;
    int cursor = 0;
};

namespace detail {

/// Owns a PgQueryParseResult (freed with pg_query_free_parse_result).
class parse_result {
public:
    explicit parse_result(const std::string& sql) : r_(pg_query_parse(sql.c_str())) {}
    ~parse_result() { pg_query_free_parse_result(r_); }
    parse_result(const parse_result&) = delete;
    parse_result& operator=(const parse_result&) = delete;
    const PgQueryParseResult& get() const { return r_; }

private:
    PgQueryParseResult r_;
};

/// Owns a PgQuerySplitResult (freed with pg_query_free_split_result).
class split_result {
public:
    explicit split_result(const std::string& sql) : r_(pg_query_split_with_parser(sql.c_str())) {}
    ~split_result() { pg_query_free_split_result(r_); }
    split_result(const split_result&) = delete;
    split_result& operator=(const split_result&) = delete;
    const PgQuerySplitResult& get() const { return r_; }

private:
    PgQuerySplitResult r_;
};

/// 1-based character position (as the parser counts: bytes, libpg_query works on bytes) -> the
/// 1-based line and column inside `text`.
inline std::pair<int, int> line_col(const std::string& text, int cursor) {
    int line = 1, col = 1;
    for (int i = 0; i + 1 < cursor && i < static_cast<int>(text.size()); ++i) {
        if (text[static_cast<std::size_t>(i)] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

}  // namespace detail

/// The parse tree of `sql` ({"version":..., "stmts":[{"stmt":{...}, "stmt_location":..}]}), or
/// the parser's error in `failure` (returns null then).
inline boost::json::value parse_sql(const std::string& sql, parse_failure& failure) {
    detail::parse_result r(sql);
    if (r.get().error) {
        failure.message = r.get().error->message ? r.get().error->message : "syntax error";
        failure.cursor = r.get().error->cursorpos;
        return nullptr;
    }
    return boost::json::parse(r.get().parse_tree);
}

/// The only statement of one query's text; throws input_error at `file:line:col` (line counted
/// from `first_line`, the file line of the text's first line) when it does not parse or when it
/// holds more than one statement.
inline boost::json::object parse_one_statement(const std::string& sql, const std::string& file, int first_line,
                                               const std::string& query_name) {
    parse_failure failure;
    boost::json::value tree = parse_sql(sql, failure);
    auto where = [&](int cursor) {
        auto [line, col] = detail::line_col(sql, cursor);
        return file + ":" + std::to_string(first_line + line - 1) + ":" + std::to_string(col) + ": ";
    };
    if (tree.is_null())
        throw input_error(where(failure.cursor) + "error: query " + query_name + ": " + failure.message);
    const auto& stmts = tree.as_object().at("stmts").as_array();
    if (stmts.size() != 1) {
        // The second statement's first character (its stmt_location starts right after the `;`).
        std::size_t begin = stmts.size() > 1 ? static_cast<std::size_t>(stmts[1].as_object().at("stmt_location").to_number<long>()) : 0;
        begin = std::min(sql.find_first_not_of(" \t\r\n", begin), sql.size());
        int at = static_cast<int>(begin) + 1;
        throw input_error(where(at) + "error: query " + query_name + ": holds " + std::to_string(stmts.size()) +
                          " statements; a query is exactly one");
    }
    return stmts[0].as_object().at("stmt").as_object();
}

/// One statement of a file: its byte range [begin, begin + length) as the parser split it.
struct statement_range {
    std::size_t begin = 0, length = 0;
};

/// Statement boundaries of a file of SQL, from the parser (so `BEGIN ATOMIC ... END` bodies,
/// dollar quotes and comments are handled as PostgreSQL does). Throws input_error with
/// `file:line:col` when the text does not parse.
inline std::vector<statement_range> split_statements(const std::string& sql, const std::string& file) {
    detail::split_result r(sql);
    if (r.get().error) {
        auto [line, col] = detail::line_col(sql, r.get().error->cursorpos);
        throw input_error(file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": error: " +
                          (r.get().error->message ? r.get().error->message : "syntax error"));
    }
    std::vector<statement_range> out;
    for (int i = 0; i < r.get().n_stmts; ++i) {
        const PgQuerySplitStmt* s = r.get().stmts[i];
        out.push_back({static_cast<std::size_t>(s->stmt_location), static_cast<std::size_t>(s->stmt_len)});
    }
    return out;
}

/// Field access that tolerates the parser's omissions (libpg_query leaves out default values:
/// false, 0, empty lists).
namespace tree {

inline const boost::json::value* field(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->value();
}

inline const boost::json::array& list(const boost::json::object& o, std::string_view key) {
    static const boost::json::array empty;
    const auto* v = field(o, key);
    return v && v->is_array() ? v->as_array() : empty;
}

inline std::string text(const boost::json::object& o, std::string_view key) {
    const auto* v = field(o, key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline bool flag(const boost::json::object& o, std::string_view key) {
    const auto* v = field(o, key);
    return v && v->is_bool() && v->as_bool();
}

/// A node {"Type": {...}}: its type name and body; ("", empty) for anything else.
inline std::pair<std::string_view, const boost::json::object*> node(const boost::json::value& v) {
    if (!v.is_object() || v.as_object().size() != 1) return {{}, nullptr};
    const auto& kv = *v.as_object().begin();
    if (!kv.value().is_object()) return {{}, nullptr};
    return {kv.key(), &kv.value().as_object()};
}

/// The node body when `v` is a node of `type`, else nullptr.
inline const boost::json::object* as(const boost::json::value* v, std::string_view type) {
    if (!v) return nullptr;
    auto [t, body] = node(*v);
    return t == type ? body : nullptr;
}

/// A String node's value ({"String":{"sval":"x"}}).
inline std::string string_node(const boost::json::value& v) {
    auto [t, body] = node(v);
    return t == "String" ? text(*body, "sval") : std::string();
}

}  // namespace tree

}  // namespace pgorm_gen
