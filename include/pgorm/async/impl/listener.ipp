#pragma once
// Bodies of async/listener.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/async/listener.hpp>

namespace pgorm {

PGORM_DECL awaitable<void> async_listener::listen(std::string channel) {
    check_channel(channel);
    co_await conn_.execute("LISTEN " + conn_.quote_identifier(channel));
    channels_.insert(std::move(channel));
}

PGORM_DECL awaitable<void> async_listener::unlisten(std::string channel) {
    check_channel(channel);
    co_await conn_.execute("UNLISTEN " + conn_.quote_identifier(channel));
    channels_.erase(channel);
}

PGORM_DECL awaitable<notification> async_listener::next() {
    for (;;) {
        if (conn_.is_open()) {
            try {
                co_await wait_one_dispatched();
                if (ready_) {
                    notification n = std::move(*ready_);
                    ready_.reset();
                    co_return n;
                }
            } catch (const connection_lost&) {  // reconnect below
            }
        }
        co_await conn_.connect();
        ++reconnects_;
        for (const auto& ch : channels_) co_await conn_.execute("LISTEN " + conn_.quote_identifier(ch));
    }
}

PGORM_DECL void async_listener::check_channel(std::string_view channel) {
    if (channel.empty()) throw usage_error("pgorm: a LISTEN channel name must not be empty");
    require_identifier_limit(channel, "LISTEN channel");  // LISTEN would truncate a longer name
}

}  // namespace pgorm
