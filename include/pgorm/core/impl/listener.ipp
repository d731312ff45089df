#pragma once
// listener's out-of-line members (core/listener.hpp): LISTEN/UNLISTEN, the poll() wait, reconnecting.

#include <pgorm/core/listener.hpp>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <string>

namespace pgorm {

PGORM_DECL listener::listener(config cfg) : conn_(std::move(cfg)) {
    if (conn_.detect_pooler())
        throw config_error("pgorm: the listener's connection to " + conn_.settings().redacted() +
                           " goes through a connection pooler (PgBouncer?): LISTEN needs a server session of its "
                           "own, and under transaction pooling notifications are lost; give the listener a "
                           "direct URL to PostgreSQL (the pool may stay behind the pooler; docs/scale-out.md)");
}

PGORM_DECL void listener::listen(std::string_view channel) {
    check_channel(channel);
    conn_.execute_script("LISTEN " + conn_.quote_identifier(channel));
    channels_.emplace(channel);
}

PGORM_DECL void listener::unlisten(std::string_view channel) {
    check_channel(channel);
    conn_.execute_script("UNLISTEN " + conn_.quote_identifier(channel));
    channels_.erase(std::string(channel));
}

PGORM_DECL void listener::unlisten_all() {
    conn_.execute_script("UNLISTEN *");
    channels_.clear();
}

PGORM_DECL std::optional<notification> listener::wait(std::chrono::milliseconds timeout) {
    // Capped at a century: milliseconds::max() ("forever") would overflow the clock's nanoseconds.
    constexpr std::chrono::milliseconds century = std::chrono::hours(24 * 365 * 100);
    const auto deadline = std::chrono::steady_clock::now() + std::min(timeout, century);
    bool looked = false;
    for (;;) {
        if (auto n = next_queued()) return n;
        if (!conn_.is_open()) {
            reconnect();
            continue;
        }
        const auto now = std::chrono::steady_clock::now();
        if (looked && now >= deadline) return std::nullopt;
        looked = true;  // a zero or past timeout still takes one look at the socket
        auto left = deadline > now ? std::chrono::ceil<std::chrono::milliseconds>(deadline - now)
                                   : std::chrono::milliseconds(0);
        pollfd fd{PQsocket(conn_.native()), POLLIN, 0};
        // poll() takes an int: wait at most ~24 days at a time, then go round again.
        int ready = ::poll(&fd, 1, static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), INT_MAX)));
        if (ready < 0) {
            if (errno == EINTR) continue;
            throw connection_error(std::string("pgorm: waiting for notifications failed: ") + std::strerror(errno));
        }
        if (ready == 0) continue;  // the deadline check above returns nothing once it has passed
        if (!consume_available()) {
            reconnect();
            continue;
        }
    }
}

PGORM_DECL void listener::check_channel(std::string_view channel) {
    if (channel.empty()) throw usage_error("pgorm: a LISTEN channel name must not be empty");
    // LISTEN would truncate a longer name and wait on a channel no notify() can reach.
    require_identifier_limit(channel, "LISTEN channel");
}

PGORM_DECL bool listener::consume_available() {
    PGconn* p = conn_.native();
    for (int round = 0; round < 16; ++round) {
        if (!PQconsumeInput(p) || PQstatus(p) != CONNECTION_OK) return false;
        pollfd fd{PQsocket(p), POLLIN, 0};
        int ready = ::poll(&fd, 1, 0);
        if (ready == 0) return true;
        if (ready < 0) return errno == EINTR;
        if (fd.revents & (POLLERR | POLLNVAL)) return false;
    }
    return true;  // still more: a flood of notifications; the next wait reads on
}

PGORM_DECL std::optional<notification> listener::next_queued() {
    PGnotify* n = PQnotifies(conn_.native());
    if (!n) return std::nullopt;
    notification out{n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid};
    PQfreemem(n);
    return out;
}

PGORM_DECL void listener::reconnect() {
    conn_.reconnect();
    ++reconnects_;
    for (const auto& ch : channels_) conn_.execute_script("LISTEN " + conn_.quote_identifier(ch));
}

}  // namespace pgorm
