#pragma once
// Row-lock modes for reads (seed 004's with_for_update):
//
//   users.get(id, pgorm::for_update);                          // FOR UPDATE
//   users.find(f, pgorm::for_update.skip_locked());            // work-queue style: take unlocked rows
//   users.get(id, pgorm::for_no_key_update.nowait());          // lock_not_available if someone holds it
//   pgorm::for_share.of<User>()                                // FOR SHARE OF users (for joins)
//
// Locks live until the transaction ends: use them inside a transaction scope. In autocommit mode
// the lock is released as soon as the statement finishes.

#include <pgorm/repo/sql.hpp>

#include <array>
#include <string>
#include <string_view>

namespace pgorm {

class row_lock {
public:
    enum class strength : unsigned char { none, update, no_key_update, share, key_share };
    enum class wait_policy : unsigned char { wait, nowait, skip_locked };

    constexpr row_lock() = default;
    constexpr explicit row_lock(strength s) : strength_(s) {}

    /// Fail at once with lock_not_available instead of waiting.
    constexpr row_lock nowait() const {
        row_lock l = *this;
        l.wait_ = wait_policy::nowait;
        return l;
    }
    /// Leave out rows another transaction has locked.
    constexpr row_lock skip_locked() const {
        row_lock l = *this;
        l.wait_ = wait_policy::skip_locked;
        return l;
    }
    /// Lock only the rows of these tables (FOR UPDATE OF a, b), for statements that join.
    template <class... Tables>
    constexpr row_lock of() const {
        static_assert(sizeof...(Tables) >= 1, "pgorm: of<...>() needs at least one table struct");
        row_lock l = *this;
        ((l.add_table(table<Tables>::name)), ...);
        return l;
    }

    constexpr strength lock_strength() const noexcept { return strength_; }
    constexpr wait_policy waiting() const noexcept { return wait_; }
    constexpr explicit operator bool() const noexcept { return strength_ != strength::none; }

    /// The clause, with a leading space (" FOR UPDATE OF \"users\" NOWAIT"), or "" for no lock.
    std::string sql() const {
        std::string s;
        append_sql(s);
        return s;
    }
    /// Appends the clause to a statement being built (no temporary string).
    void append_sql(std::string& s) const {
        switch (strength_) {
            case strength::none: return;
            case strength::update: s += " FOR UPDATE"; break;
            case strength::no_key_update: s += " FOR NO KEY UPDATE"; break;
            case strength::share: s += " FOR SHARE"; break;
            case strength::key_share: s += " FOR KEY SHARE"; break;
        }
        for (std::size_t i = 0; i < of_count_; ++i) s += (i ? ", " : " OF ") + detail::quoted(of_[i]);
        if (wait_ == wait_policy::nowait) s += " NOWAIT";
        else if (wait_ == wait_policy::skip_locked) s += " SKIP LOCKED";
    }

private:
    constexpr void add_table(std::string_view name) {
        if (of_count_ == of_.size()) throw usage_error("pgorm: of<...>() takes at most 4 tables");
        of_[of_count_++] = name;
    }

    strength strength_ = strength::none;
    wait_policy wait_ = wait_policy::wait;
    std::array<std::string_view, 4> of_{};
    std::size_t of_count_ = 0;
};

inline constexpr row_lock no_lock{};
inline constexpr row_lock for_update{row_lock::strength::update};
inline constexpr row_lock for_no_key_update{row_lock::strength::no_key_update};
inline constexpr row_lock for_share{row_lock::strength::share};
inline constexpr row_lock for_key_share{row_lock::strength::key_share};

}  // namespace pgorm
