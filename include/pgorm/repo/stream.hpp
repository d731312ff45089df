#pragma once
// Streaming reads: rows are handed to a callback one at a time as they arrive (libpq single-row
// mode), so memory stays flat however many rows the query returns.
//
//   pgorm::stream_rows<User>(conn, "SELECT ... FROM users", params, [](const User& u) { ... });
//
// The callback may return void, or bool (false stops early). Stopping early or throwing from the
// callback leaves the connection usable: in autocommit mode the query is cancelled, inside a
// transaction the remaining rows are read and discarded (a cancel would abort the transaction),
// so bound such reads with LIMIT when you mean to stop early.

#include <pgorm/core/connection.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>

namespace pgorm {

namespace detail {
// Reads and drops whatever is left of the current query; cancels it first when that is safe.
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

/// Runs `sql` with `params` and calls fn(row) per row; returns the number of rows handed over.
template <row_type Row, class F>
std::int64_t stream_rows(connection& c, std::string_view sql, const param_list& params, F&& fn) {
    PGconn* pg = c.handle();
    param_refs p = params.refs();
    std::string text(sql);
    bool may_cancel = c.transaction_status() == PQTRANS_IDLE;  // autocommit: a cancel loses nothing
    int sent = c.settings().prepared_statements
                   ? PQsendQueryPrepared(pg, c.prepare_cached(sql, p).c_str(), p.count, p.values, p.lengths, p.formats, 1)
                   : PQsendQueryParams(pg, text.c_str(), p.count, p.types, p.values, p.lengths, p.formats, 1);
    if (sent != 1) c.check(nullptr, sql);  // throws connection_lost or the client-side error
    PQsetSingleRowMode(pg);

    std::int64_t rows = 0;
    result current;
    std::optional<row_mapper<Row>> mapper;  // built once: every single-row result has the same shape
    Row value{};
    try {
        while (PGresult* r = PQgetResult(pg)) {
            ExecStatusType st = PQresultStatus(r);
            if (st != PGRES_SINGLE_TUPLE) {
                result last = c.check(r, sql);  // TUPLES_OK ends the rows; an error throws here
                continue;
            }
            current = result(r);
            if (!mapper) mapper.emplace(current);
            mapper->read(0, value);
            ++rows;
            if constexpr (std::is_same_v<std::invoke_result_t<F&, const Row&>, bool>) {
                if (!fn(std::as_const(value))) {
                    detail::finish_stream(pg, may_cancel);
                    break;
                }
            } else {
                fn(std::as_const(value));
            }
        }
    } catch (...) {
        detail::finish_stream(pg, may_cancel);
        throw;
    }
    return rows;
}

}  // namespace pgorm
