#pragma once
// The troubleshooting queue (TSQ): commands whose attempts ran out or that failed permanently
// wait in status IN_TROUBLESHOOTING, their message archived, until an operator retries, cancels
// or completes them. Each action is one bus function call, audited with who and why.

#include <pgorm/bus/command_bus.hpp>
#include <pgorm/bus/queries.hpp>

#include <string_view>
#include <vector>

namespace pgorm::bus {

/// The domain's commands in the troubleshooting queue, oldest first, `limit` from `offset`.
/// Throws usage_error for a bad domain, limit or offset (before any round trip), and what the
/// reads of queries.hpp throw.
template <scope S>
std::vector<command_metadata> list_troubleshooting(S& s, std::string_view domain, int limit = 100, int offset = 0) {
    detail::check_domain(domain);
    if (offset < 0) throw usage_error("pgorm: offset must be 0 or more, got " + std::to_string(offset));
    return s.conn().template query<command_metadata>(
        "SELECT " + std::string(detail::command_columns_sql) +
            " FROM commandbus.command WHERE domain = $1 AND status = 'IN_TROUBLESHOOTING'"
            " ORDER BY created_at, command_id LIMIT $2 OFFSET $3",
        domain, detail::page_size(limit), std::int32_t(offset));
}

/// Sends the command again (its archived message) with attempts reset: PENDING, OPERATOR_RETRY
/// audited with `operator_name` and `reason`. The new msg_id. Throws not_found for an unknown
/// command and command_not_in_troubleshooting when it is not IN_TROUBLESHOOTING.
template <scope S>
std::int64_t operator_retry(S& s, std::string_view domain, const boost::uuids::uuid& command_id,
                            std::string_view operator_name, std::string_view reason) {
    detail::check_domain(domain);
    return detail::calling_bus(domain, [&] {
        return s.conn().template query_value<std::int64_t>("SELECT commandbus.operator_retry($1, $2, $3, $4)", domain,
                                                           command_id, operator_name, reason);
    });
}

/// CANCELED, OPERATOR_CANCEL audited, a CANCELED reply when the command has reply_to. Throws as operator_retry.
template <scope S>
void operator_cancel(S& s, std::string_view domain, const boost::uuids::uuid& command_id,
                     std::string_view operator_name, std::string_view reason) {
    detail::check_domain(domain);
    detail::calling_bus(domain, [&] {
        return s.conn().execute("SELECT commandbus.operator_cancel($1, $2, $3, $4)", domain, command_id, operator_name,
                                reason);
    });
}

/// COMPLETED by hand with `result` (a described struct, boost::json::value or jsonb_text):
/// OPERATOR_COMPLETE audited, a SUCCESS reply with the result. Throws as operator_retry.
template <scope S, class R>
void operator_complete(S& s, std::string_view domain, const boost::uuids::uuid& command_id, const R& result,
                       std::string_view operator_name, std::string_view reason) {
    detail::check_domain(domain);
    detail::calling_bus(domain, [&] {
        return s.conn().execute("SELECT commandbus.operator_complete($1, $2, $3, $4, $5)", domain, command_id,
                                queue::detail::encode_body(result), operator_name, reason);
    });
}

}  // namespace pgorm::bus
