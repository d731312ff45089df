#pragma once
// LISTEN/NOTIFY. A listener owns its own connection (a pooled one would be reset on return and
// lose its LISTENs), waits for notifications by polling the socket with the remaining timeout,
// and reconnects and listens again when the connection drops.
//
// notify() goes through pg_notify() with the channel as a bound parameter; inside a transaction
// the notification is delivered only when that transaction commits.

#include <pgorm/core/connection.hpp>
#include <pgorm/core/notify.hpp>  // pgorm::notify, for code that includes the listener for both
#include <pgorm/detail/linkage.hpp>
#include <pgorm/reflect/identifier.hpp>

#include <libpq-fe.h>

#include <pgorm/types/detail/durations.hpp>
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
class PGORM_ABI_TAG listener {
public:
    /// Throws config_error when the connection goes through a pooler (connection::detect_pooler):
    /// LISTEN needs a server session of its own, and PgBouncer in transaction mode runs the LISTEN
    /// on one server session and hands the next statement another, so notifications would be lost.
    explicit listener(config cfg);
    explicit listener(std::string_view url) : listener(config::from_url(url)) {}

    /// Starts listening on a channel (the name is quoted: case and punctuation are kept as given).
    /// Throws usage_error for an empty or over-long channel name, sql_error (by SQLSTATE, error.hpp), connection_lost.
    void listen(std::string_view channel);
    /// Stops listening on a channel. Throws as listen().
    void unlisten(std::string_view channel);
    /// Stops listening on every channel. Throws sql_error (by SQLSTATE, error.hpp), connection_lost.
    void unlisten_all();
    const std::set<std::string, std::less<>>& channels() const noexcept { return channels_; }

    /// The next notification, or nothing when `timeout` passes first. Sleeps in poll() on the
    /// connection's socket. When the connection has dropped it reconnects and listens again on
    /// every channel (notifications sent while it was down are lost), then keeps waiting.
    /// Throws connection_error when that reconnection fails (the server is down: the caller decides
    /// whether to wait and call again), sql_error (by SQLSTATE, error.hpp) from LISTEN again.
    std::optional<notification> wait(std::chrono::milliseconds timeout);

    /// How often the listener had to reconnect.
    std::size_t reconnects() const noexcept { return reconnects_; }
    /// The listener's connection (its backend pid, for instance); do not run transactions on it.
    connection& conn() noexcept { return conn_; }

private:
    static void check_channel(std::string_view channel);

    // Reads everything the socket holds now. A server that shuts down or terminates the backend
    // sends an error report, which libpq takes as a notice on an idle connection, and then closes
    // the socket: reading until the socket is empty sees that end of file in the same wait
    // instead of the next one. False when the connection is gone.
    bool consume_available();

    std::optional<notification> next_queued();

    void reconnect();

    connection conn_;
    std::set<std::string, std::less<>> channels_;
    std::size_t reconnects_ = 0;
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/listener.ipp>
#endif
