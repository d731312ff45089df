// Date/time codecs on hostile bytes: dates and timestamps at and past PostgreSQL's limits and the
// infinities, times past 24:00, intervals of any sign and size. Input: [type][column] payload.
#include "../decode_support.hpp"

PGORM_FUZZ_TARGET(decode_time) {
    using namespace pgorm;
    using pgorm_fuzz::decode_and_round_trip;
    const pgorm_fuzz::input in(data);
    const std::string_view v = in.rest(2);
    const unsigned char col = in.choice(1);
    switch (in.choice(0) % 7) {
        case 0: return decode_and_round_trip<timestamptz>(v, pgorm_fuzz::pick_oid({oid::timestamptz, oid::timestamp}, col));
        case 1: return decode_and_round_trip<timestamp>(v, pgorm_fuzz::pick_oid({oid::timestamptz, oid::timestamp}, col));
        case 2: return decode_and_round_trip<std::chrono::sys_days>(v, oid::date);
        case 3: return decode_and_round_trip<std::chrono::year_month_day>(v, oid::date);
        case 4: return decode_and_round_trip<time_of_day>(v, pgorm_fuzz::pick_oid({oid::time, oid::timetz}, col));
        case 5: return decode_and_round_trip<interval>(v, oid::interval);
        default: return decode_and_round_trip<std::chrono::microseconds>(v, oid::interval);
    }
}
