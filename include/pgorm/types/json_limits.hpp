#pragma once
// How deep a JSON document pgorm reads and writes, and the checks a jsonb document passes before
// it is sent.
//
// Depth counts nested arrays and objects: `[[1]]` is 2 deep. PostgreSQL has no fixed limit; its
// recursive JSON parser stops at max_stack_depth, which at the default 2MB is about 14,500 nested
// arrays or 13,000 nested objects (measured on PostgreSQL 15; docs 20.4.1, max_stack_depth).
// pgorm's default, 20,000, reads everything such a server stores. Raise it for a server with a
// larger max_stack_depth: deeper documents cost C++ stack too (a parsed boost::json::value is
// copied and destroyed recursively; 50,000 levels fit an 8MB thread stack).

#include <pgorm/error.hpp>

#include <boost/json/value.hpp>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgorm {

inline constexpr std::size_t default_json_max_depth = 20000;

namespace detail {
inline std::atomic<std::size_t>& json_max_depth_setting() noexcept {
    static std::atomic<std::size_t> depth{default_json_max_depth};
    return depth;
}
}  // namespace detail

/// The deepest nesting of arrays and objects that jsonb<T> parses and sends (default 20,000).
inline std::size_t json_max_depth() noexcept { return detail::json_max_depth_setting().load(std::memory_order_relaxed); }

/// Sets json_max_depth() for every thread; `levels` must be at least 1 (throws usage_error).
inline void set_json_max_depth(std::size_t levels) {
    if (levels == 0) throw usage_error("pgorm: set_json_max_depth(0): a JSON document is at least 1 level deep");
    detail::json_max_depth_setting().store(levels, std::memory_order_relaxed);
}

namespace detail {

inline std::string json_too_deep(std::string_view doing, std::string_view cpp_type) {
    return "pgorm: cannot " + std::string(doing) + " JSON for " + std::string(cpp_type) +
           ": it nests arrays/objects deeper than pgorm::json_max_depth() = " + std::to_string(json_max_depth()) +
           " levels; raise the limit with pgorm::set_json_max_depth(n)";
}

/// Refuses a document that pgorm could not read back (deeper than json_max_depth()) or that jsonb
/// cannot store (a string or key holding NUL, which jsonb rejects as "\u0000 cannot be converted
/// to text"; PostgreSQL docs 8.14). Iterative, so a deep document cannot overflow the stack here.
inline void check_storable_as_jsonb(const boost::json::value& doc, std::string_view cpp_type) {
    const std::size_t limit = json_max_depth();
    auto check_text = [&](const auto& s, std::string_view what) {
        if (s.size() && std::memchr(s.data(), '\0', s.size()))
            throw value_out_of_range("pgorm: JSON for " + std::string(cpp_type) + " has a " + std::string(what) +
                                     " holding a NUL character (\\u0000), which jsonb cannot store");
    };
    std::vector<std::pair<const boost::json::value*, std::size_t>> todo{{&doc, 0}};
    while (!todo.empty()) {
        auto [v, depth] = todo.back();
        todo.pop_back();
        if (v->is_string()) {
            check_text(v->get_string(), "string");
        } else if (v->is_double() && !std::isfinite(v->get_double())) {
            // Boost.JSON reads a number past double's range (jsonb keeps 1e400 as numeric) as an
            // infinity, and would write it back as text that is not JSON.
            throw value_out_of_range("pgorm: JSON for " + std::string(cpp_type) +
                                     " has a number beyond double's range (read as an infinity), which "
                                     "cannot be written back as JSON; read the column as pgorm::jsonb<> (text)");
        } else if (v->is_array() || v->is_object()) {
            if (depth + 1 > limit) throw value_out_of_range(json_too_deep("send", cpp_type));
            if (const auto* a = v->if_array())
                for (const auto& e : *a) todo.emplace_back(&e, depth + 1);
            else
                for (const auto& kv : v->get_object()) {
                    check_text(kv.key(), "key");
                    todo.emplace_back(&kv.value(), depth + 1);
                }
        }
    }
}

}  // namespace detail

}  // namespace pgorm
