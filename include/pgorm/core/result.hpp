#pragma once
// result: an owned PGresult with typed access to its fields; its rows read into C++ values
// through row_mapper (core/row_mapping.hpp).

#include <pgorm/core/row_mapping.hpp>

#include <libpq-fe.h>

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {
/// Owns a PGresult and frees it with PQclear (which does nothing for nullptr; libpq docs 34.3.1).
/// std::unique_ptr would do, but <memory> brings <ostream> in C++20 mode, into every translation
/// unit that includes the core (docs/performance.md, "Build time").
class owned_result {
public:
    owned_result() = default;
    explicit owned_result(PGresult* r) noexcept : r_(r) {}
    owned_result(owned_result&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    owned_result& operator=(owned_result&& o) noexcept {
        if (this != &o) {
            PQclear(r_);
            r_ = std::exchange(o.r_, nullptr);
        }
        return *this;
    }
    owned_result(const owned_result&) = delete;
    owned_result& operator=(const owned_result&) = delete;
    ~owned_result() { PQclear(r_); }

    PGresult* get() const noexcept { return r_; }
    explicit operator bool() const noexcept { return r_ != nullptr; }
    /// Gives up ownership: the caller frees the result.
    PGresult* release() noexcept { return std::exchange(r_, nullptr); }

private:
    PGresult* r_ = nullptr;
};
}  // namespace detail

/// An owned PGresult: the rows and fields of one statement's outcome.
///
/// Lifetime: owns its PGresult and frees it when destroyed; the std::string_view values that
/// raw() and get<std::string_view>() return point into it and die with it. Move-only.
/// Thread safety: const member functions may run on several threads at once (libpq does not
/// modify a PGresult it has handed over); a result is never tied to its connection.
class result {
public:
    result() = default;
    explicit result(PGresult* r) noexcept : res_(r) {}

    PGresult* native() const noexcept { return res_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(res_); }

    int size() const noexcept { return res_ ? PQntuples(res_.get()) : 0; }
    bool empty() const noexcept { return size() == 0; }
    int columns() const noexcept { return res_ ? PQnfields(res_.get()) : 0; }
    std::string_view column_name(int c) const { return PQfname(res_.get(), c); }
    oid_t column_type(int c) const noexcept { return PQftype(res_.get(), c); }
    oid_t column_table(int c) const noexcept { return PQftable(res_.get(), c); }
    bool column_is_text(int c) const noexcept { return PQfformat(res_.get(), c) == 0; }

    /// Index of the column with exactly this name, or -1.
    int column_index(std::string_view name) const noexcept {
        for (int c = 0, n = columns(); c < n; ++c)
            if (column_name(c) == name) return c;
        return -1;
    }

    bool is_null(int row, int col) const noexcept { return PQgetisnull(res_.get(), row, col) != 0; }
    std::string_view raw(int row, int col) const noexcept {
        return {PQgetvalue(res_.get(), row, col), static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
    }

    /// Rows touched by INSERT/UPDATE/DELETE/COPY (PQcmdTuples), 0 for other commands.
    std::int64_t affected_rows() const noexcept {
        const char* s = res_ ? PQcmdTuples(res_.get()) : "";
        std::int64_t n = 0;
        for (; *s; ++s) n = n * 10 + (*s - '0');
        return n;
    }

    /// One field, decoded with type and NULL checks.
    template <class T>
    [[nodiscard]] T get(int row, int col) const {
        T v{};
        read_field(row, col, v);
        return v;
    }

    /// All rows as T (core/row_mapping.hpp). Throws column_mismatch or type_mismatch listing
    /// every column problem, unexpected_null, decode_error.
    template <row_type T>
    [[nodiscard]] std::vector<T> as() const {
        row_mapper<T> m(native());
        std::vector<T> out(static_cast<std::size_t>(size()));
        for (int i = 0; i < size(); ++i) m.read(i, out[static_cast<std::size_t>(i)]);
        return out;
    }

    /// The single row, if any; more than one row is a usage error.
    template <row_type T>
    [[nodiscard]] std::optional<T> one() const {
        if (size() > 1)
            throw usage_error("pgorm: expected at most one row, the query returned " + std::to_string(size()));
        row_mapper<T> m(native());  // checks the columns even when there is no row
        if (size() == 0) return std::nullopt;
        return m.read(0);
    }

    /// The value of a one-row, one-column result.
    template <single_value T>
    [[nodiscard]] T value() const {
        if (size() != 1 || columns() != 1)
            throw usage_error("pgorm: expected a single value, the query returned " + std::to_string(size()) +
                              " row(s) of " + std::to_string(columns()) + " column(s)");
        return row_mapper<T>(native()).read(0);
    }

    /// Throws type_mismatch unless the column can be read as T.
    template <class T>
    void check_column(int col) const {
        // column_fits builds no string: the message is only made for the error.
        if (!detail::column_fits<T>(native(), col)) [[unlikely]]
            throw type_mismatch("pgorm: " + detail::column_problem<T>(native(), col));
    }

    /// Decodes one field into `out`. `table` and `member` only feed error messages.
    template <class T>
    void read_field(int row, int col, T& out, std::string_view table = {}, std::string_view member = {}) const {
        read_field_as(row, col, column_type(col), out, table, member);
    }

    /// read_field for a caller that already knows the column's type.
    template <class T>
    void read_field_as(int row, int col, oid_t type, T& out, std::string_view table = {},
                       std::string_view member = {}) const {
        detail::decode_field(native(), row, col, type, out, [&] {
            throw unexpected_null("pgorm: " + detail::null_problem(native(), col, table, member, cpp_type_name<T>()));
        });
    }

private:
    detail::owned_result res_;
};

}  // namespace pgorm
