#pragma once
// members_have_codecs<T>: every described member of T has a codec. A member without one fails to
// compile with one error whose line names the struct, the member and its type and says what to
// do, instead of "incomplete type codec<Type>" from deep inside the parameter binder and the row
// reader (docs/performance.md, "Error messages").

#include <pgorm/reflect/table.hpp>
#include <pgorm/types/codec.hpp>

#include <type_traits>

namespace pgorm {

namespace detail {

/// Named, with the member (`&Struct::member`) and its type, on the first line of the compile
/// error for a member whose type has no codec; the missing name in it says what to do:
/// specialise pgorm::codec<Type> (docs/custom-types.md) or include the header of its codec
/// (<pgorm/types.hpp> has them all). A static_assert message cannot name the member in C++20.
template <auto Member, class Type>
struct member_type_has_no_codec {};

template <class P> struct member_pointer_type;
template <class M, class C> struct member_pointer_type<M C::*> { using type = M; };

/// `member_codec_required<&S::m>::value` is has_codec of m's type; when false, instantiating it
/// is one error naming `member_type_has_no_codec<&S::m, Type>`.
template <auto Member, class Type = typename member_pointer_type<std::remove_cv_t<decltype(Member)>>::type,
          bool = has_codec<Type>>
struct member_codec_required : std::true_type {};
template <auto Member, class Type>
struct member_codec_required<Member, Type, false> : std::false_type {
    using what_to_do =
        typename member_type_has_no_codec<Member, Type>::specialise_pgorm_codec_of_this_type_or_include_its_codec_header;
};

template <class Members> struct codecs_of_members;
template <template <class...> class List, class... D>
struct codecs_of_members<List<D...>> : std::bool_constant<(member_codec_required<D::pointer>::value && ... && true)> {};

}  // namespace detail

/// True when every described member of T has a codec; for a member without one, evaluating it is
/// a compile error naming the member and its type. T must be described (BOOST_DESCRIBE_STRUCT).
template <class T>
inline constexpr bool members_have_codecs = detail::codecs_of_members<reflect::members_of<T>>::value;

}  // namespace pgorm
