#pragma once
// The non-template parts of core/detail/call_deadline.hpp: the poll() waits and the cancel thread.

#include <pgorm/core/detail/call_deadline.hpp>

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace pgorm::detail {

PGORM_DECL std::chrono::milliseconds cancel_grace(std::chrono::milliseconds call_timeout) {
    return std::min<std::chrono::milliseconds>(call_timeout, std::chrono::seconds(2));
}

PGORM_DECL wait_outcome wait_socket(PGconn* pg, bool want_write, deadline_clock::time_point deadline) {
    const int fd = PQsocket(pg);
    if (fd < 0) return wait_outcome::done;
    for (;;) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - deadline_clock::now());
        if (left.count() <= 0) return wait_outcome::expired;
        pollfd p{fd, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
        int ready = ::poll(&p, 1, static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), INT_MAX)));
        if (ready > 0 || (ready < 0 && errno != EINTR)) return wait_outcome::done;
    }
}

PGORM_DECL wait_outcome flush_within(PGconn* pg, deadline_clock::time_point deadline) {
    for (;;) {
        int pending = PQflush(pg);
        if (pending <= 0) return wait_outcome::done;  // -1: the error waits in PQgetResult
        if (wait_socket(pg, true, deadline) == wait_outcome::expired) return wait_outcome::expired;
        if (PQconsumeInput(pg) == 0) return wait_outcome::done;
    }
}

PGORM_DECL wait_outcome await_result(PGconn* pg, deadline_clock::time_point deadline) {
    while (PQisBusy(pg)) {
        if (wait_socket(pg, false, deadline) == wait_outcome::expired) return wait_outcome::expired;
        if (PQconsumeInput(pg) == 0) return wait_outcome::done;  // broken: PQgetResult says why
    }
    return wait_outcome::done;
}

PGORM_DECL void* run_cancel_request(void* arg) {
    auto* cancel = static_cast<PGcancel*>(arg);
    char why[256];
    PQcancel(cancel, why, sizeof why);
    PQfreeCancel(cancel);
    return nullptr;
}

PGORM_DECL void send_cancel(PGconn* pg) {
    PGcancel* cancel = PQgetCancel(pg);
    if (!cancel) return;
    pthread_attr_t attr;
    bool started = false;
    if (pthread_attr_init(&attr) == 0) {
        pthread_t thread;
        started = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
                  pthread_create(&thread, &attr, run_cancel_request, cancel) == 0;
        pthread_attr_destroy(&attr);
    }
    // No thread to be had: the grace wait in exec_within decides without a cancel.
    if (!started) PQfreeCancel(cancel);
}

}  // namespace pgorm::detail
