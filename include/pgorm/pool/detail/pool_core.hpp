#pragma once
// The pool's engine (users name pgorm::pool or connection_pool, never this): pool_core, the
// shared state every checkout also holds, so a checkout can outlive the pool object; pooled_slot,
// one connection with the times that retire it; and the session checks and resets a connection
// passes on its way out of and back into the pool (pool/connection_pool.hpp).
//
// pool_core itself is defined in impl/pool_core.ipp with its bodies: the public headers only hold
// it through std::shared_ptr, so with PGORM_SEPARATE_COMPILATION a translation unit that uses a
// pool never compiles the engine nor its <thread>, <mutex> and <condition_variable>.

#include <pgorm/core/connection.hpp>
#include <pgorm/detail/linkage.hpp>
#include <pgorm/pool/options.hpp>

#include <pgorm/types/detail/durations.hpp>

namespace pgorm {

namespace detail {

using pool_clock = std::chrono::steady_clock;

/// One pooled connection and the times the pool needs to retire it.
struct PGORM_ABI_TAG pooled_slot {
    explicit pooled_slot(const config& cfg) : conn(cfg) {}
    connection conn;
    pool_clock::time_point born = pool_clock::now();
    pool_clock::time_point last_used = born;
};

/// The engine behind connection_pool (impl/pool_core.ipp).
class PGORM_ABI_TAG pool_core;

/// The same settings with another user and password: parsed by libpq, rebuilt as key=value.
/// Throws config_error when libpq cannot parse cfg.conninfo.
PGORM_DECL config with_login(const config& cfg, const tenant_login& login);

/// The same settings with the pool's session_timeouts added to the startup `options` parameter
/// (after any `-c` the user's own options carry, so the pool's values win). Unchanged when every
/// timeout is zero. Throws config_error when libpq cannot parse cfg.conninfo.
/// Source: libpq docs, 34.1.2 "Parameter Key Words" (options).
PGORM_DECL config with_session_timeouts(const config& cfg, const session_timeouts& t);

/// A cheap liveness check for an idle connection, without a round trip: an idle connection has
/// nothing to read unless the server sent a notification or said goodbye (a terminated backend).
PGORM_DECL bool idle_connection_alive(connection& c) noexcept;

/// Rolls back an open transaction and drops session state a previous user may have left.
/// SET SESSION AUTHORIZATION DEFAULT comes first: RESET ALL does not touch the role.
/// False when the connection cannot be reset (it is then closed by the caller).
PGORM_DECL bool reset_session(connection& c) noexcept;

/// The reset between two tenants (tenant logins), one simple-query string, so one round trip:
/// DISCARD ALL's parts (PostgreSQL docs, DISCARD) less DISCARD PLANS, which only empties plan
/// caches (they hold no tenant data, and rebuilding them made DISCARD ALL several times dearer):
/// cursors, the role, every setting, prepared statements, LISTENs, session advisory locks, temp
/// objects, and sequence state (lastval() would show the last tenant's value). The trailing
/// SELECT 1 takes a cancel that a statement_timeout left by the tenant may still fire; if it
/// lands on an earlier part, the string fails as a whole and the connection is closed.
inline constexpr const char* tenant_reset_sql =
    "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *; "
    "SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES; SELECT 1";

/// Runs tenant_reset_sql after rolling back; pgorm's statement cache goes with the server's, so
/// no statement name a tenant touched is ever reused. False when the connection cannot be reset.
PGORM_DECL bool discard_session(connection& c) noexcept;

/// Role-level defaults (ALTER ROLE ... SET) apply to every new session of a login, and any role
/// may write them for itself: a tenant that runs RESET ROLE and then ALTER ROLE on its scope
/// would change the session of every later tenant. A tenant connection whose login carries
/// such defaults is refused, with the settings named (docs/tenant-isolation.md).
/// Throws usage_error naming the defaults, sql_error (by SQLSTATE, error.hpp), connection_lost.
PGORM_DECL void check_login_defaults(connection& c);

/// check_login_defaults, standing up to the one default that can stop the check itself: a
/// statement_timeout of a few milliseconds cancels the check's own statements at random (57014).
/// Such a session is retried twice; canceled three times, the login is refused all the same
/// (usage_error). Otherwise throws as check_login_defaults.
PGORM_DECL void refuse_login_defaults(connection& c);

}  // namespace detail

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/pool/detail/impl/pool_core.ipp>
#endif
