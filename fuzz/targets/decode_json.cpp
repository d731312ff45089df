// json / jsonb on hostile bytes: jsonb's version byte (1 only), malformed and deeply nested JSON,
// and jsonb<T> mapping into a struct of every JSON-mapped member type (the date and timestamp
// sentinels, uuid, numeric, enum labels, optionals, arrays, maps). Input: [type][column] payload.
#include "../decode_support.hpp"

#include <boost/describe.hpp>
#include <boost/json/value.hpp>
#include <boost/uuid/uuid.hpp>

#include <map>
#include <optional>
#include <vector>

namespace pgorm_fuzz {
enum class shade { light, dark };
BOOST_DESCRIBE_ENUM(shade, light, dark)

struct everything {
    std::int32_t i32 = 0;
    std::int64_t i64 = 0;
    std::uint16_t u16 = 0;
    double d = 0;
    bool b = false;
    std::string s;
    std::optional<std::int32_t> maybe;
    std::vector<std::string> list;
    std::map<std::string, std::int32_t> counts;
    pgorm::timestamptz at{};
    pgorm::timestamp wall{};
    std::chrono::sys_days day{};
    std::chrono::year_month_day ymd{};
    pgorm::time_of_day tod{};
    boost::uuids::uuid id{};
    pgorm::numeric amount;
    shade colour = shade::light;
    friend bool operator==(const everything&, const everything&) = default;
};
BOOST_DESCRIBE_STRUCT(everything, (), (i32, i64, u16, d, b, s, maybe, list, counts, at, wall, day, ymd, tod, id, amount, colour))
}  // namespace pgorm_fuzz

PGORM_FUZZ_TARGET(decode_json) {
    using namespace pgorm;
    using pgorm_fuzz::decode_and_round_trip;
    const pgorm_fuzz::input in(data);
    const std::string_view v = in.rest(2);
    const oid_t col = pgorm_fuzz::pick_oid({oid::json, oid::jsonb}, in.choice(1));
    switch (in.choice(0) % 5) {
        case 0: return decode_and_round_trip<json>(v, col);
        case 1: return decode_and_round_trip<jsonb<>>(v, col);
        // Boost.JSON 1.81 parses some doubles one ulp off ("-9223372036884775808" -> ...775E18 ->
        // ...777E18), so a parsed tree that holds doubles need not survive print -> parse: these
        // are decoded only (docs/fuzzing.md).
        case 2: return pgorm_fuzz::decode_only<jsonb<boost::json::value>>(v, col);
        case 3: return pgorm_fuzz::decode_only<jsonb<pgorm_fuzz::everything>>(v, col);
        default: return pgorm_fuzz::decode_only<jsonb<std::vector<std::optional<pgorm_fuzz::everything>>>>(v, col);
    }
}
