#pragma once
// async_connection: a PostgreSQL connection for C++20 coroutines on Boost.Asio.
//
//     pgorm::async_connection c{co_await boost::asio::this_coro::executor, pgorm::config::from_env()};
//     co_await c.connect();
//     auto users = co_await c.query<User>("SELECT * FROM users WHERE org_id = $1", org);
//
// Statements take bound binary parameters and return binary results mapped exactly as the
// synchronous connection maps them (core/result.hpp), and fail with the same exception classes.
// Many coroutines may share one connection: their statements are pipelined (async/engine.hpp),
// each with its own Sync (or one per write with async_options::sync = pipeline_sync::per_batch),
// and one failing statement fails only its own await. A statement is a
// single SQL command (the extended protocol; no "a; b" strings).
//
// The coroutine methods encode their arguments before they return, so `co_spawn(ex,
// c.execute("...", std::string("x")), ...)` is safe; their SQL text is read when the awaitable
// starts (a literal, or any string in `co_await c.execute(text, ...)`; see execute()). For other
// completion tokens (callbacks, asio::deferred, use_future) use async_execute_params: it follows
// Asio's universal model and copies the text at the call.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/async/detail/copy_source.hpp>
#include <pgorm/async/engine.hpp>
#include <pgorm/core/statement.hpp>
#include <pgorm/reflect/identifier.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <concepts>
#include <memory>
#include <iterator>
#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace pgorm {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct async_options {
    /// How long connect() may take, all hosts of a multi-host URL together. libpq's own
    /// connect_timeout does not apply to a non-blocking connect (PostgreSQL docs 34.1,
    /// PQconnectStartParams), so pgorm keeps this deadline itself.
    std::chrono::milliseconds connect_timeout{10'000};
    /// A Sync after every statement (the default: an error fails only its statement) or one per
    /// write of concurrent statements (fewer server round trips; they share a transaction).
    /// See pipeline_sync (async/engine.hpp) and docs/async.md, "Automatic pipelining".
    pipeline_sync sync = pipeline_sync::per_statement;
    /// per_batch only: the most statements that share one Sync (>= 1). A write of more is cut
    /// into several Syncs sent together, so the server runs one group while the client completes
    /// the one before (docs/async.md, "Batches in flight"); a smaller group also means fewer
    /// statements sent again when one of them fails.
    std::size_t statements_per_sync = 32;
    /// Statements sent and not yet answered (>= 1); more wait in the connection's queue until
    /// answers come back. Bounds what the server and libpq's buffers hold for one connection.
    std::size_t max_in_flight = 1024;
    /// Bytes sent and not yet answered (>= 1): SQL text plus parameter values, about the size
    /// of the protocol messages. A statement is always sent when nothing else is in flight.
    std::size_t max_in_flight_bytes = std::size_t{4} << 20;
};

namespace detail {

template <class... A>
param_list encode_params(const A&... args) {
    param_list p;
    (p.add(args), ...);
    return p;
}

/// The completion handler of a plain statement: the result as it is.
struct pass_result {
    template <class H>
    H operator()(H handler) const {
        return handler;
    }
};

/// Completes a typed call (signature void(std::exception_ptr, T)) with what `convert` makes
/// of the result: the typed calls need no coroutine of their own around the statement's (one
/// frame per call). The engine converts as the result arrives (convert_now, on its strand) and
/// frees the PGresult; what the conversion throws (rows that do not fit T: column_mismatch,
/// type_mismatch, unexpected_null, usage_error) is the call's error unless the statement failed.
template <class T, class H, class F>
struct converting_handler {
    converting_handler(H h, F f) : handler(std::move(h)), convert(std::move(f)) {}
    H handler;
    F convert;
    T value{};
    std::exception_ptr failed;
    bool converted = false;

    void convert_now(const result& r) {
        converted = true;
        failed = nullptr;
        try {
            value = convert(r);
        } catch (...) {
            failed = std::current_exception();
        }
    }
    void operator()(std::exception_ptr ep, result r) && {
        if (!ep && !converted) convert_now(r);
        if (!ep) ep = failed;
        r = result();  // the PGresult goes now, not when the coroutine next suspends
        std::move(handler)(std::move(ep), std::move(value));
    }
};
template <class T, class F>
struct convert_to {
    F convert;
    template <class H>
    converting_handler<T, H, F> operator()(H handler) {
        return {std::move(handler), std::move(convert)};
    }
};

/// Asio initiating function for one statement, completing with Signature (exec_signature, or
/// void(std::exception_ptr, T) when `wrap` converts). The request copies the SQL text when the
/// operation starts (for use_awaitable: at co_await), and owns the encoded parameters.
/// `Text` is std::string (copied at the call: for tokens that may start the operation later)
/// or std::string_view (the caller's text, read at the start: the coroutine methods).
/// `sink`, when given, takes the rows one at a time (stream()); the result is then the end only.
/// Throws usage_error for more than 65535 parameters.
template <class Signature, class Text, class Token, class Wrap>
auto async_exec_as(std::shared_ptr<async_engine> engine, Text sql, param_list params, std::chrono::milliseconds timeout,
                   Token&& token, Wrap wrap, std::shared_ptr<row_sink> sink = nullptr) {
    if (params.size() > 65535)  // the protocol's Bind message counts parameters in 16 bits
        throw usage_error("pgorm: a statement takes at most 65535 parameters, got " + std::to_string(params.size()));
    return boost::asio::async_initiate<Token, Signature>(
        [](auto handler, std::shared_ptr<async_engine> e, Text text, param_list p, std::chrono::milliseconds limit,
           std::shared_ptr<row_sink> rows, Wrap w) {
            auto ex = boost::asio::get_associated_executor(handler, e->strand());
            auto slot = boost::asio::get_associated_cancellation_slot(handler);
            std::shared_ptr<async_request> q = make_request(w(std::move(handler)));
            q->sql.assign(text);
            q->params = std::move(p);
            q->timeout = limit;
            q->sink = std::move(rows);
            q->done_executor = std::move(ex);
            q->slot = slot;
            e->enqueue(std::move(q));
        },
        token, std::move(engine), std::move(sql), std::move(params), timeout, std::move(sink), std::move(wrap));
}

template <class Token>
auto async_exec(std::shared_ptr<async_engine> engine, std::string sql, param_list params,
                std::chrono::milliseconds timeout, Token&& token, std::shared_ptr<row_sink> sink = nullptr) {
    return async_exec_as<exec_signature>(std::move(engine), std::move(sql), std::move(params), timeout,
                                         std::forward<Token>(token), pass_result{}, std::move(sink));
}

/// A typed call's two-frame form, for a T the one-frame form cannot hold (no default constructor).
template <class T, class F>
awaitable<T> converted(awaitable<result> pending, F convert) {
    result r = co_await std::move(pending);
    co_return convert(r);
}

/// A typed statement: one awaitable whose completion converts the result (converting_handler).
template <class T, class Text, class F>
awaitable<T> typed_exec(std::shared_ptr<async_engine> engine, Text sql, param_list params,
                        std::chrono::milliseconds timeout, F convert) {
    if constexpr (std::is_default_constructible_v<T> && std::is_move_assignable_v<T>) {
        return async_exec_as<void(std::exception_ptr, T)>(std::move(engine), std::move(sql), std::move(params), timeout,
                                                          boost::asio::use_awaitable, convert_to<T, F>{std::move(convert)});
    } else {
        return converted<T>(async_exec_as<exec_signature>(std::move(engine), std::move(sql), std::move(params), timeout,
                                                          boost::asio::use_awaitable, pass_result{}),
                            std::move(convert));
    }
}

/// A stream() callback: takes `const Row&`, returns void or bool (false: stop).
template <class F, class Row>
concept row_callback = std::invocable<F&, const Row&> &&
                       (std::is_void_v<std::invoke_result_t<F&, const Row&>> ||
                        std::is_same_v<std::invoke_result_t<F&, const Row&>, bool>);

/// Maps each streamed row to Row with one row_mapper (the columns are checked on the first row:
/// every single-row result of a statement has the same shape) and calls the callback.
template <row_type Row, row_callback<Row> F>
class typed_row_sink final : public row_sink {
public:
    explicit typed_row_sink(F f) : fn_(std::move(f)) {}
    bool take(const PGresult* r) override {
        if (mapper_) mapper_->rebind(r);
        else mapper_.emplace(r);
        const int n = PQntuples(r);
        for (int i = 0; i < n; ++i) {
            mapper_->read(i, value_);
            ++rows;
            if constexpr (std::is_same_v<std::invoke_result_t<F&, const Row&>, bool>) {
                if (!fn_(std::as_const(value_))) return false;
            } else {
                fn_(std::as_const(value_));
            }
        }
        return true;
    }

private:
    F fn_;
    std::optional<row_mapper<Row>> mapper_;
    Row value_{};
};

/// A name quoted as an identifier (PostgreSQL docs 4.1.1: in double quotes, a double quote
/// written twice), without a round trip: the engine's connections always use client_encoding
/// UTF8, where this is exactly what PQescapeIdentifier writes. Throws usage_error for an empty
/// name, a NUL byte or a name over 63 bytes.
PGORM_DECL std::string quoted_name(std::string_view name, std::string_view what);

/// COPY table (columns...) FROM STDIN (FORMAT binary). Throws usage_error as quoted_name, or for no columns.
PGORM_DECL std::string copy_statement(std::string_view table, const std::vector<std::string_view>& columns);

PGORM_DECL awaitable<std::int64_t> rows_copied(awaitable<result> pending);

PGORM_DECL awaitable<std::int64_t> rows_streamed(awaitable<result> pending, std::shared_ptr<row_sink> sink);

}  // namespace detail

/// A statement built ahead of its execution: SQL text with $n placeholders and the bound values
/// beside it, such as repo/sql.hpp's sql_builder (which a repository filter renders into). The
/// async executor takes it by shape, so async/ does not include the repository layer.
template <class S>
concept bound_statement = requires(const S& s) {
    { std::string_view(s.sql) };
    { s.params } -> std::convertible_to<const param_list&>;
};

/// The statement methods of an async connection, optionally with a per-call timeout
/// (async_connection::with_timeout). Cheap to copy; keeps the connection's engine alive.
///
/// Errors arrive as the completion's exception (rethrown by co_await), with the synchronous
/// API's types and SQLSTATE mapping (docs/errors.md): connection_lost when the connection broke
/// or was closed with the statement pending, the server's error as its sql_error subclass,
/// query_canceled (57014) on cancellation or timeout, column_mismatch / type_mismatch /
/// unexpected_null when rows do not fit T; usage_error when query_one gets more than one row or
/// query_value anything but one row of one column.
class async_statements {
public:
    async_statements() = default;
    async_statements(std::shared_ptr<detail::async_engine> e, std::chrono::milliseconds timeout)
        : engine_(std::move(e)), timeout_(timeout) {}

    /// Runs one statement; the completion gets (std::exception_ptr, pgorm::result). Any Asio
    /// completion token; the default makes it awaitable. Cancelling it (a cancellation slot bound
    /// to the token) sends a cancel request and fails it with query_canceled.
    template <class Token = boost::asio::use_awaitable_t<>>
    auto async_execute_params(std::string_view sql, param_list params, Token&& token = {}) const {
        return detail::async_exec(engine(), std::string(sql), std::move(params), timeout_, std::forward<Token>(token));
    }

    /// Runs a statement with bound parameters; the raw result (affected_rows(), columns...).
    ///
    /// `sql` is read when the returned awaitable starts, not when the call is made (no copy for
    /// the call): a string literal, or a string the caller keeps until the awaitable starts
    /// (for `co_await c.execute(sql, ...)`: at once). A temporary `std::string` is moved into
    /// the operation instead (the overload below), so `co_spawn(ex, c.execute(make_sql()), ...)`
    /// is safe too. The arguments are encoded at the call.
    template <class... A>
    awaitable<result> execute(std::string_view sql, const A&... args) const {
        return detail::async_exec_as<detail::exec_signature>(engine(), sql, detail::encode_params(args...), timeout_,
                                                             boost::asio::use_awaitable, detail::pass_result{});
    }
    /// All rows as T (described struct by column name, tuple or aggregate by position, or a value).
    /// `sql` as for execute().
    template <row_type T, class... A>
    awaitable<std::vector<T>> query(std::string_view sql, const A&... args) const {
        return detail::typed_exec<std::vector<T>>(engine(), sql, detail::encode_params(args...), timeout_,
                                                  [](const result& r) { return r.template as<T>(); });
    }
    /// At most one row as T; more than one row is a usage_error. `sql` as for execute().
    template <row_type T, class... A>
    awaitable<std::optional<T>> query_one(std::string_view sql, const A&... args) const {
        return detail::typed_exec<std::optional<T>>(engine(), sql, detail::encode_params(args...), timeout_,
                                                    [](const result& r) { return r.template one<T>(); });
    }
    /// The single value of a one-row, one-column query. `sql` as for execute().
    template <single_value T, class... A>
    awaitable<T> query_value(std::string_view sql, const A&... args) const {
        return detail::typed_exec<T>(engine(), sql, detail::encode_params(args...), timeout_,
                                     [](const result& r) { return r.template value<T>(); });
    }

    // The same four calls for a temporary std::string: the text is moved into the operation, as
    // it may start after the string's full expression ended (co_spawn, an awaitable kept for later).
    template <class S, class... A>
        requires std::same_as<S, std::string>
    awaitable<result> execute(S&& sql, const A&... args) const {
        return detail::async_exec_as<detail::exec_signature>(engine(), std::move(sql), detail::encode_params(args...),
                                                             timeout_, boost::asio::use_awaitable, detail::pass_result{});
    }
    template <row_type T, class S, class... A>
        requires std::same_as<S, std::string>
    awaitable<std::vector<T>> query(S&& sql, const A&... args) const {
        return detail::typed_exec<std::vector<T>>(engine(), std::move(sql), detail::encode_params(args...), timeout_,
                                                  [](const result& r) { return r.template as<T>(); });
    }
    template <row_type T, class S, class... A>
        requires std::same_as<S, std::string>
    awaitable<std::optional<T>> query_one(S&& sql, const A&... args) const {
        return detail::typed_exec<std::optional<T>>(engine(), std::move(sql), detail::encode_params(args...), timeout_,
                                                    [](const result& r) { return r.template one<T>(); });
    }
    template <single_value T, class S, class... A>
        requires std::same_as<S, std::string>
    awaitable<T> query_value(S&& sql, const A&... args) const {
        return detail::typed_exec<T>(engine(), std::move(sql), detail::encode_params(args...), timeout_,
                                     [](const result& r) { return r.template value<T>(); });
    }

    /// Runs a statement and calls on_row(const T&) for each row as it arrives (libpq's single-row
    /// mode inside the pipeline, PostgreSQL docs 34.6), so the result is never held whole; returns
    /// the number of rows handed over. on_row returns void, or bool: false stops, and the rest of
    /// the result is read and dropped (no cancel: in a pipeline a cancel could hit the next
    /// statement, and inside a transaction it would abort it), so bound early-stopping reads with
    /// LIMIT. Statements queued behind it wait for it, then run in order.
    ///
    /// on_row runs on the connection's strand while the coroutine awaits: it must not block, and
    /// `row` (and views into it) is valid during the call only. What it throws ends the stream
    /// and is rethrown by co_await; the connection stays usable.
    /// Throws as execute() (the server's sql_error, e.g. division_by_zero after the rows before
    /// it were handed over; query_canceled on cancellation or timeout; connection_lost), and the
    /// row-mapping errors (column_mismatch, type_mismatch, unexpected_null) before on_row sees
    /// a row that does not fit T.
    template <row_type T, class F, class... A>
        requires detail::row_callback<F, T>
    awaitable<std::int64_t> stream(std::string_view sql, F on_row, const A&... args) const {
        auto sink = std::make_shared<detail::typed_row_sink<T, F>>(std::move(on_row));
        return detail::rows_streamed(detail::async_exec(engine(), std::string(sql), detail::encode_params(args...),
                                                        timeout_, boost::asio::use_awaitable, sink),
                                     sink);
    }
    /// The same for a statement built elsewhere (bound_statement). Throws as above.
    template <row_type T, bound_statement S, class F>
        requires detail::row_callback<F, T>
    awaitable<std::int64_t> stream(const S& s, F on_row) const {
        auto sink = std::make_shared<detail::typed_row_sink<T, F>>(std::move(on_row));
        return detail::rows_streamed(
            detail::async_exec(engine(), std::string(s.sql), s.params, timeout_, boost::asio::use_awaitable, sink), sink);
    }

    /// Loads `rows` (a range of a described struct with a PGORM_TABLE) into table<T> with binary
    /// COPY FROM STDIN, every member as a column, as the synchronous copy_in (core/copy.hpp).
    /// Returns the number of rows the server stored.
    ///
    /// COPY is not allowed in pipeline mode (PostgreSQL docs 34.5.1): the connection waits until
    /// the statements sent before it have come back, leaves pipeline mode, sends the data on the
    /// non-blocking socket (waiting for it to drain, so about 64 KiB is held at a time, encoded
    /// as it goes), reads the result and enters pipeline mode again; statements awaited
    /// meanwhile queue and run after it. `rows` is read in place while the await lasts: it must
    /// outlive it (as it does in `co_await c.copy_in(rows)`).
    /// Unlike the synchronous copy_writer, arrays of enums or domains are not retargeted to the
    /// column's element type (the server refuses them): load those with the synchronous one.
    /// Throws the server's sql_error by SQLSTATE (unique_violation, undefined_table,
    /// data_exception for a value the column refuses or a C++ type that is not the column's
    /// exact type, query_canceled on cancellation or timeout), value_out_of_range or what a
    /// codec throws for a value it cannot encode (then the COPY is aborted and stores nothing),
    /// connection_lost. The connection stays usable after every one but connection_lost.
    template <class Range, class T = std::remove_cvref_t<decltype(*std::begin(std::declval<const Range&>()))>>
        requires described_struct<T>
    awaitable<std::int64_t> copy_in(const Range& rows) const {
        std::vector<std::string_view> cols(table<T>::columns.begin(), table<T>::columns.end());
        std::string sql = detail::copy_statement(table<T>::name, cols);
        auto source = detail::make_copy_source(rows, [width = cols.size()](std::string& out, const T& row) {
            detail::copy_framing::begin_row(out, width);
            table<T>::for_each_column([&](std::size_t, auto d) { detail::copy_framing::field(out, row.*d.pointer); });
        });
        return copy_request(std::move(sql), std::move(source));
    }
    /// Loads tuples (or anything std::apply takes) into the named columns of `table_name` (one
    /// name, found through search_path; quoted). Throws as above, and usage_error for an empty
    /// column list, an empty or over-long name, or a row whose size is not the column count.
    template <class Range>
    awaitable<std::int64_t> copy_in(std::string_view table_name, const std::vector<std::string_view>& columns,
                                    const Range& rows) const {
        std::string sql = detail::copy_statement(table_name, columns);
        auto source = detail::make_copy_source(rows, [width = columns.size()](std::string& out, const auto& row) {
            std::apply(
                [&](const auto&... v) {
                    if (sizeof...(v) != width)
                        throw usage_error("pgorm: COPY row has " + std::to_string(sizeof...(v)) + " value(s) for " +
                                          std::to_string(width) + " column(s)");
                    detail::copy_framing::begin_row(out, width);
                    (detail::copy_framing::field(out, v), ...);
                },
                row);
        });
        return copy_request(std::move(sql), std::move(source));
    }

    /// The same three for a statement built elsewhere (bound_statement: sql_builder, a filter
    /// rendered into one, a generated function's statement). Its parameters are copied when the
    /// call is made. Throws as the forms above.
    template <bound_statement S>
    awaitable<result> execute(const S& s) const {
        return detail::async_exec(engine(), std::string(s.sql), s.params, timeout_, boost::asio::use_awaitable);
    }
    template <row_type T, bound_statement S>
    awaitable<std::vector<T>> query(const S& s) const {
        return detail::typed_exec<std::vector<T>>(engine(), std::string(s.sql), s.params, timeout_,
                                                  [](const result& r) { return r.template as<T>(); });
    }
    template <row_type T, bound_statement S>
    awaitable<std::optional<T>> query_one(const S& s) const {
        return detail::typed_exec<std::optional<T>>(engine(), std::string(s.sql), s.params, timeout_,
                                                    [](const result& r) { return r.template one<T>(); });
    }

    /// A typed statement (core/statement.hpp: repository<T>::*_statement, pgorm-gen's
    /// *_statement functions), Row deduced and read by position as the synchronous
    /// connection::query(stmt) reads it. Throws as query() / query_one() above.
    template <class Row>
    awaitable<std::vector<Row>> query(const statement<Row>& s) const {
        return detail::typed_exec<std::vector<Row>>(
            engine(), std::string(s.sql), s.params, timeout_,
            [reader = statement<Row>{{}, {}, s.label, s.hint}](const result& r) { return reader.rows(r); });
    }
    template <class Row>
    awaitable<std::optional<Row>> query_one(const statement<Row>& s) const {
        return detail::typed_exec<std::optional<Row>>(
            engine(), std::string(s.sql), s.params, timeout_,
            [reader = statement<Row>{{}, {}, s.label, s.hint}](const result& r) { return reader.one(r); });
    }

    /// The same statements, each cancelled on the server (query_canceled, SQLSTATE 57014) when it
    /// has not completed within `timeout`; the connection stays usable.
    async_statements with_timeout(std::chrono::milliseconds timeout) const;

protected:
    awaitable<std::int64_t> copy_request(std::string sql, std::shared_ptr<detail::copy_source> source) const;
    const std::shared_ptr<detail::async_engine>& engine() const {
        if (!engine_) throw usage_error("pgorm: this async connection was moved from");
        return engine_;
    }
    std::shared_ptr<detail::async_engine> engine_;
    std::chrono::milliseconds timeout_{0};
};

/// One PostgreSQL connection driven by an Asio executor. Not copyable; movable. All its work runs
/// on its own strand, so the io_context may run on several threads.
class async_connection : public async_statements {
public:
    async_connection(const boost::asio::any_io_executor& ex, config cfg, async_options opts = {});
    async_connection(const boost::asio::any_io_executor& ex, std::string_view conninfo, async_options opts = {})
        : async_connection(ex, config::parse(conninfo), opts) {}
    async_connection(async_connection&&) noexcept = default;
    async_connection& operator=(async_connection&& o) noexcept {
        if (this != &o) {
            shut();
            engine_ = std::move(o.engine_);
            opts_ = o.opts_;
        }
        return *this;
    }
    ~async_connection() { shut(); }

    /// Opens the connection without blocking the thread: PQconnectStartParams, then PQconnectPoll
    /// each time the socket is ready, re-reading the socket after every step (libpq replaces it
    /// when it moves to the next host of a list). Throws connection_error naming the server
    /// (password hidden) and libpq's reason, or the timeout. Calling it again reconnects.
    /// Note: a host *name* is resolved by libpq with a blocking getaddrinfo; give IP addresses
    /// (or hostaddr=) where that matters.
    awaitable<void> connect();

    bool is_open() const noexcept { return engine_ && engine_->is_open(); }
    int backend_pid() const noexcept { return engine_ && engine_->native() ? PQbackendPID(engine_->native()) : 0; }
    /// PQTRANS_IDLE outside a transaction; PQTRANS_UNKNOWN when closed or broken.
    PGTransactionStatusType transaction_status() const noexcept {
        return is_open() ? PQtransactionStatus(engine_->native()) : PQTRANS_UNKNOWN;
    }
    /// Statements queued or waiting for their results.
    std::size_t pending() const noexcept { return engine_ ? engine_->pending() : 0; }
    const async_stats& stats() const { return engine()->stats(); }
    const config& settings() const { return engine()->settings(); }
    /// The live PGconn (for reading state; sending on it breaks the pipeline's bookkeeping).
    PGconn* native() const noexcept { return engine_ ? engine_->native() : nullptr; }

    /// Quotes an identifier with libpq's own quoting (channel, table names from data).
    std::string quote_identifier(std::string_view id) const;

    /// Closes now: statements still pending fail with connection_lost.
    void close() { shut(); }

private:
    friend class async_listener;  // waits for notifications on the engine itself
    void shut() noexcept;
    async_options opts_;
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/async/impl/connection.ipp>
#endif
