#pragma once
// Run-time support for the code pgorm-gen writes (docs/codegen.md): reading a row at a column
// offset, streaming rows in libpq single-row mode, binary COPY FROM STDIN for `:copyfrom`, and
// libpq pipeline mode for the `:batch*` forms. Generated headers include this; applications
// rarely call it directly.

#include <pgorm/core/connection.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgorm::generated {

/// A single-value "row": the value of column `col`.
template <class T>
    requires has_codec<T>
void read_row(const result& r, int row, int col, T& out) {
    r.read_field(row, col, out);
}

/// True when every column in [col, col + count) of the row is NULL: an embedded table on the
/// nullable side of an outer join that found no match.
inline bool all_null(const result& r, int row, int col, int count) noexcept {
    for (int c = col; c < col + count; ++c)
        if (!r.is_null(row, c)) return false;
    return true;
}

/// std::vector<E> for a generated enum E. Enum oids differ per database, so parameters travel in
/// text format (`{a,"b c"}`) and the server reads them with the type it inferred; results are
/// decoded from the binary array format.
template <class E>
struct enum_array_codec {
    static constexpr oid_t type_oid = oid::unspecified;
    static constexpr oid_t array_oid = oid::unspecified;
    static constexpr std::string_view sql_name = codec<E>::sql_name;
    static constexpr int format = 0;
    static bool accepts(oid_t o) noexcept { return o >= oid::first_user_oid; }
    static void encode_text(const std::vector<E>& v, std::string& out) {
        out.push_back('{');
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out.push_back(',');
            out.push_back('"');
            for (char c : codec<E>::label(v[i])) {
                if (c == '"' || c == '\\') out.push_back('\\');
                out.push_back(c);
            }
            out.push_back('"');
        }
        out.push_back('}');
    }
    static void encode(const std::vector<E>& v, std::string& out) { encode_text(v, out); }
    static void decode(std::string_view in, oid_t, std::vector<E>& out) {
        wire::reader rd(in, "enum array");
        auto dims = rd.read<std::int32_t>();
        rd.read<std::int32_t>();  // has-nulls flag
        rd.read<std::uint32_t>();  // element oid
        out.clear();
        if (dims == 0) return;
        if (dims != 1) throw decode_error("pgorm: only one-dimensional enum arrays are supported");
        auto n = rd.read<std::int32_t>();
        rd.read<std::int32_t>();  // lower bound
        for (std::int32_t i = 0; i < n; ++i) {
            auto len = rd.read<std::int32_t>();
            if (len < 0) throw unexpected_null("pgorm: NULL element in an array of " + std::string(sql_name));
            E e{};
            codec<E>::decode(rd.bytes(static_cast<std::size_t>(len)), oid::unspecified, e);
            out.push_back(e);
        }
    }
};

namespace detail {
/// Reads and discards what is left of a query's results so the connection is usable again.
inline void drain(PGconn* c) noexcept {
    while (PGresult* r = PQgetResult(c)) PQclear(r);
}
}  // namespace detail

/// Runs `sql` and calls on_row(result) once per row, each result holding exactly that row
/// (libpq single-row mode): memory stays flat however many rows the query returns.
/// If on_row throws, the remaining rows are read and dropped before the exception leaves.
template <class F, class... A>
void stream(connection& conn, std::string_view sql, F&& on_row, const A&... args) {
    std::string buf;
    packed_params<sizeof...(A)> p(buf, args...);
    param_refs refs = p.refs();
    std::string text(sql);
    PGconn* c = conn.handle();
    if (!PQsendQueryParams(c, text.c_str(), refs.count, refs.types, refs.values, refs.lengths, refs.formats, 1))
        conn.check(nullptr, sql);
    PQsetSingleRowMode(c);
    std::exception_ptr failure;
    while (PGresult* raw = PQgetResult(c)) {
        auto status = PQresultStatus(raw);
        if (status == PGRES_SINGLE_TUPLE && !failure) {
            result row(raw);
            try {
                on_row(static_cast<const result&>(row));
            } catch (...) {
                failure = std::current_exception();
            }
        } else if (status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
            PQclear(raw);
        } else {
            detail::drain(c);
            conn.check(raw, sql);  // throws the mapped server error
        }
    }
    if (failure) std::rethrow_exception(failure);
}

/// One row of a binary COPY: fields are appended in column order.
class copy_row {
public:
    explicit copy_row(std::string& out) : out_(&out) {}
    template <class T>
    void field(const T& v) {
        using C = codec<std::remove_cvref_t<T>>;
        if constexpr (nullable_value<T>) {
            if (C::is_null(v)) {
                wire::put<std::int32_t>(*out_, -1);
                return;
            }
        }
        std::size_t at = out_->size();
        wire::put<std::int32_t>(*out_, 0);
        C::encode(v, *out_);
        auto n = static_cast<std::uint32_t>(out_->size() - at - 4);  // big-endian length, patched in place
        for (std::size_t k = 0; k < 4; ++k) (*out_)[at + k] = static_cast<char>((n >> (24 - 8 * k)) & 0xffu);
    }

private:
    std::string* out_;
};

/// Binary COPY FROM STDIN: `copy_sql` is a complete `COPY t (cols) FROM STDIN (FORMAT binary)`;
/// write(copy_row&, item) appends the fields of one item. Returns the number of rows copied.
template <class R, class Write>
std::int64_t copy_in(connection& conn, std::string_view copy_sql, const R& items, short columns, Write write) {
    conn.exec(copy_sql);  // PGRES_COPY_IN: the server now waits for data
    PGconn* c = conn.handle();
    std::string buf("PGCOPY\n\377\r\n\0", 11);
    wire::put<std::int32_t>(buf, 0);  // flags
    wire::put<std::int32_t>(buf, 0);  // header extension length
    auto flush = [&] {
        if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1) {
            std::string why = PQerrorMessage(c);
            PQputCopyEnd(c, "pgorm: sending COPY data failed");
            detail::drain(c);
            throw connection_error("pgorm: sending COPY data failed: " + why);
        }
        buf.clear();
    };
    try {
        for (const auto& item : items) {
            wire::put<std::int16_t>(buf, columns);
            copy_row row(buf);
            write(row, item);
            if (buf.size() > (1u << 16)) flush();
        }
    } catch (...) {
        PQputCopyEnd(c, "pgorm: encoding a COPY row failed");
        detail::drain(c);
        throw;
    }
    wire::put<std::int16_t>(buf, -1);  // trailer
    flush();
    if (PQputCopyEnd(c, nullptr) != 1) {
        detail::drain(c);
        throw connection_error(std::string("pgorm: ending COPY failed: ") + PQerrorMessage(c));
    }
    result done = conn.check(PQgetResult(c), copy_sql);
    detail::drain(c);
    return done.affected_rows();
}

/// Sends one statement of a pipeline with bound binary parameters.
class pipeline_sender {
public:
    pipeline_sender(connection& conn, std::string_view sql) : conn_(&conn), sql_(sql) {}
    template <class... A>
    void send(const A&... args) {
        packed_params<sizeof...(A)> p(buf_, args...);
        param_refs refs = p.refs();
        if (!PQsendQueryParams(conn_->handle(), sql_.c_str(), refs.count, refs.types, refs.values, refs.lengths,
                               refs.formats, 1))
            throw connection_error(std::string("pgorm: pipeline send failed: ") + PQerrorMessage(conn_->native()));
    }

private:
    connection* conn_;
    std::string sql_;
    std::string buf_;
};

/// Runs `sql` once per item in libpq pipeline mode: send(pipeline_sender&, item) binds one item's
/// parameters, take(std::size_t index, const result&) reads its result. Items go in chunks of
/// `chunk` statements per sync so neither side's socket buffer can fill up while the other waits.
/// The first failing item's error is thrown after the pipeline is drained; inside a transaction
/// that error aborts the transaction as usual.
template <class R, class Send, class Take>
void pipeline(connection& conn, std::string_view sql, const R& items, Send send, Take take, std::size_t chunk = 256) {
    PGconn* c = conn.handle();
    if (PQpipelineStatus(c) != PQ_PIPELINE_OFF) throw usage_error("pgorm: the connection is already in pipeline mode");
    if (!PQenterPipelineMode(c))
        throw usage_error(std::string("pgorm: cannot enter pipeline mode: ") + PQerrorMessage(c));
    struct exit_guard {
        PGconn* c;
        ~exit_guard() { PQexitPipelineMode(c); }
    } guard{c};
    pipeline_sender sender(conn, sql);
    std::exception_ptr failure;
    std::size_t index = 0, sent = 0;
    auto collect = [&] {
        PQpipelineSync(c);
        for (; index < sent; ++index) {
            PGresult* raw = PQgetResult(c);
            if (!failure) {
                try {
                    result r = conn.check(raw, sql);
                    take(index, static_cast<const result&>(r));
                } catch (...) {
                    failure = std::current_exception();
                }
            } else if (raw) {
                PQclear(raw);
            }
            while (PGresult* rest = PQgetResult(c)) PQclear(rest);  // the NULL that ends this statement
        }
        // The sync point.
        while (PGresult* r = PQgetResult(c)) {
            bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            PQclear(r);
            if (sync) break;
        }
    };
    for (const auto& item : items) {
        send(sender, item);
        if (++sent - index >= chunk) collect();
    }
    collect();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace pgorm::generated
