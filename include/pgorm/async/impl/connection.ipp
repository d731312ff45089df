#pragma once
// Bodies of async/connection.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/async/connection.hpp>

namespace pgorm {
namespace detail {

PGORM_DECL std::string quoted_name(std::string_view name, std::string_view what) {
    if (name.empty()) throw usage_error("pgorm: COPY needs a " + std::string(what) + " name, got an empty one");
    if (name.find('\0') != std::string_view::npos)
        throw usage_error("pgorm: a " + std::string(what) + " name cannot contain a NUL byte");
    require_identifier_limit(name, std::string("COPY ") + std::string(what));
    std::string q = "\"";
    for (char ch : name) {
        if (ch == '"') q.push_back('"');
        q.push_back(ch);
    }
    q.push_back('"');
    return q;
}

PGORM_DECL std::string copy_statement(std::string_view table, const std::vector<std::string_view>& columns) {
    std::string sql = "COPY " + quoted_name(table, "table") + " (";
    if (columns.empty()) throw usage_error("pgorm: COPY into " + std::string(table) + " needs at least one column");
    for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + quoted_name(columns[i], "column");
    return sql + ") FROM STDIN (FORMAT binary)";
}

PGORM_DECL awaitable<std::int64_t> rows_copied(awaitable<result> pending) {
    result r = co_await std::move(pending);
    co_return r.affected_rows();
}

PGORM_DECL awaitable<std::int64_t> rows_streamed(awaitable<result> pending, std::shared_ptr<row_sink> sink) {
    co_await std::move(pending);
    co_return sink->rows;
}

}  // namespace detail
}  // namespace pgorm

namespace pgorm {

PGORM_DECL async_statements async_statements::with_timeout(std::chrono::milliseconds timeout) const {
    if (timeout.count() <= 0) throw usage_error("pgorm: a statement timeout must be positive");
    return {engine(), timeout};
}

PGORM_DECL awaitable<std::int64_t> async_statements::copy_request(std::string sql,
                                                                  std::shared_ptr<detail::copy_source> source) const {
    return detail::rows_copied(
        boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, detail::exec_signature>(
            [](auto handler, std::shared_ptr<detail::async_engine> e, std::string text,
               std::shared_ptr<detail::copy_source> data, std::chrono::milliseconds limit) {
                auto ex = boost::asio::get_associated_executor(handler, e->strand());
                auto slot = boost::asio::get_associated_cancellation_slot(handler);
                std::shared_ptr<detail::async_request> q = detail::make_request(std::move(handler));
                q->sql.assign(text);
                q->copy = std::move(data);
                q->timeout = limit;
                q->done_executor = std::move(ex);
                q->slot = slot;
                e->enqueue(std::move(q));
            },
            boost::asio::use_awaitable, engine(), std::move(sql), std::move(source), timeout_));
}

PGORM_DECL async_connection::async_connection(const boost::asio::any_io_executor& ex, config cfg, async_options opts)
    : async_statements(
          std::make_shared<detail::async_engine>(
              ex, std::move(cfg), opts.sync,
              detail::pipeline_limits{opts.statements_per_sync, opts.max_in_flight, opts.max_in_flight_bytes}),
          std::chrono::milliseconds(0)),
      opts_(opts) {
    if (opts_.connect_timeout.count() <= 0)
        throw config_error("pgorm: async_options::connect_timeout must be positive");
}

PGORM_DECL awaitable<void> async_connection::connect() {
    std::shared_ptr<detail::async_engine> e = engine();
    const std::chrono::milliseconds limit = opts_.connect_timeout;
    e->start_connect();
    boost::asio::steady_timer deadline(e->strand(), limit);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;  // as the docs say to assume before the first poll
    for (;;) {
        if (st == PGRES_POLLING_FAILED) e->fail_connect("");
        if (st == PGRES_POLLING_OK) break;
        e->adopt_socket();
        auto wait = st == PGRES_POLLING_READING ? boost::asio::posix::stream_descriptor::wait_read
                                                : boost::asio::posix::stream_descriptor::wait_write;
        std::variant<std::monostate, std::monostate> which;
        std::string failed;
        try {
            // Named in full: pgorm's own operator|| (query filters) hides the using-directive's.
            which = co_await boost::asio::experimental::awaitable_operators::operator||(
                e->socket().async_wait(wait, boost::asio::use_awaitable),
                deadline.async_wait(boost::asio::use_awaitable));
        } catch (const boost::system::system_error& x) {
            failed = x.what();
        }
        if (!failed.empty()) e->fail_connect(failed);
        if (which.index() == 1)
            e->fail_connect("no connection within " + std::to_string(limit.count()) +
                            " ms (async_options::connect_timeout)");
        st = PQconnectPoll(e->native());
    }
    e->connected();
}

PGORM_DECL std::string async_connection::quote_identifier(std::string_view id) const {
    PGconn* c = native();
    if (!c) throw connection_lost("pgorm: the connection is closed");
    char* q = PQescapeIdentifier(c, id.data(), id.size());
    if (!q) throw usage_error(std::string("pgorm: cannot quote identifier: ") + PQerrorMessage(c));
    std::string s(q);
    PQfreemem(q);
    return s;
}

PGORM_DECL void async_connection::shut() noexcept {
    if (!engine_) return;
    // On the engine's strand: at once when already there, else as soon as it runs.
    boost::asio::dispatch(engine_->strand(), [e = engine_] { e->close(); });
}

}  // namespace pgorm
