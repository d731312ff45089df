#pragma once
// async_pool: a fixed-size pool of async connections for coroutines, and transactions on it.
//
//     pgorm::async_pool db{ex, pgorm::config::from_env(), {.size = 4}};
//     int n = co_await db.transact([&](pgorm::async_xact& q) -> pgorm::awaitable<int> {
//         co_await q.execute("UPDATE users SET credits_balance = credits_balance + $1 WHERE user_id = $2", 100, id);
//         co_return 1;
//     });
//
// Connections are opened on demand up to `size`; a coroutine that finds none free waits (without
// blocking its thread) until one is returned, or fails with pool_timeout after acquire_timeout.
// A connection that comes back broken, inside a transaction, or with statements still pending is
// closed instead of reused, and a waiter is told to open a fresh one.
//
// Threads: the pool's state is not locked. Use it from one thread, or from coroutines that all
// run on one strand.

#include <pgorm/async/connection.hpp>
#include <pgorm/xact/options.hpp>
#include <pgorm/xact/retry.hpp>  // detail::retryable, detail::check_retry_policy

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <type_traits>
#include <vector>

namespace pgorm {

struct async_pool_options {
    /// Connections the pool opens at most (each can pipeline many statements).
    std::size_t size = 10;
    /// How long acquire() waits for a free connection before throwing pool_timeout.
    std::chrono::milliseconds acquire_timeout{30'000};
    /// Per connection: how long its connect may take.
    async_options connection;
};

/// Counters of an async pool.
struct async_pool_stats {
    std::size_t open = 0;     // connections open or opening (in use + idle)
    std::size_t idle = 0;     // open and waiting in the pool
    std::size_t waiting = 0;  // coroutines waiting in acquire()
    std::uint64_t created = 0, discarded = 0, acquired = 0, timeouts = 0;
};

namespace detail {

struct async_pool_state : std::enable_shared_from_this<async_pool_state> {
    struct waiter {
        explicit waiter(const boost::asio::any_io_executor& ex) : wake(ex) {}
        boost::asio::steady_timer wake;
        std::unique_ptr<async_connection> given;  // set by release(); empty: try to open one
        bool woken = false;
    };

    boost::asio::any_io_executor executor;
    config cfg;
    async_pool_options opts;
    std::vector<std::unique_ptr<async_connection>> idle;
    std::deque<std::shared_ptr<waiter>> waiters;
    async_pool_stats stats;

    void release(std::unique_ptr<async_connection> c) {
        bool reusable = c->is_open() && c->pending() == 0 && c->transaction_status() == PQTRANS_IDLE;
        if (!reusable) {
            c.reset();
            --stats.open;
            ++stats.discarded;
        }
        if (!waiters.empty()) {
            std::shared_ptr<waiter> w = std::move(waiters.front());
            waiters.pop_front();
            w->given = std::move(c);  // empty: a place is free, the waiter opens a connection
            w->woken = true;
            w->wake.cancel();
            return;
        }
        if (c) idle.push_back(std::move(c));
    }

    /// A connect failed and freed its place: the first waiter may try to open one itself.
    void release_slot_to_waiter() {
        if (waiters.empty()) return;
        std::shared_ptr<waiter> w = std::move(waiters.front());
        waiters.pop_front();
        w->woken = true;
        w->wake.cancel();
    }
};

}  // namespace detail

/// A connection checked out of an async_pool; returns it when destroyed. Use it like the
/// connection itself (->query, ->execute).
class async_lease {
public:
    async_lease() = default;
    async_lease(std::shared_ptr<detail::async_pool_state> pool, std::unique_ptr<async_connection> c)
        : pool_(std::move(pool)), conn_(std::move(c)) {}
    async_lease(async_lease&&) noexcept = default;
    async_lease& operator=(async_lease&& o) noexcept {
        if (this != &o) {
            give_back();
            pool_ = std::move(o.pool_);
            conn_ = std::move(o.conn_);
        }
        return *this;
    }
    ~async_lease() { give_back(); }

    async_connection& operator*() const { return conn(); }
    async_connection* operator->() const { return &conn(); }
    async_connection& conn() const {
        if (!conn_) throw usage_error("pgorm: this async_lease is empty (moved from, or already returned)");
        return *conn_;
    }
    /// Returns the connection to the pool now.
    void release() noexcept { give_back(); }

private:
    void give_back() noexcept {
        if (pool_ && conn_) pool_->release(std::move(conn_));
        pool_.reset();
        conn_.reset();
    }
    std::shared_ptr<detail::async_pool_state> pool_;
    std::unique_ptr<async_connection> conn_;
};

/// A transaction on a leased connection: statements as on async_connection. Commit and rollback
/// are done by async_pool::transact; commit()/rollback() end it early.
class async_xact : public async_statements {
public:
    explicit async_xact(async_connection& c) : async_statements(c), conn_(&c) {}

    awaitable<void> commit() {
        check_open("commit");
        open_ = false;
        co_await conn_->execute("COMMIT");
    }
    awaitable<void> rollback() {
        check_open("roll back");
        open_ = false;
        co_await conn_->execute("ROLLBACK");
    }
    bool is_open() const noexcept { return open_; }
    async_connection& conn() noexcept { return *conn_; }

    /// The BEGIN statement for these options.
    static std::string begin_sql(const xact_options& o) {
        std::string sql = "BEGIN";
        switch (o.level) {
            case isolation::server_default: break;
            case isolation::read_committed: sql += " ISOLATION LEVEL READ COMMITTED"; break;
            case isolation::repeatable_read: sql += " ISOLATION LEVEL REPEATABLE READ"; break;
            case isolation::serializable: sql += " ISOLATION LEVEL SERIALIZABLE"; break;
        }
        if (o.read_only) sql += " READ ONLY";
        if (o.deferrable) sql += " DEFERRABLE";
        return sql;
    }

private:
    void check_open(const char* what) const {
        if (!open_) throw usage_error(std::string("pgorm: cannot ") + what + ": this transaction has already ended");
    }
    async_connection* conn_;
    bool open_ = true;
};

class async_pool {
public:
    async_pool(const boost::asio::any_io_executor& ex, config cfg, async_pool_options opts = {})
        : state_(std::make_shared<detail::async_pool_state>()) {
        if (opts.size == 0) throw config_error("pgorm: async_pool_options::size must be at least 1");
        if (opts.acquire_timeout.count() < 0) throw config_error("pgorm: async_pool_options::acquire_timeout must not be negative");
        if (opts.connection.connect_timeout.count() <= 0)
            throw config_error("pgorm: async_pool_options::connection.connect_timeout must be positive");
        state_->executor = ex;
        state_->cfg = std::move(cfg);
        state_->opts = opts;
    }
    async_pool(const boost::asio::any_io_executor& ex, std::string_view conninfo, async_pool_options opts = {})
        : async_pool(ex, config::parse(conninfo), opts) {}

    /// A connection of its own until the lease is destroyed. Throws pool_timeout after
    /// acquire_timeout, connection_error when a new connection cannot be opened.
    awaitable<async_lease> acquire() {
        std::shared_ptr<detail::async_pool_state> s = state_;
        const auto deadline = std::chrono::steady_clock::now() + s->opts.acquire_timeout;
        for (;;) {
            while (!s->idle.empty()) {
                std::unique_ptr<async_connection> c = std::move(s->idle.back());
                s->idle.pop_back();
                if (c->is_open()) co_return lease(s, std::move(c));
                --s->stats.open;  // died while idle (server restart, idle timeout on the server)
                ++s->stats.discarded;
            }
            if (s->stats.open < s->opts.size) {
                ++s->stats.open;
                auto c = std::make_unique<async_connection>(s->executor, s->cfg, s->opts.connection);
                std::exception_ptr failed;
                try {
                    co_await c->connect();
                } catch (...) {
                    failed = std::current_exception();
                }
                if (failed) {
                    --s->stats.open;
                    s->release_slot_to_waiter();
                    std::rethrow_exception(failed);
                }
                ++s->stats.created;
                co_return lease(s, std::move(c));
            }
            auto w = std::make_shared<detail::async_pool_state::waiter>(s->executor);
            w->wake.expires_at(deadline);
            s->waiters.push_back(w);
            boost::system::error_code ec;
            co_await w->wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            if (w->given) co_return lease(s, std::move(w->given));
            if (!w->woken) {  // the timer ran out
                std::erase(s->waiters, w);
                ++s->stats.timeouts;
                throw pool_timeout("pgorm: no connection free within " +
                                   std::to_string(s->opts.acquire_timeout.count()) + " ms (async pool of " +
                                   std::to_string(s->opts.size) + ", " + std::to_string(s->waiters.size()) +
                                   " other coroutine(s) waiting)");
            }
            // Woken without a connection: one was discarded, so there is room to open another.
        }
    }

    /// Runs `f(async_xact&)` (a coroutine) in a transaction on a pooled connection: COMMIT when
    /// it returns, ROLLBACK when it throws (the exception propagates). Under options.retry, the
    /// whole function runs again after serialization_failure, deadlock_detected or
    /// stale_statement, with full-jitter backoff as the synchronous pool does (xact/options.hpp).
    template <class F>
    auto transact(F f, transact_options options = {}) -> std::invoke_result_t<F&, async_xact&> {
        using A = std::invoke_result_t<F&, async_xact&>;
        return run_transaction<typename A::value_type>(std::move(f), options);
    }

    async_pool_stats stats() const {
        async_pool_stats s = state_->stats;
        s.idle = state_->idle.size();
        s.waiting = state_->waiters.size();
        return s;
    }
    const async_pool_options& options() const noexcept { return state_->opts; }

private:
    template <class R, class F>
    awaitable<R> run_transaction(F f, transact_options options) {
        detail::check_retry_policy(options.retry);
        for (int attempt = 1;; ++attempt) {
            std::exception_ptr failed;
            {
                async_lease c = co_await acquire();
                async_xact q(*c);
                std::optional<std::conditional_t<std::is_void_v<R>, int, R>> out;
                try {
                    co_await c->execute(async_xact::begin_sql(options.xact));
                    if constexpr (std::is_void_v<R>) {
                        co_await f(q);
                        out.emplace(0);
                    } else {
                        out.emplace(co_await f(q));
                    }
                    if (q.is_open()) co_await q.commit();
                } catch (...) {
                    failed = std::current_exception();
                }
                if (!failed) {
                    if constexpr (std::is_void_v<R>) co_return;
                    else co_return std::move(*out);
                }
                if (q.is_open() && c->is_open()) {
                    try {
                        co_await q.rollback();
                    } catch (...) {  // a broken connection rolled back by itself; the pool drops it
                    }
                }
            }
            if (!may_retry(failed, options.retry, attempt)) std::rethrow_exception(failed);
            boost::asio::steady_timer pause(state_->executor, backoff(options.retry, attempt));
            co_await pause.async_wait(boost::asio::use_awaitable);
        }
    }

    static bool may_retry(const std::exception_ptr& e, const retry_policy& p, int attempt) {
        if (attempt >= p.max_attempts) return false;
        try {
            std::rethrow_exception(e);
        } catch (const transaction_rollback& x) {
            return detail::retryable(x);
        } catch (...) {
            return false;
        }
    }
    static std::chrono::milliseconds backoff(const retry_policy& p, int attempt) {
        auto cap = p.initial_backoff.count();
        for (int i = 1; i < attempt && cap < p.max_backoff.count(); ++i) cap *= 2;
        cap = std::min<std::chrono::milliseconds::rep>(cap, p.max_backoff.count());
        if (cap <= 0) return std::chrono::milliseconds(0);
        thread_local std::minstd_rand rng{std::random_device{}()};
        return std::chrono::milliseconds(std::uniform_int_distribution<std::chrono::milliseconds::rep>(0, cap)(rng));
    }
    static async_lease lease(const std::shared_ptr<detail::async_pool_state>& s, std::unique_ptr<async_connection> c) {
        ++s->stats.acquired;
        return async_lease(s, std::move(c));
    }

    std::shared_ptr<detail::async_pool_state> state_;
};

}  // namespace pgorm
