#pragma once
// Dates and times that need only std::chrono's durations, clocks and sys_time, binary both ways.
// PostgreSQL counts from 2000-01-01; std::chrono from 1970.
//
//   timestamptz          pgorm::timestamptz = sys_time<microseconds>   (an instant, UTC)
//   date                 std::chrono::sys_days
//   time                 pgorm::time_of_day (00:00:00 ... 24:00:00 inclusive, as PostgreSQL)
//   interval             pgorm::interval {months, days, time}; std::chrono::microseconds
//
// timestamp (pgorm::timestamp = local_time<microseconds>) and date as std::chrono::year_month_day
// are in <pgorm/types/chrono.hpp>: they need C++20's calendar part of <chrono>, which costs every
// translation unit about 0.2 s (types/detail/durations.hpp), so <pgorm/core.hpp> leaves them out.
// The decisions on infinity and range are the same for all of them: see types/chrono.hpp.

#include <pgorm/types/codec.hpp>
#include <pgorm/types/detail/durations.hpp>

#include <cstdint>
#include <limits>

namespace pgorm {

using timestamptz = std::chrono::sys_time<std::chrono::microseconds>;

/// A time of day with microsecond precision (PostgreSQL `time`, 00:00 to 24:00 inclusive).
struct time_of_day {
    std::chrono::microseconds since_midnight{0};

    constexpr time_of_day() = default;
    constexpr explicit time_of_day(std::chrono::microseconds d) : since_midnight(d) {}
    constexpr time_of_day(std::chrono::hours h, std::chrono::minutes m, std::chrono::seconds s = {},
                          std::chrono::microseconds us = {})
        : since_midnight(h + m + s + us) {}

    friend constexpr auto operator<=>(const time_of_day&, const time_of_day&) = default;
};

/// PostgreSQL `interval`: months and days are kept apart from the clock time, because their
/// length depends on the calendar the interval is added to.
struct interval {
    std::int32_t months = 0;
    std::int32_t days = 0;
    std::chrono::microseconds time{0};

    friend constexpr bool operator==(const interval&, const interval&) = default;
};

namespace detail::pg_time {
inline constexpr std::int64_t usecs_per_day = 86'400'000'000;
inline constexpr std::int64_t epoch_shift_us = 946'684'800'000'000;  // 2000-01-01 minus 1970-01-01
inline constexpr std::int64_t epoch_shift_days = 10'957;
// PostgreSQL's own limits (datatype/timestamp.h), relative to its 2000-01-01 epoch.
inline constexpr std::int64_t min_timestamp = -211'813'488'000'000'000;   // 4714-11-24 00:00 BC
inline constexpr std::int64_t end_timestamp = 9'223'371'331'200'000'000;  // 294277-01-01, exclusive
inline constexpr std::int64_t min_date = -2'451'545;                     // Julian day 0
inline constexpr std::int64_t end_date = 2'147'483'494 - 2'451'545;      // 5874898-01-01, exclusive
inline constexpr std::int64_t infinity64 = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t minus_infinity64 = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int32_t infinity32 = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int32_t minus_infinity32 = std::numeric_limits<std::int32_t>::min();

/// timestamp and timestamptz share the wire format; only the clock (and the OID) differ.
template <class Clock, oid_t Oid, oid_t ArrayOid>
struct timestamp_codec {
    using time_point = std::chrono::time_point<Clock, std::chrono::microseconds>;
    static constexpr oid_t type_oid = Oid;
    static constexpr oid_t array_oid = ArrayOid;
    static constexpr std::string_view sql_name = Oid == oid::timestamptz ? "timestamptz" : "timestamp";
    static bool accepts(oid_t o) noexcept { return o == Oid; }

    static void encode(const time_point& v, std::string& out) {
        if (v == time_point::max()) return wire::put<std::int64_t>(out, infinity64);
        if (v == time_point::min()) return wire::put<std::int64_t>(out, minus_infinity64);
        std::int64_t us = v.time_since_epoch().count();
        if (us < min_timestamp + epoch_shift_us)  // checked first: the subtraction could overflow
            throw value_out_of_range("pgorm: " + std::string(sql_name) +
                                     " before 4714-11-24 BC cannot be stored by PostgreSQL");
        wire::put<std::int64_t>(out, us - epoch_shift_us);
    }
    static void decode(std::string_view in, oid_t, time_point& out) {
        wire::expect_size(in, 8, sql_name);
        std::int64_t pg = wire::get<std::int64_t>(in.data());
        if (pg == infinity64) return void(out = time_point::max());
        if (pg == minus_infinity64) return void(out = time_point::min());
        std::int64_t us;
        if (__builtin_add_overflow(pg, epoch_shift_us, &us) || us == infinity64)
            throw value_out_of_range("pgorm: " + std::string(sql_name) +
                                     " after year 294247 does not fit a 64-bit microsecond time_point");
        out = time_point(std::chrono::microseconds(us));
    }
};

/// Days since 1970 -> PostgreSQL's date wire value, or value_out_of_range.
inline std::int32_t to_pg_date(std::int64_t days_since_1970) {
    // Compared before the shift: a day count near the int64 limits would overflow it.
    if (days_since_1970 < min_date + epoch_shift_days || days_since_1970 >= end_date + epoch_shift_days)
        throw value_out_of_range("pgorm: date outside PostgreSQL's range (4714-11-24 BC to 5874897 AD)");
    return static_cast<std::int32_t>(days_since_1970 - epoch_shift_days);
}
}  // namespace detail::pg_time

template <>
struct codec<timestamptz> : detail::pg_time::timestamp_codec<std::chrono::system_clock, oid::timestamptz,
                                                             oid::timestamptz_array> {};
/// date as a day count; 'infinity' / '-infinity' are sys_days::max() / min().
template <>
struct codec<std::chrono::sys_days> {
    static constexpr oid_t type_oid = oid::date;
    static constexpr oid_t array_oid = oid::date_array;
    static constexpr std::string_view sql_name = "date";
    static bool accepts(oid_t o) noexcept { return o == oid::date; }
    static void encode(std::chrono::sys_days v, std::string& out) {
        using namespace detail::pg_time;
        if (v == std::chrono::sys_days::max()) return wire::put<std::int32_t>(out, infinity32);
        if (v == std::chrono::sys_days::min()) return wire::put<std::int32_t>(out, minus_infinity32);
        wire::put<std::int32_t>(out, to_pg_date(v.time_since_epoch().count()));
    }
    static void decode(std::string_view in, oid_t, std::chrono::sys_days& out) {
        using namespace detail::pg_time;
        wire::expect_size(in, 4, sql_name);
        std::int32_t d = wire::get<std::int32_t>(in.data());
        if (d == infinity32) out = std::chrono::sys_days::max();
        else if (d == minus_infinity32) out = std::chrono::sys_days::min();
        else out = std::chrono::sys_days(std::chrono::days(std::int64_t{d} + epoch_shift_days));
    }
};

template <>
struct codec<time_of_day> {
    static constexpr oid_t type_oid = oid::time;
    static constexpr oid_t array_oid = oid::time_array;
    static constexpr std::string_view sql_name = "time";
    static bool accepts(oid_t o) noexcept { return o == oid::time; }
    static void encode(const time_of_day& v, std::string& out) {
        wire::put<std::int64_t>(out, checked(v.since_midnight.count()));
    }
    static void decode(std::string_view in, oid_t, time_of_day& out) {
        wire::expect_size(in, 8, sql_name);
        out = time_of_day(std::chrono::microseconds(checked(wire::get<std::int64_t>(in.data()))));
    }

private:
    static std::int64_t checked(std::int64_t us) {
        if (us < 0 || us > detail::pg_time::usecs_per_day)
            throw value_out_of_range("pgorm: time of day " + std::to_string(us) +
                                     " us is outside 00:00:00..24:00:00");
        return us;
    }
};

template <>
struct codec<interval> {
    static constexpr oid_t type_oid = oid::interval;
    static constexpr oid_t array_oid = oid::interval_array;
    static constexpr std::string_view sql_name = "interval";
    static bool accepts(oid_t o) noexcept { return o == oid::interval; }
    static void encode(const interval& v, std::string& out) {
        wire::put<std::int64_t>(out, v.time.count());
        wire::put<std::int32_t>(out, v.days);
        wire::put<std::int32_t>(out, v.months);
    }
    static void decode(std::string_view in, oid_t, interval& out) {
        wire::expect_size(in, 16, sql_name);
        out.time = std::chrono::microseconds(wire::get<std::int64_t>(in.data()));
        out.days = wire::get<std::int32_t>(in.data() + 8);
        out.months = wire::get<std::int32_t>(in.data() + 12);
    }
};

/// An interval as a plain duration: sent as pure clock time; reading one that has months
/// throws, since a month has no fixed length. Days count as 24 hours.
template <>
struct codec<std::chrono::microseconds> {
    static constexpr oid_t type_oid = oid::interval;
    static constexpr oid_t array_oid = oid::interval_array;
    static constexpr std::string_view sql_name = "interval";
    static bool accepts(oid_t o) noexcept { return o == oid::interval; }
    static void encode(std::chrono::microseconds v, std::string& out) { codec<interval>::encode({0, 0, v}, out); }
    static void decode(std::string_view in, oid_t column, std::chrono::microseconds& out) {
        interval i;
        codec<interval>::decode(in, column, i);
        if (i.months != 0)
            throw value_out_of_range("pgorm: interval of " + std::to_string(i.months) +
                                     " month(s) has no fixed length in std::chrono::microseconds; read it into "
                                     "pgorm::interval");
        std::int64_t day_us, total;
        if (__builtin_mul_overflow(std::int64_t{i.days}, detail::pg_time::usecs_per_day, &day_us) ||
            __builtin_add_overflow(day_us, i.time.count(), &total))
            throw value_out_of_range("pgorm: interval does not fit std::chrono::microseconds");
        out = std::chrono::microseconds(total);
    }
};

}  // namespace pgorm
