#pragma once
// copy_writer's out-of-line members (core/copy.hpp): starting the COPY, the catalog look-up of
// user-typed array columns, sending chunks, finishing. The per-field framing stays in the header.

#include <pgorm/core/copy.hpp>

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

namespace pgorm {

PGORM_DECL copy_writer::copy_writer(connection& c, qualified_table table, const std::vector<std::string_view>& columns,
                                    bool writes_arrays)
    : conn_(&c), width_(columns.size()) {
    std::string target = table.schema.empty() ? c.quote_identifier(table.name)
                                              : c.quote_identifier(table.schema) + "." + c.quote_identifier(table.name);
    if (columns.empty()) throw usage_error("pgorm: COPY into " + target + " needs at least one column");
    std::string sql = "COPY " + target + " (";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + c.quote_identifier(columns[i]);
    sql += ") FROM STDIN (FORMAT binary)";
    if (writes_arrays) look_up_array_elements(target, columns);
    start(sql);
}

PGORM_DECL std::int64_t copy_writer::finish() {
    if (done_) throw usage_error("pgorm: COPY already finished");
    put<std::int16_t>(-1);
    flush();
    done_ = true;
    if (PQputCopyEnd(detail::connection_access::handle(*conn_), nullptr) != 1)
        throw connection_lost("pgorm: connection lost ending COPY: " +
                              detail::trimmed(PQerrorMessage(conn_->native())));
    if (!conn_->observer()) [[likely]]
        return collect();
    statement_event e{statement_path::copy, sql_, 0, {}, 0, nullptr};
    try {
        e.rows = collect();
    } catch (...) {
        e.error = std::current_exception();
    }
    e.duration = detail::elapsed_since(started_);
    detail::notify(conn_->observer(), e);
    if (e.error) std::rethrow_exception(e.error);
    return e.rows;
}

PGORM_DECL void copy_writer::look_up_array_elements(const std::string& target,
                                                    const std::vector<std::string_view>& columns) {
    array_elem_.assign(columns.size(), 0);
    auto typed = conn_->query<std::tuple<std::string, std::int64_t>>(user_typed_columns_sql, target);
    if (typed.empty()) return;
    std::vector<std::int64_t> types;
    for (const auto& [name, type] : typed) types.push_back(type);
    for (const auto& [type, elem] :
         conn_->query<std::tuple<std::int64_t, std::int64_t>>(user_array_elements_sql, types))
        for (const auto& [name, column_type] : typed)
            if (column_type == type)
                for (std::size_t k = 0; k < columns.size(); ++k)
                    if (columns[k] == name) array_elem_[k] = static_cast<oid_t>(elem);
}

PGORM_DECL void copy_writer::start(const std::string& sql) {
    if (conn_->observer()) [[unlikely]]
        started_ = std::chrono::steady_clock::now();
    PGresult* r = PQexec(detail::connection_access::handle(*conn_), sql.c_str());
    result res = detail::connection_access::check(*conn_, r, sql);
    if (PQresultStatus(res.native()) != PGRES_COPY_IN)
        throw usage_error("pgorm: the server did not enter COPY IN mode for: " + sql);
    sql_ = sql;
    static constexpr char header[] = "PGCOPY\n\377\r\n";  // 11-byte signature incl. the NUL
    allocate(flush_at + slack);
    std::memcpy(room(11), header, 11);
    used_ += 11;
    put<std::int32_t>(0);  // flags: no OIDs
    put<std::int32_t>(0);  // header extension length
}

PGORM_DECL void copy_writer::flush() {
    if (used_ == 0) return;
    if (PQputCopyData(detail::connection_access::handle(*conn_), buf_.get(), static_cast<int>(used_)) != 1)
        throw connection_lost("pgorm: connection lost during COPY: " +
                              detail::trimmed(PQerrorMessage(conn_->native())));
    used_ = 0;
}

PGORM_DECL void copy_writer::allocate(std::size_t n) {
    buf_.allocate(n);  // no zero-fill
    capacity_ = n;
}

PGORM_DECL std::int64_t copy_writer::collect() {
    PGresult* first = nullptr;
    while (PGresult* r = PQgetResult(conn_->native())) {
        if (!first) first = r;
        else PQclear(r);
    }
    // The server reports binary data it cannot parse as 08P01 (protocol violation), which
    // would read as a lost connection; the connection is fine, the data is wrong.
    if (first && PQstatus(conn_->native()) == CONNECTION_OK &&
        detail::result_field(first, PG_DIAG_SQLSTATE) == "08P01") {
        sql_error::details d;
        d.sqlstate = "08P01";
        d.message = "binary COPY data does not match the column types (" +
                    detail::result_field(first, PG_DIAG_MESSAGE_PRIMARY) +
                    "); each C++ type must be the column's exact type, e.g. std::int64_t for bigint";
        d.detail = detail::result_field(first, PG_DIAG_CONTEXT);
        d.statement = sql_;
        PQclear(first);
        throw data_exception(std::move(d));
    }
    return detail::connection_access::check(*conn_, first, sql_).affected_rows();
}

PGORM_DECL void copy_writer::abort(const char* why) noexcept {
    if (done_ || !conn_ || !conn_->native()) return;
    done_ = true;
    if (PQputCopyEnd(conn_->native(), why) == 1)
        while (PGresult* r = PQgetResult(conn_->native())) PQclear(r);
}

}  // namespace pgorm
