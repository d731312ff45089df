// pgorm-gen: typed C++ functions from sqlc-style query files, checked against a real database.
//
//   pgorm-gen --schema schema.sql --queries queries.sql --output queries.hpp --namespace app::db
//             [--database-url postgresql://...]
//   pgorm-gen --config sqlc.yaml [--database-url postgresql://...]
//
// The schema (files or folders of migrations) is applied in a transaction that is rolled back,
// on the embedded throwaway cluster by default or on --database-url. The output file is written
// only when everything succeeded (write to a temporary, then rename).

#include "config_file.hpp"
#include "emit.hpp"

#include <pgorm/testing/cluster.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr const char* usage =
    "usage: pgorm-gen --schema PATH... --queries PATH... --output FILE [--namespace NS] [--database-url URL]\n"
    "       pgorm-gen --config sqlc.yaml|sqlc.json [--database-url URL]\n"
    "  --config FILE        sqlc's version 2 configuration (docs/codegen.md, \"Configuration file\")\n"
    "  --schema PATH        schema file, or folder of migrations applied in name order (repeatable)\n"
    "  --queries PATH       sqlc-style query file, or folder of them (repeatable)\n"
    "  --output FILE        the header to write\n"
    "  --namespace NS       C++ namespace of the generated code (default: db)\n"
    "  --database-url URL   server to check against (default: an embedded throwaway cluster)\n";

struct options {
    std::vector<std::string> schema, queries;
    std::string output, ns = "db", url, config;
    std::vector<pgorm_gen::type_override> overrides;
    std::map<std::string, std::string> rename;
};

std::string base_names(const std::vector<std::string>& paths) {
    std::string s;
    for (auto& p : paths) s += (s.empty() ? "" : ", ") + std::filesystem::path(p).filename().string();
    return s;
}

/// Why `ns` cannot be the generated code's namespace, or "" when it can. Each part must be an
/// identifier that identifier() leaves alone (no keyword, library macro or reserved spelling),
/// and none may be std, pgorm or boost: the generated code names those, and a nested namespace of
/// the same name would hide them.
std::string namespace_problem(const std::string& ns) {
    std::size_t start = 0;
    while (true) {
        auto end = ns.find("::", start);
        std::string part = ns.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (part.empty()) return "it has an empty part";
        if (part == "std" || part == "pgorm" || part == "boost")
            return "\"" + part + "\" would hide the namespace the generated code uses";
        if (pgorm_gen::identifier(part) != part)
            return "\"" + part + "\" is not a usable C++ name (a keyword, a library macro, or not an identifier; "
                   "try \"" + pgorm_gen::identifier(part) + "\")";
        if (end == std::string::npos) return "";
        start = end + 2;
    }
}

int run(const options& opt) {
    auto specs = pgorm_gen::read_queries(opt.queries);
    std::optional<pgorm::testing::cluster> embedded;
    std::string url = opt.url;
    if (url.empty()) {
        pgorm::testing::cluster_options co;
        co.force_embedded = true;
        embedded.emplace(co);
        url = embedded->url();
    }
    pgorm::connection conn(url);
    pgorm_gen::analyzer db(conn.native());
    std::string text;
    try {
        db.apply_schema(opt.schema);
        auto analyzed = db.analyze(specs);
        pgorm_gen::emitter out(db, analyzed, {opt.ns, "from " + base_names(opt.queries) + " (schema: " +
                                                          base_names(opt.schema) + ")", opt.overrides, opt.rename});
        text = out.run();
    } catch (...) {
        db.rollback();
        throw;
    }
    db.rollback();

    std::filesystem::path target(opt.output), tmp(opt.output + ".tmp");
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw pgorm_gen::input_error(opt.output + ": error: cannot write the output file");
        f << text;
        if (!f.flush()) {
            std::filesystem::remove(tmp);
            throw pgorm_gen::input_error(opt.output + ": error: writing the output file failed");
        }
    }
    // Unchanged output keeps its timestamp, so dependants do not rebuild.
    std::ifstream old(target, std::ios::binary);
    if (old) {
        std::string prev((std::istreambuf_iterator<char>(old)), std::istreambuf_iterator<char>());
        if (prev == text) {
            std::filesystem::remove(tmp);
            return 0;
        }
    }
    std::filesystem::rename(tmp, target);
    return 0;
}

/// Every pgorm target of a sqlc configuration file, one after the other.
int run_config(const options& cli) {
    try {
        for (auto& t : pgorm_gen::read_config(cli.config)) {
            if (auto problem = namespace_problem(t.emit.ns); !problem.empty()) {
                std::cerr << cli.config << ": error: namespace \"" << t.emit.ns << "\" cannot be used: " << problem << "\n";
                return 1;
            }
            options opt;
            opt.schema = t.schema;
            opt.queries = t.queries;
            opt.output = t.output;
            opt.ns = t.emit.ns;
            opt.url = cli.url;
            opt.overrides = t.emit.overrides;
            opt.rename = t.emit.rename;
            std::filesystem::create_directories(std::filesystem::path(opt.output).parent_path());
            run(opt);
        }
        return 0;
    } catch (const pgorm_gen::input_error& e) {
        std::cerr << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "pgorm-gen: error: " << e.what() << "\n";
    }
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    options opt;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "pgorm-gen: " << a << " needs a value\n" << usage;
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--schema") opt.schema.push_back(value());
        else if (a == "--queries") opt.queries.push_back(value());
        else if (a == "--output" || a == "-o") opt.output = value();
        else if (a == "--namespace") opt.ns = value();
        else if (a == "--database-url") opt.url = value();
        else if (a == "--config") opt.config = value();
        else if (a == "--help" || a == "-h") {
            std::cout << usage;
            return 0;
        } else {
            std::cerr << "pgorm-gen: unknown argument " << a << "\n" << usage;
            return 2;
        }
    }
    if (!opt.config.empty()) {
        if (!opt.schema.empty() || !opt.queries.empty() || !opt.output.empty()) {
            std::cerr << "pgorm-gen: --config takes the schema, queries and output from the file; "
                         "drop --schema, --queries and --output\n" << usage;
            return 2;
        }
        return run_config(opt);
    }
    if (opt.schema.empty() || opt.queries.empty() || opt.output.empty()) {
        std::cerr << "pgorm-gen: --schema, --queries and --output are required\n" << usage;
        return 2;
    }
    if (auto problem = namespace_problem(opt.ns); !problem.empty()) {
        std::cerr << "pgorm-gen: --namespace \"" << opt.ns << "\" cannot be used: " << problem << "\n";
        return 2;
    }
    try {
        return run(opt);
    } catch (const pgorm_gen::input_error& e) {
        std::cerr << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "pgorm-gen: error: " << e.what() << "\n";
    }
    return 1;
}
