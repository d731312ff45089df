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
#include <pgorm/detail/linkage.hpp>

#include <libpq-fe.h>

#include <pgorm/types/detail/durations.hpp>
#include <cstring>
#include <exception>
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
class PGORM_ABI_TAG pipeline {
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
    std::vector<result> sync();

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

    void throw_failed(PGresult* failed, const std::string& sql);

    // One observer event per statement, each with the batch's time; the failed statement carries
    // the exception, the ones after it (aborted by the server) carry it too.
    void report(const std::vector<text_run>& texts, const std::vector<int>& params,
                const std::vector<std::pair<std::size_t, std::int64_t>>& seen, const std::exception_ptr& failure);

    std::size_t send(std::string_view sql, const param_refs& p);

    PGconn* start();

    bool same_types(const param_refs& p) const noexcept {
        const std::vector<oid_t>& t = batch_.types;
        return t.size() == static_cast<std::size_t>(p.count) &&
               (t.empty() || std::memcmp(t.data(), p.types, t.size() * sizeof(oid_t)) == 0);
    }

    // The cached name for the last text and these types, or a new one prepared in the pipeline.
    void choose_name(PGconn* pg, const param_refs& p);
    void forget(const prepared& pr);

    // Ends the batch: after a Sync, reads what is left up to it; without one (the pipeline is
    // dropped) sends a statement that fails so the batch cannot commit, then the Sync. Leaves
    // pipeline mode and forgets prepares whose outcome was not read.
    void close(bool synced) noexcept;

    // Sends what libpq has buffered; reads input while the socket is full, so the server never
    // stalls writing results we do not read.
    static void pump(PGconn* pg);
    // libpq refuses a statement on a broken connection, or one it cannot send (too many parameters).
    [[noreturn]] static void refused(PGconn* pg, const char* doing);
    [[noreturn]] static void lost(PGconn* pg, const char* doing);

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

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/pipeline.ipp>
#endif
