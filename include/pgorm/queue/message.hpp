#pragma once
// message<T>, queue_metrics and the checks and decoding every queue call shares. Rows are read
// by column NAME: the real pgmq added last_read_at at the end of older tables but lists it fourth
// in message_record, and metrics gained columns over releases, so positions are not stable.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/result.hpp>
#include <pgorm/types/chrono.hpp>
#include <pgorm/types/json.hpp>
#include <pgorm/types/scalar.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgorm::queue {

/// One message as pgmq.read, pop and set_vt return it (pgmq.message_record).
/// T is the body: a described struct (carried as jsonb<T>), boost::json::value, or
/// pgorm::jsonb_text for the raw JSON text.
template <class T>
struct message {
    std::int64_t msg_id = 0;
    std::int32_t read_ct = 0;                  // deliveries so far, this one included
    timestamptz enqueued_at{};
    std::optional<timestamptz> last_read_at;  // empty until first read (and after pop of an unread one)
    timestamptz vt{};                          // invisible to other readers until then
    T message{};
    boost::json::value headers;  // null when the message has no headers
};

/// pgmq.metrics: one queue's counts and ages.
struct queue_metrics {
    std::string queue_name;
    std::int64_t queue_length = 0;                     // messages in the queue, visible or not
    std::optional<std::int32_t> newest_msg_age_sec;    // empty when the queue is empty
    std::optional<std::int32_t> oldest_msg_age_sec;
    std::int64_t total_messages = 0;                   // messages ever sent (the msg_id sequence)
    timestamptz scrape_time{};
    std::optional<std::int64_t> queue_visible_length;  // readable now (pgmq 1.5+)
    std::optional<std::int64_t> default_partition_length;  // partitioned queues: rows pg_partman cannot place
};

namespace detail {

template <class T> inline constexpr bool is_raw_json = std::is_same_v<T, jsonb_text>;

/// Throws usage_error unless `name` is 1 to 47 characters from [a-z0-9_] (pgmq's 63-byte
/// identifier limit minus its longest prefix); the server checks the same.
inline void check_queue_name(std::string_view name) {
    bool ok = !name.empty() && name.size() <= 47;
    for (char ch : name) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
    if (!ok)
        throw usage_error("pgorm: invalid queue name '" + std::string(name) +
                          "': use 1 to 47 characters from a-z, 0-9 and _");
}

/// A duration as the whole seconds pgmq's integer arguments take; `what` names it in the error.
PGORM_DECL std::int32_t whole_seconds(std::chrono::seconds d, const char* what);

PGORM_DECL std::int32_t positive_count(int n, const char* what);

/// The index of a named column; -1 when optional and absent, else column_mismatch.
PGORM_DECL int column_named(const result& r, std::string_view name, bool required = true);

/// column_named, trying the documented position first: a name compare instead of a search on
/// every read of a result laid out as documented.
PGORM_DECL int column_at(const result& r, int usual, std::string_view name, bool required = true);

template <class V>
void read_named(const result& r, int row, int col, V& out) {
    if (col >= 0) r.read_field(row, col, out);
}

/// The JSON text of a message body for a jsonb parameter.
template <class T>
jsonb_text encode_body(const T& body) {
    if constexpr (is_raw_json<T>) return body;
    else return jsonb_text(boost::json::serialize(to_json(body)));
}

/// Decodes a body from its JSON text; a mismatch names the queue and message and says the
/// message is still there.
template <class T>
T decode_body(std::string_view json, std::string_view queue, std::int64_t msg_id) {
    if constexpr (is_raw_json<T>) {
        return jsonb_text(std::string(json));
    } else {
        try {
            return jsonb<T>::parse(json).value();
        } catch (const decode_error& e) {
            throw decode_error("pgorm: message " + std::to_string(msg_id) + " of queue '" + std::string(queue) +
                               "' does not fit " + std::string(cpp_type_name<T>()) + ": " + e.what() +
                               " (the message stays in the queue)");
        }
    }
}

/// The same, for a body held as jsonb_text (bus replies).
template <class T>
T decode_body(const jsonb_text& raw, std::string_view queue, std::int64_t msg_id) {
    return decode_body<T>(std::string_view(raw.text), queue, msg_id);
}

/// Where pgmq.message_record's columns are in one result, found by name (pgmq >= 1.10's order
/// tried first; last_read_at and headers may be missing from older pgmq versions).
struct message_columns {
    int id, reads, enqueued, last_read, vt, body, headers;
    explicit message_columns(const result& r)
        : id(column_at(r, 0, "msg_id")), reads(column_at(r, 1, "read_ct")), enqueued(column_at(r, 2, "enqueued_at")),
          last_read(column_at(r, 3, "last_read_at", false)), vt(column_at(r, 4, "vt")),
          body(column_at(r, 5, "message")), headers(column_at(r, 6, "headers", false)) {}
};

/// Rows of pgmq.message_record as message<T>, decoding each body straight from the result
/// (throws decode_error at the first body that does not fit T; a NULL body decodes as null).
template <class T>
std::vector<message<T>> read_messages(const result& r, std::string_view queue) {
    const message_columns at(r);
    const oid_t body_type = r.column_type(at.body);
    const oid_t headers_type = at.headers >= 0 ? r.column_type(at.headers) : oid_t{};
    if (!pgorm::detail::is_json_oid(body_type) || (at.headers >= 0 && !pgorm::detail::is_json_oid(headers_type)))
        throw column_mismatch("pgorm: the queue function's message and headers columns are not json or jsonb");
    std::vector<message<T>> out(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) {
        auto& m = out[static_cast<std::size_t>(i)];
        read_named(r, i, at.id, m.msg_id);
        read_named(r, i, at.reads, m.read_ct);
        read_named(r, i, at.enqueued, m.enqueued_at);
        read_named(r, i, at.last_read, m.last_read_at);
        read_named(r, i, at.vt, m.vt);
        const std::string_view body = r.is_null(i, at.body) ? "null" : pgorm::detail::json_text_of(r.raw(i, at.body), body_type);
        m.message = decode_body<T>(body, queue, m.msg_id);
        if (at.headers >= 0 && !r.is_null(i, at.headers))
            m.headers = pgorm::detail::parse_json(pgorm::detail::json_text_of(r.raw(i, at.headers), headers_type),
                                                  "message headers");  // pgorm's depth limit, not Boost's 32
    }
    return out;
}

PGORM_DECL queue_metrics metrics_row(const result& r, int row);

}  // namespace detail

}  // namespace pgorm::queue

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/queue/impl/message.ipp>
#endif
