#pragma once
// The fast path of jsonb<T>::parse for a flat struct: a described struct whose members are all
// bool, integers, float/double, std::string, or std::optional of those (an event payload, say).
// Such a T is filled by one pass over the text, with no boost::json tree built, searched and
// dropped in between.
//
// It only takes the plain case, in JSON's grammar (RFC 8259): one object whose keys are all
// members of T, each once, whose values are strings of printable ASCII without escapes, integers
// without fraction or exponent, true, false, or null (for a std::optional member), each fitting
// its member, with every member that is not std::optional present. Anything else (escapes,
// non-ASCII text, a fraction or exponent, an unknown or repeated key, a missing member, a value
// that does not fit, malformed text) is not judged here: read() returns false and the caller runs
// the general path (json_mapping.hpp's from_json on a tree parsed by Boost.JSON), which reads it
// or throws its usual decode_error. So every value read here is the one the general path reads,
// and every error is the general path's.
//
// Not Boost.JSON's event parser (basic_parser): instantiating it costs about 3 s of compile time
// per translation unit at -O2, more than the whole of <pgorm/types/json.hpp>.

#include <pgorm/reflect/table.hpp>
#include <pgorm/types/detail/json_mapping.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace pgorm::detail::json_flat {

template <class M>
inline constexpr bool scalar_member =
    std::is_same_v<M, bool> || json_map::json_integer<M> || std::is_floating_point_v<M> || std::is_same_v<M, std::string>;
template <class M>
inline constexpr bool flat_member = scalar_member<M>;
template <class M>
inline constexpr bool flat_member<std::optional<M>> = scalar_member<M>;

template <class T>
consteval bool all_members_flat() {
    bool all = true;
    reflect::for_each_member<T>([&](std::size_t, auto d) {
        all = all && flat_member<std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>>;
    });
    return all;
}

/// T can be read by read(): a described struct of at most 64 flat members.
template <class T>
concept flat_struct = described_struct<T> && reflect::member_count<T> <= 64 && all_members_flat<T>();

/// One JSON integer as Boost.JSON classifies it: int64 when it fits, else (positive) uint64.
struct integer {
    bool negative = false;
    std::uint64_t magnitude = 0;

    /// The value the general path reads into I from Boost.JSON's int64/uint64, if it fits.
    template <class I>
    bool to(I& out) const {
        if (negative) {
            // Only from an int64: magnitude <= 2^63 (larger ones the scanner already refused).
            const std::int64_t v = magnitude == std::uint64_t(1) << 63 ? std::numeric_limits<std::int64_t>::min()
                                                                       : -static_cast<std::int64_t>(magnitude);
            if (!std::in_range<I>(v)) return false;
            out = static_cast<I>(v);
        } else {
            if (!std::in_range<I>(magnitude)) return false;
            out = static_cast<I>(magnitude);
        }
        return true;
    }
    /// As a double, the way boost::json::value::to_number<double>() converts an int64 or uint64.
    double to_double() const {
        if (!negative) {
            if (magnitude <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
                return static_cast<double>(static_cast<std::int64_t>(magnitude));
            return static_cast<double>(magnitude);
        }
        std::int64_t v = 0;
        to(v);
        return static_cast<double>(v);
    }
};

/// A single pass over the text; every method returns false at the first thing it leaves to
/// the general path.
template <class T>
class scanner {
public:
    static constexpr std::size_t members = reflect::member_count<T>;

    scanner(std::string_view text, T& out) : p_(text.data()), end_(text.data() + text.size()), out_(out) {}

    bool object() {
        space();
        if (!take('{')) return false;
        space();
        if (!take('}')) {
            for (;;) {
                std::string_view key;
                if (!string(key)) return false;
                const std::size_t m = find(key);
                if (m >= members || (seen_ & bit(m))) return false;  // unknown or repeated
                seen_ |= bit(m);
                last_ = m;
                space();
                if (!take(':')) return false;
                space();
                if (!value(m)) return false;
                space();
                if (take('}')) break;
                if (!take(',')) return false;
                space();
            }
        }
        space();
        return p_ == end_ && complete();
    }

private:
    static constexpr std::uint64_t bit(std::size_t i) noexcept { return std::uint64_t(1) << i; }

    static constexpr bool ends_plain_run(std::uint64_t w) noexcept {
        constexpr std::uint64_t ones = 0x0101010101010101ull, high = ones << 7;
        const std::uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
        return ((((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & high) != 0 ||
               (w & high) != 0;
    }

    void space() {
        // JSON's whitespace is all at or below ' ': one comparison passes any other byte.
        while (p_ != end_ && static_cast<unsigned char>(*p_) <= ' ' &&
               (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
            ++p_;
    }
    bool take(char c) {
        if (p_ == end_ || *p_ != c) return false;
        ++p_;
        return true;
    }
    bool word(std::string_view w) {
        if (static_cast<std::size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) return false;
        p_ += w.size();
        return true;
    }

    // A string of printable ASCII, no escapes (whatever else is the general path's).
    bool string(std::string_view& out) {
        if (!take('"')) return false;
        const char* start = p_;
        // 8 bytes a step while none ends the string or leaves it to the general path: no '"',
        // '\\', byte below 0x20 or at 0x80 and above (word-at-a-time tests, exact as to whether
        // there is one); the byte loop below finds which.
        for (std::uint64_t w; end_ - p_ >= 8; p_ += 8) {
            std::memcpy(&w, p_, 8);
            if (ends_plain_run(w)) break;
        }
        while (p_ != end_ && *p_ != '"') {
            const unsigned char c = static_cast<unsigned char>(*p_);
            if (c < 0x20 || c >= 0x80 || c == '\\') return false;
            ++p_;
        }
        if (p_ == end_) return false;
        out = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
    }

    // An integer without fraction or exponent that fits 64 bits as Boost.JSON reads it (int64,
    // or uint64 when positive); "-0" and anything larger are the general path's.
    bool number(integer& out) {
        out.negative = take('-');
        if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
        if (*p_ == '0') {
            ++p_;
            if (out.negative) return false;
        } else {
            std::uint64_t v = 0;
            while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
                if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, std::uint64_t(*p_ - '0'), &v))
                    return false;
                ++p_;
            }
            if (out.negative && v > std::uint64_t(1) << 63) return false;  // a double to Boost.JSON
            out.magnitude = v;
        }
        // A fraction, an exponent or another digit (a leading zero): not a plain integer.
        return p_ == end_ || !(*p_ == '.' || *p_ == 'e' || *p_ == 'E' || (*p_ >= '0' && *p_ <= '9'));
    }

    // The value of member m.
    bool value(std::size_t m) {
        bool ok = false;
        reflect::for_each_member<T>([&](std::size_t k, auto d) {
            if (k != m) return;
            auto& target = out_.*d.pointer;
            using M = std::remove_cvref_t<decltype(target)>;
            if constexpr (json_map::is_optional<M>) {
                if (p_ != end_ && *p_ == 'n') ok = word("null") && (target.reset(), true);
                else ok = scalar(target ? *target : target.emplace());
            } else {
                ok = scalar(target);
            }
        });
        return ok;
    }

    template <class M>
    bool scalar(M& out) {
        if constexpr (std::is_same_v<M, std::string>) {
            std::string_view s;
            if (!string(s)) return false;
            out.assign(s.data(), s.size());
            return true;
        } else if constexpr (std::is_same_v<M, bool>) {
            if (p_ != end_ && *p_ == 't') return word("true") && (out = true, true);
            return word("false") && (out = false, true);
        } else {
            integer n;
            if (!number(n)) return false;
            if constexpr (std::is_floating_point_v<M>) return out = static_cast<M>(n.to_double()), true;
            else return n.to(out);
        }
    }

    // The member named `key`: the one after the last key read is looked at first (pgorm's writer
    // puts members in struct order), then all of them; `members` when there is none.
    std::size_t find(std::string_view key) const {
        std::size_t found = members;
        const std::size_t next = last_ + 1;
        reflect::for_each_member<T>([&](std::size_t k, auto d) {
            if (k == next && key == d.name) found = k;
        });
        if (found != members) return found;
        reflect::for_each_member<T>([&](std::size_t k, auto d) {
            if (found == members && key == d.name) found = k;
        });
        return found;
    }

    // Every member that is not std::optional was read; a missing optional one is reset (as the
    // general path does, whatever its default).
    bool complete() {
        bool ok = true;
        reflect::for_each_member<T>([&](std::size_t i, auto d) {
            using M = std::remove_cvref_t<decltype(out_.*d.pointer)>;
            if (seen_ & bit(i)) return;
            if constexpr (json_map::is_optional<M>) (out_.*d.pointer).reset();
            else ok = false;
        });
        return ok;
    }

    const char* p_;
    const char* end_;
    T& out_;
    std::uint64_t seen_ = 0;
    std::size_t last_ = std::size_t(-1);  // the member read last
};

/// Fills `out` (a value-initialised T) from `text` and returns true, or returns false for the
/// general path to judge (see the top of this file); `out` is then unspecified.
template <flat_struct T>
bool read(std::string_view text, T& out) {
    return scanner<T>(text, out).object();
}

}  // namespace pgorm::detail::json_flat
