#pragma once
// async_pool: a fixed-size pool of async connections for coroutines, and transactions on it.
//
//     pgorm::async_pool db{ex, pgorm::config::from_env(), {.size = 4}};
//     int n = co_await db.transact([&](pgorm::async_xact& q) -> pgorm::awaitable<int> {
//         co_await q.execute("UPDATE users SET credits_balance = credits_balance + $1 WHERE user_id = $2", 100, id);
//         co_return 1;
//     });
//
// Connections are opened on demand up to `size`; a coroutine that finds none free waits (without
// blocking its thread) until one is returned, or fails with pool_timeout after acquire_timeout.
// A connection that comes back broken, inside a transaction, or with statements still pending is
// closed instead of reused, and a waiter is told to open a fresh one.
//
// Tenant (row-level-security) scopes work as the synchronous pool's (xact/pool.hpp,
// docs/tenant-isolation.md): with async_pool_options::tenant set, the pool keeps a second set of
// connections on the tenant login, transact_tenant / xact_tenant open a transaction there with a
// signed scope token and SET LOCAL ROLE, and every tenant connection that comes back is rolled
// back and reset (detail/tenant_session.hpp) before anyone else may borrow it.
//
// Threads: the pool's state is not locked. Use it from one thread, or from coroutines that all
// run on one strand.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/async/connection.hpp>
#include <pgorm/async/detail/tenant_session.hpp>
#include <pgorm/pool/detail/pool_core.hpp>  // detail::with_login
#include <pgorm/pool/options.hpp>          // tenant_login, default_tenant_role
#include <pgorm/reflect/identifier.hpp>
#include <pgorm/xact/options.hpp>
#include <pgorm/xact/retry.hpp>  // detail::retryable, detail::check_retry_policy
#include <pgorm/xact/rls.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

struct async_pool_options {
    /// Connections the pool opens at most (each can pipeline many statements).
    std::size_t size = 10;
    /// How long acquire() waits for a free connection before throwing pool_timeout.
    std::chrono::milliseconds acquire_timeout{30'000};
    /// Per connection: how long its connect may take.
    async_options connection;
    /// The login of tenant scopes (transact_tenant, xact_tenant): a non-owner, NOBYPASSRLS role
    /// that is a member of tenant_role. Without it those calls throw usage_error. The tenant
    /// connections are a second set of up to `size`, with the same timeouts.
    std::optional<tenant_login> tenant;
    /// The role a tenant scope switches to with SET LOCAL ROLE.
    std::string tenant_role = default_tenant_role;
    /// The RLS kit's signing key as 64 hex digits; empty: read on the admin login at the first
    /// tenant scope (the admin login must then own the kit).
    std::string scope_signing_key_hex;
    /// How long a scope token is valid after signing (checked against the transaction start).
    std::chrono::seconds scope_token_ttl{300};
};

/// Counters of an async pool.
struct async_pool_stats {
    std::size_t open = 0;     // connections open or opening (in use + idle)
    std::size_t idle = 0;     // open and waiting in the pool
    std::size_t waiting = 0;  // coroutines waiting in acquire()
    std::uint64_t created = 0, discarded = 0, acquired = 0, timeouts = 0;
};

namespace detail {

struct async_pool_state : std::enable_shared_from_this<async_pool_state> {
    struct waiter {
        explicit waiter(const boost::asio::any_io_executor& ex) : wake(ex) {}
        boost::asio::steady_timer wake;
        std::unique_ptr<async_connection> given;  // set by release(); empty: try to open one
        bool woken = false;
    };

    boost::asio::any_io_executor executor;
    config cfg;
    async_pool_options opts;
    std::vector<std::unique_ptr<async_connection>> idle;
    std::deque<std::shared_ptr<waiter>> waiters;
    async_pool_stats stats;
    /// Tenant login: every returned connection is reset before reuse, new ones are checked for
    /// role-level defaults.
    bool isolate_sessions = false;

    void release(std::unique_ptr<async_connection> c);

    static awaitable<void> reset_then_return(std::shared_ptr<async_pool_state> self,
                                             std::unique_ptr<async_connection> c);

    void give(std::unique_ptr<async_connection> c, bool reusable);

    /// A connect failed and freed its place: the first waiter may try to open one itself.
    void release_slot_to_waiter();
};

}  // namespace detail

/// A connection checked out of an async_pool; returns it when destroyed. Use it like the
/// connection itself (->query, ->execute).
class async_lease {
public:
    async_lease() = default;
    async_lease(std::shared_ptr<detail::async_pool_state> pool, std::unique_ptr<async_connection> c)
        : pool_(std::move(pool)), conn_(std::move(c)) {}
    async_lease(async_lease&&) noexcept = default;
    async_lease& operator=(async_lease&& o) noexcept {
        if (this != &o) {
            give_back();
            pool_ = std::move(o.pool_);
            conn_ = std::move(o.conn_);
        }
        return *this;
    }
    ~async_lease() { give_back(); }

    async_connection& operator*() const { return conn(); }
    async_connection* operator->() const { return &conn(); }
    async_connection& conn() const {
        if (!conn_) throw usage_error("pgorm: this async_lease is empty (moved from, or already returned)");
        return *conn_;
    }
    /// Returns the connection to the pool now.
    void release() noexcept { give_back(); }

private:
    void give_back() noexcept;
    std::shared_ptr<detail::async_pool_state> pool_;
    std::unique_ptr<async_connection> conn_;
};

/// A transaction on a leased connection: statements as on async_connection. Commit and rollback
/// are done by async_pool::transact; commit()/rollback() end it early.
class async_xact : public async_statements {
public:
    explicit async_xact(async_connection& c) : async_statements(c), conn_(&c) {}
    /// A transaction that owns its checkout: the connection goes back to the pool when the
    /// xact is destroyed (a tenant connection is rolled back and reset then; an admin one still
    /// in a transaction is closed, which rolls it back).
    explicit async_xact(async_lease&& l) : async_statements(l.conn()), conn_(&l.conn()), owned_(std::move(l)) {}
    async_xact(async_xact&& o) noexcept
        : async_statements(std::move(o)), conn_(o.conn_), owned_(std::move(o.owned_)), open_(std::exchange(o.open_, false)) {}
    async_xact& operator=(async_xact&&) = delete;

    awaitable<void> commit();
    awaitable<void> rollback();
    bool is_open() const noexcept { return open_; }
    async_connection& conn() noexcept { return *conn_; }

    /// The BEGIN statement for these options.
    static std::string begin_sql(const xact_options& o);

private:
    void check_open(const char* what) const {
        if (!open_) throw usage_error(std::string("pgorm: cannot ") + what + ": this transaction has already ended");
    }
    async_connection* conn_;
    async_lease owned_;
    bool open_ = true;
};

class async_pool {
public:
    /// Throws config_error for a bad option (size 0, a negative timeout, an empty tenant user or
    /// role, a malformed scope_signing_key_hex, a non-positive scope_token_ttl).
    async_pool(const boost::asio::any_io_executor& ex, config cfg, async_pool_options opts = {});
    async_pool(const boost::asio::any_io_executor& ex, std::string_view conninfo, async_pool_options opts = {})
        : async_pool(ex, config::parse(conninfo), std::move(opts)) {}

    /// A connection of its own (admin login) until the lease is destroyed. Throws pool_timeout
    /// after acquire_timeout, connection_error when a new connection cannot be opened.
    awaitable<async_lease> acquire() { return acquire_from(state_); }

    /// A connection on the tenant login, reset since its last borrower. Run tenant work in
    /// transact_tenant / xact_tenant: a bare tenant connection has no scope and sees no rows.
    /// Throws as acquire(), usage_error without async_pool_options::tenant, and usage_error when
    /// the login carries role-level defaults (ALTER ROLE ... SET).
    awaitable<async_lease> acquire_tenant() { return acquire_from(tenant()); }

    /// Runs `f(async_xact&)` (a coroutine) in a transaction on a pooled connection: COMMIT when
    /// it returns, ROLLBACK when it throws (the exception propagates). Under options.retry, the
    /// whole function runs again after serialization_failure, deadlock_detected or
    /// stale_statement, with full-jitter backoff as the synchronous pool does (xact/options.hpp).
    /// Throws what acquire() and the statements throw.
    template <class F>
    auto transact(F f, transact_options options = {}) -> std::invoke_result_t<F&, async_xact&> {
        using A = std::invoke_result_t<F&, async_xact&>;
        return run_transaction<typename A::value_type>(std::move(f), options, std::nullopt);
    }

    /// transact() in a tenant scope: on the tenant login, the transaction sees only the rows the
    /// policies give organization `organization_id` (docs/tenant-isolation.md). Throws
    /// usage_error for an empty id, without a tenant login, or without the RLS kit; what
    /// acquire_tenant() and the statements throw.
    template <class F>
    auto transact_tenant(std::string user_id, std::string organization_id, F f, transact_options options = {})
        -> std::invoke_result_t<F&, async_xact&> {
        using A = std::invoke_result_t<F&, async_xact&>;
        return run_transaction<typename A::value_type>(std::move(f), options,
                                                       std::pair{std::move(user_id), std::move(organization_id)});
    }

    /// An open tenant transaction that owns its connection: BEGIN, then the signed scope token
    /// and SET LOCAL ROLE tenant_role (the token is a bound parameter, never in
    /// pg_stat_activity). End it with commit() or rollback(); dropped open, it is rolled back
    /// when the connection returns. Throws as transact_tenant.
    awaitable<async_xact> xact_tenant(std::string user_id, std::string organization_id, xact_options o = {});

    /// The key tenant scopes are signed with: scope_signing_key_hex, or read once on the admin
    /// login and cached. Throws usage_error when the kit is missing or its key unreadable.
    awaitable<rls::signing_key> signing_key();

    async_pool_stats stats() const { return stats_of(*state_); }
    /// The tenant login's counters; throws usage_error without a tenant login.
    async_pool_stats tenant_stats() const { return stats_of(*tenant()); }
    bool has_tenant_login() const noexcept { return tenant_ != nullptr; }
    const async_pool_options& options() const noexcept { return state_->opts; }

private:
    using tenant_ids = std::optional<std::pair<std::string, std::string>>;  // user, organization

    static async_pool_stats stats_of(const detail::async_pool_state& st);

    const std::shared_ptr<detail::async_pool_state>& tenant() const {
        if (!tenant_)
            throw usage_error("pgorm: this async pool has no tenant login: set async_pool_options::tenant to a "
                              "non-owner, NOBYPASSRLS login that is a member of '" + state_->opts.tenant_role +
                              "' (docs/tenant-isolation.md)");
        return tenant_;
    }

    static awaitable<async_lease> acquire_from(std::shared_ptr<detail::async_pool_state> s);

    awaitable<async_xact> begin_admin(xact_options o);

    awaitable<async_xact> begin_tenant(std::string user_id, std::string organization_id, xact_options o);

    template <class R, class F>
    awaitable<R> run_transaction(F f, transact_options options, tenant_ids tenant) {
        detail::check_retry_policy(options.retry);
        for (int attempt = 1;; ++attempt) {
            std::exception_ptr failed;
            {
                std::optional<async_xact> q;
                std::optional<std::conditional_t<std::is_void_v<R>, int, R>> out;
                try {
                    if (tenant) q.emplace(co_await begin_tenant(tenant->first, tenant->second, options.xact));
                    else q.emplace(co_await begin_admin(options.xact));
                    if constexpr (std::is_void_v<R>) {
                        co_await f(*q);
                        out.emplace(0);
                    } else {
                        out.emplace(co_await f(*q));
                    }
                    if (q->is_open()) co_await q->commit();
                } catch (...) {
                    failed = std::current_exception();
                }
                if (!failed) {
                    if constexpr (std::is_void_v<R>) co_return;
                    else co_return std::move(*out);
                }
                if (q && q->is_open() && q->conn().is_open()) {
                    try {
                        co_await q->rollback();
                    } catch (...) {  // a broken connection rolled back by itself; the pool drops it
                    }
                }
            }
            if (!may_retry(failed, options.retry, attempt)) std::rethrow_exception(failed);
            boost::asio::steady_timer pause(state_->executor, backoff(options.retry, attempt));
            co_await pause.async_wait(boost::asio::use_awaitable);
        }
    }

    static bool may_retry(const std::exception_ptr& e, const retry_policy& p, int attempt);
    static std::chrono::milliseconds backoff(const retry_policy& p, int attempt);
    static async_lease lease(const std::shared_ptr<detail::async_pool_state>& s, std::unique_ptr<async_connection> c);

    struct key_cache {
        rls::signing_key key;
    };
    std::shared_ptr<detail::async_pool_state> state_, tenant_;
    std::shared_ptr<key_cache> key_ = std::make_shared<key_cache>();
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/async/impl/pool.ipp>
#endif
