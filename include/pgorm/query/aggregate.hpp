#pragma once
// Aggregates for the query builder's select list, HAVING and ORDER BY, with the result types
// PostgreSQL gives them (PostgreSQL docs, "Aggregate Functions", table 9.59):
//
//   count()            count(*)             -> std::int64_t (bigint, never NULL)
//   count(c)           count(c)             -> std::int64_t
//   sum(c)             smallint / integer   -> std::optional<std::int64_t> (bigint)
//                      bigint / numeric     -> std::optional<pgorm::numeric>
//                      real / double        -> std::optional<float> / std::optional<double>
//   avg(c)             integer types        -> std::optional<pgorm::numeric>; real / double -> double
//   min(c), max(c)                          -> std::optional<column type>
//
// Every aggregate but count is NULL over no rows, hence std::optional. The result column is
// named after the function ("count", "sum", ...); as("name") renames it.

#include <pgorm/query/expr.hpp>
#include <pgorm/types/numeric.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace pgorm {

namespace detail {
template <class Sources> struct condition_over;
template <class... S> struct condition_over<std::tuple<S...>> {
    using type = condition<S...>;
    using order = order_item<S...>;
};

template <class V> struct sum_result {
    static_assert(sizeof(V) == 0, "pgorm: sum() takes a column of a number type (smallint, integer, bigint, real, "
                                  "double precision or numeric)");
    using type = V;
};
template <> struct sum_result<std::int16_t> { using type = std::int64_t; };
template <> struct sum_result<std::int32_t> { using type = std::int64_t; };
template <> struct sum_result<std::int64_t> { using type = numeric; };
template <> struct sum_result<float> { using type = float; };
template <> struct sum_result<double> { using type = double; };
template <> struct sum_result<numeric> { using type = numeric; };

template <class V> struct avg_result {
    static_assert(sizeof(V) == 0, "pgorm: avg() takes a column of a number type (smallint, integer, bigint, real, "
                                  "double precision or numeric)");
    using type = V;
};
template <> struct avg_result<std::int16_t> { using type = numeric; };
template <> struct avg_result<std::int32_t> { using type = numeric; };
template <> struct avg_result<std::int64_t> { using type = numeric; };
template <> struct avg_result<float> { using type = double; };
template <> struct avg_result<double> { using type = double; };
template <> struct avg_result<numeric> { using type = numeric; };
}  // namespace detail

/// An aggregate call over the sources Sources (a std::tuple, empty for count(*)) whose value reads
/// into R (std::optional when PostgreSQL can return NULL).
template <class R, class Sources>
class aggregate {
public:
    using result_type = R;
    using sources = Sources;
    using value_type = detail::column_value_t<R>;
    /// The condition type a comparison makes: it reads the aggregate's sources.
    using condition_type = typename detail::condition_over<Sources>::type;
    using order_item_type = typename detail::condition_over<Sources>::order;

    aggregate(std::string_view function, detail::node_ptr argument,
              std::string_view label = {})
        : function_(function), argument_(std::move(argument)), label_(label) {}

    std::string_view name() const noexcept { return function_; }
    std::string_view label() const noexcept { return label_.empty() ? function_ : label_; }
    /// Names the result column (AS "label").
    aggregate as(std::string_view label) const { return aggregate(function_, argument_, label); }

    void render(sql_builder& b) const {
        b << function_ << "(";
        if (argument_) argument_->render(b);
        else b << "*";
        b << ")";
    }

    template <class V> condition_type operator==(const V& v) const { return compare("=", v); }
    template <class V> condition_type operator!=(const V& v) const { return compare("<>", v); }
    template <class V> condition_type operator<(const V& v) const { return compare("<", v); }
    template <class V> condition_type operator<=(const V& v) const { return compare("<=", v); }
    template <class V> condition_type operator>(const V& v) const { return compare(">", v); }
    template <class V> condition_type operator>=(const V& v) const { return compare(">=", v); }

    order_item_type asc() const { return order(""); }
    order_item_type desc() const { return order(" DESC"); }

private:
    template <class V>
    condition_type compare(const char* op, const V& v) const {
        static_assert(detail::comparable_with_column<value_type, V>,
                      "pgorm: an aggregate is compared with a value of another type than its result type");
        value_type val{};
        if constexpr (detail::comparable_with_column<value_type, V>) val = value_type(v);
        return condition_type(detail::make_node([self = *this, op, val = std::move(val)](sql_builder& b) {
            self.render(b);
            b << " " << op << " ";
            b.bind(val);
        }));
    }
    order_item_type order(const char* direction) const {
        return order_item_type(detail::make_node([self = *this, direction](sql_builder& b) {
            self.render(b);
            b << direction;
        }));
    }

    std::string_view function_;
    detail::node_ptr argument_;
    std::string_view label_;
};

namespace detail {
template <class R, class C>
auto make_aggregate(std::string_view function, const C& column) {
    auto c = query_column(column);
    using S = typename decltype(c)::source;
    return aggregate<R, std::tuple<S>>(function, make_node([c](sql_builder& b) { c.render(b); }));
}
template <class C>
using aggregate_arg_t = typename decltype(query_column(std::declval<const C&>()))::value_type;
}  // namespace detail

/// count(*): the number of rows, std::int64_t.
inline aggregate<std::int64_t, std::tuple<>> count() { return {"count", nullptr}; }
/// count(column): the number of rows where the column is not NULL, std::int64_t.
template <class C>
auto count(const C& column) {
    return detail::make_aggregate<std::int64_t>("count", column);
}
/// sum(column): bigint for smallint/integer, numeric for bigint/numeric; NULL over no rows.
template <class C>
auto sum(const C& column) {
    return detail::make_aggregate<std::optional<typename detail::sum_result<detail::aggregate_arg_t<C>>::type>>("sum", column);
}
/// avg(column): numeric for integer types and numeric, double for real/double; NULL over no rows.
template <class C>
auto avg(const C& column) {
    return detail::make_aggregate<std::optional<typename detail::avg_result<detail::aggregate_arg_t<C>>::type>>("avg", column);
}
/// min(column): the column's type; NULL over no rows.
template <class C>
auto min(const C& column) {
    return detail::make_aggregate<std::optional<detail::aggregate_arg_t<C>>>("min", column);
}
/// max(column): the column's type; NULL over no rows.
template <class C>
auto max(const C& column) {
    return detail::make_aggregate<std::optional<detail::aggregate_arg_t<C>>>("max", column);
}

}  // namespace pgorm
