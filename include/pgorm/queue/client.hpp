#pragma once
// client<T>: a typed handle on one queue, over any scope. It calls pgmq's SQL functions by
// name (pgorm's own schema or the real extension alike), so send() inside an xact commits or
// rolls back with the caller's other rows (a transactional outbox).
//
// Named `client` because `queue` is the namespace: pgorm::queue::client<Order> orders{tx, "orders"}.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/core/listener.hpp>
#include <pgorm/queue/message.hpp>
#include <pgorm/types/array.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/string.hpp>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace pgorm::queue {

/// When a sent message becomes visible: now, after a delay, or at an instant.
struct send_options {
    std::variant<std::chrono::seconds, timestamptz> delay = std::chrono::seconds(0);
    /// A JSON object stored in the headers column (null: none). The key "x-pgmq-group" puts
    /// the message in a FIFO group (see client::read_grouped).
    boost::json::value headers = nullptr;
};

/// How read_with_poll waits.
struct poll_options {
    std::chrono::milliseconds max_wait{5000};       // give up (return nothing) after this
    std::chrono::milliseconds poll_interval{100};   // look again at least this often
    bool listen = true;  // also wake on pgmq.q_<name>.INSERT notifications (pgmq.enable_notify_insert)
};

/// The LISTEN channel pgmq.enable_notify_insert notifies on.
PGORM_DECL std::string insert_channel(std::string_view queue_name);

/// A typed client of one queue. Not thread-safe (one thread at a time, like its scope): give
/// each thread its own client on its own connection. The scope must outlive the client.
///
/// Errors: usage_error for a bad argument caught before any round trip (queue name, negative
/// durations, qty < 1); undefined_table when the queue does not exist; data_exception for what
/// the server rejects; decode_error when a body does not fit T (the message stays queued and
/// reappears after its vt with read_ct one higher); connection_lost, and the other sql_error
/// subclasses (error.hpp) for what the server raises.
template <class T>
class client {
public:
    template <scope S>
    client(S& s, std::string_view queue_name) : conn_(&s.conn()), name_(queue_name) {
        detail::check_queue_name(queue_name);
    }

    const std::string& name() const noexcept { return name_; }

    /// pgmq.create: makes the queue (idempotent).
    void create() { conn_->execute("SELECT pgmq.create($1)", name_); }
    /// pgmq.drop_queue: false when there was no such queue.
    bool drop() { return conn_->template query_value<bool>("SELECT pgmq.drop_queue($1)", name_); }

    /// pgmq.send: the new msg_id.
    std::int64_t send(const T& body, const send_options& o = {}) {
        const jsonb_text msg = detail::encode_body(body);
        // No headers: the overload without them, so the server has no NULL headers array to check.
        if (auto h = headers_of(o))
            return send_call("SELECT pgmq.send($1, $2, $3, $4)", o, msg, *h).template value<std::int64_t>();
        return send_call("SELECT pgmq.send($1, $2, $3)", o, msg).template value<std::int64_t>();
    }
    /// pgmq.send_batch: one msg_id per body, in order; every body gets the same options. Takes
    /// any contiguous run of bodies (a vector, part of one, an array) or a braced list.
    std::vector<std::int64_t> send_batch(std::span<const T> bodies, const send_options& o = {}) {
        if (bodies.empty()) throw usage_error("pgorm: send_batch needs at least one message (queue '" + name_ + "')");
        std::vector<jsonb_text> msgs;
        msgs.reserve(bodies.size());
        for (const auto& b : bodies) msgs.push_back(detail::encode_body(b));
        if (auto h = headers_of(o))
            return send_call("SELECT * FROM pgmq.send_batch($1, $2, $3, $4)", o, msgs,
                             std::vector<jsonb_text>(bodies.size(), *h))
                .template as<std::int64_t>();
        return send_call("SELECT * FROM pgmq.send_batch($1, $2, $3)", o, msgs).template as<std::int64_t>();
    }
    std::vector<std::int64_t> send_batch(std::initializer_list<T> bodies, const send_options& o = {}) {
        return send_batch(std::span<const T>(bodies.begin(), bodies.size()), o);
    }

    /// pgmq.read: up to `qty` visible messages, oldest first, hidden from other readers for `vt`.
    /// `conditional` keeps only messages whose body contains that JSON (jsonb @>).
    std::vector<message<T>> read(std::chrono::seconds vt, int qty = 1, const jsonb_text& conditional = jsonb_text("{}")) {
        return detail::read_messages<T>(conn_->execute("SELECT * FROM pgmq.read($1, $2, $3, $4)", name_,
                                                       detail::whole_seconds(vt, "vt"),
                                                       detail::positive_count(qty, "qty"), conditional),
                                        name_);
    }

    /// pgmq.read_grouped_head: at most one message per x-pgmq-group header value, and only the
    /// group's oldest, so a group has one message in flight at a time and is served in order.
    std::vector<message<T>> read_grouped(std::chrono::seconds vt, int qty = 1) {
        return detail::read_messages<T>(conn_->execute("SELECT * FROM pgmq.read_grouped_head($1, $2, $3)", name_,
                                                       detail::whole_seconds(vt, "vt"),
                                                       detail::positive_count(qty, "qty")),
                                        name_);
    }

    /// read(), waiting up to `o.max_wait` for a message when none is visible. The wait happens
    /// here, not in the server: the scope's connection is idle meanwhile, and a listener on its
    /// own connection (made on first need, kept by the client) cuts the wait short when the
    /// queue notifies on insert. Without notifications it polls every `o.poll_interval`.
    /// Inside an xact the transaction stays open while waiting: prefer an autocommit scope.
    std::vector<message<T>> read_with_poll(std::chrono::seconds vt, int qty = 1, const poll_options& o = {}) {
        const auto deadline = std::chrono::steady_clock::now() + o.max_wait;
        for (bool listening = false;;) {
            auto got = read(vt, qty);
            if (!got.empty()) return got;
            if (o.listen && !listening) {  // listen before looking again, so no insert falls in between
                listening = start_listening();
                if (listening) continue;
            }
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) return got;
            const auto nap = std::min<std::chrono::milliseconds>(
                o.poll_interval, std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
            if (listening && listener_) {
                try {
                    listener_->wait(nap);
                } catch (const connection_error&) {
                    listener_.reset();  // fall back to polling
                }
            } else {
                std::this_thread::sleep_for(nap);
            }
        }
    }

    /// pgmq.pop: up to `qty` visible messages, deleted as they are read (at-most-once). A body
    /// that does not fit T throws decode_error and the pop is undone: the messages stay queued.
    std::vector<message<T>> pop(int qty = 1) {
        detail::positive_count(qty, "qty");
        return undo_on_error([&] {
            return detail::read_messages<T>(conn_->execute("SELECT * FROM pgmq.pop($1, $2)", name_, std::int32_t(qty)),
                                            name_);
        });
    }

    /// pgmq.delete: true when the message existed.
    bool remove(std::int64_t msg_id) {
        return conn_->template query_value<bool>("SELECT pgmq.delete($1, $2)", name_, msg_id);
    }
    /// pgmq.delete of many: the ids that existed.
    std::vector<std::int64_t> remove(const std::vector<std::int64_t>& msg_ids) {
        return conn_->execute("SELECT * FROM pgmq.delete($1, $2)", name_, msg_ids).template as<std::int64_t>();
    }
    /// pgmq.archive: moves the message to pgmq.a_<name>; true when it existed.
    bool archive(std::int64_t msg_id) {
        return conn_->template query_value<bool>("SELECT pgmq.archive($1, $2)", name_, msg_id);
    }
    std::vector<std::int64_t> archive(const std::vector<std::int64_t>& msg_ids) {
        return conn_->execute("SELECT * FROM pgmq.archive($1, $2)", name_, msg_ids).template as<std::int64_t>();
    }

    /// pgmq.set_vt: hides the message until `vt` from now; the new vt, or nothing when there
    /// is no such message. set_vt(id, 0s) makes it visible again at once (a plain nack).
    std::optional<timestamptz> set_vt(std::int64_t msg_id, std::chrono::seconds vt) {
        result r = conn_->execute("SELECT * FROM pgmq.set_vt($1, $2, $3)", name_, msg_id, detail::whole_seconds(vt, "vt"));
        if (r.empty()) return std::nullopt;
        return r.template get<timestamptz>(0, detail::column_named(r, "vt"));
    }

    /// pgorm's pgmq.dead_letter: moves messages to this queue's dead-letter queue now, with
    /// `reason` in their headers; the new msg_ids there. Not in the pgmq extension.
    std::vector<std::int64_t> dead_letter(const std::vector<std::int64_t>& msg_ids, std::string_view reason) {
        return conn_->execute("SELECT * FROM pgmq.dead_letter($1, $2, $3)", name_, msg_ids, reason)
            .template as<std::int64_t>();
    }
    /// pgorm's pgmq.move: moves messages to another queue in one statement; the new msg_ids.
    std::vector<std::int64_t> move_to(std::string_view to_queue, const std::vector<std::int64_t>& msg_ids) {
        detail::check_queue_name(to_queue);
        return conn_->execute("SELECT * FROM pgmq.move($1, $2, $3)", name_, msg_ids, to_queue)
            .template as<std::int64_t>();
    }
    /// pgorm's pgmq.set_dead_letter: a message read `max_read_ct` times goes to `dead_letter_queue`
    /// (default <name>_dlq, created) on its next claim. nullopt turns it off.
    void set_dead_letter(std::optional<int> max_read_ct, std::optional<std::string> dead_letter_queue = std::nullopt) {
        if (dead_letter_queue) detail::check_queue_name(*dead_letter_queue);
        std::optional<std::int32_t> n;
        if (max_read_ct) n = detail::positive_count(*max_read_ct, "max_read_ct");
        conn_->execute("SELECT pgmq.set_dead_letter($1, $2, $3)", name_, n, dead_letter_queue);
    }

    /// pgmq.purge_queue: deletes every message; how many there were.
    std::int64_t purge() { return conn_->template query_value<std::int64_t>("SELECT pgmq.purge_queue($1)", name_); }

    /// pgmq.metrics.
    queue_metrics metrics() { return detail::metrics_row(conn_->execute("SELECT * FROM pgmq.metrics($1)", name_), 0); }

    /// pgmq.enable_notify_insert / disable_notify_insert.
    void enable_notify_insert(std::chrono::milliseconds throttle = std::chrono::milliseconds(250)) {
        if (throttle.count() < 0 || throttle.count() > std::numeric_limits<std::int32_t>::max())
            throw usage_error("pgorm: the notify throttle must be between 0 and 2^31-1 ms");
        conn_->execute("SELECT pgmq.enable_notify_insert($1, $2)", name_, static_cast<std::int32_t>(throttle.count()));
    }
    void disable_notify_insert() { conn_->execute("SELECT pgmq.disable_notify_insert($1)", name_); }

private:
    static std::optional<jsonb_text> headers_of(const send_options& o) {
        if (o.headers.is_null()) return std::nullopt;
        if (!o.headers.is_object()) throw usage_error("pgorm: message headers must be a JSON object");
        return jsonb_text(boost::json::serialize(o.headers));
    }

    // Runs `sql` with the queue name, `args`, then the delay, whose type picks pgmq's overload:
    // integer seconds or a timestamptz.
    template <class... Args>
    result send_call(std::string_view sql, const send_options& o, const Args&... args) {
        if (const auto* at = std::get_if<timestamptz>(&o.delay)) return conn_->execute(sql, name_, args..., *at);
        return conn_->execute(sql, name_, args...,
                              detail::whole_seconds(std::get<std::chrono::seconds>(o.delay), "delay"));
    }

    bool start_listening() {
        try {
            listener_ = std::make_unique<listener>(conn_->settings());
            listener_->listen(insert_channel(name_));
            return true;
        } catch (const connection_error&) {
            listener_.reset();
            return false;
        }
    }

    // Runs f in a transaction (or a savepoint, inside the caller's) and undoes it if f throws.
    template <class F>
    auto undo_on_error(F&& f) {
        const bool idle = conn_->transaction_status() == PQTRANS_IDLE;
        conn_->execute_script(idle ? "BEGIN" : "SAVEPOINT pgorm_queue_pop");
        try {
            auto out = f();
            conn_->execute_script(idle ? "COMMIT" : "RELEASE SAVEPOINT pgorm_queue_pop");
            return out;
        } catch (...) {
            try {
                if (conn_->is_open())
                    conn_->execute_script(
                        idle ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT pgorm_queue_pop; RELEASE SAVEPOINT pgorm_queue_pop");
            } catch (...) {  // a lost connection rolled back by itself
            }
            throw;
        }
    }

    connection* conn_;
    std::string name_;
    std::unique_ptr<listener> listener_;  // read_with_poll's wake-up, made on first need
};

}  // namespace pgorm::queue

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/queue/impl/client.ipp>
#endif
