#pragma once
// What the server does not say, read from the query text: parameter names (`email = $1` ->
// email, INSERT column lists, LIMIT/OFFSET), the tables on the nullable side of outer joins,
// COUNT items of the select list, and the target of a :copyfrom INSERT.
//
// Limits (docs/codegen.md): the outer-join rule is by table name over the whole statement, so a
// table that appears on a nullable side anywhere makes all its columns optional; a RIGHT or FULL
// JOIN makes every other table of the statement nullable.

#include "sql_lexer.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace pgorm_gen {

struct sql_facts {
    std::vector<token> tokens;
    std::set<std::string> nullable_names;  // relation names and aliases on a nullable join side
    std::vector<std::vector<token>> items;  // top-level SELECT or RETURNING items (empty if unknown)
    bool items_exact = false;               // items map one-to-one onto result columns
    std::string insert_table;               // INSERT INTO t
    std::vector<std::string> insert_columns;
    std::vector<int> insert_values;         // per insert column: the $n it takes, or 0
    std::string update_table;
    std::map<int, std::string> set_targets;  // UPDATE ... SET col = $n
};

namespace detail {

inline std::vector<std::vector<token>> split_items(const std::vector<token>& t, std::size_t from,
                                                   std::size_t& end, const std::set<std::string>& stop) {
    std::vector<std::vector<token>> items(1);
    int depth = 0;
    std::size_t i = from;
    for (; i < t.size(); ++i) {
        if (t[i].is_punct("(") || t[i].is_punct("[")) ++depth;
        if (t[i].is_punct(")") || t[i].is_punct("]")) --depth;
        if (depth < 0) break;
        if (depth == 0 && t[i].kind == token::ident && stop.count(t[i].text)) break;
        if (depth == 0 && t[i].is_punct(",")) {
            items.emplace_back();
            continue;
        }
        if (depth == 0 && t[i].is_punct(";")) break;
        items.back().push_back(t[i]);
    }
    end = i;
    if (items.size() == 1 && items[0].empty()) items.clear();
    return items;
}

/// The relation name and alias that follow position i (after FROM/JOIN): `schema.rel [AS] alias`.
inline void relation_at(const std::vector<token>& t, std::size_t i, std::set<std::string>& names) {
    if (i >= t.size() || !t[i].is_name()) return;
    std::string rel = t[i].text;
    while (i + 2 < t.size() && t[i + 1].is_punct(".") && t[i + 2].is_name()) {
        rel = t[i + 2].text;
        i += 2;
    }
    names.insert(rel);
    ++i;
    if (i < t.size() && t[i].is("as")) ++i;
    static const std::set<std::string> keywords = {"on", "using", "where", "left", "right", "full", "inner", "join",
                                                   "cross", "natural", "group", "order", "limit", "offset", "for",
                                                   "union", "except", "intersect", "window", "having", "returning",
                                                   "set", "values", "lateral"};
    if (i < t.size() && t[i].is_name() && !keywords.count(t[i].text)) names.insert(t[i].text);
}

}  // namespace detail

inline sql_facts read_sql_facts(const std::string& sql) {
    sql_facts f;
    f.tokens = tokenize(sql);
    auto& t = f.tokens;
    bool right_or_full = false;
    std::set<std::string> all_relations, right_side;
    for (std::size_t i = 0; i < t.size(); ++i) {
        bool from_like = t[i].is("from") || t[i].is("join") || t[i].is("update") || (t[i].is("into"));
        if (from_like) detail::relation_at(t, i + 1, all_relations);
        if (t[i].is("join") && i > 0) {
            std::size_t k = i - 1;
            if (t[k].is("outer") && k > 0) --k;
            std::set<std::string>* side = nullptr;
            if (t[k].is("left") || t[k].is("full")) side = &f.nullable_names;
            if (t[k].is("right") || t[k].is("full")) right_or_full = true;
            if (t[k].is("right")) side = &right_side;
            if (side) {
                std::size_t at = i + 1;
                if (at < t.size() && t[at].is("lateral")) ++at;
                if (at < t.size() && t[at].is_punct("(")) {
                    // A joined subquery: every relation inside it, and its alias, is on that side.
                    int depth = 0;
                    std::size_t j = at;
                    for (; j < t.size(); ++j) {
                        if (t[j].is_punct("(")) ++depth;
                        if (t[j].is_punct(")") && --depth == 0) break;
                        if (t[j].is("from") || t[j].is("join")) detail::relation_at(t, j + 1, *side);
                    }
                    std::size_t alias = j + 1;
                    if (alias < t.size() && t[alias].is("as")) ++alias;
                    if (alias < t.size() && t[alias].is_name()) side->insert(t[alias].text);
                } else {
                    detail::relation_at(t, at, *side);
                }
            }
        }
        // Comma-joined FROM items: `FROM a, b` names b too.
        if (t[i].is_punct(",") && i + 1 < t.size()) {
            // Only meaningful inside FROM; harmless elsewhere (it just names more relations).
            detail::relation_at(t, i + 1, all_relations);
        }
    }
    if (right_or_full)
        for (auto& n : all_relations)
            if (!right_side.count(n)) f.nullable_names.insert(n);

    // Select list or RETURNING list at depth 0.
    int depth = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i].is_punct("(")) ++depth;
        if (t[i].is_punct(")")) --depth;
        if (depth != 0) continue;
        if (t[i].is("select") && f.items.empty()) {
            std::size_t from = i + 1, end = 0;
            if (from < t.size() && (t[from].is("distinct") || t[from].is("all"))) ++from;
            if (from < t.size() && t[from].is("on")) from = t.size();  // DISTINCT ON: give up
            f.items = detail::split_items(t, from, end,
                                          {"from", "where", "group", "order", "limit", "offset", "having", "union",
                                           "except", "intersect", "window", "for", "into"});
        }
        if (t[i].is("returning")) {
            std::size_t end = 0;
            f.items = detail::split_items(t, i + 1, end, {});
        }
    }
    f.items_exact = !f.items.empty();
    for (auto& item : f.items)
        for (std::size_t k = 0; k < item.size(); ++k)
            if (item[k].is_punct("*") && !(k > 0 && item[k - 1].is_punct("("))) f.items_exact = false;

    // INSERT INTO t (cols) VALUES (...)
    for (std::size_t i = 0; i + 2 < t.size(); ++i) {
        if (!(t[i].is("insert") && t[i + 1].is("into"))) continue;
        std::size_t k = i + 2;
        if (!t[k].is_name()) break;
        f.insert_table = t[k].text;
        while (k + 2 < t.size() && t[k + 1].is_punct(".") && t[k + 2].is_name()) {
            f.insert_table = t[k + 2].text;
            k += 2;
        }
        ++k;
        if (k < t.size() && t[k].is("as")) k += 2;
        if (k >= t.size() || !t[k].is_punct("(")) break;
        std::size_t end = 0;
        for (auto& item : detail::split_items(t, k + 1, end, {}))
            f.insert_columns.push_back(item.empty() ? std::string() : item.back().text);
        k = end + 1;
        if (k < t.size() && t[k].is("values") && k + 1 < t.size() && t[k + 1].is_punct("(")) {
            auto vals = detail::split_items(t, k + 2, end, {});
            for (auto& v : vals) {
                int n = 0;
                if (!v.empty() && v[0].kind == token::param && (v.size() == 1 || v[1].is_punct("::")))
                    n = std::stoi(v[0].text);
                f.insert_values.push_back(n);
            }
        }
        break;
    }

    // UPDATE t SET col = $n, ...
    for (std::size_t i = 0; i + 1 < t.size(); ++i) {
        if (!t[i].is("update") || !t[i + 1].is_name()) continue;
        f.update_table = t[i + 1].text;
        for (std::size_t k = i + 2; k < t.size(); ++k) {
            if (!t[k].is("set")) continue;
            std::size_t end = 0;
            for (auto& item : detail::split_items(t, k + 1, end, {"where", "from", "returning"}))
                for (std::size_t m = 1; m + 1 < item.size(); ++m)  // col = $n, possibly $n::type
                    if (item[m].is_punct("=") && item[m - 1].is_name() && item[m + 1].kind == token::param &&
                        (m + 2 == item.size() || item[m + 2].is_punct("::")))
                        f.set_targets[std::stoi(item[m + 1].text)] = item[m - 1].text;
            break;
        }
        break;
    }
    return f;
}

/// The column name a parameter meets: `col <op> $n`, `col IN ($n)`, `col = ANY($n)`, LIMIT, OFFSET,
/// an INSERT column or an UPDATE SET target. Empty when there is none.
inline std::string name_from_context(const sql_facts& f, int number) {
    static const std::set<std::string> ops = {"=", "<>", "!=", "<", ">", "<=", ">=", "&&", "@>", "<@", "~~", "~~*",
                                              "~", "~*", "||"};
    auto& t = f.tokens;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i].kind != token::param || std::stoi(t[i].text) != number) continue;
        std::size_t k = i;
        // Skip `ANY (` / `ALL (` / `IN (` / `(` before the parameter.
        while (k > 0 && t[k - 1].is_punct("(")) {
            --k;
            if (k > 0 && (t[k - 1].is("any") || t[k - 1].is("all") || t[k - 1].is("some"))) --k;
        }
        if (k > 0 && (t[k - 1].is("limit") || t[k - 1].is("offset"))) return t[k - 1].text;
        if (k > 1) {
            const token& op = t[k - 1];
            bool is_op = (op.kind == token::punct && ops.count(op.text)) || op.is("like") || op.is("ilike") ||
                         op.is("in") || op.is("is");
            if (is_op && t[k - 2].is_name() && !t[k - 2].is("not")) return t[k - 2].text;
            if (k > 2 && (op.is("like") || op.is("ilike") || op.is("in")) && t[k - 2].is("not") && t[k - 3].is_name())
                return t[k - 3].text;
        }
        // `$n <op> col`
        if (i + 2 < t.size() && t[i + 1].kind == token::punct && ops.count(t[i + 1].text) && t[i + 2].is_name() &&
            !(i + 3 < t.size() && t[i + 3].is_punct("(")))
            return t[i + 2].text;
    }
    for (std::size_t c = 0; c < f.insert_values.size() && c < f.insert_columns.size(); ++c)
        if (f.insert_values[c] == number) return f.insert_columns[c];
    return {};
}

}  // namespace pgorm_gen
