#pragma once
// The statements repository<T> runs, built without running them: statement<T> values
// (core/statement.hpp) that any executor takes, the synchronous connection or an
// async_connection from a coroutine (docs/async.md, "Repositories and generated functions from
// coroutines"). The SQL is the repository's own: the same rendering, the same cached texts.
//
//   using users = pgorm::repository<User>;
//   std::optional<User> u = co_await c.query_one(users::get_statement(id, pgorm::for_update));
//   std::vector<User> rich = co_await c.query(users::find_statement(pgorm::col(&User::credits_balance) > 100));
//
// All builders are static: no connection is needed to build a statement. Building throws only
// usage_error (a bad clause, an update with no column to set) and what encoding a value throws;
// running it throws what the executor's query / execute throw (connection.hpp, async/connection.hpp).

#include <pgorm/core/statement.hpp>
#include <pgorm/repo/detail/inserts.hpp>
#include <pgorm/repo/detail/keys.hpp>
#include <pgorm/repo/detail/reads.hpp>
#include <pgorm/repo/detail/row_update.hpp>
#include <pgorm/repo/filter.hpp>
#include <pgorm/repo/lock.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pgorm {

/// Statement builders of repository<T> (which inherits them: repository<T>::get_statement(...)).
/// Rows read into T by position, as the repository reads them.
template <class T>
class repository_statements {
    using tbl = detail::usable_table_t<T>;
    using reads = detail::repository_reads<T>;
    using keys = detail::repository_keys<T>;
    using inserts = detail::repository_inserts<T>;

public:
    /// get(key, lock)'s SELECT: at most one row (run it with query_one). A composite key is a
    /// std::tuple in key order.
    template <class K>
    static statement<T> get_statement(const K& key, const row_lock& lock = no_lock) {
        statement<T> s;
        s.sql = keys::select_by_key_text();
        if (lock) lock.append_sql(s.sql);
        bind_key(s.params, key);
        return s;
    }

    /// find(where, clauses...)'s SELECT: an ordering<T> (ORDER BY, LIMIT, OFFSET, after()) and/or
    /// a row_lock. Throws usage_error for two orderings or two locks.
    template <class... C>
    static statement<T> find_statement(const filter<T>& where = {}, const C&... clauses) {
        sql_builder b = reads::select_impl(where, std::nullopt, clauses...);
        return {std::move(b.sql), std::move(b.params)};
    }
    template <class Other, class... C>
    static statement<T> find_statement(const filter<Other>&, const C&...) {
        static_assert(std::is_same_v<Other, T>, "pgorm: this filter is on columns of another struct than the repository's");
        return {};
    }

    /// insert(row)'s INSERT ... RETURNING: one row, the stored one with server defaults filled.
    static statement<T> insert_statement(const T& row) {
        auto m = inserts::insert_mask(row);
        std::string spare;
        statement<T> s;
        s.sql = inserts::insert_text(m, true, spare);
        tbl::for_each_column([&](std::size_t i, auto d) {
            if (m[i]) s.params.add(row.*d.pointer);
        });
        return s;
    }

    /// update(row)'s UPDATE ... RETURNING by the row's key: one row, or none when no row has the
    /// key (where update() throws not_found, the statement's query_one gives nullopt).
    /// Throws usage_error when the row has no column to set.
    static statement<T> update_statement(const T& row) {
        static_assert(tbl::key_count > 0, "pgorm: update_statement() needs a key: add key(&T::id) to PGORM_TABLE");
        using row_update = detail::repository_row_update<T>;
        auto m = row_update::sent(row);
        std::string spare;
        statement<T> s;
        s.sql = row_update::text(m, spare);
        tbl::for_each_column([&](std::size_t i, auto d) {
            if (m[i]) s.params.add(row.*d.pointer);
        });
        return s;
    }

    /// remove(key)'s DELETE by key: no rows; execute it and read affected_rows() (1 or 0).
    template <class K>
    static statement<void> remove_statement(const K& key) {
        statement<void> s;
        s.sql = keys::delete_by_key_text();
        bind_key(s.params, key);
        return s;
    }

private:
    template <class K>
    static void bind_key(param_list& p, const K& key) {
        static_assert(tbl::key_count > 0, "pgorm: this table has no key: add key(&T::id) to PGORM_TABLE");
        static_assert(keys::template key_arity<K>() == tbl::key_count,
                      "pgorm: the key has the wrong number of parts; a composite key is a std::tuple in key order");
        if constexpr (detail::is_std_tuple<K>) std::apply([&](const auto&... v) { (p.add(v), ...); }, key);
        else p.add(key);
    }
};

}  // namespace pgorm
