#pragma once
// event<T>: one event as the store keeps it, with T the payload (a described struct carried as
// jsonb<T>, boost::json::value, or pgorm::jsonb_text for the raw JSON). stored_event is the
// untyped row every statement reads; the conversions between the two live here.

#include <pgorm/error.hpp>
#include <pgorm/reflect/table.hpp>
#include <pgorm/types/chrono.hpp>
#include <pgorm/types/json.hpp>
#include <pgorm/types/detail/json_mapping.hpp>
#include <pgorm/types/optional.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/types/uuid.hpp>

#include <boost/describe/class.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace pgorm::events {

/// The life of an event in the work queue (column `status`).
///   pending    → waiting for a consumer, due at available_at
///   processing → claimed; its lease ends at available_at, then any consumer may claim it again
///   processed  → acked
///   failed     → nacked more than max_retries times (seed 000's dead-letter state); replay() revives it
///   recorded   → appended to a stream without entering the work queue
namespace status {
inline constexpr std::string_view pending = "pending";
inline constexpr std::string_view processing = "processing";
inline constexpr std::string_view processed = "processed";
inline constexpr std::string_view failed = "failed";
inline constexpr std::string_view recorded = "recorded";
}  // namespace status

/// The lease a claim hands out: the event and the claim_generation it set. ack, nack, fail and
/// release given a token settle the event only while that claim is still the latest one, so a
/// consumer whose lease ran out and was claimed again cannot settle what another now holds.
struct claim_token {
    boost::uuids::uuid id{};
    std::int64_t generation = 0;
};

/// One event. On publish only id (nil: the server makes one), type, source, payload, meta and
/// timestamp (empty: the server's clock) are read; the rest is filled in when events are read.
template <class T>
struct event {
    boost::uuids::uuid id{};
    std::string type{};                   // what happened, e.g. "order.placed"; must not be empty
    std::string source{};                 // who said so
    T payload{};
    boost::json::object meta{};           // free-form; meta[store_options::scope_key] is the scope
    std::optional<timestamptz> timestamp{}; // when it happened; orders the work queue
    std::string status{};                 // see namespace status
    std::int32_t retry_count = 0;         // nacks so far
    std::optional<timestamptz> created_at{};
    std::optional<timestamptz> processed_at{}; // set by ack
    std::optional<std::string> scope{};       // events of one scope are handled one at a time, in order
    std::optional<std::string> last_error{};  // the last nack's reason
    std::optional<std::string> stream{};      // set for events appended to a stream
    std::optional<std::int64_t> stream_version{}; // 1, 2, ... within the stream
    std::int64_t global_position = 0;         // see schema.hpp: unique, increasing in commit-safe order
    std::optional<timestamptz> available_at{}; // due time (pending) or lease end (processing)
    std::int32_t deliveries = 0;              // claims that handed it out (release() gives one back)
    std::int64_t claim_generation = 0;        // + 1 on every claim: the lease's fencing token

    /// This delivery's lease, for the fenced ack/nack/fail/release.
    claim_token token() const noexcept { return {id, claim_generation}; }
};

/// An event row with the payload and meta as raw JSON: what every statement reads.
struct stored_event {
    boost::uuids::uuid id{};
    std::string type;
    std::string source;
    timestamptz timestamp{};
    jsonb_text payload;
    jsonb_text meta;
    std::string status;
    std::int32_t retry_count = 0;
    timestamptz created_at{};
    std::optional<timestamptz> processed_at;
    std::optional<std::string> scope;
    std::optional<std::string> last_error;
    std::optional<std::string> stream;
    std::optional<std::int64_t> stream_version;
    std::int64_t global_position = 0;
    timestamptz available_at{};
    std::int32_t deliveries = 0;
    std::int64_t claim_generation = 0;
};
BOOST_DESCRIBE_STRUCT(stored_event, (),
                      (id, type, source, timestamp, payload, meta, status, retry_count, created_at, processed_at,
                       scope, last_error, stream, stream_version, global_position, available_at, deliveries,
                       claim_generation))

namespace detail {

/// The select list that fills a stored_event (names match its members).
inline constexpr std::string_view event_columns =
    "id, type, source, \"timestamp\", payload, meta, status, retry_count, created_at, processed_at, scope, "
    "last_error, stream, stream_version, global_position, available_at, deliveries, claim_generation";

/// The jsonb parameter for a payload.
template <class T>
auto payload_param(const T& p) {
    if constexpr (std::is_same_v<T, jsonb_text>) return p;
    else return jsonb<T>(p);
}

/// The jsonb parameter for meta; an empty object (the common case) is a constant, not serialised.
inline jsonb_text meta_param(const boost::json::object& meta) {
    if (meta.empty()) return jsonb_text("{}");
    return jsonb_text(boost::json::serialize(meta));
}

/// The scope of an event: meta[key] as text (a string as it is, anything else as its JSON).
inline std::optional<std::string> scope_of(const boost::json::object& meta, std::string_view key) {
    auto it = meta.find(key);
    if (it == meta.end() || it->value().is_null()) return std::nullopt;
    if (const auto* s = it->value().if_string()) return std::string(*s);
    return boost::json::serialize(it->value());
}

/// Refuses what the server would refuse with a less helpful message.
template <class T>
void check_new_event(const event<T>& e) {
    if (e.type.empty())
        throw usage_error("pgorm: an event needs a type (event " + boost::uuids::to_string(e.id) +
                          ", source '" + e.source + "')");
}

/// A payload's JSON as T; one that does not fit T throws decode_error naming the event.
template <class T>
T decode_payload(jsonb_text&& raw, const boost::uuids::uuid& id, std::string_view type) {
    if constexpr (std::is_same_v<T, jsonb_text>) {
        return std::move(raw);
    } else {
        try {
            return jsonb<T>::parse(raw.text).value();
        } catch (const decode_error& why) {
            throw decode_error("pgorm: event " + boost::uuids::to_string(id) + " (type '" + std::string(type) +
                               "') has a payload that does not fit " + std::string(cpp_type_name<T>()) + ": " +
                               why.what());
        }
    }
}

/// The meta column as an object. The server prints an empty jsonb object as "{}" (jsonb output
/// is normalised), the common case, which needs no parse.
inline boost::json::object decode_meta(const jsonb_text& meta) {
    if (meta.text == "{}") return {};
    return boost::json::parse(meta.text).as_object();
}

/// An untyped event with its payload decoded into T (see decode_payload).
template <class T>
event<T> retype(event<jsonb_text>&& raw) {
    if constexpr (std::is_same_v<T, jsonb_text>) {
        return std::move(raw);
    } else {
        event<T> e;
        e.payload = decode_payload<T>(std::move(raw.payload), raw.id, raw.type);
        e.id = raw.id;
        e.type = std::move(raw.type);
        e.source = std::move(raw.source);
        e.meta = std::move(raw.meta);
        e.timestamp = raw.timestamp;
        e.status = std::move(raw.status);
        e.retry_count = raw.retry_count;
        e.created_at = raw.created_at;
        e.processed_at = raw.processed_at;
        e.scope = std::move(raw.scope);
        e.last_error = std::move(raw.last_error);
        e.stream = std::move(raw.stream);
        e.stream_version = raw.stream_version;
        e.global_position = raw.global_position;
        e.available_at = raw.available_at;
        e.deliveries = raw.deliveries;
        e.claim_generation = raw.claim_generation;
        return e;
    }
}

/// A row as event<T>, built in place: no untyped event<jsonb_text> in between (see
/// decode_payload for a payload that does not fit).
template <class T>
event<T> typed(stored_event&& s) {
    event<T> e;
    e.payload = decode_payload<T>(std::move(s.payload), s.id, s.type);
    e.id = s.id;
    e.type = std::move(s.type);
    e.source = std::move(s.source);
    e.meta = decode_meta(s.meta);
    e.timestamp = s.timestamp;
    e.status = std::move(s.status);
    e.retry_count = s.retry_count;
    e.created_at = s.created_at;
    e.processed_at = s.processed_at;
    e.scope = std::move(s.scope);
    e.last_error = std::move(s.last_error);
    e.stream = std::move(s.stream);
    e.stream_version = s.stream_version;
    e.global_position = s.global_position;
    e.available_at = s.available_at;
    e.deliveries = s.deliveries;
    e.claim_generation = s.claim_generation;
    return e;
}

}  // namespace detail

}  // namespace pgorm::events
