#pragma once
// A template database built by running a migrations folder, keyed by the checksum of the
// migration files: it is built once per migration state (per server), not once per test, and
// every scratch_database copied from it starts at the newest version.

#include <pgorm/migrate/migration_file.hpp>
#include <pgorm/migrate/migrator.hpp>
#include <pgorm/testing/database.hpp>

#include <string>

namespace pgorm::testing {

/// The template for the migrations in `dir` (built once per set of files: keyed by their checksum).
/// Throws migrate::migration_failed when one fails, migrate::migration_error for a bad folder,
/// and what database_template's constructor throws.
inline database_template migrations_template(cluster& c, const std::string& dir) {
    auto files = migrate::load_migrations(dir);
    return database_template(c, "mig_" + migrate::migrations_checksum(files), [&](connection& db) {
        migrate::migrator m(db, {dir});
        m.up();
    });
}

}  // namespace pgorm::testing
