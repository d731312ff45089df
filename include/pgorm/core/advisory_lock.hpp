#pragma once
// PostgreSQL advisory locks (seed 002's pg_advisory_lock("lock_name")): an RAII session lock,
// a try-lock, and transaction-level locks, keyed by an int64 or by a string.
//
// String keys are hashed in C++ with 64-bit FNV-1a over their UTF-8 bytes, not with the server's
// hashtext(): FNV-1a is fixed by its definition, so every client, server version and language
// agrees on the key of "lock_name", and it uses the whole 64-bit key space (hashtext gives 32 bits
// and is an internal function whose output PostgreSQL does not promise to keep).

#include <pgorm/core/connection.hpp>
#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgorm {

/// The key of an advisory lock.
struct advisory_key {
    std::int64_t value;

    constexpr advisory_key(std::int64_t v) noexcept : value(v) {}  // NOLINT: implicit on purpose
    constexpr advisory_key(std::string_view name) noexcept : value(hash(name)) {}
    constexpr advisory_key(const char* name) noexcept : advisory_key(std::string_view(name)) {}
    advisory_key(const std::string& name) noexcept : advisory_key(std::string_view(name)) {}

    /// 64-bit FNV-1a of the bytes, reinterpreted as the signed bigint the server takes.
    static constexpr std::int64_t hash(std::string_view s) noexcept {
        std::uint64_t h = 14695981039346656037ull;
        for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
        return static_cast<std::int64_t>(h);
    }
};

/// A session-level advisory lock, held until unlock() or destruction. It survives commit and
/// rollback; it belongs to the connection, so release it before returning a pooled connection
/// (a pool also unlocks everything when it resets a connection).
///
/// Lifetime: refers to its connection, which must outlive it. Thread safety: as its connection.
/// [[nodiscard]]: a dropped guard unlocks at once.
class [[nodiscard]] PGORM_ABI_TAG advisory_lock {
public:
    /// Blocks until the lock is granted.
    /// Throws deadlock_detected, query_canceled (statement_timeout), other sql_error (by SQLSTATE, error.hpp),
    /// connection_lost.
    template <scope S>
    advisory_lock(S& s, advisory_key key) : conn_(&s.conn()), key_(key.value) {
        conn_->execute("SELECT pg_advisory_lock($1)", key_);
    }
    /// The lock if it is free now, else nothing; never waits (pg_try_advisory_lock, PostgreSQL 15
    /// docs 9.27.10). Throws query_canceled, other sql_error (by SQLSTATE, error.hpp), connection_lost.
    template <scope S>
    [[nodiscard]] static std::optional<advisory_lock> try_lock(S& s, advisory_key key) {
        connection& c = s.conn();
        if (!c.query_value<bool>("SELECT pg_try_advisory_lock($1)", key.value)) return std::nullopt;
        return advisory_lock(c, key.value, adopt);
    }

    advisory_lock(advisory_lock&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)), key_(o.key_) {}
    advisory_lock& operator=(advisory_lock&& o) noexcept {
        if (this != &o) {
            release_quietly();
            conn_ = std::exchange(o.conn_, nullptr);
            key_ = o.key_;
        }
        return *this;
    }
    advisory_lock(const advisory_lock&) = delete;
    advisory_lock& operator=(const advisory_lock&) = delete;
    ~advisory_lock() { release_quietly(); }

    std::int64_t key() const noexcept { return key_; }
    bool owns_lock() const noexcept { return conn_ != nullptr; }

    /// Releases the lock; throws usage_error when the server says this session did not hold it.
    void unlock();

private:
    struct adopt_t {};
    static constexpr adopt_t adopt{};
    advisory_lock(connection& c, std::int64_t key, adopt_t) noexcept : conn_(&c), key_(key) {}

    void release_quietly() noexcept;

    connection* conn_;
    std::int64_t key_;
};

/// Takes a transaction-level advisory lock, released at commit or rollback; blocks until granted.
/// Throws deadlock_detected, query_canceled (statement_timeout), other sql_error (by SQLSTATE,
/// error.hpp), connection_lost.
template <scope S>
void advisory_xact_lock(S& s, advisory_key key) {
    s.conn().execute("SELECT pg_advisory_xact_lock($1)", key.value);
}

/// Takes a transaction-level advisory lock if it is free now; true when taken.
/// Throws query_canceled, other sql_error (by SQLSTATE, error.hpp), connection_lost.
template <scope S>
[[nodiscard]] bool try_advisory_xact_lock(S& s, advisory_key key) {
    return s.conn().template query_value<bool>("SELECT pg_try_advisory_xact_lock($1)", key.value);
}

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/advisory_lock.ipp>
#endif
