#pragma once
// Bodies of testing/database.hpp. Included at the end of the header (header-only) or by
// <pgorm/testing/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/testing/database.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace pgorm::testing {

namespace detail {

PGORM_DECL std::string unique_name(std::string_view prefix) {
    static std::atomic<unsigned> counter{0};
    return std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

PGORM_DECL std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

PGORM_DECL std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw config_error("pgorm: cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace detail

PGORM_DECL void create_database(connection& admin, const std::string& name, const std::string& template_name) {
    std::string sql =
        "CREATE DATABASE " + admin.quote_identifier(name) + " TEMPLATE " + admin.quote_identifier(template_name);
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

PGORM_DECL void drop_database(connection& admin, const std::string& name) {
    admin.execute_script("DROP DATABASE IF EXISTS " + admin.quote_identifier(name) + " WITH (FORCE)");
}

}  // namespace pgorm::testing

namespace pgorm::testing {

PGORM_DECL database_template::database_template(cluster& c, std::string_view key,
                                                const std::function<void(connection&)>& setup)
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

PGORM_DECL database_template database_template::from_sql_file(cluster& c, const std::string& path) {
    std::string sql = detail::read_text_file(path);
    return database_template(c, std::to_string(detail::fnv1a(sql)), [&](connection& db) {
        try {
            db.execute_script(sql);
        } catch (const sql_error& e) {
            throw config_error("pgorm: applying " + path + " failed: " + e.what());
        }
    });
}

}  // namespace pgorm::testing

namespace pgorm::testing {

PGORM_DECL scratch_database::scratch_database(const database_template& t) : scratch_database(t.server(), t.name()) {}

PGORM_DECL scratch_database::scratch_database(cluster& c, std::string template_name)
    : cluster_(&c), name_(detail::unique_name("pgorm_test")) {
    connection admin(c.url());
    create_database(admin, name_, template_name);
}

PGORM_DECL scratch_database::~scratch_database() {
    try {
        connection admin(cluster_->url());
        drop_database(admin, name_);
    } catch (...) {  // the server may already be gone at exit; nothing to keep then
    }
}

PGORM_DECL std::string scratch_database::url() const { return cluster_->url(name_); }

PGORM_DECL connection scratch_database::connect() const { return connection(url()); }

}  // namespace pgorm::testing
