#pragma once
// connection's out-of-line members (core/connection.hpp): compiled in every translation unit in
// header-only mode, once in <pgorm/src.hpp>'s translation unit with PGORM_SEPARATE_COMPILATION.
// The call_timeout machinery (poll, the cancel thread) is needed only here.

#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/call_deadline.hpp>

#include <array>
#include <cstring>
#include <string>

namespace pgorm {

// A server that answered neither the statement nor the cancel sent at the deadline is given
// up on: the connection is closed (so a pool replaces it) and the call throws connection_lost.
template <class Send>
PGresult* connection::within_call_timeout(PGconn* pg, Send&& send) {
    bool gave_up = false;
    PGresult* r = detail::exec_within(pg, cfg_.call_timeout, send, gave_up);
    if (gave_up) [[unlikely]] {
        close();
        throw connection_lost("pgorm: no answer from the server within call_timeout (" +
                              std::to_string(cfg_.call_timeout.count()) + " ms) nor within " +
                              std::to_string(detail::cancel_grace(cfg_.call_timeout).count()) +
                              " ms of a cancel request; the connection was closed (a stopped or hung server, "
                              "or a network path that stopped relaying)");
    }
    return r;
}

PGORM_DECL bool connection::detect_pooler() {
    const char* sql = "SELECT pg_catalog.pg_backend_pid()";
    result r = check(blocking_exec(sql), sql);
    const char* pid = r.size() == 1 ? PQgetvalue(r.native(), 0, 0) : nullptr;
    behind_pooler_ = pid && std::to_string(PQbackendPID(conn_)) != pid;
    return behind_pooler_;
}

PGORM_DECL void connection::close() noexcept {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    statements_.clear();
}

PGORM_DECL void connection::reconnect() {
    close();
    open();
}

PGORM_DECL result connection::execute_script(std::string_view sql) {
    if (observer_) [[unlikely]]
        return observed(statement_path::simple, sql, 0, [&] { return exec_unobserved(sql); });
    return exec_unobserved(sql);
}

PGORM_DECL void connection::clear_statement_cache(bool deallocate_on_server) {
    if (!deallocate_on_server) {
        statements_.clear();
    } else if (is_open() && transaction_status() == PQTRANS_IDLE) {
        if (!statements_.empty() || statements_.has_orphans()) PQclear(PQexec(conn_, "DEALLOCATE ALL"));
        statements_.clear();
    } else {
        statements_.retire_all();
    }
}

PGORM_DECL std::string connection::quote_identifier(std::string_view id) const {
    char* q = PQescapeIdentifier(handle(), id.data(), id.size());
    if (!q) throw usage_error(std::string("pgorm: cannot quote identifier: ") + PQerrorMessage(conn_));
    std::string s(q);
    PQfreemem(q);
    return s;
}

PGORM_DECL result connection::run(std::string_view sql, const param_refs& p) {
    if (observer_) [[unlikely]]
        return observed(statement_path::extended, sql, p.count, [&] { return run_unobserved(sql, p); });
    return run_unobserved(sql, p);
}

PGORM_DECL detail::staleness connection::forget_if_stale(const PGresult* r, std::string_view sql) {
    detail::staleness why = detail::stale_statement_kind(r);
    if (why == detail::staleness::statement_missing) {
        statements_.clear();  // orphans too: gone with the rest, if DEALLOCATE ALL did it
    } else if (why == detail::staleness::result_changed) {
        statements_.forget_text(sql);
    }
    return why;
}

PGORM_DECL result connection::check_cached(PGresult* r, std::string_view sql) {
    if (detail::staleness why = forget_if_stale(r, sql); why != detail::staleness::fresh) [[unlikely]] {
        if (why == detail::staleness::statement_missing && behind_pooler_) throw_pooled_statement_missing(r, sql);
        result owned(r);  // freed as the exception leaves
        detail::throw_stale_statement(r, why, sql);
    }
    return check(r, sql);
}

PGORM_DECL result connection::check(PGresult* r, std::string_view sql) {
    if (!r) detail::throw_result_error(nullptr, PQerrorMessage(conn_), PQstatus(conn_) != CONNECTION_OK, sql);
    switch (PQresultStatus(r)) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_EMPTY_QUERY:
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_SINGLE_TUPLE:
        case PGRES_PIPELINE_SYNC: return result(r);
        default: {
            result owned(r);  // freed as the exception leaves
            detail::throw_result_error(r, PQerrorMessage(conn_), PQstatus(conn_) != CONNECTION_OK, sql);
        }
    }
}

PGORM_DECL PGconn* connection::handle() const {
    if (!conn_) throw connection_lost("pgorm: the connection is closed; call reconnect() to open it again");
    if (PQstatus(conn_) != CONNECTION_OK)  // broke in an earlier call: say so, and what to do
        throw connection_lost("pgorm: connection lost: " + detail::trimmed(PQerrorMessage(conn_)) +
                              " (this connection stays broken: call reconnect(), or borrow from a pgorm::pool, "
                              "which replaces broken connections)");
    return conn_;
}

PGORM_DECL result connection::exec_unobserved(std::string_view sql) {
    std::string text(sql);
    return check(blocking_exec(text.c_str()), sql);
}

PGORM_DECL result connection::run_unobserved(std::string_view sql, const param_refs& p) {
    if (!cfg_.prepared_statements) return run_unnamed(sql, p);
    PGresult* r = exec_cached(sql, p);
    detail::staleness why = forget_if_stale(r, sql);
    if (why == detail::staleness::statement_missing && behind_pooler_) [[unlikely]]
        throw_pooled_statement_missing(r, sql);
    if (why != detail::staleness::fresh && PQtransactionStatus(conn_) == PQTRANS_IDLE) {
        PQclear(r);
        r = exec_cached(sql, p);  // prepares it anew
    }
    return check_cached(r, sql);
}

PGORM_DECL void connection::open() {
    // Keywords are applied in order and the conninfo expands at "dbname", so the TCP defaults
    // placed before it yield to the user's own settings (libpq docs, PQconnectdbParams).
    constexpr std::size_t n_tcp = std::size(default_tcp_settings);
    std::array<const char*, n_tcp + 4> keys{}, vals{};
    for (std::size_t i = 0; i < n_tcp; ++i) {
        keys[i] = default_tcp_settings[i].keyword;
        vals[i] = default_tcp_settings[i].value;
    }
    keys[n_tcp] = "dbname", vals[n_tcp] = cfg_.conninfo.c_str();
    keys[n_tcp + 1] = "client_encoding", vals[n_tcp + 1] = "UTF8";
    keys[n_tcp + 2] = "fallback_application_name", vals[n_tcp + 2] = "pgorm";
    conn_ = PQconnectdbParams(keys.data(), vals.data(), 1);
    if (!conn_) throw connection_error("pgorm: out of memory opening a connection");
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string why = detail::trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw connection_error("pgorm: cannot connect to " + cfg_.redacted() + ": " + why);
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // notices are not errors
    behind_pooler_ = false;
    if (!cfg_.prepared_statements) return;
    try {
        detect_pooler();
    } catch (const sql_error&) {
        // A server without pg_backend_pid() (PgBouncer's admin console answers only SHOW and
        // its commands): nothing to compare, and nothing to prepare there either.
    } catch (...) {
        PQfinish(conn_);
        conn_ = nullptr;
        throw;
    }
}

PGORM_DECL void connection::throw_pooled_statement_missing(PGresult* r, std::string_view sql) {
    result owned(r);  // freed as the exception leaves
    sql_error::details d = detail::error_details(r, sql);
    statements_.clear();  // none of them can be trusted on the session we are given next
    throw prepared_statements_unsupported(
        "pgorm: named prepared statements do not work on this connection (" + d.message +
            "): it goes through a connection pooler (PgBouncer?) that runs each transaction on "
            "whichever server session is free (pool_mode=transaction), where a statement prepared on one "
            "session is missing on the next; add pgorm_prepare=off to the URL (or set "
            "config::prepared_statements / pool_options::prepared_statements to false) to send unnamed "
            "statements [SQLSTATE " +
            d.sqlstate + "]; query: " + d.statement,
        std::move(d));
}

PGORM_DECL PGresult* connection::blocking_exec(const char* sql) {
    PGconn* pg = handle();
    if (cfg_.call_timeout.count() == 0) [[likely]]
        return PQexec(pg, sql);
    return within_call_timeout(pg, [&] { return PQsendQuery(pg, sql); });
}

PGORM_DECL PGresult* connection::blocking_exec_params(const char* sql, const param_refs& p) {
    PGconn* pg = handle();
    if (cfg_.call_timeout.count() == 0) [[likely]]
        return PQexecParams(pg, sql, p.count, p.types, p.values, p.lengths, p.formats, 1);
    return within_call_timeout(
        pg, [&] { return PQsendQueryParams(pg, sql, p.count, p.types, p.values, p.lengths, p.formats, 1); });
}

PGORM_DECL PGresult* connection::blocking_exec_prepared(const char* name, const param_refs& p) {
    PGconn* pg = handle();
    if (cfg_.call_timeout.count() == 0) [[likely]]
        return PQexecPrepared(pg, name, p.count, p.values, p.lengths, p.formats, 1);
    return within_call_timeout(
        pg, [&] { return PQsendQueryPrepared(pg, name, p.count, p.values, p.lengths, p.formats, 1); });
}

PGORM_DECL PGresult* connection::blocking_prepare(const char* name, const char* sql, const param_refs& p) {
    PGconn* pg = handle();
    if (cfg_.call_timeout.count() == 0) [[likely]]
        return PQprepare(pg, name, sql, p.count, p.types);
    return within_call_timeout(pg, [&] { return PQsendPrepare(pg, name, sql, p.count, p.types); });
}

PGORM_DECL PGresult* connection::exec_cached(std::string_view sql, const param_refs& p) {
    const std::string& name = prepared_name(sql, p);
    return blocking_exec_prepared(name.c_str(), p);
}

PGORM_DECL result connection::run_unnamed(std::string_view sql, const param_refs& p) {
    std::string text(sql);
    return check(blocking_exec_params(text.c_str(), p), sql);
}

PGORM_DECL const std::string& connection::prepared_name(std::string_view sql, const param_refs& p) {
    if (const std::string* name = statements_.find(sql, p)) return *name;
    // DEALLOCATE only outside a transaction: one for a statement that is already gone (a
    // DISCARD ALL we were not told of) fails, which would abort the caller's transaction.
    if (statements_.has_orphans() && PQtransactionStatus(conn_) == PQTRANS_IDLE)
        PQclear(PQexec(conn_, statements_.take_orphans_sql().c_str()));
    std::string name = statements_.next_name();
    std::string text(sql);
    PGresult* prepared = blocking_prepare(name.c_str(), text.c_str(), p);
    if (behind_pooler_ && detail::result_field(prepared, PG_DIAG_SQLSTATE) == "42P05") [[unlikely]]
        throw_pooled_statement_missing(prepared, sql);  // "already exists": another session's leftover
    check(prepared, sql);
    return statements_.insert(sql, p, std::move(name));
}

}  // namespace pgorm
