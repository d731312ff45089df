#pragma once
// Client-side deadlines for one blocking round trip (config::call_timeout).
//
// TCP keepalives and tcp_user_timeout (config.hpp) catch a peer that is gone; they cannot catch a
// peer whose kernel still acknowledges every segment while the server process never answers (a
// stopped or wedged backend, a proxy that stopped relaying). libpq's PQexec family then waits in
// poll() with no timeout. Here a statement is sent with libpq's asynchronous calls instead, in
// non-blocking mode, and the socket is waited on with poll() and a deadline (libpq docs, 34.4
// "Asynchronous Command Processing" and 34.5 "Pipeline Mode" describe the PQsend* / PQflush /
// PQconsumeInput / PQisBusy loop). When the deadline passes, a cancel request is sent (PQcancel,
// libpq docs 34.7) and the server gets a short grace period to answer; a server that still says
// nothing is given up on: the caller closes the connection and throws connection_lost.

#include <libpq-fe.h>

#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/detail/durations.hpp>

namespace pgorm::detail {

using deadline_clock = std::chrono::steady_clock;

/// How a wait for the server ended.
enum class wait_outcome {
    done,     // the data is there (or libpq has recorded an error that PQgetResult will report)
    expired,  // the deadline passed first
};

/// How long the server gets to answer a cancel request sent at the deadline: the call_timeout
/// again, at most 2 s, so a call ends by call_timeout + min(call_timeout, 2 s).
PGORM_DECL std::chrono::milliseconds cancel_grace(std::chrono::milliseconds call_timeout);

/// Sleeps in poll() until `pg`'s socket is readable (or writable, with `want_write`) or the
/// deadline passes. A poll() error other than EINTR, or a closed socket, returns done: libpq's
/// next call meets the same fault and records it.
PGORM_DECL wait_outcome wait_socket(PGconn* pg, bool want_write, deadline_clock::time_point deadline);

/// Sends what libpq has buffered (the connection in non-blocking mode), reading meanwhile so the
/// server never waits on us to drain its output (libpq docs, PQflush).
PGORM_DECL wait_outcome flush_within(PGconn* pg, deadline_clock::time_point deadline);

/// Waits until PQgetResult can return without blocking.
PGORM_DECL wait_outcome await_result(PGconn* pg, deadline_clock::time_point deadline);

/// The body of the cancel thread: sends the request held by `arg` (a PGcancel*) and frees it.
PGORM_DECL void* run_cancel_request(void* arg);

/// Asks the server to cancel `pg`'s running statement without waiting for it. PQcancel blocks
/// until the server closes the cancel connection, which a peer that stopped answering may never
/// do, so it runs on a detached thread that owns its PGcancel; it ends when the server (or the
/// network) answers or resets that connection. A POSIX thread rather than std::thread: <thread>
/// brings <stop_token> and <semaphore> into every translation unit that includes the connection
/// (docs/performance.md, "Build time"), for this one detached call.
PGORM_DECL void send_cancel(PGconn* pg);

/// Runs one statement under a deadline, as PQexec does without one: `send()` hands it to libpq
/// (PQsendQuery, PQsendQueryParams, PQsendQueryPrepared, PQsendPrepare; 1 on success) and the
/// last result is returned (a COPY result stops the loop, as in PQexec, so COPY can go on).
/// Returns nullptr with `gave_up` set when neither the answer nor, after a cancel request, any
/// answer came within `timeout` + cancel_grace(timeout): the caller must close the connection.
/// A statement the cancel stopped returns its error result (SQLSTATE 57014, query_canceled).
/// Leaves the connection in blocking mode, except after giving up (closing it then must not block).
template <class Send>
PGresult* exec_within(PGconn* pg, std::chrono::milliseconds timeout, Send&& send, bool& gave_up) {
    gave_up = false;
    auto deadline = deadline_clock::now() + timeout;
    bool cancelled = false;
    // A wait that expired: the first time, cancel and allow the grace period; the second, give up.
    auto expired = [&] {
        if (cancelled) return true;
        cancelled = true;
        send_cancel(pg);
        deadline = deadline_clock::now() + cancel_grace(timeout);
        return false;
    };
    if (PQsetnonblocking(pg, 1) != 0) return nullptr;  // a failed flush: PQerrorMessage says why
    // Results of an earlier statement left unread (as PQexec, drop them; refuse inside COPY).
    for (;;) {
        while (await_result(pg, deadline) == wait_outcome::expired)
            if (expired()) return gave_up = true, nullptr;
        PGresult* left = PQgetResult(pg);
        if (!left) break;
        ExecStatusType s = PQresultStatus(left);
        if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT || s == PGRES_COPY_BOTH || PQstatus(pg) != CONNECTION_OK) {
            PQsetnonblocking(pg, 0);
            return left;  // check() reports it; a COPY must be ended through its own API first
        }
        PQclear(left);
    }
    if (send() != 1) {
        PQsetnonblocking(pg, 0);
        return nullptr;  // libpq's message says why (check() reads PQerrorMessage)
    }
    while (flush_within(pg, deadline) == wait_outcome::expired)
        if (expired()) return gave_up = true, nullptr;
    PGresult* last = nullptr;
    for (;;) {
        while (await_result(pg, deadline) == wait_outcome::expired) {
            if (expired()) {
                PQclear(last);
                return gave_up = true, nullptr;
            }
        }
        PGresult* r = PQgetResult(pg);
        if (!r) break;
        PQclear(last);
        last = r;
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT || s == PGRES_COPY_BOTH || PQstatus(pg) != CONNECTION_OK) break;
    }
    PQsetnonblocking(pg, 0);
    return last;
}

}  // namespace pgorm::detail

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/detail/impl/call_deadline.ipp>
#endif
