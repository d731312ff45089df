// pgorm's text parsers on hostile strings: connection URLs and key=value strings (config.hpp), ISO
// dates and timestamps (iso_time.hpp), numeric text (numeric.hpp), and the JSON date/timestamp
// sentinels (types/detail/json_mapping.hpp). A string that parses must print and parse back to the same value.
// Input: [parser] text.
#include "../fuzz_target.hpp"

#include <pgorm/core/config.hpp>
#include <pgorm/types.hpp>
#include <pgorm/types/iso_time.hpp>
#include <pgorm/types/detail/json_mapping.hpp>

#include <boost/json/value.hpp>

namespace {

template <class Clock>
void timestamp_text(std::string_view s) {
    using namespace pgorm::detail::iso;
    std::chrono::time_point<Clock, std::chrono::microseconds> t;
    try {
        t = parse_timestamp<Clock>(s);
    } catch (const pgorm::error&) {
        return;
    }
    const std::string printed = format_timestamp(t);
    PGORM_FUZZ_CHECK(parse_timestamp<Clock>(printed) == t);
}

void date_text(std::string_view s) {
    using namespace pgorm::detail::iso;
    std::chrono::sys_days d;
    try {
        d = parse_date(s);
    } catch (const pgorm::error&) {
        return;
    }
    PGORM_FUZZ_CHECK(parse_date(format_date(d)) == d);
}

/// Text -> wire -> text is pgorm's own normal form; that form must go round unchanged.
void numeric_text(std::string_view s) {
    namespace nw = pgorm::detail::numeric_wire;
    std::string wire;
    try {
        nw::encode(s, wire);
    } catch (const pgorm::error&) {
        return;
    }
    const std::string normal = nw::decode(wire);  // pgorm's own bytes: any error is a bug
    std::string again;
    nw::encode(normal, again);
    PGORM_FUZZ_CHECK(nw::decode(again) == normal);
}

template <class T>
void sentinel(std::string_view kind, std::string_view value) {
    boost::json::object o;
    o["__sentinel"] = kind;
    o["value"] = value;
    for (const boost::json::value& v : {boost::json::value(std::move(o)), boost::json::value(value)}) {
        try {
            (void)pgorm::from_json<T>(v);
        } catch (const pgorm::error&) {
        }
    }
}

}  // namespace

PGORM_FUZZ_TARGET(parse_text) {
    const pgorm_fuzz::input in(data);
    const std::string_view s = in.rest(1);
    switch (in.choice(0) % 10) {
        case 0:
            try {
                (void)pgorm::config::parse(s);
            } catch (const pgorm::error&) {
            }
            return;
        case 1:
            try {
                (void)pgorm::config::from_url(s);
            } catch (const pgorm::error&) {
            }
            return;
        case 2: return date_text(s);
        case 3: return timestamp_text<std::chrono::system_clock>(s);
        case 4: return timestamp_text<std::chrono::local_t>(s);
        case 5: return numeric_text(s);
        case 6: return sentinel<pgorm::timestamptz>("timestamp", s);
        case 7: return sentinel<pgorm::timestamp>("timestamp", s);
        case 8: return sentinel<std::chrono::sys_days>("date", s);
        default: return sentinel<std::chrono::year_month_day>("date", s);
    }
}
