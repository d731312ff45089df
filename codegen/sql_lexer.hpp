#pragma once
// Just enough SQL lexing for the generator: skip strings, quoted identifiers, comments and
// dollar-quoted bodies, and split the rest into tokens. The server does the real parsing; these
// tokens only name parameters and find outer joins and select-list items.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace pgorm_gen {

/// If `i` starts a string, quoted identifier, comment or dollar-quoted body, the index after it;
/// otherwise `i`.
inline std::size_t skip_non_code(std::string_view s, std::size_t i) {
    auto n = s.size();
    if (i >= n) return i;
    char c = s[i];
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
        auto e = s.find('\n', i);
        return e == std::string_view::npos ? n : e;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
        auto e = s.find("*/", i + 2);
        return e == std::string_view::npos ? n : e + 2;
    }
    if (c == '\'' || c == '"') {
        bool backslash = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');
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
    if (c == '$' && i + 1 < n && !std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
        std::size_t j = i + 1;
        while (j < n && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
        if (j < n && s[j] == '$') {
            std::string_view tag = s.substr(i, j - i + 1);
            auto e = s.find(tag, j + 1);
            return e == std::string_view::npos ? n : e + tag.size();
        }
    }
    return i;
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
    auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; };
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
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t j = i;
            while (j < n && ident_char(s[j])) ++j;
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
