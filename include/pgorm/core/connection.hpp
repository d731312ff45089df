#pragma once
// connection: RAII over one libpq PGconn. Statements take bound binary parameters and return
// binary results; with `config::prepared_statements` on, each distinct statement is prepared once
// per connection and executed by name afterwards. A cached statement the server no longer
// matches (a schema change altered its result columns, or DISCARD ALL / DEALLOCATE removed it) is
// dropped the first time the server says so; see run() and stale_statement (error.hpp).
//
// Behind a pooler that hands each transaction another server session (PgBouncer's
// pool_mode=transaction), named statements cannot work: a name prepared on one server session is
// missing on the next. Statement names carry a random per-connection part, so a name never meets
// another client's statement there (a wrong result); a connection opened with prepared statements
// on notes whether a pooler sits in front (see behind_pooler()), and a statement found missing
// there throws prepared_statements_unsupported naming pgorm_prepare=off (docs/scale-out.md).

#include <pgorm/core/config.hpp>
#include <pgorm/core/detail/error_mapping.hpp>
#include <pgorm/core/detail/statement_cache.hpp>
#include <pgorm/core/observer.hpp>
#include <pgorm/core/params.hpp>
#include <pgorm/core/result.hpp>
#include <pgorm/core/statement.hpp>
#include <pgorm/detail/linkage.hpp>

#include <libpq-fe.h>

#include <array>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgorm {

class PGORM_ABI_TAG connection;
namespace detail {
struct connection_access;
}

/// Anything statements can run on: a connection, a transaction scope, a pooled handle.
template <class S>
concept scope = requires(S& s) {
    { s.conn() } -> std::same_as<connection&>;
};

/// One PostgreSQL session (see the top of this file).
///
/// Lifetime: owns its PGconn (closed by the destructor) and its prepared-statement cache.
/// Move-only; a moved-from connection is closed. Results it returns own their PGresults and
/// may outlive it; rows read by query / query_one / query_value own their data (views are
/// refused at compile time, core/row_mapping.hpp).
/// Thread safety: not thread-safe: one thread at a time (libpq's rule for a PGconn). Different
/// connections may be used on different threads at once; use a pool for concurrency.
class PGORM_ABI_TAG connection {
public:
    /// Connects at once. Throws connection_error when the server cannot be reached or refuses the login.
    explicit connection(config cfg) : cfg_(std::move(cfg)) { open(); }
    /// A URL or a key=value connection string (config::parse).
    /// Also throws config_error for a malformed URL.
    explicit connection(std::string_view conninfo) : connection(config::parse(conninfo)) {}

    connection(connection&& o) noexcept
        : cfg_(std::move(o.cfg_)), conn_(std::exchange(o.conn_, nullptr)), statements_(std::move(o.statements_)),
          behind_pooler_(o.behind_pooler_), observer_(std::move(o.observer_)) {}
    connection& operator=(connection&& o) noexcept {
        if (this != &o) {
            close();
            cfg_ = std::move(o.cfg_);
            conn_ = std::exchange(o.conn_, nullptr);
            statements_ = std::move(o.statements_);
            behind_pooler_ = o.behind_pooler_;
            observer_ = std::move(o.observer_);
        }
        return *this;
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() { close(); }

    /// The scope protocol: a connection runs statements in autocommit mode.
    connection& conn() noexcept { return *this; }

    /// The raw libpq connection (nullptr once closed), the escape hatch for what pgorm does not
    /// wrap (PQsetNoticeReceiver, PQsocket, PQsslAttribute...). Do not PQfinish it, and leave the
    /// connection as you found it (not in pipeline or COPY mode): the statement cache and the
    /// pool assume so. The library's own paths use the checked handle() via
    /// detail::connection_access, which throws connection_lost when the session is gone.
    PGconn* native() const noexcept { return conn_; }
    const config& settings() const noexcept { return cfg_; }
    bool is_open() const noexcept { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
    /// Idle, in a transaction, in a failed transaction, or unknown (broken).
    PGTransactionStatusType transaction_status() const noexcept {
        return conn_ ? PQtransactionStatus(conn_) : PQTRANS_UNKNOWN;
    }
    int backend_pid() const noexcept { return conn_ ? PQbackendPID(conn_) : 0; }
    /// True when, at connect time, the server's pg_backend_pid() differed from the process id
    /// libpq was given in BackendKeyData: a pooler (PgBouncer sends its own random cancel key)
    /// sits between us and the server. Checked only when prepared statements are on (one round
    /// trip per connect); false otherwise.
    bool behind_pooler() const noexcept { return behind_pooler_; }

    /// Checks now (one round trip, outside pipeline mode) whether a pooler sits between this
    /// connection and the server, and returns behind_pooler(). PostgreSQL sends its backend's pid
    /// in BackendKeyData (PostgreSQL 15 docs, 55.2.1 "Start-up"), which PQbackendPID returns;
    /// PgBouncer sends a random cancel key of its own instead, so the two disagree behind it.
    /// Throws connection_lost, or the server's error (inside a failed transaction).
    bool detect_pooler();

    void close() noexcept;
    /// Drops the connection and opens a new one with the same settings.
    /// Throws as the constructor.
    void reconnect();

    /// Simple-protocol execution: no parameters, several statements allowed, text results.
    /// For DDL and session commands; values always go through execute().
    /// Throws the sql_error (by SQLSTATE, error.hpp) of the first statement that fails (the
    /// ones before it stay done unless the script is inside a transaction), connection_lost.
    result execute_script(std::string_view sql);

    /// Runs a statement with bound parameters; results come back in binary format.
    /// Throws sql_error (by SQLSTATE, error.hpp); stale_statement inside a transaction when
    /// a cached statement no longer matches the schema (run()); connection_lost.
    template <class... A>
    result execute(std::string_view sql, const A&... args) {
        packed_params<sizeof...(A)> p(scratch_, args...);
        return run(sql, p.refs());
    }

    /// Runs a statement with parameters collected at run time.
    /// Throws as execute(sql, args...).
    result execute(std::string_view sql, const param_list& params) { return run(sql, params.refs()); }

    /// All rows as T (a described struct by column name, a tuple or aggregate by position, or a
    /// value; core/row_mapping.hpp). T must own its data (std::string, not std::string_view): the
    /// result is gone when this returns. Throws sql_error (and its SQLSTATE subclasses) or
    /// connection_lost from the server, column_mismatch / type_mismatch listing every column
    /// problem, unexpected_null, decode_error.
    template <row_type T, class... A>
    std::vector<T> query(std::string_view sql, const A&... args) {
        static_assert(detail::owned_row_required<T>::value);
        return execute(sql, args...).template as<T>();
    }
    /// At most one row as T; more than one is a usage_error. Throws as query().
    template <row_type T, class... A>
    std::optional<T> query_one(std::string_view sql, const A&... args) {
        static_assert(detail::owned_row_required<T>::value);
        return execute(sql, args...).template one<T>();
    }
    /// The single value of a one-row, one-column query; another shape is a usage_error. Throws as query().
    template <single_value T, class... A>
    T query_value(std::string_view sql, const A&... args) {
        static_assert(detail::owned_row_required<T>::value);
        return execute(sql, args...).template value<T>();
    }

    /// A statement built ahead (core/statement.hpp: the repository's *_statement builders,
    /// pgorm-gen's *_statement functions): its raw result, all its rows, or its one row, with Row
    /// deduced. Throws as execute() and query() above; query_one: usage_error for more than one row.
    template <class Row>
    result execute(const statement<Row>& s) {
        return run(s.sql, s.params.refs());
    }
    template <class Row>
    std::vector<Row> query(const statement<Row>& s) {
        return s.rows(execute(s));
    }
    template <class Row>
    std::optional<Row> query_one(const statement<Row>& s) {
        return s.one(execute(s));
    }

    /// Sets (or, with an empty function, removes) the observer told of every statement this
    /// connection runs: execute_script, execute, query*, pipelines, COPY and streams (core/observer.hpp).
    void set_observer(statement_observer o) noexcept { observer_ = std::move(o); }
    const statement_observer& observer() const noexcept { return observer_; }

    /// Forgets every cached prepared statement: pass false after a DISCARD ALL (the server has
    /// dropped them already), true to free their server memory too. Inside a transaction the
    /// server-side statements are deallocated later, the next time the connection is idle.
    /// Throws no pgorm error: a DEALLOCATE ALL that fails (a broken connection) is ignored, as the
    /// cache is empty either way.
    void clear_statement_cache(bool deallocate_on_server = true);
    std::size_t cached_statements() const noexcept { return statements_.size(); }

    /// Quotes an identifier (table, column, channel name) with libpq's own quoting.
    [[nodiscard]] std::string quote_identifier(std::string_view id) const;

private:
    // ---- hooks for the library's own execution paths (pipeline, COPY, streaming, repository),
    // reached through detail::connection_access (core/detail/connection_access.hpp).
    friend struct detail::connection_access;

    /// Runs a parameterised statement with the given libpq parameter arrays.
    ///
    /// A cached statement the server reports stale is dropped from the cache. In autocommit mode
    /// the statement is then prepared and run once more (safe: it ran alone in its implicit
    /// transaction, which the failure rolled back); inside a transaction it throws
    /// stale_statement, and the transaction must be run again (retry policies do).
    result run(std::string_view sql, const param_refs& p);

    /// Runs f() (which returns a result) and tells the observer how it went; for the execution
    /// paths outside this class (streaming, COPY) that time themselves, see notify().
    template <class F>
    result observed(statement_path path, std::string_view sql, int parameters, F&& f) {
        auto start = std::chrono::steady_clock::now();
        statement_event e{path, sql, parameters, {}, 0, nullptr};
        try {
            result r = f();
            e.duration = detail::elapsed_since(start);
            e.rows = r.columns() > 0 ? r.size() : r.affected_rows();
            detail::notify(observer_, e);
            return r;
        } catch (...) {
            e.duration = detail::elapsed_since(start);
            e.error = std::current_exception();
            detail::notify(observer_, e);
            throw;
        }
    }

    /// The buffer execute() encodes parameters into, for callers that fill a bounded_params just
    /// before run(): reusing it keeps repository statements free of allocations.
    std::string& encode_buffer() noexcept { return scratch_; }

    /// The server-side name of `sql` prepared for these parameter types, preparing it now if it is
    /// not cached yet. For callers that send statements themselves (pipeline batches); it must be
    /// called outside pipeline mode.
    const std::string& prepare_cached(std::string_view sql, const param_refs& p) { return prepared_name(sql, p); }

    /// For callers that prepare statements inside a pipeline: the cached name of `sql` for these
    /// parameter types, or nullptr.
    const std::string* cached_statement_name(std::string_view sql, const param_refs& p) {
        return statements_.find(sql, p);
    }
    /// Enters a fresh name for `sql` in the cache without preparing it: the caller prepares it
    /// under that name at once and calls forget_cached_statement if that fails.
    const std::string& add_cached_statement(std::string_view sql, const param_refs& p) {
        return statements_.find_or_add(sql, p);
    }
    /// Drops `sql`'s cache entry (a prepare that failed, or whose outcome is unknown).
    void forget_cached_statement(std::string_view sql, const param_refs& p) { statements_.forget(sql, p); }

    /// For callers that execute cached statements themselves (pipeline batches, streaming): when
    /// `r` reports that the statement cached for `sql` is stale, drops it — every parameter-type
    /// variant of the text for 0A000, the whole cache for 26000 (DEALLOCATE ALL and DISCARD ALL
    /// remove every statement at once) — and says why; otherwise changes nothing.
    detail::staleness forget_if_stale(const PGresult* r, std::string_view sql);
    /// check() for the result of a statement run by its cached name: a stale statement is
    /// dropped (forget_if_stale) and throws stale_statement.
    result check_cached(PGresult* r, std::string_view sql);

    /// Throws the right exception for a failed result, or returns it.
    result check(PGresult* r, std::string_view sql);

    /// The live PGconn, or connection_lost when it was closed or broke.
    PGconn* handle() const;

    result exec_unobserved(std::string_view sql);
    result run_unobserved(std::string_view sql, const param_refs& p);

private:
    void open();

    [[noreturn]] void throw_pooled_statement_missing(PGresult* r, std::string_view sql);

    // ---- socket waits: every round trip this class makes goes through these four. With
    // config::call_timeout off they are libpq's blocking calls; with it set the statement is sent
    // asynchronously and waited for under a deadline (core/detail/call_deadline.hpp, included by
    // core/impl/connection.ipp only).
    PGresult* blocking_exec(const char* sql);
    PGresult* blocking_exec_params(const char* sql, const param_refs& p);
    PGresult* blocking_exec_prepared(const char* name, const param_refs& p);
    PGresult* blocking_prepare(const char* name, const char* sql, const param_refs& p);
    // A server that answered neither the statement nor the cancel sent at the deadline is given
    // up on: the connection is closed (so a pool replaces it) and the call throws connection_lost.
    template <class Send>
    PGresult* within_call_timeout(PGconn* pg, Send&& send);

    PGresult* exec_cached(std::string_view sql, const param_refs& p);
    result run_unnamed(std::string_view sql, const param_refs& p);

    // The server-side name of `sql` for these parameter types, preparing it on a cache miss.
    const std::string& prepared_name(std::string_view sql, const param_refs& p);

    config cfg_;
    PGconn* conn_ = nullptr;
    detail::statement_cache statements_;  // prepared statement names (core/detail/statement_cache.hpp)
    bool behind_pooler_ = false;          // see behind_pooler()
    std::string scratch_;  // parameter encoding buffer, reused across calls
    statement_observer observer_;  // empty unless set_observer was called
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/connection.ipp>
#endif
