#pragma once
// The knobs of a connection pool (seeds 001, 003, 004) and the counters it reports.

#include <pgorm/core/observer.hpp>

#include <pgorm/types/detail/durations.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace pgorm {

/// Default role names of tenant (row-level-security) scopes. They are the names that
/// docs/tenant-isolation.md and the example application's migrations create; pgorm itself creates
/// no role, so a schema with other names sets tenant_login::user and pool_options::tenant_role.
inline constexpr const char* default_tenant_role = "app_customer";
inline constexpr const char* default_tenant_login = "app_customer_login";

/// A second login for tenant (row-level-security) scopes: a non-owner, NOBYPASSRLS role that
/// is a member of the tenant role. Scopes on it stay under RLS even after RESET ROLE.
struct tenant_login {
    /// The login role (default default_tenant_login; must exist on the server).
    std::string user = default_tenant_login;
    std::string password;  // empty: none sent (trust, peer, or a password file)
};

/// Server-side time limits for every session of a pool (zero: leave the server's setting).
/// Sent at connect in the startup `options` parameter (`-c name=value`), so RESET ALL on return
/// keeps them; a transaction scope can tighten them with set_local_timeouts (pool/timeouts.hpp).
/// Units and errors: PostgreSQL 15 docs, 20.11.1 "Statement Behavior":
struct session_timeouts {
    /// A statement running longer is canceled: query_canceled (SQLSTATE 57014).
    std::chrono::milliseconds statement{0};
    /// Waiting longer for a lock fails the statement: lock_not_available (SQLSTATE 55P03).
    std::chrono::milliseconds lock{0};
    /// A session idle inside a transaction longer is ended by the server (FATAL 25P03): the
    /// next statement throws connection_lost and the pool replaces the connection.
    std::chrono::milliseconds idle_in_transaction{0};
};

struct pool_options {
    /// Connections opened when the pool starts and kept open while idle.
    std::size_t min_size = 0;
    /// Connections the pool keeps; also the most that stay idle.
    std::size_t max_size = 10;
    /// Extra connections opened under load beyond max_size; closed when returned.
    std::size_t max_overflow = 0;
    /// How long a checkout waits for a free connection before throwing pool_timeout.
    std::chrono::milliseconds acquire_timeout{30'000};
    /// Runs an empty statement on checkout to prove the connection works (one round trip).
    /// Without it, a cheap non-blocking socket check still catches backends that were terminated.
    bool pre_ping = false;
    /// Connections older than this are closed instead of reused (zero: no limit).
    std::chrono::milliseconds max_lifetime{0};
    /// Idle connections unused for this long are closed, down to min_size (zero: never).
    std::chrono::milliseconds idle_timeout{0};
    /// Named prepared statements; turn off behind PgBouncer in transaction mode (seed 004's
    /// statement_cache_size=0). Off here wins over config::prepared_statements.
    bool prepared_statements = true;
    /// config::call_timeout for every connection the pool opens: the longest one round trip may
    /// wait for the server before a cancel and, if it stays silent, connection_lost (a connection
    /// given up on is closed and replaced). Zero: the URL's pgorm_call_timeout (none by default).
    std::chrono::milliseconds call_timeout{0};
    /// Reset session state (RESET ALL, RESET ROLE, UNLISTEN *, advisory unlock, temp tables) on
    /// every return, not only when a connection comes back inside a transaction. The customer
    /// login's connections get more on every return: DISCARD ALL and a cleared statement cache.
    bool reset_on_return = false;
    /// The login that xact_tenant scopes use; without it xact_tenant refuses to run.
    std::optional<tenant_login> tenant;
    /// The role a tenant scope switches to with SET LOCAL ROLE; its policies do the scoping.
    /// Default default_tenant_role; must exist on the server when a tenant scope begins.
    std::string tenant_role = default_tenant_role;
    /// The RLS kit's signing key as 64 hex digits (SELECT encode(key, 'hex') FROM
    /// pgorm_rls.signing_key). Empty: the pool reads it on the admin login at the first
    /// tenant scope, which needs the admin login to be the kit's owner.
    std::string scope_signing_key_hex;
    /// How long a scope token stays valid after it is signed, checked against the server's
    /// transaction start time: it bounds how long a tenant that copied its own token could
    /// re-enter that same scope, and must exceed the clock skew between client and server.
    std::chrono::seconds scope_token_ttl{300};
    /// The read endpoint of pool::read_xact (xact/pool.hpp): a URL or key=value string of a
    /// replica, or a multi-host URL with target_session_attrs=standby / prefer-standby (libpq docs,
    /// PostgreSQL 15 section 34.1.2 "Parameter Key Words"). pgorm_prepare in it is honoured.
    /// Empty: read_xact uses the primary. Checked (config::parse) when the pool is made.
    std::string read_url;
    /// Told of every statement on every connection the pool opens (core/observer.hpp); empty:
    /// none, at no cost. The pool's connections run on many threads, so it must be safe to call
    /// from several threads at once.
    statement_observer observer;
    /// statement_timeout, lock_timeout, idle_in_transaction_session_timeout for every connection.
    session_timeouts timeouts;
    /// A background thread per pool (one more for the tenant login) that every
    /// maintenance_interval closes idle connections past idle_timeout or max_lifetime, drops idle
    /// connections whose backend is gone (a non-blocking socket check; pre_ping's round trip stays
    /// at checkout), and opens connections until min_size are open again. It runs only when there is something to
    /// keep (min_size > 0, idle_timeout or max_lifetime set), is woken and joined by
    /// close() or the pool's destructor, and never holds the pool's lock while it connects.
    /// Off: the same checks happen only at checkout, and killed connections are not replaced.
    bool background_maintenance = true;
    std::chrono::milliseconds maintenance_interval{1000};
};

/// A snapshot of a pool's counters. created - closed == in_use + idle + opening.
struct pool_stats {
    std::size_t in_use = 0;   // checked out right now
    std::size_t idle = 0;     // open and waiting in the pool
    std::size_t opening = 0;  // being connected for a checkout
    std::size_t waiting = 0;  // threads blocked in a checkout
    std::uint64_t created = 0;    // connections ever opened
    std::uint64_t closed = 0;     // connections ever closed (overflow, broken, expired, shutdown)
    std::uint64_t acquired = 0;   // successful checkouts
    std::uint64_t timeouts = 0;   // checkouts that ended in pool_timeout
    std::uint64_t replaced = 0;   // connections found broken at checkout, return or maintenance
    std::uint64_t refilled = 0;   // connections the maintainer opened to get back to min_size
};

}  // namespace pgorm
