#pragma once
// Bodies of xact/pool.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/types/optional.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/xact/pool.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace pgorm {

struct pool::lazy_state {
    std::mutex read_mutex;
    std::unique_ptr<connection_pool> read_endpoint;
    std::mutex key_mutex;
    rls::signing_key key;
};

PGORM_DECL std::shared_ptr<pool::lazy_state> pool::make_lazy_state() { return std::make_shared<lazy_state>(); }

PGORM_DECL pgorm::xact pool::xact(xact_options o) { return pgorm::xact(acquire(), o); }

PGORM_DECL pgorm::xact pool::xact_tenant(std::string_view user_id, std::string_view organization_id, xact_options o) {
    auto h = acquire_tenant();
    const rls::signing_key& key = signing_key();
    auto ttl = options().scope_token_ttl;
    return pgorm::xact::tenant(std::move(h), key, user_id, organization_id, options().tenant_role, o,
                               std::chrono::system_clock::now() + ttl);
}

PGORM_DECL pgorm::xact pool::read_xact(xact_options o) {
    o.read_only = true;
    return pgorm::xact(reader().acquire(), o);
}

PGORM_DECL pgorm::xact pool::read_xact_after(std::string_view lsn, std::chrono::milliseconds timeout, xact_options o) {
    auto h = reader().acquire();
    wait_for_replay(h.conn(), lsn, timeout);
    o.read_only = true;
    return pgorm::xact(std::move(h), o);
}

PGORM_DECL std::string pool::write_lsn() {
    auto h = acquire();
    return h.conn().query_value<std::string>("SELECT pg_catalog.pg_current_wal_insert_lsn()::text");
}

PGORM_DECL const rls::signing_key& pool::signing_key() {
    std::lock_guard lk(lazy_->key_mutex);
    if (lazy_->key.empty()) {
        const std::string& hex = options().scope_signing_key_hex;
        if (!hex.empty()) {
            lazy_->key = rls::signing_key::from_hex(hex);
        } else {
            auto h = acquire();
            lazy_->key = rls::fetch_signing_key(h.conn());
        }
    }
    return lazy_->key;
}

PGORM_DECL connection_pool& pool::reader() {
    if (options().read_url.empty()) return *this;
    std::lock_guard lk(lazy_->read_mutex);
    if (!lazy_->read_endpoint) {
        pool_options o = options();
        o.read_url.clear();
        o.tenant.reset();  // tenant scopes stay on the primary's pools
        lazy_->read_endpoint = std::make_unique<connection_pool>(config::parse(options().read_url), std::move(o));
    }
    return *lazy_->read_endpoint;
}

PGORM_DECL void pool::wait_for_replay(connection& c, std::string_view lsn, std::chrono::milliseconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    std::string target(lsn);
    for (;;) {
        auto caught_up =
            c.query_value<bool>("SELECT coalesce(pg_catalog.pg_last_wal_replay_lsn() >= $1::pg_lsn, true)", target);
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

}  // namespace pgorm
