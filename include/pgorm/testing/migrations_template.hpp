#pragma once
// A template database built by running a migrations folder, keyed by the checksum of the
// migration files: it is built once per migration state (per server), not once per test, and
// every scratch_database copied from it starts at the newest version.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/testing/database.hpp>

#include <string>

namespace pgorm::testing {

/// The template for the migrations in `dir` (built once per set of files: keyed by their checksum).
/// Throws migrate::migration_failed when one fails, migrate::migration_error for a bad folder,
/// and what database_template's constructor throws.
PGORM_DECL database_template migrations_template(cluster& c, const std::string& dir);

}  // namespace pgorm::testing

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/testing/impl/migrations_template.ipp>
#endif
