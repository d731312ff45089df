#pragma once
// Replies: when a command has reply_to, the bus puts {command_id, correlation_id, outcome,
// result} on that queue once the command is completed (SUCCESS), moved to the troubleshooting
// queue (FAILED, result {code, message}) or canceled by an operator (CANCELED, result {reason}).
// reply_reader<R> reads them with the result typed as R for SUCCESS replies.

#include <pgorm/bus/model.hpp>
#include <pgorm/queue/client.hpp>

#include <boost/json/parse.hpp>
#include <boost/uuid/string_generator.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgorm::bus {

enum class reply_outcome { SUCCESS, FAILED, CANCELED };
BOOST_DESCRIBE_ENUM(reply_outcome, SUCCESS, FAILED, CANCELED)

/// One reply. R: a described struct, boost::json::value or jsonb_text.
template <class R>
struct reply {
    std::int64_t msg_id = 0;  // on the reply queue: ack() it once handled
    boost::uuids::uuid command_id{};
    std::optional<boost::uuids::uuid> correlation_id;
    reply_outcome outcome = reply_outcome::SUCCESS;
    std::optional<R> result;           // SUCCESS with a result: the handler's result as R
    boost::json::value raw_result;     // the result as sent, for every outcome (null when none)
};

/// Reads one reply queue (replies_queue(domain), or the reply_to the commands named). Not
/// thread-safe, like queue::client. Errors: as queue::client; decode_error when a message is not
/// a bus reply or its result does not fit R (the message stays queued).
template <class R = boost::json::value>
class reply_reader {
public:
    template <scope S>
    reply_reader(S& s, std::string_view queue_name) : queue_(s, queue_name) {}

    /// Up to `qty` replies, hidden from other readers for `vt`; ack() each once handled.
    std::vector<reply<R>> read(std::chrono::seconds vt = std::chrono::seconds(30), int qty = 10) {
        return decode_all(queue_.read(vt, qty));
    }
    /// read(), waiting up to `wait` for a reply to arrive.
    std::vector<reply<R>> read_with_poll(std::chrono::milliseconds wait, std::chrono::seconds vt = std::chrono::seconds(30),
                                         int qty = 10) {
        queue::poll_options p;
        p.max_wait = wait;
        p.poll_interval = std::min<std::chrono::milliseconds>(wait, std::chrono::milliseconds(100));
        return decode_all(queue_.read_with_poll(vt, qty, p));
    }
    /// Removes a handled reply; false when it was already gone.
    bool ack(std::int64_t msg_id) { return queue_.remove(msg_id); }

private:
    std::vector<reply<R>> decode_all(std::vector<queue::message<jsonb_text>> raw) {
        std::vector<reply<R>> out;
        out.reserve(raw.size());
        for (auto& m : raw) out.push_back(decode(m));
        return out;
    }

    reply<R> decode(const queue::message<jsonb_text>& m) {
        reply<R> r;
        r.msg_id = m.msg_id;
        try {
            const boost::json::value parsed = boost::json::parse(m.message.text);
            const boost::json::object& o = parsed.as_object();
            r.command_id = boost::uuids::string_generator()(std::string(o.at("command_id").as_string()));
            if (const auto* c = o.if_contains("correlation_id"); c && c->is_string())
                r.correlation_id = boost::uuids::string_generator()(std::string(c->as_string()));
            auto outcome = enum_from_label<reply_outcome>(o.at("outcome").as_string());
            if (!outcome) throw decode_error("unknown outcome");
            r.outcome = *outcome;
            if (const auto* res = o.if_contains("result")) r.raw_result = *res;
        } catch (const std::exception& e) {
            throw decode_error("pgorm: message " + std::to_string(m.msg_id) + " of queue '" + queue_.name() +
                               "' is not a command bus reply: " + e.what() + " (the message stays in the queue)");
        }
        if (r.outcome == reply_outcome::SUCCESS && !r.raw_result.is_null())
            r.result = queue::detail::decode_body<R>(jsonb_text(boost::json::serialize(r.raw_result)), queue_.name(),
                                                     m.msg_id);
        return r;
    }

    queue::client<jsonb_text> queue_;
};

}  // namespace pgorm::bus
