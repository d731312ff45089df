#pragma once
// Bodies of events/lock_backend.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/events/lock_backend.hpp>

namespace pgorm::events {
namespace detail {

PGORM_DECL bool held_scopes::insert(std::string_view scope) {
    std::lock_guard lock(mutex_);
    return held_.emplace(scope).second;
}

PGORM_DECL void held_scopes::erase(std::string_view scope, std::string_view kind) {
    std::lock_guard lock(mutex_);
    auto it = held_.find(scope);
    if (it == held_.end())
        throw usage_error("pgorm: the " + std::string(kind) + " lock backend does not hold scope '" +
                          std::string(scope) + "'");
    held_.erase(it);
}

}  // namespace detail
}  // namespace pgorm::events

namespace pgorm::events {

PGORM_DECL memory_lock_backend::memory_lock_backend(const config& cfg, std::string_view channel) : guard_conn_(cfg) {
    const std::string name = "pgorm.events.memory_lock_backend/" + std::string(channel);
    guard_ = advisory_lock::try_lock(guard_conn_, advisory_key(name));
    if (!guard_) {
        auto pid = guard_conn_.query_value<std::optional<std::int32_t>>(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = $1 LIMIT 1",
            advisory_key(name).value);
        throw usage_error("pgorm: LOCK_BACKEND=memory is already in use for event channel '" + std::string(channel) +
                          "' by another instance (server backend pid " +
                          (pid ? std::to_string(*pid) : std::string("unknown")) +
                          "); the memory backend is for one instance only: use LOCK_BACKEND=postgres");
    }
}

PGORM_DECL bool postgres_lock_backend::try_lock(std::string_view scope) {
    if (!held_.insert(scope)) return false;
    try {
        std::lock_guard lock(conn_mutex_);
        if (!conn_.is_open()) conn_.reconnect();
        if (conn_.query_value<bool>("SELECT pg_try_advisory_lock($1)", key(scope).value)) return true;
    } catch (...) {
        held_.erase(scope, kind());
        throw;
    }
    held_.erase(scope, kind());
    return false;
}

PGORM_DECL void postgres_lock_backend::unlock(std::string_view scope) {
    held_.erase(scope, kind());
    std::lock_guard lock(conn_mutex_);
    if (!conn_.query_value<bool>("SELECT pg_advisory_unlock($1)", key(scope).value))
        throw usage_error("pgorm: the server says this session did not hold the lock of scope '" + std::string(scope) +
                          "'");
}

PGORM_DECL std::unique_ptr<lock_backend> make_lock_backend(const config& cfg, std::string_view channel,
                                                           std::string_view kind) {
    std::string k(kind);
    if (k.empty()) {
        const char* env = std::getenv("LOCK_BACKEND");
        k = env && *env ? env : "postgres";
    }
    if (k == "memory") return std::make_unique<memory_lock_backend>(cfg, channel);
    if (k == "postgres") return std::make_unique<postgres_lock_backend>(cfg);
    throw config_error("pgorm: unknown lock backend '" + k + "' (LOCK_BACKEND must be memory or postgres)");
}

}  // namespace pgorm::events
