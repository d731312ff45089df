#pragma once
// Bodies of testing/migrations_template.hpp. Included at the end of the header (header-only) or by
// <pgorm/testing/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/testing/migrations_template.hpp>
#include <pgorm/migrate/migration_file.hpp>
#include <pgorm/migrate/migrator.hpp>

namespace pgorm::testing {

PGORM_DECL database_template migrations_template(cluster& c, const std::string& dir) {
    auto files = migrate::load_migrations(dir);
    return database_template(c, "mig_" + migrate::migrations_checksum(files), [&](connection& db) {
        migrate::migrator m(db, {dir});
        m.up();
    });
}

}  // namespace pgorm::testing
