#pragma once
// Subqueries in the query builder: EXISTS, IN and a scalar subquery in the select list.
//
//   auto paid = pgorm::select(col(&Transaction::user_id)).from<Transaction>();
//   pgorm::select(col(&User::email)).from<User>().where(pgorm::in(col(&User::user_id), paid));
//   // ... WHERE "users"."user_id" IN (SELECT "transactions"."user_id" FROM "transactions")
//
//   auto mine = pgorm::select(pgorm::count()).from<Transaction>().outer<User>()
//                   .where(col(&Transaction::user_id) == col(&User::user_id));     // correlated
//   pgorm::select(col(&User::email), pgorm::scalar(mine).as("payments")).from<User>();
//   pgorm::select(col(&User::email)).from<User>().where(pgorm::exists(mine));
//
// The subquery's values are bound in the same parameter list, numbered on from the outer ones.
// A subquery that reads a table of the enclosing query names it with outer<T>(); the enclosing
// query does not check that table again (a wrong one is the server's error 42P01).

#include <pgorm/query/select.hpp>

#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace pgorm {

namespace detail {
template <class Q>
node_ptr subquery_node(const char* head, Q sub) {
    return make_node([head, sub = std::move(sub)](sql_builder& b) {
        b << head;
        sub.render_into(b);
        b << ")";
    });
}
/// The one item a subquery used as a value selects (row_type is a tuple when there are several).
template <class R> struct single_result { using type = R; };
template <class... R> struct single_result<std::tuple<R...>> {
    static_assert(sizeof...(R) == 1, "pgorm: a subquery used as a value or an IN list selects exactly one item");
    using type = std::tuple_element_t<0, std::tuple<R..., void>>;
};
template <class Q>
using single_result_t = typename single_result<typename Q::row_type>::type;
}  // namespace detail

/// EXISTS (subquery).
template <class I, class S>
condition<> exists(const select_query<I, S>& sub) {
    return condition<>(detail::subquery_node("EXISTS (", sub));
}

/// column IN (subquery): the subquery selects one item of the column's C++ type.
template <class C, class I, class S>
auto in(const C& column, const select_query<I, S>& sub) {
    auto c = query_column(column);
    using source = typename decltype(c)::source;
    using item = detail::single_result_t<select_query<I, S>>;
    static_assert(std::is_same_v<detail::column_value_t<item>, typename decltype(c)::value_type>,
                  "pgorm: IN (subquery) compares the column with a subquery item of another C++ type");
    return condition<source>(detail::make_node([c, sub](sql_builder& b) {
        c.render(b);
        b << " IN (";
        sub.render_into(b);
        b << ")";
    }));
}

/// A one-item subquery as a value in the select list: (SELECT ...), std::optional because the
/// server gives NULL when it finds no row. Made by scalar(subquery); as("name") names its column.
template <class Q>
class scalar_subquery {
public:
    using result_type = std::optional<detail::column_value_t<detail::single_result_t<Q>>>;
    using sources = std::tuple<>;  // the subquery checked its own tables

    explicit scalar_subquery(Q sub, std::string_view label = {}) : sub_(std::move(sub)), label_(label) {}
    std::string_view name() const noexcept { return {}; }
    std::string_view label() const noexcept { return label_; }
    scalar_subquery as(std::string_view label) const { return scalar_subquery(sub_, label); }
    void render(sql_builder& b) const {
        b << "(";
        sub_.render_into(b);
        b << ")";
    }

private:
    Q sub_;
    std::string_view label_;
};

template <class I, class S>
scalar_subquery<select_query<I, S>> scalar(const select_query<I, S>& sub) {
    return scalar_subquery<select_query<I, S>>(sub);
}

}  // namespace pgorm
