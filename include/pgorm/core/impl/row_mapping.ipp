#pragma once
// The non-template part of core/row_mapping.hpp: the messages of results that do not fit a row
// type, built only when one does not.

#include <pgorm/core/row_mapping.hpp>
#include <pgorm/error.hpp>

#include <cstring>
#include <string>

namespace pgorm::detail {

PGORM_DECL std::string column_problem_text(const PGresult* r, int col, std::string_view cpp_type,
                                           std::string_view sql_name) {
    if (PQfformat(r, col) == 0)  // simple-protocol results: only text-like types read them as is
        return "column \"" + std::string(PQfname(r, col)) + "\" arrived in text format, which " +
               std::string(cpp_type) + " cannot decode; run the statement with parameters (binary results)";
    return "column \"" + std::string(PQfname(r, col)) + "\" has type " + type_name_of(PQftype(r, col)) +
           ", which C++ type " + std::string(cpp_type) + " (" + std::string(sql_name) + ") cannot hold";
}

PGORM_DECL std::string null_problem(const PGresult* r, int col, std::string_view table, std::string_view member,
                                    std::string_view cpp_type) {
    std::string s = "column \"" + std::string(PQfname(r, col)) + "\"";
    if (!table.empty()) s += " of table " + std::string(table);
    else if (oid_t t = PQftable(r, col)) s += " of table oid " + std::to_string(t);
    return s + " is NULL, but " + (member.empty() ? std::string("the target") : "member " + std::string(member)) +
           " (" + std::string(cpp_type) + ") is not std::optional";
}

PGORM_DECL int find_column_exact(const PGresult* r, const char* name) noexcept {
    for (int c = 0, n = PQnfields(r); c < n; ++c)
        if (std::strcmp(PQfname(r, c), name) == 0) return c;
    return -1;
}

PGORM_DECL void row_problems::add(const std::string& problem) {
    if (count_++) text_ += "; ";
    text_ += problem;
}

PGORM_DECL void row_problems::add_missing_column(const PGresult* r, std::string_view cpp_type, const char* name) {
    std::string cols;  // the result's columns, for the reader to compare
    for (int k = 0, n = PQnfields(r); k < n; ++k) cols += (k ? ", " : "") + std::string(PQfname(r, k));
    add("struct " + std::string(cpp_type) + " has member \"" + name + "\" but the result has no column \"" + name +
        "\" (columns: " + cols + ")");
}

PGORM_DECL void row_problems::add_unused_column(const PGresult* r, int col, std::string_view cpp_type) {
    add("result column \"" + std::string(PQfname(r, col)) + "\" has no member in struct " + std::string(cpp_type));
}

PGORM_DECL void row_problems::add_column_count(int count, int expected, const mapping_options& o,
                                               std::string_view cpp_type) {
    add(o.statement.empty()
            ? "the result has " + std::to_string(count) + " column(s) but " + std::string(cpp_type) + " takes " +
                  std::to_string(expected - o.first_column)
            : "returns " + std::to_string(count) + " column(s), the generated code reads " + std::to_string(expected));
}

PGORM_DECL void row_problems::add_type_problem(const PGresult* r, int col, std::string_view cpp_type,
                                               std::string_view sql_name) {
    add(column_problem_text(r, col, cpp_type, sql_name));
}

PGORM_DECL void row_problems::raise(bool shape, const mapping_options& o, std::string_view cpp_type) const {
    std::string m = "pgorm: ";
    if (!o.statement.empty()) m += "query " + std::string(o.statement) + (shape && count_ == 1 ? " " : ": ");
    if (count_ > 1) m += std::to_string(count_) + " problems reading " + std::string(cpp_type) + ": ";
    m += text_;
    m += o.hint;
    if (shape) throw column_mismatch(m);
    throw type_mismatch(m);
}

PGORM_DECL void throw_row_nulls(const PGresult* r, int row, const leaf_info* leaves, std::size_t count,
                                const int* columns, std::string_view table) {
    std::string m;
    int found = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const leaf_info& l = leaves[i];
        if (l.nullable || !PQgetisnull(r, row, columns[i])) continue;
        if (l.group_begin >= 0 && all_null(r, row, columns, static_cast<std::size_t>(l.group_begin),
                                           static_cast<std::size_t>(l.group_end - l.group_begin)))
            continue;
        m += (found++ ? "; " : "") + null_problem(r, columns[i], table, l.name, l.cpp_type);
    }
    throw unexpected_null("pgorm: " + (found > 1 ? "row " + std::to_string(row) + ": " : std::string()) + m);
}

}  // namespace pgorm::detail
