#pragma once
// Pipeline batches: many statements sent in one round trip (libpq pipeline mode).
//
//   pgorm::pipeline p{conn};
//   p.execute("INSERT INTO t (a) VALUES ($1)", 1);
//   p.execute("UPDATE u SET n = n + $1 WHERE id = $2", 5, id);
//   std::vector<pgorm::result> results = p.sync();   // one result per statement, in order
//
// Statements go out as they are queued, as hand-written libpq pipelining does: the first
// execute() puts the connection in pipeline mode; a text new to the connection is prepared inside
// the pipeline (its name enters the connection's statement cache at once and leaves it again if
// the prepare fails); each statement's parameters are encoded into one reused buffer and sent at
// once (libpq copies them), so arguments need not outlive the call and the server works while
// the client is still encoding. sync() sends the Sync, reads the results in order and leaves
// pipeline mode. Between the first execute() and sync() the connection belongs to the pipeline:
// other statements on it fail.
//
// Atomicity: outside an explicit transaction the statements up to a Sync form one implicit
// transaction, so the batch commits as a whole or not at all. The first failing statement aborts
// the rest: sync() then throws that statement's exception (unique_violation, ...) and
// failed_index() names its position. Inside an explicit transaction the failure aborts the
// transaction, as any failed statement does. A pipeline destroyed before sync() (an exception
// while queuing) discards its batch: a statement that fails on purpose goes before the Sync, so
// nothing of it stays outside a transaction, and inside one the transaction is marked failed.

#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/connection_access.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <pgorm/types/detail/durations.hpp>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgorm {

/// A batch of statements sent without waiting, read back at sync() (see the top of this file).
///
/// Lifetime: refers to its connection, which must outlive it; between the first execute() and
/// sync() (or destruction) the connection belongs to the pipeline and must not run anything
/// else. The results sync() returns own their PGresults and outlive the pipeline.
/// Thread safety: none: one thread at a time, the same thread as its connection's other users.
class pipeline {
public:
    explicit pipeline(connection& c) : conn_(&c) {}
    template <scope S>
        requires(!std::same_as<S, connection>)
    explicit pipeline(S& s) : pipeline(s.conn()) {}

    pipeline(pipeline&& o) noexcept
        : conn_(o.conn_), open_(std::exchange(o.open_, false)), batch_(std::exchange(o.batch_, state{})), failed_(o.failed_),
          batch_started_(o.batch_started_) {}
    pipeline& operator=(pipeline&& o) noexcept {
        if (this != &o) {
            if (open_) close(false);
            conn_ = o.conn_;
            open_ = std::exchange(o.open_, false);
            batch_ = std::exchange(o.batch_, state{});
            failed_ = o.failed_;
            batch_started_ = o.batch_started_;
        }
        return *this;
    }
    pipeline(const pipeline&) = delete;
    pipeline& operator=(const pipeline&) = delete;
    ~pipeline() {
        if (open_) close(false);
    }

    /// Sends a statement with bound parameters; returns its index in the batch.
    /// Throws connection_lost, or usage_error when libpq refuses to queue it; server errors come from sync().
    template <class... A>
    std::size_t execute(std::string_view sql, const A&... args) {
        packed_params<sizeof...(A)> p(batch_.scratch, args...);
        return send(sql, p.refs());
    }
    /// Sends a statement with parameters collected at run time. Throws as the overload above.
    std::size_t execute(std::string_view sql, param_list params) { return send(sql, params.refs()); }

    std::size_t size() const noexcept { return batch_.statements; }
    bool empty() const noexcept { return batch_.statements == 0; }
    /// The index of the statement that failed in the last sync(), if one did.
    std::optional<std::size_t> failed_index() const noexcept { return failed_; }

    /// Ends the batch and returns its results in order; the pipeline is empty afterwards either
    /// way. Throws the first failing statement's exception.
    /// That is the sql_error (by SQLSTATE, error.hpp), stale_statement or connection_lost.
    std::vector<result> sync() {
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
        std::unique_ptr<PGresult, void (*)(PGresult*)> error{nullptr, PQclear};
        std::string error_sql;
        std::size_t prep = 0;
        auto take = [&](std::size_t index, std::size_t text, bool keep) {
            PGresult* r = PQgetResult(pg);
            if (!r) lost(pg, "reading pipeline results");
            ExecStatusType st = PQresultStatus(r);
            if (observing && keep)
                seen.emplace_back(text, PQnfields(r) > 0 ? PQntuples(r) : std::atoll(PQcmdTuples(r)));
            if (st == PGRES_FATAL_ERROR && !error) {
                error.reset(r);
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

private:
    // What the batch sent, kept to read its results: each text once per run of statements that
    // share it, and each prepare with the statement it precedes.
    struct text_run {
        std::string sql;
        std::size_t first;  // index of the run's first statement
    };
    struct prepared {
        std::size_t before;  // index of the statement sent after it
        std::size_t text;    // into texts
        std::vector<oid_t> types;
    };
    struct state {
        std::vector<text_run> texts;
        std::vector<prepared> prepares;
        std::size_t statements = 0;
        std::string scratch;              // parameter encoding buffer, reused
        bool have_name = false;           // name and types belong to texts.back()
        std::string name;                 // prepared name of the last statement
        std::vector<oid_t> types;         // its parameter types
        std::vector<int> param_counts;    // per statement, kept only for an observer
    };

    void throw_failed(PGresult* failed, const std::string& sql) {
        if (conn_->settings().prepared_statements)
            detail::connection_access::check_cached(*conn_, failed, sql);  // stale: dropped
        else detail::connection_access::check(*conn_, failed, sql);
    }

    // One observer event per statement, each with the batch's time; the failed statement carries
    // the exception, the ones after it (aborted by the server) carry it too.
    void report(const std::vector<text_run>& texts, const std::vector<int>& params,
                const std::vector<std::pair<std::size_t, std::int64_t>>& seen, const std::exception_ptr& failure) {
        auto took = detail::elapsed_since(batch_started_);
        for (std::size_t i = 0; i < seen.size(); ++i) {
            statement_event e{statement_path::pipeline, texts[seen[i].first].sql, i < params.size() ? params[i] : 0,
                              took, seen[i].second, nullptr};
            if (failure && failed_ && i >= *failed_) e.error = failure;
            detail::notify(conn_->observer(), e);
        }
    }

    std::size_t send(std::string_view sql, const param_refs& p) {
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
        if (conn_->observer()) [[unlikely]] b.param_counts.push_back(p.count);
        // Flushing after every statement cost one send() each and halved throughput; every 64
        // statements still keeps the server busy and its results flowing back while we send.
        if (++b.statements % pump_every == 0) pump(pg);
        return b.statements - 1;
    }

    PGconn* start() {
        PGconn* pg = detail::connection_access::handle(*conn_);
        if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF) throw usage_error("pgorm: the connection is already in pipeline mode");
        if (PQenterPipelineMode(pg) != 1)
            throw usage_error("pgorm: cannot enter pipeline mode: " + detail::trimmed(PQerrorMessage(pg)));
        // Non-blocking while sending: a large batch could otherwise fill both socket buffers
        // (we writing statements, the server writing results) and wait for each other forever.
        PQsetnonblocking(pg, 1);
        open_ = true;
        failed_.reset();
        if (conn_->observer()) [[unlikely]] batch_started_ = std::chrono::steady_clock::now();
        return pg;
    }

    bool same_types(const param_refs& p) const noexcept {
        const std::vector<oid_t>& t = batch_.types;
        return t.size() == static_cast<std::size_t>(p.count) &&
               (t.empty() || std::memcmp(t.data(), p.types, t.size() * sizeof(oid_t)) == 0);
    }

    // The cached name for the last text and these types, or a new one prepared in the pipeline.
    void choose_name(PGconn* pg, const param_refs& p) {
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
    void forget(const prepared& pr) {
        param_refs p;
        p.count = static_cast<int>(pr.types.size());
        p.types = pr.types.data();
        detail::connection_access::forget_cached_statement(*conn_, batch_.texts[pr.text].sql, p);
    }

    // Ends the batch: after a Sync, reads what is left up to it; without one (the pipeline is
    // dropped) sends a statement that fails so the batch cannot commit, then the Sync. Leaves
    // pipeline mode and forgets prepares whose outcome was not read.
    void close(bool synced) noexcept {
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

    // Sends what libpq has buffered; reads input while the socket is full, so the server never
    // stalls writing results we do not read.
    static void pump(PGconn* pg) {
        for (;;) {
            int f = PQflush(pg);
            if (f == 0) return;
            if (f < 0) lost(pg, "flushing the pipeline");
            pollfd fd{PQsocket(pg), POLLIN | POLLOUT, 0};
            if (::poll(&fd, 1, -1) < 0) continue;
            if ((fd.revents & POLLIN) && PQconsumeInput(pg) != 1) lost(pg, "reading pipeline results");
        }
    }
    // libpq refuses a statement on a broken connection, or one it cannot send (too many parameters).
    [[noreturn]] static void refused(PGconn* pg, const char* doing) {
        if (PQstatus(pg) != CONNECTION_OK) lost(pg, doing);
        throw usage_error(std::string("pgorm: libpq refused ") + doing + ": " + detail::trimmed(PQerrorMessage(pg)));
    }
    [[noreturn]] static void lost(PGconn* pg, const char* doing) {
        throw connection_lost(std::string("pgorm: connection lost ") + doing + ": " + detail::trimmed(PQerrorMessage(pg)));
    }

    static constexpr std::size_t pump_every = 64;
    static constexpr const char* discard_sql =
        "DO $pgorm$BEGIN RAISE EXCEPTION 'pgorm: pipeline dropped before sync(), its batch is discarded'; END$pgorm$";

    connection* conn_;
    bool open_ = false;  // in pipeline mode with statements sent; sync() or the destructor ends it
    state batch_;
    std::optional<std::size_t> failed_;
    std::chrono::steady_clock::time_point batch_started_{};  // set only for an observer
};

}  // namespace pgorm
