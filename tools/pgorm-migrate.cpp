// pgorm-migrate: applies, reverts and inspects the migrations of a folder, dumps the squashed
// schema, checks it against the migrations and against the schema conventions
// (pgorm/migrate/conventions.hpp).
// Usage and exit codes: `pgorm-migrate help` and docs/migrations.md.

#include <pgorm/core.hpp>
#include <pgorm/migrate.hpp>
#include <pgorm/testing/cluster.hpp>
#include <pgorm/testing/database.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace mig = pgorm::migrate;

namespace {

// Exit codes.
constexpr int exit_ok = 0;
constexpr int exit_findings = 1;  // check found violations, verify found drift, status found edited/missing files
constexpr int exit_usage = 2;     // bad command line
constexpr int exit_failed = 3;    // a migration failed, or the history does not match the files
constexpr int exit_connect = 4;   // no database configured or reachable

const char* usage_text = R"(usage: pgorm-migrate [options] COMMAND [ARG]

commands:
  new NAME          write an empty migration <next version>_NAME.sql
  up [TARGET]       apply pending migrations (up to and including TARGET)
  down [N|TARGET]   revert the last N migrations (default 1), or down to TARGET ("base": all)
  current           print the newest applied version
  history           list applied migrations in the order they were applied
  status            list every migration with its state; exit 1 if one was edited or deleted
  stamp TARGET      record the database as being at TARGET without running SQL
  dump              migrate a scratch database and write its schema to --schema (or --output)
  verify            check that --schema is exactly the dump of the migrations; exit 1 if not
  check             check --schema (or, with --live, the database) against the schema conventions

options:
  --database-url URL  the database (default: DATABASE_URL or DATABASE_HOST/PORT/NAME/USER/PASSWORD)
  --embedded          run against a throwaway embedded PostgreSQL server (for dump, verify, check)
  --dir DIR           migrations folder (default: migrations)
  --schema FILE       squashed schema file (default: schema.sql)
  --output FILE       dump destination ("-": standard output; default: --schema)
  --live              check: check the configured database itself instead of --schema
  --exempt TABLE:RULE check: switch a rule off for a table (repeatable; RULE "*" for all)
  --disable RULE      check: switch a rule off everywhere (repeatable)
  --tenant-column COL check: the column that scopes rows to a tenant, whose tables need
                      row-level security (default organization_id; "" switches the rule off)

exit codes: 0 ok, 1 findings or drift, 2 usage, 3 migration failed or history mismatch,
            4 no database
)";

struct usage_problem : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct options {
    std::string command, arg;
    std::optional<std::string> url, output;
    std::string dir = "migrations", schema = "schema.sql";
    bool embedded = false, live = false;
    mig::convention_options conventions;
};

options parse(int argc, char** argv) {
    options o;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw usage_problem("option " + a + " needs a value");
            return argv[++i];
        };
        if (a == "--database-url") o.url = value();
        else if (a == "--dir") o.dir = value();
        else if (a == "--schema") o.schema = value();
        else if (a == "--output") o.output = value();
        else if (a == "--embedded") o.embedded = true;
        else if (a == "--live") o.live = true;
        else if (a == "--disable") o.conventions.disable(value());
        else if (a == "--tenant-column") o.conventions.tenant_column = value();
        else if (a == "--exempt") {
            std::string v = value();
            auto colon = v.find(':');
            if (colon == std::string::npos) throw usage_problem("--exempt takes TABLE:RULE, got '" + v + "'");
            o.conventions.exempt(v.substr(0, colon), v.substr(colon + 1));
        } else if (a == "-h" || a == "--help") positional.insert(positional.begin(), "help");
        else if (a.starts_with("--")) throw usage_problem("unknown option " + a);
        else positional.push_back(a);
    }
    if (positional.empty()) throw usage_problem("no command given");
    o.command = positional[0];
    static const std::vector<std::string> commands{"help",   "new",   "up",   "down",   "current", "history",
                                                   "status", "stamp", "dump", "verify", "check"};
    if (std::find(commands.begin(), commands.end(), o.command) == commands.end())
        throw usage_problem("unknown command '" + o.command + "'");
    if (positional.size() > 2) throw usage_problem("too many arguments for " + o.command);
    if (positional.size() == 2) o.arg = positional[1];
    return o;
}

// A server to work on: the configured one, or a throwaway embedded cluster.
class server {
public:
    explicit server(const options& o) {
        if (o.embedded) {
            pgorm::testing::cluster_options co;
            co.force_embedded = true;
            cluster_ = std::make_unique<pgorm::testing::cluster>(co);
            cfg_ = pgorm::config::from_url(cluster_->url());
        } else {
            cfg_ = o.url ? pgorm::config::from_url(*o.url) : pgorm::config::from_env();
        }
    }
    pgorm::connection connect() { return pgorm::connection(cfg_); }

    // A database created for one command and dropped after it, on the same server.
    class scratch {
    public:
        explicit scratch(server& s) : server_(s), name_("pgorm_migrate_" + std::to_string(::getpid())) {
            auto admin = s.connect();
            pgorm::testing::drop_database(admin, name_);
            pgorm::testing::create_database(admin, name_, "template0");
        }
        ~scratch() {
            try {
                auto admin = server_.connect();
                pgorm::testing::drop_database(admin, name_);
            } catch (...) {  // nothing more to do when the server is gone
            }
        }
        scratch(const scratch&) = delete;
        scratch& operator=(const scratch&) = delete;
        pgorm::connection connect() { return pgorm::connection(server_.with_dbname(name_)); }

    private:
        server& server_;
        std::string name_;
    };

    // The configured connection settings with another database name.
    pgorm::config with_dbname(const std::string& db) const {
        char* err = nullptr;
        PQconninfoOption* opts = PQconninfoParse(cfg_.conninfo.c_str(), &err);
        if (!opts) {
            PQfreemem(err);
            throw pgorm::config_error("pgorm: cannot parse the connection settings");
        }
        std::string ci;
        auto quote = [](const std::string& v) {
            std::string q = "'";
            for (char c : v) {
                if (c == '\'' || c == '\\') q.push_back('\\');
                q.push_back(c);
            }
            return q + "'";
        };
        for (auto* o = opts; o->keyword; ++o) {
            std::string key = o->keyword;
            if (key == "dbname") continue;
            if (o->val && *o->val) ci += key + "=" + quote(o->val) + " ";
        }
        PQconninfoFree(opts);
        pgorm::config scratch = cfg_;  // every pgorm-side option (prepared statements, call_timeout) kept
        scratch.conninfo = ci + "dbname=" + quote(db);
        return scratch;
    }

private:
    std::unique_ptr<pgorm::testing::cluster> cluster_;
    pgorm::config cfg_;
};

// The dump of a scratch database that ran every migration of --dir.
std::string migrated_dump(server& s, const options& o) {
    server::scratch db(s);
    auto c = db.connect();
    mig::migrator m(c, {o.dir});
    m.up();
    return mig::dump_schema(c);
}

void require_no_argument(const options& o) {
    if (!o.arg.empty()) throw usage_problem(o.command + " takes no argument");
}

int run_help() {
    std::cout << usage_text;
    return exit_ok;
}

int run_new(const options& o) {
    if (o.arg.empty()) throw usage_problem("new needs a NAME");
    // Until its up part has a statement, the folder does not load: an empty migration cannot
    // be applied (and recorded) by accident.
    std::cout << mig::write_new_migration(o.dir, o.arg, "-- migrate:up\n\n-- migrate:down\n") << "\n";
    return exit_ok;
}

int run_dump(const options& o) {
    require_no_argument(o);
    server s(o);
    std::string dump = migrated_dump(s, o);
    std::string to = o.output.value_or(o.schema);
    if (to == "-") {
        std::cout << dump;
        return exit_ok;
    }
    std::ofstream f(to, std::ios::binary);
    if (!(f << dump)) throw mig::migration_error("pgorm: cannot write " + to);
    std::cerr << "wrote " << to << "\n";
    return exit_ok;
}

int run_verify(const options& o) {
    require_no_argument(o);
    server s(o);
    std::string dump = migrated_dump(s, o);
    std::string diff = mig::compare_schema(mig::read_file(o.schema), dump, o.schema);
    if (diff.empty()) {
        std::cout << o.schema << " matches the migrations in " << o.dir << "\n";
        return exit_ok;
    }
    std::cerr << diff << "\nrun `pgorm-migrate dump` to regenerate it\n";
    return exit_findings;
}

// The convention findings of --schema, applied to a scratch database.
std::vector<mig::finding> check_schema_file(server& s, const options& o) {
    server::scratch db(s);
    auto c = db.connect();
    std::string sql = mig::read_file(o.schema);
    try {
        c.execute_script(sql);
    } catch (const pgorm::sql_error& e) {
        throw mig::migration_error("pgorm: applying " + o.schema + " failed: " + e.what());
    }
    return mig::check_conventions(c, o.conventions);
}

int run_check(const options& o) {
    require_no_argument(o);
    server s(o);
    std::vector<mig::finding> findings;
    if (o.live) {
        auto c = s.connect();
        findings = mig::check_conventions(c, o.conventions);
    } else {
        findings = check_schema_file(s, o);
    }
    for (const auto& f : findings) std::cout << mig::to_string(f) << "\n";
    if (findings.empty()) std::cout << "no convention findings\n";
    return findings.empty() ? exit_ok : exit_findings;
}

void print_versions(const char* verb, const std::vector<std::string>& versions) {
    if (versions.empty()) std::cout << "nothing to " << verb << "\n";
    for (const auto& v : versions) std::cout << verb << " " << v << "\n";
}

// down's argument is a target ("base", a version, or version_name) or a step count (default 1).
int run_down(mig::migrator& m, const options& o) {
    bool is_target = o.arg == "base";
    for (const auto& f : m.migrations())
        if (o.arg == f.version || o.arg == f.version + "_" + f.name) is_target = true;
    if (is_target) {
        print_versions("reverted", m.down_to(o.arg));
        return exit_ok;
    }
    std::size_t steps = 1;
    if (!o.arg.empty()) {
        if (o.arg.find_first_not_of("0123456789") != std::string::npos)
            throw usage_problem("down takes a step count or a version of " + o.dir + ", got '" + o.arg + "'");
        steps = std::stoul(o.arg);
    }
    print_versions("reverted", m.down(steps));
    return exit_ok;
}

// Exit 1 when an applied migration was edited or deleted.
int run_status(mig::migrator& m) {
    bool drift = false;
    for (const auto& st : m.status()) {
        drift = drift || st.state == mig::migration_state::modified || st.state == mig::migration_state::missing;
        std::cout << st.version << "  " << mig::to_string(st.state) << "  " << st.name
                  << (st.applied_at.empty() ? "" : "  " + st.applied_at) << "\n";
    }
    return drift ? exit_findings : exit_ok;
}

// The commands that work on the configured database's migration history.
int run_migrator_command(const options& o) {
    server s(o);
    auto c = s.connect();
    mig::migrator m(c, {o.dir});
    const std::string& cmd = o.command;
    if (cmd == "up") {
        print_versions("applied", m.up(o.arg));
        return exit_ok;
    }
    if (cmd == "down") return run_down(m, o);
    if (cmd == "stamp") {
        if (o.arg.empty()) throw usage_problem(cmd + " needs a TARGET");
        m.stamp(o.arg);
        std::cout << "stamped " << o.arg << "\n";
        return exit_ok;
    }
    require_no_argument(o);
    if (cmd == "current") {
        auto v = m.current();
        std::cout << (v ? *v : std::string("base")) << "\n";
        return exit_ok;
    }
    if (cmd == "history") {
        for (const auto& a : m.history()) std::cout << a.version << "  " << a.name << "  " << a.applied_at << "\n";
        return exit_ok;
    }
    if (cmd == "status") return run_status(m);
    throw usage_problem("unknown command '" + cmd + "'");
}

int run(const options& o) {
    if (o.command == "help") return run_help();
    if (o.command == "new") return run_new(o);
    if (o.command == "dump") return run_dump(o);
    if (o.command == "verify") return run_verify(o);
    if (o.command == "check") return run_check(o);
    return run_migrator_command(o);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const usage_problem& e) {
        std::cerr << "pgorm-migrate: " << e.what() << "\n\n" << usage_text;
        return exit_usage;
    } catch (const pgorm::usage_error& e) {
        std::cerr << e.what() << "\n";
        return exit_usage;
    } catch (const pgorm::config_error& e) {
        std::cerr << e.what() << "\n";
        return exit_connect;
    } catch (const pgorm::connection_error& e) {
        std::cerr << e.what() << "\n";
        return exit_connect;
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return exit_failed;
    }
}
