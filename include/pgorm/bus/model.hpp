#pragma once
// The command bus's vocabulary: command and batch statuses, audit event types, the rows the
// bus reads back (command metadata, audit events, batches), its errors, and the domain-name rule.
// Names and states are seed 001's (reliable-cmd's README: CommandStatus, audit event types,
// batch statuses).

#include <pgorm/detail/linkage.hpp>
#include <pgorm/error.hpp>
#include <pgorm/queue/message.hpp>
#include <pgorm/types/chrono.hpp>
#include <pgorm/types/enum.hpp>
#include <pgorm/types/json.hpp>
#include <pgorm/types/uuid.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/uuid/uuid.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgorm::bus {

/// Where a command is. PENDING → IN_PROGRESS → COMPLETED; a failed attempt that will be retried
/// is FAILED until a worker claims it again; one that will not is IN_TROUBLESHOOTING, from where
/// an operator retries (→ PENDING), cancels (→ CANCELED) or completes it (→ COMPLETED).
enum class command_status { PENDING, IN_PROGRESS, COMPLETED, FAILED, IN_TROUBLESHOOTING, CANCELED };
BOOST_DESCRIBE_ENUM(command_status, PENDING, IN_PROGRESS, COMPLETED, FAILED, IN_TROUBLESHOOTING, CANCELED)

/// One row of the append-only audit trail says which of these happened.
enum class audit_event_type {
    SENT, RECEIVED, COMPLETED, FAILED, RETRY_SCHEDULED, MOVED_TO_TSQ, OPERATOR_RETRY, OPERATOR_CANCEL, OPERATOR_COMPLETE
};
BOOST_DESCRIBE_ENUM(audit_event_type, SENT, RECEIVED, COMPLETED, FAILED, RETRY_SCHEDULED, MOVED_TO_TSQ,
                    OPERATOR_RETRY, OPERATOR_CANCEL, OPERATOR_COMPLETE)

/// A batch is finished when each of its commands is completed, canceled or in the troubleshooting
/// queue: COMPLETED when all completed, else COMPLETED_WITH_FAILURES.
enum class batch_status { PENDING, IN_PROGRESS, COMPLETED, COMPLETED_WITH_FAILURES };
BOOST_DESCRIBE_ENUM(batch_status, PENDING, IN_PROGRESS, COMPLETED, COMPLETED_WITH_FAILURES)

/// A command's row in commandbus.command.
struct command_metadata {
    std::string domain;
    boost::uuids::uuid command_id{};
    std::string command_type;
    command_status status = command_status::PENDING;
    std::int32_t attempts = 0;  // claims so far (reset by an operator retry)
    std::int32_t max_attempts = 0;
    std::optional<std::int64_t> msg_id;  // the current message in <domain>__commands (or its archive)
    std::optional<std::string> reply_to;
    std::optional<boost::uuids::uuid> correlation_id;
    std::optional<boost::uuids::uuid> batch_id;
    std::optional<std::string> last_error_code;
    std::optional<std::string> last_error_msg;
    std::optional<jsonb_text> result;  // the handler's (or operator's) result once COMPLETED
    timestamptz created_at{};
    timestamptz updated_at{};
};
BOOST_DESCRIBE_STRUCT(command_metadata, (),
                      (domain, command_id, command_type, status, attempts, max_attempts, msg_id, reply_to,
                       correlation_id, batch_id, last_error_code, last_error_msg, result, created_at, updated_at))

/// One row of commandbus.audit.
struct audit_event {
    std::int64_t audit_id = 0;
    std::string domain;
    boost::uuids::uuid command_id{};
    audit_event_type event_type = audit_event_type::SENT;
    std::optional<jsonb_text> details;  // e.g. {"code","message","attempt"} for FAILED, {"operator","reason"}
    timestamptz ts{};
};
BOOST_DESCRIBE_STRUCT(audit_event, (), (audit_id, domain, command_id, event_type, details, ts))

/// One row of commandbus.batch.
struct batch_info {
    std::string domain;
    boost::uuids::uuid batch_id{};
    std::optional<std::string> name;
    batch_status status = batch_status::PENDING;
    std::int32_t total_count = 0;
    std::int32_t completed_count = 0;
    std::int32_t in_troubleshooting_count = 0;
    std::int32_t canceled_count = 0;
    timestamptz created_at{};
    std::optional<timestamptz> started_at;
    std::optional<timestamptz> completed_at;  // set when the batch finished (durable: survives restarts)

    bool finished() const noexcept;
};
BOOST_DESCRIBE_STRUCT(batch_info, (),
                      (domain, batch_id, name, status, total_count, completed_count, in_troubleshooting_count,
                       canceled_count, created_at, started_at, completed_at))

/// send() or send_batch() met a command_id the domain already has (commandbus.command's key is
/// (domain, command_id)). The caller's transaction is aborted, as with any unique violation.
class duplicate_command : public unique_violation {
public:
    using unique_violation::unique_violation;
};

/// An operator action on a command that is not in the troubleshooting queue (SQLSTATE 55000).
class command_not_in_troubleshooting : public sql_error {
public:
    using sql_error::sql_error;
};

/// Thrown by a handler: this attempt failed but a later one may succeed. The command is retried
/// after the retry policy's backoff while attempts remain, then goes to the troubleshooting queue.
/// Any other exception a handler throws is treated the same way (code "UNHANDLED_EXCEPTION").
class transient_command_error : public error {
public:
    transient_command_error(std::string code, const std::string& message) : error(message), code_(std::move(code)) {}
    const std::string& code() const noexcept { return code_; }

private:
    std::string code_;
};

/// Thrown by a handler: the command can never succeed; it goes to the troubleshooting queue at once.
class permanent_command_error : public error {
public:
    permanent_command_error(std::string code, const std::string& message) : error(message), code_(std::move(code)) {}
    const std::string& code() const noexcept { return code_; }

private:
    std::string code_;
};

/// The queue that carries a domain's commands, and the one its replies go to by default.
inline std::string commands_queue(std::string_view domain) { return std::string(domain) + "__commands"; }
inline std::string replies_queue(std::string_view domain) { return std::string(domain) + "__replies"; }

/// The LISTEN channel send() notifies when a domain has new commands (seed 001: commandbus.<domain>).
inline std::string notify_channel(std::string_view domain) { return "commandbus." + std::string(domain); }

namespace detail {

/// Throws usage_error unless `domain` is 1 to 37 characters from [a-z0-9_]: its queues
/// <domain>__commands and <domain>__replies must be valid pgmq names (at most 47 characters).
PGORM_DECL void check_domain(std::string_view domain);

/// The quoted name of one of a domain's own functions (schema version 4: `send`, `claim`,
/// `settle`, `reply`), e.g. commandbus."payments__claim". `domain` must have passed check_domain.
PGORM_DECL std::string domain_function(std::string_view domain, std::string_view what);

PGORM_DECL void check_command_type(std::string_view type);

}  // namespace detail

}  // namespace pgorm::bus

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/bus/impl/model.ipp>
#endif
