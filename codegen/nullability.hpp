#pragma once
// Whether each result column of a statement can be NULL, decided on the parse tree
// (parse_tree.hpp). The rule: a column is non-null only when the tree proves it (a NOT NULL table
// column reached only through inner joins, count(*), COALESCE with a non-null argument, ...);
// anything the analysis does not follow is nullable. docs/codegen.md lists the rules with the
// test of each. The server still decides the types.
//
// Facts used (PostgreSQL 15 docs): outer joins fill the other side with NULLs (7.2.1.1); grouping
// sets put NULL in the grouping columns a set does not group by (7.2.4); aggregates other than
// count return NULL over no rows or only NULL inputs (9.21); COALESCE returns its first non-null
// argument, GREATEST/LEAST ignore NULLs (9.18); CASE without ELSE yields NULL when no branch
// matches (9.18.1); a scalar subquery returning no row yields NULL (4.2.11); EXISTS and ARRAY()
// never yield NULL (9.23, 4.2.12).

#include "parse_tree.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pgorm_gen {

/// One output column as the analysis sees it.
struct shaped_column {
    std::string name;  // the output name (for references from an enclosing query)
    bool nullable = true;
};

/// The columns of a table, in attribute order, or nullopt when the relation is unknown.
using table_lookup =
    std::function<std::optional<std::vector<shaped_column>>(const std::string& schema, const std::string& name)>;

/// A statement's result as far as the tree shows it.
struct result_shape {
    bool known = false;                 // false: the column list could not be followed
    std::vector<shaped_column> columns;
    std::map<std::string, bool> item_nullable;  // top-level FROM item (alias or name) -> on a NULL-filled side
};

namespace nullability_detail {

using boost::json::object;
using boost::json::value;

struct relation_shape {
    bool known = false;
    std::vector<shaped_column> columns;
};

/// CTEs visible at a point, innermost first through `parent`.
struct cte_env {
    std::map<std::string, relation_shape> ctes;
    const cte_env* parent = nullptr;
    const relation_shape* find(const std::string& name) const {
        for (const cte_env* e = this; e; e = e->parent)
            if (auto it = e->ctes.find(name); it != e->ctes.end()) return &it->second;
        return nullptr;
    }
};

struct range_item {
    std::string name;  // alias, else relation name
    relation_shape shape;
    bool null_filled = false;  // on the nullable side of an outer join
    bool merges_columns = false;  // JOIN USING / NATURAL: `*` and unqualified names are merged
};

struct scope {
    std::vector<range_item> items;
    const scope* outer = nullptr;
    bool grouping_sets = false;  // ROLLUP / CUBE / GROUPING SETS: grouped columns may be NULL
    bool merged_join = false;
};

inline std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

class analysis {
public:
    explicit analysis(const table_lookup& tables) : tables_(tables) {}

    /// Output columns of a SelectStmt body (or of a DML statement's RETURNING list).
    relation_shape statement(std::string_view type, const object& body, const cte_env* env, const scope* outer,
                             std::map<std::string, bool>* items_out = nullptr) {
        if (type == "SelectStmt") return select(body, env, outer, items_out);
        if (type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt") return returning(type, body, env, items_out);
        return {};
    }

    relation_shape select(const object& s, const cte_env* env, const scope* outer,
                          std::map<std::string, bool>* items_out = nullptr) {
        cte_env local;
        local.parent = env;
        if (const auto* with = tree::field(s, "withClause"); with && with->is_object()) {
            env = &local;
            for (const auto& c : tree::list(with->as_object(), "ctes")) {
                const object* cte = tree::as(&c, "CommonTableExpr");
                if (!cte) continue;
                std::string name = tree::text(*cte, "ctename");
                // A recursive CTE refers to itself: its first sight is unknown (all nullable).
                local.ctes[name] = relation_shape{};
                relation_shape shape;
                if (const auto* q = tree::field(*cte, "ctequery")) {
                    auto [qt, qb] = tree::node(*q);
                    if (qb) shape = statement(qt, *qb, &local, nullptr);
                }
                rename(shape, tree::list(*cte, "aliascolnames"));
                local.ctes[name] = shape;
            }
        }
        std::string op = tree::text(s, "op");
        if (!op.empty() && op != "SETOP_NONE") {
            const auto* l = tree::field(s, "larg");
            const auto* r = tree::field(s, "rarg");
            if (!l || !r || !l->is_object() || !r->is_object()) return {};
            relation_shape a = select(l->as_object(), env, outer), b = select(r->as_object(), env, outer);
            if (!a.known || !b.known || a.columns.size() != b.columns.size()) return {};
            // UNION / INTERSECT / EXCEPT: a row may come from either side (INTERSECT and EXCEPT
            // keep left rows, but both sides are equal there, so the OR is still right).
            for (std::size_t i = 0; i < a.columns.size(); ++i) a.columns[i].nullable |= b.columns[i].nullable;
            return a;
        }
        if (const auto& rows = tree::list(s, "valuesLists"); !rows.empty()) return values(rows, env, outer);

        scope sc;
        sc.outer = outer;
        for (const auto& f : tree::list(s, "fromClause")) add_from(f, sc, env);
        for (const auto& g : tree::list(s, "groupClause"))
            if (tree::as(&g, "GroupingSet")) sc.grouping_sets = true;
        if (items_out)
            for (const auto& it : sc.items) (*items_out)[it.name] = it.null_filled;
        return targets(tree::list(s, "targetList"), sc, env);
    }

private:
    const table_lookup& tables_;

    static void rename(relation_shape& shape, const boost::json::array& names) {
        for (std::size_t i = 0; i < names.size() && i < shape.columns.size(); ++i)
            shape.columns[i].name = tree::string_node(names[i]);
    }

    relation_shape values(const boost::json::array& rows, const cte_env* env, const scope* outer) {
        relation_shape out;
        out.known = true;
        scope sc;
        sc.outer = outer;
        for (const auto& row : rows) {
            const object* l = tree::as(&row, "List");
            if (!l) return {};
            const auto& items = tree::list(*l, "items");
            if (out.columns.empty())
                for (std::size_t i = 0; i < items.size(); ++i)
                    out.columns.push_back({"column" + std::to_string(i + 1), false});
            if (items.size() != out.columns.size()) return {};
            for (std::size_t i = 0; i < items.size(); ++i) out.columns[i].nullable |= nullable(items[i], sc, env);
        }
        return out;
    }

    relation_shape returning(std::string_view type, const object& s, const cte_env* env,
                             std::map<std::string, bool>* items_out) {
        cte_env local;
        local.parent = env;
        if (const auto* with = tree::field(s, "withClause"); with && with->is_object()) {
            env = &local;
            for (const auto& c : tree::list(with->as_object(), "ctes"))
                if (const object* cte = tree::as(&c, "CommonTableExpr")) {
                    relation_shape shape;
                    if (const auto* q = tree::field(*cte, "ctequery")) {
                        auto [qt, qb] = tree::node(*q);
                        if (qb) shape = statement(qt, *qb, &local, nullptr);
                    }
                    rename(shape, tree::list(*cte, "aliascolnames"));
                    local.ctes[tree::text(*cte, "ctename")] = shape;
                }
        }
        scope sc;
        if (const auto* rel = tree::field(s, "relation"); rel && rel->is_object()) add_relation(rel->as_object(), sc, env);
        for (const auto& f : tree::list(s, type == "DeleteStmt" ? "usingClause" : "fromClause")) add_from(f, sc, env);
        if (items_out)
            for (const auto& it : sc.items) (*items_out)[it.name] = it.null_filled;
        return targets(tree::list(s, "returningList"), sc, env);
    }

    relation_shape targets(const boost::json::array& list, const scope& sc, const cte_env* env) {
        relation_shape out;
        out.known = true;
        for (const auto& t : list) {
            const object* rt = tree::as(&t, "ResTarget");
            const value* v = rt ? tree::field(*rt, "val") : nullptr;
            if (!v) return {};
            if (const object* cr = tree::as(v, "ColumnRef")) {
                const auto& fields = tree::list(*cr, "fields");
                if (!fields.empty() && tree::as(&fields.back(), "A_Star")) {
                    if (!expand_star(fields, sc, out)) return {};
                    continue;
                }
            }
            out.columns.push_back({output_name(*rt, *v), nullable(*v, sc, env)});
        }
        return out;
    }

    /// `*` or `t.*`: the columns of every FROM item, or of t, in order.
    static bool expand_star(const boost::json::array& fields, const scope& sc, relation_shape& out) {
        if (fields.size() == 1) {
            if (sc.merged_join) return false;  // USING / NATURAL merge columns: not followed
            for (const auto& it : sc.items) {
                if (it.merges_columns) continue;  // an aliased join repeats its members' columns
                if (!it.shape.known) return false;
                for (auto c : it.shape.columns) {
                    c.nullable |= it.null_filled || sc.grouping_sets;
                    out.columns.push_back(c);
                }
            }
            return true;
        }
        std::string rel = tree::string_node(fields[fields.size() - 2]);
        for (const auto& it : sc.items)
            if (it.name == rel) {
                if (!it.shape.known) return false;
                for (auto c : it.shape.columns) {
                    c.nullable |= it.null_filled || sc.grouping_sets;
                    out.columns.push_back(c);
                }
                return true;
            }
        return false;
    }

    static std::string output_name(const object& rt, const value& v) {
        if (auto n = tree::text(rt, "name"); !n.empty()) return n;
        if (const object* cr = tree::as(&v, "ColumnRef")) {
            const auto& f = tree::list(*cr, "fields");
            return f.empty() ? std::string() : tree::string_node(f.back());
        }
        if (const object* fc = tree::as(&v, "FuncCall")) {
            const auto& f = tree::list(*fc, "funcname");
            return f.empty() ? std::string() : tree::string_node(f.back());
        }
        if (const object* tc = tree::as(&v, "TypeCast"))
            if (const auto* arg = tree::field(*tc, "arg"); arg && tree::as(arg, "ColumnRef")) return output_name(rt, *arg);
        return "?column?";
    }

    void add_relation(const object& rv, scope& sc, const cte_env* env) {
        range_item it;
        std::string schema = tree::text(rv, "schemaname"), rel = tree::text(rv, "relname");
        it.name = rel;
        const relation_shape* cte = schema.empty() && env ? env->find(rel) : nullptr;
        if (cte) {
            it.shape = *cte;
        } else if (auto cols = tables_(schema, rel)) {
            it.shape.known = true;
            it.shape.columns = *cols;
        }
        if (const auto* a = tree::field(rv, "alias"); a && a->is_object()) {
            if (auto n = tree::text(a->as_object(), "aliasname"); !n.empty()) it.name = n;
            rename(it.shape, tree::list(a->as_object(), "colnames"));
        }
        sc.items.push_back(std::move(it));
    }

    /// Adds one FROM item's range items to `sc`; returns the index range it added.
    std::pair<std::size_t, std::size_t> add_from(const value& f, scope& sc, const cte_env* env) {
        std::size_t first = sc.items.size();
        auto [type, body] = tree::node(f);
        if (!body) return {first, first};
        if (type == "RangeVar") {
            add_relation(*body, sc, env);
        } else if (type == "RangeSubselect") {
            range_item it;
            // LATERAL: the subquery sees the FROM items before it.
            const scope* outer = tree::flag(*body, "lateral") ? &sc : sc.outer;
            if (const auto* q = tree::field(*body, "subquery")) {
                auto [qt, qb] = tree::node(*q);
                if (qb) {
                    scope snapshot = sc;  // `sc` grows below; the subquery sees it as it is now
                    it.shape = statement(qt, *qb, env, outer == &sc ? &snapshot : outer);
                }
            }
            if (const auto* a = tree::field(*body, "alias"); a && a->is_object()) {
                it.name = tree::text(a->as_object(), "aliasname");
                rename(it.shape, tree::list(a->as_object(), "colnames"));
            }
            sc.items.push_back(std::move(it));
        } else if (type == "JoinExpr") {
            auto l = add_from(*tree::field(*body, "larg"), sc, env);
            auto r = add_from(*tree::field(*body, "rarg"), sc, env);
            std::string jt = tree::text(*body, "jointype");
            auto fill = [&](std::pair<std::size_t, std::size_t> range) {
                for (std::size_t i = range.first; i < range.second; ++i) sc.items[i].null_filled = true;
            };
            if (jt == "JOIN_LEFT" || jt == "JOIN_FULL") fill(r);
            if (jt == "JOIN_RIGHT" || jt == "JOIN_FULL") fill(l);
            if (jt != "JOIN_INNER" && jt != "JOIN_LEFT" && jt != "JOIN_RIGHT" && jt != "JOIN_FULL") {
                fill(l);  // anything else (never produced by the grammar): assume the worst
                fill(r);
            }
            if (!tree::list(*body, "usingClause").empty() || tree::flag(*body, "isNatural")) sc.merged_join = true;
            if (const auto* a = tree::field(*body, "alias"); a && a->is_object()) {
                // `(b JOIN c) AS j`: j names the joined columns.
                range_item j;
                j.name = tree::text(a->as_object(), "aliasname");
                j.merges_columns = true;
                j.shape.known = !sc.merged_join;
                for (std::size_t i = first; i < sc.items.size(); ++i) {
                    if (!sc.items[i].shape.known) j.shape.known = false;
                    for (auto c : sc.items[i].shape.columns) {
                        c.nullable |= sc.items[i].null_filled;
                        j.shape.columns.push_back(c);
                    }
                }
                sc.items.push_back(std::move(j));
            }
        } else {
            // RangeFunction, RangeTableFunc, ...: columns not followed, so every one is nullable.
            range_item it;
            if (const auto* a = tree::field(*body, "alias"); a && a->is_object())
                it.name = tree::text(a->as_object(), "aliasname");
            sc.items.push_back(std::move(it));
        }
        return {first, sc.items.size()};
    }

    /// A column reference: true unless it names a known non-null column of an item that no outer
    /// join fills with NULLs and no grouping set blanks.
    static bool column_nullable(const object& cr, const scope& sc) {
        const auto& fields = tree::list(cr, "fields");
        std::vector<std::string> names;
        for (const auto& f : fields) {
            std::string n = tree::string_node(f);
            if (n.empty()) return true;
            names.push_back(n);
        }
        if (names.empty() || names.size() > 3) return true;
        const std::string& col = names.back();
        for (const scope* s = &sc; s; s = s->outer) {
            // Unqualified, several candidates: only JOIN USING / NATURAL allows that, and the merged
            // column is non-null when any source is (LEFT JOIN: the left one; FULL: COALESCE).
            bool found = false, all_nullable = true, any_unknown = false;
            for (const auto& it : s->items) {
                if (names.size() >= 2 && it.name != names[names.size() - 2]) continue;
                if (names.size() == 1 && it.merges_columns) continue;
                if (!it.shape.known) {
                    any_unknown = true;
                    continue;
                }
                for (const auto& c : it.shape.columns)
                    if (c.name == col) {
                        found = true;
                        if (!c.nullable && !it.null_filled) all_nullable = false;
                    }
            }
            if (any_unknown) return true;
            if (found) return all_nullable || s->grouping_sets;
            if (names.size() >= 2 && std::any_of(s->items.begin(), s->items.end(), [&](const range_item& it) {
                    return it.name == names[names.size() - 2];
                }))
                return true;  // the item exists but has no such column (a whole-row reference, ...)
        }
        return true;
    }

    static bool is_op(const object& e, std::initializer_list<std::string_view> ops) {
        const auto& name = tree::list(e, "name");
        if (name.size() != 1) return false;
        std::string n = tree::string_node(name[0]);
        return std::find(ops.begin(), ops.end(), n) != ops.end();
    }

public:
    /// Whether expression `v` can be NULL in scope `sc`.
    bool nullable(const value& v, const scope& sc, const cte_env* env) {
        // Not a structured binding: the lambdas below capture `e`, which C++20 allows for a
        // binding but clang 14 rejects.
        const auto typed = tree::node(v);
        const std::string_view type = typed.first;
        const object* const e = typed.second;
        if (!e) return true;
        auto sub = [&](std::string_view key) {
            const value* x = tree::field(*e, key);
            return !x || nullable(*x, sc, env);
        };
        auto all_of_list = [&](const boost::json::array& list) {
            return std::all_of(list.begin(), list.end(), [&](const value& x) { return !nullable(x, sc, env); });
        };
        auto any_of_list = [&](const boost::json::array& list) {
            return std::any_of(list.begin(), list.end(), [&](const value& x) { return !nullable(x, sc, env); });
        };
        if (type == "A_Const") return tree::flag(*e, "isnull");
        if (type == "ColumnRef") return column_nullable(*e, sc);
        if (type == "TypeCast" || type == "CollateClause") return sub("arg");
        // (A ROW(...) constructor is left out: compared with `=` it yields NULL when a field is NULL,
        // docs 9.24.5, and the operator rule below would not see that.)
        if (type == "NullTest" || type == "BooleanTest" || type == "GroupingFunc" || type == "SQLValueFunction" ||
            type == "A_ArrayExpr")
            return false;
        if (type == "CoalesceExpr" || type == "MinMaxExpr") return !any_of_list(tree::list(*e, "args"));
        if (type == "BoolExpr") return !all_of_list(tree::list(*e, "args"));
        if (type == "CaseExpr") {
            if (!tree::field(*e, "defresult")) return true;
            if (sub("defresult")) return true;
            for (const auto& w : tree::list(*e, "args"))
                if (const object* cw = tree::as(&w, "CaseWhen"); !cw || !tree::field(*cw, "result") ||
                                                                 nullable(*tree::field(*cw, "result"), sc, env))
                    return true;
            return false;
        }
        if (type == "SubLink") {
            std::string kind = tree::text(*e, "subLinkType");
            return !(kind == "EXISTS_SUBLINK" || kind == "ARRAY_SUBLINK");
        }
        if (type == "A_Expr") {
            std::string kind = tree::text(*e, "kind");
            if (kind == "AEXPR_DISTINCT" || kind == "AEXPR_NOT_DISTINCT") return false;
            bool plain = (kind == "AEXPR_OP" && is_op(*e, {"+", "-", "*", "/", "%", "||", "=", "<>", "!=", "<", ">",
                                                            "<=", ">="})) ||
                         kind == "AEXPR_LIKE" || kind == "AEXPR_ILIKE" || kind == "AEXPR_IN" ||
                         kind == "AEXPR_BETWEEN" || kind == "AEXPR_NOT_BETWEEN";
            if (!plain) return true;
            auto operand_nullable = [&](std::string_view key) {
                const value* x = tree::field(*e, key);
                if (!x) return key == "rexpr";  // unary operators have no left operand
                if (const object* l = tree::as(x, "List")) return !all_of_list(tree::list(*l, "items"));
                if (x->is_array()) return !all_of_list(x->as_array());
                return nullable(*x, sc, env);
            };
            return operand_nullable("lexpr") || operand_nullable("rexpr");
        }
        if (type == "FuncCall") {
            const auto& fn = tree::list(*e, "funcname");
            std::string name = fn.empty() ? std::string() : lower(tree::string_node(fn.back()));
            std::string schema = fn.size() == 2 ? lower(tree::string_node(fn[0])) : std::string();
            if (!schema.empty() && schema != "pg_catalog") return true;  // a user's function
            static const std::set<std::string> never_null = {"count",        "row_number", "rank",   "dense_rank",
                                                             "percent_rank", "cume_dist",  "concat", "now",
                                                             "random",       "gen_random_uuid"};
            if (never_null.count(name)) return false;
            // Built-in strict scalar functions: NULL only from a NULL argument.
            static const std::set<std::string> strict = {"lower",  "upper", "length", "char_length", "octet_length",
                                                         "abs",    "round", "floor",  "ceil",        "md5",
                                                         "btrim",  "ltrim", "rtrim",  "trim",        "initcap"};
            if (strict.count(name) && !tree::field(*e, "over") && !tree::flag(*e, "agg_star"))
                return !all_of_list(tree::list(*e, "args"));
            return true;  // aggregates (sum, min, max, ...), user functions: may be NULL
        }
        return true;
    }
};

}  // namespace nullability_detail

/// The result columns of one parsed statement (the "stmt" node of parse_one_statement) and the
/// nullability of each; `known` is false when the tree's column list could not be followed.
inline result_shape shape_of(const boost::json::object& stmt, const table_lookup& tables) {
    result_shape out;
    if (stmt.size() != 1) return out;
    const auto& kv = *stmt.begin();
    if (!kv.value().is_object()) return out;
    nullability_detail::analysis a(tables);
    auto shape = a.statement(kv.key(), kv.value().as_object(), nullptr, nullptr, &out.item_nullable);
    out.known = shape.known;
    out.columns = std::move(shape.columns);
    return out;
}

}  // namespace pgorm_gen
