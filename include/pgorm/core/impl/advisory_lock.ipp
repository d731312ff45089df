#pragma once
// advisory_lock's out-of-line members (core/advisory_lock.hpp): unlocking.

#include <pgorm/core/advisory_lock.hpp>

#include <string>
#include <utility>

namespace pgorm {

PGORM_DECL void advisory_lock::unlock() {
    if (!conn_) throw usage_error("pgorm: advisory lock " + std::to_string(key_) + " is not held by this object");
    connection* c = std::exchange(conn_, nullptr);
    if (!c->query_value<bool>("SELECT pg_advisory_unlock($1)", key_))
        throw usage_error("pgorm: advisory lock " + std::to_string(key_) + " was not held by this session");
}

PGORM_DECL void advisory_lock::release_quietly() noexcept {
    if (!conn_) return;
    connection* c = std::exchange(conn_, nullptr);
    try {
        // In a failed transaction the unlock cannot run; the lock then lasts until the pool's
        // reset or the end of the session.
        if (c->is_open() && c->transaction_status() != PQTRANS_INERROR)
            c->execute("SELECT pg_advisory_unlock($1)", key_);
    } catch (...) {
    }
}

}  // namespace pgorm
