#pragma once
// The non-template part of types/string.hpp: the error of text holding a NUL byte.

#include <pgorm/types/string.hpp>

#include <cstring>
#include <string>

namespace pgorm::detail {

PGORM_DECL void throw_nul_in_text(std::string_view v, const char* what) {
    const auto* nul = static_cast<const char*>(std::memchr(v.data(), '\0', v.size()));
    throw value_out_of_range("pgorm: " + std::string(what) + " value has a NUL byte at offset " +
                             std::to_string(nul - v.data()) + " (of " + std::to_string(v.size()) +
                             " bytes); PostgreSQL text cannot store NUL, send binary data as bytea "
                             "(std::vector<std::byte>)");
}

}  // namespace pgorm::detail
