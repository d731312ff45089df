#pragma once
// Process manager (seed 001's multi-step workflows): a process is a typed State persisted as
// JSON in commandbus.process and a fixed list of steps. Each step sends one command with
// correlation_id = process_id and reply_to = the process type's reply queue; route() reads that
// queue and advances the process the reply belongs to, in one transaction per reply (process
// row, next command, reply acknowledged: all or nothing).
//
//   reply     while RUNNING / PAUSED                      while COMPENSATING
//   SUCCESS   on_reply(state, result); next step or       next lower compensation, or COMPENSATED
//             COMPLETED
//   FAILED    PAUSED (the step is in the troubleshooting  stays COMPENSATING, last_error set
//             queue: an operator retries, completes or
//             cancels it there)
//   CANCELED  compensation of the completed steps, from   FAILED
//             the last one down (COMPENSATING), or FAILED
//             when none has a compensation
//
// A reply for a command the process no longer waits for (a duplicate) is acknowledged and
// ignored, so routing is idempotent.

#include <pgorm/bus/command_bus.hpp>
#include <pgorm/bus/replies.hpp>
#include <pgorm/xact/xact.hpp>

#include <boost/json/serialize.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm::bus {

enum class process_status { RUNNING, PAUSED, COMPLETED, COMPENSATING, COMPENSATED, FAILED };
BOOST_DESCRIBE_ENUM(process_status, RUNNING, PAUSED, COMPLETED, COMPENSATING, COMPENSATED, FAILED)

/// The command a step (or a compensation) sends: its type and its data as JSON.
struct step_command {
    std::string command_type;
    jsonb_text data;
};

/// Builds a step_command from a described struct (or boost::json::value).
template <class T>
step_command make_step_command(std::string command_type, const T& data) {
    return step_command{std::move(command_type), queue::detail::encode_body(data)};
}

/// One step of a process. `send` is required; `on_reply` folds the SUCCESS result into the
/// state; `compensate`, when set, undoes the step if a later step is canceled.
template <class State>
struct process_step {
    std::string name;
    std::function<step_command(const State&)> send;
    std::function<void(State&, const boost::json::value& result)> on_reply;
    std::function<step_command(const State&)> compensate;
};

/// A process as stored.
template <class State>
struct process_info {
    boost::uuids::uuid process_id{};
    process_status status = process_status::RUNNING;
    int step = 0;  // the step running (or being compensated); steps.size() once COMPLETED
    State state{};
    std::optional<std::string> last_error;  // the FAILED reply's {code, message} while PAUSED
};

/// The queue a process type's replies go to: "<process_type>__process".
inline std::string process_replies_queue(std::string_view process_type) {
    return std::string(process_type) + "__process";
}

namespace detail {
struct process_row {
    std::string status;
    std::int32_t step = 0;
    std::optional<boost::uuids::uuid> waiting_for;
    jsonb_text state;
    std::optional<std::string> last_error;
};
BOOST_DESCRIBE_STRUCT(process_row, (), (status, step, waiting_for, state, last_error))
}  // namespace detail

/// Runs processes of one type whose commands go to `domain`. State: a described struct.
/// Thread-safe to share; route() may run in several threads or processes at once (each reply is
/// handled under the process row's lock).
template <class State>
class process_manager {
public:
    /// Throws usage_error for a process type outside [a-z0-9_]{1,37} (its reply queue must be a
    /// valid pgmq name), no steps, or a step without `send`.
    process_manager(std::string domain, std::string process_type, std::vector<process_step<State>> steps)
        : domain_(std::move(domain)), type_(std::move(process_type)), steps_(std::move(steps)),
          queue_(process_replies_queue(type_)) {
        detail::check_domain(domain_);
        if (type_.empty() || type_.size() > 37 ||
            type_.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
            throw usage_error("pgorm: invalid process type '" + type_ + "': use 1 to 37 characters from a-z, 0-9 and _");
        if (steps_.empty()) throw usage_error("pgorm: a process needs at least one step");
        for (const auto& s : steps_)
            if (!s.send) throw usage_error("pgorm: process step '" + s.name + "' has no send function");
    }

    const std::string& reply_queue() const noexcept { return queue_; }

    /// Creates the reply queue (idempotent). The bus schema and the domain must exist. Throws
    /// sql_error when the server refuses (undefined_function 42883 without the queue schema),
    /// connection_error when the connection is lost.
    template <scope S>
    void install(S& s) const {
        s.conn().execute("SELECT pgmq.create($1)", queue_);
    }

    /// Stores a new process and sends its first step's command, in the scope's transaction.
    /// Throws unique_violation when the process id is taken, plus what command_bus::send throws.
    template <scope S>
    void start(S& s, const boost::uuids::uuid& process_id, const State& initial) {
        if constexpr (std::is_same_v<S, xact>) {
            xact t(s);  // a savepoint in the caller's transaction
            start_in(t, process_id, initial);
            t.commit();
        } else {
            xact t(s.conn());
            start_in(t, process_id, initial);
            t.commit();
        }
    }

    /// Reads up to `qty` replies and advances their processes, one transaction each. Returns
    /// how many replies it took off the queue (ignored duplicates included). Throws what
    /// reply_reader::read throws (undefined_table when install() was not run, decode_error for a
    /// message that is not a bus reply), what command_bus::send throws for the next step's
    /// command, and decode_error when a stored state no longer fits State; the reply being
    /// handled stays queued (its transaction rolls back) and is read again after 30 s.
    int route(connection& c, int qty = 10) {
        reply_reader<boost::json::value> reader(c, queue_);
        auto replies = reader.read(std::chrono::seconds(30), qty);
        for (const auto& r : replies) {
            xact t(c);
            if (r.correlation_id) advance(t, *r.correlation_id, r);
            t.conn().execute("SELECT pgmq.delete($1, $2::bigint)", queue_, r.msg_id);
            t.commit();
        }
        return static_cast<int>(replies.size());
    }

    /// The process, if this domain has it. Throws undefined_table without the bus schema,
    /// decode_error when the stored state does not fit State, connection_error, sql_error.
    template <scope S>
    std::optional<process_info<State>> get(S& s, const boost::uuids::uuid& process_id) {
        auto rows = s.conn().template query<detail::process_row>(
            "SELECT status, step, waiting_for, state, last_error FROM commandbus.process "
            "WHERE domain = $1 AND process_id = $2",
            domain_, process_id);
        if (rows.empty()) return std::nullopt;
        return info_of(process_id, rows.front());
    }

private:
    void start_in(xact& t, const boost::uuids::uuid& process_id, const State& initial) {
        t.conn().execute(
            "INSERT INTO commandbus.process (domain, process_id, process_type, status, state) "
            "VALUES ($1, $2, $3, 'RUNNING', $4)",
            domain_, process_id, type_, queue::detail::encode_body(initial));
        const auto cmd = send_step(t, process_id, steps_.front().send(initial));
        t.conn().execute("UPDATE commandbus.process SET waiting_for = $3 WHERE domain = $1 AND process_id = $2", domain_,
                         process_id, cmd);
    }

    process_info<State> info_of(const boost::uuids::uuid& id, const detail::process_row& row) const {
        process_info<State> p;
        p.process_id = id;
        p.status = enum_from_label<process_status>(row.status).value_or(process_status::FAILED);
        p.step = row.step;
        p.state = queue::detail::decode_body<State>(row.state, "commandbus.process", 0);
        p.last_error = row.last_error;
        return p;
    }

    boost::uuids::uuid send_step(xact& t, const boost::uuids::uuid& process_id, const step_command& c) {
        command_options o;
        o.reply_to = queue_;
        o.correlation_id = process_id;
        const auto id = new_id();
        bus_.send(t, domain_, c.command_type, id, c.data, o);
        return id;
    }

    // The highest step below `below` that has a compensation, or -1.
    int compensable_below(int below) const {
        for (int k = below - 1; k >= 0; --k)
            if (steps_[static_cast<std::size_t>(k)].compensate) return k;
        return -1;
    }

    void advance(xact& t, const boost::uuids::uuid& process_id, const reply<boost::json::value>& r) {
        auto rows = t.conn().template query<detail::process_row>(
            "SELECT status, step, waiting_for, state, last_error FROM commandbus.process "
            "WHERE domain = $1 AND process_id = $2 AND process_type = $3 FOR UPDATE",
            domain_, process_id, type_);
        if (rows.empty() || rows.front().waiting_for != r.command_id) return;  // unknown or a duplicate
        auto p = info_of(process_id, rows.front());
        std::optional<boost::uuids::uuid> waiting;
        std::optional<std::string> error;
        const bool compensating = p.status == process_status::COMPENSATING;
        auto compensate_from = [&](int below) {
            const int k = compensable_below(below);
            if (k < 0) {
                p.status = compensating ? process_status::COMPENSATED : process_status::FAILED;
                return;
            }
            p.status = process_status::COMPENSATING;
            p.step = k;
            waiting = send_step(t, process_id, steps_[static_cast<std::size_t>(k)].compensate(p.state));
        };
        switch (r.outcome) {
            case reply_outcome::SUCCESS:
                if (compensating) {
                    compensate_from(p.step);
                    break;
                }
                if (const auto& f = steps_[static_cast<std::size_t>(p.step)].on_reply) f(p.state, r.raw_result);
                ++p.step;
                if (p.step == static_cast<int>(steps_.size())) {
                    p.status = process_status::COMPLETED;
                } else {
                    p.status = process_status::RUNNING;
                    waiting = send_step(t, process_id, steps_[static_cast<std::size_t>(p.step)].send(p.state));
                }
                break;
            case reply_outcome::FAILED:
                if (!compensating) p.status = process_status::PAUSED;
                waiting = r.command_id;  // the same command may still succeed or be canceled
                error = boost::json::serialize(r.raw_result);
                break;
            case reply_outcome::CANCELED:
                if (compensating) p.status = process_status::FAILED;
                else compensate_from(p.step);
                break;
        }
        t.conn().execute(
            "UPDATE commandbus.process SET status = $3, step = $4, waiting_for = $5, state = $6, last_error = $7, "
            "updated_at = now() WHERE domain = $1 AND process_id = $2",
            domain_, process_id, std::string(enum_label(p.status)), std::int32_t(p.step), waiting,
            queue::detail::encode_body(p.state), error);
    }

    std::string domain_, type_;
    std::vector<process_step<State>> steps_;
    std::string queue_;
    command_bus bus_;
};

}  // namespace pgorm::bus
