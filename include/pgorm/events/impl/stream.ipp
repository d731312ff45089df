#pragma once
// Bodies of events/stream.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/events/stream.hpp>

namespace pgorm::events {
namespace detail {

PGORM_DECL void check_stream_name(std::string_view stream) {
    if (stream.empty()) throw usage_error("pgorm: a stream name must not be empty");
}

PGORM_DECL std::string_view bump_sql(const std::optional<std::int64_t>& expected) {
    if (!expected)
        return "INSERT INTO pgorm_events.streams AS s (stream, version) SELECT $1, $2 WHERE $3::bigint IS NULL "
               "ON CONFLICT (stream) DO UPDATE SET version = s.version + $2 RETURNING version";
    if (*expected == 0)
        return "INSERT INTO pgorm_events.streams (stream, version) SELECT $1, $2 WHERE $3::bigint = 0 "
               "ON CONFLICT (stream) DO NOTHING RETURNING version";
    return "UPDATE pgorm_events.streams SET version = version + $2 WHERE stream = $1 AND version = $3 "
           "RETURNING version";
}

}  // namespace detail
}  // namespace pgorm::events
