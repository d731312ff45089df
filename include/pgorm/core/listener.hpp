#pragma once
// LISTEN/NOTIFY. A listener owns its own connection (a pooled one would be reset on return and
// lose its LISTENs), waits for notifications by polling the socket with the remaining timeout,
// and reconnects and listens again when the connection drops.
//
// notify() goes through pg_notify() with the channel as a bound parameter; inside a transaction
// the notification is delivered only when that transaction commits.

#include <pgorm/core/connection.hpp>
#include <pgorm/core/notify.hpp>  // pgorm::notify, for code that includes the listener for both
#include <pgorm/reflect/identifier.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <pgorm/types/detail/durations.hpp>
#include <climits>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace pgorm {

struct notification {
    std::string channel;
    std::string payload;
    int sender_pid = 0;  // backend process that sent it
};

/// A dedicated connection that LISTENs on channels and waits for notifications.
///
/// Lifetime: owns its connection; channels are unlistened when it closes. Notifications it
/// returns own their data.
/// Thread safety: one thread at a time (it is a connection). To wake a waiting listener from
/// another thread, NOTIFY it on its channel from another connection.
class listener {
public:
    /// Throws config_error when the connection goes through a pooler (connection::detect_pooler):
    /// LISTEN needs a server session of its own, and PgBouncer in transaction mode runs the LISTEN
    /// on one server session and hands the next statement another, so notifications would be lost.
    explicit listener(config cfg) : conn_(std::move(cfg)) {
        if (conn_.detect_pooler())
            throw config_error("pgorm: the listener's connection to " + conn_.settings().redacted() +
                               " goes through a connection pooler (PgBouncer?): LISTEN needs a server session of its "
                               "own, and under transaction pooling notifications are lost; give the listener a "
                               "direct URL to PostgreSQL (the pool may stay behind the pooler; docs/scale-out.md)");
    }
    explicit listener(std::string_view url) : listener(config::from_url(url)) {}

    /// Starts listening on a channel (the name is quoted: case and punctuation are kept as given).
    /// Throws usage_error for an empty or over-long channel name, sql_error (by SQLSTATE, error.hpp), connection_lost.
    void listen(std::string_view channel) {
        check_channel(channel);
        conn_.execute_script("LISTEN " + conn_.quote_identifier(channel));
        channels_.emplace(channel);
    }
    /// Stops listening on a channel. Throws as listen().
    void unlisten(std::string_view channel) {
        check_channel(channel);
        conn_.execute_script("UNLISTEN " + conn_.quote_identifier(channel));
        channels_.erase(std::string(channel));
    }
    /// Stops listening on every channel. Throws sql_error (by SQLSTATE, error.hpp), connection_lost.
    void unlisten_all() {
        conn_.execute_script("UNLISTEN *");
        channels_.clear();
    }
    const std::set<std::string, std::less<>>& channels() const noexcept { return channels_; }

    /// The next notification, or nothing when `timeout` passes first. Sleeps in poll() on the
    /// connection's socket. When the connection has dropped it reconnects and listens again on
    /// every channel (notifications sent while it was down are lost), then keeps waiting.
    /// Throws connection_error when that reconnection fails (the server is down: the caller decides
    /// whether to wait and call again), sql_error (by SQLSTATE, error.hpp) from LISTEN again.
    std::optional<notification> wait(std::chrono::milliseconds timeout) {
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

    /// How often the listener had to reconnect.
    std::size_t reconnects() const noexcept { return reconnects_; }
    /// The listener's connection (its backend pid, for instance); do not run transactions on it.
    connection& conn() noexcept { return conn_; }

private:
    static void check_channel(std::string_view channel) {
        if (channel.empty()) throw usage_error("pgorm: a LISTEN channel name must not be empty");
        // LISTEN would truncate a longer name and wait on a channel no notify() can reach.
        require_identifier_limit(channel, "LISTEN channel");
    }

    // Reads everything the socket holds now. A server that shuts down or terminates the backend
    // sends an error report, which libpq takes as a notice on an idle connection, and then closes
    // the socket: reading until the socket is empty sees that end of file in the same wait
    // instead of the next one. False when the connection is gone.
    bool consume_available() {
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

    std::optional<notification> next_queued() {
        PGnotify* n = PQnotifies(conn_.native());
        if (!n) return std::nullopt;
        notification out{n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid};
        PQfreemem(n);
        return out;
    }

    void reconnect() {
        conn_.reconnect();
        ++reconnects_;
        for (const auto& ch : channels_) conn_.execute_script("LISTEN " + conn_.quote_identifier(ch));
    }

    connection conn_;
    std::set<std::string, std::less<>> channels_;
    std::size_t reconnects_ = 0;
};

}  // namespace pgorm
