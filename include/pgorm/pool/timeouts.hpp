#pragma once
// Tightening the server's time limits for one transaction (SET LOCAL): they end with it, so a
// pooled connection goes back with the pool's own limits (pool_options::timeouts).

#include <pgorm/core/connection.hpp>
#include <pgorm/pool/options.hpp>

#include <string>

namespace pgorm {

/// Sets statement_timeout, lock_timeout and idle_in_transaction_session_timeout for the rest of
/// the current transaction, with SET LOCAL (PostgreSQL 15 docs, "SET"; the settings, 20.11.1).
/// Zero leaves a setting as it is. `s` must be inside a transaction (an xact scope): outside
/// one SET LOCAL has no effect, so that is a usage_error; a negative time throws config_error.
/// Errors then: query_canceled (57014), lock_not_available (55P03), connection_lost after an
/// idle-in-transaction timeout (25P03).
template <scope S>
void set_local_timeouts(S& s, const session_timeouts& t) {
    connection& c = s.conn();
    if (c.transaction_status() != PQTRANS_INTRANS)
        throw usage_error("pgorm: set_local_timeouts needs an open transaction (SET LOCAL ends with it); "
                          "call it on a transaction scope, or set pool_options::timeouts for every session");
    std::string sql;
    auto add = [&](const char* name, std::chrono::milliseconds v) {
        if (v.count() < 0) throw config_error(std::string("pgorm: ") + name + " must not be negative");
        if (v.count() > 0) sql += std::string("SET LOCAL ") + name + " = " + std::to_string(v.count()) + "; ";
    };
    add("statement_timeout", t.statement);
    add("lock_timeout", t.lock);
    add("idle_in_transaction_session_timeout", t.idle_in_transaction);
    if (!sql.empty()) c.execute_script(sql);
}

}  // namespace pgorm
