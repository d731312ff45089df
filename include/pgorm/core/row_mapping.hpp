#pragma once
// Row mapping: the one way pgorm reads result rows into C++ values. The connection
// (query, query_one), result::as / one, the repository, streaming and the code pgorm-gen writes
// all read through row_mapper<T>.
//
//   - a type with a codec is a single value: one column;
//   - a described struct (BOOST_DESCRIBE_STRUCT) is matched by column name (match::by_name), or
//     by position when the caller wrote the select list itself (match::by_position: the
//     repository, generated code); by position, a member that is itself a described struct
//     without a codec (or std::optional of one) is an embedded table reading one column per
//     member of its own, and std::nullopt when all of those are NULL (an outer join's no-match);
//   - a std::tuple / std::pair or a plain aggregate (Boost.PFR) is matched by position.
//
// The columns are looked up and their types checked once per result, and every problem found is
// reported together in one exception: column_mismatch when a column is missing, unused or the
// count is wrong, type_mismatch when only types disagree. A NULL met in a non-optional member
// throws unexpected_null naming every such member of that row.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/reflect/table.hpp>
#include <pgorm/types/codec.hpp>
#include <pgorm/types/optional.hpp>  // NULL columns read into std::optional: its codec must be visible

#include <boost/pfr/core.hpp>
#include <libpq-fe.h>

#include <array>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {
template <class T> inline constexpr bool is_tuple = false;
template <class... A> inline constexpr bool is_tuple<std::tuple<A...>> = true;
template <class A, class B> inline constexpr bool is_tuple<std::pair<A, B>> = true;

/// A struct member read as an embedded table (by position only): a described struct without a
/// codec, or std::optional of one. Checked before has_codec, which std::optional<U> would fail hard.
template <class M> struct embedded_table : std::false_type { using type = M; static constexpr bool optional = false; };
template <class M>
    requires(described_struct<M> && !has_codec<M>)
struct embedded_table<M> : std::true_type { using type = M; static constexpr bool optional = false; };
template <class U>
    requires(described_struct<U> && !has_codec<U>)
struct embedded_table<std::optional<U>> : std::true_type { using type = U; static constexpr bool optional = true; };
}  // namespace detail

/// How a C++ type takes a row: one value, by member name, or by position.
template <class T>
concept single_value = !detail::embedded_table<T>::value && has_codec<T>;
template <class T>
concept named_row = !single_value<T> && described_struct<T>;
template <class T>
concept positional_row = !single_value<T> && !described_struct<T> &&
                         (detail::is_tuple<T> || (std::is_aggregate_v<T> && std::is_class_v<T>));
template <class T>
concept row_type = single_value<T> || named_row<T> || positional_row<T>;

// ---------------------------------------------------------------- owning row types

namespace detail {
// False for types that point into memory they do not own: read from a result, they would point
// into the PGresult, which the calls returning rows free before they return.
template <class T, class = void> struct owns_data : std::true_type {};
template <class C, class Tr> struct owns_data<std::basic_string_view<C, Tr>> : std::false_type {};
template <class E, std::size_t N> struct owns_data<std::span<E, N>> : std::false_type {};
template <class P> struct owns_data<P*> : std::false_type {};
template <class U> struct owns_data<std::optional<U>> : owns_data<U> {};
template <class U, class A> struct owns_data<std::vector<U, A>> : owns_data<U> {};
template <class... A> struct owns_data<std::tuple<A...>> : std::bool_constant<(owns_data<A>::value && ...)> {};
template <class A, class B> struct owns_data<std::pair<A, B>> : std::bool_constant<owns_data<A>::value && owns_data<B>::value> {};

template <class T>
constexpr bool members_own_data() {
    if constexpr (described_struct<T> && !has_codec<T>) {
        bool all = true;
        reflect::for_each_member_type<T>([&](auto m, std::string_view) {
            all = all && owns_data<typename decltype(m)::type>::value;
        });
        return all;
    } else if constexpr (std::is_aggregate_v<T> && std::is_class_v<T> && !has_codec<T>) {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return (owns_data<boost::pfr::tuple_element_t<I, T>>::value && ...);
        }(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
    } else {
        return true;
    }
}
template <class T>
    requires(!std::is_pointer_v<T> && !is_tuple<T> && ((described_struct<T> && !has_codec<T>) ||
                                                      (std::is_aggregate_v<T> && std::is_class_v<T> && !has_codec<T>)))
struct owns_data<T, void> : std::bool_constant<members_own_data<T>()> {};

/// `owned_row_required<T>::value` is true when rows read into T own their data; when false,
/// instantiating it is one compile error that says what to use instead.
template <class T>
struct owned_row_required {
    static constexpr bool value = owns_data<T>::value;
    static_assert(value,
                  "pgorm: this row type holds a view (std::string_view, std::span or a pointer, named in "
                  "'owned_row_required<...>' above), which would point into a result freed before the call "
                  "returns: use std::string for text and std::vector<std::byte> for bytea, or keep the "
                  "pgorm::result (connection::execute) and read views from it while it lives");
};
}  // namespace detail

/// True when rows read into T own their data (no std::string_view, std::span or pointer inside),
/// so T can outlive the result it was read from.
template <class T>
concept owning_row = detail::owns_data<T>::value;

// ---------------------------------------------------------------- single fields

namespace detail {

/// Whether column `col` can be read as T: the check every read runs, building no message.
template <class T>
bool column_fits(const PGresult* r, int col) noexcept {
    if constexpr (!codec_required<T>::value) return true;
    else if (PQfformat(r, col) == 0) return codec<T>::accepts(oid::text);  // simple protocol: text as is
    else return codec<T>::accepts(PQftype(r, col));
}

/// Why column `col` cannot be read as a C++ type (named `cpp_type`, SQL name `sql_name`): the
/// message of column_problem, in one non-template function rather than one per type
/// (core/impl/row_mapping.ipp).
[[gnu::cold]] PGORM_DECL std::string column_problem_text(const PGresult* r, int col, std::string_view cpp_type,
                                                         std::string_view sql_name);

/// Empty when column `col` can be read as T, else why not. Callers test column_fits first: this
/// one builds the message.
template <class T>
[[gnu::cold]] std::string column_problem(const PGresult* r, int col) {
    if constexpr (!codec_required<T>::value) {
        return {};
    } else {
        if (column_fits<T>(r, col)) return {};
        constexpr std::string_view type_name = cpp_type_name<T>();  // evaluated here, not emitted per type
        return column_problem_text(r, col, type_name, codec<T>::sql_name);
    }
}

/// Decodes one field of type `type` into out. A NULL into a non-nullable T calls on_null()
/// (which throws); value_out_of_range gains the column's name.
template <class T, class OnNull>
inline void decode_field(const PGresult* r, int row, int col, oid_t type, T& out, OnNull&& on_null) {
    if constexpr (codec_required<T>::value) {
        int length = PQgetlength(r, row, col);
        // Only an empty value can be NULL, so most fields skip the PQgetisnull call.
        if (length == 0 && PQgetisnull(r, row, col)) {
            if constexpr (nullable_value<T>) codec<T>::set_null(out);
            else on_null();
            return;
        }
        try {
            codec<T>::decode({PQgetvalue(r, row, col), static_cast<std::size_t>(length)}, type, out);
        } catch (const value_out_of_range& e) {
            // Thrown here, not from an out-of-line helper: g++ -O3 then keeps inlining the per-member
            // read loop into the caller (W3: 4 % more instructions per row otherwise).
            throw value_out_of_range(std::string(e.what()) + " (column \"" + PQfname(r, col) + "\")");
        }
    }
}

/// "column "c" [of table t] is NULL, but member m (type) is not std::optional".
[[gnu::cold]] PGORM_DECL std::string null_problem(const PGresult* r, int col, std::string_view table,
                                                  std::string_view member, std::string_view cpp_type);

// ---------------------------------------------------------------- the shape of a row type

/// What the mapper knows of each column it reads (a leaf: one value with a codec).
struct leaf_info {
    std::string_view name;      // member name, or empty for tuple / aggregate fields
    std::string_view cpp_type;  // for messages
    bool nullable = false;
    int group_begin = -1, group_end = -1;  // the optional embedded table it is in: [begin, end)
};

template <class T> constexpr std::size_t leaf_count(bool by_name);

template <class M>
constexpr std::size_t field_width(bool by_name) {
    if constexpr (detail::embedded_table<M>::value) return by_name ? 1 : leaf_count<typename embedded_table<M>::type>(false);
    else return 1;
}

/// Calls f(std::type_identity<M>{}, name) for each field of T, in order.
template <class T, class F>
constexpr void for_each_field_type(F&& f) {
    if constexpr (described_struct<T>) {
        reflect::for_each_member_type<T>(f);
    } else if constexpr (is_tuple<T>) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::type_identity<std::tuple_element_t<I, T>>{}, std::string_view{}), ...);
        }(std::make_index_sequence<std::tuple_size_v<T>>{});
    } else {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::type_identity<boost::pfr::tuple_element_t<I, T>>{}, std::string_view{}), ...);
        }(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
    }
}

/// Calls f(index, field) for each field of obj, in order. For a described struct f is
/// instantiated once per member: the row-reading hot path, where one instantiation per member
/// type (reflect::for_each_member_value) compiled faster but cost W3 3 % more instructions per row.
template <class T, class F>
inline void for_each_field(T& obj, F&& f) {
    if constexpr (described_struct<T>) {
        reflect::for_each_member<T>([&](std::size_t i, auto d) { f(i, obj.*d.pointer); });
    } else if constexpr (is_tuple<T>) {
        std::apply([&](auto&... v) {
            std::size_t i = 0;
            (f(i++, v), ...);
        }, obj);
    } else {
        boost::pfr::for_each_field(obj, [&](auto& v, std::size_t i) { f(i, v); });
    }
}

template <class T>
constexpr std::size_t leaf_count(bool by_name) {
    if constexpr (single_value<T>) {
        return 1;
    } else {
        std::size_t n = 0;
        for_each_field_type<T>([&](auto m, std::string_view) { n += field_width<typename decltype(m)::type>(by_name); });
        return n;
    }
}

template <class M>
constexpr bool is_nullable_leaf() {
    if constexpr (embedded_table<M>::value) return false;  // std::optional<U> without codec<U>: no has_codec
    else if constexpr (has_codec<M>) return nullable_value<M>;
    else return false;
}

template <class T, std::size_t N>
constexpr void collect_leaves(bool by_name, std::array<leaf_info, N>& out, std::size_t& k, int group_begin,
                              int group_end) {
    for_each_field_type<T>([&](auto m, std::string_view name) {
        using M = typename decltype(m)::type;
        if constexpr (embedded_table<M>::value) {
            if (!by_name) {
                using E = typename embedded_table<M>::type;
                int begin = static_cast<int>(k), end = begin + static_cast<int>(leaf_count<E>(false));
                if (embedded_table<M>::optional) collect_leaves<E>(false, out, k, begin, end);
                else collect_leaves<E>(false, out, k, group_begin, group_end);
                return;
            }
        }
        out[k++] = {name, cpp_type_name<M>(), is_nullable_leaf<M>(), group_begin, group_end};
    });
}

template <class T, bool ByName>
constexpr auto leaves() {
    std::array<leaf_info, leaf_count<T>(ByName)> out{};
    if constexpr (single_value<T>) {
        out[0] = {{}, cpp_type_name<T>(), is_nullable_leaf<T>(), -1, -1};
    } else {
        std::size_t k = 0;
        collect_leaves<T>(ByName, out, k, -1, -1);
    }
    return out;
}

}  // namespace detail

/// How a described struct's members find their columns.
enum class match { by_name, by_position };

/// What a caller tells the mapper beyond the result: where the row's columns start, how many
/// more the caller reads itself, and how to name the statement in messages.
struct mapping_options {
    int first_column = 0;
    int extra_columns = 0;             // columns after the row's own, read by the caller (by position only)
    std::string_view statement = {};   // "query <name>: " in messages (generated code)
    std::string_view hint = {};        // appended to column and type problems
};

namespace detail {
// The row mapper's work that does not depend on the row type, compiled once per translation unit
// instead of once per T (docs/performance.md, "Instantiation cost of the repository TU").

/// Whether every column [from, from + n) of `columns` is NULL in this row.
inline bool all_null(const PGresult* r, int row, const int* columns, std::size_t from, std::size_t n) noexcept {
    for (std::size_t i = from; i < from + n; ++i)
        if (!PQgetisnull(r, row, columns[i])) return false;
    return true;
}

/// The first result column named exactly `name`, or -1. (PQfnumber folds unquoted names to
/// lower case; member names are matched exactly.)
PGORM_DECL int find_column_exact(const PGresult* r, const char* name) noexcept;

/// The problems row_mapper::look_up finds in one result, gathered so that one exception lists them
/// all. Its messages are built out of line (core/impl/row_mapping.ipp), only when a result does
/// not fit, and it holds them as one text, so that no std::vector<std::string> code is compiled
/// for it in each translation unit.
class row_problems {
public:
    bool empty() const noexcept { return count_ == 0; }
    /// "struct S has member "m" but the result has no column "m" (columns: ...)".
    [[gnu::cold]] void add_missing_column(const PGresult* r, std::string_view cpp_type, const char* name);
    /// "result column "c" has no member in struct S".
    [[gnu::cold]] void add_unused_column(const PGresult* r, int col, std::string_view cpp_type);
    /// The result has `count` columns where `expected` are read.
    [[gnu::cold]] void add_column_count(int count, int expected, const mapping_options& o, std::string_view cpp_type);
    /// Why column `col` cannot be read as the C++ type `cpp_type` (SQL name `sql_name`).
    [[gnu::cold]] void add_type_problem(const PGresult* r, int col, std::string_view cpp_type, std::string_view sql_name);
    /// Throws column_mismatch (shape problems) or type_mismatch listing every problem.
    [[noreturn, gnu::cold]] void raise(bool shape, const mapping_options& o, std::string_view cpp_type) const;

private:
    void add(const std::string& problem);
    std::string text_;  // the problems, "; "-separated
    std::size_t count_ = 0;
};

/// Throws unexpected_null naming every leaf of this row that is NULL but cannot be (outside an
/// all-NULL optional embedded table).
/// `leaves` and `columns` have `count` elements (a pointer and a count, not a std::span: its
/// converting constructor costs each row type more to compile than the call it serves).
[[noreturn, gnu::cold]] PGORM_DECL void throw_row_nulls(const PGresult* r, int row, const leaf_info* leaves,
                                                        std::size_t count, const int* columns, std::string_view table);

}  // namespace detail

/// Maps the rows of one result onto T (see the top of this file); the column lookup and checks
/// run once, at construction, and throw one exception listing every problem.
///
/// Lifetime: holds a pointer to the PGresult; it must outlive the mapper (or rebind()).
/// Thread safety: none needed; it is read-only after construction but the result it reads is not
/// synchronised, so use one per thread.
template <class T, match How = (named_row<T> ? match::by_name : match::by_position)>
class row_mapper {
    static_assert(row_type<T>, "pgorm: rows are read into a type with a codec, a described struct, a std::tuple or "
                               "a plain aggregate");
    static constexpr bool by_name = named_row<T> && How == match::by_name;
    static constexpr auto leaves_ = detail::leaves<T, by_name>();
    static constexpr std::size_t width = leaves_.size();
    static constexpr std::string_view type_name_ = cpp_type_name<T>();

public:
    explicit row_mapper(const PGresult* r, const mapping_options& o = {}) : r_(r), opt_(o) { look_up(); }

    /// Reads from another result of the same statement (single-row streaming) without checking again.
    void rebind(const PGresult* r) noexcept { r_ = r; }

    /// Decodes row `row` into out; throws unexpected_null (naming every NULL that a non-optional
    /// member of this row meets), value_out_of_range or decode_error.
    void read(int row, T& out) const {
        if constexpr (single_value<T>) {
            detail::decode_field(r_, row, column_[0], type_[0], out, [&] { throw_nulls(row); });
        } else {
            std::size_t k = 0;
            read_fields(row, out, k);
        }
    }
    T read(int row) const {
        T v{};
        read(row, v);
        return v;
    }

private:
    static constexpr std::string_view table_name() {
        if constexpr (named_row<T> && reflect::has_table_spec<T>) return table<T>::name;
        else return {};
    }

    template <class U>
    void read_fields(int row, U& out, std::size_t& k) const {
        detail::for_each_field(out, [&](std::size_t, auto& f) {
            using M = std::remove_cvref_t<decltype(f)>;
            if constexpr (detail::embedded_table<M>::value && !by_name) {
                if constexpr (detail::embedded_table<M>::optional) {
                    constexpr std::size_t n = detail::leaf_count<typename detail::embedded_table<M>::type>(false);
                    if (detail::all_null(r_, row, column_.data(), k, n)) {
                        f.reset();
                        k += n;
                    } else {
                        read_fields(row, f.emplace(), k);
                    }
                } else {
                    read_fields(row, f, k);
                }
            } else {
                std::size_t i = k++;
                detail::decode_field(r_, row, column_[i], type_[i], f, [&] { throw_nulls(row); });
            }
        });
    }

    void look_up() {
        detail::row_problems problems;
        bool shape = false;
        int columns = PQnfields(r_);
        if constexpr (by_name) {
            // A result column name is at most 63 bytes (the server truncates longer ones), so a
            // longer member name could never match.
            static_assert(reflect::member_names_fit<T>,
                          "pgorm: a member name of this struct is longer than PostgreSQL's 63-byte identifier limit "
                          "(NAMEDATALEN-1), so no result column can carry it (the server truncates column names). "
                          "Shorten the member (reflect::first_overlong_member<T>() is its index).");
            std::array<bool, 1664> used{};  // PostgreSQL allows at most 1664 result columns
            for (std::size_t i = 0; i < width; ++i) {
                // Usually the SELECT lists the members in order: try that column before searching.
                int c = static_cast<int>(i);
                const char* name = leaves_[i].name.data();  // described names are NUL-terminated literals
                if (c >= columns || std::strcmp(PQfname(r_, c), name) != 0) c = detail::find_column_exact(r_, name);
                column_[i] = c;
                if (c < 0) {
                    shape = true;
                    problems.add_missing_column(r_, type_name_, name);
                } else if (static_cast<std::size_t>(c) < used.size()) {
                    used[static_cast<std::size_t>(c)] = true;
                }
            }
            for (int c = 0; c < columns && c < static_cast<int>(used.size()); ++c)
                if (!used[static_cast<std::size_t>(c)]) {
                    shape = true;
                    problems.add_unused_column(r_, c, type_name_);
                }
        } else {
            int expected = opt_.first_column + static_cast<int>(width) + opt_.extra_columns;
            if (columns != expected) {
                shape = true;
                problems.add_column_count(columns, expected, opt_, type_name_);
            }
            for (std::size_t i = 0; i < width; ++i) column_[i] = opt_.first_column + static_cast<int>(i);
        }
        if (!shape || by_name) check_types(problems);
        if (!problems.empty()) [[unlikely]]
            problems.raise(shape, opt_, type_name_);
        for (std::size_t i = 0; i < width; ++i) type_[i] = column_[i] >= 0 ? PQftype(r_, column_[i]) : 0;
    }

    void check_types(detail::row_problems& problems) const {
        std::size_t k = 0;
        auto check = [&](auto m) {
            using M = typename decltype(m)::type;
            int c = column_[k++];
            if (c < 0) return;
            if constexpr (detail::codec_required<M>::value) {
                if (!detail::column_fits<M>(r_, c)) [[unlikely]] {
                    constexpr std::string_view type_name = cpp_type_name<M>();  // evaluated here, not emitted
                    problems.add_type_problem(r_, c, type_name, codec<M>::sql_name);
                }
            }
        };
        if constexpr (single_value<T>) check(std::type_identity<T>{});
        else check_field_types<T>(check);
    }
    template <class U, class F>
    static void check_field_types(F& check) {
        detail::for_each_field_type<U>([&](auto m, std::string_view) {
            using M = typename decltype(m)::type;
            if constexpr (detail::embedded_table<M>::value && !by_name) check_field_types<typename detail::embedded_table<M>::type>(check);
            else check(m);
        });
    }

    [[noreturn, gnu::cold, gnu::noinline]] void throw_nulls(int row) const {
        detail::throw_row_nulls(r_, row, leaves_.data(), leaves_.size(), column_.data(), table_name());
    }

    const PGresult* r_;
    mapping_options opt_;
    std::array<int, width> column_{};
    std::array<oid_t, width> type_{};  // column types, looked up once
};

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/impl/row_mapping.ipp>
#endif
