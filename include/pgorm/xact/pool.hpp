#pragma once
// pgorm::pool: the connection pool with transaction scopes on top (DESIGN.md's sketch). It lives
// in xact/ because the scopes it hands out are xacts; the pool mechanics are connection_pool.

#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/xact/retry.hpp>
#include <pgorm/xact/rls.hpp>
#include <pgorm/xact/xact.hpp>

#include <pgorm/types/detail/durations.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace pgorm {

class pool : public connection_pool {
public:
    using connection_pool::connection_pool;

    /// A transaction on a checkout the scope owns (admin login: the schema owner, no RLS).
    /// Throws as acquire() (pool_timeout, connection_error), then as BEGIN does: sql_error (by
    /// SQLSTATE, error.hpp), connection_lost.
    pgorm::xact xact(xact_options o = {}) { return pgorm::xact(acquire(), o); }
    /// xact(): the same scope, named for what it is beside xact_tenant(). Throws as xact().
    pgorm::xact xact_admin(xact_options o = {}) { return xact(o); }

    /// A transaction that sees only one organization's rows, on the tenant login, scoped by a
    /// signed token (xact/rls.hpp; docs/tenant-isolation.md). The first call reads the signing
    /// key on the admin login unless pool_options::scope_signing_key_hex gives it. Throws
    /// usage_error without a tenant login or the RLS kit, pool_timeout, and server errors.
    pgorm::xact xact_tenant(std::string_view user_id, std::string_view organization_id, xact_options o = {}) {
        auto h = acquire_tenant();
        const rls::signing_key& key = signing_key();
        auto ttl = options().scope_token_ttl;
        return pgorm::xact::tenant(std::move(h), key, user_id, organization_id, options().tenant_role, o,
                                     std::chrono::system_clock::now() + ttl);
    }

    /// A READ ONLY transaction on the read endpoint (pool_options::read_url: a replica), or on
    /// the primary when no read endpoint is set. The replica may lag behind the primary: for
    /// read-your-writes use read_xact_after. A write in it throws read_only_sql_transaction
    /// (SQLSTATE 25006). The read endpoint has its own connections (same sizes and timeouts as
    /// this pool, opened on first use). Throws pool_timeout, connection_error, server errors.
    pgorm::xact read_xact(xact_options o = {}) {
        o.read_only = true;
        return pgorm::xact(reader().acquire(), o);
    }

    /// read_xact on a replica that has replayed the primary's WAL at least up to `lsn` (a
    /// pg_lsn such as "0/3000148", from write_lsn() after the write committed). Polls
    /// pg_last_wal_replay_lsn() on the read connection every few milliseconds (PostgreSQL 15
    /// docs, 9.27.4 "Recovery Control Functions"); a server not in recovery (the primary, a
    /// promoted replica) counts as caught up. Throws replica_lag_timeout after `timeout`,
    /// data_exception for a malformed lsn, and what read_xact throws.
    pgorm::xact read_xact_after(std::string_view lsn, std::chrono::milliseconds timeout, xact_options o = {}) {
        auto h = reader().acquire();
        wait_for_replay(h.conn(), lsn, timeout);
        o.read_only = true;
        return pgorm::xact(std::move(h), o);
    }

    /// The primary's WAL insert position now, as pg_lsn text: called after a commit, it is at or
    /// past that commit's record, so read_xact_after(write_lsn(), ...) sees the commit.
    /// pg_current_wal_insert_lsn() rather than pg_current_wal_lsn(): with synchronous_commit = off
    /// the commit record may be inserted but not yet written (PostgreSQL 15 docs, 9.27.3).
    /// Throws as acquire(), sql_error (by SQLSTATE, error.hpp), connection_lost.
    std::string write_lsn() {
        auto h = acquire();
        return h.conn().query_value<std::string>("SELECT pg_catalog.pg_current_wal_insert_lsn()::text");
    }

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
    const rls::signing_key& signing_key() {
        std::lock_guard lk(key_->mutex);
        if (key_->key.empty()) {
            const std::string& hex = options().scope_signing_key_hex;
            if (!hex.empty()) {
                key_->key = rls::signing_key::from_hex(hex);
            } else {
                auto h = acquire();
                key_->key = rls::fetch_signing_key(h.conn());
            }
        }
        return key_->key;
    }

private:
    connection_pool& reader() {
        if (options().read_url.empty()) return *this;
        std::lock_guard lk(read_->mutex);
        if (!read_->endpoint) {
            pool_options o = options();
            o.read_url.clear();
            o.tenant.reset();  // tenant scopes stay on the primary's pools
            read_->endpoint = std::make_unique<connection_pool>(config::parse(options().read_url), std::move(o));
        }
        return *read_->endpoint;
    }

    static void wait_for_replay(connection& c, std::string_view lsn, std::chrono::milliseconds timeout) {
        const auto start = std::chrono::steady_clock::now();
        std::string target(lsn);
        for (;;) {
            auto caught_up = c.query_value<bool>(
                "SELECT coalesce(pg_catalog.pg_last_wal_replay_lsn() >= $1::pg_lsn, true)", target);
            if (caught_up) return;
            auto waited = std::chrono::steady_clock::now() - start;
            if (waited >= timeout) {
                auto at = c.query_value<std::optional<std::string>>("SELECT pg_catalog.pg_last_wal_replay_lsn()::text");
                throw replica_lag_timeout(
                    "pgorm: the read endpoint " + c.settings().redacted() + " has replayed WAL up to " +
                    at.value_or("(none)") + ", not yet " + target + ", after waiting " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()) +
                    " ms (replica lag; raise the timeout or read from the primary with xact())");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }

    struct read_endpoint {
        std::mutex mutex;
        std::unique_ptr<connection_pool> endpoint;
    };
    std::shared_ptr<read_endpoint> read_ = std::make_shared<read_endpoint>();

    struct key_cache {
        std::mutex mutex;
        rls::signing_key key;
    };
    std::shared_ptr<key_cache> key_ = std::make_shared<key_cache>();
};

}  // namespace pgorm
