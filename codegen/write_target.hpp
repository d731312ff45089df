#pragma once
// The table an INSERT or UPDATE writes and which column each parameter is stored into, read from
// the parse tree (parse_tree.hpp): `INSERT INTO s.t (a, b) VALUES ($1, $2), ($3, $4)`,
// `INSERT ... SELECT CASE WHEN .. THEN $1 END, ...`, `UPDATE s.t SET a = $1`. A parameter stored
// into a nullable column may be NULL (sqlc does the same), and it takes the column's name.

#include "parse_tree.hpp"

#include <map>
#include <string>
#include <vector>

namespace pgorm_gen {

struct write_target {
    std::string schema;  // empty: found on the search path
    std::string table;   // empty: the statement writes no table
    std::vector<std::string> columns;         // INSERT column list (empty for UPDATE)
    std::map<int, std::string> param_column;  // $n -> the column its value is stored into
    // INSERT ... VALUES with exactly one row: per column, the $n it is (0: anything else).
    std::vector<int> single_row_params;
    bool single_values_row = false;
};

namespace detail {

/// The parameters whose value becomes the expression's value: the expression itself, through
/// casts, CASE results and COALESCE arguments (not CASE conditions, not function arguments).
inline void value_params(const boost::json::value& v, std::vector<int>& out) {
    auto [type, e] = tree::node(v);
    if (!e) return;
    if (type == "ParamRef") {
        if (const auto* n = tree::field(*e, "number"); n && n->is_int64()) out.push_back(static_cast<int>(n->as_int64()));
    } else if (type == "TypeCast" || type == "CollateClause") {
        if (const auto* a = tree::field(*e, "arg")) value_params(*a, out);
    } else if (type == "CaseExpr") {
        for (const auto& w : tree::list(*e, "args"))
            if (const auto* cw = tree::as(&w, "CaseWhen"))
                if (const auto* r = tree::field(*cw, "result")) value_params(*r, out);
        if (const auto* d = tree::field(*e, "defresult")) value_params(*d, out);
    } else if (type == "CoalesceExpr") {
        for (const auto& a : tree::list(*e, "args")) value_params(a, out);
    }
}

inline int bare_param(const boost::json::value& v) {
    auto [type, e] = tree::node(v);
    if (!e) return 0;
    if (type == "TypeCast")
        if (const auto* a = tree::field(*e, "arg")) return bare_param(*a);
    if (type != "ParamRef") return 0;
    const auto* n = tree::field(*e, "number");
    return n && n->is_int64() ? static_cast<int>(n->as_int64()) : 0;
}

}  // namespace detail

/// Reads the write target of a parsed statement (the "stmt" node); `table` stays empty for
/// anything but INSERT and UPDATE.
inline write_target write_target_of(const boost::json::object& stmt) {
    write_target w;
    auto relation = [&](const boost::json::object& s) {
        if (const auto* r = tree::field(s, "relation"); r && r->is_object()) {
            w.schema = tree::text(r->as_object(), "schemaname");
            w.table = tree::text(r->as_object(), "relname");
        }
    };
    if (const auto* i = stmt.if_contains("InsertStmt"); i && i->is_object()) {
        const auto& s = i->as_object();
        relation(s);
        for (const auto& c : tree::list(s, "cols"))
            if (const auto* rt = tree::as(&c, "ResTarget")) w.columns.push_back(tree::text(*rt, "name"));
        const auto* sel = tree::as(tree::field(s, "selectStmt"), "SelectStmt");
        if (!sel) return w;
        const auto& rows = tree::list(*sel, "valuesLists");
        auto store = [&](const boost::json::array& items) {
            for (std::size_t k = 0; k < items.size() && k < w.columns.size(); ++k) {
                std::vector<int> ps;
                detail::value_params(items[k], ps);
                for (int n : ps) w.param_column.emplace(n, w.columns[k]);
            }
        };
        if (!rows.empty()) {
            for (const auto& row : rows)
                if (const auto* l = tree::as(&row, "List")) store(tree::list(*l, "items"));
            if (rows.size() == 1)
                if (const auto* l = tree::as(&rows[0], "List")) {
                    w.single_values_row = true;
                    for (const auto& item : tree::list(*l, "items")) w.single_row_params.push_back(detail::bare_param(item));
                }
        } else if (tree::text(*sel, "op") == "SETOP_NONE" || tree::text(*sel, "op").empty()) {
            // INSERT ... SELECT: the k-th select item goes into the k-th column.
            boost::json::array values;
            for (const auto& t : tree::list(*sel, "targetList"))
                if (const auto* rt = tree::as(&t, "ResTarget"))
                    values.push_back(rt->if_contains("val") ? rt->at("val") : boost::json::value());
            store(values);
        }
    } else if (const auto* u = stmt.if_contains("UpdateStmt"); u && u->is_object()) {
        const auto& s = u->as_object();
        relation(s);
        for (const auto& t : tree::list(s, "targetList"))
            if (const auto* rt = tree::as(&t, "ResTarget"))
                if (const auto* v = tree::field(*rt, "val")) {
                    std::vector<int> ps;
                    detail::value_params(*v, ps);
                    for (int n : ps) w.param_column.emplace(n, tree::text(*rt, "name"));
                }
    }
    return w;
}

}  // namespace pgorm_gen
