#pragma once
// Splits a SQL script into statements at top-level semicolons, the way psql does: semicolons in
// string literals ('...', E'...'), quoted identifiers, dollar-quoted bodies ($$...$$, $tag$...$tag$)
// and comments (-- and nested /* */) do not end a statement. Each statement keeps the line it
// starts on, so a failure can say where it is.

#include <pgorm/migrate/error.hpp>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace pgorm::migrate {

struct sql_statement {
    std::string text;  // without the terminating semicolon, trimmed
    int line = 1;      // 1-based line of its first character in the script

    /// The first line of the statement, for messages.
    std::string first_line() const { return text.substr(0, text.find('\n')); }
};

namespace detail {
inline bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
}  // namespace detail

/// Splits `sql`; `first_line` is the script's line number within its file. Statements that are
/// only whitespace and comments are dropped. Throws migration_error on an unterminated literal,
/// quoted identifier, dollar quote or block comment (naming `where` and the line it opened on).
inline std::vector<sql_statement> split_sql(std::string_view sql, int first_line = 1, std::string_view where = "SQL") {
    std::vector<sql_statement> out;
    std::string current;
    bool has_code = false;  // the current statement has something besides whitespace and comments
    int line = first_line, start_line = first_line;
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
        } else if (c == ';') {
            ++i;
            finish();
        } else {
            if (!std::isspace(static_cast<unsigned char>(c))) code();
            take(1);
        }
    }
    finish();
    return out;
}

}  // namespace pgorm::migrate
