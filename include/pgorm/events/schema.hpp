#pragma once
// The DDL of pgorm's event store: schema `pgorm_events` with seed 000's events table (its
// columns, plus what claiming, retries, streams and gap-free readers need), the stream versions,
// the durable checkpoints of catch-up subscriptions, and two functions that define global
// positions. The script is idempotent (IF NOT EXISTS, CREATE OR REPLACE): running it again over
// an older version upgrades it.
//
// Global positions. A position is (xid << 20) + n: the writing transaction's top-level id
// (pg_current_xact_id(), xid8) and the event's number inside that transaction. So position order
// is (transaction id, write order), and "every transaction that could still commit an event has
// an id at or above the oldest running one" (PostgreSQL docs 9.27, pg_snapshot_xmin) becomes a
// position bound: safe_position(). A reader that never passes it never skips an event whose
// transaction commits late. Limits: 2^20 events per transaction, 2^43 transaction ids per
// cluster (both raise program_limit_exceeded).

#include <string_view>

namespace pgorm::events {

/// The version schema_sql() installs; install() upgrades a database whose
/// pgorm_events.schema_version holds a smaller number.
inline constexpr int schema_version = 2;

/// The schema install() creates; every statement of the store names it.
inline constexpr std::string_view schema_name = "pgorm_events";

/// The whole event-store schema as one SQL script (several statements: run it with the simple
/// protocol, e.g. `psql -f` or connection::execute_script). For teams that migrate with another tool;
/// install() runs the same text under an advisory lock.
inline std::string_view schema_sql() noexcept {
    return R"sql(
-- pgorm event store schema, version 2 (keep in step with pgorm::events::schema_version).
CREATE SCHEMA IF NOT EXISTS pgorm_events;

CREATE TABLE IF NOT EXISTS pgorm_events.schema_version (
    version integer NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
);

-- The next global position of the current transaction: (xid << 20) + events it wrote so far.
-- The count lives in a transaction-local setting, so it starts at 0 in every transaction.
CREATE OR REPLACE FUNCTION pgorm_events.next_position() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    used text := current_setting('pgorm_events.positions_used', true);
    n bigint := CASE WHEN used IS NULL OR used = '' THEN 0 ELSE used::bigint END;
    x bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF n >= 1048576 THEN
        RAISE EXCEPTION 'pgorm events: one transaction may write at most 1048576 events'
            USING ERRCODE = 'program_limit_exceeded', HINT = 'split the work into several transactions';
    END IF;
    IF x >= 8796093022208 THEN
        RAISE EXCEPTION 'pgorm events: transaction id % is past the 2^43 that global positions can hold', x
            USING ERRCODE = 'program_limit_exceeded';
    END IF;
    PERFORM set_config('pgorm_events.positions_used', (n + 1)::text, true);
    RETURN (x << 20) + n;
END $$;

-- Every position below this one is final: its transaction has ended (committed or not), and
-- no transaction still running, this one included, can write below it.
CREATE OR REPLACE FUNCTION pgorm_events.safe_position() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT least(pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
                 coalesce(pg_current_xact_id_if_assigned()::text::bigint, 9223372036854775807)) << 20;
$$;

-- Seed 000's events table, column for column, then pgorm's additions.
CREATE TABLE IF NOT EXISTS pgorm_events.events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    type text NOT NULL CHECK (type <> ''),
    source text NOT NULL,
    "timestamp" timestamptz NOT NULL DEFAULT clock_timestamp(),
    payload jsonb NOT NULL,
    meta jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(meta) = 'object'),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'processed', 'failed', 'recorded')),
    retry_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    scope text,                                               -- meta's scope key, copied on publish
    available_at timestamptz NOT NULL DEFAULT clock_timestamp(), -- due (pending) or lease end (processing)
    last_error text,                                          -- the last nack's reason
    stream text,
    stream_version bigint,
    global_position bigint NOT NULL DEFAULT pgorm_events.next_position(),
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_stream_pair CHECK ((stream IS NULL) = (stream_version IS NULL)),
    CONSTRAINT events_stream_version_key UNIQUE (stream, stream_version),
    CONSTRAINT events_global_position_key UNIQUE (global_position)
);

-- Version 2: delivery accounting and lease fencing.
--   deliveries        claims that handed the event out and were not given back by release();
--                     a claim fails an event that already had max_retries + 1 of them (its
--                     consumers keep dying or overrunning the lease: a poison event)
--   claim_generation  + 1 on every claim, never lowered: the token of the current lease, so an
--                     ack or nack from a consumer whose lease was claimed again is refused
ALTER TABLE pgorm_events.events ADD COLUMN IF NOT EXISTS deliveries integer NOT NULL DEFAULT 0;
ALTER TABLE pgorm_events.events ADD COLUMN IF NOT EXISTS claim_generation bigint NOT NULL DEFAULT 0;

-- The claim: pending or lease-expired events in timestamp order. The partial index holds only
-- those rows, in the claim's ORDER BY, so a claim reads the head of the backlog and never sorts.
CREATE INDEX IF NOT EXISTS events_claim_idx ON pgorm_events.events ("timestamp", global_position)
    WHERE status IN ('pending', 'processing');
-- The claim's "is there an earlier open event of this scope?" probe.
CREATE INDEX IF NOT EXISTS events_scope_idx ON pgorm_events.events (scope, "timestamp", global_position)
    WHERE status IN ('pending', 'processing') AND scope IS NOT NULL;
-- Seed 000's dead-letter query, newest first.
CREATE INDEX IF NOT EXISTS events_failed_idx ON pgorm_events.events ("timestamp" DESC)
    WHERE status = 'failed';
CREATE INDEX IF NOT EXISTS events_type_idx ON pgorm_events.events (type);

-- Each stream's version: the stream_version of its last event (0 before the first).
CREATE TABLE IF NOT EXISTS pgorm_events.streams (
    stream text PRIMARY KEY,
    version bigint NOT NULL CHECK (version >= 0)
);

-- Catch-up subscriptions: the last global position each one has handled (-1: none yet).
CREATE TABLE IF NOT EXISTS pgorm_events.checkpoints (
    subscription text PRIMARY KEY CHECK (subscription <> ''),
    position bigint NOT NULL DEFAULT -1,
    updated_at timestamptz NOT NULL DEFAULT now()
);

DO $version$
BEGIN
    DELETE FROM pgorm_events.schema_version WHERE version < 2;
    IF NOT EXISTS (SELECT 1 FROM pgorm_events.schema_version) THEN
        INSERT INTO pgorm_events.schema_version (version) VALUES (2);
    END IF;
END
$version$;
)sql";
}

}  // namespace pgorm::events
