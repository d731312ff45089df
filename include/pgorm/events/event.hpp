#pragma once
// event<T>: one event as the store keeps it, with T the payload (a described struct carried as
// jsonb<T>, boost::json::value, or pgorm::jsonb_text for the raw JSON). stored_event is the
// untyped row every statement reads; the conversions between the two live here.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/result.hpp>
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

#include <array>
#include <cstdint>
#include <cstring>
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

/// The jsonb parameter for a payload, referring to it (no copy): valid while `p` lives.
template <class T>
decltype(auto) payload_param(const T& p) {
    if constexpr (std::is_same_v<T, jsonb_text>) return (p);  // const jsonb_text&
    else return pgorm::detail::jsonb_ref<T>{p};
}

/// The jsonb parameter for meta; an empty object (the common case) is a constant, not serialised.
PGORM_DECL jsonb_text meta_param(const boost::json::object& meta);

/// meta_param without a copy of the constant: `scratch` holds a filled meta's text.
PGORM_DECL const jsonb_text& meta_param(const boost::json::object& meta, jsonb_text& scratch);

/// The scope of an event: meta[key] as text (a string as it is, anything else as its JSON).
PGORM_DECL std::optional<std::string> scope_of(const boost::json::object& meta, std::string_view key);

/// Refuses what the server would refuse with a less helpful message.
template <class T>
void check_new_event(const event<T>& e) {
    if (e.type.empty())
        throw usage_error("pgorm: an event needs a type (event " + boost::uuids::to_string(e.id) +
                          ", source '" + e.source + "')");
}

/// A payload's JSON text as T; one that does not fit T throws decode_error naming the event.
template <class T>
T decode_payload_text(std::string_view text, const boost::uuids::uuid& id, std::string_view type) {
    if constexpr (std::is_same_v<T, jsonb_text>) {
        return jsonb_text(std::string(text));
    } else {
        try {
            return jsonb<T>::parse(text).value();
        } catch (const decode_error& why) {
            throw decode_error("pgorm: event " + boost::uuids::to_string(id) + " (type '" + std::string(type) +
                               "') has a payload that does not fit " + std::string(cpp_type_name<T>()) + ": " +
                               why.what());
        }
    }
}

/// decode_payload_text for a payload read as jsonb_text (moved, not copied, when T is jsonb_text).
template <class T>
T decode_payload(jsonb_text&& raw, const boost::uuids::uuid& id, std::string_view type) {
    if constexpr (std::is_same_v<T, jsonb_text>) return std::move(raw);
    else return decode_payload_text<T>(raw.text, id, type);
}

/// The meta column as an object. The server prints an empty jsonb object as "{}" (jsonb output
/// is normalised), the common case, which needs no parse.
PGORM_DECL boost::json::object decode_meta(std::string_view text);
inline boost::json::object decode_meta(const jsonb_text& meta) { return decode_meta(std::string_view(meta.text)); }

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


/// Reads the rows of a statement that returns event_columns, in that order (the claim), straight
/// into event<T>: by position, with no stored_event in between, the payload and meta parsed from
/// the result's own bytes. The row mapper would match 18 names per result and copy every row
/// twice; this reader does neither, and keeps its checks: once per result, the column count
/// (column_mismatch) and every column's type (type_mismatch naming the column, the row mapper's
/// message), so a table altered under the store still fails loudly; a NULL where stored_event
/// has no std::optional throws unexpected_null.
///
/// A result whose columns all have the types schema.hpp creates, in binary format (execute()'s
/// results; checked once per result), has each field's wire form known in advance: its rows are
/// read without the codecs' per-field type dispatch (read_schema_types). A field that does not
/// look as expected there (NULL in a NOT NULL column, a length that is not the type's, an
/// infinite or out-of-range timestamp) is handed to the codec, which reads it or throws its
/// usual error; a result with any other column type that stored_event accepts is read by the
/// codecs throughout.
template <class T>
class event_reader {
public:
    /// Column positions in event_columns.
    struct at {
        enum column : int {
            id, type, source, timestamp, payload, meta, status, retry_count, created_at, processed_at, scope,
            last_error, stream, stream_version, global_position, available_at, deliveries, claim_generation, count
        };
    };
    static_assert(reflect::member_count<stored_event> == at::count, "event_columns and stored_event disagree");

    explicit event_reader(const result& r) : r_(r) {
        if (r.columns() != at::count)
            throw column_mismatch("pgorm: the event store's statement returned " + std::to_string(r.columns()) +
                                  " column(s) where it reads " + std::to_string(int(at::count)) + ": " +
                                  std::string(event_columns));
        // Every column in binary format (one call: PQbinaryTuples is 1 only then) with the type
        // schema.hpp gives it, which stored_event's members accept (schema_types_fit): nothing
        // more to check. Else each column as the row mapper checks it, against stored_event.
        const PGresult* pg = r.native();
        schema_types_ = PQbinaryTuples(pg) == 1;
        for (int c = 0; c < at::count; ++c) {
            types_[c] = PQftype(pg, c);
            schema_types_ = schema_types_ && types_[c] == schema_type[c];
        }
        if (schema_types_ && schema_types_fit()) return;
        schema_types_ = false;
        reflect::for_each_member<stored_event>([&](std::size_t c, auto d) {
            using M = std::remove_cvref_t<decltype(std::declval<stored_event&>().*d.pointer)>;
            if (!pgorm::detail::column_fits<M>(pg, static_cast<int>(c)))  // the message only then
                r.template check_column<M>(static_cast<int>(c));
        });
    }

    /// Decodes row `row` but its payload (which must not be NULL): what the row mapper would have
    /// read into stored_event, with its errors.
    void read_columns(int row, event<T>& e) const {
        if (schema_types_) read_schema_types(row, e);
        else read_by_codecs(row, e);
    }

    /// Decodes row `row`'s payload, after read_columns: one that does not fit T throws
    /// decode_error naming the event (decode_payload_text).
    void read_payload(int row, event<T>& e) const {
        e.payload = decode_payload_text<T>(json_text(row, at::payload, "payload"), e.id, e.type);
    }

private:
    /// The column types of pgorm_events.events (schema.hpp), in event_columns order.
    static constexpr std::array<oid_t, at::count> schema_type = {
        oid::uuid,        oid::text, oid::text,        oid::timestamptz, oid::jsonb, oid::jsonb,
        oid::text,        oid::int4, oid::timestamptz, oid::timestamptz, oid::text,  oid::text,
        oid::text,        oid::int8, oid::int8,        oid::timestamptz, oid::int4,  oid::int8};

    /// Whether each member of stored_event reads its column's schema_type: true by construction,
    /// computed once so that a change to either cannot skip the checks unnoticed.
    static bool schema_types_fit() {
        static const bool fit = [] {
            bool all = true;
            reflect::for_each_member<stored_event>([&](std::size_t c, auto d) {
                using M = std::remove_cvref_t<decltype(std::declval<stored_event&>().*d.pointer)>;
                all = all && codec<M>::accepts(schema_type[c]);
            });
            return all;
        }();
        return fit;
    }

    // read_columns for a result of schema_type columns in binary format.
    void read_schema_types(int row, event<T>& e) const {
        if (std::string_view v; bytes(row, at::id, v) && v.size() == sizeof e.id.data)
            std::memcpy(e.id.data, v.data(), v.size());
        else
            field(row, at::id, e.id, "id");
        text(row, at::type, e.type, "type");
        text(row, at::source, e.source, "source");
        e.timestamp = instant(row, at::timestamp, "timestamp");
        if (r_.is_null(row, at::payload)) required<jsonb_text>(row, at::payload, "payload");  // throws
        // An empty object, the common case, needs no parse nor an object moved in.
        if (const std::string_view meta = json_text(row, at::meta, "meta"); meta == "{}") e.meta.clear();
        else e.meta = decode_meta(meta);
        text(row, at::status, e.status, "status");
        integer(row, at::retry_count, e.retry_count, "retry_count");
        e.created_at = instant(row, at::created_at, "created_at");
        if (std::string_view v; !bytes(row, at::processed_at, v)) e.processed_at.reset();
        else e.processed_at = instant(row, at::processed_at, "processed_at", v);
        optional_text(row, at::scope, e.scope);
        optional_text(row, at::last_error, e.last_error);
        optional_text(row, at::stream, e.stream);
        if (std::string_view v; !bytes(row, at::stream_version, v)) e.stream_version.reset();
        else integer(row, at::stream_version, e.stream_version.emplace(), "stream_version", v);
        integer(row, at::global_position, e.global_position, "global_position");
        e.available_at = instant(row, at::available_at, "available_at");
        integer(row, at::deliveries, e.deliveries, "deliveries");
        integer(row, at::claim_generation, e.claim_generation, "claim_generation");
    }

    // The bytes of a field; false for NULL. Only a zero-length field can be NULL (libpq), so most
    // fields cost two calls.
    bool bytes(int row, int c, std::string_view& out) const {
        const PGresult* r = r_.native();
        const int n = PQgetlength(r, row, c);
        if (n == 0 && PQgetisnull(r, row, c)) return false;
        out = {PQgetvalue(r, row, c), static_cast<std::size_t>(n)};
        return true;
    }
    void text(int row, typename at::column c, std::string& out, std::string_view name) const {
        std::string_view v;
        if (bytes(row, c, v)) out.assign(v.data(), v.size());
        else field(row, c, out, name);  // NULL: throws unexpected_null
    }
    void optional_text(int row, typename at::column c, std::optional<std::string>& out) const {
        std::string_view v;
        if (!bytes(row, c, v)) out.reset();
        else if (out) out->assign(v.data(), v.size());
        else out.emplace(v);
    }
    // int4 or int8 (schema_type says which), into a member at least as wide.
    template <std::integral I>
    void integer(int row, typename at::column c, I& out, std::string_view name) const {
        std::string_view v;
        if (bytes(row, c, v)) integer(row, c, out, name, v);
        else field(row, c, out, name);  // NULL: throws unexpected_null
    }
    // The same for a field known not to be NULL, whose bytes are `v`.
    template <std::integral I>
    void integer(int row, typename at::column c, I& out, std::string_view name, std::string_view v) const {
        if (v.size() == 8 && sizeof(I) == 8) out = static_cast<I>(wire::get<std::int64_t>(v.data()));
        else if (v.size() == 4) out = static_cast<I>(wire::get<std::int32_t>(v.data()));
        else field(row, c, out, name);  // a length the codec explains
    }
    // A timestamptz: microseconds since 2000-01-01 on the wire. The infinities and values past a
    // time_point's range are left to the codec (its mapping and its error).
    timestamptz instant(int row, typename at::column c, std::string_view name) const {
        std::string_view v;
        if (bytes(row, c, v)) return instant(row, c, name, v);
        return required<timestamptz>(row, c, name);  // NULL: throws unexpected_null
    }
    // The same for a field known not to be NULL, whose bytes are `v`.
    timestamptz instant(int row, typename at::column c, std::string_view name, std::string_view v) const {
        using namespace pgorm::detail::pg_time;
        std::int64_t us = 0;
        if (v.size() == 8) {
            const std::int64_t pg = wire::get<std::int64_t>(v.data());
            if (pg != infinity64 && pg != minus_infinity64 && !__builtin_add_overflow(pg, epoch_shift_us, &us) &&
                us != infinity64)
                return timestamptz(std::chrono::microseconds(us));
        }
        return required<timestamptz>(row, c, name);
    }

    // read_columns through the codecs, for any column type stored_event accepts.
    void read_by_codecs(int row, event<T>& e) const {
        field(row, at::id, e.id, "id");
        field(row, at::type, e.type, "type");
        field(row, at::source, e.source, "source");
        e.timestamp = required<timestamptz>(row, at::timestamp, "timestamp");
        if (r_.is_null(row, at::payload)) required<jsonb_text>(row, at::payload, "payload");  // throws
        e.meta = decode_meta(json_text(row, at::meta, "meta"));
        field(row, at::status, e.status, "status");
        field(row, at::retry_count, e.retry_count, "retry_count");
        e.created_at = required<timestamptz>(row, at::created_at, "created_at");
        field(row, at::processed_at, e.processed_at, "processed_at");
        field(row, at::scope, e.scope, "scope");
        field(row, at::last_error, e.last_error, "last_error");
        field(row, at::stream, e.stream, "stream");
        field(row, at::stream_version, e.stream_version, "stream_version");
        field(row, at::global_position, e.global_position, "global_position");
        e.available_at = required<timestamptz>(row, at::available_at, "available_at");
        field(row, at::deliveries, e.deliveries, "deliveries");
        field(row, at::claim_generation, e.claim_generation, "claim_generation");
    }

    template <class V>
    void field(int row, typename at::column c, V& out, std::string_view name) const {
        r_.read_field_as(row, c, types_[c], out, "pgorm_events.events", name);
    }
    // A column stored_event reads without std::optional, for a member of event<T> that has one.
    template <class V>
    V required(int row, typename at::column c, std::string_view name) const {
        V v{};
        field(row, c, v, name);
        return v;
    }
    // The JSON text of a json/jsonb column; NULL throws unexpected_null like any required column.
    std::string_view json_text(int row, typename at::column c, std::string_view name) const {
        if (r_.is_null(row, c)) required<jsonb_text>(row, c, name);  // throws
        return pgorm::detail::json_text_of(r_.raw(row, c), types_[c]);
    }

    const result& r_;
    std::array<oid_t, at::count> types_{};
    bool schema_types_ = false;  // every column has schema_type's type, in binary format
};

}  // namespace detail

}  // namespace pgorm::events

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/events/impl/event.ipp>
#endif
