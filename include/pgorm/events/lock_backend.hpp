#pragma once
// Scope locks (seed 000 "Locking Backends"): while a consumer runs the handler of an event with a
// scope, it holds that scope's lock, so two handlers of one scope never overlap, even when a
// lease ran out and a second consumer claimed the same event again. Two implementations behind
// one interface, chosen by configuration (LOCK_BACKEND=memory|postgres):
//
//   memory    a mutex-guarded set in this process: no round trips, one instance only. It makes
//             sure of that itself: it holds a session advisory lock (key
//             "pgorm.events.memory_lock_backend/<channel>") on its own connection, and a second
//             memory backend for the same store, in this or any other process, is refused.
//   postgres  session advisory locks (PostgreSQL docs 9.27.10) on one connection of its own, for
//             any number of instances. Advisory locks are re-entrant within a session, so an
//             in-process set keeps two threads of this process from both "taking" one scope.

#include <pgorm/core/advisory_lock.hpp>
#include <pgorm/core/config.hpp>
#include <pgorm/core/connection.hpp>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace pgorm::events {

/// Mutual exclusion per scope (an aggregate id, a tenant...). Implementations are thread-safe.
class lock_backend {
public:
    virtual ~lock_backend() = default;
    /// Takes the scope's lock if it is free now; never waits. True when taken.
    virtual bool try_lock(std::string_view scope) = 0;
    /// Releases a lock this backend holds; usage_error when it does not hold it.
    virtual void unlock(std::string_view scope) = 0;
    /// "memory" or "postgres".
    virtual std::string_view kind() const noexcept = 0;
};

namespace detail {

/// The scopes this process holds, shared by both backends.
class held_scopes {
public:
    bool insert(std::string_view scope) {
        std::lock_guard lock(mutex_);
        return held_.emplace(scope).second;
    }
    void erase(std::string_view scope, std::string_view kind) {
        std::lock_guard lock(mutex_);
        auto it = held_.find(scope);
        if (it == held_.end())
            throw usage_error("pgorm: the " + std::string(kind) + " lock backend does not hold scope '" +
                              std::string(scope) + "'");
        held_.erase(it);
    }

private:
    std::mutex mutex_;
    std::set<std::string, std::less<>> held_;
};

}  // namespace detail

/// In-process scope locks for a single instance. Throws usage_error from the constructor when
/// another memory backend of the same store (same channel) is alive anywhere on the server,
/// naming its backend pid: with two of them, neither would see the other's locks.
class memory_lock_backend final : public lock_backend {
public:
    memory_lock_backend(const config& cfg, std::string_view channel) : guard_conn_(cfg) {
        const std::string name = "pgorm.events.memory_lock_backend/" + std::string(channel);
        guard_ = advisory_lock::try_lock(guard_conn_, advisory_key(name));
        if (!guard_) {
            auto pid = guard_conn_.query_value<std::optional<std::int32_t>>(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND ((classid::bigint << 32) | objid::bigint) = $1 LIMIT 1",
                advisory_key(name).value);
            throw usage_error("pgorm: LOCK_BACKEND=memory is already in use for event channel '" +
                              std::string(channel) + "' by another instance (server backend pid " +
                              (pid ? std::to_string(*pid) : std::string("unknown")) +
                              "); the memory backend is for one instance only: use LOCK_BACKEND=postgres");
        }
    }
    bool try_lock(std::string_view scope) override { return held_.insert(scope); }
    void unlock(std::string_view scope) override { held_.erase(scope, kind()); }
    std::string_view kind() const noexcept override { return "memory"; }

private:
    connection guard_conn_;
    std::optional<advisory_lock> guard_;
    detail::held_scopes held_;
};

/// Scope locks as session advisory locks (key: 64-bit FNV-1a of "pgorm.events.scope/<scope>",
/// see core/advisory_lock.hpp), on a connection the backend owns. If that connection is lost
/// its locks go with it: unlock() then throws connection_lost and the next try_lock reconnects.
class postgres_lock_backend final : public lock_backend {
public:
    explicit postgres_lock_backend(const config& cfg) : conn_(cfg) {}

    bool try_lock(std::string_view scope) override {
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
    void unlock(std::string_view scope) override {
        held_.erase(scope, kind());
        std::lock_guard lock(conn_mutex_);
        if (!conn_.query_value<bool>("SELECT pg_advisory_unlock($1)", key(scope).value))
            throw usage_error("pgorm: the server says this session did not hold the lock of scope '" +
                              std::string(scope) + "'");
    }
    std::string_view kind() const noexcept override { return "postgres"; }

    static advisory_key key(std::string_view scope) { return advisory_key("pgorm.events.scope/" + std::string(scope)); }

private:
    std::mutex conn_mutex_;
    connection conn_;
    detail::held_scopes held_;
};

/// The backend `kind` names ("memory" or "postgres"); an empty kind reads the LOCK_BACKEND
/// environment variable, and "postgres" when that is unset too. `channel` is the store's (the
/// memory backend's one-instance guard is per store). Throws config_error for any other name.
inline std::unique_ptr<lock_backend> make_lock_backend(const config& cfg, std::string_view channel,
                                                       std::string_view kind = {}) {
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
