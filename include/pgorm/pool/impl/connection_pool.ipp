#pragma once
// Bodies of pool/connection_pool.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/pool/detail/impl/pool_core.ipp>

#include <memory>
#include <string>
#include <utility>

namespace pgorm {

PGORM_DECL void pooled_connection::release() noexcept {
    if (slot_) core_->release(std::move(slot_));
    core_.reset();
}

PGORM_DECL connection_pool::connection_pool(config cfg, pool_options opts) {
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

PGORM_DECL connection_pool& connection_pool::operator=(connection_pool&& o) noexcept {
    if (this != &o) {
        close();
        admin_ = std::move(o.admin_);
        tenant_ = std::move(o.tenant_);
    }
    return *this;
}

PGORM_DECL pooled_connection connection_pool::acquire() {
    auto& core = admin();
    return pooled_connection(core, core->acquire());
}

PGORM_DECL pooled_connection connection_pool::acquire_tenant() {
    auto& core = tenant();
    return pooled_connection(core, core->acquire());
}

PGORM_DECL pool_stats connection_pool::stats() const { return admin()->stats(); }
PGORM_DECL pool_stats connection_pool::tenant_stats() const { return tenant()->stats(); }
PGORM_DECL const pool_options& connection_pool::options() const { return admin()->options(); }
PGORM_DECL const config& connection_pool::settings() const { return admin()->settings(); }

PGORM_DECL void connection_pool::close() noexcept {
    if (admin_) admin_->shutdown();
    if (tenant_) tenant_->shutdown();
}

PGORM_DECL const std::shared_ptr<detail::pool_core>& connection_pool::admin() const {
    if (!admin_) throw usage_error("pgorm: this connection pool was moved from");
    return admin_;
}

PGORM_DECL const std::shared_ptr<detail::pool_core>& connection_pool::tenant() const {
    admin();
    if (!tenant_)
        throw usage_error(
            "pgorm: this pool has no tenant login: set pool_options::tenant to a non-owner, "
            "NOBYPASSRLS login that is a member of '" +
            admin_->options().tenant_role + "' (see docs/pool-and-xact.md)");
    return tenant_;
}

PGORM_DECL void connection_pool::validate(const pool_options& o) {
    if (o.max_size == 0) throw config_error("pgorm: pool_options.max_size must be at least 1");
    if (o.min_size > o.max_size)
        throw config_error("pgorm: pool_options.min_size (" + std::to_string(o.min_size) +
                           ") is larger than max_size (" + std::to_string(o.max_size) + ")");
    if (o.acquire_timeout.count() < 0 || o.max_lifetime.count() < 0 || o.idle_timeout.count() < 0 ||
        o.timeouts.statement.count() < 0 || o.timeouts.lock.count() < 0 || o.timeouts.idle_in_transaction.count() < 0)
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

}  // namespace pgorm
