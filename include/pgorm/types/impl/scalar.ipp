#pragma once
// The non-template part of types/scalar.hpp: the error of an integer that does not fit.

#include <pgorm/types/scalar.hpp>

#include <string>

namespace pgorm::detail {

PGORM_DECL void throw_int_out_of_range(std::int64_t v, std::string_view type) {
    throw value_out_of_range("pgorm: value " + std::to_string(v) + " does not fit in " + std::string(type));
}

}  // namespace pgorm::detail
