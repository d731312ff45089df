#pragma once
// Migration files (docs/migrations.md): `<version>_<name>.sql` in one folder, version made of
// digits (0001, 20240131120000), applied in version order. A file has an up part and an optional
// down part, each opened by a marker line; `-- migrate:no-transaction` runs the file outside a
// transaction (for CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE); `-- migrate:install
// pgorm_rls` stands for the DDL of a schema pgorm ships (migrate/library_schemas.hpp):
//
//   -- migrate:up
//   CREATE TABLE widgets (...);
//   -- migrate:down
//   DROP TABLE widgets;

#include <pgorm/detail/linkage.hpp>
#include <pgorm/migrate/error.hpp>
#include <pgorm/migrate/library_schemas.hpp>
#include <pgorm/migrate/sql_split.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgorm::migrate {

struct migration {
    std::string version;             // the digits before the first underscore
    std::string name;                // the rest of the file name, without .sql
    std::string path;                // as found, for messages
    std::string up, down;            // the SQL of each part
    int up_line = 0, down_line = 0;  // file line where each part's SQL starts (0: no such part)
    bool transactional = true;
    std::string checksum;  // of the whole file, line endings normalised

    /// The file name without its folder.
    [[nodiscard]] std::string file_name() const;
    [[nodiscard]] bool has_down() const noexcept { return down_line != 0; }
};

namespace detail {

PGORM_DECL std::string hex64(std::uint64_t h);

/// FNV-1a, 64 bits, over the text with CR LF read as LF: detects any edit of a file, and does
/// not fire when a checkout merely changes line endings.
[[nodiscard]] PGORM_DECL std::string content_checksum(std::string_view text);

PGORM_DECL std::string trim(std::string_view s);

PGORM_DECL bool is_blank_or_comment(std::string_view line);

}  // namespace detail

/// Parses one migration from its file name and content. Throws migration_error naming the file.
[[nodiscard]] PGORM_DECL migration parse_migration(const std::string& path, std::string_view text);

[[nodiscard]] PGORM_DECL std::string read_file(const std::string& path);

/// Orders versions as numbers: "0002" < "10"; "0001" and "1" are the same version.
PGORM_DECL bool version_less(const std::string& a, const std::string& b);
PGORM_DECL bool same_version(const std::string& a, const std::string& b);

/// Every *.sql file in `dir`, parsed and ordered by version (numerically). Throws when the folder
/// is missing or two files share a version.
[[nodiscard]] PGORM_DECL std::vector<migration> load_migrations(const std::string& dir);

/// One checksum over a whole folder's migrations (a template database is keyed by it).
[[nodiscard]] PGORM_DECL std::string migrations_checksum(const std::vector<migration>& ms);

}  // namespace pgorm::migrate

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/migrate/impl/migration_file.ipp>
#endif
