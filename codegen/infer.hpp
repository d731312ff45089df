#pragma once
// Parameter names from the tokens around a `$n` (`email = $1` -> email, `IN ($1)`, `= ANY($1)`,
// `$1 = col`, LIMIT, OFFSET). Everything else pgorm-gen reads from a query — result nullability,
// the table and column a parameter is stored into, :copyfrom targets — comes from PostgreSQL's
// parse tree (nullability.hpp, write_target.hpp).

#include "sql_lexer.hpp"

#include <set>
#include <string>
#include <vector>

namespace pgorm_gen {

struct sql_facts {
    std::vector<token> tokens;
};

inline sql_facts read_sql_facts(const std::string& sql) { return {tokenize(sql)}; }

/// The column name a parameter meets: `col <op> $n`, `col IN ($n)`, `col = ANY($n)`, LIMIT or
/// OFFSET. Empty when there is none (write_target.hpp then names INSERT and UPDATE values).
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
    return {};
}

}  // namespace pgorm_gen
