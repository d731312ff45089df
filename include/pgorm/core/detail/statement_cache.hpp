#pragma once
// statement_cache: the names of one connection's server-side prepared statements, keyed by SQL
// text plus parameter type OIDs. It holds no PGconn and sends nothing: the connection prepares,
// executes and deallocates (core/connection.hpp), and tells the cache what happened. Entries are
// never evicted by age or count; they leave when the server reports them stale (forget_text,
// clear) or the caller drops them. The last few hits are checked first, in place: by the address
// of their text and types when both calls say those are in static storage (param_refs), by
// their bytes otherwise.
//
// Statements dropped from the cache whose server-side statement still exists (a plan whose result
// type changed stays prepared, SQLSTATE 0A000 "cached plan must not change result type") are kept
// as orphans, for the connection to DEALLOCATE the next time it is outside a transaction.
//
// Thread safety: none; one per connection, used by the thread that uses the connection.

#include <pgorm/core/params.hpp>
#include <pgorm/detail/linkage.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgorm::detail {

// "pgorm_<16 hex digits>_": a statement-name prefix, random per connection (sync or async), so
// statement names from different clients that a pooler puts on one server session never coincide.
PGORM_DECL std::string new_statement_prefix();

/// The member functions are defined in core/detail/impl/statement_cache.ipp: in separate
/// compilation they and the std::map code they use are compiled once, not in every translation
/// unit that includes the connection.
class statement_cache {
public:
    /// `prefix` starts every name handed out; names are prefix + 1, prefix + 2, ... and never reused.
    explicit statement_cache(std::string prefix = new_statement_prefix());

    /// The entries move with the PGconn they were prepared on; the moved-from cache is empty and
    /// takes a new prefix, for the next connection it may be given.
    statement_cache(statement_cache&& o) noexcept;
    statement_cache& operator=(statement_cache&& o) noexcept;
    statement_cache(const statement_cache&) = delete;
    statement_cache& operator=(const statement_cache&) = delete;
    ~statement_cache();

    /// The cached name of `sql` for these parameter types, or nullptr. The pointer stays valid
    /// until that entry is dropped (forget, forget_text, retire_all, clear).
    const std::string* find(std::string_view sql, const param_refs& p);

    /// A fresh name, not yet in the cache: prepare it, then insert() it on success.
    std::string next_name();

    /// Enters `name` for `sql` (a statement just prepared under it) and returns the stored name.
    const std::string& insert(std::string_view sql, const param_refs& p, std::string name);

    /// The entry of `sql` for these parameter types, entering a fresh name if there is none (for
    /// callers that prepare it under that name at once, inside a pipeline).
    const std::string& find_or_add(std::string_view sql, const param_refs& p);

    /// Drops the entry of `sql` for these parameter types (a prepare that failed or whose outcome
    /// is unknown: nothing to deallocate).
    void forget(std::string_view sql, const param_refs& p);

    /// Drops every entry of `sql` whatever its parameter types, keeping their names as orphans:
    /// the server-side statements still exist (a plan whose result type changed stays prepared).
    void forget_text(std::string_view sql);

    /// Drops every entry, keeping their names as orphans (deallocated later, outside a transaction).
    void retire_all();

    /// Drops every entry and orphan: the server has none of them any more (DISCARD ALL,
    /// DEALLOCATE ALL, or another server session behind a pooler).
    void clear() noexcept;

    /// Forgets the orphans without deallocating them (a DEALLOCATE ALL is about to remove them).
    void clear_orphans() noexcept;

    /// "DEALLOCATE a;DEALLOCATE b;" for every orphan, which are then forgotten; empty when there are none.
    std::string take_orphans_sql();

    bool has_orphans() const noexcept;
    std::size_t size() const noexcept;
    bool empty() const noexcept;
    const std::string& prefix() const noexcept { return prefix_; }

private:
    using entry = std::pair<const std::string, std::string>;

    // The key is the SQL text, a NUL, and the parameter OIDs: the same text with other C++ types
    // is another server-side statement. A NUL cannot occur in statement text (libpq takes it as a C string).
    void make_key(std::string_view sql, const param_refs& p);
    // A recent hit: its entry, and where its text and types were when it was found, so that a
    // call with the same static text or types (param_refs::static_text, static_types) is
    // recognised by their addresses instead of their bytes.
    struct recent_hit {
        const entry* e = nullptr;
        const char* text = nullptr;
        std::size_t size = 0;
        const oid_t* types = nullptr;
        int count = 0;
        bool static_text = false;
        bool static_types = false;

        // The key's bytes are compared unless both calls vouch for the same static storage.
        bool matches(std::string_view sql, const param_refs& p) const noexcept;
    };

    void remember(const entry* e, std::string_view sql, const param_refs& p) noexcept;
    void forget_recent() noexcept { recent_.fill({}); }

    // An ordered map: entries keep their address (find() hands out pointers, recent_ keeps them),
    // std::less<> finds by string_view without a copy, and it compiles a little faster than a
    // hash map in every translation unit. recent_ answers a hot loop before the map is asked.
    std::map<std::string, std::string, std::less<>> statements_;
    std::vector<std::string> orphans_;  // dropped from the cache, still prepared on the server
    std::uint64_t next_ = 0;
    std::string prefix_;
    std::array<recent_hit, 4> recent_{};  // the last cache hits (W6 alternates two statements)
    std::size_t recent_next_ = 0;
    std::string key_;  // lookup key, reused across calls
};

}  // namespace pgorm::detail

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/detail/impl/statement_cache.ipp>
#endif
