#pragma once
// SELECT statements over described structs, typed at compile time (issue 22; SQLAlchemy Core's
// select() for C++):
//
//   using pgorm::col;
//   auto q = pgorm::select(col(&User::email), col(&Organization::name))
//                .from<User>()
//                .left_join<Organization>(on(col(&User::organization_id) == col(&Organization::id)))
//                .where(col(&User::credits_balance) > 10)
//                .order_by(desc(col(&User::created_at)).nulls_last())
//                .limit(50);
//   for (auto& [email, org] : q.fetch(conn)) ...   // std::tuple<std::string, std::optional<std::string>>
//
// renders
//
//   SELECT "users"."email", "organizations"."name" FROM "users"
//   LEFT JOIN "organizations" ON "users"."organization_id" = "organizations"."id"
//   WHERE "users"."credits_balance" > $1 ORDER BY "users"."created_at" DESC NULLS LAST LIMIT $2
//
// The row type follows the joins: a column of a table on the nullable side of an outer join
// (LEFT JOIN's right side, RIGHT JOIN's left side, both sides of FULL JOIN) reads into
// std::optional, the rule pgorm-gen applies to queries.sql (codegen/nullability.hpp). A column,
// condition or ORDER BY term whose table is not in FROM or JOIN is a compile error.
//
// Results go through the one row-mapping path (core/row_mapping.hpp): fetch() into the row type
// (a single value when one item is selected, else a std::tuple), fetch<T>() into a described
// struct by column name, a tuple by position or a single value. The statement runs with bound
// parameters, so the connection's prepared-statement cache reuses one server-side statement for
// every query of the same shape (the same text; values differ). A shape that runs on every
// request is better prepare()d once with pgorm::arg() placeholders (query/prepared.hpp): its runs
// then skip building and rendering and only bind the values.

#include <pgorm/core/connection.hpp>
#include <pgorm/query/aggregate.hpp>
#include <pgorm/query/expr.hpp>
#include <pgorm/query/prepared.hpp>
#include <pgorm/repo/lock.hpp>

#include <boost/mp11.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

/// A source of a query and whether an outer join can leave its columns NULL.
template <class S, bool Nullable>
struct joined {
    using source = S;
    static constexpr bool nullable = Nullable;
};

namespace detail {

template <class S, class... J>
inline constexpr bool in_scope = (std::is_same_v<S, typename J::source> || ...);
template <class S, class... J>
inline constexpr bool nullable_in = ((std::is_same_v<S, typename J::source> && J::nullable) || ...);

template <class Sources, class... J> struct all_in_scope;
template <class... S, class... J>
struct all_in_scope<std::tuple<S...>, J...> : std::bool_constant<(in_scope<S, J...> && ...)> {};
template <class... S, class... J>
struct all_in_scope<condition<S...>, J...> : std::bool_constant<(in_scope<S, J...> && ...)> {};
template <class... S, class... J>
struct all_in_scope<order_item<S...>, J...> : std::bool_constant<(in_scope<S, J...> && ...)> {};

/// The select item a column_ref, column_expr or aggregate stands for.
template <class X>
auto select_item(const X& x) {
    if constexpr (is_column_ref<X>) return query_column(x);
    else return x;
}

/// The C++ type an item reads into, given the query's sources.
template <class Item, class... J>
struct item_value;
template <class S, class M, class... J>
struct item_value<column_expr<S, M>, J...> {
    using type = std::conditional_t<nullable_in<S, J...>, std::optional<column_value_t<M>>, M>;
};
template <class Item, class... J>
    requires requires { typename Item::result_type; }
struct item_value<Item, J...> {
    using type = typename Item::result_type;  // aggregates: their own SQL result type and nullability
};

template <class Item>
struct item_sources {
    using type = std::tuple<typename Item::source>;
};
template <class Item>
    requires requires { typename Item::sources; }
struct item_sources<Item> {
    using type = typename Item::sources;
};

/// A node that renders one item of the select list, with AS "label" when it is renamed.
template <class Item>
node_ptr item_node(Item item) {
    return make_node([item = std::move(item)](sql_builder& b) {
        item.render(b);
        if (item.label() != item.name()) {
            b << " AS ";
            b.ident(item.label());
        }
    });
}

template <class J> struct made_nullable { using type = joined<typename J::source, true>; };

/// One value of after(): the node that binds it, and its C++ type to check against ORDER BY's column.
struct after_value {
    node_ptr bind;  // null for a pgorm::arg(): the column's type binds it
    const void* type;
    std::string_view type_name;
    bool text;  // any text fits a std::string column
};

template <class V>
after_value after_value_of(const V& v) {
    if constexpr (is_query_arg<V>) {
        return {nullptr, nullptr, "pgorm::arg()", false};
    } else {
        constexpr bool text = std::is_convertible_v<const V&, std::string_view>;
        using stored = std::conditional_t<text, std::string, std::remove_cvref_t<V>>;
        static_assert(has_codec<stored>, "pgorm: after() binds each value as a parameter: its C++ type needs a codec");
        return {make_node([val = stored(v)](sql_builder& b) { b.bind(val); }), &type_tag<stored>, cpp_type_name<stored>(), text};
    }
}

template <class P> struct member_type_of;
template <class C, class M> struct member_type_of<M C::*> { using type = M; };
template <class D> using described_member_type = typename member_type_of<std::remove_cv_t<decltype(D::pointer)>>::type;

/// The query of a CTE fits its row struct: as many items as members, each of the member's C++ type.
template <class Row, class Items> struct cte_fits;
template <class Row, class... I>
struct cte_fits<Row, std::tuple<I...>> {
    using members = boost::mp11::mp_rename<boost::mp11::mp_transform<described_member_type, reflect::members_of<Row>>, std::tuple>;
    static constexpr bool same_count = std::tuple_size_v<members> == sizeof...(I);
    template <std::size_t... K>
    static constexpr bool same_types(std::index_sequence<K...>) {
        return (std::is_same_v<column_value_t<std::tuple_element_t<K, members>>, column_value_t<I>> && ...);
    }
    static constexpr bool value = [] {
        if constexpr (same_count) return same_types(std::index_sequence_for<I...>{});
        else return false;
    }();
};

/// What every SELECT holds besides its types.
struct select_parts {
    std::vector<node_ptr> ctes;  // "name"("column", ...) AS (query)
    bool recursive = false;
    std::vector<node_ptr> items, joins, where, group_by, having, order_by;
    std::vector<std::optional<order_key>> order_keys;  // one per ORDER BY term: its column, if it is one
    std::vector<after_value> after;                    // keyset pagination: the last row's ORDER BY values
    bool distinct = false;
    std::optional<std::int64_t> limit, offset;
    bool limit_is_arg = false, offset_is_arg = false;  // LIMIT / OFFSET given by pgorm::arg()
    row_lock lock;
};

}  // namespace detail

template <class Items, class Sources>
class select_query;

/// A SELECT of Items (column_expr / aggregate types) from Sources (joined<S, nullable> types).
template <class... Items, class... J>
class select_query<std::tuple<Items...>, std::tuple<J...>> {
public:
    /// One result row: the single item's type, or a std::tuple of the items' types in order.
    using row_type = std::conditional_t<sizeof...(Items) == 1,
                                        std::tuple_element_t<0, std::tuple<typename detail::item_value<Items, J...>::type...>>,
                                        std::tuple<typename detail::item_value<Items, J...>::type...>>;

    /// The C++ type of each item, in order (what UNION checks column by column).
    using item_types = std::tuple<typename detail::item_value<Items, J...>::type...>;

    explicit select_query(detail::select_parts parts) : parts_(std::move(parts)) {}

    /// FROM the table of struct T (or an alias<T, "name">).
    template <class X>
    auto from() && {
        static_assert(sizeof...(J) == 0, "pgorm: a query has one from<T>(); add further tables with join<T>(...)");
        return select_query<std::tuple<Items...>, std::tuple<J..., joined<source_t<X>, false>>>(
            add_join<X>(std::move(parts_), nullptr, {}));
    }

    /// [INNER] JOIN x ON condition.
    template <class X, class... S>
    auto join(const condition<S...>& on) && {
        return joined_with<X, false, false>("JOIN", on);
    }
    /// LEFT JOIN: X's columns may be NULL (std::optional in the row type).
    template <class X, class... S>
    auto left_join(const condition<S...>& on) && {
        return joined_with<X, true, false>("LEFT JOIN", on);
    }
    /// RIGHT JOIN: the columns of every table before X may be NULL.
    template <class X, class... S>
    auto right_join(const condition<S...>& on) && {
        return joined_with<X, false, true>("RIGHT JOIN", on);
    }
    /// FULL JOIN: the columns of every table may be NULL.
    template <class X, class... S>
    auto full_join(const condition<S...>& on) && {
        return joined_with<X, true, true>("FULL JOIN", on);
    }

    /// WHERE: conditions of several calls are joined with AND. An empty repository filter adds nothing.
    template <class... S>
    select_query& where(const condition<S...>& c) & {
        check_scope<condition<S...>>();
        parts_.where.push_back(c.node());
        return *this;
    }
    template <class T>
    select_query& where(const filter<T>& f) & {
        if (!f.empty()) where(as_condition(f));
        else check_scope<condition<table_source<T>>>();
        return *this;
    }
    template <class C>
    select_query&& where(const C& c) && {
        return std::move(where(c));
    }

    /// GROUP BY the given columns.
    template <class... C>
    select_query& group_by(const C&... columns) & {
        static_assert(sizeof...(C) >= 1, "pgorm: group_by() needs at least one column");
        (add_group(detail::select_item(columns)), ...);
        return *this;
    }
    template <class... C>
    select_query&& group_by(const C&... columns) && {
        return std::move(group_by(columns...));
    }

    /// HAVING: a condition on aggregates (count() > 5); several calls are joined with AND.
    template <class... S>
    select_query& having(const condition<S...>& c) & {
        check_scope<condition<S...>>();
        parts_.having.push_back(c.node());
        return *this;
    }
    template <class... S>
    select_query&& having(const condition<S...>& c) && {
        return std::move(having(c));
    }

    /// ORDER BY terms: col(...).desc().nulls_last(), asc(col(...)), or a column (ascending).
    template <class... O>
    select_query& order_by(const O&... terms) & {
        static_assert(sizeof...(O) >= 1, "pgorm: order_by() needs at least one term");
        (add_order(terms), ...);
        return *this;
    }
    template <class... O>
    select_query&& order_by(const O&... terms) && {
        return std::move(order_by(terms...));
    }

    /// LIMIT n (bound as a parameter); a negative n is a usage_error.
    select_query& limit(std::int64_t n) & {
        if (n < 0) throw usage_error("pgorm: LIMIT must not be negative, got " + std::to_string(n));
        parts_.limit = n;
        parts_.limit_is_arg = false;
        return *this;
    }
    select_query&& limit(std::int64_t n) && { return std::move(limit(n)); }
    /// LIMIT $n given when the prepared query runs (a std::int64_t; a negative one is the
    /// server's sql_error, SQLSTATE 2201W).
    select_query& limit(query_arg) & {
        parts_.limit = 0;
        parts_.limit_is_arg = true;
        return *this;
    }
    select_query&& limit(query_arg a) && { return std::move(limit(a)); }
    /// OFFSET n (bound as a parameter); a negative n is a usage_error.
    select_query& offset(std::int64_t n) & {
        if (n < 0) throw usage_error("pgorm: OFFSET must not be negative, got " + std::to_string(n));
        parts_.offset = n;
        parts_.offset_is_arg = false;
        return *this;
    }
    select_query&& offset(std::int64_t n) && { return std::move(offset(n)); }
    /// OFFSET $n given when the prepared query runs (a std::int64_t; a negative one is the
    /// server's sql_error, SQLSTATE 2201X).
    select_query& offset(query_arg) & {
        parts_.offset = 0;
        parts_.offset_is_arg = true;
        return *this;
    }
    select_query&& offset(query_arg a) && { return std::move(offset(a)); }

    /// Keyset pagination: only the rows after the one whose ORDER BY values are `values` (one
    /// per ORDER BY term, in order; each of its column's C++ type, or pgorm::arg() for a prepared
    /// query). Renders the row-value comparison WHERE (c1, c2) > ($1, $2) (< for DESC), joined
    /// with AND to the other conditions. The ORDER BY must be plain NOT NULL columns in one
    /// direction (add a unique column last so that no row is skipped); anything else is a
    /// usage_error when the query renders (to_sql, fetch, prepare), naming what does not match.
    template <class... V>
    select_query& after(const V&... values) & {
        static_assert(sizeof...(V) >= 1, "pgorm: after() takes the last row's value of each ORDER BY column");
        parts_.after.clear();
        (parts_.after.push_back(detail::after_value_of(values)), ...);
        return *this;
    }
    template <class... V>
    select_query&& after(const V&... values) && {
        return std::move(after(values...));
    }

    /// WITH "name"(columns of Row) AS (query): query's items must match the members of C's row
    /// struct (C = pgorm::cte<Row, "name">) in number and C++ type, or it does not compile. Read it
    /// with from<C>() / join<C>(...) and C::col(&Row::m). Several calls make several CTEs, in order.
    template <class C, class Q>
    select_query& with(const Q& query) & {
        static_assert(detail::is_cte_source<C>, "pgorm: with<C>(query) names its CTE as C = pgorm::cte<Row, \"name\">");
        static_assert(detail::cte_fits<typename C::table_type, typename Q::item_types>::value,
                      "pgorm: a CTE's query must select one item per member of its row struct, of the member's C++ "
                      "type, in the members' order");
        parts_.ctes.push_back(detail::make_node([query](sql_builder& b) {
            b.ident(C::sql_name()) << "(";
            constexpr auto names = reflect::column_names<typename C::table_type>();
            for (std::size_t i = 0; i < names.size(); ++i) {
                if (i) b << ", ";
                b.ident(names[i]);
            }
            b << ") AS (";
            query.render_into(b);
            b << ")";
        }));
        return *this;
    }
    template <class C, class Q>
    select_query&& with(const Q& query) && {
        return std::move(with<C>(query));
    }
    /// WITH RECURSIVE: as with(), and the query may read C itself (typically
    /// union_all(base, step) where step joins C). Makes every CTE of this query recursive-capable.
    template <class C, class Q>
    select_query& with_recursive(const Q& query) & {
        parts_.recursive = true;
        return with<C>(query);
    }
    template <class C, class Q>
    select_query&& with_recursive(const Q& query) && {
        return std::move(with_recursive<C>(query));
    }

    /// SELECT DISTINCT.
    select_query& distinct() & {
        parts_.distinct = true;
        return *this;
    }
    select_query&& distinct() && { return std::move(distinct()); }

    /// A row lock (repo/lock.hpp): for_update, for_share.of<User>().skip_locked(), ...
    select_query& lock(row_lock l) & {
        parts_.lock = l;
        return *this;
    }
    select_query&& lock(row_lock l) && { return std::move(lock(l)); }

    /// The statement text and its bound values.
    sql_builder render() const {
        check_complete();
        sql_builder b;
        render_into(b);
        return b;
    }
    /// The statement text, with $1, $2 ... where the values go (debugging and tests).
    std::string to_sql() const { return render().sql; }
    /// How many values the statement binds.
    int parameter_count() const { return render().params.size(); }

    /// Names tables of an enclosing query that this one (a subquery) reads without listing them
    /// in its own FROM: a correlated subquery. outer<User>() after from<T>().
    template <class... X>
    auto outer() && {
        static_assert(sizeof...(J) > 0, "pgorm: outer<T>() comes after from<T>()");
        return select_query<std::tuple<Items...>, std::tuple<J..., joined<source_t<X>, false>...>>(std::move(parts_));
    }

    /// Appends the statement to b (its placeholders continue b's numbering): for subqueries.
    void render_into(sql_builder& b) const {
        check_complete();
        const detail::select_parts& p = parts_;
        list(b, p.recursive ? "WITH RECURSIVE " : "WITH ", ", ", p.ctes);
        if (!p.ctes.empty()) b << " ";
        b << (p.distinct ? "SELECT DISTINCT " : "SELECT ");
        for (std::size_t i = 0; i < p.items.size(); ++i) {
            if (i) b << ", ";
            p.items[i]->render(b);
        }
        for (const auto& j : p.joins) j->render(b);
        list(b, " WHERE ", " AND ", p.where);
        if (!p.after.empty()) render_after(b << (p.where.empty() ? " WHERE " : " AND "), p);
        list(b, " GROUP BY ", ", ", p.group_by);
        list(b, " HAVING ", " AND ", p.having);
        list(b, " ORDER BY ", ", ", p.order_by);
        if (p.limit) bind_count(b << " LIMIT ", *p.limit, p.limit_is_arg);
        if (p.offset) bind_count(b << " OFFSET ", *p.offset, p.offset_is_arg);
        p.lock.append_sql(b.sql);
    }

    /// Runs the query on a scope (connection, transaction, pooled handle) and reads every row as
    /// R: row_type by default, or a described struct by column name, a tuple by position, a single
    /// value. Throws as connection::query: sql_error from the server, column_mismatch /
    /// type_mismatch when R does not fit the select list, unexpected_null, decode_error.
    /// A query with pgorm::arg() placeholders runs only through prepare(): here it is a usage_error.
    template <class R = row_type, scope Scope>
    std::vector<R> fetch(Scope& s) const {
        static_assert(detail::fetchable_row<R>());
        sql_builder b = render_without_args();
        return s.conn().execute(b.sql, b.params).template as<R>();
    }
    /// At most one row (more is a usage_error). Throws as fetch().
    template <class R = row_type, scope Scope>
    std::optional<R> fetch_one(Scope& s) const {
        static_assert(detail::fetchable_row<R>());
        sql_builder b = render_without_args();
        return s.conn().execute(b.sql, b.params).template one<R>();
    }

    /// Renders the statement once, for a shape that runs many times: the prepared query's
    /// fetch(scope, values...) then only binds the values of its pgorm::arg() placeholders (in
    /// the order they appear in to_sql()); the values bound now stay as they are. Throws nothing
    /// itself; see prepared_query (query/prepared.hpp) for what its runs throw.
    prepared_query<row_type> prepare() const {
        check_complete();
        detail::recording_args args;
        sql_builder b;
        render_into(b);
        return prepared_query<row_type>(std::move(b), std::move(args.slots()));
    }

private:
    sql_builder render_without_args() const {
        check_complete();
        detail::recording_args args;
        sql_builder b;
        render_into(b);
        if (!args.slots().empty())
            throw usage_error("pgorm: this query has " + std::to_string(args.slots().size()) +
                              " pgorm::arg() placeholder(s) and no values for them: run it as q.prepare().fetch(scope, "
                              "values...)");
        return b;
    }
    static void render_after(sql_builder& b, const detail::select_parts& p) {
        auto fail = [](const std::string& why) { throw usage_error("pgorm: after() (keyset pagination) " + why); };
        if (p.order_keys.size() != p.after.size())
            fail("takes one value per ORDER BY term: the query orders by " + std::to_string(p.order_keys.size()) +
                 " term(s), after() got " + std::to_string(p.after.size()));
        bool descending = false;
        for (std::size_t i = 0; i < p.after.size(); ++i) {
            std::string term = "ORDER BY term " + std::to_string(i + 1);
            const auto& key = p.order_keys[i];
            if (!key) fail("needs plain columns in ORDER BY; " + term + " is an aggregate or expression");
            if (key->nullable || key->nulls_given)
                fail("needs NOT NULL columns in ORDER BY (a row-value comparison skips NULLs); " + term +
                     " is a std::optional member or has NULLS FIRST/LAST");
            if (i == 0) descending = key->descending;
            else if (key->descending != descending)
                fail("needs every ORDER BY term in one direction (all ASC or all DESC); " + term + " differs");
            const auto& v = p.after[i];
            bool fits = v.type == nullptr ? key->bind_arg != nullptr
                                          : v.type == key->type || (v.text && key->type == &detail::type_tag<std::string>);
            if (!fits)
                fail("value " + std::to_string(i + 1) + " is a " + std::string(v.type_name) + "; " + term +
                     " is a column of C++ type " + std::string(key->type_name));
        }
        b << "(";
        for (std::size_t i = 0; i < p.after.size(); ++i) {
            if (i) b << ", ";
            b.ident(p.order_keys[i]->source) << ".";
            b.ident(p.order_keys[i]->column);
        }
        b << (descending ? ") < (" : ") > (");
        for (std::size_t i = 0; i < p.after.size(); ++i) {
            if (i) b << ", ";
            if (p.after[i].bind) p.after[i].bind->render(b);
            else p.order_keys[i]->bind_arg(b);
        }
        b << ")";
    }
    static void bind_count(sql_builder& b, std::int64_t n, bool is_arg) {
        if (is_arg) detail::bind_arg<std::int64_t>(b);
        else b.bind(n);
    }

    template <class Checked>
    static constexpr void check_scope() {
        static_assert(detail::all_in_scope<Checked, J...>::value,
                      "pgorm: a column of this query names a table that is not in its FROM or JOIN: add "
                      "from<T>() / join<T>(...) for it, or use the alias the query reads it under");
    }
    static constexpr void check_complete() {
        static_assert(sizeof...(J) > 0, "pgorm: a query needs from<T>() before it can render or run");
        static_assert((detail::all_in_scope<typename detail::item_sources<Items>::type, J...>::value && ...),
                      "pgorm: a selected column names a table that is not in this query's FROM or JOIN: add "
                      "from<T>() / join<T>(...) for it, or use the alias the query reads it under");
    }

    static void list(sql_builder& b, const char* head, const char* sep,
                     const std::vector<detail::node_ptr>& nodes) {
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            b << (i ? sep : head);
            nodes[i]->render(b);
        }
    }

    template <class X>
    static detail::select_parts add_join(detail::select_parts parts, const char* kind,
                                         detail::node_ptr on) {
        using S = source_t<X>;
        parts.joins.push_back(detail::make_node([kind, on = std::move(on)](sql_builder& b) {
            b << (kind ? " " : " FROM ");
            if (kind) b << kind << " ";
            if constexpr (detail::is_cte_source<S>) b.ident(S::sql_name());
            else b.ident(table<typename S::table_type>::name);
            if constexpr (S::aliased) {
                b << " AS ";
                b.ident(S::sql_name());
            }
            if (on) {
                b << " ON ";
                on->render(b);
            }
        }));
        return parts;
    }

    template <class X, bool NewNullable, bool OldNullable, class... S>
    auto joined_with(const char* kind, const condition<S...>& on) {
        using N = source_t<X>;
        static_assert(sizeof...(J) > 0, "pgorm: from<T>() comes before any join");
        static_assert(!detail::in_scope<N, J...>,
                      "pgorm: this table is in the query already: join a second copy under an alias, "
                      "pgorm::alias<T, \"name\">");
        using next = std::conditional_t<OldNullable, std::tuple<typename detail::made_nullable<J>::type..., joined<N, NewNullable>>,
                                        std::tuple<J..., joined<N, NewNullable>>>;
        static_assert(detail::all_in_scope<condition<S...>, J..., joined<N, false>>::value,
                      "pgorm: the ON condition names a table that is not in this query's FROM or JOIN (so far): "
                      "join that table first, or use the alias the query reads it under");
        return select_query<std::tuple<Items...>, next>(add_join<X>(std::move(parts_), kind, on.node()));
    }

    template <class C>
    void add_group(const C& c) {
        check_scope<typename detail::item_sources<C>::type>();
        parts_.group_by.push_back(detail::make_node([c](sql_builder& b) { c.render(b); }));
    }
    template <class O>
    void add_order(const O& term) {
        if constexpr (detail::is_column_ref<O> || detail::is_column_expr<O>) {
            add_order(detail::select_item(term).asc());
        } else {
            check_scope<O>();
            parts_.order_by.push_back(detail::make_node([term](sql_builder& b) { term.render(b); }));
            parts_.order_keys.push_back(term.key());
        }
    }

    detail::select_parts parts_;
};

/// SELECT items: columns (pgorm::col(&T::m), alias<T, "a">::col(&T::m)) and aggregates
/// (count(), sum(col(...)), ...); then from<T>(), joins, where, ... (see the top of this file).
template <class... X>
auto select(const X&... items) {
    static_assert(sizeof...(X) >= 1, "pgorm: select() needs at least one column or aggregate");
    detail::select_parts parts;
    parts.items.reserve(sizeof...(X));
    (parts.items.push_back(detail::item_node(detail::select_item(items))), ...);
    return select_query<std::tuple<decltype(detail::select_item(items))...>, std::tuple<>>(std::move(parts));
}

}  // namespace pgorm
