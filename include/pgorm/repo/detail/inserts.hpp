#pragma once
// The inserts of repository<T>: which server-default columns a row sends (its mask), the INSERT
// texts cached per mask, and multi-row INSERTs sent in one pipeline.
// Part of repository<T> (repo/repository.hpp, the header to include); T's table is
// detail::usable_table_t<T>.

#include <pgorm/core/pipeline.hpp>
#include <pgorm/repo/detail/reads.hpp>

#include <array>
#include <string>
#include <type_traits>
#include <vector>

namespace pgorm::detail {

/// True when a server-default member still holds its value-initialised state (so INSERT omits it).
template <class M>
bool is_unset(const M& v) {
    if constexpr (nullable_value<M>) return codec<M>::is_null(v);
    else if constexpr (std::equality_comparable<M>) return v == M{};
    else return true;
}

template <class T>
struct repository_inserts {
    using tbl = usable_table_t<T>;
    static constexpr std::size_t N = tbl::column_count;
    using mask = std::array<bool, N>;
    using reads = repository_reads<T>;

    static mask insert_mask(const T& obj) {
        mask m{};
        tbl::for_each_value(obj, [&](std::size_t i, const auto& v) { m[i] = !tbl::has_default[i] || !is_unset(v); });
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
            if (returning) b << " RETURNING " << reads::select_list();
            return std::move(b.sql);
        };
        if constexpr (cached_masks) {
            static text_cache<(std::size_t{1} << default_count)> plain, with_row;
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
        tbl::for_each_value(obj, [&](std::size_t i, const auto& v) {
            if (!m[i]) return;
            b << (first ? "" : ", ");
            b.bind(v);
            first = false;
        });
    }
    template <class Range>
    static std::vector<const T*> pointers(const Range& rows) {
        std::vector<const T*> all;
        // Reserves when the range knows its size (without <ranges>: it costs every TU ~0.2 s).
        if constexpr (requires { rows.size(); }) all.reserve(static_cast<std::size_t>(rows.size()));
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
    static std::vector<result> multi_row_insert(connection& c, const std::vector<const T*>& rows, bool returning) {
        if (c.transaction_status() != PQTRANS_IDLE) return multi_row_insert_once(c, rows, returning);
        try {
            return multi_row_insert_once(c, rows, returning);
        } catch (const stale_statement&) {
            return multi_row_insert_once(c, rows, returning);
        }
    }

    static std::vector<result> multi_row_insert_once(connection& c, const std::vector<const T*>& rows, bool returning) {
        mask m{};
        common_mask(rows, m);
        std::size_t width = 0;
        for (bool b : m) width += b;
        if (width == 0) {
            pipeline p{c};
            for (std::size_t i = 0; i < rows.size(); ++i) {
                sql_builder b;
                b << "INSERT INTO ";
                b.ident(tbl::name) << " DEFAULT VALUES";
                if (returning) b << " RETURNING " << reads::select_list();
                p.execute(b.sql, std::move(b.params));
            }
            return p.sync();
        }
        std::size_t max_rows = 1;
        while (max_rows * 2 <= 512 && max_rows * 2 * width <= 65535) max_rows *= 2;  // protocol: 65535 parameters
        pipeline p{c};
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
                tbl::for_each_value(obj, [&](std::size_t i, const auto& v) {
                    if (!m[i]) return;
                    b << (first ? "" : ", ");
                    first = false;
                    if (tbl::has_default[i] && is_unset(v)) b << "DEFAULT";
                    else b.bind(v);
                });
                b << ")";
            }
            if (returning) b << " RETURNING " << reads::select_list();
            p.execute(b.sql, std::move(b.params));
            at += n;
        }
        return p.sync();
    }

};

}  // namespace pgorm::detail
