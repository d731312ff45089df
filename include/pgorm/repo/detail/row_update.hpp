#pragma once
// The UPDATE repository<T>::update(row) runs: every non-key column (server-default columns only
// when set) by the row's key, RETURNING the row. Shared with repository<T>::update_statement
// (repo/statements.hpp). Part of repository<T> (repo/repository.hpp, the header to include).

#include <pgorm/repo/detail/inserts.hpp>
#include <pgorm/repo/detail/keys.hpp>
#include <pgorm/repo/detail/reads.hpp>

#include <string>

namespace pgorm::detail {

template <class T>
struct repository_row_update {
    using tbl = usable_table_t<T>;
    static constexpr std::size_t N = tbl::column_count;
    using inserts = repository_inserts<T>;
    using mask = typename inserts::mask;

    /// The members an update of obj sends, in member order: the columns it sets (every non-key
    /// column; a server-default one only when set) and the key columns.
    static mask sent(const T& obj) {
        mask m = inserts::insert_mask(obj);
        for (std::size_t i = 0; i < N; ++i) m[i] = m[i] || tbl::is_key[i];
        return m;
    }

    /// The UPDATE ... WHERE key ... RETURNING text for the members `m` (from sent()) bound in
    /// member order: "$n" follows member order, so the key's placeholders need not come last.
    /// It depends only on which server-default columns are set, so it is rendered once per such
    /// mask and shared, as the INSERT's is (repository_inserts::insert_text).
    /// Throws usage_error when the row has no column to set (every column a key or an unset default).
    static const std::string& text(const mask& m, std::string& spare) {
        auto render = [&] {
            std::string set, where;
            std::size_t n = 0;
            for (std::size_t i = 0; i < N; ++i) {
                if (!m[i]) continue;
                std::string& to = tbl::is_key[i] ? where : set;
                if (!to.empty()) to += tbl::is_key[i] ? " AND " : ", ";
                to += quoted(tbl::columns[i]);
                to += " = $";
                to += std::to_string(++n);
            }
            if (set.empty()) throw usage_error("pgorm: update() of " + std::string(tbl::name) + " has no column to set");
            return "UPDATE " + quoted(tbl::name) + " SET " + set + " WHERE " + where + " RETURNING " +
                   repository_reads<T>::select_list();
        };
        if constexpr (inserts::cached_masks) {
            static text_cache<(std::size_t{1} << inserts::default_count)> texts;
            return texts.get(inserts::mask_slot(m), render);
        } else {
            spare = render();
            return spare;
        }
    }
};

}  // namespace pgorm::detail
