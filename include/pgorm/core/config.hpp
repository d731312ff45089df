#pragma once
// Connection settings: from a URL, from DATABASE_* environment variables (seed 004), or by hand.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/error.hpp>

#include <pgorm/types/detail/durations.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgorm {

/// TCP settings every pgorm connection gets unless its URL or key=value string sets the same
/// key (libpq docs, 34.1.2 "Parameter Key Words"; ignored on Unix-domain sockets). They bound how
/// long a connection whose peer vanished without closing it (host down, NAT or firewall entry
/// dropped) can block: a silent peer is declared dead after keepalives_idle + keepalives_interval
/// * keepalives_count = 10 + 5 * 4 = 30 s without a reply, and data the peer has not
/// acknowledged for tcp_user_timeout = 30 000 ms ends the connection too; the call then throws
/// connection_lost. A slow query is not affected: the peer's TCP stack keeps answering.
/// To change one, set it in the URL (`?keepalives_idle=60&tcp_user_timeout=120000`).
struct tcp_default {
    const char* keyword;
    const char* value;
};
inline constexpr tcp_default default_tcp_settings[] = {
    {"keepalives", "1"},          {"keepalives_idle", "10"}, {"keepalives_interval", "5"},
    {"keepalives_count", "4"},    {"tcp_user_timeout", "30000"},
};

struct config {
    /// A libpq connection string: "postgresql://..." URL or "key=value ..." form.
    std::string conninfo;
    /// Named prepared statements cached per connection. Turn off behind PgBouncer in
    /// transaction mode (seed 004's statement_cache_size=0): statements are then unnamed.
    /// The URL parameter pgorm_prepare=off (or the key=value pair pgorm_prepare=off) sets it;
    /// parse() and from_url() strip that parameter, which libpq does not know (docs/scale-out.md).
    bool prepared_statements = true;
    /// The longest one round trip (a statement sent and its results read) may block waiting for
    /// the server; zero (the default): no limit, as libpq. Set it when a stopped or wedged server
    /// must not hang the caller: TCP keepalives cannot see one, its kernel still acknowledges.
    /// At the deadline a cancel request is sent; a statement it stops throws query_canceled
    /// (SQLSTATE 57014) and the connection stays usable. A server silent for min(call_timeout, 2 s)
    /// more is given up on: the connection is closed and the call throws connection_lost.
    /// Covers execute, execute_script, query*, prepares and repository calls; pipelines, COPY
    /// data and streamed rows still wait without it (docs/reliability.md). It must exceed the
    /// slowest statement meant to succeed (statement_timeout bounds those on the server side).
    /// The URL or key=value parameter pgorm_call_timeout sets it: a whole number with an optional
    /// unit, ms (the default), s or min (`?pgorm_call_timeout=5s`); parse() and from_url() strip it.
    std::chrono::milliseconds call_timeout{0};

    /// Parses and validates a URL. Accepts postgres:// and postgresql://, and SQLAlchemy-style
    /// driver suffixes (postgresql+asyncpg://), which are dropped.
    static config from_url(std::string_view url);

    /// A URL (postgresql://...) or a libpq key=value connection string ("host=db dbname=app").
    static config parse(std::string_view conninfo);

    /// DATABASE_URL when set, else DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER and
    /// DATABASE_PASSWORD (host and name are required in that form).
    static config from_env();

    /// The conninfo with any password replaced by ***, for logs and messages.
    std::string redacted() const;

    static std::string redact(const std::string& s);

    /// Quotes a value for a key=value connection string.
    static std::string quote(const std::string& v);

private:
    static constexpr std::string_view prepare_option = "pgorm_prepare";
    static constexpr std::string_view call_timeout_option = "pgorm_call_timeout";

    static config with_options(std::string conninfo, const std::optional<std::string>& prepare,
                               const std::optional<std::string>& call_timeout, const std::string& shown);

    // A whole number of milliseconds, seconds or minutes (PostgreSQL's own spellings for time
    // settings: ms, s, min; PostgreSQL 15 docs, 20.1.1); no unit means ms, 0 means off.
    static std::chrono::milliseconds duration_value(std::string_view option, std::string_view v, const std::string& shown);

    // on/off (and the usual boolean spellings) of pgorm_prepare; anything else is a config_error.
    static bool prepare_value(std::string_view v, const std::string& shown);

    // Removes every `option`=... from a URL's query string; returns the last value given (an
    // empty value when '=' is missing). libpq rejects query parameters it does not know, so it
    // must never see pgorm's own.
    static std::optional<std::string> take_url_option(std::string& u, std::string_view option);

    // The same for a key=value string: "pgorm_prepare=off" (blanks allowed around '=') as a
    // whole word, its value unquoted (pgorm's options take no blanks or quotes).
    static std::optional<std::string> take_keyword_option(std::string& ci, std::string_view option);

    // libpq accepts "host:abc" and fails only at connect time; say so up front instead.
    static void check_ports(const std::string& u);
    static void validate(const std::string& conninfo, const std::string& shown);
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/config.ipp>
#endif
