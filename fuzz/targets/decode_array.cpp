// Binary arrays with hostile headers: dimension counts (negative, 0, > 6), lower bounds, element
// OIDs that do not match, element counts larger than the bytes that follow, negative and
// overflowing element lengths, NULL elements, and elements that are themselves hostile.
// Input: [element type][column] payload.
#include "../decode_support.hpp"

#include <boost/uuid/uuid.hpp>

#include <optional>
#include <vector>

PGORM_FUZZ_TARGET(decode_array) {
    using namespace pgorm;
    using pgorm_fuzz::decode_and_round_trip;
    const pgorm_fuzz::input in(data);
    const std::string_view v = in.rest(2);
    // Built-in array OIDs and one user OID (an array of a domain or enum: decode checks elements).
    const oid_t col = pgorm_fuzz::pick_oid({oid::int2_array, oid::int4_array, oid::int8_array, oid::text_array,
                                            oid::float8_array, oid::numeric_array, oid::timestamptz_array,
                                            oid::date_array, oid::uuid_array, oid::jsonb_array, oid::bool_array,
                                            oid::bytea_array, oid::inet_array, oid::int4range_array, 70000},
                                           in.choice(1));
    switch (in.choice(0) % 12) {
        case 0: return decode_and_round_trip<std::vector<std::int32_t>>(v, col);
        case 1: return decode_and_round_trip<std::vector<std::optional<std::int64_t>>>(v, col);
        case 2: return decode_and_round_trip<std::vector<std::int16_t>>(v, col);
        case 3: return decode_and_round_trip<std::vector<std::string>>(v, col);
        case 4: return decode_and_round_trip<std::vector<std::optional<std::string>>>(v, col);
        case 5: return decode_and_round_trip<std::vector<double>>(v, col);
        case 6: return decode_and_round_trip<std::vector<numeric>>(v, col);
        case 7: return decode_and_round_trip<std::vector<timestamptz>>(v, col);
        case 8: return decode_and_round_trip<std::vector<std::optional<std::chrono::sys_days>>>(v, col);
        case 9: return decode_and_round_trip<std::vector<boost::uuids::uuid>>(v, col);
        case 10: return decode_and_round_trip<std::vector<jsonb<>>>(v, col);
        default: return decode_and_round_trip<std::vector<range<std::int32_t>>>(v, col);
    }
}
