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

    /// Throws usage_error when the row has no column to set (every column a key or an unset default).
    static sql_builder render(const T& obj) {
        sql_builder b;
        b << "UPDATE ";
        b.ident(tbl::name) << " SET ";
        bool first = true;
        tbl::for_each_value(obj, [&](std::size_t i, const auto& v) {
            if (tbl::is_key[i] || (tbl::has_default[i] && is_unset(v))) return;
            (b << (first ? "" : ", ")).ident(tbl::columns[i]) << " = ";
            b.bind(v);
            first = false;
        });
        if (first) throw usage_error("pgorm: update() of " + std::string(tbl::name) + " has no column to set");
        b << " WHERE ";
        repository_keys<T>::render_key_of(b, obj);
        b << " RETURNING " << repository_reads<T>::select_list();
        return b;
    }
};

}  // namespace pgorm::detail
