#pragma once
// The session hygiene of the async pool's tenant login, the coroutine twin of the synchronous
// pool's (pool/detail/pool_core.hpp: tenant_reset_sql, refuse_login_defaults). A pipelined
// connection speaks only the extended protocol, which takes one command per statement, so the
// reset is sent as separate statements rather than one simple-query string.

#include <pgorm/detail/linkage.hpp>
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
PGORM_DECL awaitable<void> reset_tenant_session(async_connection& c);

/// Refuses a tenant login with role-level defaults (ALTER ROLE ... SET): any role may write them
/// for itself, so a tenant could reach every later session of the login. Throws usage_error
/// naming the settings; server errors as their sql_error classes.
PGORM_DECL awaitable<void> check_tenant_login_defaults(async_connection& c);

/// check_tenant_login_defaults, standing up to a statement_timeout of a few milliseconds (a
/// role-level default) that cancels the check's own statements at random (57014): retried
/// twice, then the login is refused all the same, as on the synchronous pool.
PGORM_DECL awaitable<void> refuse_tenant_login_defaults(async_connection& c);

}  // namespace pgorm::detail

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/async/detail/impl/tenant_session.ipp>
#endif
