#pragma once
// async_listener: LISTEN/NOTIFY for coroutines. It owns its connection (a pooled one is shared
// and would carry the LISTENs to other users), and after the connection drops it reconnects and
// listens again on every channel; notifications sent while it was down are lost, so pair it with
// a periodic poll when none may be missed.
//
//     pgorm::async_listener l{ex, cfg};
//     co_await l.connect();
//     co_await l.listen("jobs");
//     for (;;) { pgorm::notification n = co_await l.next(); ... }

#include <pgorm/detail/linkage.hpp>
#include <pgorm/async/connection.hpp>
#include <pgorm/reflect/identifier.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace pgorm {

class async_listener {
public:
    async_listener(const boost::asio::any_io_executor& ex, config cfg, async_options opts = {})
        : conn_(ex, std::move(cfg), opts) {}
    async_listener(const boost::asio::any_io_executor& ex, std::string_view conninfo, async_options opts = {})
        : async_listener(ex, config::parse(conninfo), opts) {}

    awaitable<void> connect() { co_await conn_.connect(); }

    /// Starts listening on a channel (quoted: case and punctuation are kept as given).
    awaitable<void> listen(std::string channel);
    awaitable<void> unlisten(std::string channel);

    /// The next notification on any listened channel. One coroutine at a time may wait. A lost
    /// connection is reopened (reconnects() counts it) and the wait goes on; a failed reconnect
    /// throws connection_error. Cancel it with a cancellation slot or an awaitable operator
    /// (`co_await (l.next() || timer.async_wait(...))`).
    awaitable<notification> next();

    std::size_t reconnects() const noexcept { return reconnects_; }
    const std::set<std::string, std::less<>>& channels() const noexcept { return channels_; }
    /// The listener's connection (its backend pid, for instance); run no transactions on it.
    async_connection& conn() noexcept { return conn_; }

private:
    static void check_channel(std::string_view channel);

    awaitable<void> wait_one_dispatched() {
        // A named initiation, not a lambda temporary inside the co_await expression: g++ 12
        // destroys such temporaries twice, which here dropped a reference to the engine.
        auto start = [e = engine_of(conn_)](auto handler) {
            boost::asio::any_io_executor ex = boost::asio::get_associated_executor(handler, e->strand());
            boost::asio::cancellation_slot slot = boost::asio::get_associated_cancellation_slot(handler);
            boost::asio::post(e->strand(), [e, ex, slot, h = detail::notify_handler(std::move(handler))]() mutable {
                e->wait_notification(std::move(h), ex, slot);
            });
        };
        ready_ = co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                                      void(std::exception_ptr, notification)>(start, boost::asio::use_awaitable);
    }
    static std::shared_ptr<detail::async_engine> engine_of(async_connection& c) { return c.engine(); }

    async_connection conn_;
    std::set<std::string, std::less<>> channels_;
    std::optional<notification> ready_;
    std::size_t reconnects_ = 0;
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/async/impl/listener.ipp>
#endif
