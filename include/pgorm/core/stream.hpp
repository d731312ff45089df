#pragma once
// Streaming: a statement's rows handed over one at a time as they arrive (libpq single-row mode),
// so memory stays flat however many rows it returns. The repository's for_each and the `_each`
// functions pgorm-gen writes are built on this.
//
// Lifetime: the one-row result handed to the callback, and anything read from it as a view, is
// freed when the callback returns. Thread safety: as the connection (one thread at a time).
//
// Stopping early or throwing from the callback leaves the connection usable: in autocommit mode
// the statement is cancelled, inside a transaction the remaining rows are read and dropped (a
// cancel would abort the transaction), so bound such reads with LIMIT when you mean to stop early.

#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/connection_access.hpp>
#include <pgorm/detail/linkage.hpp>

#include <libpq-fe.h>

#include <pgorm/types/detail/durations.hpp>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace pgorm {

namespace detail {
// Reads and drops whatever is left of the current statement; cancels it first when that is safe.
PGORM_DECL void finish_stream(PGconn* pg, bool may_cancel) noexcept;
}  // namespace detail

/// Runs `sql` and calls on_row(r) with each row as a one-row result `r`; on_row returns false to
/// stop. Returns the number of rows handed over. Server errors throw as from connection::execute,
/// and a stale cached statement is handled as there: in autocommit mode it is prepared and run
/// once more (the server reports it before the first row), inside a transaction it throws
/// stale_statement.
template <class F>
std::int64_t stream_results(connection& c, std::string_view sql, const param_refs& p, F&& on_row);

namespace detail {
template <class F>
std::int64_t stream_results_unobserved(connection& c, std::string_view sql, const param_refs& p, F& on_row, std::int64_t& rows) {
    PGconn* pg = detail::connection_access::handle(c);
    bool may_cancel = c.transaction_status() == PQTRANS_IDLE;  // autocommit: a cancel loses nothing
    bool prepared = c.settings().prepared_statements;
    auto send = [&] {
        int sent;
        if (prepared) {
            const std::string& name = detail::connection_access::prepare_cached(c, sql, p);
            sent = PQsendQueryPrepared(pg, name.c_str(), p.count, p.values, p.lengths, p.formats, 1);
        } else {
            std::string text(sql);
            sent = PQsendQueryParams(pg, text.c_str(), p.count, p.types, p.values, p.lengths, p.formats, 1);
        }
        // throws connection_lost or the client-side error
        if (sent != 1) detail::connection_access::check(c, nullptr, sql);
        PQsetSingleRowMode(pg);
    };
    send();

    bool may_rerun = prepared && may_cancel;
    try {
        while (PGresult* r = PQgetResult(pg)) {
            if (PQresultStatus(r) != PGRES_SINGLE_TUPLE) {
                if (may_rerun && rows == 0 &&
                    detail::connection_access::forget_if_stale(c, r, sql) != detail::staleness::fresh) {
                    may_rerun = false;
                    PQclear(r);
                    detail::finish_stream(pg, false);
                    send();
                    continue;
                }
                // TUPLES_OK ends the rows; an error throws here
                if (prepared) detail::connection_access::check_cached(c, r, sql);
                else detail::connection_access::check(c, r, sql);
                continue;
            }
            result row(r);
            ++rows;
            if (!on_row(std::as_const(row))) {
                detail::finish_stream(pg, may_cancel);
                break;
            }
        }
    } catch (...) {
        detail::finish_stream(pg, may_cancel);
        throw;
    }
    return rows;
}
}  // namespace detail

template <class F>
std::int64_t stream_results(connection& c, std::string_view sql, const param_refs& p, F&& on_row) {
    std::int64_t rows = 0;
    if (!c.observer()) [[likely]]
        return detail::stream_results_unobserved(c, sql, p, on_row, rows);
    auto start = std::chrono::steady_clock::now();
    statement_event e{statement_path::stream, sql, p.count, {}, 0, nullptr};
    try {
        detail::stream_results_unobserved(c, sql, p, on_row, rows);
    } catch (...) {
        e.error = std::current_exception();
    }
    e.duration = detail::elapsed_since(start);
    e.rows = rows;
    detail::notify(c.observer(), e);
    if (e.error) std::rethrow_exception(e.error);
    return rows;
}

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/stream.ipp>
#endif
