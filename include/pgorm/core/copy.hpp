#pragma once
// Binary COPY FROM STDIN: the fastest way to load many rows.
//
//   pgorm::copy_writer w{conn, "users", {"organization_id", "email"}};
//   for (auto& u : batch) w.write_row(u.organization_id, u.email);
//   std::int64_t n = w.finish();                      // rows the server stored
//
//   std::int64_t n = pgorm::copy_in(conn, users);     // every column of table<User>
//
// Rows are framed in PostgreSQL's binary COPY format (a PGCOPY header, then per row a 16-bit
// field count and per field a 32-bit length, -1 for NULL, followed by the codec's binary bytes,
// then a -1 trailer) and handed to libpq in 64 KiB chunks. Every value is encoded by the same
// codec a bound parameter uses, so the C++ type must match the column's type exactly: binary COPY
// does no conversion (an int32 member cannot fill a bigint column). COPY cannot return rows:
// server defaults it fills are not read back (repository<T>::insert_many_returning does that).
// A failure (constraint, bad data) is raised by finish() as the exception of its SQLSTATE; a
// writer destroyed before finish() cancels the COPY and the server stores nothing.
//
// Arrays of user types are the one exception to "no conversion": the server's array_recv insists
// that a binary array's element OID is the column's element type (PostgreSQL source,
// arrayfuncs.c, "wrong element type"), which for an enum or a domain exists only at run time. So
// the writer looks the table's user-typed array columns up once, before the COPY starts (one
// catalog query, about one round trip), and writes that OID into each such array's header: std::vector<fruit> fills a
// fruit[] column, std::vector<int> a posint[] column (posint a domain over integer).

#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/connection_access.hpp>
#include <pgorm/detail/linkage.hpp>
#include <pgorm/types/array.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>

#include <libpq-fe.h>

#include <bit>
#include <pgorm/types/detail/durations.hpp>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {
/// A heap buffer of bytes written before they are read: no zero-fill. std::unique_ptr<char[]>
/// would do, but <memory> brings <ostream> in C++20 mode (docs/performance.md, "Build time").
class raw_buffer {
public:
    raw_buffer() = default;
    raw_buffer(raw_buffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    raw_buffer& operator=(raw_buffer&& o) noexcept {
        if (this != &o) {
            delete[] p_;
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    raw_buffer(const raw_buffer&) = delete;
    raw_buffer& operator=(const raw_buffer&) = delete;
    ~raw_buffer() { delete[] p_; }

    /// Replaces the buffer with `n` uninitialised bytes; throws std::bad_alloc.
    void allocate(std::size_t n) {
        char* fresh = new char[n];
        delete[] p_;
        p_ = fresh;
    }
    char* get() const noexcept { return p_; }

private:
    char* p_ = nullptr;
};

/// True for std::vector arrays and std::optional of them: values whose header copy_writer may retarget.
template <class V>
struct array_value : std::bool_constant<requires { codec<V>::is_array; }> {};
template <class V>
struct array_value<std::optional<V>> : array_value<V> {};
}  // namespace detail

/// A table named with its schema, for COPY: `qualified_table{"billing", "invoices"}`.
struct qualified_table {
    std::string_view schema;  // empty: the table is found through search_path
    std::string_view name;
};

/// A binary COPY FROM STDIN into one table (see the top of this file).
///
/// Lifetime: refers to its connection, which must outlive it; from construction to finish()
/// (or destruction, which cancels the COPY) the connection is in COPY mode and must run nothing
/// else. Values written are encoded at once, so they need not outlive the call that writes them.
/// Thread safety: none: one thread at a time, as its connection.
class PGORM_ABI_TAG copy_writer {
public:
    /// Starts COPY table (columns...) FROM STDIN in binary format; names are quoted as identifiers,
    /// so `table` is one name, found through search_path (for a schema, use `qualified_table`).
    /// `writes_arrays`: some field may be an array. Then one catalog query first finds the
    /// columns that are arrays of a user type (enum, domain), whose element OID the server wants
    /// in each array header; callers that know at compile time that no field is an array pass
    /// false and save that round trip.
    /// Throws usage_error for an empty column list, undefined_table / undefined_column /
    /// insufficient_privilege and other sql_error (by SQLSTATE, error.hpp) for the COPY statement,
    /// connection_lost.
    copy_writer(connection& c, std::string_view table, const std::vector<std::string_view>& columns,
                bool writes_arrays = true)
        : copy_writer(c, qualified_table{{}, table}, columns, writes_arrays) {}
    /// The same into `schema.name` (both quoted as identifiers; an empty schema means search_path).
    copy_writer(connection& c, qualified_table table, const std::vector<std::string_view>& columns,
                bool writes_arrays = true);
    copy_writer(connection& c, std::string_view table, std::initializer_list<std::string_view> columns)
        : copy_writer(c, table, std::vector<std::string_view>(columns)) {}
    copy_writer(connection& c, qualified_table table, std::initializer_list<std::string_view> columns)
        : copy_writer(c, table, std::vector<std::string_view>(columns)) {}
    template <scope S>
        requires(!std::same_as<S, connection>)
    copy_writer(S& s, std::string_view table, const std::vector<std::string_view>& columns)
        : copy_writer(s.conn(), table, columns) {}
    template <scope S>
        requires(!std::same_as<S, connection>)
    copy_writer(S& s, qualified_table table, const std::vector<std::string_view>& columns)
        : copy_writer(s.conn(), table, columns) {}

    copy_writer(const copy_writer&) = delete;
    copy_writer& operator=(const copy_writer&) = delete;
    ~copy_writer() { abort("copy_writer destroyed before finish()"); }

    /// Appends one row; the number of values must equal the number of columns. Rows are buffered
    /// and sent in chunks, so a bad value is reported by finish(). Throws usage_error (wrong count,
    /// after finish()), value_out_of_range (a field over 2 GiB, or a value its codec cannot
    /// encode), connection_lost when a chunk cannot be sent.
    template <class... V>
    void write_row(const V&... values) {
        if (sizeof...(V) != width_)
            throw usage_error("pgorm: COPY row has " + std::to_string(sizeof...(V)) + " value(s) for " +
                              std::to_string(width_) + " column(s)");
        begin_row(sizeof...(V));
        (write_field(values), ...);
        end_row();
    }

    /// Row framing for callers that write fields one by one (described structs, masks).
    /// Throws usage_error (wrong count, after finish()).
    void begin_row(std::size_t fields) {
        if (done_) throw usage_error("pgorm: COPY already finished");
        if (fields != width_)
            throw usage_error("pgorm: COPY row has " + std::to_string(fields) + " field(s) for " +
                              std::to_string(width_) + " column(s)");
        put<std::int16_t>(static_cast<std::int16_t>(fields));
        field_ = 0;
    }
    template <class V>
    void write_field(const V& v) {
        using C = codec<std::remove_cvref_t<V>>;
        static_assert(has_codec<V>, "pgorm: no codec for this COPY value type; specialise pgorm::codec<T>");
        // Text-format parameters (arrays of enums) still have a binary encode(); only a codec
        // with nothing but encode_text() cannot take part.
        static_assert(requires(std::string& out) { C::encode(v, out); },
                      "pgorm: this type's codec sends text only; binary COPY needs a binary encode()");
        const std::size_t column = field_++;
        if constexpr (nullable_value<V>) {
            if (C::is_null(v)) {
                put<std::int32_t>(-1);
                return;
            }
        }
        if constexpr (detail::is_borrowable<std::remove_cvref_t<V>>) {
            // Text is its own binary form: length and bytes go straight into the buffer.
            const char* bytes = nullptr;
            oid_t type;
            int offset, length, format;
            detail::borrow_param(v, type, bytes, offset, length, format);
            put_bytes(bytes, static_cast<std::size_t>(length));
        } else {
            scratch_.clear();
            C::encode(v, scratch_);
            if constexpr (detail::array_value<std::remove_cvref_t<V>>::value) retarget_array(column);
            put_bytes(scratch_.data(), scratch_.size());
        }
    }
    void end_row() {
        ++rows_;
        if (used_ >= flush_at) flush();
    }

    /// Sends the trailer and waits for the server: returns the number of rows stored.
    /// Throws the sql_error (by SQLSTATE, error.hpp) the server reports for the data (a unique_violation,
    /// a data_exception for a value the column refuses...), connection_lost.
    std::int64_t finish();

    std::int64_t rows_written() const noexcept { return rows_; }

    static constexpr std::size_t flush_at = 64 * 1024;

private:
    // Columns of user types (one index scan of pg_attribute; usually none), then, only if there
    // are any, which of those types are arrays of a user type (or domains over one) and of what.
    // Catalog queries need no privilege on the table, so an INSERT-only role can still COPY.
    static constexpr std::string_view user_typed_columns_sql =
        "SELECT attname::text, atttypid::int8 FROM pg_attribute"
        " WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND atttypid >= 16384";
    static constexpr std::string_view user_array_elements_sql =
        "SELECT d.oid::int8, t.typelem::int8 FROM pg_type d"
        " JOIN pg_type t ON t.oid = CASE d.typtype WHEN 'd' THEN d.typbasetype ELSE d.oid END"
        " WHERE d.oid = ANY($1) AND t.typcategory = 'A' AND t.typelem >= 16384";

    // `target`: the table as COPY names it (quoted, maybe schema-qualified), which ::regclass reads.
    void look_up_array_elements(const std::string& target, const std::vector<std::string_view>& columns);

    // Writes the column's element OID into the array header in scratch_ (ndim, flags, element
    // OID) when the codec wrote 0 (an enum: "server infers") or a built-in type (the base of a
    // domain). A base that is not the domain's makes the server refuse the data, as without this.
    void retarget_array(std::size_t column) {
        if (column >= array_elem_.size() || array_elem_[column] == 0 || scratch_.size() < 12) return;
        if (wire::get<std::uint32_t>(scratch_.data() + 8) >= oid::first_user_oid) return;
        std::uint32_t big_endian = array_elem_[column];
        if constexpr (std::endian::native == std::endian::little) big_endian = wire::byteswap(big_endian);
        std::memcpy(scratch_.data() + 8, &big_endian, 4);
    }

    void start(const std::string& sql);
    void flush();

    // Fields are stored in place in a plain buffer (used_ of capacity_ bytes written), without a
    // std::string::append per length and value.
    char* room(std::size_t n) {
        if (capacity_ - used_ < n) [[unlikely]] make_room(n);
        return buf_.get() + used_;
    }
    [[gnu::noinline]] void make_room(std::size_t n) {  // noinline: stays out of the per-field path
        flush();
        if (capacity_ < n) allocate(n);
    }
    void allocate(std::size_t n);
    template <class I>
    void put(I v) {
        auto u = static_cast<std::make_unsigned_t<I>>(v);
        if constexpr (std::endian::native == std::endian::little) u = wire::byteswap(u);
        std::memcpy(room(sizeof u), &u, sizeof u);
        used_ += sizeof u;
    }
    // A field: its 32-bit length, then its bytes.
    void put_bytes(const char* bytes, std::size_t n) {
        if (n > 0x7fffffffu) [[unlikely]]
            throw value_out_of_range("pgorm: a COPY field is larger than 2 GiB");
        char* at = room(4 + n);
        std::uint32_t len = static_cast<std::uint32_t>(n);
        if constexpr (std::endian::native == std::endian::little) len = wire::byteswap(len);
        std::memcpy(at, &len, 4);
        if (n) std::memcpy(at + 4, bytes, n);
        used_ += 4 + n;
    }
    // Reads every result of the COPY; the first one decides, the rest are drained.
    std::int64_t collect();
    void abort(const char* why) noexcept;

    connection* conn_;
    std::size_t width_;
    std::string sql_;
    std::chrono::steady_clock::time_point started_{};  // set only for an observer
    static constexpr std::size_t slack = 16 * 1024;  // room past flush_at for the row being written
    detail::raw_buffer buf_;
    std::size_t capacity_ = 0, used_ = 0;
    std::string scratch_;  // encodes a non-text field before it is copied in
    std::vector<oid_t> array_elem_;  // per column: the element OID of an array of a user type, or 0
    std::size_t field_ = 0;  // index of the next field in the current row
    std::int64_t rows_ = 0;
    bool done_ = false;
};

/// Loads `rows` (a range of a described struct with a PGORM_TABLE) into table<T> with binary COPY,
/// every member as a column. Returns the number of rows stored.
/// Throws as copy_writer's constructor, write_row() and finish(): the server's sql_error (by
/// SQLSTATE, error.hpp) for the data (unique_violation, data_exception...), connection_lost.
template <class Range, class T = std::remove_cvref_t<decltype(*std::begin(std::declval<const Range&>()))>>
    requires described_struct<T>
std::int64_t copy_in(connection& c, const Range& rows) {
    std::vector<std::string_view> cols(table<T>::columns.begin(), table<T>::columns.end());
    copy_writer w(c, table<T>::name, cols);
    for (const T& row : rows) {
        w.begin_row(cols.size());
        table<T>::for_each_column([&](std::size_t, auto d) { w.write_field(row.*d.pointer); });
        w.end_row();
    }
    return w.finish();
}

/// Loads tuples (or anything std::apply takes) into the named columns of a table. Returns the
/// number of rows stored. Throws as the overload above.
template <class Range>
std::int64_t copy_in(connection& c, std::string_view table_name, const std::vector<std::string_view>& columns,
                     const Range& rows) {
    copy_writer w(c, table_name, columns);
    for (const auto& row : rows) std::apply([&](const auto&... v) { w.write_row(v...); }, row);
    return w.finish();
}

template <scope S, class Range>
    requires(!std::same_as<S, connection>)
std::int64_t copy_in(S& s, const Range& rows) {
    return copy_in(s.conn(), rows);
}
template <scope S, class Range>
    requires(!std::same_as<S, connection>)
std::int64_t copy_in(S& s, std::string_view table_name, const std::vector<std::string_view>& columns,
                     const Range& rows) {
    return copy_in(s.conn(), table_name, columns, rows);
}

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/copy.ipp>
#endif
