#pragma once
// UNION and UNION ALL of queries whose columns have the same C++ types, checked at compile time
// (issue 22; SQLAlchemy Core's union() / union_all()):
//
//   auto people = pgorm::union_all(pgorm::select(col(&User::email)).from<User>(),
//                                  pgorm::select(col(&Invite::email)).from<Invite>());
//   people.fetch(conn);   // std::vector<std::string>
//
// renders (SELECT "users"."email" FROM "users") UNION ALL (SELECT "invites"."email" FROM "invites").
// Each side is parenthesised, so each keeps its own ORDER BY / LIMIT (PostgreSQL, "Combining
// Queries"). Column i of the result reads into std::optional when it may be NULL on either side.

#include <pgorm/query/prepared.hpp>
#include <pgorm/query/select.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {

template <class T> struct is_optional_value : std::false_type {};
template <class T> struct is_optional_value<std::optional<T>> : std::true_type {};

/// Column i of a UNION: both sides' C++ types without std::optional must be one type.
template <class A, class B>
struct union_column {
    static_assert(std::is_same_v<column_value_t<A>, column_value_t<B>>,
                  "pgorm: UNION needs the same C++ type in each column of both queries: this column differs "
                  "(compare the two select() lists item by item)");
    using type = std::conditional_t<is_optional_value<A>::value || is_optional_value<B>::value,
                                    std::optional<column_value_t<A>>, A>;
};

template <class A, class B> struct union_items;
template <class... A, class... B>
struct union_items<std::tuple<A...>, std::tuple<B...>> {
    static_assert(sizeof...(A) == sizeof...(B), "pgorm: UNION needs the same number of columns in both queries");
    using type = std::tuple<typename union_column<A, B>::type...>;
};
// A mismatched column count stops at the static_assert above, before this pairs the lists.
template <class... A, class... B>
    requires(sizeof...(A) != sizeof...(B))
struct union_items<std::tuple<A...>, std::tuple<B...>> {
    static_assert(sizeof...(A) == sizeof...(B), "pgorm: UNION needs the same number of columns in both queries");
    using type = std::tuple<A...>;
};

template <class Items> struct row_of_items { using type = Items; };
template <class One> struct row_of_items<std::tuple<One>> { using type = One; };

}  // namespace detail

/// A UNION [ALL] of two queries (select_query or compound_query); Items is the result columns' types.
template <class Items, class Left, class Right>
class compound_query {
public:
    using item_types = Items;
    /// One result row: the single column's type, or a std::tuple of the columns' types.
    using row_type = typename detail::row_of_items<Items>::type;

    compound_query(Left l, Right r, const char* op) : left_(std::move(l)), right_(std::move(r)), op_(op) {}

    /// Appends "(left) UNION [ALL] (right)" to b.
    void render_into(sql_builder& b) const {
        b << "(";
        left_.render_into(b);
        b << ") " << op_ << " (";
        right_.render_into(b);
        b << ")";
    }
    /// The statement text, with $1, $2 ... where the values go (debugging and tests).
    std::string to_sql() const {
        sql_builder b;
        render_into(b);
        return b.sql;
    }

    /// Every row as R (row_type by default; see select_query::fetch). Throws as select_query::fetch,
    /// and usage_error when a side holds a pgorm::arg() (use prepare()).
    template <class R = row_type, scope Scope>
    std::vector<R> fetch(Scope& s) const {
        static_assert(detail::fetchable_row<R>());
        sql_builder b = render_without_args();
        return s.conn().execute(b.sql, b.params).template as<R>();
    }
    /// Renders once for runs that bind only the pgorm::arg() values (query/prepared.hpp).
    prepared_query<row_type> prepare() const {
        detail::recording_args args;
        sql_builder b;
        render_into(b);
        return prepared_query<row_type>(std::move(b), std::move(args.slots()));
    }

private:
    sql_builder render_without_args() const {
        detail::recording_args args;
        sql_builder b;
        render_into(b);
        if (!args.slots().empty())
            throw usage_error("pgorm: this UNION has pgorm::arg() placeholders: run it as q.prepare().fetch(scope, values...)");
        return b;
    }

    Left left_;
    Right right_;
    const char* op_;
};

namespace detail {
template <class L, class R>
using union_of = compound_query<typename union_items<typename L::item_types, typename R::item_types>::type, L, R>;
}

/// UNION: the rows of both queries without duplicates. Column types are checked at compile time.
template <class L, class R>
detail::union_of<L, R> union_(L left, R right) {
    return {std::move(left), std::move(right), "UNION"};
}
/// UNION ALL: the rows of both queries, duplicates kept (no sort or hash step on the server).
template <class L, class R>
detail::union_of<L, R> union_all(L left, R right) {
    return {std::move(left), std::move(right), "UNION ALL"};
}

}  // namespace pgorm
