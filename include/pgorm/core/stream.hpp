#pragma once
// Streaming: a statement's rows handed over one at a time as they arrive (libpq single-row mode),
// so memory stays flat however many rows it returns. The repository's for_each and the `_each`
// functions pgorm-gen writes are built on this.
//
// Stopping early or throwing from the callback leaves the connection usable: in autocommit mode
// the statement is cancelled, inside a transaction the remaining rows are read and dropped (a
// cancel would abort the transaction), so bound such reads with LIMIT when you mean to stop early.

#include <pgorm/core/connection.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace pgorm {

namespace detail {
// Reads and drops whatever is left of the current statement; cancels it first when that is safe.
inline void finish_stream(PGconn* pg, bool may_cancel) noexcept {
    if (may_cancel) {
        if (PGcancel* cancel = PQgetCancel(pg)) {
            char err[256];
            PQcancel(cancel, err, sizeof err);
            PQfreeCancel(cancel);
        }
    }
    while (PGresult* r = PQgetResult(pg)) PQclear(r);
}
}  // namespace detail

/// Runs `sql` and calls on_row(r) with each row as a one-row result `r`; on_row returns false to
/// stop. Returns the number of rows handed over. Server errors throw as from connection::execute.
template <class F>
std::int64_t stream_results(connection& c, std::string_view sql, const param_refs& p, F&& on_row) {
    PGconn* pg = c.handle();
    bool may_cancel = c.transaction_status() == PQTRANS_IDLE;  // autocommit: a cancel loses nothing
    int sent;
    if (c.settings().prepared_statements) {
        sent = PQsendQueryPrepared(pg, c.prepare_cached(sql, p).c_str(), p.count, p.values, p.lengths, p.formats, 1);
    } else {
        std::string text(sql);
        sent = PQsendQueryParams(pg, text.c_str(), p.count, p.types, p.values, p.lengths, p.formats, 1);
    }
    if (sent != 1) c.check(nullptr, sql);  // throws connection_lost or the client-side error
    PQsetSingleRowMode(pg);

    std::int64_t rows = 0;
    try {
        while (PGresult* r = PQgetResult(pg)) {
            if (PQresultStatus(r) != PGRES_SINGLE_TUPLE) {
                c.check(r, sql);  // TUPLES_OK ends the rows; an error throws here
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

}  // namespace pgorm
