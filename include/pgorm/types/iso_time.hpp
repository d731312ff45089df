#pragma once
// ISO 8601 text for dates and timestamps, as Python's isoformat() writes them: used for the
// date/timestamp sentinels inside JSON (json_mapping.hpp), not on the PostgreSQL wire.
//
//   date         2024-03-01           (years beyond 0001..9999 get a sign or more digits)
//   timestamptz  2024-03-01T12:30:00.250000+00:00   (fraction left out when it is zero)
//   timestamp    2024-03-01T12:30:00
//   infinities   "infinity" / "-infinity", as PostgreSQL spells them

#include <pgorm/error.hpp>
#include <pgorm/types/chrono.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace pgorm::detail::iso {

inline void append_int(std::string& out, long long v, int width) {
    std::string digits = std::to_string(v < 0 ? -v : v);
    if (v < 0) out.push_back('-');
    if (static_cast<int>(digits.size()) < width) out.append(static_cast<std::size_t>(width) - digits.size(), '0');
    out += digits;
}

/// HH:MM:SS, plus .ffffff when there are microseconds.
inline void append_time(std::string& out, std::chrono::microseconds since_midnight) {
    long long us = since_midnight.count();
    append_int(out, us / 3'600'000'000, 2);
    out.push_back(':');
    append_int(out, us / 60'000'000 % 60, 2);
    out.push_back(':');
    append_int(out, us / 1'000'000 % 60, 2);
    if (us % 1'000'000) {
        out.push_back('.');
        append_int(out, us % 1'000'000, 6);
    }
}

/// year-month-day of a day count in 64-bit arithmetic: std::chrono::year_month_day holds years
/// -32767..32767 only and silently wraps beyond them, while PostgreSQL dates reach 5874897 AD.
/// (The days-to-civil conversion over 400-year eras of 146097 days, March-based years.)
inline void append_date(std::string& out, std::chrono::sys_days d) {
    long long z = d.time_since_epoch().count();
    if (z < -(1LL << 40) || z > (1LL << 40))
        throw value_out_of_range("pgorm: day " + std::to_string(z) + " after 1970-01-01 has no ISO 8601 date");
    z += 719'468;  // days from 0000-03-01 to 1970-01-01
    const long long era = (z >= 0 ? z : z - 146'096) / 146'097;
    const long long doe = z - era * 146'097;                                         // [0, 146096]
    const long long yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
    const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                   // [0, 365]
    const long long mp = (5 * doy + 2) / 153;                                        // March = 0
    const long long day = doy - (153 * mp + 2) / 5 + 1;
    const long long month = mp < 10 ? mp + 3 : mp - 9;
    append_int(out, yoe + era * 400 + (month <= 2), 4);
    out.push_back('-');
    append_int(out, month, 2);
    out.push_back('-');
    append_int(out, day, 2);
}

inline std::string format_date(std::chrono::sys_days d) {
    if (d == std::chrono::sys_days::max()) return "infinity";
    if (d == std::chrono::sys_days::min()) return "-infinity";
    std::string s;
    append_date(s, d);
    return s;
}

template <class Clock>
std::string format_timestamp(std::chrono::time_point<Clock, std::chrono::microseconds> t) {
    using tp = std::chrono::time_point<Clock, std::chrono::microseconds>;
    if (t == tp::max()) return "infinity";
    if (t == tp::min()) return "-infinity";
    auto day = std::chrono::floor<std::chrono::days>(t);
    std::string s;
    append_date(s, std::chrono::sys_days(day.time_since_epoch()));
    s.push_back('T');
    append_time(s, t - day);
    if constexpr (std::is_same_v<Clock, std::chrono::system_clock>) s += "+00:00";
    return s;
}

/// A cursor over ISO text; every failure names the whole text.
class parser {
public:
    explicit parser(std::string_view s) : s_(s) {}
    bool done() const noexcept { return i_ == s_.size(); }
    bool accept(char c) noexcept {
        if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
        return false;
    }
    char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
    void expect(char c) {
        if (!accept(c)) fail();
    }
    /// Between min_digits and max_digits decimal digits; returns their value and count.
    long long number(int min_digits, int max_digits, int* count = nullptr) {
        long long v = 0;
        int n = 0;
        while (n < max_digits && i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') v = v * 10 + (s_[i_++] - '0'), ++n;
        if (n < min_digits) fail();
        if (count) *count = n;
        return v;
    }
    [[noreturn]] void fail() const {
        throw decode_error("pgorm: \"" + std::string(s_) + "\" is not an ISO 8601 date or timestamp");
    }

    std::chrono::sys_days date() {
        bool negative = accept('-');
        if (!negative) accept('+');
        long long y = number(4, 6);
        expect('-');
        long long m = number(2, 2);
        expect('-');
        long long d = number(2, 2);
        std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(negative ? -y : y)),
                                        std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d))};
        if (y > 32767 || !ymd.ok()) fail();
        return std::chrono::sys_days(ymd);
    }
    /// HH:MM[:SS[.f...]] as microseconds since midnight.
    std::chrono::microseconds time() {
        long long h = number(2, 2);
        expect(':');
        long long m = number(2, 2);
        long long s = 0, us = 0;
        if (accept(':')) {
            s = number(2, 2);
            if (accept('.')) {
                int n = 0;
                us = number(1, 6, &n);
                for (; n < 6; ++n) us *= 10;
            }
        }
        if (h > 23 || m > 59 || s > 59) fail();
        return std::chrono::microseconds(((h * 60 + m) * 60 + s) * 1'000'000 + us);
    }
    /// Z, +HH:MM, -HH:MM, +HHMM or +HH as an offset east of UTC; zero when absent.
    std::chrono::minutes offset() {
        if (done()) return {};
        if (accept('Z') || accept('z')) return {};
        int sign = accept('+') ? 1 : (expect('-'), -1);
        long long h = number(2, 2), m = 0;
        if (accept(':') || (peek() >= '0' && peek() <= '9')) m = number(2, 2);
        if (h > 23 || m > 59) fail();
        return std::chrono::minutes(sign * (h * 60 + m));
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;
};

inline std::chrono::sys_days parse_date(std::string_view s) {
    if (s == "infinity") return std::chrono::sys_days::max();
    if (s == "-infinity") return std::chrono::sys_days::min();
    parser p(s);
    auto d = p.date();
    if (!p.done()) p.fail();
    return d;
}

/// An instant (sys_time, offset applied) or a wall-clock reading (local_time, offset ignored).
template <class Clock>
std::chrono::time_point<Clock, std::chrono::microseconds> parse_timestamp(std::string_view s) {
    using tp = std::chrono::time_point<Clock, std::chrono::microseconds>;
    if (s == "infinity") return tp::max();
    if (s == "-infinity") return tp::min();
    parser p(s);
    auto day = p.date();
    std::chrono::microseconds tod{0};
    if (p.accept('T') || p.accept(' ')) tod = p.time();
    auto off = p.offset();
    if (!p.done()) p.fail();
    auto us = std::chrono::microseconds(day.time_since_epoch()) + tod;
    if constexpr (std::is_same_v<Clock, std::chrono::system_clock>) us -= off;
    return tp(us);
}

}  // namespace pgorm::detail::iso

namespace pgorm {

/// ISO 8601 text of a timestamp ("2024-05-01T12:30:00.000001+00:00" for timestamptz, no offset for
/// timestamp; "infinity" / "-infinity" at the ends), for logs and output: libstdc++ 12 has no
/// chrono formatting.
template <class Clock>
std::string iso_string(std::chrono::time_point<Clock, std::chrono::microseconds> t) {
    return detail::iso::format_timestamp(t);
}

/// ISO 8601 text of a date ("2024-05-01").
inline std::string iso_string(std::chrono::sys_days d) { return detail::iso::format_date(d); }

}  // namespace pgorm
