#pragma once
// notify(): NOTIFY through pg_notify(), apart from the listener (core/listener.hpp, which
// includes this header) so that code that only sends notifications, transaction scopes among it,
// does not compile the listener.

#include <pgorm/core/connection.hpp>
#include <pgorm/reflect/identifier.hpp>

#include <string_view>

namespace pgorm {

/// Sends a notification on `channel` with `payload` through pg_notify() (PostgreSQL docs, SQL
/// command NOTIFY: the payload must be shorter than 8000 bytes); the channel and the payload go
/// as bound parameters. Within a transaction scope it is delivered on commit, never on rollback.
/// Throws usage_error for an empty or over-long (more than 63 bytes) channel, sql_error (by
/// SQLSTATE, error.hpp: a payload the server refuses), connection_lost.
template <scope S>
void notify(S& s, std::string_view channel, std::string_view payload = {}) {
    if (channel.empty()) throw usage_error("pgorm: notify needs a channel name");
    require_identifier_limit(channel, "NOTIFY channel");
    s.conn().execute("SELECT pg_notify($1, $2)", channel, payload);
}

}  // namespace pgorm
