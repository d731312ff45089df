#pragma once
// The non-template part of core/detail/statement_cache.hpp: the cache's bodies, and with them the
// std::map code they instantiate.

#include <pgorm/core/detail/entropy.hpp>
#include <pgorm/core/detail/statement_cache.hpp>

#include <atomic>
#include <cstring>
#include <string>
#include <utility>

namespace pgorm::detail {

PGORM_DECL std::string new_statement_prefix() {
    static const std::uint64_t seed = random_seed();
    static std::atomic<std::uint64_t> counter{0};
    // splitmix64: spreads the counter over all bits
    std::uint64_t z = mix64(seed + 0x9e3779b97f4a7c15ull * (counter.fetch_add(1, std::memory_order_relaxed) + 1));
    static constexpr char hex[] = "0123456789abcdef";
    std::string s = "pgorm_";
    for (int shift = 60; shift >= 0; shift -= 4) s.push_back(hex[(z >> shift) & 0xf]);
    return s + "_";
}

PGORM_DECL statement_cache::statement_cache(std::string prefix) : prefix_(std::move(prefix)) {}

PGORM_DECL statement_cache::statement_cache(statement_cache&& o) noexcept
    : statements_(std::move(o.statements_)), orphans_(std::move(o.orphans_)), next_(o.next_),
      prefix_(std::exchange(o.prefix_, new_statement_prefix())) {
    o.clear();
}

PGORM_DECL statement_cache& statement_cache::operator=(statement_cache&& o) noexcept {
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

PGORM_DECL statement_cache::~statement_cache() = default;

PGORM_DECL const std::string* statement_cache::find(std::string_view sql, const param_refs& p) {
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

PGORM_DECL std::string statement_cache::next_name() { return prefix_ + std::to_string(++next_); }

PGORM_DECL const std::string& statement_cache::insert(std::string_view sql, const param_refs& p, std::string name) {
    make_key(sql, p);
    const entry* e = &*statements_.insert_or_assign(key_, std::move(name)).first;
    remember(e, sql, p);
    return e->second;
}

PGORM_DECL const std::string& statement_cache::find_or_add(std::string_view sql, const param_refs& p) {
    make_key(sql, p);
    auto [it, added] = statements_.try_emplace(key_, prefix_ + std::to_string(next_ + 1));
    if (added) ++next_;
    return it->second;
}

PGORM_DECL void statement_cache::forget(std::string_view sql, const param_refs& p) {
    make_key(sql, p);
    forget_recent();
    if (auto it = statements_.find(std::string_view(key_)); it != statements_.end()) statements_.erase(it);
}

PGORM_DECL void statement_cache::forget_text(std::string_view sql) {
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

PGORM_DECL void statement_cache::retire_all() {
    for (auto& [key, name] : statements_) orphans_.push_back(std::move(name));
    statements_.clear();
    forget_recent();
}

PGORM_DECL void statement_cache::clear() noexcept {
    statements_.clear();
    orphans_.clear();
    forget_recent();
}

PGORM_DECL void statement_cache::clear_orphans() noexcept { orphans_.clear(); }

PGORM_DECL std::string statement_cache::take_orphans_sql() {
    std::string sql;
    for (const std::string& name : orphans_) sql += "DEALLOCATE " + name + ";";
    orphans_.clear();
    return sql;
}

PGORM_DECL bool statement_cache::has_orphans() const noexcept { return !orphans_.empty(); }
PGORM_DECL std::size_t statement_cache::size() const noexcept { return statements_.size(); }
PGORM_DECL bool statement_cache::empty() const noexcept { return statements_.empty(); }

PGORM_DECL void statement_cache::make_key(std::string_view sql, const param_refs& p) {
    key_.assign(sql);
    key_.push_back('\0');
    key_.append(reinterpret_cast<const char*>(p.types), sizeof(oid_t) * static_cast<std::size_t>(p.count));
}

PGORM_DECL bool statement_cache::recent_hit::matches(std::string_view sql, const param_refs& p) const noexcept {
    if (size != sql.size() || count != p.count) return false;
    const std::string& k = e->first;
    if (!(static_text && p.static_text && text == sql.data()) &&
        (size != 0 && std::memcmp(k.data(), sql.data(), size) != 0))
        return false;
    return count == 0 || (static_types && p.static_types && types == p.types) ||
           std::memcmp(k.data() + size + 1, p.types, sizeof(oid_t) * static_cast<std::size_t>(count)) == 0;
}

PGORM_DECL void statement_cache::remember(const entry* e, std::string_view sql, const param_refs& p) noexcept {
    recent_[recent_next_] = {e, sql.data(), sql.size(), p.types, p.count, p.static_text, p.static_types};
    recent_next_ = (recent_next_ + 1) % recent_.size();
}

}  // namespace pgorm::detail
