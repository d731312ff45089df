#pragma once
// Combines the server's description with the facts read from the text: parameter names and
// nullability, result column nullability, model-struct reuse and the :copyfrom target.
// Included by analyze.hpp after `analyzer` is complete.

#include "analyze.hpp"

namespace pgorm_gen {

inline void name_parameters(analyzed_query& a, const sql_facts& f, const write_target& w, analyzer& db) {
    unsigned target_oid = w.table.empty() ? 0 : db.relation(w.schema, w.table);
    auto column_nullable = [&](const std::string& col) {
        if (!target_oid) return false;
        for (auto& c : db.table(target_oid).columns)
            if (c.name == col) return c.nullable;
        return false;
    };
    for (std::size_t i = 0; i < a.params.size(); ++i) {
        auto& p = a.params[i];
        int number = static_cast<int>(i) + 1;
        auto stored = w.param_column.find(number);
        // A value stored into a nullable column may be NULL (sqlc does the same), whatever the
        // parameter's spelling ($n, @name, sqlc.arg).
        if (stored != w.param_column.end() && column_nullable(stored->second)) p.nullable = true;
        if (!p.name.empty()) continue;
        p.name = name_from_context(f, number);
        if (p.name.empty() && stored != w.param_column.end()) p.name = stored->second;
        if (p.name.empty()) p.name = "arg" + std::to_string(number);
    }
}

namespace detail {

/// Whether the tree holds anything that can put NULL into a table column's place: an outer join
/// or a grouping set.
inline bool has_null_source(const boost::json::value& v) {
    if (v.is_array()) {
        for (const auto& x : v.as_array())
            if (has_null_source(x)) return true;
        return false;
    }
    if (!v.is_object()) return false;
    for (const auto& kv : v.as_object()) {
        if (kv.key() == "GroupingSet") return true;
        if (kv.key() == "JoinExpr" && kv.value().is_object() &&
            tree::text(kv.value().as_object(), "jointype") != "JOIN_INNER")
            return true;
        if (has_null_source(kv.value())) return true;
    }
    return false;
}

}  // namespace detail

/// Result column nullability: from the parse tree (nullability.hpp) when it follows the column
/// list; otherwise a table column the server names is non-null only when it is NOT NULL and the
/// statement has no outer join and no grouping set anywhere, and any other column is nullable.
inline void decide_nullability(analyzed_query& a, const result_shape& shape, const boost::json::object& stmt,
                               analyzer& db) {
    if (shape.known && shape.columns.size() == a.columns.size()) {
        for (std::size_t i = 0; i < a.columns.size(); ++i) a.columns[i].nullable = shape.columns[i].nullable;
        return;
    }
    bool null_source = detail::has_null_source(boost::json::value(stmt));
    for (auto& c : a.columns) {
        c.nullable = true;
        if (null_source || c.table == 0 || c.attnum <= 0) continue;
        for (auto& tc : db.table(c.table).columns)
            if (tc.attnum == c.attnum) c.nullable = tc.nullable;
    }
}

inline void find_model(analyzed_query& a, analyzer& db) {
    if (!a.embeds.empty() || a.columns.empty() || a.columns[0].table == 0) return;
    const auto& t = db.table(a.columns[0].table);
    if (t.columns.size() != a.columns.size()) return;
    for (std::size_t i = 0; i < a.columns.size(); ++i) {
        auto& c = a.columns[i];
        if (c.table != t.oid || c.attnum != t.columns[i].attnum || c.nullable != t.columns[i].nullable ||
            c.name != t.columns[i].name)
            return;
    }
    a.model_table = t.oid;
}

inline void read_copy_target(analyzed_query& a, const write_target& w) {
    const auto& q = a.spec;
    bool ok = !w.table.empty() && !w.columns.empty() && w.single_values_row &&
              w.single_row_params.size() == w.columns.size() && a.columns.empty();
    for (int v : w.single_row_params) ok = ok && v > 0;
    if (!ok)
        throw input_error(location(q.file, q.line) + "error: query " + q.name +
                          ": a :copyfrom query must be `INSERT INTO table (columns) VALUES ($1, $2, ...)` "
                          "with one parameter per column and no RETURNING");
    a.copy_schema = w.schema;  // empty: the table as written, found through search_path
    a.copy_table = w.table;
    a.copy_columns = w.columns;
    for (int v : w.single_row_params) a.copy_params.push_back(v - 1);
}

}  // namespace pgorm_gen
