#pragma once
// pipeline's out-of-line members (core/pipeline.hpp): sending, preparing inside the batch,
// reading the results at sync(), leaving pipeline mode.

#include <pgorm/core/pipeline.hpp>

#include <poll.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace pgorm {

PGORM_DECL std::vector<result> pipeline::sync() {
    if (!open_) {
        failed_.reset();
        return {};
    }
    PGconn* pg = conn_->native();
    // Leaves pipeline mode however this ends, so the connection stays usable.
    struct closer {
        pipeline* p;
        bool synced = false;
        ~closer() {
            if (p) p->close(synced);
        }
    } guard{this};
    if (PQpipelineSync(pg) != 1) lost(pg, "sending the pipeline sync");
    guard.synced = true;
    pump(pg);
    PQsetnonblocking(pg, 0);

    const std::size_t n = batch_.statements;
    const bool observing = static_cast<bool>(conn_->observer());
    std::vector<std::pair<std::size_t, std::int64_t>> seen;  // per statement: text run, rows (observer only)
    if (observing) seen.reserve(n);
    std::vector<result> out;
    out.reserve(n);
    detail::owned_result error;  // the first failure, freed unless thrown
    std::string error_sql;
    std::size_t prep = 0;
    auto take = [&](std::size_t index, std::size_t text, bool keep) {
        PGresult* r = PQgetResult(pg);
        if (!r) lost(pg, "reading pipeline results");
        ExecStatusType st = PQresultStatus(r);
        if (observing && keep) seen.emplace_back(text, PQnfields(r) > 0 ? PQntuples(r) : std::atoll(PQcmdTuples(r)));
        if (st == PGRES_FATAL_ERROR && !error) {
            error = detail::owned_result(r);
            error_sql = batch_.texts[text].sql;
            failed_ = index;
        } else if (keep && st != PGRES_FATAL_ERROR && st != PGRES_PIPELINE_ABORTED) {
            out.emplace_back(r);
        } else {
            PQclear(r);
        }
        while (PGresult* extra = PQgetResult(pg)) PQclear(extra);  // NULL ends each statement
        return st;
    };
    auto take_prepares_before = [&](std::size_t i) {
        for (; prep < batch_.prepares.size() && batch_.prepares[prep].before == i; ++prep) {
            const prepared& pr = batch_.prepares[prep];
            if (take(i, pr.text, false) != PGRES_COMMAND_OK) forget(pr);  // keep the cache truthful
        }
    };
    std::size_t run = 0;  // the text run statement i belongs to
    for (std::size_t i = 0; i < n; ++i) {
        take_prepares_before(i);
        while (run + 1 < batch_.texts.size() && batch_.texts[run + 1].first <= i) ++run;
        take(i, run, true);
    }
    take_prepares_before(n);  // a prepare whose statement could not be sent
    batch_.prepares.clear();  // every outcome is known now: close() must not forget them
    guard.p = nullptr;
    std::vector<text_run> texts;
    std::vector<int> params;
    if (observing) {
        texts = std::move(batch_.texts);
        params = std::move(batch_.param_counts);
    }
    close(true);
    if (!observing) [[likely]] {
        if (error) throw_failed(error.release(), error_sql);
        return out;
    }
    std::exception_ptr failure;
    if (error) {
        try {
            throw_failed(error.release(), error_sql);
        } catch (...) {
            failure = std::current_exception();
        }
    }
    report(texts, params, seen, failure);
    if (failure) std::rethrow_exception(failure);
    return out;
}

PGORM_DECL void pipeline::throw_failed(PGresult* failed, const std::string& sql) {
    if (conn_->settings().prepared_statements)
        detail::connection_access::check_cached(*conn_, failed, sql);  // stale: dropped
    else detail::connection_access::check(*conn_, failed, sql);
}

PGORM_DECL void pipeline::report(const std::vector<text_run>& texts, const std::vector<int>& params,
                                 const std::vector<std::pair<std::size_t, std::int64_t>>& seen,
                                 const std::exception_ptr& failure) {
    auto took = detail::elapsed_since(batch_started_);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        statement_event e{statement_path::pipeline,
                          texts[seen[i].first].sql,
                          i < params.size() ? params[i] : 0,
                          took,
                          seen[i].second,
                          nullptr};
        if (failure && failed_ && i >= *failed_) e.error = failure;
        detail::notify(conn_->observer(), e);
    }
}

PGORM_DECL std::size_t pipeline::send(std::string_view sql, const param_refs& p) {
    PGconn* pg = open_ ? conn_->native() : start();
    state& b = batch_;
    if (b.texts.empty() || b.texts.back().sql != sql) {
        b.texts.push_back({std::string(sql), b.statements});
        b.have_name = false;
    }
    const text_run& run = b.texts.back();
    int ok;
    if (conn_->settings().prepared_statements) {
        if (!b.have_name || !same_types(p)) choose_name(pg, p);
        ok = PQsendQueryPrepared(pg, b.name.c_str(), p.count, p.values, p.lengths, p.formats, 1);
    } else {
        ok = PQsendQueryParams(pg, run.sql.c_str(), p.count, p.types, p.values, p.lengths, p.formats, 1);
    }
    if (ok != 1) refused(pg, "sending a pipeline statement");
    if (conn_->observer()) [[unlikely]]
        b.param_counts.push_back(p.count);
    // Flushing after every statement cost one send() each and halved throughput; every 64
    // statements still keeps the server busy and its results flowing back while we send.
    if (++b.statements % pump_every == 0) pump(pg);
    return b.statements - 1;
}

PGORM_DECL PGconn* pipeline::start() {
    PGconn* pg = detail::connection_access::handle(*conn_);
    if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF) throw usage_error("pgorm: the connection is already in pipeline mode");
    if (PQenterPipelineMode(pg) != 1)
        throw usage_error("pgorm: cannot enter pipeline mode: " + detail::trimmed(PQerrorMessage(pg)));
    // Non-blocking while sending: a large batch could otherwise fill both socket buffers
    // (we writing statements, the server writing results) and wait for each other forever.
    PQsetnonblocking(pg, 1);
    open_ = true;
    failed_.reset();
    if (conn_->observer()) [[unlikely]]
        batch_started_ = std::chrono::steady_clock::now();
    return pg;
}

PGORM_DECL void pipeline::choose_name(PGconn* pg, const param_refs& p) {
    state& b = batch_;
    b.have_name = false;
    const std::string& sql = b.texts.back().sql;
    b.types.assign(p.types, p.types + p.count);
    if (const std::string* known = detail::connection_access::cached_statement_name(*conn_, sql, p)) {
        b.name = *known;
    } else {
        b.name = detail::connection_access::add_cached_statement(*conn_, sql, p);
        if (PQsendPrepare(pg, b.name.c_str(), sql.c_str(), p.count, p.types) != 1) {
            detail::connection_access::forget_cached_statement(*conn_, sql, p);
            refused(pg, "preparing a pipeline statement");
        }
        b.prepares.push_back({b.statements, b.texts.size() - 1, b.types});
    }
    b.have_name = true;
}

PGORM_DECL void pipeline::forget(const prepared& pr) {
    param_refs p;
    p.count = static_cast<int>(pr.types.size());
    p.types = pr.types.data();
    detail::connection_access::forget_cached_statement(*conn_, batch_.texts[pr.text].sql, p);
}

PGORM_DECL void pipeline::close(bool synced) noexcept {
    open_ = false;
    PGconn* pg = conn_->native();
    for (const prepared& pr : batch_.prepares) {
        try {
            forget(pr);
        } catch (...) {  // the key's allocation; an unknown entry stays, sync() reports any failure
        }
    }
    if (pg) {
        PQsetnonblocking(pg, 0);  // blocking from here: libpq reads while it waits to write
        if (!synced && PQstatus(pg) == CONNECTION_OK) {
            PQsendQueryParams(pg, discard_sql, 0, nullptr, nullptr, nullptr, nullptr, 0);
            if (PQpipelineSync(pg) == 1) PQflush(pg);
        }
        for (int nulls = 0; PQstatus(pg) == CONNECTION_OK && nulls < 2;) {
            PGresult* r = PQgetResult(pg);
            if (!r) {
                ++nulls;
                continue;
            }
            nulls = 0;
            bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            PQclear(r);
            if (sync) break;
        }
        PQexitPipelineMode(pg);
    }
    batch_.texts.clear();
    batch_.prepares.clear();
    batch_.statements = 0;
    batch_.have_name = false;
    batch_.param_counts.clear();
}

PGORM_DECL void pipeline::pump(PGconn* pg) {
    for (;;) {
        int f = PQflush(pg);
        if (f == 0) return;
        if (f < 0) lost(pg, "flushing the pipeline");
        pollfd fd{PQsocket(pg), POLLIN | POLLOUT, 0};
        if (::poll(&fd, 1, -1) < 0) continue;
        if ((fd.revents & POLLIN) && PQconsumeInput(pg) != 1) lost(pg, "reading pipeline results");
    }
}

PGORM_DECL void pipeline::refused(PGconn* pg, const char* doing) {
    if (PQstatus(pg) != CONNECTION_OK) lost(pg, doing);
    throw usage_error(std::string("pgorm: libpq refused ") + doing + ": " + detail::trimmed(PQerrorMessage(pg)));
}

PGORM_DECL void pipeline::lost(PGconn* pg, const char* doing) {
    throw connection_lost(std::string("pgorm: connection lost ") + doing + ": " + detail::trimmed(PQerrorMessage(pg)));
}

}  // namespace pgorm
