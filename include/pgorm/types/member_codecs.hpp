#pragma once
// members_have_codecs<T>: every described member of T has a codec. Checked through
// detail::codec_required (types/codec.hpp), so a missing codec fails with one message that says
// what to do and names the type, instead of "incomplete type codec<Type>" from deep inside the
// parameter binder and the row reader.

#include <pgorm/reflect/table.hpp>
#include <pgorm/types/codec.hpp>

#include <type_traits>

namespace pgorm {

namespace detail {

template <class P> struct member_pointer_type;
template <class M, class C> struct member_pointer_type<M C::*> { using type = M; };

template <class Members> struct codecs_of_members;
template <template <class...> class List, class... D>
struct codecs_of_members<List<D...>>
    : std::bool_constant<(codec_required<typename member_pointer_type<std::remove_cv_t<decltype(D::pointer)>>::type>::value &&
                          ... && true)> {};

}  // namespace detail

/// True when every described member of T has a codec; for a member without one, evaluating it is
/// a compile error naming that member's type. T must be described (BOOST_DESCRIBE_STRUCT).
template <class T>
inline constexpr bool members_have_codecs = detail::codecs_of_members<reflect::members_of<T>>::value;

}  // namespace pgorm
