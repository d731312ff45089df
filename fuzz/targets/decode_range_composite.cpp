// Ranges, multiranges and composites (records) on hostile bytes: flag bytes with every bit set,
// bound lengths past the end, multirange counts larger than the input, attribute counts and OIDs
// that do not match the struct, NULL attributes. Input: [type][column] payload.
#include "../decode_support.hpp"

#include <boost/describe.hpp>

#include <optional>
#include <string>

namespace pgorm_fuzz {
struct address {
    std::string street;
    std::optional<std::int32_t> number;
    pgorm::numeric lat;
    friend bool operator==(const address&, const address&) = default;
};
BOOST_DESCRIBE_STRUCT(address, (), (street, number, lat))

struct with_nested {
    std::int64_t id = 0;
    std::optional<address> home;
    std::vector<std::int32_t> tags;
};
BOOST_DESCRIBE_STRUCT(with_nested, (), (id, home, tags))
}  // namespace pgorm_fuzz

template <>
inline constexpr bool pgorm::enable_composite<pgorm_fuzz::address> = true;
template <>
inline constexpr bool pgorm::enable_composite<pgorm_fuzz::with_nested> = true;

PGORM_FUZZ_TARGET(decode_range_composite) {
    using namespace pgorm;
    using pgorm_fuzz::decode_and_round_trip;
    const pgorm_fuzz::input in(data);
    const std::string_view v = in.rest(2);
    const unsigned char col = in.choice(1);
    switch (in.choice(0) % 9) {
        case 0: return decode_and_round_trip<range<std::int32_t>>(v, pgorm_fuzz::pick_oid({oid::int4range, oid::int8range}, col));
        case 1: return decode_and_round_trip<range<std::int64_t>>(v, pgorm_fuzz::pick_oid({oid::int4range, oid::int8range}, col));
        case 2: return decode_and_round_trip<range<numeric>>(v, oid::numrange);
        case 3: return decode_and_round_trip<range<timestamptz>>(v, oid::tstzrange);
        case 4: return decode_and_round_trip<range<std::chrono::sys_days>>(v, oid::daterange);
        case 5: return decode_and_round_trip<multirange<std::int32_t>>(v, oid::int4multirange);
        case 6: return decode_and_round_trip<multirange<timestamp>>(v, oid::tsmultirange);
        case 7: return decode_and_round_trip<pgorm_fuzz::address>(v, pgorm_fuzz::pick_oid({oid::record, 70000}, col));
        default: return decode_and_round_trip<pgorm_fuzz::with_nested>(v, pgorm_fuzz::pick_oid({oid::record, 70000}, col));
    }
}
