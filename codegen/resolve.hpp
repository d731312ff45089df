#pragma once
// Combines the server's description with the facts read from the text: parameter names and
// nullability, result column nullability, model-struct reuse and the :copyfrom target.
// Included by analyze.hpp after `analyzer` is complete.

#include "analyze.hpp"

namespace pgorm_gen {

inline void name_parameters(analyzed_query& a, const sql_facts& f, analyzer& db) {
    unsigned insert_oid = f.insert_table.empty() ? 0 : db.relation(f.insert_table);
    unsigned update_oid = f.update_table.empty() ? 0 : db.relation(f.update_table);
    auto column_nullable = [&](unsigned table, const std::string& col) {
        if (!table) return false;
        for (auto& c : db.table(table).columns)
            if (c.name == col) return c.nullable;
        return false;
    };
    for (std::size_t i = 0; i < a.params.size(); ++i) {
        auto& p = a.params[i];
        int number = static_cast<int>(i) + 1;
        if (!p.name.empty()) continue;
        p.name = name_from_context(f, number);
        // A value stored into a nullable column may be NULL (sqlc does the same).
        for (std::size_t c = 0; c < f.insert_values.size() && c < f.insert_columns.size(); ++c)
            if (f.insert_values[c] == number && column_nullable(insert_oid, f.insert_columns[c])) p.nullable = true;
        if (auto it = f.set_targets.find(number); it != f.set_targets.end() && column_nullable(update_oid, it->second))
            p.nullable = true;
        if (p.name.empty()) p.name = "arg" + std::to_string(number);
    }
}

inline bool is_count_item(const std::vector<token>& item) {
    return item.size() >= 2 && item[0].is("count") && item[1].is_punct("(");
}

inline void decide_nullability(analyzed_query& a, const sql_facts& f, analyzer& db) {
    bool items_match = f.items_exact && f.items.size() == a.columns.size();
    for (std::size_t i = 0; i < a.columns.size(); ++i) {
        auto& c = a.columns[i];
        if (c.table != 0 && c.attnum > 0) {
            const auto& t = db.table(c.table);
            c.nullable = true;
            for (auto& tc : t.columns)
                if (tc.attnum == c.attnum) c.nullable = tc.nullable;
            if (f.nullable_names.count(t.name)) c.nullable = true;
        } else {
            c.nullable = !(items_match && is_count_item(f.items[i]));
        }
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

inline void read_copy_target(analyzed_query& a, const sql_facts& f) {
    const auto& q = a.spec;
    bool ok = !f.insert_table.empty() && !f.insert_columns.empty() &&
              f.insert_values.size() == f.insert_columns.size() && a.columns.empty();
    for (int v : f.insert_values) ok = ok && v > 0;
    if (!ok)
        throw input_error(location(q.file, q.line) + "error: query " + q.name +
                          ": a :copyfrom query must be `INSERT INTO table (columns) VALUES ($1, $2, ...)` "
                          "with one parameter per column and no RETURNING");
    a.copy_table = f.insert_table;
    a.copy_columns = f.insert_columns;
    for (int v : f.insert_values) a.copy_params.push_back(v - 1);
}

}  // namespace pgorm_gen
