#pragma once
// The schemas pgorm ships as library code, by name, for migration files: the line
//   -- migrate:install pgorm_rls
// in a file's up part stands for that schema's DDL (rls::schema_sql()), so a project's
// migrations take the kit without copying its SQL. Each schema's DDL is idempotent and
// versioned, so a later pgorm upgrades it by running it again (a new migration with the line).

#include <pgorm/detail/linkage.hpp>
#include <pgorm/xact/rls.hpp>

#include <string>
#include <string_view>

namespace pgorm::migrate {

/// The library schemas' names, for messages.
inline constexpr std::string_view library_schema_names = "pgorm_rls";

/// The DDL of the library schema `name`, or nullptr when there is none by that name.
[[nodiscard]] PGORM_DECL const std::string* find_library_schema(std::string_view name);

}  // namespace pgorm::migrate

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/migrate/impl/library_schemas.ipp>
#endif
