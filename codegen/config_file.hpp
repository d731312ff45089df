#pragma once
// `pgorm-gen --config sqlc.yaml` (or sqlc.json): sqlc's version 2 configuration file
// (https://docs.sqlc.dev/en/latest/reference/config.html), PostgreSQL engine only. YAML is read
// with yaml-cpp and turned into the same JSON tree Boost.JSON gives for sqlc.json, so one reader
// checks both. pgorm's own settings live in `gen.pgorm` (or a `codegen` entry whose plugin is
// pgorm, with them under `options`); the other generators' sections are left alone. Every error
// names the file and the path of the bad key, e.g. `sqlc.yaml: error: sql[0].engine: ...`.

#include "emit.hpp"

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace pgorm_gen {

/// One `sql` entry that pgorm generates a header for. Paths are already resolved against the
/// configuration file's folder.
struct config_target {
    std::vector<std::string> schema, queries;
    std::string output;  // out/header
    emit_options emit;
};

namespace detail::config {

inline boost::json::value from_yaml(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map: {
            boost::json::object o;
            for (const auto& kv : n) o[kv.first.as<std::string>()] = from_yaml(kv.second);
            return o;
        }
        case YAML::NodeType::Sequence: {
            boost::json::array a;
            for (const auto& x : n) a.push_back(from_yaml(x));
            return a;
        }
        case YAML::NodeType::Scalar: return boost::json::string(n.Scalar());  // typed on use
        default: return nullptr;
    }
}

/// Reads one file into a JSON tree: by extension, .json with Boost.JSON, anything else as YAML.
inline boost::json::value read_tree(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw input_error(file + ": error: cannot read the configuration file");
    std::stringstream ss;
    ss << in.rdbuf();
    if (std::filesystem::path(file).extension() == ".json") {
        boost::system::error_code ec;
        auto v = boost::json::parse(ss.str(), ec);
        if (ec) throw input_error(file + ": error: not valid JSON: " + ec.message());
        return v;
    }
    try {
        return from_yaml(YAML::Load(ss.str()));
    } catch (const YAML::Exception& e) {
        throw input_error(file + ": error: not valid YAML: " + e.what());
    }
}

/// Checks and reads values, naming `file` and the key's path in every error.
struct reader {
    std::string file;

    [[noreturn]] void fail(const std::string& path, const std::string& why) const {
        throw input_error(file + ": error: " + path + ": " + why);
    }
    const boost::json::object& object(const boost::json::value& v, const std::string& path) const {
        if (!v.is_object()) fail(path, "must be a mapping of keys to values");
        return v.as_object();
    }
    std::string text(const boost::json::value& v, const std::string& path) const {
        if (v.is_string()) return std::string(v.as_string());
        if (v.is_int64()) return std::to_string(v.as_int64());
        fail(path, "must be a string");
    }
    bool boolean(const boost::json::value& v, const std::string& path) const {
        if (v.is_bool()) return v.as_bool();
        if (v.is_string() && (v.as_string() == "true" || v.as_string() == "false")) return v.as_string() == "true";
        fail(path, "must be true or false");
    }
    /// sqlc's `schema` and `queries`: one path or a list of them.
    std::vector<std::string> paths(const boost::json::value& v, const std::string& path) const {
        std::vector<std::string> out;
        if (v.is_array()) {
            for (std::size_t i = 0; i < v.as_array().size(); ++i)
                out.push_back(text(v.as_array()[i], path + "[" + std::to_string(i) + "]"));
        } else {
            out.push_back(text(v, path));
        }
        if (out.empty()) fail(path, "lists no file");
        return out;
    }
    void only_keys(const boost::json::object& o, const std::string& path, const std::set<std::string>& known,
                   const std::string& hint = "") const {
        for (const auto& kv : o)
            if (!known.count(std::string(kv.key())))
                fail(path + (path.empty() ? "" : ".") + std::string(kv.key()),
                     "unknown key" + (hint.empty() ? std::string() : " (" + hint + ")"));
    }
};

/// `overrides` (a list) and `rename` (a mapping) of a pgorm section, appended to `emit`.
inline void read_overrides(const reader& r, const boost::json::object& o, const std::string& path,
                           emit_options& emit) {
    if (auto* list = o.if_contains("overrides")) {
        if (!list->is_array()) r.fail(path + ".overrides", "must be a list");
        for (std::size_t i = 0; i < list->as_array().size(); ++i) {
            std::string at = path + ".overrides[" + std::to_string(i) + "]";
            const auto& ov = r.object(list->as_array()[i], at);
            r.only_keys(ov, at, {"db_type", "column", "cpp_type", "nullable", "include"},
                        "an override has db_type or column, cpp_type, and optionally nullable and include");
            type_override t;
            if (auto* v = ov.if_contains("db_type")) t.db_type = r.text(*v, at + ".db_type");
            if (auto* v = ov.if_contains("column")) t.column = r.text(*v, at + ".column");
            if (t.db_type.empty() == t.column.empty())
                r.fail(at, "needs exactly one of db_type (a PostgreSQL type) and column (table.column)");
            if (!t.column.empty() && std::count(t.column.begin(), t.column.end(), '.') != 1)
                r.fail(at + ".column", "\"" + t.column + "\" must be written table.column");
            auto* cpp = ov.if_contains("cpp_type");
            if (!cpp) r.fail(at, "needs cpp_type: the C++ type (with a pgorm codec) to use");
            t.cpp_type = r.text(*cpp, at + ".cpp_type");
            if (t.cpp_type.empty() || t.cpp_type.find_first_of(";{}\n\"") != std::string::npos)
                r.fail(at + ".cpp_type", "\"" + t.cpp_type + "\" is not a C++ type name");
            if (auto* v = ov.if_contains("nullable")) t.nullable = r.boolean(*v, at + ".nullable");
            if (t.nullable && !t.column.empty())
                r.fail(at + ".nullable", "applies to db_type overrides only (a column's nullability is the column's)");
            if (auto* v = ov.if_contains("include")) t.include = r.text(*v, at + ".include");
            if (t.include.find_first_of("\"\n") != std::string::npos)
                r.fail(at + ".include", "\"" + t.include + "\" is not a header name");
            emit.overrides.push_back(t);
        }
    }
    if (auto* ren = o.if_contains("rename")) {
        for (const auto& kv : r.object(*ren, path + ".rename")) {
            std::string at = path + ".rename." + std::string(kv.key());
            std::string name = r.text(kv.value(), at);
            if (identifier(name) != name)
                r.fail(at, "\"" + name + "\" is not a usable C++ name (try \"" + identifier(name) + "\")");
            emit.rename[std::string(kv.key())] = name;
        }
    }
}

}  // namespace detail::config

/// Reads a sqlc version 2 configuration: one target per `sql` entry with a pgorm section.
/// Throws input_error naming the file and the bad key.
inline std::vector<config_target> read_config(const std::string& file) {
    using namespace detail::config;
    reader r{file};
    const auto tree = read_tree(file);
    const auto& top = r.object(tree, "(top level)");
    auto* version = top.if_contains("version");
    if (!version) r.fail("version", "missing: pgorm-gen reads sqlc's version \"2\" configuration");
    if (r.text(*version, "version") != "2")
        r.fail("version", "\"" + r.text(*version, "version") + "\" is not supported: pgorm-gen reads version \"2\"");
    r.only_keys(top, "", {"version", "project", "cloud", "sql", "overrides", "plugins", "rules", "options", "servers"});
    emit_options global;
    if (auto* ov = top.if_contains("overrides")) {
        const auto& o = r.object(*ov, "overrides");
        if (auto* p = o.if_contains("pgorm")) {
            const auto& po = r.object(*p, "overrides.pgorm");
            r.only_keys(po, "overrides.pgorm", {"overrides", "rename"});
            read_overrides(r, po, "overrides.pgorm", global);
        }
    }
    auto* sql = top.if_contains("sql");
    if (!sql || !sql->is_array() || sql->as_array().empty()) r.fail("sql", "missing: a list of {engine, schema, queries, gen}");

    const auto folder = std::filesystem::path(file).parent_path();
    auto resolve = [&](const std::string& p) { return (folder / p).lexically_normal().string(); };
    std::vector<config_target> targets;
    for (std::size_t i = 0; i < sql->as_array().size(); ++i) {
        std::string at = "sql[" + std::to_string(i) + "]";
        const auto& e = r.object(sql->as_array()[i], at);
        r.only_keys(e, at, {"name", "engine", "schema", "queries", "gen", "codegen", "database", "rules",
                            "strict_function_checks", "strict_order_by", "analyzer"});
        auto* engine = e.if_contains("engine");
        if (!engine) r.fail(at + ".engine", "missing (pgorm-gen reads the postgresql engine)");
        if (r.text(*engine, at + ".engine") != "postgresql")
            r.fail(at + ".engine", "\"" + r.text(*engine, at + ".engine") + "\" is not supported: pgorm-gen reads postgresql");

        // pgorm's settings: gen.pgorm, or codegen[] {plugin: pgorm, out, options}.
        const boost::json::object* settings = nullptr;
        std::string settings_at, out;
        if (auto* gen = e.if_contains("gen"))
            if (auto* p = r.object(*gen, at + ".gen").if_contains("pgorm")) {
                settings_at = at + ".gen.pgorm";
                settings = &r.object(*p, settings_at);
                r.only_keys(*settings, settings_at, {"out", "namespace", "header", "overrides", "rename"});
                if (auto* o = settings->if_contains("out")) out = r.text(*o, settings_at + ".out");
            }
        if (auto* cg = e.if_contains("codegen")) {
            if (!cg->is_array()) r.fail(at + ".codegen", "must be a list");
            for (std::size_t k = 0; k < cg->as_array().size(); ++k) {
                std::string cat = at + ".codegen[" + std::to_string(k) + "]";
                const auto& c = r.object(cg->as_array()[k], cat);
                auto* plugin = c.if_contains("plugin");
                if (!plugin || r.text(*plugin, cat + ".plugin") != "pgorm") continue;
                if (settings) r.fail(cat, "a second pgorm section for this sql entry");
                r.only_keys(c, cat, {"plugin", "out", "options"});
                if (auto* o = c.if_contains("out")) out = r.text(*o, cat + ".out");
                static const boost::json::object no_options;
                settings_at = cat + ".options";
                settings = c.if_contains("options") ? &r.object(c.at("options"), settings_at) : &no_options;
                r.only_keys(*settings, settings_at, {"namespace", "header", "overrides", "rename"});
            }
        }
        if (!settings) continue;  // an entry for another generator only

        config_target t;
        auto* schema = e.if_contains("schema");
        if (!schema) r.fail(at + ".schema", "missing: the schema file or migrations folder");
        auto* queries = e.if_contains("queries");
        if (!queries) r.fail(at + ".queries", "missing: the query file or folder");
        for (auto& p : r.paths(*schema, at + ".schema")) t.schema.push_back(resolve(p));
        for (auto& p : r.paths(*queries, at + ".queries")) t.queries.push_back(resolve(p));
        if (out.empty()) r.fail(settings_at.substr(0, settings_at.rfind(".options")) + ".out", "missing: the output folder");
        std::string header = "queries.hpp";
        if (auto* h = settings->if_contains("header")) header = r.text(*h, settings_at + ".header");
        if (header.empty() || header.find('/') != std::string::npos)
            r.fail(settings_at + ".header", "\"" + header + "\" must be a file name (the folder is `out`)");
        t.output = (folder / out / header).lexically_normal().string();
        if (auto* ns = settings->if_contains("namespace")) t.emit.ns = r.text(*ns, settings_at + ".namespace");
        emit_options own;
        read_overrides(r, *settings, settings_at, own);
        // The entry's own overrides are tried first (the first match wins), then the global ones.
        t.emit.overrides = own.overrides;
        t.emit.overrides.insert(t.emit.overrides.end(), global.overrides.begin(), global.overrides.end());
        t.emit.rename = global.rename;
        for (auto& [k, v] : own.rename) t.emit.rename[k] = v;
        targets.push_back(std::move(t));
    }
    if (targets.empty())
        r.fail("sql", "no entry has a gen.pgorm section (or a codegen entry with plugin: pgorm), so there is nothing to write");
    return targets;
}

}  // namespace pgorm_gen
