#pragma once
// Bodies of migrate/sql_split.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/migrate/sql_split.hpp>

namespace pgorm::migrate {

namespace detail {

PGORM_DECL bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

PGORM_DECL bool is_ident_start(char c) { return is_ident_char(c) && !std::isdigit(static_cast<unsigned char>(c)); }

PGORM_DECL bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace detail

PGORM_DECL std::vector<sql_statement> split_sql(std::string_view sql, int first_line, std::string_view where) {
    std::vector<sql_statement> out;
    std::string current;
    bool has_code = false;  // the current statement has something besides whitespace and comments
    int line = first_line, start_line = first_line;
    int paren_depth = 0;
    detail::routine_body_tracker routine;
    std::size_t i = 0, n = sql.size();

    auto unterminated = [&](const char* what, int opened) {
        throw migration_error("pgorm: " + std::string(where) + ": unterminated " + what + " starting at line " +
                              std::to_string(opened));
    };
    auto take = [&](std::size_t count) {  // moves `count` characters into the statement, counting lines
        for (std::size_t k = 0; k < count && i < n; ++k, ++i) {
            if (sql[i] == '\n') ++line;
            current.push_back(sql[i]);
        }
    };
    auto code = [&] {
        if (!has_code) {
            has_code = true;
            start_line = line;
            current.clear();  // leading comments and blank lines are not part of the statement
        }
    };
    auto finish = [&] {
        if (has_code) {
            std::size_t end = current.find_last_not_of(" \t\r\n");
            out.push_back({current.substr(0, end + 1), start_line});
        }
        current.clear();
        has_code = false;
        paren_depth = 0;
        routine.reset();
    };

    while (i < n) {
        char c = sql[i];
        char next = i + 1 < n ? sql[i + 1] : '\0';
        if (c == '-' && next == '-') {  // line comment
            while (i < n && sql[i] != '\n') take(1);
        } else if (c == '/' && next == '*') {  // block comment, nests in PostgreSQL
            int opened = line, depth = 0;
            do {
                if (i + 1 < n && sql[i] == '/' && sql[i + 1] == '*') ++depth, take(2);
                else if (i + 1 < n && sql[i] == '*' && sql[i + 1] == '/') --depth, take(2);
                else take(1);
            } while (depth > 0 && i < n);
            if (depth > 0) unterminated("block comment", opened);
        } else if (c == '\'' || c == '"') {
            code();
            int opened = line;
            bool escapes = c == '\'' && !current.empty() && (current.back() == 'E' || current.back() == 'e') &&
                           (current.size() < 2 || !detail::is_ident_char(current[current.size() - 2]));
            take(1);
            for (;;) {
                if (i >= n) unterminated(c == '"' ? "quoted identifier" : "string literal", opened);
                if (escapes && sql[i] == '\\') {
                    take(2);
                } else if (sql[i] == c) {
                    take(1);
                    if (i < n && sql[i] == c) take(1);  // doubled quote stays inside
                    else break;
                } else {
                    take(1);
                }
            }
        } else if (c == '$' && (current.empty() || !detail::is_ident_char(current.back()))) {
            // $tag$ opens a dollar quote; $1 (a parameter) does not.
            std::size_t j = i + 1;
            while (j < n && detail::is_ident_char(sql[j]) && !std::isdigit(static_cast<unsigned char>(sql[i + 1]))) ++j;
            code();
            if (j < n && sql[j] == '$') {
                std::string tag(sql.substr(i, j - i + 1));
                int opened = line;
                take(tag.size());
                std::size_t close = sql.find(tag, i);
                if (close == std::string_view::npos) unterminated("dollar-quoted string", opened);
                take(close + tag.size() - i);
            } else {
                take(1);
            }
        } else if (detail::is_ident_start(c) && (current.empty() || !detail::is_ident_char(current.back()))) {
            // A whole word ($ continues one: a$b$ is an identifier, not a dollar quote).
            code();
            std::size_t j = i;
            while (j < n && (detail::is_ident_char(sql[j]) || sql[j] == '$')) ++j;
            routine.word(sql.substr(i, j - i), line, paren_depth);
            take(j - i);
        } else if (c == ';' && paren_depth == 0 && !routine.inside_body()) {
            ++i;
            finish();
        } else {
            if (c == '(') ++paren_depth;
            if (c == ')' && paren_depth > 0) --paren_depth;
            if (!std::isspace(static_cast<unsigned char>(c))) code();
            take(1);
        }
    }
    if (routine.inside_body())
        throw migration_error("pgorm: " + std::string(where) + ": the CREATE FUNCTION/PROCEDURE starting at line " +
                              std::to_string(start_line) + " opens a BEGIN ATOMIC body at line " +
                              std::to_string(routine.opened_line()) +
                              " that has no matching END (each BEGIN and CASE inside it needs its END)");
    finish();
    return out;
}

}  // namespace pgorm::migrate
