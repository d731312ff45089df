#pragma once
// connection_pool: a thread-safe pool of connections, and pooled_connection, the RAII checkout.
//
// The pool's state lives in a shared core that every checkout also holds, so a checkout can
// outlive the pool object: its connection is then closed when it is returned, never dangling.
// Connections are checked for life on checkout (a non-blocking socket check always, a round trip
// with pre_ping), and anything that comes back inside a transaction is rolled back and reset.
// A background maintainer (pool_options::background_maintenance) retires idle connections that
// expired or whose backend went away and opens new ones until min_size are open again.
// The engine behind both is pool/detail/pool_core.hpp; the bodies are in impl/connection_pool.ipp.

#include <pgorm/core/connection.hpp>
#include <pgorm/detail/linkage.hpp>
#include <pgorm/pool/detail/pool_core.hpp>
#include <pgorm/pool/options.hpp>

#include <memory>
#include <string_view>
#include <utility>

namespace pgorm {

/// A connection checked out of a pool; returned when this handle is destroyed or released.
/// A handle holds at most one connection, so it cannot be returned twice; after release() or a
/// move, using it throws usage_error.
/// [[nodiscard]]: a dropped checkout goes straight back to the pool.
class [[nodiscard]] PGORM_ABI_TAG pooled_connection {
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
    /// Throws usage_error after release() or a move.
    connection& conn() {
        if (!slot_) throw usage_error("pgorm: this pooled connection was already returned to the pool (or moved from)");
        return slot_->conn;
    }
    connection* operator->() { return &conn(); }
    connection& operator*() { return conn(); }
    explicit operator bool() const noexcept { return slot_ != nullptr; }

    /// Returns the connection now (rolled back and reset if it is inside a transaction).
    void release() noexcept;

private:
    std::shared_ptr<detail::pool_core> core_;
    std::unique_ptr<detail::pooled_slot> slot_;
};

/// A thread-safe pool of connections to one database, with an optional second sub-pool on a
/// tenant login for row-level-security scopes (see pool_options::tenant).
class PGORM_ABI_TAG connection_pool {
public:
    /// Opens min_size connections (on each login) and starts the maintainer.
    /// Throws config_error for bad pool_options (sizes, negative times, an empty tenant user or
    /// role, a malformed read_url, scope_token_ttl outside 1 s .. 1 year) and connection_error
    /// when one of the min_size connections cannot connect.
    explicit connection_pool(config cfg, pool_options opts = {});
    /// The same from a URL or key=value string; also throws config_error when it does not parse.
    explicit connection_pool(std::string_view url, pool_options opts = {})
        : connection_pool(config::from_url(url), std::move(opts)) {}
    connection_pool(connection_pool&&) noexcept = default;
    connection_pool& operator=(connection_pool&& o) noexcept;
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;
    ~connection_pool() { close(); }

    /// Checks out a connection on the pool's own login; waits up to acquire_timeout.
    /// Throws pool_timeout when none is free in time, connection_error when a new one cannot connect,
    /// usage_error after close().
    pooled_connection acquire();
    /// Checks out a connection on the tenant login (pool_options::tenant).
    /// Throws as acquire(), and usage_error when the pool has no tenant login.
    pooled_connection acquire_tenant();

    /// The counters of the pool's own login (of the tenant login). Throw usage_error on a
    /// moved-from pool (tenant_stats: also without a tenant login).
    pool_stats stats() const;
    pool_stats tenant_stats() const;
    bool has_tenant_login() const noexcept { return tenant_ != nullptr; }
    /// The options and settings the pool was made with. Throw usage_error on a moved-from pool.
    const pool_options& options() const;
    const config& settings() const;

    /// Closes idle connections and refuses new checkouts; checked-out connections close on return.
    void close() noexcept;

protected:
    /// The engine of each login. Throw usage_error on a moved-from pool (tenant(): also
    /// without a tenant login, saying how to set one).
    const std::shared_ptr<detail::pool_core>& admin() const;
    const std::shared_ptr<detail::pool_core>& tenant() const;

private:
    static void validate(const pool_options& o);

    std::shared_ptr<detail::pool_core> admin_, tenant_;
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/pool/impl/connection_pool.ipp>
#endif
