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

#include <pgorm/detail/linkage.hpp>
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
    bool insert(std::string_view scope);
    void erase(std::string_view scope, std::string_view kind);

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
    memory_lock_backend(const config& cfg, std::string_view channel);
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

    // PGORM_DECL on the declarations too: a virtual function declared non-inline in the class
    // is its key function (Itanium C++ ABI), so header-only mode would emit the vtable and every
    // virtual body in each translation unit that includes this header.
    PGORM_DECL bool try_lock(std::string_view scope) override;
    PGORM_DECL void unlock(std::string_view scope) override;
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
PGORM_DECL std::unique_ptr<lock_backend> make_lock_backend(const config& cfg, std::string_view channel,
                                                           std::string_view kind = {});

}  // namespace pgorm::events

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/events/impl/lock_backend.ipp>
#endif
