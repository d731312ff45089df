#pragma once
// Just enough SQL lexing for the generator: skip strings, quoted identifiers, comments and
// dollar-quoted bodies, and split the rest into tokens. The server does the real parsing; these
// tokens only name parameters and find outer joins and select-list items.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace pgorm_gen {

/// A character that continues an SQL identifier: letters, digits, _, $ and any byte of a
/// multi-byte UTF-8 letter (PostgreSQL docs 4.1.1, "Identifiers and Key Words").
inline bool is_sql_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}
/// A character that starts an SQL identifier (not a digit, not $).
inline bool is_sql_ident_start(char c) {
    return is_sql_ident_char(c) && c != '$' && !std::isdigit(static_cast<unsigned char>(c));
}

/// If `i` starts a string, quoted identifier, comment or dollar-quoted body, the index after it;
/// otherwise `i`. `i` must be at a token boundary (not inside a word). Follows PostgreSQL's lexer
/// (docs 4.1.2 and 4.1.5): block comments nest, E'...' (and only a standalone E) takes backslash
/// escapes, a dollar quote's tag is an identifier without $ and cannot follow a word character.
inline std::size_t skip_non_code(std::string_view s, std::size_t i) {
    auto n = s.size();
    if (i >= n) return i;
    char c = s[i];
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
        auto e = s.find('\n', i);
        return e == std::string_view::npos ? n : e;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
        std::size_t depth = 0, j = i;
        while (j < n) {
            if (j + 1 < n && s[j] == '/' && s[j + 1] == '*') {
                ++depth;
                j += 2;
            } else if (j + 1 < n && s[j] == '*' && s[j + 1] == '/') {
                j += 2;
                if (--depth == 0) return j;
            } else {
                ++j;
            }
        }
        return n;
    }
    if (c == '\'' || c == '"') {
        bool e_prefix = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') && (i < 2 || !is_sql_ident_char(s[i - 2]));
        bool backslash = c == '\'' && e_prefix;
        for (std::size_t j = i + 1; j < n; ++j) {
            if (backslash && s[j] == '\\') {
                ++j;
                continue;
            }
            if (s[j] == c) {
                if (j + 1 < n && s[j + 1] == c) {
                    ++j;
                    continue;
                }
                return j + 1;
            }
        }
        return n;
    }
    if (c == '$' && (i == 0 || !is_sql_ident_char(s[i - 1])) && i + 1 < n &&
        (s[i + 1] == '$' || is_sql_ident_start(s[i + 1]))) {
        std::size_t j = i + 1;
        while (j < n && is_sql_ident_char(s[j]) && s[j] != '$') ++j;
        if (j < n && s[j] == '$') {
            std::string_view tag = s.substr(i, j - i + 1);
            auto e = s.find(tag, j + 1);
            return e == std::string_view::npos ? n : e + tag.size();
        }
    }
    return i;
}

/// If `i` starts an unquoted identifier or key word, the index after it; otherwise `i`.
inline std::size_t skip_word(std::string_view s, std::size_t i) {
    if (i >= s.size() || !is_sql_ident_start(s[i])) return i;
    std::size_t j = i + 1;
    while (j < s.size() && is_sql_ident_char(s[j])) ++j;
    return j;
}

struct token {
    enum kind_t { ident, quoted, number, param, string, punct } kind;
    std::string text;  // identifiers lower-cased unless quoted (then unquoted); params: the digits
    std::size_t pos = 0;

    bool is(std::string_view word) const { return kind == ident && text == word; }
    bool is_punct(std::string_view p) const { return kind == punct && text == p; }
    bool is_name() const { return kind == ident || kind == quoted; }
};

inline std::vector<token> tokenize(std::string_view s) {
    std::vector<token> out;
    std::size_t i = 0, n = s.size();
    while (i < n) {
        char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        std::size_t skip = skip_non_code(s, i);
        if (skip != i) {
            if (c == '"') {
                std::string name;
                for (std::size_t j = i + 1; j + 1 < skip; ++j) {
                    name.push_back(s[j]);
                    if (s[j] == '"') ++j;
                }
                out.push_back({token::quoted, name, i});
            } else if (c == '\'' || c == '$') {
                out.push_back({token::string, std::string(s.substr(i, skip - i)), i});
            }
            i = skip;
            continue;
        }
        if (c == '$' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            std::size_t j = i + 1;
            while (j < n && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
            out.push_back({token::param, std::string(s.substr(i + 1, j - i - 1)), i});
            i = j;
            continue;
        }
        if (std::size_t j = skip_word(s, i); j != i) {
            std::string w(s.substr(i, j - i));
            for (auto& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            out.push_back({token::ident, w, i});
            i = j;
            continue;
        }
        if (std::isdigit(static_cast<unsigned char>(c))) {
            std::size_t j = i;
            while (j < n && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
            out.push_back({token::number, std::string(s.substr(i, j - i)), i});
            i = j;
            continue;
        }
        if (c == '(' || c == ')' || c == ',' || c == ';' || c == '[' || c == ']' || c == '.') {
            out.push_back({token::punct, std::string(1, c), i});
            ++i;
            continue;
        }
        // Operators: a run of operator characters (::, =, <>, &&, @>, ...).
        std::size_t j = i;
        while (j < n && std::string_view("+-*/<>=~!@#%^&|`?:").find(s[j]) != std::string_view::npos) ++j;
        if (j == i) j = i + 1;
        out.push_back({token::punct, std::string(s.substr(i, j - i)), i});
        i = j;
    }
    return out;
}

}  // namespace pgorm_gen
