#pragma once
// pgorm::pool: the connection pool with transaction scopes on top (DESIGN.md's sketch). It lives
// in xact/ because the scopes it hands out are xacts; the pool mechanics are connection_pool.
// The non-template bodies are in impl/pool.ipp.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/xact/retry.hpp>
#include <pgorm/xact/rls.hpp>
#include <pgorm/xact/xact.hpp>

#include <pgorm/types/detail/durations.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace pgorm {

class PGORM_ABI_TAG pool : public connection_pool {
public:
    using connection_pool::connection_pool;

    /// A transaction on a checkout the scope owns (admin login: the schema owner, no RLS).
    /// Throws as acquire() (pool_timeout, connection_error), then as BEGIN does: sql_error (by
    /// SQLSTATE, error.hpp), connection_lost.
    pgorm::xact xact(xact_options o = {});
    /// xact(): the same scope, named for what it is beside xact_tenant(). Throws as xact().
    pgorm::xact xact_admin(xact_options o = {}) { return xact(o); }

    /// A transaction that sees only one organization's rows, on the tenant login, scoped by a
    /// signed token (xact/rls.hpp; docs/tenant-isolation.md). The first call reads the signing
    /// key on the admin login unless pool_options::scope_signing_key_hex gives it. Throws
    /// usage_error without a tenant login or the RLS kit, pool_timeout, and server errors.
    pgorm::xact xact_tenant(std::string_view user_id, std::string_view organization_id, xact_options o = {});

    /// A READ ONLY transaction on the read endpoint (pool_options::read_url: a replica), or on
    /// the primary when no read endpoint is set. The replica may lag behind the primary: for
    /// read-your-writes use read_xact_after. A write in it throws read_only_sql_transaction
    /// (SQLSTATE 25006). The read endpoint has its own connections (same sizes and timeouts as
    /// this pool, opened on first use). Throws pool_timeout, connection_error, server errors.
    pgorm::xact read_xact(xact_options o = {});

    /// read_xact on a replica that has replayed the primary's WAL at least up to `lsn` (a
    /// pg_lsn such as "0/3000148", from write_lsn() after the write committed). Polls
    /// pg_last_wal_replay_lsn() on the read connection every few milliseconds (PostgreSQL 15
    /// docs, 9.27.4 "Recovery Control Functions"); a server not in recovery (the primary, a
    /// promoted replica) counts as caught up. Throws replica_lag_timeout after `timeout`,
    /// data_exception for a malformed lsn, and what read_xact throws.
    pgorm::xact read_xact_after(std::string_view lsn, std::chrono::milliseconds timeout, xact_options o = {});

    /// The primary's WAL insert position now, as pg_lsn text: called after a commit, it is at or
    /// past that commit's record, so read_xact_after(write_lsn(), ...) sees the commit.
    /// pg_current_wal_insert_lsn() rather than pg_current_wal_lsn(): with synchronous_commit = off
    /// the commit record may be inserted but not yet written (PostgreSQL 15 docs, 9.27.3).
    /// Throws as acquire(), sql_error (by SQLSTATE, error.hpp), connection_lost.
    std::string write_lsn();

    /// Runs f(xact&) in a transaction: commit on return, rollback and rethrow on an exception.
    /// With transact_options::retry, a serialization_failure, deadlock_detected or stale_statement
    /// runs f again (up to max_attempts); the last one is rethrown. Throws what f throws, as
    /// acquire() and xact(), config_error for a bad retry_policy, and the server's error at COMMIT
    /// (sql_error by SQLSTATE, error.hpp), connection_lost.
    template <class F>
    auto transact(F&& f) {
        return transact(transact_options{}, std::forward<F>(f));
    }
    template <class F>
    auto transact(const transact_options& o, F&& f) {
        auto h = acquire();  // one checkout for every attempt
        return run_transaction(o.retry, [&] { return pgorm::xact(h.conn(), o.xact); }, f);
    }

    /// transact() in a tenant scope. Throws as transact() and xact_tenant().
    template <class F>
    auto transact_tenant(std::string_view user_id, std::string_view organization_id, F&& f) {
        return transact_tenant(user_id, organization_id, transact_options{}, std::forward<F>(f));
    }
    template <class F>
    auto transact_tenant(std::string_view user_id, std::string_view organization_id, const transact_options& o,
                           F&& f) {
        return run_transaction(o.retry, [&] { return xact_tenant(user_id, organization_id, o.xact); }, f);
    }

    /// The key tenant scopes are signed with (read once, then cached for the pool's life).
    /// Throws config_error for a malformed pool_options::scope_signing_key_hex; reading it from
    /// the server throws as acquire(), usage_error when the RLS kit is not installed, sql_error
    /// (by SQLSTATE, error.hpp), connection_lost.
    const rls::signing_key& signing_key();

private:
    // The read endpoint's pool and the signing key, each made once under its own lock; defined
    // in impl/pool.ipp so that this header needs no <mutex>. Shared, so a moved pool keeps them.
    struct lazy_state;
    static std::shared_ptr<lazy_state> make_lazy_state();

    connection_pool& reader();
    static void wait_for_replay(connection& c, std::string_view lsn, std::chrono::milliseconds timeout);

    std::shared_ptr<lazy_state> lazy_ = make_lazy_state();
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/xact/impl/pool.ipp>
#endif
