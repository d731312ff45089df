#pragma once
// Bodies of events/store.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/events/store.hpp>

namespace pgorm::events {
namespace detail {

PGORM_DECL void check_options(const store_options& o) {
    if (o.channel.empty() || o.channel.size() > 63)
        throw usage_error("pgorm: the event store channel must be 1 to 63 bytes, got '" + o.channel + "'");
    if (o.scope_key.empty()) throw usage_error("pgorm: the event store scope_key must not be empty");
    const retry_policy& r = o.retry;
    if (r.max_retries < 0)
        throw usage_error("pgorm: max_retries must be 0 or more, got " + std::to_string(r.max_retries));
    if (r.base.count() < 0 || r.max < r.base)
        throw usage_error("pgorm: retry delays must satisfy 0 <= base <= max, got base " +
                          std::to_string(r.base.count()) + " ms, max " + std::to_string(r.max.count()) + " ms");
    if (!(r.factor >= 1.0) || !(r.jitter >= 0.0 && r.jitter < 1.0))
        throw usage_error("pgorm: retry factor must be >= 1 and jitter in [0, 1), got factor " +
                          std::to_string(r.factor) + ", jitter " + std::to_string(r.jitter));
}

PGORM_DECL void check_claim(const claim_options& o) {
    if (o.batch < 1) throw usage_error("pgorm: a claim batch must be 1 or more, got " + std::to_string(o.batch));
    if (o.lease.count() <= 0)
        throw usage_error("pgorm: a claim lease must be longer than 0 ms, got " + std::to_string(o.lease.count()));
}

PGORM_DECL token_arrays::token_arrays(const std::vector<claim_token>& tokens) {
    ids.reserve(tokens.size());
    generations.reserve(tokens.size());
    for (const auto& t : tokens) ids.push_back(t.id), generations.push_back(t.generation);
}

}  // namespace detail
}  // namespace pgorm::events

namespace pgorm::events {

PGORM_DECL std::string_view event_store::publish_sql() noexcept {
    return "WITH e AS (INSERT INTO pgorm_events.events (id, type, source, \"timestamp\", payload, meta, scope) "
           "VALUES (coalesce($1, gen_random_uuid()), $2, $3, coalesce($4, clock_timestamp()), $5, $6, $7) "
           "RETURNING id) SELECT id, pg_notify($8, id::text) FROM e";
}

PGORM_DECL const std::string& event_store::claim_sql() {
    // `next` is the fence that keeps LIMIT above the row locks; the scope probe skips an
    // event while an earlier one of its scope is still open. An event that used up its
    // deliveries is failed here, by the claim that would have handed it out once more.
    static const std::string sql =
        "WITH next AS (SELECT e.id FROM pgorm_events.events e "
        "WHERE e.status IN ('pending', 'processing') AND e.available_at <= clock_timestamp() "
        "AND (cardinality($3::text[]) = 0 OR e.type = ANY($3)) "
        "AND (e.scope IS NULL OR NOT EXISTS (SELECT 1 FROM pgorm_events.events p "
        "WHERE p.scope = e.scope AND p.status IN ('pending', 'processing') "
        "AND (p.\"timestamp\", p.global_position) < (e.\"timestamp\", e.global_position))) "
        "ORDER BY e.\"timestamp\", e.global_position LIMIT $1 FOR UPDATE SKIP LOCKED) "
        ", u AS (UPDATE pgorm_events.events u SET "
        "status = CASE WHEN u.deliveries > $4 THEN 'failed' ELSE 'processing' END, "
        "last_error = CASE WHEN u.deliveries > $4 THEN 'pgorm: delivered ' || u.deliveries || "
        "' times without an ack or nack (its consumer died or overran the lease each time); max_retries is ' || $4 "
        "ELSE u.last_error END, "
        "deliveries = u.deliveries + CASE WHEN u.deliveries > $4 THEN 0 ELSE 1 END, "
        "claim_generation = u.claim_generation + 1, available_at = clock_timestamp() + $2 "
        "FROM next WHERE u.id = next.id RETURNING " +
        qualified_columns("u.") + ") SELECT " + std::string(detail::event_columns) +
        " FROM u WHERE status = 'processing' ORDER BY \"timestamp\", global_position";
    return sql;
}

PGORM_DECL std::string_view event_store::ack_sql() noexcept {
    return "UPDATE pgorm_events.events SET status = 'processed', processed_at = clock_timestamp() "
           "WHERE id = $1 AND claim_generation = $2 AND status = 'processing'";
}

PGORM_DECL std::string_view event_store::ack_many_sql() noexcept {
    return "UPDATE pgorm_events.events e SET status = 'processed', processed_at = clock_timestamp() "
           "FROM unnest($1::uuid[], $2::bigint[]) AS t(id, generation) "
           "WHERE e.id = t.id AND e.claim_generation = t.generation AND e.status = 'processing'";
}

PGORM_DECL lease_lost event_store::lost(const claim_token& t, const char* what, const std::string& st,
                                        std::int64_t generation) {
    return lease_lost("pgorm: cannot " + std::string(what) + " " + detail::event_name(t.id) + " for claim " +
                      std::to_string(t.generation) + ": the lease was lost (the event is " + st + ", claim " +
                      std::to_string(generation) + "); another consumer owns the outcome now");
}

PGORM_DECL std::string event_store::qualified_columns(std::string_view prefix) {
    std::string out;
    std::string_view rest = detail::event_columns;
    while (!rest.empty()) {
        auto comma = rest.find(", ");
        out += std::string(prefix) + std::string(rest.substr(0, comma));
        if (comma == std::string_view::npos) break;
        out += ", ";
        rest.remove_prefix(comma + 2);
    }
    return out;
}

}  // namespace pgorm::events
