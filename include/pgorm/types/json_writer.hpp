#pragma once
// The JSON text of a C++ value, appended straight to a std::string: the fast path behind
// jsonb<T>::dump() and jsonb<T>'s codec (json.hpp).
//
// The general path builds a boost::json::value (json_mapping.hpp), checks it is storable
// (json_limits.hpp) and serialises it. This writer produces the same bytes without the tree,
// for every type of json_mapping.hpp: described structs (keys in member order), std::optional
// (null), std::vector (array), std::map<std::string, T> (object, keys in map order), bool,
// integers, float/double, strings, described enums (label), uuid, numeric, time_of_day, dates
// and timestamps (seed 002's sentinel objects), and boost::json::value inside any of these.
// It follows Boost.JSON's serializer (boost/json/impl/serializer.ipp, detail/ryu/d2s.ipp):
//   strings   RFC 8259 section 7: `"` and `\` escaped, control characters as \b \t \n \f \r or
//             \u00xx (lower-case hex), every other byte (UTF-8 included) as it is
//   doubles   the shortest text that reads back to the same double, in Ryu's scientific form:
//             digits with a point after the first when there are more, 'E', '-' for a negative
//             exponent, no leading zeros: 1E0, 1.5E-7, -0E0, 1.7976931348623157E308
//   integers  decimal
// It never throws for what the general path accepts. When the value is something that path
// refuses (a NUL character, a NaN or infinity, nesting deeper than json_max_depth(), an enum
// value without a label, an invalid year_month_day) or a type it does not know, it gives up:
// the caller takes the general path, which throws its own error (or, for a type the writer does
// not know, writes it). So errors stay exactly those of the general path.

#include <pgorm/types/chrono.hpp>
#include <pgorm/types/detail/json_mapping.hpp>
#include <pgorm/types/enum.hpp>
#include <pgorm/types/iso_time.hpp>
#include <pgorm/types/json_limits.hpp>
#include <pgorm/types/numeric.hpp>
#include <pgorm/reflect/table.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm::detail::json_write {

/// How Boost.JSON's serializer writes byte c inside a string: 0 = as it is, 'u' = \u00xx, else
/// a backslash and this letter.
inline constexpr auto escapes = [] {
    std::array<char, 256> e{};
    for (int c = 0; c < 0x20; ++c) e[static_cast<std::size_t>(c)] = 'u';
    e['\b'] = 'b';
    e['\t'] = 't';
    e['\n'] = 'n';
    e['\f'] = 'f';
    e['\r'] = 'r';
    e['"'] = '"';
    e['\\'] = '\\';
    return e;
}();

constexpr bool needs_no_escape(std::string_view s) noexcept {
    for (char c : s)
        if (escapes[static_cast<unsigned char>(c)] != 0) return false;
    return true;
}

/// `,"name":` for a described member, made at compile time (the first member skips the comma).
template <class D>
struct member_key {
    static constexpr std::string_view name = D::name;
    static constexpr auto text = [] {
        std::array<char, name.size() + 4> t{};
        t[0] = ',';
        t[1] = '"';
        for (std::size_t i = 0; i < name.size(); ++i) t[2 + i] = name[i];
        t[name.size() + 2] = '"';
        t[name.size() + 3] = ':';
        return t;
    }();
    static constexpr bool plain = needs_no_escape(name);  // C++ names always are; checked anyway
};

/// A buffer in front of the output string: the writer's many small pieces cost a store each,
/// and the string grows once per 256 bytes.
class sink {
public:
    explicit sink(std::string& out) noexcept : out_(out) {}

    void put(char c) {
        if (used_ == sizeof buf_) [[unlikely]] spill();
        buf_[used_++] = c;
    }
    void put(const char* p, std::size_t n) {
        if (n > sizeof buf_ - used_) [[unlikely]] {
            spill();
            if (n > sizeof buf_) {
                out_.append(p, n);
                return;
            }
        }
        std::memcpy(buf_ + used_, p, n);
        used_ += n;
    }
    void put(std::string_view s) { put(s.data(), s.size()); }
    /// Where to write n bytes directly; then advance(n).
    char* room(std::size_t n) {
        if (n > sizeof buf_ - used_) [[unlikely]] spill();
        return buf_ + used_;
    }
    void advance(std::size_t n) noexcept { used_ += n; }
    void flush() {
        out_.append(buf_, used_);
        used_ = 0;
    }

private:
    // flush() when the buffer is full, out of line: inlined into every put, g++ could not tell
    // that it reads only bytes already written, and warned (-Wmaybe-uninitialized).
    [[gnu::noinline]] void spill() { flush(); }

private:
    std::string& out_;
    std::size_t used_ = 0;
    // Not zeroed (that cost 39 instructions per value written): only the first used_ bytes are
    // ever read.
    char buf_[256];
};

/// True when one of the 8 bytes of w is escaped in a JSON string (below 0x20, '"' or '\\'): the
/// word-at-a-time tests for a byte below n and for a zero byte, exact as to whether there is one.
constexpr bool needs_escape_in(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, high = ones << 7;
    const std::uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & high;
}

/// Writes s as a JSON string; false (partly written) when s holds a NUL, which jsonb refuses.
inline bool put_string(sink& out, std::string_view s) {
    out.put('"');
    const char* p = s.data();
    const char* const end = p + s.size();
    while (p != end) {
        const char* run = p;  // the longest stretch that needs no escape, copied at once
        for (std::uint64_t w; end - p >= 8; p += 8) {  // 8 bytes a step while none is escaped
            std::memcpy(&w, p, 8);
            if (needs_escape_in(w)) break;
        }
        while (p != end && escapes[static_cast<unsigned char>(*p)] == 0) ++p;
        out.put(run, static_cast<std::size_t>(p - run));
        if (p == end) break;
        const auto c = static_cast<unsigned char>(*p++);
        if (c == 0) return false;
        const char e = escapes[c];
        if (e != 'u') {
            const char pair[2] = {'\\', e};
            out.put(pair, 2);
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            const char code[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            out.put(code, 6);
        }
    }
    out.put('"');
    return true;
}

/// Writes a finite double as Boost.JSON does (see the top of this file). std::to_chars's
/// shortest scientific form has the same digits (both are the shortest round trip, correctly
/// rounded); only the exponent is spelt differently ("e+05" there, "E5" here).
inline void put_double(sink& out, double d) {
    char buf[32];
    const char* end = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr;
    // 32 bytes hold any double: "-d.dddddddddddddddde-308" is 24
    const char* e = static_cast<const char*>(std::memchr(buf, 'e', static_cast<std::size_t>(end - buf)));
    out.put(buf, static_cast<std::size_t>(e - buf));
    out.put('E');
    const char* digits = e + 1;
    if (*digits == '-') out.put('-');
    ++digits;  // past the sign, which to_chars always writes
    while (digits + 1 < end && *digits == '0') ++digits;
    out.put(digits, static_cast<std::size_t>(end - digits));
}

/// "00" to "99": two digits written at once.
inline constexpr auto digit_pairs = [] {
    std::array<char, 200> t{};
    for (int i = 0; i < 100; ++i) {
        t[static_cast<std::size_t>(2 * i)] = static_cast<char>('0' + i / 10);
        t[static_cast<std::size_t>(2 * i + 1)] = static_cast<char>('0' + i % 10);
    }
    return t;
}();

/// The number of decimal digits of u: floor(log10(u)) + 1 from its bit width (log10(2) ~
/// 1233 / 4096, corrected by one comparison), without a division per digit.
inline int decimal_digits(unsigned long long u) noexcept {
    static constexpr unsigned long long powers[20] = {1ull,
                                                      10ull,
                                                      100ull,
                                                      1'000ull,
                                                      10'000ull,
                                                      100'000ull,
                                                      1'000'000ull,
                                                      10'000'000ull,
                                                      100'000'000ull,
                                                      1'000'000'000ull,
                                                      10'000'000'000ull,
                                                      100'000'000'000ull,
                                                      1'000'000'000'000ull,
                                                      10'000'000'000'000ull,
                                                      100'000'000'000'000ull,
                                                      1'000'000'000'000'000ull,
                                                      10'000'000'000'000'000ull,
                                                      100'000'000'000'000'000ull,
                                                      1'000'000'000'000'000'000ull,
                                                      10'000'000'000'000'000'000ull};
    const int t = (static_cast<int>(std::bit_width(u)) * 1233) >> 12;  // 0 to 19
    return t - (u < powers[t]) + 1;
}

/// Writes an integer in decimal, as std::to_chars does: two digits per step from the end, the
/// length known first.
template <class I>
void put_integer(sink& out, I v) {
    unsigned long long u = static_cast<unsigned long long>(v);
    if (u < 10) {  // one digit, the common case (a negative wraps to a large value)
        out.put(static_cast<char>('0' + u));
        return;
    }
    char* at = out.room(24);  // any 64-bit integer fits
    std::size_t used = 0;
    if constexpr (std::is_signed_v<I>) {
        if (v < 0) {
            at[used++] = '-';
            u = 0ull - u;  // the magnitude, also of the most negative value
        }
    }
    const auto n = static_cast<std::size_t>(decimal_digits(u));
    char* p = at + used + n;
    while (u >= 100) {
        const auto pair = static_cast<std::size_t>(u % 100) * 2;
        u /= 100;
        p -= 2;
        std::memcpy(p, digit_pairs.data() + pair, 2);
    }
    if (u >= 10) std::memcpy(p - 2, digit_pairs.data() + 2 * u, 2);
    else p[-1] = static_cast<char>('0' + u);
    out.advance(used + n);
}

/// The integer types whose boost::json::value is their number (the character types are left to
/// the general path, which decides what they become).
template <class T>
inline constexpr bool plain_integer =
    json_map::json_integer<T> && !std::is_same_v<T, char> && !std::is_same_v<T, wchar_t> &&
    !std::is_same_v<T, char8_t> && !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t>;

/// Writes one value; every member returns false to hand the whole value to the general path.
class writer {
public:
    explicit writer(sink& out) noexcept : out_(out), limit_(json_max_depth()) {}

    template <class T>
    bool value(const T& v) {
        // The branches and their order are json_mapping.hpp's to_json, so a type maps the same way.
        if constexpr (std::is_same_v<T, boost::json::value>) {
            return tree(v);
        } else if constexpr (std::is_same_v<T, bool>) {
            out_.put(v ? std::string_view("true") : std::string_view("false"));
            return true;
        } else if constexpr (json_map::json_integer<T>) {
            if constexpr (!plain_integer<T>) return false;
            else if constexpr (std::is_signed_v<T>) put_integer(out_, static_cast<long long>(v));
            else put_integer(out_, static_cast<unsigned long long>(v));
            return true;
        } else if constexpr (std::is_floating_point_v<T>) {
            const double d = static_cast<double>(v);  // the general path stores a float as this double
            if (!std::isfinite(d)) return false;
            put_double(out_, d);
            return true;
        } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
            return put_string(out_, std::string_view(v));
        } else if constexpr (described_enum<T>) {
            const std::string_view label = enum_label(v);
            return !label.empty() && put_string(out_, label);
        } else if constexpr (json_map::is_time_point<T>) {
            return sentinel("timestamp", iso::format_timestamp(v));
        } else if constexpr (std::is_same_v<T, std::chrono::sys_days>) {
            return sentinel("date", iso::format_date(v));
        } else if constexpr (std::is_same_v<T, std::chrono::year_month_day>) {
            return v.ok() && sentinel("date", iso::format_date(std::chrono::sys_days(v)));
        } else if constexpr (std::is_same_v<T, time_of_day>) {
            std::string s;
            iso::append_time(s, v.since_midnight);
            return put_string(out_, s);
        } else if constexpr (std::is_same_v<T, boost::uuids::uuid>) {
            char* at = out_.room(38);
            at[0] = '"';
            boost::uuids::to_chars(v, at + 1);  // hex digits and dashes: nothing to escape
            at[37] = '"';
            out_.advance(38);
            return true;
        } else if constexpr (std::is_same_v<T, numeric>) {
            return put_string(out_, v.str());
        } else if constexpr (json_map::is_optional<T>) {
            if (!v) {
                out_.put("null", 4);
                return true;
            }
            return value(*v);
        } else if constexpr (json_map::is_vector<T>) {
            if (!open('[')) return false;
            bool first = true;
            for (const auto& e : v) {
                if (!first) out_.put(',');
                first = false;
                if (!value(e)) return false;
            }
            close(']');
            return true;
        } else if constexpr (json_map::is_string_map<T>) {
            if (!open('{')) return false;
            bool first = true;
            for (const auto& [k, e] : v) {
                if (!first) out_.put(',');
                first = false;
                if (!put_string(out_, k)) return false;
                out_.put(':');
                if (!value(e)) return false;
            }
            close('}');
            return true;
        } else if constexpr (described_struct<T>) {
            if (!open('{')) return false;
            bool ok = true, first = true;
            reflect::for_each_member<T>([&](std::size_t, auto d) {
                using key = member_key<decltype(d)>;
                if (!ok) return;
                if constexpr (key::plain) {
                    out_.put(key::text.data() + first, key::text.size() - first);
                } else {
                    if (!first) out_.put(',');
                    put_string(out_, key::name);  // a C++ name: never a NUL
                    out_.put(':');
                }
                first = false;
                ok = value(v.*d.pointer);
            });
            if (!ok) return false;
            close('}');
            return true;
        } else {
            return false;  // json_mapping.hpp's static_assert rejects it on the general path
        }
    }

private:
    // Arrays and objects count towards json_max_depth() as check_storable_as_jsonb counts them.
    bool open(char bracket) {
        if (++depth_ > limit_) return false;
        out_.put(bracket);
        return true;
    }
    void close(char bracket) {
        --depth_;
        out_.put(bracket);
    }

    bool sentinel(std::string_view kind, const std::string& text) {
        if (!open('{')) return false;
        out_.put(std::string_view("\"__sentinel\":"));
        put_string(out_, kind);
        out_.put(std::string_view(",\"value\":"));
        if (!put_string(out_, text)) return false;
        close('}');
        return true;
    }

    // A boost::json::value inside the value: Boost.JSON writes it, once it passes the checks
    // of check_storable_as_jsonb counted from the depth it sits at.
    bool tree(const boost::json::value& doc) {
        std::vector<std::pair<const boost::json::value*, std::size_t>> todo{{&doc, depth_}};
        auto has_nul = [](const auto& s) { return s.size() && std::memchr(s.data(), '\0', s.size()); };
        while (!todo.empty()) {
            auto [v, depth] = todo.back();
            todo.pop_back();
            if (v->is_string()) {
                if (has_nul(v->get_string())) return false;
            } else if (v->is_double()) {
                if (!std::isfinite(v->get_double())) return false;
            } else if (const auto* a = v->if_array()) {
                if (depth + 1 > limit_) return false;
                for (const auto& e : *a) todo.emplace_back(&e, depth + 1);
            } else if (const auto* o = v->if_object()) {
                if (depth + 1 > limit_) return false;
                for (const auto& kv : *o) {
                    if (has_nul(kv.key())) return false;
                    todo.emplace_back(&kv.value(), depth + 1);
                }
            }
        }
        out_.put(boost::json::serialize(doc));
        return true;
    }

    sink& out_;
    const std::size_t limit_;
    std::size_t depth_ = 0;
};

/// Appends v's JSON text exactly as the general path would write it and returns true, or
/// returns false with `out` as it was: then the general path must write v (or throw).
template <class T>
bool try_append(std::string& out, const T& v) {
    const std::size_t mark = out.size();
    sink buffer(out);
    if (writer(buffer).value(v)) {
        buffer.flush();
        return true;
    }
    out.resize(mark);
    return false;
}

}  // namespace pgorm::detail::json_write
