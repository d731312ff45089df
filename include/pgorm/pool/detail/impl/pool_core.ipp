#pragma once
// Bodies of pool/detail/pool_core.hpp: the session checks and resets, and the engine pool_core
// itself (class and bodies together: only connection_pool's own bodies, impl/*.ipp, name its
// members, so with PGORM_SEPARATE_COMPILATION only the translation unit of <pgorm/src.hpp>
// compiles it). Included at the end of the header (header-only) or by <pgorm/src.hpp>.

#include <pgorm/pool/detail/pool_core.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/string.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {

PGORM_DECL config with_login(const config& cfg, const tenant_login& login) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(cfg.conninfo.c_str(), &err);
    if (!opts) {
        std::string why = err ? err : "out of memory";
        PQfreemem(err);
        throw config_error("pgorm: cannot derive the tenant login from " + cfg.redacted() + ": " + trimmed(why));
    }
    std::string ci;
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
        std::string key = o->keyword;
        if (key == "user" || key == "password" || !o->val) continue;
        ci += key + "=" + config::quote(o->val) + " ";
    }
    PQconninfoFree(opts);
    ci += "user=" + config::quote(login.user);
    if (!login.password.empty()) ci += " password=" + config::quote(login.password);
    config out = cfg;
    out.conninfo = std::move(ci);
    return out;
}

PGORM_DECL config with_session_timeouts(const config& cfg, const session_timeouts& t) {
    std::string extra;
    auto add = [&](const char* name, std::chrono::milliseconds v) {
        if (v.count() > 0) extra += std::string(" -c ") + name + "=" + std::to_string(v.count());
    };
    add("statement_timeout", t.statement);
    add("lock_timeout", t.lock);
    add("idle_in_transaction_session_timeout", t.idle_in_transaction);
    if (extra.empty()) return cfg;
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(cfg.conninfo.c_str(), &err);
    if (!opts) {
        std::string why = err ? err : "out of memory";
        PQfreemem(err);
        throw config_error("pgorm: cannot add the pool's timeouts to " + cfg.redacted() + ": " + trimmed(why));
    }
    std::string ci, options;
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
        if (!o->val) continue;
        std::string key = o->keyword;
        if (key == "options") options = o->val;
        else ci += key + "=" + config::quote(o->val) + " ";
    }
    PQconninfoFree(opts);
    config out = cfg;
    out.conninfo = ci + "options=" + config::quote(options + extra);
    return out;
}

PGORM_DECL bool idle_connection_alive(connection& c) noexcept {
    PGconn* p = c.native();
    if (!p || PQstatus(p) != CONNECTION_OK || PQtransactionStatus(p) != PQTRANS_IDLE) return false;
    for (int round = 0; round < 4; ++round) {  // a goodbye is an error message, then end of file
        pollfd fd{PQsocket(p), POLLIN, 0};
        int ready = ::poll(&fd, 1, 0);
        if (ready == 0) return true;
        if (ready < 0 || (fd.revents & (POLLERR | POLLNVAL))) return false;
        if (!PQconsumeInput(p) || PQstatus(p) != CONNECTION_OK) return false;
    }
    return PQstatus(p) == CONNECTION_OK;
}

PGORM_DECL bool reset_session(connection& c) noexcept {
    try {
        if (PQpipelineStatus(c.native()) != PQ_PIPELINE_OFF) return false;
        auto status = c.transaction_status();
        if (status == PQTRANS_ACTIVE || status == PQTRANS_UNKNOWN) return false;
        if (status != PQTRANS_IDLE) c.execute_script("ROLLBACK");
        c.execute_script(
            "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; "
            "SELECT pg_advisory_unlock_all(); DISCARD TEMP");
        return c.transaction_status() == PQTRANS_IDLE;
    } catch (...) {
        return false;
    }
}

PGORM_DECL bool discard_session(connection& c) noexcept {
    try {
        if (PQpipelineStatus(c.native()) != PQ_PIPELINE_OFF) return false;
        auto status = c.transaction_status();
        if (status == PQTRANS_ACTIVE || status == PQTRANS_UNKNOWN) return false;
        if (status != PQTRANS_IDLE) c.execute_script("ROLLBACK");
        c.execute_script(tenant_reset_sql);
        c.clear_statement_cache(false);
        return c.transaction_status() == PQTRANS_IDLE;
    } catch (...) {
        return false;
    }
}

PGORM_DECL void check_login_defaults(connection& c) {
    c.execute_script("BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0");  // defaults may hold these
    auto found = c.query_value<std::optional<std::string>>(
        "SELECT string_agg(s, ', ') FROM pg_catalog.pg_db_role_setting d, unnest(d.setconfig) s "
        "WHERE d.setrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = session_user) "
        "AND d.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))");
    c.execute_script("COMMIT");
    if (found)
        throw usage_error("pgorm: the tenant login " + c.query_value<std::string>("SELECT session_user::text") +
                          " has role-level defaults (" + *found +
                          "), which a tenant can write for its own login to reach later tenants' sessions; "
                          "remove them with ALTER ROLE ... RESET ALL (and find who wrote them)");
}

PGORM_DECL void refuse_login_defaults(connection& c) {
    for (int attempt = 1;; ++attempt) {
        try {
            check_login_defaults(c);
            return;
        } catch (const query_canceled& e) {
            try {
                if (c.transaction_status() != PQTRANS_IDLE) c.execute_script("ROLLBACK");
            } catch (const error&) {
            }
            if (attempt == 3)
                throw usage_error(std::string("pgorm: the tenant login's new sessions cancel statements at once (") +
                                  e.what() +
                                  "): a statement_timeout of a few milliseconds, which role-level defaults "
                                  "a tenant can write for its own login (ALTER ROLE ... SET statement_timeout) give; "
                                  "remove them with ALTER ROLE ... RESET ALL (and find who wrote them)");
        }
    }
}

/// The pool of one login: idle connections, counters, the lock and the maintainer thread.
class PGORM_ABI_TAG pool_core {
public:
    /// `isolate_sessions`: connections are shared by tenants (tenant login): every return
    /// discards the whole session, and a login with role-level defaults is refused.
    pool_core(config cfg, pool_options opts, std::string label, bool isolate_sessions = false)
        : cfg_(with_session_timeouts(cfg, opts.timeouts)), opts_(capped(std::move(opts))), label_(std::move(label)),
          isolate_sessions_(isolate_sessions) {
        cfg_.prepared_statements = cfg_.prepared_statements && opts_.prepared_statements;
        if (opts_.call_timeout.count() > 0) cfg_.call_timeout = opts_.call_timeout;
        for (std::size_t i = 0; i < opts_.min_size; ++i) {
            idle_.push_back(make_slot());
            ++created_;
        }
        bool work = opts_.min_size > 0 || opts_.idle_timeout.count() > 0 || opts_.max_lifetime.count() > 0;
        if (opts_.background_maintenance && work) maintainer_ = std::thread([this] { maintain(); });
    }
    pool_core(const pool_core&) = delete;
    pool_core& operator=(const pool_core&) = delete;
    ~pool_core() { shutdown(); }

    const config& settings() const noexcept { return cfg_; }
    const pool_options& options() const noexcept { return opts_; }

    std::unique_ptr<pooled_slot> acquire() {
        const auto start = pool_clock::now();
        const auto deadline = start + opts_.acquire_timeout;
        for (;;) {
            std::vector<std::unique_ptr<pooled_slot>> retired;  // closed after the lock is dropped
            std::unique_ptr<pooled_slot> slot;
            {
                std::unique_lock lk(m_);
                for (;;) {
                    if (shut_) throw usage_error("pgorm: the " + label_ + " connection pool is closed");
                    retire_idle_locked(retired);
                    if (!idle_.empty()) {
                        slot = std::move(idle_.back());
                        idle_.pop_back();
                        ++in_use_;
                        break;
                    }
                    if (open_locked() < capacity()) {
                        ++opening_;
                        break;
                    }
                    ++waiting_;
                    bool ready = cv_.wait_until(lk, deadline,
                                                [&] { return shut_ || !idle_.empty() || open_locked() < capacity(); });
                    --waiting_;
                    if (!ready) {
                        ++timeouts_;
                        throw pool_timeout(timeout_message_locked(pool_clock::now() - start));
                    }
                }
            }
            retired.clear();
            if (!slot) return open_new();
            health h = check(*slot);
            if (h == health::ok) {
                std::lock_guard lk(m_);
                ++acquired_;
                return slot;
            }
            drop(std::move(slot), h == health::broken);  // close it and take or open another
        }
    }

    void release(std::unique_ptr<pooled_slot> slot) noexcept {
        if (!slot) return;
        bool keep = slot->conn.is_open();
        bool broken = !keep;
        if (keep && isolate_sessions_) {
            keep = discard_session(slot->conn);
            broken = !keep;
        } else if (keep && (opts_.reset_on_return || slot->conn.transaction_status() != PQTRANS_IDLE)) {
            keep = reset_session(slot->conn);
            broken = !keep;
        }
        if (keep && expired(*slot, pool_clock::now())) keep = false;
        {
            std::lock_guard lk(m_);
            --in_use_;
            if (keep && !shut_ && idle_.size() < opts_.max_size) {
                slot->last_used = pool_clock::now();
                idle_.push_back(std::move(slot));
            } else {
                ++closed_;
                if (broken) ++replaced_;
            }
            cv_.notify_one();
        }
        slot.reset();  // an overflow, broken or expired connection closes outside the lock
    }

    pool_stats stats() const {
        std::lock_guard lk(m_);
        pool_stats s;
        s.in_use = in_use_;
        s.idle = idle_.size();
        s.opening = opening_;
        s.waiting = waiting_;
        s.created = created_;
        s.closed = closed_;
        s.acquired = acquired_;
        s.timeouts = timeouts_;
        s.replaced = replaced_;
        s.refilled = refilled_;
        return s;
    }

    /// Refuses new checkouts, closes idle connections, and stops the maintainer: wakes it and
    /// waits for it, which takes as long as a connect it has in progress (connect_timeout bounds it).
    void shutdown() noexcept {
        std::vector<std::unique_ptr<pooled_slot>> idle;
        std::thread maintainer;
        {
            std::lock_guard lk(m_);
            shut_ = true;
            closed_ += idle_.size();
            idle.swap(idle_);
            maintainer.swap(maintainer_);  // joined once, by whichever shutdown() got it
            cv_.notify_all();
            maintenance_cv_.notify_all();
        }
        if (maintainer.joinable()) maintainer.join();
    }

private:
    // "Wait forever" is often spelled milliseconds::max(); clock arithmetic in nanoseconds would
    // overflow on it, so every time is capped at a century.
    static pool_options capped(pool_options o) {
        constexpr std::chrono::milliseconds century = std::chrono::hours(24 * 365 * 100);
        for (auto* d : {&o.acquire_timeout, &o.max_lifetime, &o.idle_timeout, &o.maintenance_interval})
            *d = std::min(*d, century);
        return o;
    }

    std::size_t capacity() const noexcept { return opts_.max_size + opts_.max_overflow; }
    std::size_t open_locked() const noexcept { return in_use_ + idle_.size() + opening_ + refilling_; }

    // The maintainer thread's loop: every maintenance_interval until shutdown.
    void maintain() noexcept {
        std::unique_lock lk(m_);
        while (!shut_) {
            maintenance_cv_.wait_for(lk, opts_.maintenance_interval, [&] { return shut_; });
            if (shut_) break;
            std::vector<std::unique_ptr<pooled_slot>> retired;  // closed after the lock is dropped
            retire_idle_locked(retired);
            for (std::size_t i = 0; i < idle_.size();) {  // backends that went away while idle
                if (idle_connection_alive(idle_[i]->conn)) {
                    ++i;
                    continue;
                }
                retired.push_back(std::move(idle_[i]));
                idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
                ++closed_;
                ++replaced_;
            }
            while (!shut_ && open_locked() < opts_.min_size) {
                ++refilling_;
                lk.unlock();
                retired.clear();
                std::unique_ptr<pooled_slot> slot;
                try {
                    slot = make_slot();
                } catch (...) {  // server unreachable: the next round tries again
                }
                lk.lock();
                --refilling_;
                if (!slot) break;
                ++created_;
                ++refilled_;
                if (shut_) {
                    ++closed_;
                    retired.push_back(std::move(slot));
                    break;
                }
                slot->last_used = pool_clock::now();
                idle_.push_back(std::move(slot));
                cv_.notify_one();
            }
            cv_.notify_all();  // retired slots free capacity for waiting checkouts
            lk.unlock();
            retired.clear();
            lk.lock();
        }
    }

    bool expired(const pooled_slot& s, pool_clock::time_point now) const noexcept {
        return opts_.max_lifetime.count() > 0 && now - s.born >= opts_.max_lifetime;
    }

    // Connections past their lifetime always go; idle ones past idle_timeout go down to min_size.
    void retire_idle_locked(std::vector<std::unique_ptr<pooled_slot>>& out) {
        auto now = pool_clock::now();
        for (std::size_t i = 0; i < idle_.size();) {
            bool stale = opts_.idle_timeout.count() > 0 && now - idle_[i]->last_used >= opts_.idle_timeout &&
                         open_locked() > opts_.min_size;
            if (expired(*idle_[i], now) || stale) {
                out.push_back(std::move(idle_[i]));
                idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
                ++closed_;
            } else {
                ++i;
            }
        }
    }

    enum class health { ok, expired, broken };
    health check(pooled_slot& s) const noexcept {
        if (expired(s, pool_clock::now())) return health::expired;
        if (!idle_connection_alive(s.conn)) return health::broken;
        if (!opts_.pre_ping) return health::ok;
        try {
            s.conn.execute_script("");
            return health::ok;
        } catch (...) {
            return health::broken;
        }
    }

    void drop(std::unique_ptr<pooled_slot> slot, bool broken) noexcept {
        {
            std::lock_guard lk(m_);
            --in_use_;
            ++closed_;
            if (broken) ++replaced_;
            cv_.notify_one();
        }
        slot.reset();
    }

    std::unique_ptr<pooled_slot> open_new() {
        try {
            auto slot = make_slot();
            std::lock_guard lk(m_);
            --opening_;
            ++in_use_;
            ++created_;
            ++acquired_;
            return slot;
        } catch (...) {
            std::lock_guard lk(m_);
            --opening_;
            cv_.notify_one();
            throw;
        }
    }

    std::unique_ptr<pooled_slot> make_slot() const {
        if (isolate_sessions_) {
            try {
                return make_slot_unchecked();
            } catch (const connection_error& e) {  // most often: the tenant login was never created
                throw connection_error(std::string(e.what()) +
                                       "; tenant scopes connect as pool_options::tenant's login, which must exist "
                                       "with LOGIN as a member of the tenant role: pgorm::rls::create_tenant_roles() "
                                       "makes both (docs/tenant-isolation.md)");
            }
        }
        return make_slot_unchecked();
    }

    std::unique_ptr<pooled_slot> make_slot_unchecked() const {
        auto slot = std::make_unique<pooled_slot>(cfg_);
        if (isolate_sessions_) refuse_login_defaults(slot->conn);
        if (opts_.observer) slot->conn.set_observer(opts_.observer);
        return slot;
    }

    std::string timeout_message_locked(pool_clock::duration waited) const {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(waited).count();
        return "pgorm: timed out after " + std::to_string(ms) + " ms waiting for a connection from the " + label_ +
               " pool: " + std::to_string(in_use_) + " of " + std::to_string(capacity()) +
               " connections in use (max_size " + std::to_string(opts_.max_size) + ", max_overflow " +
               std::to_string(opts_.max_overflow) + "), " + std::to_string(waiting_) +
               " other checkouts waiting; raise max_size or return connections sooner";
    }

    config cfg_;
    const pool_options opts_;
    const std::string label_;
    const bool isolate_sessions_;

    mutable std::mutex m_;
    std::condition_variable cv_;
    std::condition_variable maintenance_cv_;          // wakes the maintainer for shutdown
    std::vector<std::unique_ptr<pooled_slot>> idle_;  // most recently returned at the back
    std::size_t in_use_ = 0, opening_ = 0, waiting_ = 0, refilling_ = 0;
    std::uint64_t created_ = 0, closed_ = 0, acquired_ = 0, timeouts_ = 0, replaced_ = 0, refilled_ = 0;
    bool shut_ = false;
    std::thread maintainer_;  // started last in the constructor, joined by shutdown()
};

}  // namespace detail

}  // namespace pgorm
