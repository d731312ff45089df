#pragma once
// C++ values <-> boost::json::value, the mapping behind pgorm::jsonb<T> (json.hpp).
//
//   described struct      object, one key per described member (missing key: only for std::optional)
//   std::optional<T>      null or T
//   std::vector<T>        array;  std::map<std::string, T>: object
//   bool, integers, float/double   boolean, number (NaN and infinities have no JSON form: throw)
//   std::string, described enum (label), boost::uuids::uuid, pgorm::numeric, pgorm::time_of_day   string
//   timestamptz, timestamp      {"__sentinel": "timestamp", "value": "<isoformat>"}
//   sys_days, year_month_day    {"__sentinel": "date", "value": "YYYY-MM-DD"}
//   boost::json::value          as is
//
// The sentinels are seed 002's: dates and timestamps keep their type through JSON instead of
// degrading to strings. Reading also takes a bare ISO string where a date or timestamp is
// expected. Unknown object keys are ignored. Anything that does not fit throws decode_error
// naming the path ($.address.city) and what was expected.

#include <pgorm/error.hpp>
#include <pgorm/types/chrono.hpp>
#include <pgorm/types/codec.hpp>
#include <pgorm/types/enum.hpp>
#include <pgorm/types/iso_time.hpp>
#include <pgorm/types/numeric.hpp>
#include <pgorm/reflect/table.hpp>

#include <boost/json/value.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <cmath>
#include <concepts>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace pgorm {

namespace detail::json_map {

template <class T> inline constexpr bool is_optional = false;
template <class T> inline constexpr bool is_optional<std::optional<T>> = true;
template <class T> inline constexpr bool is_vector = false;
template <class T, class A> inline constexpr bool is_vector<std::vector<T, A>> = true;
template <class T> inline constexpr bool is_string_map = false;
template <class T, class C, class A> inline constexpr bool is_string_map<std::map<std::string, T, C, A>> = true;
template <class T> inline constexpr bool is_time_point = false;
template <class C> inline constexpr bool is_time_point<std::chrono::time_point<C, std::chrono::microseconds>> =
    std::is_same_v<C, std::chrono::system_clock> || std::is_same_v<C, std::chrono::local_t>;
template <class T>
concept json_integer = std::integral<T> && !std::same_as<T, bool>;
template <class T> inline constexpr bool unsupported = false;

inline boost::json::value sentinel(std::string_view kind, const std::string& value) {
    boost::json::object o;
    o["__sentinel"] = kind;
    o["value"] = value;
    return o;
}

template <class T>
void to_json(const T& v, boost::json::value& out) {
    if constexpr (std::is_same_v<T, boost::json::value>) {
        out = v;
    } else if constexpr (std::is_same_v<T, bool>) {
        out = v;
    } else if constexpr (json_integer<T>) {
        out = v;
    } else if constexpr (std::is_floating_point_v<T>) {
        if (!std::isfinite(v))
            throw value_out_of_range("pgorm: " + std::string(std::isnan(v) ? "NaN" : "an infinity") +
                                     " has no JSON representation");
        out = static_cast<double>(v);
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        out = std::string_view(v);
    } else if constexpr (described_enum<T>) {
        std::string_view l = enum_label(v);
        if (l.empty())
            throw value_out_of_range("pgorm: value of C++ enum " + std::string(cpp_type_name<T>()) +
                                     " has no enumerator, so no JSON label");
        out = l;
    } else if constexpr (is_time_point<T>) {
        out = sentinel("timestamp", iso::format_timestamp(v));
    } else if constexpr (std::is_same_v<T, std::chrono::sys_days>) {
        out = sentinel("date", iso::format_date(v));
    } else if constexpr (std::is_same_v<T, std::chrono::year_month_day>) {
        if (!v.ok()) throw value_out_of_range("pgorm: year_month_day is not a valid calendar date");
        out = sentinel("date", iso::format_date(std::chrono::sys_days(v)));
    } else if constexpr (std::is_same_v<T, time_of_day>) {
        std::string s;
        iso::append_time(s, v.since_midnight);
        out = s;
    } else if constexpr (std::is_same_v<T, boost::uuids::uuid>) {
        out = boost::uuids::to_string(v);
    } else if constexpr (std::is_same_v<T, numeric>) {
        out = v.str();
    } else if constexpr (is_optional<T>) {
        if (v) to_json(*v, out);
        else out = nullptr;
    } else if constexpr (is_vector<T>) {
        auto& a = out.emplace_array();
        a.reserve(v.size());
        for (const auto& e : v) to_json(e, a.emplace_back(nullptr));
    } else if constexpr (is_string_map<T>) {
        auto& o = out.emplace_object();
        for (const auto& [k, e] : v) to_json(e, o[k]);
    } else if constexpr (described_struct<T>) {
        auto& o = out.emplace_object();
        reflect::for_each_member<T>([&](std::size_t, auto d) { to_json(v.*d.pointer, o[d.name]); });
    } else {
        static_assert(unsupported<T>, "pgorm: this type has no JSON mapping (see types/detail/json_mapping.hpp)");
    }
}

/// The place being read, for error messages: "$", "$.items[3].name". One frame per level, on
/// the stack of the from_json call reading that level, pointing at its parent's frame; the text
/// is put together only when an error is reported, so a read that fits builds no string.
struct path {
    const path* parent = nullptr;  // nullptr: the root, "$"
    std::string_view key{};        // ".key" (a member or a map key), unless this is an array step
    std::size_t index = 0;         // "[index]" when is_index
    bool is_index = false;

    static path member(const path& parent, std::string_view key) noexcept { return {&parent, key, 0, false}; }
    static path element(const path& parent, std::size_t index) noexcept { return {&parent, {}, index, true}; }

    [[gnu::cold]] std::string text() const {
        if (!parent) return "$";
        std::string out = parent->text();
        if (is_index) out += "[" + std::to_string(index) + "]";
        else out += "." + std::string(key);
        return out;
    }
    [[noreturn, gnu::cold]] void fail(std::string_view what, const boost::json::value& got) const {
        static constexpr std::string_view kinds[] = {"null", "bool", "int64", "uint64", "double",
                                                     "string", "array", "object"};
        throw decode_error("pgorm: JSON at " + text() + ": expected " + std::string(what) + ", got " +
                           std::string(kinds[static_cast<int>(got.kind())]));
    }
    [[noreturn, gnu::cold]] void fail(std::string_view message) const {
        throw decode_error("pgorm: JSON at " + text() + ": " + std::string(message));
    }
};

/// The value of member `key` of `o`, or nullptr. `hint` is where the member usually sits (its
/// place in the C++ struct, which is where pgorm's writer puts it): looked at first, so a
/// document in that order needs no search. Keys in a boost::json::object are unique.
inline const boost::json::value* member_at(const boost::json::object& o, std::string_view key, std::size_t hint) {
    if (hint < o.size()) {
        const auto& kv = o.begin()[hint];
        if (kv.key() == key) return &kv.value();
    }
    return o.if_contains(key);
}

/// The ISO text of a sentinel of this kind, or of a bare string.
inline std::string_view sentinel_value(const boost::json::value& in, std::string_view kind, const path& at) {
    if (in.is_string()) return in.get_string();
    if (const auto* o = in.if_object()) {
        const auto* s = o->if_contains("__sentinel");
        const auto* v = o->if_contains("value");
        if (s && v && s->is_string() && v->is_string()) {
            if (s->get_string() != kind)
                at.fail("expected a \"" + std::string(kind) + "\" sentinel, got a \"" +
                        std::string(s->get_string()) + "\" sentinel");
            return v->get_string();
        }
    }
    at.fail("a " + std::string(kind) + " sentinel object or ISO string", in);
}

template <class I>
I integer_from(const boost::json::value& in, const path& at) {
    auto out_of_range = [&] { at.fail("number out of range for " + std::string(cpp_type_name<I>())); };
    if (in.is_int64()) {
        std::int64_t v = in.get_int64();
        if (!std::in_range<I>(v)) out_of_range();
        return static_cast<I>(v);
    }
    if (in.is_uint64()) {
        std::uint64_t v = in.get_uint64();
        if (!std::in_range<I>(v)) out_of_range();
        return static_cast<I>(v);
    }
    if (in.is_double()) {
        double d = in.get_double();
        // min() and max() + 1 are powers of two, exact as doubles: the valid range is [lo, hi).
        constexpr double lo = static_cast<double>(std::numeric_limits<I>::min());
        constexpr double hi = static_cast<double>(std::numeric_limits<I>::max()) + 1.0;
        if (d != std::trunc(d) || d < lo || d >= hi)
            at.fail("an integer that fits " + std::string(cpp_type_name<I>()), in);
        return static_cast<I>(d);
    }
    at.fail("an integer", in);
}

template <class T>
void from_json(const boost::json::value& in, T& out, const path& at) {
    if constexpr (std::is_same_v<T, boost::json::value>) {
        out = in;
    } else if constexpr (std::is_same_v<T, bool>) {
        if (!in.is_bool()) at.fail("a boolean", in);
        out = in.get_bool();
    } else if constexpr (json_integer<T>) {
        out = integer_from<T>(in, at);
    } else if constexpr (std::is_floating_point_v<T>) {
        if (!in.is_number()) at.fail("a number", in);
        out = static_cast<T>(in.to_number<double>());
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!in.is_string()) at.fail("a string", in);
        out.assign(in.get_string().data(), in.get_string().size());
    } else if constexpr (described_enum<T>) {
        if (!in.is_string()) at.fail("an enum label (string)", in);
        std::string_view label = in.get_string();
        auto e = enum_from_label<T>(label);
        if (!e) at.fail("\"" + std::string(label) + "\" is not an enumerator of C++ enum " + std::string(cpp_type_name<T>()));
        out = *e;
    } else if constexpr (is_time_point<T>) {
        out = iso::parse_timestamp<typename T::clock>(sentinel_value(in, "timestamp", at));
    } else if constexpr (std::is_same_v<T, std::chrono::sys_days>) {
        out = iso::parse_date(sentinel_value(in, "date", at));
    } else if constexpr (std::is_same_v<T, std::chrono::year_month_day>) {
        auto d = iso::parse_date(sentinel_value(in, "date", at));
        if (d == std::chrono::sys_days::max() || d == std::chrono::sys_days::min())
            at.fail("an infinite date does not fit std::chrono::year_month_day");
        out = std::chrono::year_month_day(d);
    } else if constexpr (std::is_same_v<T, time_of_day>) {
        if (!in.is_string()) at.fail("a time of day (string)", in);
        iso::parser p(in.get_string());
        out = time_of_day(p.time());
        if (!p.done()) p.fail();
    } else if constexpr (std::is_same_v<T, boost::uuids::uuid>) {
        if (!in.is_string()) at.fail("a uuid (string)", in);
        try {
            out = boost::uuids::string_generator()(std::string(in.get_string()));
        } catch (const std::runtime_error&) {
            at.fail("\"" + std::string(in.get_string()) + "\" is not a uuid");
        }
    } else if constexpr (std::is_same_v<T, numeric>) {
        if (in.is_string()) out = numeric(std::string_view(in.get_string()));
        else if (in.is_int64()) out = numeric(in.get_int64());
        else if (in.is_uint64()) out = numeric(in.get_uint64());
        else at.fail("a numeric (string or integer)", in);
    } else if constexpr (is_optional<T>) {
        if (in.is_null()) out.reset();
        else from_json(in, out.emplace(), at);
    } else if constexpr (is_vector<T>) {
        const auto* a = in.if_array();
        if (!a) at.fail("an array", in);
        out.clear();
        out.reserve(a->size());
        for (std::size_t i = 0; i < a->size(); ++i) {
            typename T::value_type e{};
            from_json((*a)[i], e, path::element(at, i));
            out.push_back(std::move(e));
        }
    } else if constexpr (is_string_map<T>) {
        const auto* o = in.if_object();
        if (!o) at.fail("an object", in);
        out.clear();
        for (const auto& kv : *o) from_json(kv.value(), out[std::string(kv.key())], path::member(at, kv.key()));
    } else if constexpr (described_struct<T>) {
        const auto* o = in.if_object();
        if (!o) at.fail("an object for " + std::string(cpp_type_name<T>()), in);
        reflect::for_each_member<T>([&](std::size_t i, auto d) {
            using M = std::remove_cvref_t<decltype(out.*d.pointer)>;
            const path here = path::member(at, d.name);
            if (const auto* v = member_at(*o, d.name, i)) {
                from_json(*v, out.*d.pointer, here);
            } else if constexpr (is_optional<M>) {
                (out.*d.pointer).reset();
            } else {
                here.fail("missing member (C++ " + std::string(cpp_type_name<T>()) + "::" + d.name +
                          " is not std::optional)");
            }
        });
    } else {
        static_assert(unsupported<T>, "pgorm: this type has no JSON mapping (see types/detail/json_mapping.hpp)");
    }
}

}  // namespace detail::json_map

/// A C++ value as a JSON tree (dates and timestamps as sentinel objects).
template <class T>
boost::json::value to_json(const T& v) {
    boost::json::value out;
    detail::json_map::to_json(v, out);
    return out;
}

/// A JSON tree as a C++ value; throws decode_error naming the path that does not fit.
template <class T>
T from_json(const boost::json::value& in) {
    T out{};
    detail::json_map::from_json(in, out, detail::json_map::path{});
    return out;
}

}  // namespace pgorm
