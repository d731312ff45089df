#pragma once
// Bodies of async/pool.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/async/pool.hpp>

namespace pgorm {
namespace detail {

PGORM_DECL void async_pool_state::release(std::unique_ptr<async_connection> c) {
    const PGTransactionStatusType status = c->transaction_status();
    const bool quiet = c->is_open() && c->pending() == 0;
    if (isolate_sessions && quiet && status != PQTRANS_ACTIVE && status != PQTRANS_UNKNOWN) {
        // The reset needs round trips, so it runs as its own coroutine; the connection stays
        // counted as open (not idle) until it is clean.
        boost::asio::co_spawn(executor, reset_then_return(shared_from_this(), std::move(c)), boost::asio::detached);
        return;
    }
    give(std::move(c), quiet && status == PQTRANS_IDLE);
}

PGORM_DECL awaitable<void> async_pool_state::reset_then_return(std::shared_ptr<async_pool_state> self,
                                                               std::unique_ptr<async_connection> c) {
    bool clean = true;
    try {
        co_await reset_tenant_session(*c);
    } catch (...) {
        clean = false;
    }
    const bool reusable = clean && c->is_open() && c->pending() == 0;
    self->give(std::move(c), reusable);
}

PGORM_DECL void async_pool_state::give(std::unique_ptr<async_connection> c, bool reusable) {
    if (!reusable) {
        c.reset();
        --stats.open;
        ++stats.discarded;
    }
    if (!waiters.empty()) {
        std::shared_ptr<waiter> w = std::move(waiters.front());
        waiters.pop_front();
        w->given = std::move(c);  // empty: a place is free, the waiter opens a connection
        w->woken = true;
        w->wake.cancel();
        return;
    }
    if (c) idle.push_back(std::move(c));
}

PGORM_DECL void async_pool_state::release_slot_to_waiter() {
    if (waiters.empty()) return;
    std::shared_ptr<waiter> w = std::move(waiters.front());
    waiters.pop_front();
    w->woken = true;
    w->wake.cancel();
}

}  // namespace detail
}  // namespace pgorm

namespace pgorm {

PGORM_DECL void async_lease::give_back() noexcept {
    if (pool_ && conn_) pool_->release(std::move(conn_));
    pool_.reset();
    conn_.reset();
}

PGORM_DECL awaitable<void> async_xact::commit() {
    check_open("commit");
    open_ = false;
    co_await conn_->execute("COMMIT");
}

PGORM_DECL awaitable<void> async_xact::rollback() {
    check_open("roll back");
    open_ = false;
    co_await conn_->execute("ROLLBACK");
}

PGORM_DECL std::string async_xact::begin_sql(const xact_options& o) {
    std::string sql = "BEGIN";
    switch (o.level) {
        case isolation::server_default: break;
        case isolation::read_committed: sql += " ISOLATION LEVEL READ COMMITTED"; break;
        case isolation::repeatable_read: sql += " ISOLATION LEVEL REPEATABLE READ"; break;
        case isolation::serializable: sql += " ISOLATION LEVEL SERIALIZABLE"; break;
    }
    if (o.read_only) sql += " READ ONLY";
    if (o.deferrable) sql += " DEFERRABLE";
    return sql;
}

PGORM_DECL async_pool::async_pool(const boost::asio::any_io_executor& ex, config cfg, async_pool_options opts)
    : state_(std::make_shared<detail::async_pool_state>()) {
    if (opts.size == 0) throw config_error("pgorm: async_pool_options::size must be at least 1");
    if (opts.acquire_timeout.count() < 0)
        throw config_error("pgorm: async_pool_options::acquire_timeout must not be negative");
    if (opts.connection.connect_timeout.count() <= 0)
        throw config_error("pgorm: async_pool_options::connection.connect_timeout must be positive");
    if (opts.tenant && opts.tenant->user.empty())
        throw config_error("pgorm: async_pool_options::tenant.user is empty: name the tenant login role");
    if (opts.tenant_role.empty()) throw config_error("pgorm: async_pool_options::tenant_role is empty");
    if (opts.scope_token_ttl.count() <= 0)
        throw config_error("pgorm: async_pool_options::scope_token_ttl must be positive");
    if (!opts.scope_signing_key_hex.empty()) key_->key = rls::signing_key::from_hex(opts.scope_signing_key_hex);
    if (opts.tenant) {
        tenant_ = std::make_shared<detail::async_pool_state>();
        tenant_->executor = ex;
        // Tenants share these sessions: no named statements (a tenant could DEALLOCATE or
        // replace one), as on the synchronous pool's tenant login.
        tenant_->cfg = detail::with_login(cfg, *opts.tenant);
        tenant_->cfg.prepared_statements = false;
        tenant_->opts = opts;
        tenant_->isolate_sessions = true;
    }
    state_->executor = ex;
    state_->cfg = std::move(cfg);
    state_->opts = std::move(opts);
}

PGORM_DECL awaitable<async_xact> async_pool::xact_tenant(std::string user_id, std::string organization_id,
                                                         xact_options o) {
    return begin_tenant(std::move(user_id), std::move(organization_id), o);
}

PGORM_DECL awaitable<rls::signing_key> async_pool::signing_key() {
    std::shared_ptr<key_cache> k = key_;
    if (k->key.empty()) {
        async_lease c = co_await acquire();
        std::string hex;
        std::string problem;
        try {
            hex = co_await c->query_value<std::string>("SELECT encode(key, 'hex') FROM pgorm_rls.signing_key");
        } catch (const undefined_table&) {
            problem =
                "tenant scopes need the RLS kit in the database: run pgorm::rls::install() or a migration "
                "with `-- migrate:install pgorm_rls` (docs/tenant-isolation.md)";
        } catch (const insufficient_privilege&) {
            problem =
                "the admin login cannot read pgorm_rls.signing_key, so it cannot sign tenant scopes: use "
                "the schema owner's login, or set async_pool_options::scope_signing_key_hex";
        } catch (const not_found&) {
            problem = "pgorm_rls.signing_key is empty: SELECT pgorm_rls.rotate_signing_key()";
        }
        if (!problem.empty()) throw usage_error("pgorm: " + problem);
        k->key = rls::signing_key::from_hex(hex);
    }
    co_return k->key;
}

PGORM_DECL async_pool_stats async_pool::stats_of(const detail::async_pool_state& st) {
    async_pool_stats s = st.stats;
    s.idle = st.idle.size();
    s.waiting = st.waiters.size();
    return s;
}

PGORM_DECL awaitable<async_lease> async_pool::acquire_from(std::shared_ptr<detail::async_pool_state> s) {
    const auto deadline = std::chrono::steady_clock::now() + s->opts.acquire_timeout;
    for (;;) {
        while (!s->idle.empty()) {
            std::unique_ptr<async_connection> c = std::move(s->idle.back());
            s->idle.pop_back();
            if (c->is_open()) co_return lease(s, std::move(c));
            --s->stats.open;  // died while idle (server restart, idle timeout on the server)
            ++s->stats.discarded;
        }
        if (s->stats.open < s->opts.size) {
            ++s->stats.open;
            auto c = std::make_unique<async_connection>(s->executor, s->cfg, s->opts.connection);
            std::exception_ptr failed;
            try {
                co_await c->connect();
                if (s->isolate_sessions) co_await detail::refuse_tenant_login_defaults(*c);
            } catch (const connection_error& e) {
                failed = s->isolate_sessions
                             ? std::make_exception_ptr(connection_error(
                                   std::string(e.what()) +
                                   "; tenant scopes connect as async_pool_options::tenant's login, which must exist "
                                   "with LOGIN as a member of the tenant role: pgorm::rls::create_tenant_roles() "
                                   "makes both (docs/tenant-isolation.md)"))
                             : std::current_exception();
            } catch (...) {
                failed = std::current_exception();
            }
            if (failed) {
                c.reset();
                --s->stats.open;
                s->release_slot_to_waiter();
                std::rethrow_exception(failed);
            }
            ++s->stats.created;
            co_return lease(s, std::move(c));
        }
        auto w = std::make_shared<detail::async_pool_state::waiter>(s->executor);
        w->wake.expires_at(deadline);
        s->waiters.push_back(w);
        boost::system::error_code ec;
        co_await w->wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (w->given) co_return lease(s, std::move(w->given));
        if (!w->woken) {  // the timer ran out
            std::erase(s->waiters, w);
            ++s->stats.timeouts;
            throw pool_timeout("pgorm: no connection free within " + std::to_string(s->opts.acquire_timeout.count()) +
                               " ms (async pool of " + std::to_string(s->opts.size) +
                               (s->isolate_sessions ? ", tenant login" : "") + ", " +
                               std::to_string(s->waiters.size()) + " other coroutine(s) waiting)");
        }
        // Woken without a connection: one was discarded, so there is room to open another.
    }
}

PGORM_DECL awaitable<async_xact> async_pool::begin_admin(xact_options o) {
    async_xact q(co_await acquire());
    co_await q.conn().execute(async_xact::begin_sql(o));
    co_return q;
}

PGORM_DECL awaitable<async_xact> async_pool::begin_tenant(std::string user_id, std::string organization_id,
                                                          xact_options o) {
    if (user_id.empty() || organization_id.empty())
        throw usage_error("pgorm: xact_tenant needs a user id and an organization id (got user_id '" + user_id +
                          "', organization_id '" + organization_id + "')");
    const std::string role = state_->opts.tenant_role;
    require_identifier_limit(role, "tenant role");
    std::shared_ptr<detail::async_pool_state> s = tenant();
    rls::signing_key key = co_await signing_key();
    async_xact q(co_await acquire_from(s));
    std::string token = rls::scope_token(key, user_id, organization_id,
                                         std::chrono::system_clock::now() + state_->opts.scope_token_ttl);
    // Two round trips: BEGIN must be sent before the scope, and only one request of a
    // coroutine is in flight at a time. On failure `q` returns its connection, whose reset
    // rolls the transaction back.
    co_await q.conn().execute(async_xact::begin_sql(o));
    co_await q.conn().execute("SELECT set_config('pgorm.scope', $1, true), set_config('role', $2, true)", token, role);
    co_return q;
}

PGORM_DECL bool async_pool::may_retry(const std::exception_ptr& e, const retry_policy& p, int attempt) {
    if (attempt >= p.max_attempts) return false;
    try {
        std::rethrow_exception(e);
    } catch (const transaction_rollback& x) {
        return detail::retryable(x);
    } catch (...) {
        return false;
    }
}

PGORM_DECL std::chrono::milliseconds async_pool::backoff(const retry_policy& p, int attempt) {
    auto cap = p.initial_backoff.count();
    for (int i = 1; i < attempt && cap < p.max_backoff.count(); ++i) cap *= 2;
    cap = std::min<std::chrono::milliseconds::rep>(cap, p.max_backoff.count());
    if (cap <= 0) return std::chrono::milliseconds(0);
    thread_local std::minstd_rand rng{std::random_device{}()};
    return std::chrono::milliseconds(std::uniform_int_distribution<std::chrono::milliseconds::rep>(0, cap)(rng));
}

PGORM_DECL async_lease async_pool::lease(const std::shared_ptr<detail::async_pool_state>& s,
                                         std::unique_ptr<async_connection> c) {
    ++s->stats.acquired;
    return async_lease(s, std::move(c));
}

}  // namespace pgorm
