#pragma once
// PostgreSQL enums <-> C++ enums described with BOOST_DESCRIBE_ENUM, by label.
//
//   enum class mood { sad, ok, happy };
//   BOOST_DESCRIBE_ENUM(mood, sad, ok, happy)        // CREATE TYPE mood AS ENUM ('sad','ok','happy')
//
// The label is the enumerator's exact name. Parameters go out with OID 0 so the server takes
// the enum type from context (a column, a cast `$1::mood`); the binary form of an enum is its
// label's text. Such a type has no array OID known in advance, so std::vector<mood> parameters
// travel as a text array literal (see array.hpp). A column of text type reads as well.

#include <pgorm/reflect/identifier.hpp>
#include <pgorm/types/codec.hpp>
#include <pgorm/types/string.hpp>

#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/mp11/algorithm.hpp>

#include <optional>
#include <type_traits>

namespace pgorm {

template <class E>
concept described_enum = std::is_enum_v<E> && boost::describe::has_describe_enumerators<E>::value;

/// The label of an enumerator, or an empty view for a value that has none.
template <described_enum E>
constexpr std::string_view enum_label(E v) noexcept {
    std::string_view label;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
        if (label.empty() && d.value == v) label = d.name;
    });
    return label;
}

/// The enumerator with this exact label, if any.
template <described_enum E>
constexpr std::optional<E> enum_from_label(std::string_view label) noexcept {
    std::optional<E> found;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
        if (!found && label == d.name) found = d.value;
    });
    return found;
}

template <described_enum E>
struct codec<E> {
    // An enum label is at most 63 bytes (reflect/identifier.hpp): a longer enumerator could never
    // match one, and CREATE TYPE would refuse it.
    static_assert([] {
        bool fit = true;
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>(
            [&](auto d) { fit = fit && fits_identifier_limit(d.name); });
        return fit;
    }(), "pgorm: an enumerator name of this enum is longer than PostgreSQL's 63-byte limit for enum labels "
         "(NAMEDATALEN-1)");
    static constexpr oid_t type_oid = oid::unspecified;  // the server infers the enum type
    static constexpr oid_t array_oid = 0;                // arrays go as text literals
    static constexpr std::string_view sql_name = "enum";
    static bool accepts(oid_t o) noexcept { return o >= oid::first_user_oid || detail::is_text_oid(o); }

    static void encode(E v, std::string& out) { out.append(label_of(v)); }
    static void encode_text(E v, std::string& out) { out.append(label_of(v)); }
    static void decode(std::string_view in, oid_t, E& out) {
        if (auto e = enum_from_label<E>(in)) {
            out = *e;
            return;
        }
        throw decode_error("pgorm: label \"" + std::string(in) + "\" is not an enumerator of C++ enum " +
                           std::string(cpp_type_name<E>()));
    }

private:
    static std::string_view label_of(E v) {
        std::string_view l = enum_label(v);
        if (l.empty())
            throw value_out_of_range("pgorm: value " +
                                     std::to_string(static_cast<long long>(static_cast<std::underlying_type_t<E>>(v))) +
                                     " of C++ enum " + std::string(cpp_type_name<E>()) +
                                     " has no enumerator, so no PostgreSQL label");
        return l;
    }
};

}  // namespace pgorm
