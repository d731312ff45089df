#pragma once
// The statement builder the repository layer renders into: SQL text with $n placeholders and the
// bound values beside it. Values never enter the text.

#include <pgorm/core/params.hpp>
#include <pgorm/reflect/table.hpp>
#include <pgorm/types/basic.hpp>  // a jsonb member brings its codec with its type (types/json.hpp)

#include <array>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace pgorm {

namespace detail {

/// A double-quoted SQL identifier ("a""b" for a"b). Used for the compile-time names of described
/// structs (table<T>); this is the rule PQescapeIdentifier applies, without needing a connection.
inline std::string quoted(std::string_view id) {
    std::string q;
    q.reserve(id.size() + 2);
    q.push_back('"');
    for (char c : id) {
        if (c == '"') q.push_back('"');
        q.push_back(c);
    }
    q.push_back('"');
    return q;
}

template <class M> struct unwrap_optional { using type = M; };
template <class M> struct unwrap_optional<std::optional<M>> { using type = M; };

/// The type a comparison value is bound as: the column's member type without std::optional, so a
/// literal 10 compared with a bigint column travels as bigint.
template <class M>
using column_value_t = typename unwrap_optional<M>::type;

/// How a value given by the caller is kept until the statement runs (C strings become std::string).
template <class V>
using stored_t = std::conditional_t<std::is_convertible_v<const V&, std::string_view> &&
                                        !std::is_same_v<std::remove_cvref_t<V>, std::string_view>,
                                    std::string, std::remove_cvref_t<V>>;

/// A short readable rendering of a key value for messages ("'usr_1'", "42", "(value)").
template <class V>
std::string describe_value(const V& v) {
    if constexpr (std::is_convertible_v<const V&, std::string_view>) return "'" + std::string(std::string_view(v)) + "'";
    else if constexpr (std::is_arithmetic_v<V>) return std::to_string(v);
    else return "(value)";
}

}  // namespace detail

/// SQL text plus its bound parameters, built piece by piece.
struct sql_builder {
    std::string sql;
    param_list params;
    /// When set, ident() writes "qualifier"."name": the query builder (query/) sets it to a table's
    /// name while a repository filter, whose identifiers are all columns of that one table, renders
    /// into a statement that reads several tables. Empty everywhere else.
    std::string_view qualifier;

    sql_builder& operator<<(std::string_view s) {
        sql += s;
        return *this;
    }
    /// Appends a quoted identifier.
    sql_builder& ident(std::string_view name) {
        if (!qualifier.empty()) [[unlikely]] {
            std::string_view q = std::exchange(qualifier, {});
            ident(q) << ".";
            qualifier = q;
        }
        if (name.find('"') != std::string_view::npos) {
            sql += detail::quoted(name);
            return *this;
        }
        sql.push_back('"');  // the usual name needs no doubling: append it without a temporary
        sql.append(name);
        sql.push_back('"');
        return *this;
    }
    /// Binds v and appends its placeholder.
    template <class V>
    sql_builder& bind(const V& v) {
        return placeholder(params.add(v));
    }
    /// Binds a value encoded ahead (a repository filter's) and appends its placeholder.
    sql_builder& bind_encoded(const detail::encoded_param& p) { return placeholder(params.add_encoded(p)); }
    /// Appends "$n" (n >= 1). Digits by hand: <charconv> would cost every translation unit more
    /// than this loop.
    sql_builder& placeholder(int n) {
        char digits[12];
        char* end = digits + sizeof digits;
        char* first = end;
        auto u = static_cast<unsigned>(n);
        do {
            *--first = static_cast<char>('0' + u % 10);
            u /= 10;
        } while (u != 0);
        sql.push_back('$');
        sql.append(first, end);
        return *this;
    }
};

namespace detail {

/// Statement texts that depend only on a small index (which columns an INSERT sends), rendered
/// once and then shared by every thread: a lookup is one acquire load. Two threads rendering the
/// same slot at once both succeed; one text is kept. The slots are plain pointers used through
/// GCC's atomic built-ins (which Clang has too) rather than std::atomic: <atomic> brings
/// <atomic_wait>'s mutex and <system_error> into every translation unit.
template <std::size_t Slots>
class text_cache {
public:
    text_cache() = default;
    text_cache(const text_cache&) = delete;
    text_cache& operator=(const text_cache&) = delete;
    ~text_cache() {
        for (const std::string* s : slots_) delete s;
    }

    template <class Render>
    const std::string& get(std::size_t slot, Render&& render) {
        if (const std::string* s = __atomic_load_n(&slots_[slot], __ATOMIC_ACQUIRE)) return *s;
        return publish(slot, render());
    }

private:
    const std::string& publish(std::size_t slot, std::string text) {
        auto* fresh = new std::string(std::move(text));
        const std::string* seen = nullptr;
        if (__atomic_compare_exchange_n(&slots_[slot], &seen, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return *fresh;
        delete fresh;
        return *seen;
    }
    std::array<const std::string*, Slots> slots_{};
};

}  // namespace detail

/// The quoted column of a described struct that a member pointer names; throws usage_error for a
/// member that BOOST_DESCRIBE_STRUCT does not list.
template <class T, class M>
std::string_view column_name_of(M T::*p) {
    std::size_t i = table<T>::index_of(p);
    if (i >= table<T>::column_count)
        throw usage_error("pgorm: a member of " + std::string(cpp_type_name<T>()) +
                          " is not listed in its BOOST_DESCRIBE_STRUCT, so it has no column");
    return table<T>::columns[i];
}

}  // namespace pgorm
