#pragma once
// The tables a query reads: a described struct under its own table name, or under an alias for
// self-joins.
//
//   using manager = pgorm::alias<User, "manager">;           // FROM "users" AS "manager"
//   pgorm::select(col(&User::email), manager::col(&User::email))
//       .from<User>()
//       .join<manager>(on(col(&User::manager_id) == manager::col(&User::user_id)));
//
// A source is a type, so the query builder knows at compile time which tables a statement
// names and can refuse a column whose table is not in FROM or JOIN.

#include <pgorm/reflect/identifier.hpp>
#include <pgorm/reflect/table.hpp>

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace pgorm {

namespace detail {
/// A string literal usable as a template argument: alias<User, "u2">.
template <std::size_t N>
struct fixed_name {
    char text[N]{};
    constexpr fixed_name(const char (&s)[N]) {  // NOLINT: implicit on purpose, from a literal
        for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
    }
    constexpr std::string_view view() const { return {text, N - 1}; }
};
}  // namespace detail

template <class S, class M>
class column_expr;

/// A mapped struct read under its own table name (what from<User>() makes of User).
template <class T>
struct table_source {
    using table_type = T;
    static constexpr bool aliased = false;
    static constexpr std::string_view sql_name() { return table<T>::name; }
};

/// A mapped struct read under another name: the second copy of a table in a self-join.
/// Name follows PostgreSQL's identifier rule (at most 63 bytes), quoted like every identifier.
template <class T, detail::fixed_name Name>
struct alias {
    static_assert(Name.view().size() > 0, "pgorm: an alias needs a name");
    static_assert(fits_identifier_limit(Name.view()),
                  "pgorm: an alias name is longer than PostgreSQL's 63-byte identifier limit (NAMEDATALEN-1)");
    using table_type = T;
    static constexpr bool aliased = true;
    static constexpr std::string_view sql_name() { return Name.view(); }

    /// A column of this alias: manager::col(&User::email) renders "manager"."email".
    template <class M>
    static column_expr<alias, M> col(M T::*member);
};

/// A common table expression (WITH "name"(...) AS (query)) read as a table: its columns are the
/// members of the described struct Row, in order (select_query::with, query/select.hpp).
///
///   struct Payer { std::string user_id; std::int64_t paid = 0; };
///   BOOST_DESCRIBE_STRUCT(Payer, (), (user_id, paid))
///   using payers = pgorm::cte<Payer, "payers">;          // payers::col(&Payer::paid)
template <class Row, detail::fixed_name Name>
struct cte {
    static_assert(described_struct<Row>, "pgorm: a CTE's row type needs BOOST_DESCRIBE_STRUCT: its members name the CTE's columns");
    static_assert(Name.view().size() > 0, "pgorm: a CTE needs a name");
    static_assert(fits_identifier_limit(Name.view()),
                  "pgorm: a CTE name is longer than PostgreSQL's 63-byte identifier limit (NAMEDATALEN-1)");
    using table_type = Row;
    static constexpr bool aliased = false;
    static constexpr std::string_view sql_name() { return Name.view(); }

    /// A column of the CTE: payers::col(&Payer::paid) renders "payers"."paid".
    template <class M>
    static column_expr<cte, M> col(M Row::*member);
};

namespace detail {
template <class S> inline constexpr bool is_cte_source = false;
template <class Row, fixed_name N> inline constexpr bool is_cte_source<cte<Row, N>> = true;

template <class X> struct source_of { using type = table_source<X>; };
template <class Row, fixed_name N> struct source_of<cte<Row, N>> { using type = cte<Row, N>; };
template <class T, fixed_name N> struct source_of<alias<T, N>> { using type = alias<T, N>; };
template <class T> struct source_of<table_source<T>> { using type = table_source<T>; };
}  // namespace detail

/// The source a from<X>() / join<X>() argument names: X itself for an alias, else table_source<X>.
template <class X>
using source_t = typename detail::source_of<X>::type;

}  // namespace pgorm
