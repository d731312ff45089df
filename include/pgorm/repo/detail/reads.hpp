#pragma once
// The reads of repository<T>: the select list, the SELECT find() renders, and reading its rows
// through row_mapper by position (core/row_mapping.hpp).
// Part of repository<T> (repo/repository.hpp, the header to include); T's table is
// detail::usable_table_t<T>.

#include <pgorm/core/connection.hpp>
#include <pgorm/repo/filter.hpp>
#include <pgorm/repo/lock.hpp>
#include <pgorm/types/member_codecs.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgorm::detail {

/// The table repository<T> works on. When T cannot be one, the static_assert that says why (in
/// table<T> or in members_have_codecs<T>) fires once and the repository sees zero columns, so that
/// its member functions add no errors of their own.
template <class T>
constexpr auto usable_table() {
    if constexpr (!reflect::mapped_struct<T>) return table<T>{};
    else if constexpr (members_have_codecs<T>) return table<T>{};
    else return reflect::table_layout<T, false>{};
}
template <class T>
using usable_table_t = decltype(usable_table<T>());

template <class T>
struct repository_reads {
    using tbl = usable_table_t<T>;
    static constexpr std::size_t N = tbl::column_count;

    /// The quoted column list, in member order.
    static const std::string& select_list() {
        static const std::string list = [] {
            std::string s;
            for (std::size_t i = 0; i < N; ++i) s += (i ? ", " : "") + quoted(tbl::columns[i]);
            return s;
        }();
        return list;
    }

    /// Reads all rows of a result whose columns are select_list() (in order) into T.
    static std::vector<T> read_rows(const result& r) {
        auto m = mapper(r);
        std::vector<T> out(static_cast<std::size_t>(r.size()));
        for (int i = 0; i < r.size(); ++i) m.read(i, out[static_cast<std::size_t>(i)]);
        return out;
    }

    template <class... C>
    static sql_builder select_impl(const filter<T>& where, std::optional<std::int64_t> force_limit, const C&... clauses) {
        const ordering<T>* order = nullptr;
        const row_lock* lock = nullptr;
        (take_clause(clauses, order, lock), ...);
        static const std::string head = "SELECT " + select_list() + " FROM " + quoted(tbl::name) + " WHERE ";
        sql_builder b;
        b.sql.reserve(head.size() + 128);  // one allocation for the usual statement
        b.sql = head;
        where.render(b);
        if (order && !order->seek().empty()) {
            b << " AND ";
            order->seek().render(b);
        }
        if (order) order->render_tail(b, force_limit);
        else if (force_limit) detail::render_order_tail<detail::lazy<T>>(b, nullptr, 0, force_limit, std::nullopt);
        if (lock) lock->append_sql(b.sql);
        return b;
    }

    // ---- clauses
    static void take_clause(const ordering<T>& o, const ordering<T>*& order, const row_lock*&) {
        if (order) throw usage_error("pgorm: find() takes one ordering clause");
        order = &o;
    }
    static void take_clause(const row_lock& l, const ordering<T>*&, const row_lock*& lock) {
        if (lock) throw usage_error("pgorm: find() takes one row lock");
        lock = &l;
    }
    template <class X>
    static void take_clause(const X&, const ordering<T>*&, const row_lock*&) {
        static_assert(sizeof(X) == 0, "pgorm: a find() clause is an ordering<T> (order_by, limit) or a row_lock "
                                      "(for_update, ...); an ordering on another struct is not accepted either");
    }

    // ---- row reading: columns are select_list(), so members map by position (core/row_mapping.hpp)
    static row_mapper<T, match::by_position> mapper(const result& r, int extra = 0) {
        return row_mapper<T, match::by_position>(r.native(), {.extra_columns = extra});
    }
    static std::optional<T> read_optional_row(const result& r, int extra = 0) {
        if (r.size() > 1)
            throw usage_error("pgorm: expected at most one row of " + std::string(tbl::name) + ", got " +
                              std::to_string(r.size()));
        if (r.empty()) return std::nullopt;
        return mapper(r, extra).read(0);
    }
    static T read_one_row(const result& r) {
        auto row = read_optional_row(r);
        if (!row) throw usage_error("pgorm: the statement on " + std::string(tbl::name) + " returned no row");
        return std::move(*row);
    }
};

}  // namespace pgorm::detail
