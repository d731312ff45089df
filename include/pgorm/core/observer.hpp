#pragma once
// statement_observer: an optional callback a connection calls after every statement it runs,
// for logging and tracing. Unset (the default), it costs one test of an empty std::function per
// statement and no clock reads.
//
//   conn.set_observer([](const pgorm::statement_event& e) {
//       log("{} us, {} rows: {}", e.duration.count(), e.rows, e.sql);
//   });

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string_view>

namespace pgorm {

/// Which execution path ran the statement.
enum class statement_path {
    simple,     // connection::execute_script: simple protocol, no parameters
    extended,   // execute / query* / run: bound parameters (prepared when cached)
    pipeline,   // one statement of a pipeline batch, reported at sync()
    copy,       // a binary COPY FROM STDIN, reported at finish()
    stream,     // single-row streaming (stream_results, stream_rows, repository::for_each)
};

/// What the observer is told about one statement.
struct statement_event {
    statement_path path = statement_path::extended;
    std::string_view sql;       // the statement text; valid only during the call
    int parameters = 0;         // bound parameters sent (0 for simple and COPY)
    /// Wall time on the client from sending to the last result, in microseconds. For a pipeline
    /// every statement reports the whole batch's time (the server answers them together).
    std::chrono::microseconds duration{0};
    /// Rows returned (or streamed); for INSERT / UPDATE / DELETE / COPY the rows affected.
    std::int64_t rows = 0;
    /// The exception the statement ends with (it propagates after the observer returns), or null.
    std::exception_ptr error;
};

/// Called after each statement on the connection's thread. It must not throw: an exception
/// from it is swallowed so that it cannot change what the statement did.
using statement_observer = std::function<void(const statement_event&)>;

namespace detail {
inline std::chrono::microseconds elapsed_since(std::chrono::steady_clock::time_point start) noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}
inline void notify(const statement_observer& o, const statement_event& e) noexcept {
    try {
        o(e);
    } catch (...) {  // an observer must not alter the statement's outcome
    }
}
}  // namespace detail

}  // namespace pgorm
