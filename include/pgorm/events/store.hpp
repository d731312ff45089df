#pragma once
// event_store: seed 000's EventStore over any scope. publish/publish_many put events into the
// work queue (with a NOTIFY that is delivered only if the caller's transaction commits), claim
// hands the oldest due events to one consumer each (FOR UPDATE SKIP LOCKED, in batches, under a
// lease), ack/nack settle them (nack: exponential backoff with jitter, then `failed`), replay
// revives failed ones, and the seed's debugging queries are typed calls.
//
// Every call takes the scope to run on, so an ack or a publish can share a transaction with the
// caller's own rows (an outbox, or exactly-once side effects).

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/connection_access.hpp>
#include <pgorm/events/event.hpp>
#include <pgorm/types/array.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgorm::events {

/// How nacked events come back: after base * factor^retry_count (retry_count before this nack),
/// at most `max`, spread by ±jitter (a fraction) so that failures do not return in lockstep;
/// an event nacked more than max_retries times becomes `failed` instead.
///
/// max_retries also bounds deliveries that never settle (a consumer that dies mid-event, or
/// overruns its lease, every time): a claim fails an event that was already handed out
/// max_retries + 1 times, so an event is delivered at most max_retries + 1 times in all.
struct retry_policy {
    int max_retries = 5;
    std::chrono::milliseconds base{1000};
    double factor = 2.0;
    std::chrono::milliseconds max{300'000};
    double jitter = 0.1;
};

struct store_options {
    /// NOTIFY channel of publish/append; subscribers LISTEN on it (at most 63 bytes).
    std::string channel = "pgorm_events";
    /// The meta key whose value is an event's scope (its aggregate id, say).
    std::string scope_key = "scope";
    retry_policy retry{};
};

/// What one claim takes.
struct claim_options {
    int batch = 10;                                   // at most this many events
    std::chrono::milliseconds lease{30'000};          // then another consumer may claim them again
    std::vector<std::string> types{};                 // only these types (empty: all)
};

/// What nack did.
struct nack_result {
    bool failed = false;           // it went to the dead-letter state
    std::int32_t retry_count = 0;  // nacks so far, this one included
    timestamptz retry_at{};        // when it is due again (unless failed)
};

/// Which failed events replay() revives; unset fields match everything.
struct replay_filter {
    std::optional<std::string> type{};
    std::optional<timestamptz> since{};  // timestamp at or after
    std::optional<timestamptz> until{};  // timestamp before
};

/// Seed 000's "check processing times": the mean of processed_at - created_at per type.
struct processing_time {
    std::string type;
    std::chrono::microseconds average{};
    std::int64_t events = 0;
};
BOOST_DESCRIBE_STRUCT(processing_time, (), (type, average, events))

/// Seed 000's "check locks": one row of pg_locks on the events table.
struct table_lock {
    std::string locktype;
    std::string mode;
    bool granted = false;
    std::optional<std::int32_t> pid;  // empty for a prepared transaction
};
BOOST_DESCRIBE_STRUCT(table_lock, (), (locktype, mode, granted, pid))

namespace detail {

PGORM_DECL void check_options(const store_options& o);

PGORM_DECL void check_claim(const claim_options& o);

/// The columns of many new events as one array each: publish_many's and append's parameters.
template <class T>
struct event_arrays {
    event_arrays(const std::vector<event<T>>& events, std::string_view scope_key) {
        for (const auto& e : events) {
            check_new_event(e);
            ids.push_back(e.id.is_nil() ? std::nullopt : std::optional(e.id));
            types.push_back(e.type);
            sources.push_back(e.source);
            timestamps.push_back(e.timestamp);
            if constexpr (std::is_same_v<T, jsonb_text>) payloads.push_back(e.payload);
            else payloads.push_back(jsonb_text(jsonb<T>(e.payload).dump()));
            metas.push_back(meta_param(e.meta));
            scopes.push_back(scope_of(e.meta, scope_key));
        }
    }
    std::vector<std::optional<boost::uuids::uuid>> ids;
    std::vector<std::string> types, sources;
    std::vector<std::optional<timestamptz>> timestamps;
    std::vector<jsonb_text> payloads, metas;
    std::vector<std::optional<std::string>> scopes;
};

/// Runs one of the store's hot statements (publish_sql, claim_sql, ack_sql, ack_many_sql), whose
/// texts live in static storage and never change: the statement cache may know them by address
/// (param_refs::static_text) rather than compare their bytes on every call. Otherwise exactly
/// connection::execute(sql, args...), through connection_access::run; throws as that does.
template <class... A>
result execute_static(connection& c, std::string_view sql, const A&... args) {
    packed_params<sizeof...(A)> p(pgorm::detail::connection_access::encode_buffer(c), args...);
    param_refs refs = p.refs();
    refs.static_text = true;
    return pgorm::detail::connection_access::run(c, sql, refs);
}

inline std::string event_name(const boost::uuids::uuid& id) { return "event " + boost::uuids::to_string(id); }

/// Claim tokens as the two arrays the fenced statements unnest.
struct token_arrays {
    explicit token_arrays(const std::vector<claim_token>& tokens);
    std::vector<boost::uuids::uuid> ids;
    std::vector<std::int64_t> generations;
};

}  // namespace detail

/// A fenced ack, nack or fail came too late: after the lease ran out another consumer claimed
/// the event (or it was settled by hand), so this consumer's outcome was not recorded. The
/// event is someone else's now; drop it.
class lease_lost : public error {
public:
    using error::error;
};

/// Seed 000's EventStore on schema pgorm_events (install() it first). Cheap to copy: it holds
/// only options. Thread-safe in itself; each call runs on the scope it is given.
///
/// Settling: consumers pass the claim_token of the event they claimed (event<T>::token()); the
/// calls taking a bare id are the operator's override (settle by hand, no fencing).
///
/// Errors: usage_error for bad options or arguments (before any round trip) and for settling an
/// event that is not in the work queue; not_found for an id that does not exist; decode_error
/// when a payload does not fit T; undefined_table when the schema is not installed;
/// connection_lost, and the other sql_error subclasses (error.hpp) for what the server raises.
class event_store {
public:
    explicit event_store(store_options o = {}) : o_(std::move(o)) { detail::check_options(o_); }

    const store_options& options() const noexcept { return o_; }

    /// Inserts one pending event and NOTIFYs the store's channel with its id, in one statement on
    /// `s`: inside a transaction, listeners hear of it only if that commits. Returns the id.
    template <scope S, class T>
    boost::uuids::uuid publish(S& s, const event<T>& e) {
        detail::check_new_event(e);
        std::optional<boost::uuids::uuid> id;
        if (!e.id.is_nil()) id = e.id;
        jsonb_text meta;
        const result r = detail::execute_static(s.conn(), publish_sql(), id, e.type, e.source, e.timestamp,
                                                detail::payload_param(e.payload), detail::meta_param(e.meta, meta),
                                                detail::scope_of(e.meta, o_.scope_key), o_.channel);
        // The id column as the schema makes it (uuid: 16 bytes in the binary results execute()
        // asks for) is copied out; anything else goes through its codec, which reads it or says
        // why not.
        const PGresult* pg = r.native();
        boost::uuids::uuid out;
        if (r.size() == 1 && PQftype(pg, 0) == oid::uuid && PQgetlength(pg, 0, 0) == static_cast<int>(sizeof out.data))
            std::memcpy(out.data, PQgetvalue(pg, 0, 0), sizeof out.data);
        else
            out = r.template get<boost::uuids::uuid>(0, 0);
        return out;
    }

    /// Inserts many pending events in one statement (and one NOTIFY whose payload is their
    /// count); their ids, in order. An empty list is refused.
    template <scope S, class T>
    std::vector<boost::uuids::uuid> publish_many(S& s, const std::vector<event<T>>& events) {
        if (events.empty()) throw usage_error("pgorm: publish_many needs at least one event");
        detail::event_arrays<T> c(events, o_.scope_key);
        return s.conn()
            .execute(
                "WITH e AS (INSERT INTO pgorm_events.events (id, type, source, \"timestamp\", payload, meta, scope) "
                "SELECT coalesce(i, gen_random_uuid()), t, s, coalesce(ts, clock_timestamp()), p, m, sc "
                "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::jsonb[], "
                "$7::text[]) WITH ORDINALITY AS x(i, t, s, ts, p, m, sc, n) ORDER BY n RETURNING id, global_position), "
                "n AS (SELECT pg_notify($8, count(*)::text) FROM e) "
                "SELECT id FROM e, n ORDER BY global_position",
                c.ids, c.types, c.sources, c.timestamps, c.payloads, c.metas, c.scopes, o_.channel)
            .template as<boost::uuids::uuid>();
    }

    /// Claims up to `o.batch` due events, oldest timestamp first, each for this caller alone until
    /// its lease ends (FOR UPDATE SKIP LOCKED: concurrent claims never wait for nor share a row).
    /// An event with a scope is claimable only while no earlier event of its scope is pending or
    /// processing, so a scope's events are handed out one at a time, in timestamp order.
    /// Each claim adds 1 to deliveries and claim_generation; an event that had already been
    /// delivered max_retries + 1 times goes to `failed` instead (last_error says why) and is not
    /// returned, so a batch may hold fewer events than were due.
    ///
    /// A payload that does not fit T: that event goes to `failed` (the error says so; replay it
    /// once T fits), the rest of the batch is released, and decode_error is thrown.
    /// Throws usage_error for a batch < 1 or a lease <= 0; type_mismatch (naming the column) or
    /// column_mismatch when the table no longer fits stored_event, from the first claim that gets
    /// a row (an empty claim reads no column); the server's errors as the class comment says.
    template <class T, scope S>
    std::vector<event<T>> claim(S& s, const claim_options& o = {}) {
        detail::check_claim(o);
        const result claimed = detail::execute_static(s.conn(), claim_sql(), o.batch, std::chrono::microseconds(o.lease),
                                                      o.types, std::int32_t(o_.retry.max_retries));
        // Nothing due (an idle consumer's every poll): no column to check. The checks run on the
        // first claim that gets a row.
        if (claimed.empty()) return {};
        const detail::event_reader<T> reader(claimed);  // rows in order: claim_sql sorts them
        const int n = claimed.size();
        std::vector<event<T>> out(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) reader.read_columns(i, out[static_cast<std::size_t>(i)]);
        for (int i = 0; i < n; ++i) {
            try {
                reader.read_payload(i, out[static_cast<std::size_t>(i)]);
            } catch (const decode_error& e) {
                std::vector<claim_token> rest;
                for (int j = 0; j < n; ++j)
                    if (j != i) rest.push_back(out[static_cast<std::size_t>(j)].token());
                fail(s, out[static_cast<std::size_t>(i)].token(), e.what());
                release(s, rest);
                throw decode_error(std::string(e.what()) + " (it is now failed; replay it once the type fits)");
            }
        }
        return out;
    }

    /// Marks the event of a claim processed, if that claim is still its latest (the fence). True
    /// when it was; false when this same claim had acked it already (idempotent). Throws
    /// lease_lost when the event was claimed again or settled by someone else since, not_found
    /// for an unknown id.
    template <scope S>
    bool ack(S& s, const claim_token& t) {
        if (detail::execute_static(s.conn(), ack_sql(), t.id, t.generation).affected_rows()) return true;
        auto [st, generation] = fenced_state(s, t, "ack");
        if (generation == t.generation && st == status::processed) return false;
        throw lost(t, "ack", st, generation);
    }

    /// ack() of many claims in one statement; how many were acked (those whose lease was lost,
    /// or that were settled already, are left alone).
    template <scope S>
    std::int64_t ack(S& s, const std::vector<claim_token>& tokens) {
        if (tokens.empty()) return 0;
        detail::token_arrays a(tokens);
        return detail::execute_static(s.conn(), ack_many_sql(), a.ids, a.generations).affected_rows();
    }

    /// Operator's override: marks a pending or processing event processed whoever holds it. True
    /// when it was; false when it had been processed already. Throws not_found for an unknown id,
    /// usage_error for a failed or recorded event.
    template <scope S>
    bool ack(S& s, const boost::uuids::uuid& id) {
        if (!s.conn()
                 .execute("UPDATE pgorm_events.events SET status = 'processed', processed_at = clock_timestamp() "
                          "WHERE id = $1 AND status IN ('pending', 'processing')",
                          id)
                 .affected_rows())
            return settled_already(s, id, "ack", status::processed);
        return true;
    }

    /// ack() of many in one statement; how many were pending or processing (the others, unknown
    /// or settled, are left alone).
    template <scope S>
    std::int64_t ack(S& s, const std::vector<boost::uuids::uuid>& ids) {
        return s.conn()
            .execute("UPDATE pgorm_events.events SET status = 'processed', processed_at = clock_timestamp() "
                     "WHERE id = ANY($1) AND status IN ('pending', 'processing')",
                     ids)
            .affected_rows();
    }

    /// Records a failed attempt of a claim with its reason: retry_count + 1, and the event is due
    /// again after the store's backoff, or goes to `failed` once it has been nacked more than
    /// max_retries times. Fenced like ack: throws lease_lost when the event was claimed again or
    /// settled since, not_found for an unknown id.
    template <scope S>
    nack_result nack(S& s, const claim_token& t, std::string_view error) {
        auto got = nack_row(s, "id = $1 AND claim_generation = $8 AND status = 'processing'", t.id, error, t.generation);
        if (!got) {
            auto [st, generation] = fenced_state(s, t, "nack");
            throw lost(t, "nack", st, generation);
        }
        return *got;
    }

    /// Operator's override of nack(): records a failed attempt of a pending or processing event
    /// whoever holds it. Throws not_found for an unknown id, usage_error for a settled event.
    template <scope S>
    nack_result nack(S& s, const boost::uuids::uuid& id, std::string_view error) {
        auto got = nack_row(s, "id = $1 AND status IN ('pending', 'processing') AND $8::bigint IS NULL", id, error,
                            std::optional<std::int64_t>());
        if (!got) {
            settled_already(s, id, "nack", "");
            throw usage_error("pgorm: cannot nack " + detail::event_name(id) + ": it is not in the work queue");
        }
        return *got;
    }

    /// Moves the event of a claim to `failed` at once (a payload that can never succeed), if that
    /// claim is still its latest; false when the lease was lost or the event settled.
    template <scope S>
    bool fail(S& s, const claim_token& t, std::string_view error) {
        return s.conn()
                   .execute("UPDATE pgorm_events.events SET status = 'failed', retry_count = retry_count + 1, "
                            "last_error = $2 WHERE id = $1 AND claim_generation = $3 AND status = 'processing'",
                            t.id, error, t.generation)
                   .affected_rows() == 1;
    }

    /// Operator's override of fail(): any pending or processing event; false when it was neither.
    template <scope S>
    bool fail(S& s, const boost::uuids::uuid& id, std::string_view error) {
        return s.conn()
                   .execute("UPDATE pgorm_events.events SET status = 'failed', retry_count = retry_count + 1, "
                            "last_error = $2 WHERE id = $1 AND status IN ('pending', 'processing')",
                            id, error)
                   .affected_rows() == 1;
    }

    /// Gives claimed events back without counting a delivery (deliveries - 1): due again after
    /// `delay`. Only claims that are still the latest are released; how many were.
    template <scope S>
    std::int64_t release(S& s, const std::vector<claim_token>& tokens,
                         std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
        if (tokens.empty()) return 0;
        detail::token_arrays a(tokens);
        return s.conn()
            .execute("UPDATE pgorm_events.events e SET status = 'pending', deliveries = greatest(e.deliveries - 1, 0), "
                     "available_at = clock_timestamp() + $3 FROM unnest($1::uuid[], $2::bigint[]) AS t(id, generation) "
                     "WHERE e.id = t.id AND e.claim_generation = t.generation AND e.status = 'processing'",
                     a.ids, a.generations, std::chrono::microseconds(delay))
            .affected_rows();
    }

    /// Brings a failed event back to pending, due now, with retry_count and deliveries 0. False
    /// when it was not failed; not_found for an unknown id.
    template <scope S>
    bool replay(S& s, const boost::uuids::uuid& id) {
        if (s.conn()
                .execute("UPDATE pgorm_events.events SET status = 'pending', retry_count = 0, deliveries = 0, "
                         "available_at = clock_timestamp() WHERE id = $1 AND status = 'failed'",
                         id)
                .affected_rows())
            return true;
        status_of(s, id, "replay");
        return false;
    }

    /// replay() of every failed event the filter matches; how many.
    template <scope S>
    std::int64_t replay(S& s, const replay_filter& f) {
        return s.conn()
            .execute("UPDATE pgorm_events.events SET status = 'pending', retry_count = 0, deliveries = 0, "
                     "available_at = clock_timestamp() WHERE status = 'failed' AND ($1::text IS NULL OR type = $1) "
                     "AND ($2::timestamptz IS NULL OR \"timestamp\" >= $2) "
                     "AND ($3::timestamptz IS NULL OR \"timestamp\" < $3)",
                     f.type, f.since, f.until)
            .affected_rows();
    }

    /// One event by id, in any status; nothing when there is none.
    template <class T, scope S>
    std::optional<event<T>> find(S& s, const boost::uuids::uuid& id) {
        static const std::string sql =
            "SELECT " + std::string(detail::event_columns) + " FROM pgorm_events.events WHERE id = $1";
        auto row = s.conn().template query_one<stored_event>(sql, id);
        if (!row) return std::nullopt;
        return detail::typed<T>(std::move(*row));
    }

    // ------------------------------------------------ seed 000's debugging queries

    /// Events waiting for a consumer (status pending, due or not).
    template <scope S>
    std::int64_t pending_count(S& s) {
        return s.conn().template query_value<std::int64_t>(
            "SELECT count(*) FROM pgorm_events.events WHERE status = 'pending'");
    }

    /// The dead-letter state, newest timestamp first.
    template <class T, scope S>
    std::vector<event<T>> failed_events(S& s, int limit = 10) {
        if (limit < 1) throw usage_error("pgorm: failed_events needs a limit of 1 or more, got " + std::to_string(limit));
        static const std::string sql = "SELECT " + std::string(detail::event_columns) +
                                       " FROM pgorm_events.events WHERE status = 'failed' "
                                       "ORDER BY \"timestamp\" DESC, global_position DESC LIMIT $1";
        std::vector<event<T>> out;
        for (auto& row : s.conn().template query<stored_event>(sql, std::int64_t(limit)))
            out.push_back(detail::typed<T>(std::move(row)));
        return out;
    }

    /// Mean processed_at - created_at of processed events, per type, by type name.
    template <scope S>
    std::vector<processing_time> processing_times(S& s) {
        return s.conn().template query<processing_time>(
            "SELECT type, avg(processed_at - created_at) AS average, count(*) AS events "
            "FROM pgorm_events.events WHERE processed_at IS NOT NULL GROUP BY type ORDER BY type");
    }

    /// The locks held on, or waited for on, the events table (pg_locks).
    template <scope S>
    std::vector<table_lock> table_locks(S& s) {
        return s.conn().template query<table_lock>(
            "SELECT locktype, mode, granted, pid FROM pg_locks "
            "WHERE relation = 'pgorm_events.events'::regclass ORDER BY pid, mode");
    }

    // ------------------------------------------------ the statements (for tools and benchmarks)

    /// publish(): $1 id (uuid or NULL), $2 type, $3 source, $4 timestamp (or NULL), $5 payload
    /// jsonb, $6 meta jsonb, $7 scope (or NULL), $8 channel; returns (id, pg_notify's void).
    static std::string_view publish_sql() noexcept;

    /// claim(): $1 batch (int4), $2 lease (interval), $3 types (text[], empty: all), $4 max_retries
    /// (int4); returns the claimed events' detail::event_columns, oldest (timestamp,
    /// global_position) first. The server sorts the batch (at most $1 rows), so no client has to.
    static const std::string& claim_sql();

    /// ack(claim_token): $1 id, $2 claim_generation.
    static std::string_view ack_sql() noexcept;

    /// ack(vector<claim_token>): $1 ids (uuid[]), $2 claim generations (int8[]).
    static std::string_view ack_many_sql() noexcept;

private:
    template <scope S, class Generation>
    std::optional<nack_result> nack_row(S& s, std::string_view where, const boost::uuids::uuid& id,
                                        std::string_view error, const Generation& generation) {
        const retry_policy& r = o_.retry;
        auto got = s.conn().template query_one<std::tuple<std::string, std::int32_t, timestamptz>>(
            "UPDATE pgorm_events.events SET retry_count = retry_count + 1, last_error = $2, "
            "status = CASE WHEN retry_count + 1 > $3 THEN 'failed' ELSE 'pending' END, "
            "available_at = clock_timestamp() + least($5::interval, $4::interval * power($6::float8, retry_count)) "
            "  * (1 + $7::float8 * (2 * random() - 1)) WHERE " +
                std::string(where) + " RETURNING status, retry_count, available_at",
            id, error, std::int32_t(r.max_retries), std::chrono::microseconds(r.base),
            std::chrono::microseconds(r.max), r.factor, r.jitter, generation);
        if (!got) return std::nullopt;
        return nack_result{std::get<0>(*got) == status::failed, std::get<1>(*got), std::get<2>(*got)};
    }

    // The event's status and claim generation after a fenced statement changed nothing.
    template <scope S>
    std::tuple<std::string, std::int64_t> fenced_state(S& s, const claim_token& t, const char* what) {
        auto row = s.conn().template query_one<std::tuple<std::string, std::int64_t>>(
            "SELECT status, claim_generation FROM pgorm_events.events WHERE id = $1", t.id);
        if (!row) throw not_found("pgorm: cannot " + std::string(what) + " " + detail::event_name(t.id) + ": no such event");
        return *row;
    }

    static lease_lost lost(const claim_token& t, const char* what, const std::string& st, std::int64_t generation);

    static std::string qualified_columns(std::string_view prefix);

    // After an ack or nack changed nothing: not_found, usage_error for a state that cannot be
    // settled, or false when the event already has the state `done`.
    template <scope S>
    bool settled_already(S& s, const boost::uuids::uuid& id, const char* what, std::string_view done) {
        std::string st = status_of(s, id, what);
        if (!done.empty() && st == done) return false;
        throw usage_error("pgorm: cannot " + std::string(what) + " " + detail::event_name(id) + ": it is " + st +
                          (st == status::failed ? " (replay it first)" : ""));
    }

    template <scope S>
    std::string status_of(S& s, const boost::uuids::uuid& id, const char* what) {
        auto st = s.conn().template query_one<std::string>("SELECT status FROM pgorm_events.events WHERE id = $1", id);
        if (!st) throw not_found("pgorm: cannot " + std::string(what) + " " + detail::event_name(id) + ": no such event");
        return *st;
    }

    store_options o_;
};

}  // namespace pgorm::events

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/events/impl/store.ipp>
#endif
