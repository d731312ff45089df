#pragma once
// Streams and catch-up readers, beyond seed 000 (what Marten, Message DB and EventStoreDB users
// rely on): append(stream, events, expected_version) with optimistic concurrency, reading a
// stream, and catch-up subscriptions over the global position with durable checkpoints that
// never skip an event whose transaction commits late (the sequence-gap problem).
//
// The fix chosen is the transaction-id horizon (schema.hpp): a reader goes no further than
// pgorm_events.safe_position(), below which every writing transaction has ended. The trade-off:
// any transaction that has an xid and stays open, in any database of the cluster, holds every
// catch-up reader at its position until it ends (it never makes one skip); and positions, being
// built from xids, are not dense and do not survive a logical dump and restore into another
// cluster unchanged (copy them as data; new events then get larger ones only if the new
// cluster's xids are past the old ones).

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/advisory_lock.hpp>
#include <pgorm/core/listener.hpp>
#include <pgorm/events/store.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/xact/xact.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace pgorm::events {

/// An append found the stream at another version than the caller expected: someone else
/// appended first (optimistic concurrency). Re-read the stream and decide again.
class wrong_expected_version : public error {
public:
    wrong_expected_version(std::string stream, std::int64_t expected, std::int64_t actual)
        : error("pgorm: wrong expected version for stream '" + stream + "': expected " + std::to_string(expected) +
                ", but it is at " + std::to_string(actual)),
          stream_(std::move(stream)), expected_(expected), actual_(actual) {}
    const std::string& stream() const noexcept { return stream_; }
    std::int64_t expected() const noexcept { return expected_; }
    std::int64_t actual() const noexcept { return actual_; }

private:
    std::string stream_;
    std::int64_t expected_, actual_;
};

/// The expected version for append(): the number of events the stream must have now
/// (no_stream = 0: it must not exist yet), or any_version to skip the check.
inline constexpr std::optional<std::int64_t> any_version = std::nullopt;
inline constexpr std::int64_t no_stream = 0;

struct append_options {
    /// Also put the events into the work queue (status pending) for subscribe(); otherwise they
    /// are `recorded`: read by stream and catch-up readers only.
    bool enqueue = false;
};

struct append_result {
    std::int64_t version = 0;                // the stream's version after the append
    std::vector<boost::uuids::uuid> ids;     // one per event, in order
    std::vector<std::int64_t> positions;     // their global positions, increasing
};

namespace detail {

PGORM_DECL void check_stream_name(std::string_view stream);

// The statement that moves the stream's version by $2 events when it is at $3 (NULL: any),
// returning the new version; no row when the expectation fails.
PGORM_DECL std::string_view bump_sql(const std::optional<std::int64_t>& expected);

}  // namespace detail

/// The stream's version (the stream_version of its last event; 0 when it has none).
template <scope S>
std::int64_t stream_version(S& s, std::string_view stream) {
    return s.conn().template query_value<std::int64_t>(
        "SELECT coalesce((SELECT version FROM pgorm_events.streams WHERE stream = $1), 0)", stream);
}

/// Appends events to a stream in one statement: they get stream versions version+1, +2, ...
/// and global positions in that order, and the store's channel is notified (on commit).
/// `expected`: the stream's version the caller last saw (no_stream for a new stream), or
/// any_version. Concurrent appends with the same expectation: one wins, the others throw
/// wrong_expected_version (under REPEATABLE READ or SERIALIZABLE the server may report
/// serialization_failure instead). Appending no events checks the expectation and changes nothing.
template <scope S, class T>
append_result append(S& s, const event_store& store, std::string_view stream, const std::vector<event<T>>& events,
                     std::optional<std::int64_t> expected, const append_options& o = {}) {
    detail::check_stream_name(stream);
    if (expected && *expected < 0)
        throw usage_error("pgorm: an expected stream version must be 0 or more, got " + std::to_string(*expected));
    connection& c = s.conn();
    append_result out;
    if (events.empty()) {
        out.version = stream_version(c, stream);
        if (expected && *expected != out.version) throw wrong_expected_version(std::string(stream), *expected, out.version);
        return out;
    }
    const auto n = static_cast<std::int64_t>(events.size());
    const store_options& so = store.options();
    detail::event_arrays<T> a(events, so.scope_key);
    const std::string sql =
        "WITH v AS (" + std::string(detail::bump_sql(expected)) +
        "), ins AS (INSERT INTO pgorm_events.events (id, type, source, \"timestamp\", payload, meta, scope, status, "
        "stream, stream_version) SELECT coalesce(x.i, gen_random_uuid()), x.t, x.s, coalesce(x.ts, clock_timestamp()), "
        "x.p, x.m, x.sc, $4, $1, v.version - $2 + x.n FROM v, unnest($5::uuid[], $6::text[], $7::text[], "
        "$8::timestamptz[], $9::jsonb[], $10::jsonb[], $11::text[]) WITH ORDINALITY AS x(i, t, s, ts, p, m, sc, n) "
        "ORDER BY x.n RETURNING id, global_position, stream_version), "
        "n AS (SELECT pg_notify($12, $1) FROM (SELECT 1 FROM ins LIMIT 1) one) "
        "SELECT ins.id, ins.global_position, ins.stream_version FROM ins LEFT JOIN n ON true ORDER BY ins.stream_version";
    result r = c.execute(sql, stream, n, expected, std::string(o.enqueue ? status::pending : status::recorded), a.ids,
                         a.types, a.sources, a.timestamps, a.payloads, a.metas, a.scopes, so.channel);
    if (r.empty()) {
        const std::int64_t actual = stream_version(c, stream);
        throw wrong_expected_version(std::string(stream), expected.value_or(0), actual);
    }
    for (int i = 0; i < r.size(); ++i) {
        out.ids.push_back(r.get<boost::uuids::uuid>(i, 0));
        out.positions.push_back(r.get<std::int64_t>(i, 1));
        out.version = r.get<std::int64_t>(i, 2);
    }
    return out;
}

/// A stream's events from stream version `from` on (1: the first), at most `limit`, in order.
template <class T, scope S>
std::vector<event<T>> read_stream(S& s, std::string_view stream, std::int64_t from = 1, int limit = 1000) {
    detail::check_stream_name(stream);
    if (limit < 1) throw usage_error("pgorm: read_stream needs a limit of 1 or more, got " + std::to_string(limit));
    static const std::string sql = "SELECT " + std::string(detail::event_columns) +
                                   " FROM pgorm_events.events WHERE stream = $1 AND stream_version >= $2 "
                                   "ORDER BY stream_version LIMIT $3";
    std::vector<event<T>> out;
    for (auto& row : s.conn().template query<stored_event>(sql, stream, from, std::int64_t(limit)))
        out.push_back(detail::typed<T>(std::move(row)));
    return out;
}

/// Up to `limit` events after global position `after`, in position order, never past
/// safe_position(): what a catch-up reader may take now without ever skipping one.
template <class T, scope S>
std::vector<event<T>> read_all(S& s, std::int64_t after, int limit = 1000) {
    if (limit < 1) throw usage_error("pgorm: read_all needs a limit of 1 or more, got " + std::to_string(limit));
    static const std::string sql = "SELECT " + std::string(detail::event_columns) +
                                   " FROM pgorm_events.events WHERE global_position > $1 "
                                   "AND global_position < (SELECT pgorm_events.safe_position()) "
                                   "ORDER BY global_position LIMIT $2";
    std::vector<event<T>> out;
    for (auto& row : s.conn().template query<stored_event>(sql, after, std::int64_t(limit)))
        out.push_back(detail::typed<T>(std::move(row)));
    return out;
}

/// The last position a catch-up subscription has handled (-1: none yet), or nothing when it
/// has never run.
template <scope S>
std::optional<std::int64_t> checkpoint(S& s, std::string_view subscription) {
    return s.conn().template query_one<std::int64_t>(
        "SELECT position FROM pgorm_events.checkpoints WHERE subscription = $1", subscription);
}

/// Moves a subscription's checkpoint (-1: replay everything, for a projection rebuild from
/// position 0). Run it in the transaction that clears the projection, so both happen or neither.
template <scope S>
void reset_checkpoint(S& s, std::string_view subscription, std::int64_t position = -1) {
    if (subscription.empty()) throw usage_error("pgorm: a catch-up subscription needs a name");
    s.conn().execute(
        "INSERT INTO pgorm_events.checkpoints (subscription, position) VALUES ($1, $2) "
        "ON CONFLICT (subscription) DO UPDATE SET position = $2, updated_at = now()",
        subscription, position);
}

struct catch_up_options {
    int batch = 500;                                // events per transaction
    std::chrono::milliseconds poll_interval{1000};  // look again at least this often when caught up
    bool listen = true;                             // also wake on the store's NOTIFY
    bool stop_when_caught_up = false;               // return once nothing more is readable (a rebuild)
    std::size_t max_events = 0;                     // return after this many; 0: no limit
    std::stop_token stop{};
};

/// Runs a catch-up subscription named `subscription`: from its checkpoint on, hands every event
/// to `handler` in global-position order, each exactly once as far as the database can tell.
/// Each batch is one transaction on a pooled connection: it takes a transaction advisory lock on
/// the subscription (a second runner of the same subscription waits), reads up to safe_position(),
/// calls the handler, and moves the checkpoint; the handler may take `xact&` as its first
/// argument and write a projection in that same transaction, so projection and checkpoint commit
/// together. A handler that throws rolls its batch back (the checkpoint stays) and the exception
/// leaves catch_up. Returns how many events were handled.
template <class T, class Handler>
std::size_t catch_up(connection_pool& pool, const event_store& store, std::string_view subscription, Handler handler,
                     const catch_up_options& o = {}) {
    if (subscription.empty()) throw usage_error("pgorm: a catch-up subscription needs a name");
    if (o.batch < 1) throw usage_error("pgorm: a catch-up batch must be 1 or more, got " + std::to_string(o.batch));
    std::optional<listener> wake;
    if (o.listen) {
        try {
            wake.emplace(pool.acquire().conn().settings());
            wake->listen(store.options().channel);
        } catch (const connection_error&) {
            wake.reset();
        }
    }
    const advisory_key owner("pgorm.events.catch_up/" + std::string(subscription));
    std::size_t handled = 0;
    while (!o.stop.stop_requested() && !(o.max_events && handled >= o.max_events)) {
        std::size_t got = 0;
        {
            auto h = pool.acquire();
            xact tx(h.conn());
            advisory_xact_lock(tx, owner);
            const std::int64_t from = checkpoint(tx, subscription).value_or(-1);
            int want = o.batch;
            if (o.max_events) want = static_cast<int>(std::min<std::size_t>(std::size_t(want), o.max_events - handled));
            auto events = read_all<T>(tx, from, want);
            for (const auto& e : events) {
                if constexpr (std::is_invocable_v<Handler&, xact&, const event<T>&>) handler(tx, e);
                else handler(e);
            }
            if (!events.empty()) reset_checkpoint(tx, subscription, events.back().global_position);
            tx.commit();
            got = events.size();
        }
        handled += got;
        if (got > 0) continue;
        if (o.stop_when_caught_up) break;
        if (wake) wake->wait(o.poll_interval);
        else std::this_thread::sleep_for(o.poll_interval);
    }
    return handled;
}

}  // namespace pgorm::events

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/events/impl/stream.ipp>
#endif
