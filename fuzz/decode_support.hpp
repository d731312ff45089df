#pragma once
// Shared by the decoder targets: run one codec's decode on hostile bytes for a column OID it
// accepts, and when the bytes decode, check that the value survives encode -> decode unchanged.

#include "fuzz_target.hpp"

#include <pgorm/types.hpp>

#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>

namespace pgorm_fuzz {

/// The column OID named by `pick` among `oids` (a codec is only asked to decode OIDs it accepts,
/// as the row reader does after check_accepts).
inline pgorm::oid_t pick_oid(std::initializer_list<pgorm::oid_t> oids, unsigned char pick) {
    return oids.begin()[pick % oids.size()];
}

/// Decodes `bytes` as a column of type `column` into T. A pgorm::error is a correct refusal. A value
/// that decodes and has == must encode (or be refused with a pgorm::error, e.g. a value PostgreSQL
/// can send but pgorm does not send back) and decode to an equal value (or, for values holding a
/// NaN, to one that encodes to the same bytes).
template <class T>
void decode_and_round_trip(std::string_view bytes, pgorm::oid_t column) {
    using codec = pgorm::codec<T>;
    if (!codec::accepts(column)) return;
    T first{};
    try {
        codec::decode(bytes, column, first);
    } catch (const pgorm::error&) {
        return;
    }
    if constexpr (std::equality_comparable<T> && pgorm::param_format_of<T>() == 1) {
        std::string again;
        try {
            codec::encode(first, again);
        } catch (const pgorm::error&) {
            return;
        }
        T second{};
        const pgorm::oid_t sent_as = codec::type_oid != 0 ? codec::type_oid : column;
        codec::decode(again, sent_as, second);  // pgorm's own bytes: any error here is a bug
        if (first == second) return;
        std::string third;  // a NaN inside equals nothing, itself included: compare the bytes then
        codec::encode(second, third);
        PGORM_FUZZ_CHECK(again == third);
    }
}

/// Decode only, for types whose round trip goes through a lossy third-party step.
template <class T>
void decode_only(std::string_view bytes, pgorm::oid_t column) {
    if (!pgorm::codec<T>::accepts(column)) return;
    T value{};
    try {
        pgorm::codec<T>::decode(bytes, column, value);
    } catch (const pgorm::error&) {
    }
}

}  // namespace pgorm_fuzz
