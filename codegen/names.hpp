#pragma once
// C++ names from SQL names: GetUser -> get_user, users -> User, 'op!en' -> op_en; keywords get a
// trailing underscore.

#include <cctype>
#include <set>
#include <string>

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

/// Any text -> a C++ identifier (non-identifier characters become '_').
inline std::string identifier(const std::string& s) {
    std::string out;
    for (char c : s) out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_');
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(out.begin(), '_');
    if (is_cpp_keyword(out)) out.push_back('_');
    return out;
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
