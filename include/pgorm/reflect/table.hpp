#pragma once
// table<T>: the compile-time description of a struct mapped to a table.
//
// Column names come from Boost.Describe; the table name, primary key and server-default
// columns come from one PGORM_TABLE declaration beside the struct (in the struct's namespace):
//
//   struct User { std::string user_id; std::string email; pgorm::timestamptz created_at; };
//   BOOST_DESCRIBE_STRUCT(User, (), (user_id, email, created_at))
//   PGORM_TABLE(User, "users", key(&User::user_id), defaults(&User::user_id, &User::created_at));
//
// `defaults` lists columns the server fills (generated ids, now()): INSERT leaves them out and
// RETURNING reads them back. A composite key is key(&T::a, &T::b).
//
// Table and member names are SQL identifiers, so each must fit PostgreSQL's 63 bytes
// (reflect/identifier.hpp); a longer one fails to compile.

#include <pgorm/reflect/identifier.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace pgorm {

/// True when T has BOOST_DESCRIBE_STRUCT (public members).
template <class T>
concept described_struct = boost::describe::has_describe_members<T>::value;

namespace reflect {

template <class T>
using members_of = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <class T>
inline constexpr std::size_t member_count = boost::mp11::mp_size<members_of<T>>::value;

namespace detail {
template <class P>
constexpr bool same_member(P a, P b) { return a == b; }
template <class P, class Q>
constexpr bool same_member(P, Q) { return false; }  // members of different types

template <class P> struct member_type;
template <class M, class C> struct member_type<M C::*> { using type = M; };

// Pack expansions over the descriptor list instead of mp11::mp_for_each: no helper template is
// instantiated per member (docs/performance.md, "Instantiation cost of the repository TU").
template <class List> struct member_pack;
template <template <class...> class List, class... D>
struct member_pack<List<D...>> {
    template <class Obj, class F>
    static constexpr void each_value(Obj& obj, F& f) {
        std::size_t i = 0;
        (f(i++, obj.*D::pointer), ...);
    }
    // The index of the member p points to, or sizeof...(D) when none does.
    template <class P>
    static constexpr std::size_t index_of(P p) {
        std::size_t i = 0, found = sizeof...(D);
        ((same_member(D::pointer, p) ? (void)(found = i) : void(), ++i), ...);
        return found;
    }
    template <class F>
    static constexpr void each_type(F& f) {
        (f(std::type_identity<std::remove_cv_t<typename member_type<std::remove_cv_t<decltype(D::pointer)>>::type>>{},
           std::string_view(D::name)),
         ...);
    }
};
}  // namespace detail

/// Calls f(index, descriptor) for every described member, in declaration order. f is
/// instantiated once per member; for_each_member_value and for_each_member_type instantiate
/// theirs once per member *type*, which is cheaper to compile. This one stays on mp_for_each:
/// row_mapper reads through it, and g++ -O2 inlines that form into the row loop, where a pack
/// expansion's function was left out of line (W3: 4 % more instructions per row).
template <class T, class F>
constexpr void for_each_member(F&& f) {
    std::size_t i = 0;
    boost::mp11::mp_for_each<members_of<T>>([&](auto d) { f(i++, d); });
}

/// Calls f(index, obj.*member) for every described member of obj (T or const T), in declaration order.
template <class T, class F>
constexpr void for_each_member_value(T& obj, F&& f) {
    detail::member_pack<members_of<std::remove_const_t<T>>>::each_value(obj, f);
}

/// Calls f(std::type_identity<M>{}, name) for every described member of T (M without cv or
/// reference; name a NUL-terminated literal), in declaration order.
template <class T, class F>
constexpr void for_each_member_type(F&& f) {
    detail::member_pack<members_of<T>>::each_type(f);
}

// ---- the PGORM_TABLE option vocabulary ----
template <class... P>
struct key_option { std::tuple<P...> members; };
template <class... P>
struct defaults_option { std::tuple<P...> members; };

namespace options {
template <class... P> constexpr key_option<P...> key(P... p) { return {{p...}}; }
template <class... P> constexpr defaults_option<P...> defaults(P... p) { return {{p...}}; }
}  // namespace options

template <class... Opts>
struct table_spec {
    std::string_view name;
    std::tuple<Opts...> opts;
    constexpr explicit table_spec(std::string_view n, Opts... o) : name(n), opts(o...) {}
};

/// Found by argument-dependent lookup: PGORM_TABLE defines pgorm_table_spec(T*) next to T.
template <class T>
concept has_table_spec = requires { pgorm_table_spec(static_cast<T*>(nullptr)); };

template <class T, class M>
constexpr std::size_t index_of_member(M T::*p) {
    return detail::member_pack<members_of<T>>::index_of(p);
}

template <class P, class T>
inline constexpr bool is_member_of = false;
template <class M, class T>
inline constexpr bool is_member_of<M T::*, T> = true;

template <class T, class Tuple>
inline constexpr bool all_members_of = false;
template <class T, class... P>
inline constexpr bool all_members_of<T, std::tuple<P...>> = (is_member_of<P, T> && ...);

template <class T, class Option>
constexpr std::array<bool, member_count<T>> mark(const Option& opt) {
    constexpr bool own = all_members_of<T, decltype(opt.members)>;
    static_assert(own, "pgorm: PGORM_TABLE's key(...) and defaults(...) must name members of the table's own struct");
    std::array<bool, member_count<T>> marks{};
    if constexpr (own)  // else the assertion above is the only error
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((marks[index_of_member<T>(std::get<I>(opt.members))] = true), ...);
        }(std::make_index_sequence<std::tuple_size_v<decltype(opt.members)>>{});
    return marks;
}

template <template <class...> class Which, class X>
inline constexpr bool is_instance = false;
template <template <class...> class Which, class... P>
inline constexpr bool is_instance<Which, Which<P...>> = true;

/// Marks of the option `Which` among a spec's options (all false when it is absent).
template <class T, template <class...> class Which, class Spec>
constexpr std::array<bool, member_count<T>> marks_of(const Spec& spec) {
    std::array<bool, member_count<T>> marks{};
    auto one = [&](const auto& o) {
        if constexpr (is_instance<Which, std::remove_cvref_t<decltype(o)>>) {
            auto m = mark<T>(o);
            for (std::size_t i = 0; i < marks.size(); ++i) marks[i] = marks[i] || m[i];
        }
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (one(std::get<I>(spec.opts)), ...);
    }(std::make_index_sequence<std::tuple_size_v<decltype(spec.opts)>>{});
    return marks;
}

/// The index of the first described member whose name is over PostgreSQL's 63-byte identifier
/// limit, or member_count<T> when every name fits.
template <class T>
constexpr std::size_t first_overlong_member() {
    std::size_t found = member_count<T>, i = 0;
    for_each_member_type<T>([&](auto, std::string_view name) {
        if (found == member_count<T> && !fits_identifier_limit(name)) found = i;
        ++i;
    });
    return found;
}

/// True when every described member name of T fits PostgreSQL's 63-byte identifier limit. A
/// static_assert on it names T in the diagnostic and first_overlong_member<T>() gives the index.
template <class T>
inline constexpr bool member_names_fit = first_overlong_member<T>() == member_count<T>;

template <class T>
constexpr std::array<std::string_view, member_count<T>> column_names() {
    std::array<std::string_view, member_count<T>> names{};
    std::size_t i = 0;
    for_each_member_type<T>([&](auto, std::string_view name) { names[i++] = name; });
    return names;
}

}  // namespace reflect

namespace reflect {

/// True when T has both BOOST_DESCRIBE_STRUCT and PGORM_TABLE.
template <class T>
concept mapped_struct = described_struct<T> && has_table_spec<T>;

/// The columns, key and defaults of a mapped struct (table<T> is the public name).
template <class T, bool = mapped_struct<T>>
struct table_layout {
    static_assert(member_names_fit<T>,
                  "pgorm: a member name of this struct is longer than PostgreSQL's 63-byte identifier limit "
                  "(NAMEDATALEN-1); the server would truncate the column name. Shorten the member "
                  "(reflect::first_overlong_member<T>() is its index).");

    static constexpr auto spec = pgorm_table_spec(static_cast<T*>(nullptr));
    static_assert(fits_identifier_limit(spec.name),
                  "pgorm: PGORM_TABLE's table name is longer than PostgreSQL's 63-byte identifier limit "
                  "(NAMEDATALEN-1); the server would truncate it.");
    static constexpr std::string_view name = spec.name;
    static constexpr std::size_t column_count = member_count<T>;
    static constexpr std::array<std::string_view, column_count> columns = column_names<T>();
    static constexpr std::array<bool, column_count> is_key = marks_of<T, key_option>(spec);
    static constexpr std::array<bool, column_count> has_default = marks_of<T, defaults_option>(spec);
    static constexpr std::size_t key_count = [] {
        std::size_t n = 0;
        for (bool k : is_key) n += k;
        return n;
    }();

    /// Index of the column a member pointer names; fails to compile for a member of another struct.
    template <class M>
    static constexpr std::size_t index_of(M T::*p) { return index_of_member<T>(p); }

    /// Calls f(index, descriptor) for each column (descriptor has .name and .pointer).
    template <class F>
    static constexpr void for_each_column(F&& f) { for_each_member<T>(std::forward<F>(f)); }
    /// Calls f(index, obj.*member) for each column of obj (T or const T); f is instantiated once
    /// per member type rather than once per member, so prefer it when the name is not needed.
    template <class Obj, class F>
    static constexpr void for_each_value(Obj& obj, F&& f) { for_each_member_value(obj, f); }
};

/// A stand-in with no columns for a struct that is not mapped: table<T>'s static_assert, which
/// says what to add, is then the only error instead of the first of dozens.
template <class T>
struct table_layout<T, false> {
    static constexpr std::string_view name{};
    static constexpr std::size_t column_count = 0;
    static constexpr std::array<std::string_view, 0> columns{};
    static constexpr std::array<bool, 0> is_key{};
    static constexpr std::array<bool, 0> has_default{};
    static constexpr std::size_t key_count = 0;
    template <class M>
    static constexpr std::size_t index_of(M T::*) { return 0; }
    template <class F>
    static constexpr void for_each_column(F&&) {}
    template <class Obj, class F>
    static constexpr void for_each_value(Obj&, F&&) {}
};

}  // namespace reflect

/// The table mapping of a described struct with a PGORM_TABLE declaration: name, columns
/// (declaration order), is_key, has_default, key_count, index_of(&T::m), for_each_column(f).
template <class T>
struct table : reflect::table_layout<T> {
    // One message per missing piece, and only one of them: each names what to add.
    static_assert(described_struct<T> || reflect::has_table_spec<T>,
                  "pgorm: this struct is not described and has no table. Add BOOST_DESCRIBE_STRUCT(Type, (), "
                  "(member, ...)) and PGORM_TABLE(Type, \"table_name\", key(&Type::id)) after its definition, "
                  "in the same namespace.");
    static_assert(described_struct<T> || !reflect::has_table_spec<T>,
                  "pgorm: this struct is not described. Add BOOST_DESCRIBE_STRUCT(Type, (), (member, ...)) "
                  "after its definition, in the same namespace.");
    static_assert(!described_struct<T> || reflect::has_table_spec<T>,
                  "pgorm: this struct has no table. Add PGORM_TABLE(Type, \"table_name\", key(&Type::id)) "
                  "after its BOOST_DESCRIBE_STRUCT, in the same namespace.");
};

}  // namespace pgorm

/// Declares the table of a described struct. Use at namespace scope, in the struct's namespace.
/// Options: key(&T::m, ...) for the primary key, defaults(&T::m, ...) for server-filled columns.
#define PGORM_TABLE(Type, TableName, ...)                                                    \
    [[maybe_unused]] constexpr auto pgorm_table_spec(Type*) {                                \
        using namespace ::pgorm::reflect::options;                                           \
        return ::pgorm::reflect::table_spec{std::string_view{TableName} __VA_OPT__(, ) __VA_ARGS__}; \
    }                                                                                        \
    static_assert(true, "")
