#pragma once
// Dates and times, binary both ways: all of them. PostgreSQL counts from 2000-01-01;
// std::chrono from 1970.
//
//   timestamptz          pgorm::timestamptz = sys_time<microseconds>   (an instant, UTC)
//   timestamp            pgorm::timestamp   = local_time<microseconds> (a wall-clock reading)
//   date                 std::chrono::sys_days, std::chrono::year_month_day
//   time                 pgorm::time_of_day (00:00:00 ... 24:00:00 inclusive, as PostgreSQL)
//   interval             pgorm::interval {months, days, time}; std::chrono::microseconds
//
// This header adds timestamp and year_month_day to <pgorm/types/time.hpp> (which <pgorm/core.hpp>
// includes): both need the calendar part of <chrono>, about 0.2 s per translation unit.
//
// Decisions (docs/types.md):
// - 'infinity' / '-infinity' are time_point::max() / min() for timestamps and sys_days, both ways.
//   year_month_day has no infinity: reading one throws value_out_of_range.
// - Values PostgreSQL cannot store (before 4714-11-24 BC, a !ok() year_month_day, a time of day
//   outside 0..24h) throw value_out_of_range on encode; values the C++ type cannot hold
//   (timestamps after year 294247, dates outside years -32767..32767 for year_month_day,
//   an interval with months read as microseconds) throw value_out_of_range on decode.
// - timestamptz and timestamp are distinct: neither reads the other's columns, because the
//   conversion needs a time zone that only the server session knows.

#include <pgorm/types/time.hpp>  // timestamptz, sys_days, time_of_day, interval, microseconds

#include <chrono>
#include <cstdint>
#include <string>

namespace pgorm {

using timestamp = std::chrono::local_time<std::chrono::microseconds>;

template <>
struct codec<timestamp>
    : detail::pg_time::timestamp_codec<std::chrono::local_t, oid::timestamp, oid::timestamp_array> {};

/// date as a calendar date; has no infinity and holds years -32767..32767 only.
template <>
struct codec<std::chrono::year_month_day> {
    static constexpr oid_t type_oid = oid::date;
    static constexpr oid_t array_oid = oid::date_array;
    static constexpr std::string_view sql_name = "date";
    static bool accepts(oid_t o) noexcept { return o == oid::date; }
    static void encode(const std::chrono::year_month_day& v, std::string& out) {
        if (!v.ok())
            throw value_out_of_range("pgorm: year_month_day " + std::to_string(int(v.year())) + "-" +
                                     std::to_string(unsigned(v.month())) + "-" + std::to_string(unsigned(v.day())) +
                                     " is not a valid calendar date");
        wire::put<std::int32_t>(out, detail::pg_time::to_pg_date(std::chrono::sys_days(v).time_since_epoch().count()));
    }
    static void decode(std::string_view in, oid_t, std::chrono::year_month_day& out) {
        using namespace std::chrono;
        using namespace detail::pg_time;
        wire::expect_size(in, 4, sql_name);
        std::int32_t d = wire::get<std::int32_t>(in.data());
        if (d == infinity32 || d == minus_infinity32)
            throw value_out_of_range(std::string("pgorm: date '") + (d > 0 ? "" : "-") +
                                     "infinity' has no std::chrono::year_month_day; read it into std::chrono::sys_days");
        constexpr std::int64_t lo = sys_days(year::min() / January / 1).time_since_epoch().count();
        constexpr std::int64_t hi = sys_days(year::max() / December / 31).time_since_epoch().count();
        std::int64_t days_since_1970 = std::int64_t{d} + epoch_shift_days;
        if (days_since_1970 < lo || days_since_1970 > hi)
            throw value_out_of_range("pgorm: date outside years -32767..32767 does not fit std::chrono::year_month_day");
        out = year_month_day(sys_days(std::chrono::days(days_since_1970)));
    }
};

}  // namespace pgorm
