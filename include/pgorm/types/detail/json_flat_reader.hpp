#pragma once
// The fast path of jsonb<T>::parse for a flat struct: a described struct whose members are all
// bool, integers, float/double, std::string, or std::optional of those (an event payload, say).
// Such a T is filled straight from Boost.JSON's event parser (basic_parser, the engine under
// boost::json::parse), with no tree built, searched and dropped in between.
//
// It only takes the easy case: one object whose keys are all members of T, each once, whose
// values are the JSON kinds the members hold and fit them (an integer in range, null only for
// std::optional), with every member that is not std::optional present. Anything else (malformed
// or too deep JSON, an unknown or repeated key, a value that does not fit, a missing member) is
// not judged here: read() returns false and the caller runs the general path
// (json_mapping.hpp's from_json on a parsed tree), which either reads it (an unknown key is
// ignored there, a double with an integral value fits an integer) or throws its usual
// decode_error. So both paths give the same value for every input the fast one accepts, and all
// errors come from the general path.

#include <pgorm/reflect/table.hpp>
#include <pgorm/types/detail/json_mapping.hpp>

#include <boost/json/basic_parser_impl.hpp>

#include <cstddef>
#include <cstdint>
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

/// basic_parser's handler: fills one T, or stops (returns false) at the first thing it leaves to
/// the general path.
template <class T>
class handler {
public:
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t members = reflect::member_count<T>;

    explicit handler(T& out) : out_(out) {}

    /// Every member that is not std::optional was read; a missing optional one is reset (as the
    /// general path does, whatever its default).
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

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code& ec) { return depth_++ == 0 || stop(ec); }
    bool on_object_end(std::size_t, boost::system::error_code&) { return --depth_, true; }
    bool on_array_begin(boost::system::error_code& ec) { return stop(ec); }
    bool on_array_end(std::size_t, boost::system::error_code& ec) { return stop(ec); }

    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t n, boost::system::error_code& ec) {
        std::string_view key(s.data(), s.size());
        if (n != s.size()) key = key_.append(s.data(), s.size());  // the end of a key that came in parts
        current_ = find(key);
        key_.clear();
        if (current_ >= members || (seen_ & bit(current_))) return stop(ec);  // unknown or repeated
        seen_ |= bit(current_);
        string_started_ = false;
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
        return string_value(s, ec);
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
        return string_value(s, ec);
    }
    bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_int64(std::int64_t v, boost::json::string_view, boost::system::error_code& ec) { return number(v, ec); }
    bool on_uint64(std::uint64_t v, boost::json::string_view, boost::system::error_code& ec) { return number(v, ec); }
    bool on_double(double v, boost::json::string_view, boost::system::error_code& ec) { return number(v, ec); }
    bool on_bool(bool v, boost::system::error_code& ec) {
        return with_member(ec, [&](auto& m) {
            using M = std::remove_cvref_t<decltype(m)>;
            if constexpr (std::is_same_v<M, bool>) return m = v, true;
            else return false;
        });
    }
    bool on_null(boost::system::error_code& ec) {
        return with_member(ec, [](auto&) { return false; }, true);
    }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

private:
    static constexpr std::uint64_t bit(std::size_t i) noexcept { return std::uint64_t(1) << i; }

    bool stop(boost::system::error_code& ec) {
        ec = boost::json::error::test_failure;  // any error: the caller only sees "not ours"
        return false;
    }

    // The member named `key`: the one after the last key read is looked at first (pgorm's writer
    // puts members in struct order), then all of them; `members` when there is none.
    std::size_t find(std::string_view key) const {
        std::size_t found = members;
        const std::size_t next = current_ + 1;
        reflect::for_each_member<T>([&](std::size_t k, auto d) {
            if (k == next && key == d.name) found = k;
        });
        if (found != members) return found;
        reflect::for_each_member<T>([&](std::size_t k, auto d) {
            if (found == members && key == d.name) found = k;
        });
        return found;
    }

    // Calls f(member) for the member whose value is being read, inside the one object; a value
    // anywhere else stops the read. A JSON null resets a std::optional member; for the other
    // values, f sees the optional's value (emplaced) and decides.
    template <class F>
    bool with_member(boost::system::error_code& ec, F&& f, bool is_null = false) {
        if (depth_ != 1 || current_ >= members) return stop(ec);
        bool ok = false;
        reflect::for_each_member<T>([&](std::size_t k, auto d) {
            if (k != current_) return;
            auto& m = out_.*d.pointer;
            using M = std::remove_cvref_t<decltype(m)>;
            if constexpr (json_map::is_optional<M>) {
                if (is_null) ok = (m.reset(), true);
                else ok = f(m ? *m : m.emplace());
            } else {
                ok = !is_null && f(m);
            }
        });
        return ok || stop(ec);
    }

    bool string_value(boost::json::string_view s, boost::system::error_code& ec) {
        const bool first = !string_started_;
        string_started_ = true;
        return with_member(ec, [&](auto& m) {
            using M = std::remove_cvref_t<decltype(m)>;
            if constexpr (std::is_same_v<M, std::string>) {
                if (first) m.assign(s.data(), s.size());
                else m.append(s.data(), s.size());
                return true;
            } else {
                return false;
            }
        });
    }

    // A number into the current member, as the general path converts it: integers only from an
    // integer in range (a double is left to it), floating point from any number.
    template <class V>
    bool number(V v, boost::system::error_code& ec) {
        return with_member(ec, [&](auto& m) {
            using M = std::remove_cvref_t<decltype(m)>;
            if constexpr (json_map::json_integer<M> && std::is_integral_v<V>) {
                if (!std::in_range<M>(v)) return false;
                return m = static_cast<M>(v), true;
            } else if constexpr (std::is_floating_point_v<M>) {
                return m = static_cast<M>(static_cast<double>(v)), true;
            } else {
                return false;
            }
        });
    }

private:
    T& out_;
    std::uint64_t seen_ = 0;
    std::size_t current_ = std::size_t(-1);  // the member whose value comes next
    int depth_ = 0;
    bool string_started_ = false;
    std::string key_;  // a key that arrives in parts
};

/// Fills `out` (a value-initialised T) from `text` and returns true, or returns false for the
/// general path to judge (see the top of this file); `out` is then unspecified. `options` are the
/// general path's (the same depth limit).
template <flat_struct T>
bool read(std::string_view text, T& out, const boost::json::parse_options& options) {
    boost::json::basic_parser<handler<T>> p(options, out);
    boost::system::error_code ec;
    const std::size_t used = p.write_some(false, text.data(), text.size(), ec);
    return !ec && used == text.size() && p.done() && p.handler().complete();
}

}  // namespace pgorm::detail::json_flat
