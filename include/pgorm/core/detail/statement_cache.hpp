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

#include <pgorm/core/detail/entropy.hpp>
#include <pgorm/core/params.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgorm::detail {

// "pgorm_<16 hex digits>_": a statement-name prefix, random per connection (sync or async), so
// statement names from different clients that a pooler puts on one server session never coincide.
inline std::string new_statement_prefix() {
    static const std::uint64_t seed = random_seed();
    static std::atomic<std::uint64_t> counter{0};
    // splitmix64: spreads the counter over all bits
    std::uint64_t z = mix64(seed + 0x9e3779b97f4a7c15ull * (counter.fetch_add(1, std::memory_order_relaxed) + 1));
    static constexpr char hex[] = "0123456789abcdef";
    std::string s = "pgorm_";
    for (int shift = 60; shift >= 0; shift -= 4) s.push_back(hex[(z >> shift) & 0xf]);
    return s + "_";
}

class statement_cache {
public:
    /// `prefix` starts every name handed out; names are prefix + 1, prefix + 2, ... and never reused.
    explicit statement_cache(std::string prefix = new_statement_prefix()) : prefix_(std::move(prefix)) {}

    /// The entries move with the PGconn they were prepared on; the moved-from cache is empty and
    /// takes a new prefix, for the next connection it may be given.
    statement_cache(statement_cache&& o) noexcept
        : statements_(std::move(o.statements_)), orphans_(std::move(o.orphans_)), next_(o.next_),
          prefix_(std::exchange(o.prefix_, new_statement_prefix())) {
        o.clear();
    }
    statement_cache& operator=(statement_cache&& o) noexcept {
        if (this != &o) {
            statements_ = std::move(o.statements_);
            orphans_ = std::move(o.orphans_);
            next_ = o.next_;
            prefix_ = std::exchange(o.prefix_, new_statement_prefix());
            forget_recent();
            o.clear();
        }
        return *this;
    }
    statement_cache(const statement_cache&) = delete;
    statement_cache& operator=(const statement_cache&) = delete;

    /// The cached name of `sql` for these parameter types, or nullptr. The pointer stays valid
    /// until that entry is dropped (forget, forget_text, retire_all, clear).
    const std::string* find(std::string_view sql, const param_refs& p) {
        // A loop runs a few statements many times: compare with the recent hits in place before
        // copying the text into a key and looking it up.
        for (const recent_hit& r : recent_)
            if (r.e && r.matches(sql, p)) return &r.e->second;
        make_key(sql, p);
        auto it = statements_.find(std::string_view(key_));
        if (it == statements_.end()) return nullptr;
        remember(&*it, sql, p);
        return &it->second;
    }

    /// A fresh name, not yet in the cache: prepare it, then insert() it on success.
    std::string next_name() { return prefix_ + std::to_string(++next_); }

    /// Enters `name` for `sql` (a statement just prepared under it) and returns the stored name.
    const std::string& insert(std::string_view sql, const param_refs& p, std::string name) {
        make_key(sql, p);
        const entry* e = &*statements_.insert_or_assign(key_, std::move(name)).first;
        remember(e, sql, p);
        return e->second;
    }

    /// The entry of `sql` for these parameter types, entering a fresh name if there is none (for
    /// callers that prepare it under that name at once, inside a pipeline).
    const std::string& find_or_add(std::string_view sql, const param_refs& p) {
        make_key(sql, p);
        auto [it, added] = statements_.try_emplace(key_, prefix_ + std::to_string(next_ + 1));
        if (added) ++next_;
        return it->second;
    }

    /// Drops the entry of `sql` for these parameter types (a prepare that failed or whose outcome
    /// is unknown: nothing to deallocate).
    void forget(std::string_view sql, const param_refs& p) {
        make_key(sql, p);
        forget_recent();
        if (auto it = statements_.find(std::string_view(key_)); it != statements_.end()) statements_.erase(it);
    }

    /// Drops every entry of `sql` whatever its parameter types, keeping their names as orphans:
    /// the server-side statements still exist (a plan whose result type changed stays prepared).
    void forget_text(std::string_view sql) {
        forget_recent();
        for (auto it = statements_.begin(); it != statements_.end();) {
            const std::string& k = it->first;
            if (k.size() > sql.size() && k[sql.size()] == '\0' && std::string_view(k).starts_with(sql)) {
                orphans_.push_back(std::move(it->second));
                it = statements_.erase(it);
            } else {
                ++it;
            }
        }
    }

    /// Drops every entry, keeping their names as orphans (deallocated later, outside a transaction).
    void retire_all() {
        for (auto& [key, name] : statements_) orphans_.push_back(std::move(name));
        statements_.clear();
        forget_recent();
    }

    /// Drops every entry and orphan: the server has none of them any more (DISCARD ALL,
    /// DEALLOCATE ALL, or another server session behind a pooler).
    void clear() noexcept {
        statements_.clear();
        orphans_.clear();
        forget_recent();
    }

    /// Forgets the orphans without deallocating them (a DEALLOCATE ALL is about to remove them).
    void clear_orphans() noexcept { orphans_.clear(); }

    /// "DEALLOCATE a;DEALLOCATE b;" for every orphan, which are then forgotten; empty when there are none.
    std::string take_orphans_sql() {
        std::string sql;
        for (const std::string& name : orphans_) sql += "DEALLOCATE " + name + ";";
        orphans_.clear();
        return sql;
    }

    bool has_orphans() const noexcept { return !orphans_.empty(); }
    std::size_t size() const noexcept { return statements_.size(); }
    bool empty() const noexcept { return statements_.empty(); }
    const std::string& prefix() const noexcept { return prefix_; }

private:
    using entry = std::pair<const std::string, std::string>;

    // The key is the SQL text, a NUL, and the parameter OIDs: the same text with other C++ types
    // is another server-side statement. A NUL cannot occur in statement text (libpq takes it as a C string).
    void make_key(std::string_view sql, const param_refs& p) {
        key_.assign(sql);
        key_.push_back('\0');
        key_.append(reinterpret_cast<const char*>(p.types), sizeof(oid_t) * static_cast<std::size_t>(p.count));
    }
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
        bool matches(std::string_view sql, const param_refs& p) const noexcept {
            if (size != sql.size() || count != p.count) return false;
            const std::string& k = e->first;
            if (!(static_text && p.static_text && text == sql.data()) &&
                (size != 0 && std::memcmp(k.data(), sql.data(), size) != 0))
                return false;
            return count == 0 || (static_types && p.static_types && types == p.types) ||
                   std::memcmp(k.data() + size + 1, p.types, sizeof(oid_t) * static_cast<std::size_t>(count)) == 0;
        }
    };

    void remember(const entry* e, std::string_view sql, const param_refs& p) noexcept {
        recent_[recent_next_] = {e, sql.data(), sql.size(), p.types, p.count, p.static_text, p.static_types};
        recent_next_ = (recent_next_ + 1) % recent_.size();
    }
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
