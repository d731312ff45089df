#pragma once
// Per-test databases. A `database_template` is built once (schema applied, or migrations run);
// each `scratch_database` is a fresh `CREATE DATABASE ... TEMPLATE` copy of it, dropped on
// destruction, so every test case starts clean without re-running the schema.

#include <pgorm/testing/cluster.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>

#include <atomic>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace pgorm::testing {

namespace detail {
inline std::string unique_name(std::string_view prefix) {
    static std::atomic<unsigned> counter{0};
    return std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}
inline std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}
inline std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw config_error("pgorm: cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace detail

/// Creates a database on the cluster's server, retrying while its template is briefly busy
/// (SQLSTATE 55006, object_in_use: for about 5 s). Throws sql_error (by SQLSTATE, error.hpp;
/// 42P04 when `name` exists, 55006 when the template stays busy), connection_lost.
inline void create_database(connection& admin, const std::string& name, const std::string& template_name) {
    std::string sql = "CREATE DATABASE " + admin.quote_identifier(name) + " TEMPLATE " +
                      admin.quote_identifier(template_name);
    for (int attempt = 0;; ++attempt) {
        try {
            admin.execute_script(sql);
            return;
        } catch (const sql_error& e) {
            if (e.sqlstate() != "55006" || attempt >= 50) throw;  // object_in_use: someone is still connected
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

/// DROP DATABASE IF EXISTS ... WITH (FORCE): other sessions on it are terminated first.
/// Throws sql_error (by SQLSTATE, error.hpp), connection_lost.
inline void drop_database(connection& admin, const std::string& name) {
    admin.execute_script("DROP DATABASE IF EXISTS " + admin.quote_identifier(name) + " WITH (FORCE)");
}

/// A template database prepared once by `setup`, named after `key` (e.g. a hash of the schema),
/// so a server that already has it (an external DATABASE_URL server) reuses it.
class database_template {
public:
    /// Builds the template unless the server has it, under an advisory lock that serialises
    /// builders across processes. Throws connection_error when the server cannot be reached,
    /// whatever `setup` throws, sql_error (by SQLSTATE, error.hpp) from CREATE / ALTER DATABASE,
    /// connection_lost.
    database_template(cluster& c, std::string_view key, const std::function<void(connection&)>& setup)
        : cluster_(&c), name_("pgorm_tpl_" + std::string(key)) {
        connection admin(c.url());
        admin.execute_script("SELECT pg_advisory_lock(7031996)");  // serialise template builders across processes
        try {
            bool exists = admin.query_value<bool>("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name_);
            if (!exists) {
                std::string building = name_ + "_building";
                drop_database(admin, building);
                create_database(admin, building, "template0");
                {
                    connection db(c.url(building));
                    setup(db);
                }
                admin.execute_script("ALTER DATABASE " + admin.quote_identifier(building) + " RENAME TO " +
                           admin.quote_identifier(name_));
            }
        } catch (...) {
            admin.execute_script("SELECT pg_advisory_unlock(7031996)");
            throw;
        }
        admin.execute_script("SELECT pg_advisory_unlock(7031996)");
    }

    /// A template with a SQL file applied (e.g. schema.sql); keyed by the file's content.
    /// Throws config_error when the file cannot be read or its SQL fails (naming the file), else
    /// as the constructor.
    static database_template from_sql_file(cluster& c, const std::string& path) {
        std::string sql = detail::read_text_file(path);
        return database_template(c, std::to_string(detail::fnv1a(sql)), [&](connection& db) {
            try {
                db.execute_script(sql);
            } catch (const sql_error& e) {
                throw config_error("pgorm: applying " + path + " failed: " + e.what());
            }
        });
    }

    const std::string& name() const noexcept { return name_; }
    cluster& server() const noexcept { return *cluster_; }

private:
    cluster* cluster_;
    std::string name_;
};

/// A fresh database copied from a template, dropped when this object goes.
class scratch_database {
public:
    /// Creates the database (CREATE DATABASE ... TEMPLATE). Throws connection_error when the
    /// server cannot be reached, else as create_database().
    explicit scratch_database(const database_template& t) : scratch_database(t.server(), t.name()) {}
    explicit scratch_database(cluster& c, std::string template_name = "template0")
        : cluster_(&c), name_(detail::unique_name("pgorm_test")) {
        connection admin(c.url());
        create_database(admin, name_, template_name);
    }
    scratch_database(const scratch_database&) = delete;
    scratch_database& operator=(const scratch_database&) = delete;
    ~scratch_database() {
        try {
            connection admin(cluster_->url());
            drop_database(admin, name_);
        } catch (...) {  // the server may already be gone at exit; nothing to keep then
        }
    }

    const std::string& name() const noexcept { return name_; }
    std::string url() const { return cluster_->url(name_); }
    /// A new connection to this database. Throws connection_error.
    connection connect() const { return connection(url()); }

private:
    cluster* cluster_;
    std::string name_;
};

}  // namespace pgorm::testing
