#pragma once
// Reads sqlc-style query files: `-- name: GetUser :one` blocks, their doc comments, and the SQL
// rewritten for the server (@name, sqlc.arg/narg/slice/embed become $n placeholders). The rewrite
// never adds or removes a newline, so a server error position still maps to the right file line.

#include "sql_lexer.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgorm_gen {

/// An input problem; the message already starts with `file:line: `.
class input_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline std::string location(const std::string& file, int line) { return file + ":" + std::to_string(line) + ": "; }

enum class command { one, many, exec, execrows, execresult, copyfrom, batchexec, batchone, batchmany };

inline bool parse_command(std::string_view s, command& out) {
    static const std::pair<std::string_view, command> all[] = {
        {":one", command::one},           {":many", command::many},         {":exec", command::exec},
        {":execrows", command::execrows}, {":execresult", command::execresult}, {":copyfrom", command::copyfrom},
        {":batchexec", command::batchexec}, {":batchone", command::batchone}, {":batchmany", command::batchmany}};
    for (auto& [name, c] : all)
        if (s == name) {
            out = c;
            return true;
        }
    return false;
}

inline std::string_view command_name(command c) {
    switch (c) {
        case command::one: return ":one";
        case command::many: return ":many";
        case command::exec: return ":exec";
        case command::execrows: return ":execrows";
        case command::execresult: return ":execresult";
        case command::copyfrom: return ":copyfrom";
        case command::batchexec: return ":batchexec";
        case command::batchone: return ":batchone";
        case command::batchmany: return ":batchmany";
    }
    return "?";
}

/// Commands whose result rows become a C++ row type.
inline bool returns_rows(command c) {
    return c == command::one || c == command::many || c == command::batchone || c == command::batchmany;
}
/// Commands that take a range of items and run the statement once per item.
inline bool runs_per_item(command c) {
    return c == command::copyfrom || c == command::batchexec || c == command::batchone || c == command::batchmany;
}

/// One parameter of a query, numbered as the server sees it ($number).
struct param_spec {
    int number = 0;
    std::string name;       // from @name / sqlc.arg(name); empty: inferred later
    bool nullable = false;  // sqlc.narg
    bool slice = false;     // sqlc.slice: an array compared with = ANY($n)
};

/// sqlc.embed(t): the result gets t's columns as one nested member.
struct embed_spec {
    std::string alias;  // as written inside sqlc.embed(...)
};

struct query_spec {
    std::string name;  // as written: GetUser
    command cmd = command::exec;
    std::string file;
    int line = 0;       // the `-- name:` line
    int sql_line = 0;   // the first line of SQL text
    std::vector<std::string> doc;
    std::string original;  // the SQL as written (without the trailing semicolon)
    std::string sql;       // rewritten for the server
    std::string probe;     // like sql, with an embed marker column before each embed (empty: no embeds)
    std::vector<param_spec> params;  // index i is $i+1
    std::vector<embed_spec> embeds;
    bool positional = false;  // the query used $n
};

namespace detail {

inline std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

inline bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
inline bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
inline bool is_identifier(std::string_view s) {
    return !s.empty() && is_ident_start(s[0]) && std::all_of(s.begin(), s.end(), is_ident_char);
}

inline bool iequals_at(std::string_view s, std::size_t pos, std::string_view word) {
    if (s.size() < pos + word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[pos + i])) != std::tolower(static_cast<unsigned char>(word[i])))
            return false;
    return true;
}

/// Removes a trailing `IN (` (with any spaces) from out, if present; true when it did.
inline bool strip_trailing_in_paren(std::string& out) {
    std::size_t i = out.size();
    while (i > 0 && std::isspace(static_cast<unsigned char>(out[i - 1])) && out[i - 1] != '\n') --i;
    if (i == 0 || out[i - 1] != '(') return false;
    std::size_t paren = i - 1;
    i = paren;
    while (i > 0 && std::isspace(static_cast<unsigned char>(out[i - 1])) && out[i - 1] != '\n') --i;
    if (i < 2 || !iequals_at(out, i - 2, "in") || (i > 2 && is_ident_char(out[i - 3]))) return false;
    out.resize(i - 2);
    return true;
}

/// Rewrites the parameter forms of one query into $n, filling q.params / q.embeds / q.sql / q.probe.
inline void rewrite(query_spec& q) {
    const std::string& in = q.original;
    std::string out, probe;
    std::map<std::string, int> named;  // name -> $n
    // $n written in the text keep their numbers; a named parameter takes the lowest number no $n
    // uses (so `$1` and sqlc.arg(x) together make x $2).
    std::set<int> written;
    for (std::size_t k = 0; k < in.size();) {
        if (std::size_t skip = skip_non_code(in, k); skip != k) {
            k = skip;
        } else if (in[k] == '$' && k + 1 < in.size() && std::isdigit(static_cast<unsigned char>(in[k + 1]))) {
            std::size_t j = k + 1;
            while (j < in.size() && std::isdigit(static_cast<unsigned char>(in[j]))) ++j;
            if (j - k - 1 <= 5) written.insert(std::stoi(in.substr(k + 1, j - k - 1)));
            k = j;
        } else if (std::size_t w = skip_word(in, k); w != k) {
            k = w;
        } else {
            ++k;
        }
    }
    int next_free = 1;
    auto line_at = [&](std::size_t pos) { return q.sql_line + static_cast<int>(std::count(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(pos), '\n')); };
    auto fail = [&](std::size_t pos, const std::string& what) {
        throw input_error(location(q.file, line_at(pos)) + "error: query " + q.name + ": " + what);
    };
    auto use_named = [&](std::size_t pos, const std::string& name, bool nullable, bool slice) {
        if (!is_identifier(name))
            fail(pos, "parameter name \"" + name + "\" is not an identifier");
        auto it = named.find(name);
        if (it == named.end()) {
            while (written.count(next_free)) ++next_free;
            param_spec p;
            p.number = next_free++;
            p.name = name;
            p.nullable = nullable;
            p.slice = slice;
            while (static_cast<int>(q.params.size()) < p.number) {
                param_spec gap;
                gap.number = static_cast<int>(q.params.size()) + 1;
                q.params.push_back(gap);
            }
            q.params[static_cast<std::size_t>(p.number - 1)] = p;
            it = named.emplace(name, p.number).first;
        } else {
            auto& p = q.params[static_cast<std::size_t>(it->second - 1)];
            p.nullable = p.nullable || nullable;
            if (p.slice != slice) fail(pos, "parameter \"" + name + "\" is used both as sqlc.slice and as a value");
        }
        return it->second;
    };
    auto emit = [&](std::string_view s) {
        out.append(s);
        probe.append(s);
    };

    std::size_t i = 0;
    while (i < in.size()) {
        std::size_t skip = skip_non_code(in, i);
        if (skip != i) {
            emit(std::string_view(in).substr(i, skip - i));
            i = skip;
            continue;
        }
        char c = in[i];
        if (c == '$' && i + 1 < in.size() && std::isdigit(static_cast<unsigned char>(in[i + 1]))) {
            std::size_t j = i + 1;
            while (j < in.size() && std::isdigit(static_cast<unsigned char>(in[j]))) ++j;
            std::string digits = in.substr(i + 1, j - i - 1);
            int n = digits.size() > 5 ? 0 : std::stoi(digits);
            if (n < 1 || n > 65535) fail(i, "parameter $" + digits + " is out of range (1 to 65535)");
            q.positional = true;
            while (static_cast<int>(q.params.size()) < n) {
                param_spec p;
                p.number = static_cast<int>(q.params.size()) + 1;
                q.params.push_back(p);
            }
            emit(std::string_view(in).substr(i, j - i));
            i = j;
            continue;
        }
        if (c == '@' && i + 1 < in.size() && is_ident_start(in[i + 1]) && (i == 0 || !is_ident_char(in[i - 1]))) {
            std::size_t j = i + 1;
            while (j < in.size() && is_ident_char(in[j])) ++j;
            int n = use_named(i, in.substr(i + 1, j - i - 1), false, false);
            emit("$" + std::to_string(n));
            i = j;
            continue;
        }
        if (iequals_at(in, i, "sqlc.") && (i == 0 || !is_ident_char(in[i - 1]))) {
            std::size_t j = i + 5;
            std::size_t fs = j;
            while (j < in.size() && is_ident_char(in[j])) ++j;
            std::string fn = in.substr(fs, j - fs);
            for (auto& ch : fn) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
            if (j >= in.size() || in[j] != '(') fail(i, "sqlc." + fn + " needs an argument in parentheses");
            std::size_t close = in.find(')', j);
            if (close == std::string::npos) fail(i, "sqlc." + fn + "( is not closed");
            std::string arg = trim(std::string_view(in).substr(j + 1, close - j - 1));
            if (arg.size() >= 2 && (arg.front() == '\'' || arg.front() == '"') && arg.back() == arg.front())
                arg = arg.substr(1, arg.size() - 2);
            if (fn == "arg" || fn == "narg") {
                int n = use_named(i, arg, fn == "narg", false);
                emit("$" + std::to_string(n));
            } else if (fn == "slice") {
                int n = use_named(i, arg, false, true);
                // `x IN (sqlc.slice(ids))` becomes `x = ANY($n)`: one array parameter.
                std::string o2 = out, p2 = probe;
                bool a = strip_trailing_in_paren(o2), b = strip_trailing_in_paren(p2);
                std::size_t after = close + 1;
                while (after < in.size() && (in[after] == ' ' || in[after] == '\t')) ++after;
                if (!a || !b || after >= in.size() || in[after] != ')')
                    fail(i, "sqlc.slice(" + arg + ") must be written as `column IN (sqlc.slice(" + arg + "))`");
                out = o2 + "= ANY($" + std::to_string(n) + ")";
                probe = p2 + "= ANY($" + std::to_string(n) + ")";
                close = after;
            } else if (fn == "embed") {
                if (arg.empty() || !std::all_of(arg.begin(), arg.end(), [](char ch) { return is_ident_char(ch); }))
                    fail(i, "sqlc.embed(" + arg + ") needs a table name or alias");
                out += arg + ".*";
                probe += "NULL AS \"pgorm_embed_" + std::to_string(q.embeds.size()) + "\", " + arg + ".*";
                q.embeds.push_back({arg});
            } else {
                fail(i, "unknown function sqlc." + fn + " (expected sqlc.arg, sqlc.narg, sqlc.slice or sqlc.embed)");
            }
            i = close + 1;
            continue;
        }
        // A whole word at once, so `$1` or `$x$` inside an identifier (a$1, t$x$) stays part of it.
        if (std::size_t j = skip_word(in, i); j != i) {
            emit(std::string_view(in).substr(i, j - i));
            i = j;
            continue;
        }
        out.push_back(c);
        probe.push_back(c);
        ++i;
    }
    q.sql = std::move(out);
    q.probe = q.embeds.empty() ? std::string() : std::move(probe);
}

/// A comment meant as a query header but not written as one: `-- name GetUser :one` (no colon),
/// `-- Name: GetUser :one`, `-- name : GetUser :one`. Read as a plain comment it would glue the
/// next query's SQL onto the previous one, so it is an error. `body` is the comment after `--`.
inline bool is_misspelt_header(std::string_view body) {
    std::istringstream words{std::string(body)};
    std::string first, word;
    words >> first;
    std::string lower;
    for (char ch : first) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower != "name" && lower != "name:") return false;
    if (first == "name:") return false;  // the right spelling
    while (words >> word)  // and a command word: plain prose ("-- name of the user") has none
        if (word.size() > 1 && word[0] == ':' && std::isalpha(static_cast<unsigned char>(word[1]))) return true;
    return false;
}

}  // namespace detail

/// Parses one query file; appends to `out`. Duplicate names across files are checked by the caller.
inline void read_query_file(const std::string& path, std::vector<query_spec>& out) {
    std::ifstream f(path);
    if (!f) throw input_error(location(path, 1) + "error: cannot read query file");
    std::string text, line;
    int n = 0;
    query_spec* cur = nullptr;
    bool in_doc = false;
    auto finish = [&] {
        if (!cur) return;
        std::string s = detail::trim(cur->original);
        // Whole-line comments after the statement (section headers before the next query) are
        // not part of it.
        for (;;) {
            auto nl = s.rfind('\n');
            std::string last = detail::trim(std::string_view(s).substr(nl == std::string::npos ? 0 : nl + 1));
            if (nl == std::string::npos || last.rfind("--", 0) != 0) break;
            s = detail::trim(std::string_view(s).substr(0, nl));
        }
        // Drop a trailing semicolon (and anything after the last one that is only whitespace).
        while (!s.empty() && s.back() == ';') s = detail::trim(std::string_view(s).substr(0, s.size() - 1));
        cur->original = s;
        if (s.empty()) throw input_error(location(path, cur->line) + "error: query " + cur->name + " has no SQL");
        detail::rewrite(*cur);
    };
    while (std::getline(f, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string t = detail::trim(line);
        // sqlc also accepts the header as a block comment on its own line: `/* name: X :one */`.
        bool block_header = t.rfind("/*", 0) == 0 && t.size() >= 4 && t.compare(t.size() - 2, 2, "*/") == 0 &&
                            detail::trim(std::string_view(t).substr(2, t.size() - 4)).rfind("name:", 0) == 0;
        if (t.rfind("--", 0) == 0 || block_header) {
            std::string body = block_header ? detail::trim(std::string_view(t).substr(2, t.size() - 4))
                                            : detail::trim(std::string_view(t).substr(2));
            if (body.rfind("name:", 0) == 0) {
                finish();
                std::istringstream words(body.substr(5));
                std::string name, cmd, extra;
                words >> name >> cmd >> extra;
                if (name.empty() || cmd.empty())
                    throw input_error(location(path, n) + "error: expected `-- name: QueryName :command` "
                                                          "(or `/* name: QueryName :command */`)");
                command c;
                if (!parse_command(cmd, c))
                    throw input_error(location(path, n) + "error: query " + name + ": unknown command \"" + cmd +
                                      "\" (expected :one, :many, :exec, :execrows, :execresult, :copyfrom, "
                                      ":batchexec, :batchone or :batchmany)");
                if (!detail::is_identifier(name))
                    throw input_error(location(path, n) + "error: query name \"" + name + "\" is not an identifier");
                out.push_back({});
                cur = &out.back();
                cur->name = name;
                cur->cmd = c;
                cur->file = path;
                cur->line = n;
                in_doc = true;
                continue;
            }
            if (detail::is_misspelt_header(body))
                throw input_error(location(path, n) + "error: this looks like a query header but is not one: "
                                                      "write `-- name: QueryName :command` (lower-case name, then a colon)");
            if (cur && in_doc) {
                cur->doc.push_back(body);
                continue;
            }
        }
        if (!cur) {
            if (!t.empty() && t.rfind("--", 0) != 0)
                throw input_error(location(path, n) + "error: SQL before the first `-- name:` line");
            continue;
        }
        if (in_doc && t.empty() && cur->original.empty()) continue;
        if (in_doc) {
            in_doc = false;
            cur->sql_line = n;
        }
        cur->original += line;
        cur->original += '\n';
    }
    if (cur && cur->sql_line == 0) cur->sql_line = cur->line + 1;
    finish();
}

/// The files an input argument names: the file itself, or a folder's *.sql files sorted by name
/// (migrations apply in that order). `kind` ("schema", "query") names the input in errors.
inline std::vector<std::string> sql_files(const std::string& input, const std::string& kind) {
    std::filesystem::path p(input);
    if (!std::filesystem::exists(p)) throw input_error(location(input, 1) + "error: " + kind + " file does not exist");
    if (!std::filesystem::is_directory(p)) return {input};
    std::vector<std::string> files;
    for (auto& e : std::filesystem::directory_iterator(p))
        if (e.path().extension() == ".sql") files.push_back(e.path().string());
    if (files.empty()) throw input_error(location(input, 1) + "error: " + kind + " folder has no .sql files");
    std::sort(files.begin(), files.end());
    return files;
}

/// Query files from files or folders, with duplicate names refused.
inline std::vector<query_spec> read_queries(const std::vector<std::string>& inputs) {
    std::vector<query_spec> all;
    for (auto& in : inputs)
        for (auto& f : sql_files(in, "query")) read_query_file(f, all);
    std::map<std::string, const query_spec*> seen;
    for (auto& q : all) {
        auto [it, fresh] = seen.emplace(q.name, &q);
        if (!fresh)
            throw input_error(location(q.file, q.line) + "error: duplicate query name " + q.name +
                              " (first defined at " + it->second->file + ":" + std::to_string(it->second->line) + ")");
    }
    return all;
}

}  // namespace pgorm_gen
