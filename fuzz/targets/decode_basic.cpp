// Fixed-width and byte-string codecs on hostile bytes and lengths: integers, floats, bool, text,
// bytea, uuid, oid, money, bit strings, xml, point, tsvector, inet/cidr/macaddr/macaddr8.
// Input: [type][column] payload.
#include "../decode_support.hpp"

#include <boost/uuid/uuid.hpp>

PGORM_FUZZ_TARGET(decode_basic) {
    using namespace pgorm;
    using pgorm_fuzz::decode_and_round_trip;
    const pgorm_fuzz::input in(data);
    const std::string_view v = in.rest(2);
    const unsigned char col = in.choice(1);
    switch (in.choice(0) % 18) {
        case 0: return decode_and_round_trip<bool>(v, oid::bool_);
        case 1: return decode_and_round_trip<std::int16_t>(v, pgorm_fuzz::pick_oid({oid::int2, oid::int4, oid::int8}, col));
        case 2: return decode_and_round_trip<std::int32_t>(v, pgorm_fuzz::pick_oid({oid::int2, oid::int4, oid::int8}, col));
        case 3: return decode_and_round_trip<std::int64_t>(v, pgorm_fuzz::pick_oid({oid::int2, oid::int4, oid::int8}, col));
        case 4: return decode_and_round_trip<float>(v, pgorm_fuzz::pick_oid({oid::float4, oid::float8}, col));
        case 5: return decode_and_round_trip<double>(v, pgorm_fuzz::pick_oid({oid::float4, oid::float8}, col));
        case 6:
            return decode_and_round_trip<std::string>(
                v, pgorm_fuzz::pick_oid({oid::text, oid::varchar, oid::bpchar, oid::name, oid::char_, oid::unknown}, col));
        case 7: return decode_and_round_trip<std::vector<std::byte>>(v, oid::bytea);
        case 8: return decode_and_round_trip<boost::uuids::uuid>(v, oid::uuid);
        case 9: return decode_and_round_trip<std::uint32_t>(v, oid::oid);
        case 10: return decode_and_round_trip<money>(v, oid::money);
        case 11: return decode_and_round_trip<bit_string>(v, pgorm_fuzz::pick_oid({oid::bit, oid::varbit}, col));
        case 12: return decode_and_round_trip<xml>(v, oid::xml);
        case 13: return decode_and_round_trip<point2d>(v, oid::point);
        case 14: return decode_and_round_trip<tsvector>(v, oid::tsvector);
        case 15: return decode_and_round_trip<inet>(v, pgorm_fuzz::pick_oid({oid::inet, oid::cidr}, col));
        case 16: return decode_and_round_trip<cidr>(v, pgorm_fuzz::pick_oid({oid::inet, oid::cidr}, col));
        default:
            if (col % 2) return decode_and_round_trip<macaddr8>(v, pgorm_fuzz::pick_oid({oid::macaddr, oid::macaddr8}, col / 2));
            return decode_and_round_trip<macaddr>(v, pgorm_fuzz::pick_oid({oid::macaddr, oid::macaddr8}, col / 2));
    }
}
