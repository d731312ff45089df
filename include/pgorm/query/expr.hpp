#pragma once
// Column expressions and conditions of the query builder. A column names its source (a table or
// an alias, query/source.hpp) in its type, and so does every condition built from it: the
// builder checks at compile time that each of them is in FROM or JOIN.
//
//   using pgorm::col;
//   col(&User::organization_id) == col(&Organization::id)     // a join condition
//   col(&User::credits_balance) > 10                          // the repository's filter<User>
//   manager::col(&User::email).ilike("%@acme.io")             // an aliased column, same operators
//
// Every value is a bound parameter ($n) converted to the column's C++ type first, as the
// repository's filters do (repo/filter.hpp); identifiers come from described structs only.

#include <pgorm/query/arg.hpp>
#include <pgorm/query/source.hpp>
#include <pgorm/repo/filter.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

/// A condition on the sources S... (one entry per column it reads; repeats allowed).
template <class... S>
class condition {
public:
    explicit condition(detail::node_ptr n) : node_(std::move(n)) {}
    void render(sql_builder& b) const { node_->render(b); }
    const detail::node_ptr& node() const noexcept { return node_; }

    template <class... R>
    friend condition<S..., R...> operator&&(const condition& a, const condition<R...>& b) {
        return condition<S..., R...>(join_nodes(a.node_, " AND ", b.node()));
    }
    template <class... R>
    friend condition<S..., R...> operator||(const condition& a, const condition<R...>& b) {
        return condition<S..., R...>(join_nodes(a.node_, " OR ", b.node()));
    }
    friend condition operator!(const condition& a) {
        return condition(detail::make_node([n = a.node_](sql_builder& b) {
            b << "NOT (";
            n->render(b);
            b << ")";
        }));
    }

private:
    static detail::node_ptr join_nodes(detail::node_ptr a,
                                                                 const char* op,
                                                                 detail::node_ptr b) {
        return detail::make_node([a = std::move(a), op, b = std::move(b)](sql_builder& s) {
            s << "(";
            a->render(s);
            s << op;
            b->render(s);
            s << ")";
        });
    }
    detail::node_ptr node_;
};

/// A repository filter<T> as a condition of a query: its columns are qualified with T's table name.
template <class T>
condition<table_source<T>> as_condition(const filter<T>& f) {
    return condition<table_source<T>>(detail::make_node([f](sql_builder& b) {
        std::string_view saved = std::exchange(b.qualifier, table<T>::name);
        f.render(b);
        b.qualifier = saved;
    }));
}

/// ON (...) of a join: any condition (readability only).
template <class... S>
condition<S...> on(condition<S...> c) {
    return c;
}

namespace detail {
/// What keyset pagination (select_query::after) needs of an ORDER BY term made from a column.
struct order_key {
    std::string_view source, column;  // "source"."column" (static names: nothing to allocate)
    const void* type;                           // type_tag of the column's C++ type (no std::optional)
    std::string_view type_name;
    void (*bind_arg)(sql_builder&);             // binds a pgorm::arg() of that type; null without a codec
    bool descending;
    bool nullable;     // the member is a std::optional
    bool nulls_given;  // NULLS FIRST / LAST was written
};
}  // namespace detail

/// One ORDER BY term of a query: a column or aggregate with ASC/DESC and NULLS FIRST/LAST.
template <class... S>
class order_item {
public:
    explicit order_item(detail::node_ptr n, std::optional<detail::order_key> key = {})
        : node_(std::move(n)), key_(std::move(key)) {}
    order_item nulls_first() const { return with(" NULLS FIRST"); }
    order_item nulls_last() const { return with(" NULLS LAST"); }
    void render(sql_builder& b) const { node_->render(b); }
    /// The column this term orders by, when it is a column (not an aggregate).
    const std::optional<detail::order_key>& key() const noexcept { return key_; }

private:
    order_item with(const char* suffix) const {
        std::optional<detail::order_key> k = key_;
        if (k) k->nulls_given = true;
        return order_item(detail::make_node([n = node_, suffix](sql_builder& b) {
            n->render(b);
            b << suffix;
        }), std::move(k));
    }
    detail::node_ptr node_;
    std::optional<detail::order_key> key_;
};

namespace detail {
template <class X> inline constexpr bool is_column_expr = false;
template <class S, class M> inline constexpr bool is_column_expr<column_expr<S, M>> = true;
template <class X> inline constexpr bool is_column_ref = false;
template <class T, class M> inline constexpr bool is_column_ref<column_ref<T, M>> = true;
}  // namespace detail

/// A column of source S whose C++ member type is M: "source"."column". Made by
/// alias<T, "a">::col(&T::m), or from pgorm::col(&T::m) by the builder (source table_source<T>).
template <class S, class M>
class column_expr {
public:
    using source = S;
    using member_type = M;
    using value_type = detail::column_value_t<M>;

    explicit column_expr(std::string_view name, std::string_view label = {}) : name_(name), label_(label) {}
    std::string_view name() const noexcept { return name_; }
    /// The result column's name: the member name, or the one given with as().
    std::string_view label() const noexcept { return label_.empty() ? name_ : label_; }

    void render(sql_builder& b) const {
        b.ident(S::sql_name()) << ".";
        b.ident(name_);
    }
    /// Names the result column (SELECT ... AS "label"), to read it into a member of that name.
    column_expr as(std::string_view label) const { return column_expr(name_, label); }

    order_item<S> asc() const { return order(""); }
    order_item<S> desc() const { return order(" DESC"); }

    template <class V> requires(!detail::is_column_expr<V> && !detail::is_column_ref<V>)
    condition<S> operator==(const V& v) const { return compare("=", v); }
    template <class V> requires(!detail::is_column_expr<V> && !detail::is_column_ref<V>)
    condition<S> operator!=(const V& v) const { return compare("<>", v); }
    template <class V> requires(!detail::is_column_expr<V> && !detail::is_column_ref<V>)
    condition<S> operator<(const V& v) const { return compare("<", v); }
    template <class V> requires(!detail::is_column_expr<V> && !detail::is_column_ref<V>)
    condition<S> operator<=(const V& v) const { return compare("<=", v); }
    template <class V> requires(!detail::is_column_expr<V> && !detail::is_column_ref<V>)
    condition<S> operator>(const V& v) const { return compare(">", v); }
    template <class V> requires(!detail::is_column_expr<V> && !detail::is_column_ref<V>)
    condition<S> operator>=(const V& v) const { return compare(">=", v); }

    condition<S> is_null() const { return test(" IS NULL"); }
    condition<S> is_not_null() const { return test(" IS NOT NULL"); }
    condition<S> like(std::string_view pattern) const { return compare("LIKE", std::string(pattern)); }
    condition<S> ilike(std::string_view pattern) const { return compare("ILIKE", std::string(pattern)); }
    /// column = ANY($n): the list is one array parameter; an empty list matches nothing.
    template <class V>
    condition<S> in(const std::vector<V>& values) const {
        static_assert(has_codec<std::vector<value_type>>,
                      "pgorm: IN needs the array codec of the column type (include <pgorm/types.hpp>)");
        std::vector<value_type> list;
        list.reserve(values.size());
        for (const auto& v : values) list.push_back(as_value(v));
        return condition<S>(detail::make_node([self = *this, list = std::move(list)](sql_builder& b) {
            b << "(";
            self.render(b);
            b << " = ANY(";
            b.bind(list) << "))";
        }));
    }

    /// Compares with another column; the condition reads both sources.
    template <class S2, class M2>
    condition<S, S2> compare_column(const char* op, const column_expr<S2, M2>& other) const {
        static_assert(std::is_same_v<value_type, detail::column_value_t<M2>>,
                      "pgorm: these two columns have different C++ types; compare columns of one type");
        return condition<S, S2>(detail::make_node([a = *this, op, b2 = other](sql_builder& b) {
            a.render(b);
            b << " " << op << " ";
            b2.render(b);
        }));
    }

private:
    template <class V>
    static value_type as_value(const V& v) {
        static_assert(detail::comparable_with_column<value_type, V>,
                      "pgorm: a query compares this column with a value of another type: pass a value of the "
                      "member's C++ type, convert it first, or use is_null() for NULL");
        if constexpr (detail::comparable_with_column<value_type, V>) return value_type(v);
        else return value_type{};
    }
    template <class V>
    condition<S> compare(const char* op, const V& v) const {
        if constexpr (detail::is_query_arg<V>) {
            static_assert(has_codec<value_type>, "pgorm: pgorm::arg() needs a codec for the column's C++ type");
            return condition<S>(detail::make_node([self = *this, op](sql_builder& b) {
                self.render(b);
                b << " " << op << " ";
                detail::bind_arg<value_type>(b);
            }));
        } else {
            return condition<S>(detail::make_node([self = *this, op, val = as_value(v)](sql_builder& b) {
                self.render(b);
                b << " " << op << " ";
                b.bind(val);
            }));
        }
    }
    condition<S> test(const char* what) const {
        return condition<S>(detail::make_node([self = *this, what](sql_builder& b) {
            self.render(b);
            b << what;
        }));
    }
    order_item<S> order(const char* direction) const {
        void (*bind)(sql_builder&) = nullptr;
        if constexpr (has_codec<value_type>) bind = &detail::bind_arg<value_type>;
        detail::order_key key{S::sql_name(),
                              name_,
                              &detail::type_tag<value_type>,
                              cpp_type_name<value_type>(),
                              bind,
                              direction[0] != '\0',
                              !std::is_same_v<M, value_type>,
                              false};
        return order_item<S>(detail::make_node([self = *this, direction](sql_builder& b) {
            self.render(b);
            b << direction;
        }), std::move(key));
    }

    std::string_view name_;
    std::string_view label_;
};

template <class T, detail::fixed_name Name>
template <class M>
column_expr<alias<T, Name>, M> alias<T, Name>::col(M T::*member) {
    return column_expr<alias, M>(column_name_of(member));
}

template <class Row, detail::fixed_name Name>
template <class M>
column_expr<cte<Row, Name>, M> cte<Row, Name>::col(M Row::*member) {
    static constexpr auto names = reflect::column_names<Row>();
    return column_expr<cte, M>(names[reflect::index_of_member<Row>(member)]);
}

/// The query form of a repository column: pgorm::col(&User::email) read from table "users".
template <class T, class M>
column_expr<table_source<T>, M> query_column(const column_ref<T, M>& c) {
    return column_expr<table_source<T>, M>(c.name());
}
template <class S, class M>
const column_expr<S, M>& query_column(const column_expr<S, M>& c) {
    return c;
}

/// ORDER BY helpers for repository columns: desc(col(&User::created_at)).nulls_last().
template <class T, class M>
order_item<table_source<T>> asc(const column_ref<T, M>& c) {
    return query_column(c).asc();
}
template <class T, class M>
order_item<table_source<T>> desc(const column_ref<T, M>& c) {
    return query_column(c).desc();
}
template <class S, class M>
order_item<S> asc(const column_expr<S, M>& c) {
    return c.asc();
}
template <class S, class M>
order_item<S> desc(const column_expr<S, M>& c) {
    return c.desc();
}

// Column-to-column comparisons, for any mix of repository columns and query columns. Written
// for each pair of kinds so that they are more specialised than column_ref's value operators.
#define PGORM_QUERY_COLUMN_OPERATOR(op, sql)                                                              \
    template <class A, class MA, class B, class MB>                                                       \
    condition<table_source<A>, table_source<B>> operator op(const column_ref<A, MA>& a,                  \
                                                           const column_ref<B, MB>& b) {                 \
        return query_column(a).compare_column(sql, query_column(b));                                      \
    }                                                                                                     \
    template <class A, class MA, class SB, class MB>                                                      \
    condition<table_source<A>, SB> operator op(const column_ref<A, MA>& a, const column_expr<SB, MB>& b) { \
        return query_column(a).compare_column(sql, b);                                                    \
    }                                                                                                     \
    template <class SA, class MA, class B, class MB>                                                      \
    condition<SA, table_source<B>> operator op(const column_expr<SA, MA>& a, const column_ref<B, MB>& b) { \
        return a.compare_column(sql, query_column(b));                                                    \
    }                                                                                                     \
    template <class SA, class MA, class SB, class MB>                                                     \
    condition<SA, SB> operator op(const column_expr<SA, MA>& a, const column_expr<SB, MB>& b) {           \
        return a.compare_column(sql, b);                                                                  \
    }
PGORM_QUERY_COLUMN_OPERATOR(==, "=")
PGORM_QUERY_COLUMN_OPERATOR(!=, "<>")
PGORM_QUERY_COLUMN_OPERATOR(<, "<")
PGORM_QUERY_COLUMN_OPERATOR(<=, "<=")
PGORM_QUERY_COLUMN_OPERATOR(>, ">")
PGORM_QUERY_COLUMN_OPERATOR(>=, ">=")
#undef PGORM_QUERY_COLUMN_OPERATOR

// A repository column compared with pgorm::arg(): a query condition (filters bind values at once).
#define PGORM_QUERY_ARG_OPERATOR(op)                                                  \
    template <class T, class M>                                                       \
    condition<table_source<T>> operator op(const column_ref<T, M>& c, query_arg a) {  \
        return query_column(c) op a;                                                  \
    }
PGORM_QUERY_ARG_OPERATOR(==)
PGORM_QUERY_ARG_OPERATOR(!=)
PGORM_QUERY_ARG_OPERATOR(<)
PGORM_QUERY_ARG_OPERATOR(<=)
PGORM_QUERY_ARG_OPERATOR(>)
PGORM_QUERY_ARG_OPERATOR(>=)
#undef PGORM_QUERY_ARG_OPERATOR

// A repository filter combines with a query condition: its columns are qualified with its table.
template <class T, class... S>
condition<table_source<T>, S...> operator&&(const filter<T>& f, const condition<S...>& c) {
    return as_condition(f) && c;
}
template <class T, class... S>
condition<S..., table_source<T>> operator&&(const condition<S...>& c, const filter<T>& f) {
    return c && as_condition(f);
}
template <class T, class... S>
condition<table_source<T>, S...> operator||(const filter<T>& f, const condition<S...>& c) {
    return as_condition(f) || c;
}
template <class T, class... S>
condition<S..., table_source<T>> operator||(const condition<S...>& c, const filter<T>& f) {
    return c || as_condition(f);
}

}  // namespace pgorm
