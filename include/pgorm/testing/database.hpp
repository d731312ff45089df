#pragma once
// Per-test databases. A `database_template` is built once (schema applied, or migrations run);
// each `scratch_database` is a fresh `CREATE DATABASE ... TEMPLATE` copy of it, dropped on
// destruction, so every test case starts clean without re-running the schema.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/testing/cluster.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>

#include <functional>

namespace pgorm::testing {

namespace detail {
PGORM_DECL std::string unique_name(std::string_view prefix);
PGORM_DECL std::uint64_t fnv1a(std::string_view s);
PGORM_DECL std::string read_text_file(const std::string& path);
}  // namespace detail

/// Creates a database on the cluster's server, retrying while its template is briefly busy
/// (SQLSTATE 55006, object_in_use: for about 5 s). Throws sql_error (by SQLSTATE, error.hpp;
/// 42P04 when `name` exists, 55006 when the template stays busy), connection_lost.
PGORM_DECL void create_database(connection& admin, const std::string& name, const std::string& template_name);

/// DROP DATABASE IF EXISTS ... WITH (FORCE): other sessions on it are terminated first.
/// Throws sql_error (by SQLSTATE, error.hpp), connection_lost.
PGORM_DECL void drop_database(connection& admin, const std::string& name);

/// A template database prepared once by `setup`, named after `key` (e.g. a hash of the schema),
/// so a server that already has it (an external DATABASE_URL server) reuses it.
class PGORM_ABI_TAG database_template {
public:
    /// Builds the template unless the server has it, under an advisory lock that serialises
    /// builders across processes. Throws connection_error when the server cannot be reached,
    /// whatever `setup` throws, sql_error (by SQLSTATE, error.hpp) from CREATE / ALTER DATABASE,
    /// connection_lost.
    database_template(cluster& c, std::string_view key, const std::function<void(connection&)>& setup);

    /// A template with a SQL file applied (e.g. schema.sql); keyed by the file's content.
    /// Throws config_error when the file cannot be read or its SQL fails (naming the file), else
    /// as the constructor.
    static database_template from_sql_file(cluster& c, const std::string& path);

    const std::string& name() const noexcept { return name_; }
    cluster& server() const noexcept { return *cluster_; }

private:
    cluster* cluster_;
    std::string name_;
};

/// A fresh database copied from a template, dropped when this object goes.
class PGORM_ABI_TAG scratch_database {
public:
    /// Creates the database (CREATE DATABASE ... TEMPLATE). Throws connection_error when the
    /// server cannot be reached, else as create_database().
    explicit scratch_database(const database_template& t);
    explicit scratch_database(cluster& c, std::string template_name = "template0");
    scratch_database(const scratch_database&) = delete;
    scratch_database& operator=(const scratch_database&) = delete;
    ~scratch_database();

    const std::string& name() const noexcept { return name_; }
    std::string url() const;
    /// A new connection to this database. Throws connection_error.
    connection connect() const;

private:
    cluster* cluster_;
    std::string name_;
};

}  // namespace pgorm::testing

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/testing/impl/database.ipp>
#endif
