#pragma once
// repository<T>: typed reads and writes of one described struct's table, on any scope (a
// connection, a transaction, a pooled handle). See docs/repository.md.
//
//   pgorm::repository<User> users{q};
//   User u = users.insert(User{.organization_id = org, .email = "ada@example.com"});  // defaults filled
//   auto locked = users.get(u.user_id, pgorm::for_update);                           // std::optional<User>
//   auto rich = users.find(pgorm::col(&User::credits_balance) > 100,
//                          pgorm::order_by(pgorm::desc(&User::credits_balance)).limit(10));
//
// Server-default columns (PGORM_TABLE's defaults(...)) are left out of INSERT while they hold
// their value-initialised state (empty string, nullopt, 0, epoch), so the server fills them;
// RETURNING reads them back. Set one to send it instead.

#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/connection_access.hpp>
#include <pgorm/core/copy.hpp>
#include <pgorm/core/pipeline.hpp>
#include <pgorm/repo/assign.hpp>
#include <pgorm/repo/filter.hpp>
#include <pgorm/repo/lock.hpp>
#include <pgorm/repo/detail/inserts.hpp>
#include <pgorm/repo/detail/keys.hpp>
#include <pgorm/repo/detail/reads.hpp>
#include <pgorm/repo/detail/row_update.hpp>
#include <pgorm/repo/statements.hpp>
#include <pgorm/repo/stream.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace pgorm {

/// What upsert() did: inserted a new row, or met an existing one (updated or left alone).
template <class T>
struct upsert_result {
    bool inserted = false;
    /// The stored row: the new or updated one; empty after DO NOTHING met a conflict.
    std::optional<T> row;
};

/// Typed reads and writes of T's table through one scope.
///
/// Lifetime: holds a pointer to the scope's connection, which must outlive the repository; the
/// rows it returns own their data (T may not hold views: a static_assert says so).
/// Thread safety: as its connection: one thread at a time. Use one repository per scope; they
/// are cheap to make.
template <class T>
class repository : public repository_statements<T>, private detail::repository_reads<T>,
                   private detail::repository_keys<T>, private detail::repository_inserts<T> {
    using tbl = detail::usable_table_t<T>;
    static constexpr std::size_t N = tbl::column_count;
    using reads = detail::repository_reads<T>;
    using keys = detail::repository_keys<T>;
    using inserts = detail::repository_inserts<T>;
    using typename inserts::mask;
    using reads::select_impl, reads::read_optional_row, reads::read_one_row;
    using keys::render_key, keys::render_key_of, keys::key_condition, keys::key_text,
        keys::key_text_of;
    using inserts::insert_mask, inserts::insert_text, inserts::render_insert_head, inserts::render_values,
        inserts::pointers, inserts::common_mask, inserts::multi_row_insert;
    // Every read returns rows that outlive their result.
    static_assert(detail::owned_row_required<T>::value);

public:
    /// Rows at or above this count go through binary COPY in insert_many() (see docs/repository.md).
    static constexpr std::size_t default_copy_threshold = 1000;

    template <scope S>
    explicit repository(S& s) : conn_(&s.conn()) {}

    connection& conn() noexcept { return *conn_; }
    std::size_t copy_threshold = default_copy_threshold;

    // ------------------------------------------------------------------ writes

    /// INSERT ... RETURNING: the stored row, with server defaults filled in (and whatever a
    /// BEFORE INSERT trigger changed).
    /// Throws integrity_violation subclasses (unique_violation, foreign_key_violation,
    /// not_null_violation, check_violation), other sql_error (by SQLSTATE, error.hpp), connection_lost;
    /// column_mismatch / type_mismatch / unexpected_null / decode_error when T and the table disagree.
    T insert(const T& obj) {
        mask m = insert_mask(obj);
        std::string spare;
        return read_one_row(run_masked(insert_text(m, true, spare), obj, m));
    }

    /// INSERT without RETURNING, for when the stored row is not needed back: the server sends no
    /// row and none is decoded, so it costs about half of insert() on the client.
    /// Throws as insert(), less the decoding errors.
    void insert_without_returning(const T& obj) {
        mask m = insert_mask(obj);
        std::string spare;
        run_masked(insert_text(m, false, spare), obj, m);
    }

    /// Stores every row; returns how many. Binary COPY from `copy_threshold` rows on (fastest, but
    /// returns no rows), pipelined multi-row INSERTs below it, and also at any size when row-level
    /// security applies to the table for the current role (COPY FROM refuses RLS tables, 0A000,
    /// and would abort the caller's transaction): one extra round trip asks the server first.
    /// Throws as insert_without_returning(); a failed COPY throws the sql_error the server reports.
    template <class Range>
    std::int64_t insert_many(const Range& rows) {
        std::vector<const T*> all = pointers(rows);
        if (all.empty()) return 0;
        mask m{};
        bool uniform = common_mask(all, m);
        if (uniform && all.size() >= copy_threshold && !row_security_active()) {
            std::vector<std::string_view> cols;
            for (std::size_t i = 0; i < N; ++i)
                if (m[i]) cols.push_back(tbl::columns[i]);
            copy_writer w(*conn_, tbl::name, cols, has_array_member());
            for (const T* row : all) {
                w.begin_row(cols.size());
                tbl::for_each_value(*row, [&](std::size_t i, const auto& v) {
                    if (m[i]) w.write_field(v);
                });
                w.end_row();
            }
            return w.finish();
        }
        std::int64_t n = 0;
        for (auto& r : multi_row_insert(*conn_, all, false)) n += r.affected_rows();
        return n;
    }

    /// Whether some member is an array (COPY then looks up user-typed array columns first).
    static constexpr bool has_array_member() {
        bool any = false;
        if constexpr (tbl::column_count > 0)
            reflect::for_each_member_type<T>([&](auto m, std::string_view) {
                any = any || detail::array_value<typename decltype(m)::type>::value;
            });
        return any;
    }

    /// Whether RLS policies filter this table for the current role and settings (PostgreSQL's
    /// row_security_active(), docs section 9.26): COPY FROM cannot be used then.
    /// Throws sql_error (by SQLSTATE, error.hpp), connection_lost.
    bool row_security_active() {
        return conn_->query_value<bool>("SELECT pg_catalog.row_security_active($1::text::regclass)",
                                        conn_->quote_identifier(tbl::name));
    }

    /// Stores every row and returns them as stored (defaults filled), in input order. Always
    /// INSERT ... RETURNING (COPY cannot return rows): multi-row statements, pipelined.
    /// Throws as insert().
    template <class Range>
    std::vector<T> insert_many_returning(const Range& rows) {
        std::vector<const T*> all = pointers(rows);
        std::vector<T> out;
        out.reserve(all.size());
        if (all.empty()) return out;
        for (auto& r : multi_row_insert(*conn_, all, true)) {
            auto part = read_rows(r);
            for (auto& row : part) out.push_back(std::move(row));
        }
        return out;
    }

    /// INSERT ... ON CONFLICT: says whether a row was inserted. With do_nothing() a conflict
    /// leaves the stored row alone (seed 004's idempotent stripe_session write in one call).
    /// Throws as insert() (a conflict on a constraint the clause does not name still throws).
    upsert_result<T> upsert(const T& obj, const conflict_clause<T>& on) {
        sql_builder b;
        mask m = insert_mask(obj);
        render_insert_head(b, m);
        render_values(b, obj, m);
        b << " ON CONFLICT (";
        for (std::size_t i = 0; i < on.target().size(); ++i) (b << (i ? ", " : "")).ident(on.target()[i]);
        b << ")";
        if (!on.updates()) {
            b << " DO NOTHING RETURNING " << select_list();
            auto row = read_optional_row(run(b));
            return {row.has_value(), std::move(row)};
        }
        std::vector<std::string_view> cols = on.update_columns();
        if (cols.empty())
            for (std::size_t i = 0; i < N; ++i)
                if (m[i] && !tbl::is_key[i] && !contains(on.target(), tbl::columns[i])) cols.push_back(tbl::columns[i]);
        if (cols.empty())
            throw usage_error("pgorm: upsert into " + std::string(tbl::name) +
                              " has no column to update on conflict; use do_nothing() or name the columns");
        b << " DO UPDATE SET ";
        for (std::size_t i = 0; i < cols.size(); ++i) {
            (b << (i ? ", " : "")).ident(cols[i]) << " = EXCLUDED.";
            b.ident(cols[i]);
        }
        // xmax is 0 on a row version this statement inserted, the locker's xid on one it updated.
        b << " RETURNING " << select_list() << ", (xmax = 0) AS pgorm_inserted";
        result r = run(b);
        upsert_result<T> out;
        out.row = read_optional_row(r, 1);
        out.inserted = r.get<bool>(0, static_cast<int>(N));
        return out;
    }

    /// UPDATE every non-key column (server-default columns only when set) by the key; returns the
    /// row as stored (triggers applied). Throws not_found when no row has the key.
    /// Also throws as insert().
    T update(const T& obj) {
        static_assert(tbl::key_count > 0, "pgorm: update() needs a key: add key(&T::id) to PGORM_TABLE");
        using row_update = detail::repository_row_update<T>;
        mask m = row_update::sent(obj);
        std::string spare;
        auto row = read_optional_row(run_masked(row_update::text(m, spare), obj, m));
        if (!row) throw not_found("pgorm: update() found no row in " + std::string(tbl::name) + " with " + key_text_of(obj));
        return std::move(*row);
    }

    /// UPDATE the given columns of the row with this key; returns it as stored, or nullopt when no
    /// row has the key. A composite key is a std::tuple in key order.
    /// Throws as update(), but no not_found.
    template <class K, class... A>
    std::optional<T> update_columns(const K& key, const assignment<T>& first, const A&... more) {
        sql_builder b;
        render_update_head(b, first, more...);
        b << " WHERE ";
        render_key(b, key);
        b << " RETURNING " << select_list();
        return read_optional_row(run(b));
    }

    /// UPDATE the given columns of every row the filter matches; returns the count. An empty
    /// filter is refused (pass filter<T>::all() to mean every row).
    /// Throws usage_error for an empty filter, else as update_columns().
    template <class... A>
    std::int64_t update_where(const filter<T>& where, const assignment<T>& first, const A&... more) {
        refuse_empty(where, "update_where");
        sql_builder b;
        render_update_head(b, first, more...);
        b << " WHERE ";
        where.render(b);
        return run(b).affected_rows();
    }

    /// Merges a JSON object into a jsonb column in SQL (no read first); returns the updated row.
    /// Throws as update_columns().
    template <class K, class M, class J>
    std::optional<T> merge_json(const K& key, M T::*column, const J& patch) {
        return update_columns(key, pgorm::merge_json(column, patch));
    }

    /// DELETE by key; true when a row was deleted.
    /// Throws foreign_key_violation when other rows still refer to it, other sql_error (by SQLSTATE, error.hpp),
    /// connection_lost.
    template <class K>
    bool remove(const K& key) {
        return run_key(keys::delete_by_key_text(), key).affected_rows() > 0;
    }
    /// DELETE every row the filter matches; returns the count. An empty filter is refused.
    /// Throws as remove(key).
    std::int64_t remove(const filter<T>& where) {
        refuse_empty(where, "remove");
        sql_builder b;
        b << "DELETE FROM ";
        b.ident(tbl::name) << " WHERE ";
        where.render(b);
        return run(b).affected_rows();
    }
    template <class Other>
    std::int64_t remove(const filter<Other>&) {
        static_assert(std::is_same_v<Other, T>, "pgorm: this filter is on columns of another struct than the repository's");
        return 0;
    }

    // ------------------------------------------------------------------ reads

    /// The row with this key, optionally locked.
    /// Throws lock_not_available (a nowait() lock that is taken), other sql_error (by SQLSTATE, error.hpp),
    /// connection_lost; column_mismatch / type_mismatch / unexpected_null / decode_error when T and the table disagree.
    template <class K>
    std::optional<T> get(const K& key, const row_lock& lock = no_lock) {
        const std::string& text = keys::select_by_key_text();
        if (!lock) return read_optional_row(run_key(text, key));
        return read_optional_row(run_key(text + lock.sql(), key));
    }
    /// The row with this key; not_found names the table and the key when there is none.
    /// Otherwise throws as get().
    template <class K>
    T get_or_throw(const K& key, const row_lock& lock = no_lock) {
        auto row = get(key, lock);
        if (!row) throw not_found("pgorm: no row in " + std::string(tbl::name) + " with " + key_text(key));
        return std::move(*row);
    }

    /// Rows matching the filter. Clauses: an ordering<T> (ORDER BY, LIMIT, OFFSET, after()) and/or
    /// a row_lock.
    /// Throws as get().
    template <class... C>
    std::vector<T> find(const filter<T>& where = {}, const C&... clauses) {
        return read_rows(run(select(where, clauses...)));
    }
    template <class Other, class... C>
    std::vector<T> find(const filter<Other>&, const C&...) {
        static_assert(std::is_same_v<Other, T>, "pgorm: this filter is on columns of another struct than the repository's");
        return {};
    }

    /// The first matching row (by the ordering, if given), or nullopt.
    /// Throws as get().
    template <class... C>
    std::optional<T> find_one(const filter<T>& where = {}, const C&... clauses) {
        return read_optional_row(run(select_impl(where, 1, clauses...)));
    }

    /// SELECT count(*) of the matching rows. Throws sql_error (by SQLSTATE, error.hpp), connection_lost.
    [[nodiscard]] std::int64_t count(const filter<T>& where = {}) {
        sql_builder b;
        b << "SELECT count(*) FROM ";
        b.ident(tbl::name) << " WHERE ";
        where.render(b);
        return run(b).template value<std::int64_t>();
    }
    /// Whether some row matches (SELECT EXISTS). Throws as count().
    [[nodiscard]] bool exists(const filter<T>& where = {}) {
        sql_builder b;
        b << "SELECT EXISTS (SELECT 1 FROM ";
        b.ident(tbl::name) << " WHERE ";
        where.render(b);
        b << ")";
        return run(b).template value<bool>();
    }

    /// Streams the matching rows to fn (single-row mode: memory stays flat over millions of rows);
    /// fn may return bool, false to stop. Returns the number of rows handed to fn.
    /// Throws as find(), and whatever fn throws (the rest of the rows are then discarded).
    template <class F, class... C>
    std::int64_t for_each(const filter<T>& where, F&& fn, const C&... clauses) {
        sql_builder b = select(where, clauses...);
        return stream_rows<T>(*conn_, b.sql, b.params, std::forward<F>(fn));
    }

    /// The quoted column list, in member order.
    using reads::select_list;
    /// Reads all rows of a result whose columns are select_list() (in order) into T; throws as
    /// row_mapper (core/row_mapping.hpp): every column problem at once.
    using reads::read_rows;

    /// The SELECT that find() would run (for logging, EXPLAIN or hand-written extensions).
    template <class... C>
    sql_builder select(const filter<T>& where, const C&... clauses) const {
        return select_impl(where, std::nullopt, clauses...);
    }


private:
    result run(const sql_builder& b) { return conn_->execute(b.sql, b.params); }

    // The masked members of obj as parameters of a cached text: no builder, no allocation.
    result run_masked(const std::string& sql, const T& obj, const mask& m) {
        bounded_params<N> p(detail::connection_access::encode_buffer(*conn_));
        tbl::for_each_value(obj, [&](std::size_t i, const auto& v) {
            if (m[i]) p.add(v);
        });
        return detail::connection_access::run(*conn_, sql, p.refs());
    }
    template <class K>
    result run_key(const std::string& sql, const K& key) {
        static_assert(tbl::key_count > 0, "pgorm: this table has no key: add key(&T::id) to PGORM_TABLE");
        static_assert(keys::template key_arity<K>() == tbl::key_count,
                      "pgorm: the key has the wrong number of parts; a composite key is a std::tuple in key order");
        bounded_params<tbl::key_count> p(detail::connection_access::encode_buffer(*conn_));
        if constexpr (detail::is_std_tuple<K>) std::apply([&](const auto&... v) { (p.add(v), ...); }, key);
        else p.add(key);
        return detail::connection_access::run(*conn_, sql, p.refs());
    }

    // ---- updates
    template <class... A>
    static void render_update_head(sql_builder& b, const assignment<T>& first, const A&... more) {
        static_assert((std::is_same_v<A, assignment<T>> && ...),
                      "pgorm: update columns with pgorm::set / increment / merge_json on members of the repository's struct");
        b << "UPDATE ";
        b.ident(tbl::name) << " SET ";
        first.render(b);
        ((b << ", ", more.render(b)), ...);
    }
    static void refuse_empty(const filter<T>& where, const char* what) {
        if (where.empty())
            throw usage_error(std::string("pgorm: ") + what + "() on " + std::string(tbl::name) +
                              " with an empty filter would touch every row; pass pgorm::filter<T>::all() to mean that");
    }
    static bool contains(const std::vector<std::string_view>& v, std::string_view s) {
        for (auto x : v)
            if (x == s) return true;
        return false;
    }

    connection* conn_;
};

}  // namespace pgorm
