#pragma once
// The non-template part of core/observer.hpp: telling an observer, whatever it throws.

#include <pgorm/core/observer.hpp>

namespace pgorm::detail {

PGORM_DECL void notify(const statement_observer& o, const statement_event& e) noexcept {
    try {
        o(e);
    } catch (...) {  // an observer must not alter the statement's outcome
    }
}

}  // namespace pgorm::detail
