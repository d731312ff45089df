#pragma once
// Reading the bus's state (seed 001's "Query Patterns"): commands by status, one command, its
// audit trail, batches, and per-domain queue metrics.

#include <pgorm/bus/model.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/queue/client.hpp>

#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace pgorm::bus {

namespace detail {
inline constexpr std::string_view command_columns_sql =
    "domain, command_id, command_type, status, attempts, max_attempts, msg_id, reply_to, correlation_id, batch_id, "
    "last_error_code, last_error_msg, result, created_at, updated_at";

inline std::int32_t page_size(int limit) { return queue::detail::positive_count(limit, "limit"); }
}  // namespace detail

// The reads below throw usage_error for a bad domain or limit (before any round trip),
// undefined_table (42P01) when the bus schema is not installed, connection_error when the
// connection is lost, and sql_error for anything else the server reports.

/// The newest `limit` commands of a domain in `status` (newest first). Throws as listed above.
template <scope S>
std::vector<command_metadata> find_by_status(S& s, std::string_view domain, command_status status, int limit = 100) {
    detail::check_domain(domain);
    return s.conn().template query<command_metadata>(
        "SELECT " + std::string(detail::command_columns_sql) +
            " FROM commandbus.command WHERE domain = $1 AND status = $2::text ORDER BY created_at DESC, command_id LIMIT $3",
        domain, status, detail::page_size(limit));
}

/// One command's metadata, if the domain has it. Throws as listed above.
template <scope S>
std::optional<command_metadata> get_command(S& s, std::string_view domain, const boost::uuids::uuid& command_id) {
    detail::check_domain(domain);
    return s.conn().template query_one<command_metadata>(
        "SELECT " + std::string(detail::command_columns_sql) +
            " FROM commandbus.command WHERE domain = $1 AND command_id = $2",
        domain, command_id);
}

/// A command's audit trail, oldest first (empty for an unknown command). Command ids are unique
/// per domain; give the domain when several domains may share one. Throws as listed above.
template <scope S>
std::vector<audit_event> audit_trail(S& s, const boost::uuids::uuid& command_id,
                                     std::optional<std::string_view> domain = std::nullopt) {
    if (domain) detail::check_domain(*domain);
    return s.conn().template query<audit_event>(
        "SELECT audit_id, domain, command_id, event_type, details, ts FROM commandbus.audit "
        "WHERE command_id = $1 AND ($2::text IS NULL OR domain = $2) ORDER BY audit_id",
        command_id, domain ? std::optional<std::string>(*domain) : std::nullopt);
}

/// A batch's counts and status (seed 001's get_batch), if the domain has it. Throws as listed above.
template <scope S>
std::optional<batch_info> get_batch(S& s, std::string_view domain, const boost::uuids::uuid& batch_id) {
    detail::check_domain(domain);
    return s.conn().template query_one<batch_info>(
        "SELECT domain, batch_id, name, status, total_count, completed_count, in_troubleshooting_count, canceled_count, "
        "created_at, started_at, completed_at FROM commandbus.batch WHERE domain = $1 AND batch_id = $2",
        domain, batch_id);
}

/// A domain's queues and how many of its commands are in each status.
struct domain_metrics {
    queue::queue_metrics commands;  // <domain>__commands
    queue::queue_metrics replies;   // <domain>__replies
    std::map<command_status, std::int64_t> by_status;  // statuses with no command are absent
};

/// The metrics of a domain (pgmq.metrics of both queues, a count per status). Throws as listed
/// above, and what queue::client::metrics throws (undefined_table when the domain's queues do
/// not exist).
template <scope S>
domain_metrics metrics(S& s, std::string_view domain) {
    detail::check_domain(domain);
    domain_metrics m;
    m.commands = queue::client<jsonb_text>(s, commands_queue(domain)).metrics();
    m.replies = queue::client<jsonb_text>(s, replies_queue(domain)).metrics();
    for (auto& [status, n] : s.conn().template query<std::tuple<command_status, std::int64_t>>(
             "SELECT status, count(*) FROM commandbus.command WHERE domain = $1 GROUP BY status", domain))
        m.by_status[status] = n;
    return m;
}

}  // namespace pgorm::bus
