#pragma once
// Bodies of queue/message.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/queue/message.hpp>

namespace pgorm::queue {
namespace detail {

PGORM_DECL std::int32_t whole_seconds(std::chrono::seconds d, const char* what) {
    if (d.count() < 0 || d.count() > std::numeric_limits<std::int32_t>::max())
        throw usage_error(std::string("pgorm: ") + what + " must be between 0 and 2^31-1 seconds, got " +
                          std::to_string(d.count()));
    return static_cast<std::int32_t>(d.count());
}

PGORM_DECL std::int32_t positive_count(int n, const char* what) {
    if (n < 1) throw usage_error(std::string("pgorm: ") + what + " must be 1 or more, got " + std::to_string(n));
    return n;
}

PGORM_DECL int column_named(const result& r, std::string_view name, bool required) {
    int c = r.column_index(name);
    if (c < 0 && required)
        throw column_mismatch("pgorm: the queue function returned no column \"" + std::string(name) + "\"");
    return c;
}

PGORM_DECL int column_at(const result& r, int usual, std::string_view name, bool required) {
    if (usual < r.columns() && r.column_name(usual) == name) return usual;
    return column_named(r, name, required);
}

PGORM_DECL queue_metrics metrics_row(const result& r, int row) {
    queue_metrics m;
    read_named(r, row, column_named(r, "queue_name"), m.queue_name);
    read_named(r, row, column_named(r, "queue_length"), m.queue_length);
    read_named(r, row, column_named(r, "newest_msg_age_sec"), m.newest_msg_age_sec);
    read_named(r, row, column_named(r, "oldest_msg_age_sec"), m.oldest_msg_age_sec);
    read_named(r, row, column_named(r, "total_messages"), m.total_messages);
    read_named(r, row, column_named(r, "scrape_time"), m.scrape_time);
    read_named(r, row, column_named(r, "queue_visible_length", false), m.queue_visible_length);
    read_named(r, row, column_named(r, "default_partition_length", false), m.default_partition_length);
    return m;
}

}  // namespace detail
}  // namespace pgorm::queue
