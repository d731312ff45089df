#pragma once
// Bodies of queue/install.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/queue/install.hpp>

namespace pgorm::queue {
namespace detail {

PGORM_DECL versioned_step install_versioned(connection& c, std::string_view version_table, int version,
                                            std::string_view sql) {
    versioned_step r;
    if (c.query_value<bool>("SELECT to_regclass($1) IS NOT NULL", version_table))
        r.found = c.query_value<std::optional<int>>("SELECT max(version) FROM " + std::string(version_table));
    if (!r.found || *r.found < version) {
        c.execute_script(sql);
        r.ran = true;
    }
    return r;
}

}  // namespace detail
}  // namespace pgorm::queue
