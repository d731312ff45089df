#pragma once
// Bodies of migrate/library_schemas.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/migrate/library_schemas.hpp>

namespace pgorm::migrate {

PGORM_DECL const std::string* find_library_schema(std::string_view name) {
    if (name == "pgorm_rls") return &rls::schema_sql();
    return nullptr;
}

}  // namespace pgorm::migrate
