#pragma once
// C++ names from SQL names: GetUser -> get_user, users -> User, 'op!en' -> op_en. Every name
// pgorm-gen writes passes through identifier(), which makes it one the compiler and the
// preprocessor leave alone: keywords and alternative tokens (C++20 [lex.key], [lex.digraph]) and
// the macros of the C and C++ libraries get a trailing underscore (NULL -> NULL_, errno ->
// errno_), and the reserved spellings of [lex.name] (a double underscore anywhere, an underscore
// before a capital) are taken apart.

#include "reserved_macros.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>

namespace pgorm_gen {

inline bool is_cpp_keyword(const std::string& s) {
    static const std::set<std::string> words = {
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
        "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
        "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default",
        "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float",
        "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not",
        "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
        "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static", "static_assert",
        "static_cast", "struct", "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef",
        "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while",
        "xor", "xor_eq"};
    return words.count(s) > 0;
}

/// A macro of the C or C++ library (reserved_macros.hpp), one that common headers and build
/// flags define (TRUE, FALSE, NDEBUG, DEBUG), or of a family that platforms extend: signals
/// (SIGxxx, SIG_xxx) and the macros of Boost and pgorm itself.
inline bool is_library_macro(std::string_view s) {
    if (std::binary_search(std::begin(reserved_macro_names), std::end(reserved_macro_names), s)) return true;
    if (s == "TRUE" || s == "FALSE" || s == "NDEBUG" || s == "DEBUG") return true;
    auto starts = [&](std::string_view p) { return s.substr(0, p.size()) == p; };
    bool all_caps = std::none_of(s.begin(), s.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)); });
    return starts("BOOST_") || starts("PGORM_") || (all_caps && starts("SIG") && s.size() > 3);
}

/// Any text -> a C++ identifier that is neither a keyword, a library macro nor reserved: characters
/// outside [A-Za-z0-9_] (spaces, '-', every byte of a non-ASCII letter) become '_', runs of '_'
/// shrink to one, a leading '_' before a capital goes, a leading digit gets '_' in front ("1st" ->
/// "_1st"), and a keyword or macro gets '_' after it. Empty text becomes "_". Different inputs can
/// give the same name ("a-b", "a b"): callers that need distinct names make them unique.
inline std::string identifier(const std::string& s) {
    std::string out;
    for (char c : s) {
        char mapped = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        if (mapped == '_' && !out.empty() && out.back() == '_') continue;
        out.push_back(mapped);
    }
    if (out.size() >= 2 && out[0] == '_' && std::isupper(static_cast<unsigned char>(out[1]))) out.erase(0, 1);
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(out.begin(), '_');
    if (is_cpp_keyword(out) || is_library_macro(out)) out.push_back('_');
    return out;
}

/// `base` made distinct from every name in `used` by a numeric suffix (base, base_2, base_3...;
/// no double underscore when base ends in '_'), then recorded in `used`.
inline std::string unique_name(std::set<std::string>& used, const std::string& base) {
    std::string n = base;
    for (int k = 2; used.count(n); ++k) n = base + (base.back() == '_' ? "" : "_") + std::to_string(k);
    used.insert(n);
    return n;
}

/// GetUserByID -> get_user_by_id
inline std::string snake_case(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool upper = std::isupper(static_cast<unsigned char>(c));
        if (upper && i > 0) {
            char prev = s[i - 1];
            bool next_lower = i + 1 < s.size() && std::islower(static_cast<unsigned char>(s[i + 1]));
            if (std::islower(static_cast<unsigned char>(prev)) || std::isdigit(static_cast<unsigned char>(prev)) ||
                (std::isupper(static_cast<unsigned char>(prev)) && next_lower))
                if (out.empty() || out.back() != '_') out.push_back('_');
        }
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return identifier(out);
}

/// book_type -> BookType
inline std::string camel_case(const std::string& s) {
    std::string out;
    bool up = true;
    for (char c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            up = true;
            continue;
        }
        out.push_back(up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
        up = false;
    }
    return identifier(out);
}

/// A table name as the name of one row: authors -> author, cities -> city, city -> city.
inline std::string singular(const std::string& s) {
    auto ends = [&](const char* suffix) {
        std::string x(suffix);
        return s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
    };
    if (ends("ies")) return s.substr(0, s.size() - 3) + "y";
    if (ends("sses") || ends("xes") || ends("ches") || ends("shes")) return s.substr(0, s.size() - 2);
    if (ends("ss") || ends("us") || ends("is")) return s;
    if (ends("s")) return s.substr(0, s.size() - 1);
    return s;
}

}  // namespace pgorm_gen
