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
#include <pgorm/core/copy.hpp>
#include <pgorm/core/pipeline.hpp>
#include <pgorm/repo/assign.hpp>
#include <pgorm/repo/filter.hpp>
#include <pgorm/repo/lock.hpp>
#include <pgorm/repo/stream.hpp>
#include <pgorm/types/member_codecs.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <ranges>
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

namespace detail {
template <class X> inline constexpr bool is_std_tuple = false;
template <class... A> inline constexpr bool is_std_tuple<std::tuple<A...>> = true;

/// True when a server-default member still holds its value-initialised state (so INSERT omits it).
template <class M>
bool is_unset(const M& v) {
    if constexpr (nullable_value<M>) return codec<M>::is_null(v);
    else if constexpr (std::equality_comparable<M>) return v == M{};
    else return true;
}

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

}  // namespace detail

template <class T>
class repository {
    using tbl = detail::usable_table_t<T>;
    static constexpr std::size_t N = tbl::column_count;
    using mask = std::array<bool, N>;
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
    T insert(const T& obj) {
        mask m = insert_mask(obj);
        std::string spare;
        return read_one_row(run_masked(insert_text(m, true, spare), obj, m));
    }

    /// INSERT without RETURNING, for when the stored row is not needed back: the server sends no
    /// row and none is decoded, so it costs about half of insert() on the client.
    void add(const T& obj) {
        mask m = insert_mask(obj);
        std::string spare;
        run_masked(insert_text(m, false, spare), obj, m);
    }

    /// Stores every row; returns how many. Binary COPY from `copy_threshold` rows on (fastest, but
    /// returns no rows), pipelined multi-row INSERTs below it, and also at any size when row-level
    /// security applies to the table for the current role (COPY FROM refuses RLS tables, 0A000,
    /// and would abort the caller's transaction): one extra round trip asks the server first.
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
                tbl::for_each_column([&](std::size_t i, auto d) {
                    if (m[i]) w.write_field(row->*d.pointer);
                });
                w.end_row();
            }
            return w.finish();
        }
        std::int64_t n = 0;
        for (auto& r : multi_row_insert(all, false)) n += r.affected_rows();
        return n;
    }

    /// Whether some member is an array (COPY then looks up user-typed array columns first).
    static constexpr bool has_array_member() {
        bool any = false;
        tbl::for_each_column([&](std::size_t, auto d) {
            using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
            any = any || detail::array_value<M>::value;
        });
        return any;
    }

    /// Whether RLS policies filter this table for the current role and settings (PostgreSQL's
    /// row_security_active(), docs section 9.26): COPY FROM cannot be used then.
    bool row_security_active() {
        return conn_->query_value<bool>("SELECT pg_catalog.row_security_active($1::text::regclass)",
                                        conn_->quote_identifier(tbl::name));
    }

    /// Stores every row and returns them as stored (defaults filled), in input order. Always
    /// INSERT ... RETURNING (COPY cannot return rows): multi-row statements, pipelined.
    template <class Range>
    std::vector<T> insert_many_returning(const Range& rows) {
        std::vector<const T*> all = pointers(rows);
        std::vector<T> out;
        out.reserve(all.size());
        if (all.empty()) return out;
        for (auto& r : multi_row_insert(all, true)) {
            auto part = read_rows(r);
            for (auto& row : part) out.push_back(std::move(row));
        }
        return out;
    }

    /// INSERT ... ON CONFLICT: says whether a row was inserted. With do_nothing() a conflict
    /// leaves the stored row alone (seed 004's idempotent stripe_session write in one call).
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
    T update(const T& obj) {
        static_assert(tbl::key_count > 0, "pgorm: update() needs a key: add key(&T::id) to PGORM_TABLE");
        sql_builder b;
        b << "UPDATE ";
        b.ident(tbl::name) << " SET ";
        bool first = true;
        tbl::for_each_column([&](std::size_t i, auto d) {
            if (tbl::is_key[i] || (tbl::has_default[i] && detail::is_unset(obj.*d.pointer))) return;
            (b << (first ? "" : ", ")).ident(d.name) << " = ";
            b.bind(obj.*d.pointer);
            first = false;
        });
        if (first) throw usage_error("pgorm: update() of " + std::string(tbl::name) + " has no column to set");
        b << " WHERE ";
        render_key_of(b, obj);
        b << " RETURNING " << select_list();
        auto row = read_optional_row(run(b));
        if (!row) throw not_found("pgorm: update() found no row in " + std::string(tbl::name) + " with " + key_text_of(obj));
        return std::move(*row);
    }

    /// UPDATE the given columns of the row with this key; returns it as stored, or nullopt when no
    /// row has the key. A composite key is a std::tuple in key order.
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
    template <class K, class M, class J>
    std::optional<T> merge_json(const K& key, M T::*column, const J& patch) {
        return update_columns(key, pgorm::merge_json(column, patch));
    }

    /// DELETE by key; true when a row was deleted.
    template <class K>
    bool remove(const K& key) {
        static const std::string text = "DELETE FROM " + detail::quoted(tbl::name) + " WHERE " + key_condition();
        return run_key(text, key).affected_rows() > 0;
    }
    /// DELETE every row the filter matches; returns the count. An empty filter is refused.
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
    template <class K>
    std::optional<T> get(const K& key, const row_lock& lock = no_lock) {
        static const std::string text =
            "SELECT " + select_list() + " FROM " + detail::quoted(tbl::name) + " WHERE " + key_condition();
        if (!lock) return read_optional_row(run_key(text, key));
        return read_optional_row(run_key(text + lock.sql(), key));
    }
    /// The row with this key; not_found names the table and the key when there is none.
    template <class K>
    T get_or_throw(const K& key, const row_lock& lock = no_lock) {
        auto row = get(key, lock);
        if (!row) throw not_found("pgorm: no row in " + std::string(tbl::name) + " with " + key_text(key));
        return std::move(*row);
    }

    /// Rows matching the filter. Clauses: an ordering<T> (ORDER BY, LIMIT, OFFSET, after()) and/or
    /// a row_lock.
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
    template <class... C>
    std::optional<T> find_one(const filter<T>& where = {}, const C&... clauses) {
        return read_optional_row(run(select_impl(where, 1, clauses...)));
    }

    std::int64_t count(const filter<T>& where = {}) {
        sql_builder b;
        b << "SELECT count(*) FROM ";
        b.ident(tbl::name) << " WHERE ";
        where.render(b);
        return run(b).template value<std::int64_t>();
    }
    bool exists(const filter<T>& where = {}) {
        sql_builder b;
        b << "SELECT EXISTS (SELECT 1 FROM ";
        b.ident(tbl::name) << " WHERE ";
        where.render(b);
        b << ")";
        return run(b).template value<bool>();
    }

    /// Streams the matching rows to fn (single-row mode: memory stays flat over millions of rows);
    /// fn may return bool, false to stop. Returns the number of rows handed to fn.
    template <class F, class... C>
    std::int64_t for_each(const filter<T>& where, F&& fn, const C&... clauses) {
        sql_builder b = select(where, clauses...);
        return stream_rows<T>(*conn_, b.sql, b.params, std::forward<F>(fn));
    }

    /// The SELECT that find() would run (for logging, EXPLAIN or hand-written extensions).
    template <class... C>
    sql_builder select(const filter<T>& where, const C&... clauses) const {
        return select_impl(where, std::nullopt, clauses...);
    }

    /// The quoted column list, in member order.
    static const std::string& select_list() {
        static const std::string list = [] {
            std::string s;
            for (std::size_t i = 0; i < N; ++i) s += (i ? ", " : "") + detail::quoted(tbl::columns[i]);
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

private:
    template <class... C>
    static sql_builder select_impl(const filter<T>& where, std::optional<std::int64_t> force_limit, const C&... clauses) {
        const ordering<T>* given = nullptr;
        const row_lock* lock = nullptr;
        (take_clause(clauses, given, lock), ...);
        ordering<T> limited;
        if (force_limit) {
            if (given) limited = *given;
            limited.limit(*force_limit);
        }
        const ordering<T>* order = force_limit ? &limited : given;
        static const std::string head = "SELECT " + select_list() + " FROM " + detail::quoted(tbl::name) + " WHERE ";
        sql_builder b;
        b.sql.reserve(head.size() + 128);  // one allocation for the usual statement
        b.sql = head;
        where.render(b);
        if (order && !order->seek().empty()) {
            b << " AND ";
            order->seek().render(b);
        }
        if (order) order->render_tail(b);
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

    result run(const sql_builder& b) { return conn_->execute_params(b.sql, b.params); }

    // The masked members of obj as parameters of a cached text: no builder, no allocation.
    result run_masked(const std::string& sql, const T& obj, const mask& m) {
        bounded_params<N> p(conn_->encode_buffer());
        tbl::for_each_column([&](std::size_t i, auto d) {
            if (m[i]) p.add(obj.*d.pointer);
        });
        return conn_->run(sql, p.refs());
    }
    template <class K>
    result run_key(const std::string& sql, const K& key) {
        static_assert(tbl::key_count > 0, "pgorm: this table has no key: add key(&T::id) to PGORM_TABLE");
        static_assert(key_arity<K>() == tbl::key_count,
                      "pgorm: the key has the wrong number of parts; a composite key is a std::tuple in key order");
        bounded_params<tbl::key_count> p(conn_->encode_buffer());
        if constexpr (detail::is_std_tuple<K>) std::apply([&](const auto&... v) { (p.add(v), ...); }, key);
        else p.add(key);
        return conn_->run(sql, p.refs());
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

    // ---- keys
    template <class K>
    static constexpr std::size_t key_arity() {
        if constexpr (detail::is_std_tuple<K>) return std::tuple_size_v<K>;
        else return 1;
    }
    template <class K>
    static void render_key(sql_builder& b, const K& key) {
        static_assert(tbl::key_count > 0, "pgorm: this table has no key: add key(&T::id) to PGORM_TABLE");
        static_assert(key_arity<K>() == tbl::key_count,
                      "pgorm: the key has the wrong number of parts; a composite key is a std::tuple in key order");
        std::size_t part = 0;
        auto one = [&](const auto& v) {
            std::size_t col = key_column(part++);
            if (part > 1) b << " AND ";
            b.ident(tbl::columns[col]) << " = ";
            b.bind(v);
        };
        if constexpr (detail::is_std_tuple<K>) std::apply([&](const auto&... v) { (one(v), ...); }, key);
        else one(key);
    }
    static void render_key_of(sql_builder& b, const T& obj) {
        bool first = true;
        tbl::for_each_column([&](std::size_t i, auto d) {
            if (!tbl::is_key[i]) return;
            (b << (first ? "" : " AND ")).ident(d.name) << " = ";
            b.bind(obj.*d.pointer);
            first = false;
        });
    }
    // "k1" = $1 AND "k2" = $2: the text render_key writes, without values.
    static std::string key_condition() {
        std::string s;
        for (std::size_t i = 0, n = 0; i < N; ++i)
            if (tbl::is_key[i]) {
                s += (n ? " AND " : "") + detail::quoted(tbl::columns[i]) + " = $" + std::to_string(n + 1);
                ++n;
            }
        return s;
    }
    static std::size_t key_column(std::size_t part) {
        for (std::size_t i = 0, k = 0; i < N; ++i)
            if (tbl::is_key[i] && k++ == part) return i;
        return N;
    }
    template <class K>
    static std::string key_text(const K& key) {
        std::string s;
        std::size_t part = 0;
        auto one = [&](const auto& v) {
            if (part) s += " and ";
            s += std::string(tbl::columns[key_column(part++)]) + " = " + detail::describe_value(v);
        };
        if constexpr (detail::is_std_tuple<K>) std::apply([&](const auto&... v) { (one(v), ...); }, key);
        else one(key);
        return s;
    }
    static std::string key_text_of(const T& obj) {
        std::string s;
        tbl::for_each_column([&](std::size_t i, auto d) {
            if (!tbl::is_key[i]) return;
            s += (s.empty() ? "" : " and ") + std::string(d.name) + " = " + detail::describe_value(obj.*d.pointer);
        });
        return s;
    }

    // ---- inserts
    static mask insert_mask(const T& obj) {
        mask m{};
        tbl::for_each_column([&](std::size_t i, auto d) { m[i] = !tbl::has_default[i] || !detail::is_unset(obj.*d.pointer); });
        return m;
    }
    static void render_insert_head(sql_builder& b, const mask& m) {
        b << "INSERT INTO ";
        b.ident(tbl::name);
        bool any = false;
        for (bool x : m) any = any || x;
        if (!any) return;
        b << " (";
        bool first = true;
        for (std::size_t i = 0; i < N; ++i)
            if (m[i]) {
                (b << (first ? "" : ", ")).ident(tbl::columns[i]);
                first = false;
            }
        b << ")";
    }
    // The INSERT text depends only on which server-default columns are sent, so it is rendered
    // once per such mask and shared (tables with more than six default columns render per call).
    static constexpr std::size_t default_count = [] {
        std::size_t n = 0;
        for (bool d : tbl::has_default) n += d;
        return n;
    }();
    static constexpr bool cached_masks = default_count <= 6;
    static std::size_t mask_slot(const mask& m) {
        std::size_t slot = 0, bit = 0;
        for (std::size_t i = 0; i < N; ++i)
            if (tbl::has_default[i]) slot |= std::size_t{m[i]} << bit++;
        return slot;
    }
    static const std::string& insert_text(const mask& m, bool returning, std::string& spare) {
        auto render = [&] {
            sql_builder b;
            render_insert_head(b, m);
            std::size_t sent = 0;
            for (bool x : m) sent += x;
            if (sent == 0) {
                b << " DEFAULT VALUES";
            } else {
                b << " VALUES (";
                for (std::size_t k = 1; k <= sent; ++k) b << (k > 1 ? ", $" : "$") << std::to_string(k);
                b << ")";
            }
            if (returning) b << " RETURNING " << select_list();
            return std::move(b.sql);
        };
        if constexpr (cached_masks) {
            static detail::text_cache<(std::size_t{1} << default_count)> plain, with_row;
            return (returning ? with_row : plain).get(mask_slot(m), render);
        } else {
            spare = render();
            return spare;
        }
    }
    // " VALUES ($1, ...)" or, when every column is left to the server, " DEFAULT VALUES".
    static void render_values(sql_builder& b, const T& obj, const mask& m) {
        bool any = false;
        for (bool x : m) any = any || x;
        if (!any) {
            b << " DEFAULT VALUES";
            return;
        }
        b << " VALUES (";
        bind_masked(b, obj, m);
        b << ")";
    }
    static void bind_masked(sql_builder& b, const T& obj, const mask& m) {
        bool first = true;
        tbl::for_each_column([&](std::size_t i, auto d) {
            if (!m[i]) return;
            b << (first ? "" : ", ");
            b.bind(obj.*d.pointer);
            first = false;
        });
    }
    template <class Range>
    static std::vector<const T*> pointers(const Range& rows) {
        std::vector<const T*> all;
        if constexpr (std::ranges::sized_range<const Range>) all.reserve(std::ranges::size(rows));
        for (const T& r : rows) all.push_back(&r);
        return all;
    }
    // The union of the rows' masks; false when rows disagree (some set a default column, some not).
    static bool common_mask(const std::vector<const T*>& rows, mask& m) {
        m = insert_mask(*rows.front());
        bool uniform = true;
        for (const T* r : rows) {
            mask k = insert_mask(*r);
            for (std::size_t i = 0; i < N; ++i) {
                uniform = uniform && k[i] == m[i];
                m[i] = m[i] || k[i];
            }
        }
        return uniform;
    }

    // Multi-row INSERT statements of power-of-two sizes (so a connection caches at most a dozen
    // shapes per table), all sent in one pipeline: one round trip, one implicit transaction.
    // Outside a transaction the pipeline is its own implicit transaction, so a batch that met a
    // stale cached statement left nothing behind: it is sent once more (the cache entry is gone).
    // Inside one, stale_statement reaches the caller's retry policy.
    std::vector<result> multi_row_insert(const std::vector<const T*>& rows, bool returning) {
        if (conn_->transaction_status() != PQTRANS_IDLE) return multi_row_insert_once(rows, returning);
        try {
            return multi_row_insert_once(rows, returning);
        } catch (const stale_statement&) {
            return multi_row_insert_once(rows, returning);
        }
    }

    std::vector<result> multi_row_insert_once(const std::vector<const T*>& rows, bool returning) {
        mask m{};
        common_mask(rows, m);
        std::size_t width = 0;
        for (bool b : m) width += b;
        if (width == 0) {
            pipeline p{*conn_};
            for (std::size_t i = 0; i < rows.size(); ++i) {
                sql_builder b;
                b << "INSERT INTO ";
                b.ident(tbl::name) << " DEFAULT VALUES";
                if (returning) b << " RETURNING " << select_list();
                p.execute_params(b.sql, std::move(b.params));
            }
            return p.sync();
        }
        std::size_t max_rows = 1;
        while (max_rows * 2 <= 512 && max_rows * 2 * width <= 65535) max_rows *= 2;  // protocol: 65535 parameters
        pipeline p{*conn_};
        for (std::size_t at = 0; at < rows.size();) {
            std::size_t n = max_rows;
            while (n > rows.size() - at) n /= 2;
            sql_builder b;
            render_insert_head(b, m);
            b << " VALUES ";
            for (std::size_t k = 0; k < n; ++k) {
                b << (k ? ", (" : "(");
                const T& obj = *rows[at + k];
                bool first = true;
                tbl::for_each_column([&](std::size_t i, auto d) {
                    if (!m[i]) return;
                    b << (first ? "" : ", ");
                    first = false;
                    if (tbl::has_default[i] && detail::is_unset(obj.*d.pointer)) b << "DEFAULT";
                    else b.bind(obj.*d.pointer);
                });
                b << ")";
            }
            if (returning) b << " RETURNING " << select_list();
            p.execute_params(b.sql, std::move(b.params));
            at += n;
        }
        return p.sync();
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
