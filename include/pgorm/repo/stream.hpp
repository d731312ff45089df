#pragma once
// Streaming reads into T (core/stream.hpp does the single-row-mode work).
//
//   pgorm::stream_rows<User>(conn, "SELECT ... FROM users", params, [](const User& u) { ... });
//
// The callback may return void, or bool (false stops early). Stopping early or throwing from the
// callback leaves the connection usable (see core/stream.hpp).

#include <pgorm/core/stream.hpp>

#include <optional>
#include <type_traits>

namespace pgorm {

/// Runs `sql` with `params` and calls fn(row) per row; returns the number of rows handed over.
/// `row` is valid during the call only: a Row holding views (std::string_view) points into the
/// one-row result, which is freed once fn returns; copy what you keep into owning types.
template <row_type Row, class F>
std::int64_t stream_rows(connection& c, std::string_view sql, const param_list& params, F&& fn) {
    std::optional<row_mapper<Row>> mapper;  // built once: every single-row result has the same shape
    Row value{};
    return stream_results(c, sql, params.refs(), [&](const result& r) {
        if (mapper) mapper->rebind(r.native());
        else mapper.emplace(r.native());
        mapper->read(0, value);
        if constexpr (std::is_same_v<std::invoke_result_t<F&, const Row&>, bool>) {
            return fn(std::as_const(value));
        } else {
            fn(std::as_const(value));
            return true;
        }
    });
}

}  // namespace pgorm
