// numeric's binary form (ndigits, weight, sign, dscale, base-10000 digit groups) on hostile bytes:
// digit groups >= 10000, huge weights and scales, NaN/Infinity signs with digits, truncation.
// Input: the payload.
#include "../decode_support.hpp"

PGORM_FUZZ_TARGET(decode_numeric) {
    pgorm_fuzz::decode_and_round_trip<pgorm::numeric>(data, pgorm::oid::numeric);
}
