#pragma once
// The non-template part of types/codec.hpp: the wire helpers' errors.

#include <pgorm/types/codec.hpp>

#include <string>

namespace pgorm::wire {

PGORM_DECL void throw_wrong_size(std::size_t got, std::size_t n, std::string_view what) {
    throw decode_error("pgorm: " + std::string(what) + " value has " + std::to_string(got) +
                       " bytes on the wire, expected " + std::to_string(n));
}

}  // namespace pgorm::wire
