#pragma once
// connection_pool: a thread-safe pool of connections, and pooled_connection, the RAII checkout.
//
// The pool's state lives in a shared core that every checkout also holds, so a checkout can
// outlive the pool object: its connection is then closed when it is returned, never dangling.
// Connections are checked for life on checkout (a non-blocking socket check always, a round trip
// with pre_ping), and anything that comes back inside a transaction is rolled back and reset.
// A background maintainer (pool_options::background_maintenance) retires idle connections that
// expired or whose backend went away and opens new ones until min_size are open again.
// The engine behind both is pool/detail/pool_core.hpp.

#include <pgorm/core/connection.hpp>
#include <pgorm/pool/detail/pool_core.hpp>
#include <pgorm/pool/options.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace pgorm {

/// A connection checked out of a pool; returned when this handle is destroyed or released.
/// A handle holds at most one connection, so it cannot be returned twice; after release() or a
/// move, using it throws usage_error.
/// [[nodiscard]]: a dropped checkout goes straight back to the pool.
class [[nodiscard]] pooled_connection {
public:
    pooled_connection() = default;
    pooled_connection(std::shared_ptr<detail::pool_core> core, std::unique_ptr<detail::pooled_slot> slot) noexcept
        : core_(std::move(core)), slot_(std::move(slot)) {}
    pooled_connection(pooled_connection&&) noexcept = default;
    pooled_connection& operator=(pooled_connection&& o) noexcept {
        if (this != &o) {
            release();
            core_ = std::move(o.core_);
            slot_ = std::move(o.slot_);
        }
        return *this;
    }
    ~pooled_connection() { release(); }

    /// The scope protocol: statements on a checkout run in autocommit mode.
    connection& conn() {
        if (!slot_) throw usage_error("pgorm: this pooled connection was already returned to the pool (or moved from)");
        return slot_->conn;
    }
    connection* operator->() { return &conn(); }
    connection& operator*() { return conn(); }
    explicit operator bool() const noexcept { return slot_ != nullptr; }

    /// Returns the connection now (rolled back and reset if it is inside a transaction).
    void release() noexcept {
        if (slot_) core_->release(std::move(slot_));
        core_.reset();
    }

private:
    std::shared_ptr<detail::pool_core> core_;
    std::unique_ptr<detail::pooled_slot> slot_;
};

/// A thread-safe pool of connections to one database, with an optional second sub-pool on a
/// tenant login for row-level-security scopes (see pool_options::tenant).
class connection_pool {
public:
    explicit connection_pool(config cfg, pool_options opts = {}) {
        validate(opts);
        if (opts.tenant) {
            // Tenants must not hand session state to each other (a temp table that shadows a
            // real one, a replaced prepared statement, a LISTEN): tenant connections are
            // discarded whole when they come back.
            // Their statements are unnamed (parse, bind and execute in one round trip): a name
            // prepared in one checkout would be gone by the next anyway.
            config tenant_cfg = detail::with_login(cfg, *opts.tenant);
            tenant_cfg.prepared_statements = false;
            tenant_ = std::make_shared<detail::pool_core>(std::move(tenant_cfg), opts, "tenant", true);
        }
        admin_ = std::make_shared<detail::pool_core>(std::move(cfg), std::move(opts), "admin");
    }
    explicit connection_pool(std::string_view url, pool_options opts = {})
        : connection_pool(config::from_url(url), std::move(opts)) {}
    connection_pool(connection_pool&&) noexcept = default;
    connection_pool& operator=(connection_pool&& o) noexcept {
        if (this != &o) {
            close();
            admin_ = std::move(o.admin_);
            tenant_ = std::move(o.tenant_);
        }
        return *this;
    }
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;
    ~connection_pool() { close(); }

    /// Checks out a connection on the pool's own login; waits up to acquire_timeout.
    /// Throws pool_timeout when none is free in time, connection_error when a new one cannot connect,
    /// usage_error after close().
    pooled_connection acquire() {
        auto& core = admin();
        return pooled_connection(core, core->acquire());
    }
    /// Checks out a connection on the tenant login (pool_options::tenant).
    /// Throws as acquire(), and usage_error when the pool has no tenant login.
    pooled_connection acquire_tenant() {
        auto& core = tenant();
        return pooled_connection(core, core->acquire());
    }

    pool_stats stats() const { return admin()->stats(); }
    pool_stats tenant_stats() const { return tenant()->stats(); }
    bool has_tenant_login() const noexcept { return tenant_ != nullptr; }
    const pool_options& options() const { return admin()->options(); }
    const config& settings() const { return admin()->settings(); }

    /// Closes idle connections and refuses new checkouts; checked-out connections close on return.
    void close() noexcept {
        if (admin_) admin_->shutdown();
        if (tenant_) tenant_->shutdown();
    }

protected:
    const std::shared_ptr<detail::pool_core>& admin() const {
        if (!admin_) throw usage_error("pgorm: this connection pool was moved from");
        return admin_;
    }
    const std::shared_ptr<detail::pool_core>& tenant() const {
        admin();
        if (!tenant_)
            throw usage_error("pgorm: this pool has no tenant login: set pool_options::tenant to a non-owner, "
                              "NOBYPASSRLS login that is a member of '" + admin_->options().tenant_role +
                              "' (see docs/pool-and-xact.md)");
        return tenant_;
    }

private:
    static void validate(const pool_options& o) {
        if (o.max_size == 0) throw config_error("pgorm: pool_options.max_size must be at least 1");
        if (o.min_size > o.max_size)
            throw config_error("pgorm: pool_options.min_size (" + std::to_string(o.min_size) +
                               ") is larger than max_size (" + std::to_string(o.max_size) + ")");
        if (o.acquire_timeout.count() < 0 || o.max_lifetime.count() < 0 || o.idle_timeout.count() < 0 ||
            o.timeouts.statement.count() < 0 || o.timeouts.lock.count() < 0 ||
            o.timeouts.idle_in_transaction.count() < 0)
            throw config_error("pgorm: pool_options timeouts must not be negative");
        if (o.background_maintenance && o.maintenance_interval.count() <= 0)
            throw config_error("pgorm: pool_options.maintenance_interval must be positive, got " +
                               std::to_string(o.maintenance_interval.count()) + " ms");
        if (o.tenant && o.tenant->user.empty())
            throw config_error("pgorm: pool_options.tenant.user is empty: name the tenant login role");
        if (o.tenant_role.empty()) throw config_error("pgorm: pool_options.tenant_role is empty");
        if (!o.read_url.empty()) config::parse(o.read_url);  // a malformed read endpoint fails here, not at the first read
        if (o.scope_token_ttl.count() <= 0 || o.scope_token_ttl > std::chrono::hours(24 * 365))
            throw config_error("pgorm: pool_options.scope_token_ttl must be between 1 second and a year, got " +
                               std::to_string(o.scope_token_ttl.count()) + " s");
    }

    std::shared_ptr<detail::pool_core> admin_, tenant_;
};

}  // namespace pgorm
