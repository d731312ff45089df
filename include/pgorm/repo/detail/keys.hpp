#pragma once
// The keys of repository<T>: WHERE conditions on the primary key, from a key value (a
// std::tuple in key order for a composite key) or from a row, and their text for messages.
// Part of repository<T> (repo/repository.hpp, the header to include); T's table is
// detail::usable_table_t<T>.

#include <pgorm/repo/detail/reads.hpp>

#include <string>
#include <tuple>

namespace pgorm::detail {

template <class X> inline constexpr bool is_std_tuple = false;
template <class... A> inline constexpr bool is_std_tuple<std::tuple<A...>> = true;

template <class T>
struct repository_keys {
    using tbl = usable_table_t<T>;
    static constexpr std::size_t N = tbl::column_count;

    template <class K>
    static constexpr std::size_t key_arity() {
        if constexpr (is_std_tuple<K>) return std::tuple_size_v<K>;
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
        if constexpr (is_std_tuple<K>) std::apply([&](const auto&... v) { (one(v), ...); }, key);
        else one(key);
    }
    static void render_key_of(sql_builder& b, const T& obj) {
        bool first = true;
        for_each_key_value(obj, [&](std::size_t i, const auto& v) {
            (b << (first ? "" : " AND ")).ident(tbl::columns[i]) << " = ";
            b.bind(v);
            first = false;
        });
    }
    // "k1" = $1 AND "k2" = $2: the text render_key writes, without values.
    static std::string key_condition() {
        std::string s;
        for (std::size_t i = 0, n = 0; i < N; ++i)
            if (tbl::is_key[i]) {
                s += (n ? " AND " : "") + quoted(tbl::columns[i]) + " = $" + std::to_string(n + 1);
                ++n;
            }
        return s;
    }
    // The texts get() and remove(key) run, rendered once per table (also repo/statements.hpp's).
    static const std::string& select_by_key_text() {
        static const std::string text = "SELECT " + repository_reads<T>::select_list() + " FROM " +
                                        quoted(tbl::name) + " WHERE " + key_condition();
        return text;
    }
    static const std::string& delete_by_key_text() {
        static const std::string text = "DELETE FROM " + quoted(tbl::name) + " WHERE " + key_condition();
        return text;
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
            s += std::string(tbl::columns[key_column(part++)]) + " = " + describe_value(v);
        };
        if constexpr (is_std_tuple<K>) std::apply([&](const auto&... v) { (one(v), ...); }, key);
        else one(key);
        return s;
    }
    static std::string key_text_of(const T& obj) {
        std::string s;
        for_each_key_value(obj, [&](std::size_t i, const auto& v) {
            s += (s.empty() ? "" : " and ") + std::string(tbl::columns[i]) + " = " + describe_value(v);
        });
        return s;
    }

    // The key columns' indexes, in member order.
    static constexpr auto key_columns = [] {
        std::array<std::size_t, tbl::key_count> k{};
        for (std::size_t i = 0, n = 0; i < N; ++i)
            if (tbl::is_key[i]) k[n++] = i;
        return k;
    }();
    // Calls f(column index, obj.*member) for the key members only, so that nothing is
    // instantiated for the other members.
    template <class F>
    static void for_each_key_value(const T& obj, F&& f) {
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (f(key_columns[K], obj.*boost::mp11::mp_at_c<reflect::members_of<T>, key_columns[K]>::pointer), ...);
        }(std::make_index_sequence<tbl::key_count>{});
    }

};

}  // namespace pgorm::detail
