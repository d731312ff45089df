#pragma once
// Pipeline batches: many statements sent in one round trip (libpq pipeline mode).
//
//   pgorm::pipeline p{conn};
//   p.execute("INSERT INTO t (a) VALUES ($1)", 1);
//   p.execute("UPDATE u SET n = n + $1 WHERE id = $2", 5, id);
//   std::vector<pgorm::result> results = p.sync();   // one result per statement, in order
//
// execute() only queues (parameters are encoded at once, so arguments need not outlive the call);
// sync() prepares statements it has not seen on this connection, enters pipeline mode, sends every
// statement and one Sync, reads the results in order and leaves pipeline mode.
//
// Atomicity: outside an explicit transaction the statements up to a Sync form one implicit
// transaction, so the batch commits as a whole or not at all. The first failing statement aborts
// the rest: sync() then throws that statement's exception (unique_violation, ...) and
// failed_index() names its position. Inside an explicit transaction the failure aborts the
// transaction, as any failed statement does.

#include <pgorm/core/connection.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgorm {

class pipeline {
public:
    explicit pipeline(connection& c) : conn_(&c) {}
    template <scope S>
        requires(!std::same_as<S, connection>)
    explicit pipeline(S& s) : pipeline(s.conn()) {}

    /// Queues a statement with bound parameters; returns its index in the batch.
    template <class... A>
    std::size_t execute(std::string_view sql, const A&... args) {
        std::size_t first = queue_.params.size();
        (queue_.add(args), ...);
        return queue_.push(sql, first);
    }
    /// Queues a statement with parameters collected at run time.
    std::size_t execute_params(std::string_view sql, param_list params) {
        std::size_t first = queue_.params.size();
        param_refs p = params.refs();
        for (int k = 0; k < p.count; ++k) queue_.add_raw(p.types[k], p.values[k], p.lengths[k], p.formats[k]);
        return queue_.push(sql, first);
    }

    std::size_t size() const noexcept { return queue_.statements.size(); }
    bool empty() const noexcept { return queue_.statements.empty(); }
    /// The index of the statement that failed in the last sync(), if one did.
    std::optional<std::size_t> failed_index() const noexcept { return failed_; }

    /// Sends the queued statements and returns their results in order; the queue is emptied
    /// either way. Throws the first failing statement's exception.
    std::vector<result> sync() {
        queued batch = std::move(queue_);
        queue_ = queued{};
        failed_.reset();
        const std::size_t n = batch.statements.size();
        if (n == 0) return {};
        connection& c = *conn_;
        PGconn* pg = c.handle();
        if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF) throw usage_error("pgorm: the connection is already in pipeline mode");

        // Every parameter's bytes are in place now, so the pointers stay valid: lay the fields
        // out as the arrays libpq takes.
        const std::size_t np = batch.params.size();
        std::vector<oid_t> types(np);
        std::vector<const char*> values(np);
        std::vector<int> lengths(np), formats(np);
        for (std::size_t k = 0; k < np; ++k) {
            const param& q = batch.params[k];
            types[k] = q.type;
            values[k] = q.offset < 0 ? nullptr : batch.data.data() + q.offset;
            lengths[k] = q.length;
            formats[k] = q.format;
        }
        auto refs = [&](const statement& st) {
            return param_refs{static_cast<int>(st.count), types.data() + st.first, values.data() + st.first,
                              lengths.data() + st.first, formats.data() + st.first};
        };

        // Preparation is synchronous, so it happens before the pipeline starts. A statement with
        // the text and types of the one before reuses its name without a cache lookup.
        std::vector<const std::string*> names(n, nullptr);
        if (c.settings().prepared_statements)
            for (std::size_t i = 0; i < n; ++i) {
                const statement& st = batch.statements[i];
                if (i > 0 && same_shape(types, batch.statements[i - 1], st)) names[i] = names[i - 1];
                else names[i] = &c.prepare_cached(batch.texts[st.text], refs(st));
            }

        if (PQenterPipelineMode(pg) != 1)
            throw usage_error("pgorm: cannot enter pipeline mode: " + detail::trimmed(PQerrorMessage(pg)));
        mode_guard guard{pg};
        // Non-blocking while sending: a large batch could otherwise fill both socket buffers
        // (we writing statements, the server writing results) and wait for each other forever.
        PQsetnonblocking(pg, 1);
        for (std::size_t i = 0; i < n; ++i) {
            const statement& st = batch.statements[i];
            param_refs p = refs(st);
            int ok = !names[i] ? PQsendQueryParams(pg, batch.texts[st.text].c_str(), p.count, p.types, p.values,
                                                   p.lengths, p.formats, 1)
                               : PQsendQueryPrepared(pg, names[i]->c_str(), p.count, p.values, p.lengths, p.formats, 1);
            if (ok != 1) lost(pg, "sending a pipeline statement");
            // Flushing after every statement cost one send() each and halved throughput; every
            // 64 statements still keeps the server's results flowing back while we send.
            if ((i + 1) % pump_every == 0) pump(pg);
        }
        if (PQpipelineSync(pg) != 1) lost(pg, "sending the pipeline sync");
        guard.synced = true;
        while (int f = PQflush(pg)) {
            if (f < 0) lost(pg, "flushing the pipeline");
            wait(pg);
        }
        PQsetnonblocking(pg, 0);

        std::vector<result> out;
        out.reserve(n);
        PGresult* error = nullptr;
        for (std::size_t i = 0; i < n; ++i) {
            PGresult* r = PQgetResult(pg);
            if (!r) lost(pg, "reading pipeline results");
            ExecStatusType st = PQresultStatus(r);
            if (st == PGRES_FATAL_ERROR && !error) {
                error = r;
                failed_ = i;
            } else if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) {
                PQclear(r);
            } else {
                out.emplace_back(r);
            }
            while (PGresult* extra = PQgetResult(pg)) PQclear(extra);  // NULL ends each statement
        }
        guard.finish();  // reads the Sync and leaves pipeline mode
        if (error) c.check(error, batch.texts[batch.statements[*failed_].text]);
        return out;
    }

private:
    // The batch is kept flat: one buffer for every parameter's bytes, one array of parameter
    // records, and each distinct text once (a loop queues the same text many times).
    struct statement {
        std::size_t text;   // index into texts
        std::size_t first;  // first parameter
        std::size_t count;
    };
    struct param {
        oid_t type;
        int offset;  // into data; -1 for NULL
        int length;
        int format;
    };
    struct queued {
        std::vector<statement> statements;
        std::vector<std::string> texts;
        std::string data;
        std::vector<param> params;

        template <class T>
        void add(const T& v) {
            oid_t t;
            int off, len, fmt;
            detail::encode_param(data, v, t, off, len, fmt);
            push_param(t, off, len, fmt);
        }
        void add_raw(oid_t t, const char* value, int len, int fmt) {
            int off = -1;
            if (value) {
                off = static_cast<int>(data.size());
                data.append(value, static_cast<std::size_t>(len));
            }
            push_param(t, off, len, fmt);
        }
        void push_param(oid_t t, int off, int len, int fmt) { params.push_back({t, off, len, fmt}); }
        std::size_t push(std::string_view sql, std::size_t first) {
            if (texts.empty() || texts.back() != sql) texts.emplace_back(sql);
            statements.push_back({texts.size() - 1, first, params.size() - first});
            return statements.size() - 1;
        }
    };
    static bool same_shape(const std::vector<oid_t>& types, const statement& a, const statement& b) {
        return a.text == b.text && a.count == b.count &&
               std::equal(types.begin() + static_cast<std::ptrdiff_t>(a.first),
                          types.begin() + static_cast<std::ptrdiff_t>(a.first + a.count),
                          types.begin() + static_cast<std::ptrdiff_t>(b.first));
    }

    // Leaves pipeline mode however sync() ends, so the connection stays usable.
    struct mode_guard {
        PGconn* pg;
        bool synced = false;
        bool finished = false;
        void finish() {
            finished = true;
            drain();
        }
        ~mode_guard() {
            if (!finished) drain();
        }
        void drain() noexcept {
            PQsetnonblocking(pg, 0);
            if (!synced && PQpipelineSync(pg) == 1) PQflush(pg);  // results up to here must arrive
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
    };

    // Sends what libpq has buffered without blocking; reads input meanwhile so the server never
    // stalls on a full socket.
    static void pump(PGconn* pg) {
        for (;;) {
            int f = PQflush(pg);
            if (f == 0) return;
            if (f < 0) lost(pg, "flushing the pipeline");
            wait(pg);
        }
    }
    static void wait(PGconn* pg) {
        pollfd fd{PQsocket(pg), POLLIN | POLLOUT, 0};
        if (::poll(&fd, 1, -1) < 0) return;
        if ((fd.revents & POLLIN) && PQconsumeInput(pg) != 1) lost(pg, "reading pipeline results");
    }
    [[noreturn]] static void lost(PGconn* pg, const char* doing) {
        throw connection_lost(std::string("pgorm: connection lost ") + doing + ": " + detail::trimmed(PQerrorMessage(pg)));
    }

    static constexpr std::size_t pump_every = 64;

    connection* conn_;
    queued queue_;
    std::optional<std::size_t> failed_;
};

}  // namespace pgorm
