// json / jsonb on hostile bytes: jsonb's version byte (1 only), malformed and deeply nested JSON,
// and jsonb<T> mapping into a struct of every JSON-mapped member type (the date and timestamp
// sentinels, uuid, numeric, enum labels, optionals, arrays, maps), and the flat-struct fast path
// of jsonb<T>::parse against the tree path it stands in for (types/detail/json_flat_reader.hpp):
// whatever text the fast path accepts, the tree path must read to the same value.
// Input: [type][column] payload.
#include "../decode_support.hpp"

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
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
struct flat {
    std::int64_t i64 = 0;
    std::int16_t i16 = 0;
    std::uint32_t u32 = 0;
    double d = 0;
    float f = 0;
    bool b = false;
    std::string s;
    std::optional<std::int32_t> maybe;
    std::optional<std::string> note;
    friend bool operator==(const flat&, const flat&) = default;
};
BOOST_DESCRIBE_STRUCT(flat, (), (i64, i16, u32, d, f, b, s, maybe, note))
static_assert(pgorm::detail::json_flat::flat_struct<flat>);

// The fast path may decline any text; what it accepts, the tree path must read alike.
inline void fast_path_agrees(std::string_view text) {
    flat fast{};
    if (!pgorm::detail::json_flat::read(text, fast)) return;
    boost::system::error_code ec;
    const boost::json::value tree = boost::json::parse(text, ec);
    PGORM_FUZZ_CHECK(!ec);  // the fast path accepted text Boost.JSON refuses
    flat slow{};
    try {
        slow = pgorm::from_json<flat>(tree);
    } catch (const pgorm::decode_error&) {
        PGORM_FUZZ_CHECK(!"the flat fast path accepted text the tree path refuses");
    }
    PGORM_FUZZ_CHECK(slow == fast);
}

BOOST_DESCRIBE_STRUCT(everything, (), (i32, i64, u16, d, b, s, maybe, list, counts, at, wall, day, ymd, tod, id, amount, colour))
}  // namespace pgorm_fuzz

PGORM_FUZZ_TARGET(decode_json) {
    using namespace pgorm;
    using pgorm_fuzz::decode_and_round_trip;
    const pgorm_fuzz::input in(data);
    const std::string_view v = in.rest(2);
    const oid_t col = pgorm_fuzz::pick_oid({oid::json, oid::jsonb}, in.choice(1));
    switch (in.choice(0) % 6) {
        case 0: return decode_and_round_trip<json>(v, col);
        case 1: return decode_and_round_trip<jsonb<>>(v, col);
        // Boost.JSON 1.81 parses some doubles one ulp off ("-9223372036884775808" -> ...775E18 ->
        // ...777E18), so a parsed tree that holds doubles need not survive print -> parse: these
        // are decoded only (docs/fuzzing.md).
        case 2: return pgorm_fuzz::decode_only<jsonb<boost::json::value>>(v, col);
        case 3: return pgorm_fuzz::decode_only<jsonb<pgorm_fuzz::everything>>(v, col);
        case 5: return pgorm_fuzz::fast_path_agrees(v);
        default: return pgorm_fuzz::decode_only<jsonb<std::vector<std::optional<pgorm_fuzz::everything>>>>(v, col);
    }
}
