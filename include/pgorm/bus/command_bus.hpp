#pragma once
// command_bus: the sending side of seed 001's bus. send() writes a command's metadata row, its
// pgmq message and its SENT audit row in the caller's transaction (the seed's "atomic send"),
// and notifies commandbus.<domain> so idle workers wake; send_batch() and create_batch() do the
// same for many commands in one round trip. The bus keeps batch completion callbacks in memory
// (as the seed's library does); the batch row itself is the durable record (get_batch).

#include <pgorm/detail/linkage.hpp>
#include <pgorm/bus/model.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/queue/message.hpp>
#include <pgorm/types/array.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/string.hpp>

#include <boost/uuid/random_generator.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pgorm::bus {

/// How one command is sent (seed 001's send arguments).
struct command_options {
    int max_attempts = 3;                             // claims before it goes to the troubleshooting queue
    std::optional<std::string> reply_to;              // a pgmq queue that gets the reply (e.g. replies_queue(domain))
    std::optional<boost::uuids::uuid> correlation_id; // echoed in the reply
    std::chrono::seconds delay{0};                    // invisible to workers until then
};

/// One command of send_batch() / create_batch(). T: a described struct, boost::json::value, or jsonb_text.
template <class T>
struct outgoing_command {
    std::string command_type;
    boost::uuids::uuid command_id{};
    T data{};
    command_options options{};
};

/// A fresh random (version 4) uuid for a command or batch id.
PGORM_DECL boost::uuids::uuid new_id();

/// Creates a domain's two queues (<domain>__commands, <domain>__replies) and registers it.
/// Idempotent; also (re)makes the domain's own send, claim, settle and reply functions (bus
/// schema version 4). Throws usage_error for a name its queues cannot carry, sql_error
/// (undefined_function 42883) when bus::install was not run, connection_error.
template <scope S>
void create_domain(S& s, std::string_view domain) {
    detail::check_domain(domain);
    s.conn().execute("SELECT commandbus.create_domain($1)", domain);
}

namespace detail {

/// Rethrows a server error of a bus function in the bus's own words.
[[noreturn]] PGORM_DECL void rethrow_bus_error(const sql_error& e, std::string_view domain);

/// Runs f (which executes one bus function) and translates its server errors.
template <class F>
auto calling_bus(std::string_view domain, F&& f) {
    try {
        return f();
    } catch (const sql_error& e) {
        rethrow_bus_error(e, domain);
    }
}

/// The column arrays commandbus.send_batch / create_batch take.
struct command_columns {
    std::vector<std::string> types;
    std::vector<boost::uuids::uuid> ids;
    std::vector<jsonb_text> data;
    std::vector<std::int32_t> max_attempts;
    std::vector<std::optional<std::string>> reply_to;
    std::vector<std::optional<boost::uuids::uuid>> correlation_ids;
    std::int32_t delay = 0;

    template <class T>
    explicit command_columns(const std::vector<outgoing_command<T>>& commands) {
        if (commands.empty()) throw usage_error("pgorm: send_batch needs at least one command");
        const std::size_t n = commands.size();
        types.reserve(n), ids.reserve(n), data.reserve(n), max_attempts.reserve(n), reply_to.reserve(n),
            correlation_ids.reserve(n);
        delay = queue::detail::whole_seconds(commands.front().options.delay, "delay");
        for (const auto& c : commands) {
            check_command_type(c.command_type);
            if (c.options.max_attempts < 1)
                throw usage_error("pgorm: max_attempts must be 1 or more, got " + std::to_string(c.options.max_attempts));
            if (c.options.reply_to) queue::detail::check_queue_name(*c.options.reply_to);
            if (c.options.delay != commands.front().options.delay)
                throw usage_error("pgorm: the commands of one send_batch must share one delay");
            types.push_back(c.command_type);
            ids.push_back(c.command_id);
            data.push_back(queue::detail::encode_body(c.data));
            max_attempts.push_back(c.options.max_attempts);
            reply_to.push_back(c.options.reply_to);
            correlation_ids.push_back(c.options.correlation_id);
        }
    }
};

}  // namespace detail

/// The sending side of the bus, plus the in-memory batch completion callbacks. Cheap to copy
/// (copies share the callbacks) and thread-safe; every call runs on the scope it is given.
class command_bus {
public:
    using batch_callback = std::function<void(const batch_info&)>;

    /// Sends one command in the scope's transaction (or alone, in autocommit): metadata row
    /// (PENDING), message on <domain>__commands, SENT audit row, NOTIFY commandbus.<domain>.
    /// Returns the message id.
    ///
    /// Throws usage_error for a bad domain, empty command type, max_attempts < 1 or a bad reply
    /// queue name (before any round trip); duplicate_command when the domain already has
    /// `command_id`; sql_error (42704) when the domain was never created (create_domain).
    template <scope S, class T>
    std::int64_t send(S& s, std::string_view domain, std::string_view command_type, const boost::uuids::uuid& command_id,
                      const T& data, const command_options& o = {}) {
        std::vector<outgoing_command<T>> one{outgoing_command<T>{std::string(command_type), command_id, data, o}};
        return send_batch(s, domain, one).front();
    }

    /// Sends many commands in one round trip, atomically (a duplicate anywhere sends none).
    /// They must share one delay. The msg_ids, in order. Throws as send() does.
    template <scope S, class T>
    std::vector<std::int64_t> send_batch(S& s, std::string_view domain, const std::vector<outgoing_command<T>>& commands) {
        detail::check_domain(domain);
        detail::command_columns c(commands);
        const std::string sql =
            "SELECT * FROM " + detail::domain_function(domain, "send") + "($1, $2, $3, $4, $5, $6, $7, $8)";
        return detail::calling_bus(domain, [&] {
            return s.conn()
                .execute(sql, c.types, c.ids, c.data, c.max_attempts, c.reply_to, c.correlation_ids, c.delay,
                         std::optional<boost::uuids::uuid>())
                .template as<std::int64_t>();
        });
    }

    /// Creates a batch of commands (seed 001's create_batch): the batch row (PENDING, total =
    /// commands.size()) and every command, in one round trip. `on_complete` runs once the batch
    /// finishes, in a worker of this process that was given batch_listener(); after a restart
    /// learn the outcome from get_batch() (status, completed_at). Returns the batch id.
    /// Throws as send_batch() does, and usage_error for a non-zero options.delay.
    template <scope S, class T>
    boost::uuids::uuid create_batch(S& s, std::string_view domain, const std::vector<outgoing_command<T>>& commands,
                                    std::optional<std::string> name = std::nullopt, batch_callback on_complete = {}) {
        detail::check_domain(domain);
        detail::command_columns c(commands);
        if (c.delay != 0) throw usage_error("pgorm: create_batch sends at once; leave options.delay at 0");
        const boost::uuids::uuid id = new_id();
        if (on_complete) {
            std::lock_guard lock(callbacks_->mutex);
            callbacks_->by_batch.emplace(id, std::move(on_complete));
        }
        detail::calling_bus(domain, [&] {
            return s.conn().execute("SELECT count(*) FROM commandbus.create_batch($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                    domain, id, name, c.types, c.ids, c.data, c.max_attempts, c.reply_to,
                                    c.correlation_ids);
        });
        return id;
    }

    /// A function for worker_options::on_batch_complete that runs the callbacks create_batch()
    /// registered on this bus (each once; batches created elsewhere are ignored).
    batch_callback batch_listener() const;

private:
    struct uuid_hash {
        std::size_t operator()(const boost::uuids::uuid& u) const noexcept { return boost::uuids::hash_value(u); }
    };
    struct callback_table {
        std::mutex mutex;
        std::unordered_map<boost::uuids::uuid, batch_callback, uuid_hash> by_batch;
    };
    std::shared_ptr<callback_table> callbacks_ = std::make_shared<callback_table>();
};

}  // namespace pgorm::bus

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/bus/impl/command_bus.ipp>
#endif
