#pragma once
// Data-changing statements that read other tables (issue 22; SQLAlchemy Core's insert().from_select(),
// update().where() with a second table, delete().where() with a second table):
//
//   pgorm::insert_into<Archive>(col(&Archive::email), col(&Archive::credits)).select(query)
//   pgorm::update<User>().set(col(&User::credits_balance), 0).from<Organization>().where(...)
//   pgorm::delete_from<User>().using_<Organization>().where(...).returning(col(&User::email))
//
// render INSERT INTO ... (columns) SELECT ..., UPDATE ... SET ... FROM ... WHERE ..., and
// DELETE FROM ... USING ... WHERE ..., each with an optional RETURNING (PostgreSQL's INSERT,
// UPDATE, DELETE reference pages). As in select(), a column of a table the statement does not
// name is a compile error, every value is a bound parameter, and the RETURNING list's types
// make the row type.

#include <pgorm/query/compound.hpp>
#include <pgorm/query/select.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {

enum class dml_kind { insert_select, update, remove };

/// What every data-changing statement holds besides its types.
struct dml_parts {
    std::string_view table;
    std::vector<std::string_view> insert_columns;
    node_ptr insert_query;
    std::vector<node_ptr> sets, sources, where, returning;
};

template <class Q, class... C>
inline constexpr bool insert_fits = std::is_same_v<
    std::tuple<column_value_t<typename C::member_type>...>,
    boost::mp11::mp_transform<column_value_t, typename Q::item_types>>;

}  // namespace detail

/// An INSERT ... SELECT, UPDATE ... FROM or DELETE ... USING on the table of T; Items are the
/// RETURNING list's types (none: no RETURNING), Sources the tables it reads (T first).
template <detail::dml_kind K, class T, class Items, class Sources>
class dml_query;

template <detail::dml_kind K, class T, class... Items, class... J>
class dml_query<K, T, std::tuple<Items...>, std::tuple<J...>> {
public:
    /// One RETURNING row: the single item's type, or a std::tuple of the items' types in order.
    using row_type = typename detail::row_of_items<std::tuple<typename detail::item_value<Items, J...>::type...>>::type;

    explicit dml_query(detail::dml_parts parts) : parts_(std::move(parts)) {}

    /// UPDATE only: SET column = value. The column is one of T's (col(&T::m)); the value is a C++
    /// value converted to the member's type, pgorm::arg(), or a column of a table the statement reads.
    template <class M, class V>
    dml_query& set(const column_ref<T, M>& column, const V& value) & {
        static_assert(K == detail::dml_kind::update, "pgorm: set() belongs to update<T>()");
        parts_.sets.push_back(detail::make_node([name = column.name(), rhs = set_value<M>(value)](sql_builder& b) {
            b.ident(name) << " = ";
            rhs->render(b);
        }));
        return *this;
    }
    template <class M, class V>
    dml_query&& set(const column_ref<T, M>& column, const V& value) && {
        return std::move(set(column, value));
    }

    /// UPDATE only: FROM another table (its columns may then appear in set(), where(), returning()).
    template <class X>
    auto from() && {
        static_assert(K == detail::dml_kind::update, "pgorm: from<U>() belongs to update<T>(); delete_from<T>() uses using_<U>()");
        return add_source<X>(sizeof...(J) == 1 ? " FROM " : ", ");
    }
    /// DELETE only: USING another table.
    template <class X>
    auto using_() && {
        static_assert(K == detail::dml_kind::remove, "pgorm: using_<U>() belongs to delete_from<T>(); update<T>() uses from<U>()");
        return add_source<X>(sizeof...(J) == 1 ? " USING " : ", ");
    }

    /// WHERE (UPDATE and DELETE): several calls are joined with AND; an empty filter<T> adds nothing.
    template <class... S>
    dml_query& where(const condition<S...>& c) & {
        static_assert(K != detail::dml_kind::insert_select, "pgorm: an INSERT ... SELECT filters in its SELECT");
        static_assert(detail::all_in_scope<condition<S...>, J...>::value,
                      "pgorm: a column of this statement names a table it does not read: add from<U>() / using_<U>()");
        parts_.where.push_back(c.node());
        return *this;
    }
    template <class U>
    dml_query& where(const filter<U>& f) & {
        if (!f.empty()) where(as_condition(f));
        return *this;
    }
    template <class C>
    dml_query&& where(const C& c) && {
        return std::move(where(c));
    }

    /// RETURNING items (columns of the tables the statement reads); fetch() then reads them.
    template <class... X>
    auto returning(const X&... items) && {
        static_assert(sizeof...(X) >= 1, "pgorm: returning() needs at least one column");
        static_assert(sizeof...(Items) == 0, "pgorm: a statement has one returning(...)");
        using next = dml_query<K, T, std::tuple<decltype(detail::select_item(items))...>, std::tuple<J...>>;
        static_assert((detail::all_in_scope<typename detail::item_sources<decltype(detail::select_item(items))>::type, J...>::value && ...),
                      "pgorm: a RETURNING column names a table this statement does not read");
        (parts_.returning.push_back(detail::item_node(detail::select_item(items))), ...);
        return next(std::move(parts_));
    }

    /// The statement text and its bound values.
    sql_builder render() const {
        sql_builder b;
        const detail::dml_parts& p = parts_;
        if constexpr (K == detail::dml_kind::insert_select) {
            b << "INSERT INTO ";
            b.ident(p.table) << " (";
            for (std::size_t i = 0; i < p.insert_columns.size(); ++i) {
                if (i) b << ", ";
                b.ident(p.insert_columns[i]);
            }
            b << ") ";
            p.insert_query->render(b);
        } else if constexpr (K == detail::dml_kind::update) {
            if (p.sets.empty()) throw usage_error("pgorm: update<T>() needs at least one set(column, value)");
            b << "UPDATE ";
            b.ident(p.table);
            list(b, " SET ", ", ", p.sets);
        } else {
            b << "DELETE FROM ";
            b.ident(p.table);
        }
        for (const auto& s : p.sources) s->render(b);
        list(b, " WHERE ", " AND ", p.where);
        list(b, " RETURNING ", ", ", p.returning);
        return b;
    }
    /// The statement text, with $1, $2 ... where the values go (debugging and tests).
    std::string to_sql() const { return render().sql; }

    /// Runs the statement; returns the number of rows it inserted, updated or deleted. Throws
    /// sql_error (by SQLSTATE: unique_violation, foreign_key_violation, ...) and connection_lost
    /// as connection::execute; usage_error for an update without set() or a pgorm::arg() (no value).
    template <scope Scope>
    std::int64_t execute(Scope& s) const {
        sql_builder b = render_checked();
        return s.conn().execute(b.sql, b.params).affected_rows();
    }
    /// Runs the statement and reads its RETURNING rows as R (row_type by default; see
    /// select_query::fetch). Throws as execute() and as connection::query (column_mismatch, ...).
    template <class R = row_type, scope Scope>
    std::vector<R> fetch(Scope& s) const {
        static_assert(sizeof...(Items) > 0, "pgorm: fetch() reads the RETURNING rows: add returning(...) first, or call execute()");
        static_assert(detail::fetchable_row<R>());
        sql_builder b = render_checked();
        return s.conn().execute(b.sql, b.params).template as<R>();
    }

private:
    template <class M, class V>
    detail::node_ptr set_value(const V& v) const {
        if constexpr (detail::is_query_arg<V>) {
            return detail::make_node([](sql_builder& b) { detail::bind_arg<detail::column_value_t<M>>(b); });
        } else if constexpr (detail::is_column_ref<V> || detail::is_column_expr<V>) {
            auto c = query_column(v);
            using C = decltype(c);
            static_assert(detail::in_scope<typename C::source, J...>,
                          "pgorm: set() reads a column of a table this statement does not read: add from<U>()");
            static_assert(std::is_same_v<detail::column_value_t<M>, typename C::value_type>,
                          "pgorm: set() copies a column of another C++ type; the two members must have one type");
            return detail::make_node([c](sql_builder& b) { c.render(b); });
        } else {
            static_assert(std::is_constructible_v<M, const V&>,
                          "pgorm: set() needs a value of the member's C++ type (or one that converts to it)");
            return detail::make_node([val = M(v)](sql_builder& b) { b.bind(val); });
        }
    }

    template <class X>
    auto add_source(const char* head) {
        using S = source_t<X>;
        static_assert(!detail::in_scope<S, J...>, "pgorm: this table is in the statement already: use an alias, pgorm::alias<T, \"name\">");
        parts_.sources.push_back(detail::make_node([head](sql_builder& b) {
            b << head;
            if constexpr (detail::is_cte_source<S>) b.ident(S::sql_name());
            else b.ident(table<typename S::table_type>::name);
            if constexpr (S::aliased) {
                b << " AS ";
                b.ident(S::sql_name());
            }
        }));
        return dml_query<K, T, std::tuple<Items...>, std::tuple<J..., joined<S, false>>>(std::move(parts_));
    }

    sql_builder render_checked() const {
        detail::recording_args args;
        sql_builder b = render();
        if (!args.slots().empty())
            throw usage_error("pgorm: this statement has pgorm::arg() placeholders, which only a prepared SELECT fills");
        return b;
    }

    static void list(sql_builder& b, const char* head, const char* sep,
                     const std::vector<detail::node_ptr>& nodes) {
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            b << (i ? sep : head);
            nodes[i]->render(b);
        }
    }

    detail::dml_parts parts_;
};

/// UPDATE the table of T: then set(...), optionally from<U>(), where(...), returning(...).
template <class T>
auto update() {
    detail::dml_parts p;
    p.table = table<T>::name;
    return dml_query<detail::dml_kind::update, T, std::tuple<>, std::tuple<joined<table_source<T>, false>>>(std::move(p));
}

/// DELETE FROM the table of T: then optionally using_<U>(), where(...), returning(...).
template <class T>
auto delete_from() {
    detail::dml_parts p;
    p.table = table<T>::name;
    return dml_query<detail::dml_kind::remove, T, std::tuple<>, std::tuple<joined<table_source<T>, false>>>(std::move(p));
}

/// The first half of INSERT INTO the table of T (columns...) SELECT ...: call select(query) on it.
template <class T, class... C>
class insert_columns {
public:
    explicit insert_columns(std::vector<std::string_view> names) : names_(std::move(names)) {}
    /// The rows to insert: a select_query or union whose items match the columns in number and
    /// C++ type, or it does not compile.
    template <class Q>
    auto select(const Q& query) && {
        static_assert(std::tuple_size_v<typename Q::item_types> == sizeof...(C),
                      "pgorm: INSERT ... SELECT needs as many selected items as insert_into() columns");
        if constexpr (std::tuple_size_v<typename Q::item_types> == sizeof...(C))
            static_assert(detail::insert_fits<Q, C...>,
                          "pgorm: INSERT ... SELECT needs each selected item of its column's C++ type, in order");
        detail::dml_parts p;
        p.table = table<T>::name;
        p.insert_columns = std::move(names_);
        p.insert_query = detail::make_node([query](sql_builder& b) { query.render_into(b); });
        return dml_query<detail::dml_kind::insert_select, T, std::tuple<>, std::tuple<joined<table_source<T>, false>>>(std::move(p));
    }

private:
    std::vector<std::string_view> names_;
};

/// INSERT INTO the table of T (columns...) — columns are col(&T::m) of T — followed by .select(query).
template <class T, class... M>
auto insert_into(const column_ref<T, M>&... columns) {
    static_assert(sizeof...(M) >= 1, "pgorm: insert_into<T>() needs the columns the SELECT fills");
    return insert_columns<T, column_expr<table_source<T>, M>...>({columns.name()...});
}

}  // namespace pgorm
