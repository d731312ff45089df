#pragma once
// The session hygiene of the async pool's tenant login, the coroutine twin of the synchronous
// pool's (pool/detail/pool_core.hpp: tenant_reset_sql, refuse_login_defaults). A pipelined
// connection speaks only the extended protocol, which takes one command per statement, so the
// reset is sent as separate statements rather than one simple-query string.

#include <pgorm/async/connection.hpp>

#include <array>
#include <optional>
#include <string>

namespace pgorm::detail {

/// What DISCARD ALL drops (PostgreSQL docs, DISCARD), less DISCARD PLANS, in the order the
/// synchronous reset uses: cursors, the role (SET SESSION AUTHORIZATION DEFAULT first: RESET ALL
/// does not touch it), every setting, prepared statements, LISTENs, session advisory locks, temp
/// objects, sequence state (lastval()). The last statement takes a cancel that a
/// statement_timeout the tenant left may still fire: then the reset fails and the connection is
/// closed rather than reused.
inline constexpr std::array<const char*, 9> async_tenant_reset = {
    "CLOSE ALL",   "SET SESSION AUTHORIZATION DEFAULT", "RESET ALL",         "DEALLOCATE ALL", "UNLISTEN *",
    "SELECT pg_advisory_unlock_all()", "DISCARD TEMP", "DISCARD SEQUENCES", "SELECT 1"};

/// Rolls back whatever the tenant left open and runs async_tenant_reset on `c`. Throws what the
/// statements throw (any failure means the connection must not be reused).
inline awaitable<void> reset_tenant_session(async_connection& c) {
    if (c.transaction_status() != PQTRANS_IDLE) co_await c.execute("ROLLBACK");
    for (const char* sql : async_tenant_reset) co_await c.execute(sql);
    if (c.transaction_status() != PQTRANS_IDLE)  // a tenant cannot get here: the reset ends every block
        throw connection_lost("pgorm: a tenant session is still inside a transaction after its reset");
}

/// Refuses a tenant login with role-level defaults (ALTER ROLE ... SET): any role may write them
/// for itself, so a tenant could reach every later session of the login. Throws usage_error
/// naming the settings; server errors as their sql_error classes.
inline awaitable<void> check_tenant_login_defaults(async_connection& c) {
    co_await c.execute("BEGIN");
    co_await c.execute("SET LOCAL statement_timeout = 0");  // such defaults may hold these two
    co_await c.execute("SET LOCAL lock_timeout = 0");
    auto found = co_await c.query_value<std::optional<std::string>>(
        "SELECT string_agg(s, ', ') FROM pg_catalog.pg_db_role_setting d, unnest(d.setconfig) s "
        "WHERE d.setrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = session_user) "
        "AND d.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))");
    auto login = co_await c.query_value<std::string>("SELECT session_user::text");
    co_await c.execute("COMMIT");
    if (found)
        throw usage_error("pgorm: the tenant login " + login + " has role-level defaults (" + *found +
                          "), which a tenant can write for its own login to reach later tenants' sessions; "
                          "remove them with ALTER ROLE ... RESET ALL (and find who wrote them)");
}

/// check_tenant_login_defaults, standing up to a statement_timeout of a few milliseconds (a
/// role-level default) that cancels the check's own statements at random (57014): retried
/// twice, then the login is refused all the same, as on the synchronous pool.
inline awaitable<void> refuse_tenant_login_defaults(async_connection& c) {
    for (int attempt = 1;; ++attempt) {
        std::string canceled;
        try {
            co_await check_tenant_login_defaults(c);
            co_return;
        } catch (const query_canceled& e) {
            canceled = e.what();
        }
        if (c.transaction_status() != PQTRANS_IDLE) {
            try {
                co_await c.execute("ROLLBACK");
            } catch (const error&) {
            }
        }
        if (attempt == 3)
            throw usage_error("pgorm: the tenant login's new sessions cancel statements at once (" + canceled +
                              "): a statement_timeout of a few milliseconds, which role-level defaults a tenant can "
                              "write for its own login (ALTER ROLE ... SET statement_timeout) give; remove them with "
                              "ALTER ROLE ... RESET ALL (and find who wrote them)");
    }
}

}  // namespace pgorm::detail
