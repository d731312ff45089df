#pragma once
// result: an owned PGresult with typed access, and the mapping of its rows onto C++ values:
// a described struct (by column name), a std::tuple or plain aggregate (by position, Boost.PFR),
// or a single value.

#include <pgorm/reflect/table.hpp>
#include <pgorm/types/codec.hpp>
#include <pgorm/types/optional.hpp>  // NULL columns read into std::optional: its codec must be visible

#include <boost/pfr/core.hpp>
#include <libpq-fe.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {
struct result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
template <class T> inline constexpr bool is_tuple = false;
template <class... A> inline constexpr bool is_tuple<std::tuple<A...>> = true;
template <class A, class B> inline constexpr bool is_tuple<std::pair<A, B>> = true;
}  // namespace detail

/// How a C++ type takes a row: one value, by member name, or by position.
template <class T>
concept single_value = has_codec<T>;
template <class T>
concept named_row = !single_value<T> && described_struct<T>;
template <class T>
concept positional_row = !single_value<T> && !described_struct<T> &&
                         (detail::is_tuple<T> || (std::is_aggregate_v<T> && std::is_class_v<T>));

template <class T>
concept row_type = single_value<T> || named_row<T> || positional_row<T>;

class result;

/// Maps the rows of one result onto T; the column checks run once, at construction.
template <class T>
class row_mapper {
public:
    explicit row_mapper(const result& r);
    /// Reads from another result of the same statement (single-row streaming) without checking again.
    void rebind(const result& r) noexcept { r_ = &r; }
    void read(int row, T& out) const;
    T read(int row) const {
        T v{};
        read(row, v);
        return v;
    }

private:
    static constexpr std::size_t width() {
        if constexpr (single_value<T>) return 1;
        else if constexpr (named_row<T>) return reflect::member_count<T>;
        else if constexpr (detail::is_tuple<T>) return std::tuple_size_v<T>;
        else return boost::pfr::tuple_size_v<T>;
    }
    static constexpr std::string_view table_name() {
        if constexpr (named_row<T> && reflect::has_table_spec<T>) return table<T>::name;
        else return {};
    }
    const result* r_;
    std::array<int, width()> column_{};
    std::array<oid_t, width()> type_{};  // column types, looked up once
};

class result {
public:
    result() = default;
    explicit result(PGresult* r) noexcept : res_(r) {}

    PGresult* native() const noexcept { return res_.get(); }
    explicit operator bool() const noexcept { return res_ != nullptr; }

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
    T get(int row, int col) const {
        T v{};
        read_field(row, col, v);
        return v;
    }

    /// All rows as T.
    template <row_type T>
    std::vector<T> as() const {
        row_mapper<T> m(*this);
        std::vector<T> out(static_cast<std::size_t>(size()));
        for (int i = 0; i < size(); ++i) m.read(i, out[static_cast<std::size_t>(i)]);
        return out;
    }

    /// The single row, if any; more than one row is a usage error.
    template <row_type T>
    std::optional<T> one() const {
        if (size() > 1)
            throw usage_error("pgorm: expected at most one row, the query returned " + std::to_string(size()));
        if (size() == 0) return std::nullopt;
        return row_mapper<T>(*this).read(0);
    }

    /// The value of a one-row, one-column result.
    template <single_value T>
    T value() const {
        if (size() != 1 || columns() != 1)
            throw usage_error("pgorm: expected a single value, the query returned " + std::to_string(size()) +
                              " row(s) of " + std::to_string(columns()) + " column(s)");
        check_column<T>(0);
        return get<T>(0, 0);
    }

    /// Throws type_mismatch unless the column can be read as T.
    template <class T>
    void check_column(int col) const {
        if constexpr (detail::codec_required<T>::value) check_known_column<T>(col);
    }

    /// Decodes one field into `out`. `table` and `member` only feed error messages.
    template <class T>
    void read_field(int row, int col, T& out, std::string_view table = {}, std::string_view member = {}) const {
        read_field_as(row, col, column_type(col), out, table, member);
    }

    /// read_field for a caller that already knows the column's type (row_mapper looks the types
    /// up once per result instead of once per field).
    template <class T>
    void read_field_as(int row, int col, oid_t type, T& out, std::string_view table = {},
                       std::string_view member = {}) const {
        if constexpr (detail::codec_required<T>::value) read_known_field(row, col, type, out, table, member);
    }

private:
    template <class T>
    void check_known_column(int col) const {
        if (column_is_text(col)) {  // simple-protocol results: only text-like types read them as is
            if (!codec<T>::accepts(oid::text))
                throw type_mismatch("pgorm: column \"" + std::string(column_name(col)) +
                                    "\" arrived in text format, which " + std::string(cpp_type_name<T>()) +
                                    " cannot decode; run the statement with parameters (binary results)");
            return;
        }
        check_accepts<T>(column_type(col), column_name(col));
    }

    template <class T>
    void read_known_field(int row, int col, oid_t type, T& out, std::string_view table, std::string_view member) const {
        PGresult* r = res_.get();
        int length = PQgetlength(r, row, col);
        // Only an empty value can be NULL, so most fields skip the PQgetisnull call.
        if (length == 0 && PQgetisnull(r, row, col)) {
            if constexpr (nullable_value<T>) codec<T>::set_null(out);
            else throw_unexpected_null<T>(col, table, member);
            return;
        }
        try {
            codec<T>::decode({PQgetvalue(r, row, col), static_cast<std::size_t>(length)}, type, out);
        } catch (const value_out_of_range& e) {
            throw value_out_of_range(std::string(e.what()) + " (column \"" + std::string(column_name(col)) + "\")");
        }
    }

    template <class T>
    [[noreturn, gnu::cold, gnu::noinline]] void throw_unexpected_null(int col, std::string_view table,
                                                                      std::string_view member) const {
        std::string where = "pgorm: column \"" + std::string(column_name(col)) + "\"";
        if (!table.empty()) where += " of table " + std::string(table);
        else if (oid_t t = column_table(col)) where += " of table oid " + std::to_string(t);
        throw unexpected_null(where + " is NULL, but " +
                              (member.empty() ? std::string("the target") : "member " + std::string(member)) + " (" +
                              std::string(cpp_type_name<T>()) + ") is not std::optional");
    }

    std::unique_ptr<PGresult, detail::result_deleter> res_;
};

// ---- row_mapper ----

template <class T>
row_mapper<T>::row_mapper(const result& r) : r_(&r) {
    if constexpr (named_row<T>) {
        // A result column name is at most 63 bytes (the server truncates longer ones), so a
        // longer member name could never match.
        static_assert(reflect::member_names_fit<T>,
                      "pgorm: a member name of this struct is longer than PostgreSQL's 63-byte identifier limit "
                      "(NAMEDATALEN-1), so no result column can carry it (the server truncates column names). "
                      "Shorten the member (reflect::first_overlong_member<T>() is its index).");
        reflect::for_each_member<T>([&](std::size_t i, auto d) {
            // Usually the SELECT lists the members in order: try that column before searching.
            int c = static_cast<int>(i);
            if (c >= r.columns() || std::strcmp(PQfname(r.native(), c), d.name) != 0) c = r.column_index(d.name);
            if (c < 0) {
                std::string cols;
                for (int k = 0; k < r.columns(); ++k) cols += (k ? ", " : "") + std::string(r.column_name(k));
                throw column_mismatch("pgorm: struct " + std::string(cpp_type_name<T>()) + " has member \"" +
                                      d.name + "\" but the result has no column \"" + d.name + "\" (columns: " +
                                      cols + ")");
            }
            using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
            r.template check_column<M>(c);
            column_[i] = c;
        });
        // Members have distinct names, so they took distinct columns: with as many columns as
        // members, every column is used. Otherwise name the first column no member took.
        if (r.columns() != static_cast<int>(width())) {
            std::array<bool, 1600> used{};  // PostgreSQL allows at most 1664 result columns
            for (int c : column_)
                if (c < static_cast<int>(used.size())) used[static_cast<std::size_t>(c)] = true;
            for (int c = 0; c < r.columns() && c < static_cast<int>(used.size()); ++c)
                if (!used[static_cast<std::size_t>(c)])
                    throw column_mismatch("pgorm: result column \"" + std::string(r.column_name(c)) +
                                          "\" has no member in struct " + std::string(cpp_type_name<T>()));
        }
    } else {
        if (r.columns() != static_cast<int>(width()))
            throw column_mismatch("pgorm: the result has " + std::to_string(r.columns()) + " column(s) but " +
                                  std::string(cpp_type_name<T>()) + " takes " + std::to_string(width()));
        for (std::size_t i = 0; i < width(); ++i) column_[i] = static_cast<int>(i);
        if constexpr (single_value<T>) {
            r.template check_column<T>(0);
        } else if constexpr (detail::is_tuple<T>) {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (r.template check_column<std::tuple_element_t<I, T>>(static_cast<int>(I)), ...);
            }(std::make_index_sequence<width()>{});
        } else {
            T probe{};
            boost::pfr::for_each_field(probe, [&](auto& f, std::size_t i) {
                r.template check_column<std::remove_cvref_t<decltype(f)>>(static_cast<int>(i));
            });
        }
    }
    for (std::size_t i = 0; i < width(); ++i) type_[i] = r.column_type(column_[i]);
}

template <class T>
void row_mapper<T>::read(int row, T& out) const {
    if constexpr (single_value<T>) {
        r_->read_field_as(row, 0, type_[0], out);
    } else if constexpr (named_row<T>) {
        reflect::for_each_member<T>([&](std::size_t i, auto d) {
            r_->read_field_as(row, column_[i], type_[i], out.*d.pointer, table_name(), d.name);
        });
    } else if constexpr (detail::is_tuple<T>) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (r_->read_field_as(row, static_cast<int>(I), type_[I], std::get<I>(out)), ...);
        }(std::make_index_sequence<width()>{});
    } else {
        boost::pfr::for_each_field(out, [&](auto& f, std::size_t i) {
            r_->read_field_as(row, static_cast<int>(i), type_[i], f);
        });
    }
}

}  // namespace pgorm
