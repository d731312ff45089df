#pragma once
// Splits a SQL script into statements at top-level semicolons, the way psql does: semicolons in
// string literals ('...', E'...'), quoted identifiers, dollar-quoted bodies ($$...$$, $tag$...$tag$)
// and comments (-- and nested /* */) do not end a statement, and neither do semicolons inside
// parentheses or inside the SQL-standard body of CREATE [OR REPLACE] FUNCTION/PROCEDURE ...
// BEGIN ATOMIC ... END (PostgreSQL 14+, docs: "CREATE FUNCTION", sql_body), whose CASE ... END
// pairs nest. That is the rule psql's own scanner uses. Each statement keeps the line it starts
// on, so a failure can say where it is.

#include <pgorm/detail/linkage.hpp>
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
    [[nodiscard]] std::string first_line() const { return text.substr(0, text.find('\n')); }
};

namespace detail {
PGORM_DECL bool is_ident_char(char c);
PGORM_DECL bool is_ident_start(char c);

PGORM_DECL bool iequals(std::string_view a, std::string_view b);

/// Follows the keywords of one statement to know when a semicolon is inside a routine body:
/// CREATE [OR REPLACE] FUNCTION|PROCEDURE ... then, outside parentheses, BEGIN opens a body,
/// CASE opens a nested block inside one and END closes the innermost.
class routine_body_tracker {
public:
    void word(std::string_view w, int line, int paren_depth) {
        if (position_ < 4) head_[position_] = w;
        ++position_;
        if (!defines_routine() || paren_depth > 0) return;
        if (iequals(w, "begin")) {
            if (depth_ == 0) opened_line_ = line;
            ++depth_;
        } else if (iequals(w, "case") && depth_ > 0) {
            ++depth_;
        } else if (iequals(w, "end") && depth_ > 0) {
            --depth_;
        }
    }
    bool inside_body() const { return depth_ > 0; }
    int opened_line() const { return opened_line_; }
    void reset() { *this = routine_body_tracker{}; }

private:
    bool defines_routine() const {
        auto routine = [](std::string_view w) { return iequals(w, "function") || iequals(w, "procedure"); };
        if (!iequals(head_[0], "create")) return false;
        if (routine(head_[1])) return true;
        return iequals(head_[1], "or") && iequals(head_[2], "replace") && routine(head_[3]);
    }
    std::string_view head_[4];
    int position_ = 0, depth_ = 0, opened_line_ = 0;
};
}  // namespace detail

/// Splits `sql`; `first_line` is the script's line number within its file. Statements that are
/// only whitespace and comments are dropped. Throws migration_error on an unterminated literal,
/// quoted identifier, dollar quote, block comment or BEGIN ATOMIC body (naming `where` and the
/// line it opened on).
PGORM_DECL std::vector<sql_statement> split_sql(std::string_view sql, int first_line = 1,
                                                std::string_view where = "SQL");

}  // namespace pgorm::migrate

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/migrate/impl/sql_split.ipp>
#endif
