#pragma once
// The DDL of pgorm's command bus (seed 001): schema `commandbus` with the command metadata, the
// append-only audit trail and batches, and the set-based functions the C++ side calls, one round
// trip each (send, claim, settle, operator actions). The queues themselves are pgmq queues
// (`<domain>__commands`, `<domain>__replies`).
//
// Version 4: the hot path (send, claim, settle) runs in functions made per domain by
// create_domain (`commandbus."<domain>__send"`, `__claim`, `__settle`, `__reply`) whose static SQL
// names that domain's queue tables, so a session plans each statement once and keeps the plan
// (PL/pgSQL caches the plans of static statements; PostgreSQL docs 43.11.2 "Plan Caching"),
// where going through pgmq's SQL API meant an EXECUTE format(...), parsed and planned again, on
// every call. They touch only the columns every pgmq 1.x queue table has (msg_id, read_ct,
// enqueued_at, vt, message; last_read_at and the archive's columns as the tables have them), so
// the bus still runs on the real pgmq extension; the rarer paths (operator actions, replies to
// other queues) still go through pgmq's SQL API.
//
// Every value travels as a function argument; identifiers built from a domain go through
// format('%I') or quote_ident. The script is idempotent (IF NOT EXISTS, CREATE OR REPLACE):
// running it again over an older version upgrades it, and makes the functions of every domain.

#include <string_view>

namespace pgorm::bus {

/// The version schema_sql() installs; install() upgrades a database whose
/// commandbus.pgorm_schema_version holds a smaller number.
inline constexpr int schema_version = 4;

/// The whole bus schema as one SQL script (several statements: run it with the simple protocol,
/// e.g. `psql -f` or connection::execute_script). It needs the pgmq API (queue::schema_sql() or the pgmq
/// extension) to be installed first. For teams that migrate with another tool; install() runs
/// the same text under an advisory lock.
inline std::string_view schema_sql() noexcept {
    return R"sql(
-- pgorm command bus schema, version 4 (keep in step with pgorm::bus::schema_version).
CREATE SCHEMA IF NOT EXISTS commandbus;

CREATE TABLE IF NOT EXISTS commandbus.pgorm_schema_version (
    version integer NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
);

-- A domain owns two pgmq queues, <domain>__commands and <domain>__replies. pgmq names are at most
-- 47 characters, so a domain is at most 47 - len('__commands') = 37.
CREATE TABLE IF NOT EXISTS commandbus.domain (
    domain text PRIMARY KEY CONSTRAINT domain_name_check CHECK (domain ~ '^[a-z0-9_]{1,37}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS commandbus.batch (
    domain text NOT NULL,
    batch_id uuid NOT NULL,
    name text,
    status text NOT NULL DEFAULT 'PENDING'
        CONSTRAINT batch_status_check CHECK (status IN ('PENDING', 'IN_PROGRESS', 'COMPLETED', 'COMPLETED_WITH_FAILURES')),
    total_count integer NOT NULL CHECK (total_count >= 0),
    completed_count integer NOT NULL DEFAULT 0,
    in_troubleshooting_count integer NOT NULL DEFAULT 0,
    canceled_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    completed_at timestamptz,
    CONSTRAINT batch_pkey PRIMARY KEY (domain, batch_id)
);

CREATE TABLE IF NOT EXISTS commandbus.command (
    domain text NOT NULL,
    command_id uuid NOT NULL,
    command_type text NOT NULL CONSTRAINT command_type_check CHECK (command_type <> ''),
    status text NOT NULL DEFAULT 'PENDING' CONSTRAINT command_status_check
        CHECK (status IN ('PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'IN_TROUBLESHOOTING', 'CANCELED')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL CONSTRAINT command_max_attempts_check CHECK (max_attempts >= 1),
    msg_id bigint,
    reply_to text,
    correlation_id uuid,
    batch_id uuid,
    last_error_code text,
    last_error_msg text,
    result jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT command_pkey PRIMARY KEY (domain, command_id)
) WITH (fillfactor = 40);
-- No index mentions status (or attempts, msg_id, updated_at), so the two updates of each command
-- (claim, settle) can be HOT updates that touch no index when the page has room. Claim and settle
-- update whole batches of neighbouring rows in one transaction, so a page needs room for a new
-- version of most of its rows at once: fillfactor 40 (version 2 had 80, and three updates in
-- four then went to another page with new entries in every index). The only index that leads
-- with domain is the primary key, which claim and settle must use: version 1's (domain, status,
-- created_at) index made the planner, on a young table with stale statistics, scan every live
-- command of the domain once per claimed command. find_by_status walks created_at backwards.
DROP INDEX IF EXISTS commandbus.command_status_idx;
ALTER TABLE commandbus.command SET (fillfactor = 40);
CREATE INDEX IF NOT EXISTS command_created_idx ON commandbus.command (created_at);
CREATE INDEX IF NOT EXISTS command_batch_idx ON commandbus.command (domain, batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS commandbus.audit (
    audit_id bigint GENERATED ALWAYS AS IDENTITY,
    domain text NOT NULL,
    command_id uuid NOT NULL,
    event_type text NOT NULL CONSTRAINT audit_event_type_check CHECK (event_type IN (
        'SENT', 'RECEIVED', 'COMPLETED', 'FAILED', 'RETRY_SCHEDULED', 'MOVED_TO_TSQ',
        'OPERATOR_RETRY', 'OPERATOR_CANCEL', 'OPERATOR_COMPLETE')),
    details jsonb,
    ts timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS audit_command_idx ON commandbus.audit (command_id, audit_id);
-- Version 3: no primary key on audit_id. No query looks an audit row up by its id alone (trails
-- go through audit_command_idx), the identity column already hands out each id once, and the
-- key's index was one more index entry for each of the three or more audit rows of a command.
ALTER TABLE commandbus.audit DROP CONSTRAINT IF EXISTS audit_pkey;

-- Process manager (bus/process.hpp): one row per multi-step workflow. `state` is the caller's
-- typed state as JSON; `step` indexes the process definition's steps; `waiting_for` is the
-- command whose reply the process waits for (its correlation_id is the process_id).
CREATE TABLE IF NOT EXISTS commandbus.process (
    domain text NOT NULL,
    process_id uuid NOT NULL,
    process_type text NOT NULL CONSTRAINT process_type_check CHECK (process_type ~ '^[a-z0-9_]{1,37}$'),
    status text NOT NULL CONSTRAINT process_status_check
        CHECK (status IN ('RUNNING', 'PAUSED', 'COMPLETED', 'COMPENSATING', 'COMPENSATED', 'FAILED')),
    step integer NOT NULL DEFAULT 0,
    waiting_for uuid,
    state jsonb NOT NULL,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT process_pkey PRIMARY KEY (domain, process_id)
);

-- The audit trail is append-only: rows are never changed or removed.
CREATE OR REPLACE FUNCTION commandbus._audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'pgorm bus: commandbus.audit is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON commandbus.audit
    FOR EACH ROW EXECUTE FUNCTION commandbus._audit_append_only();
CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON commandbus.audit
    FOR EACH STATEMENT EXECUTE FUNCTION commandbus._audit_append_only();

-- ---------------------------------------------------------------- domains

CREATE OR REPLACE FUNCTION commandbus.create_domain(p_domain text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_domain IS NULL OR p_domain !~ '^[a-z0-9_]{1,37}$' THEN
        RAISE EXCEPTION 'pgorm bus: invalid domain name "%": use 1 to 37 characters from a-z, 0-9 and _', p_domain
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Two sessions replacing the same functions at once would fail ("tuple concurrently updated").
    PERFORM pg_advisory_xact_lock(hashtext('commandbus.domain_' || p_domain));
    PERFORM pgmq.create(p_domain || '__commands');
    PERFORM pgmq.create(p_domain || '__replies');
    INSERT INTO commandbus.domain (domain) VALUES (p_domain) ON CONFLICT DO NOTHING;
    PERFORM commandbus._create_domain_functions(p_domain);
END $$;

CREATE OR REPLACE FUNCTION commandbus._check_domain(p_domain text) RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM commandbus.domain d WHERE d.domain = p_domain) THEN
        RAISE EXCEPTION 'pgorm bus: there is no command bus domain "%"', p_domain
            USING ERRCODE = 'undefined_object', HINT = 'create it first with bus::create_domain (commandbus.create_domain)';
    END IF;
END $$;

-- ---------------------------------------------------------------- batches and replies

-- Counts `p_*` per listed batch (an id listed k times counts k times) and sets the status.
-- A batch is finished when every command is completed, canceled or in the troubleshooting
-- queue. Returns the batches this call finished (they were not finished before it).
-- PL/pgSQL rather than SQL since version 4: PostgreSQL 15 plans an SQL function's statements on
-- every call, PL/pgSQL keeps the plan for the session.
CREATE OR REPLACE FUNCTION commandbus._tally(p_domain text, p_batch_ids uuid[], p_completed integer, p_tsq integer, p_canceled integer)
RETURNS SETOF uuid LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    WITH n AS (SELECT u AS batch_id, count(*)::integer AS k FROM unnest(p_batch_ids) u WHERE u IS NOT NULL GROUP BY u),
    changed AS (
        UPDATE commandbus.batch b
        SET completed_count = b.completed_count + p_completed * n.k,
            in_troubleshooting_count = b.in_troubleshooting_count + p_tsq * n.k,
            canceled_count = b.canceled_count + p_canceled * n.k,
            status = CASE
                WHEN b.completed_count + b.in_troubleshooting_count + b.canceled_count + (p_completed + p_tsq + p_canceled) * n.k < b.total_count
                    THEN 'IN_PROGRESS'
                WHEN b.in_troubleshooting_count + p_tsq * n.k + b.canceled_count + p_canceled * n.k > 0
                    THEN 'COMPLETED_WITH_FAILURES'
                ELSE 'COMPLETED' END,
            completed_at = CASE
                WHEN b.completed_count + b.in_troubleshooting_count + b.canceled_count + (p_completed + p_tsq + p_canceled) * n.k < b.total_count
                    THEN NULL
                ELSE coalesce(b.completed_at, now()) END
        FROM n WHERE b.domain = p_domain AND b.batch_id = n.batch_id
        RETURNING b.batch_id, b.status, b.completed_count + b.in_troubleshooting_count + b.canceled_count
                  - (p_completed + p_tsq + p_canceled) * n.k AS done_before, b.total_count)
    SELECT c.batch_id FROM changed c WHERE c.status <> 'IN_PROGRESS' AND c.done_before < c.total_count;
END $$;

-- Sends {command_id, correlation_id, outcome, result} to each command's reply_to queue (rows
-- without one are skipped), one pgmq.send_batch per reply queue. The per-domain __reply writes
-- the domain's own reply queue itself and leaves only the other queues to this.
CREATE OR REPLACE FUNCTION commandbus._reply(p_reply_to text[], p_ids uuid[], p_correlation_ids uuid[], p_outcome text, p_results jsonb[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT u.reply_to, array_agg(jsonb_build_object('command_id', u.id, 'correlation_id', u.corr,
                                                         'outcome', p_outcome, 'result', u.res) ORDER BY u.i) AS msgs
        FROM unnest(p_reply_to, p_ids, p_correlation_ids, p_results) WITH ORDINALITY AS u(reply_to, id, corr, res, i)
        WHERE u.reply_to IS NOT NULL GROUP BY u.reply_to
    LOOP
        PERFORM pgmq.send_batch(r.reply_to, r.msgs, 0);
    END LOOP;
END $$;

-- ---------------------------------------------------------------- the per-domain hot path

-- Version 3's helpers, now written into each domain's __claim and __settle.
DROP FUNCTION IF EXISTS commandbus._start_all(text, uuid[], bigint[]);
DROP FUNCTION IF EXISTS commandbus._finish_all(text, boolean, uuid[], integer[], jsonb[], text[], text[], integer[]);
-- Version 2's one-command helpers.
DROP FUNCTION IF EXISTS commandbus._start(text, uuid, bigint);
DROP FUNCTION IF EXISTS commandbus._finish(text, uuid, integer, text, jsonb, text, text);

-- (Re)creates the domain's four functions from the templates below: @q@, @a@ and @r@ become the
-- quoted tables pgmq.q_<domain>__commands, pgmq.a_<domain>__commands and pgmq.q_<domain>__replies,
-- @d@ the domain and @rq@ its reply queue's name (as literals), @send@ ... @reply@ the function
-- names, @read_at@ the assignment of last_read_at when the queue table has that column (pgmq
-- versions differ) and @archive_cols@ the columns the queue and its archive share.
-- plan_cache_mode = force_generic_plan: the server would otherwise plan a statement anew on each
-- call whenever its custom plans look cheaper than the generic one (the unnest of a parameter
-- array is estimated at 10 rows in a generic plan), which perf showed for the statements with
-- CTEs (2 % of the server's CPU in standard_planner). The generic plans are the ones wanted: with
-- sequential, bitmap, hash and merge plans off they find each command by its primary key.
CREATE OR REPLACE FUNCTION commandbus._create_domain_functions(p_domain text) RETURNS void LANGUAGE plpgsql AS $gen$
DECLARE
    q regclass := to_regclass(format('pgmq.%I', 'q_' || p_domain || '__commands'));
    a regclass := to_regclass(format('pgmq.%I', 'a_' || p_domain || '__commands'));
    r regclass := to_regclass(format('pgmq.%I', 'q_' || p_domain || '__replies'));
    read_at text := '';
    archive_cols text;
    template text;
BEGIN
    IF q IS NULL OR a IS NULL OR r IS NULL THEN
        RAISE EXCEPTION 'pgorm bus: the queues of domain "%" are missing (pgmq.q_%__commands, its archive, pgmq.q_%__replies)',
            p_domain, p_domain, p_domain
            USING ERRCODE = 'undefined_table', HINT = 'run commandbus.create_domain, which creates them';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = q AND attname = 'last_read_at' AND NOT attisdropped) THEN
        read_at := ', last_read_at = clock_timestamp()';
    END IF;
    SELECT string_agg(quote_ident(x.attname), ', ' ORDER BY x.attnum) INTO archive_cols
    FROM pg_attribute x
    WHERE x.attrelid = q AND x.attnum > 0 AND NOT x.attisdropped
      AND EXISTS (SELECT 1 FROM pg_attribute y WHERE y.attrelid = a AND y.attname = x.attname AND NOT y.attisdropped);
    FOREACH template IN ARRAY ARRAY[
$tmpl$
-- Seed 001's atomic send, for many commands at once: the messages, the metadata rows (a repeated
-- command_id in the domain is a unique violation of command_pkey), the SENT audit rows and one
-- NOTIFY commandbus.<domain>, all in the caller's transaction. The msg_ids, in input order.
CREATE OR REPLACE FUNCTION @send@(
    p_types text[], p_ids uuid[], p_data jsonb[], p_max_attempts integer[],
    p_reply_to text[], p_correlation_ids uuid[], p_delay integer, p_batch_id uuid)
RETURNS SETOF bigint LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
    n integer := coalesce(cardinality(p_ids), 0);
    msg_ids bigint[];
BEGIN
    IF n = 0 THEN
        RAISE EXCEPTION 'pgorm bus: send_batch needs at least one command' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(cardinality(p_types), 0) <> n OR coalesce(cardinality(p_data), 0) <> n
       OR coalesce(cardinality(p_max_attempts), 0) <> n OR coalesce(cardinality(p_reply_to), 0) <> n
       OR coalesce(cardinality(p_correlation_ids), 0) <> n THEN
        RAISE EXCEPTION 'pgorm bus: send_batch got arrays of different lengths (% command ids)', n
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(p_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'pgorm bus: a command_id is NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF p_delay < 0 THEN
        RAISE EXCEPTION 'pgorm bus: delay must be 0 or more seconds, got %', p_delay USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Identity values follow the insertion order, which follows ORDER BY u.i.
    WITH sent AS (
        INSERT INTO @q@ (vt, message)
        SELECT clock_timestamp() + make_interval(secs => coalesce(p_delay, 0)),
               jsonb_build_object('domain', @d@, 'command_type', u.t, 'command_id', u.id,
                                  'correlation_id', u.corr, 'reply_to', u.rt, 'data', u.d)
        FROM unnest(p_types, p_ids, p_correlation_ids, p_reply_to, p_data) WITH ORDINALITY AS u(t, id, corr, rt, d, i)
        ORDER BY u.i
        RETURNING msg_id)
    SELECT array_agg(s.msg_id ORDER BY s.msg_id) INTO msg_ids FROM sent s;
    INSERT INTO commandbus.command (domain, command_id, command_type, max_attempts, msg_id, reply_to, correlation_id, batch_id)
    SELECT @d@, u.id, u.t, u.m, u.mid, u.rt, u.corr, p_batch_id
    FROM unnest(p_ids, p_types, p_max_attempts, msg_ids, p_reply_to, p_correlation_ids) AS u(id, t, m, mid, rt, corr);
    INSERT INTO commandbus.audit (domain, command_id, event_type, details)
    SELECT @d@, u.id, 'SENT', jsonb_build_object('msg_id', u.mid, 'command_type', u.t, 'batch_id', p_batch_id)
    FROM unnest(p_ids, msg_ids, p_types) WITH ORDINALITY AS u(id, mid, t, i) ORDER BY u.i;
    PERFORM pg_notify('commandbus.' || @d@, '');
    RETURN QUERY SELECT unnest(msg_ids);
END $fn$;
$tmpl$,
$tmpl$
-- Claims up to p_qty visible commands (their messages hidden for p_vt seconds, as pgmq.read
-- does), marks them IN_PROGRESS with one more attempt and a RECEIVED audit row, and starts their
-- batches. A message with no claimable command behind it comes back with command_id NULL, for
-- the caller to archive through settle. Two statements on purpose: the read may return a message
-- that committed after this call began, and only a statement that starts after the read sees the
-- command row committed with it. Each claimed command is found by its whole primary key in a
-- subquery the planner may not merge (OFFSET 0) and updated through its ctid; with sequential,
-- bitmap, hash and merge plans off, no plan can scan the domain's commands, whatever the
-- statistics of a young table say (docs/bus.md, "Throughput").
CREATE OR REPLACE FUNCTION @claim@(p_vt integer, p_qty integer)
RETURNS TABLE (msg_id bigint, command_id uuid, command_type text, attempt integer, max_attempts integer,
               correlation_id uuid, reply_to text, batch_id uuid, data jsonb, created_at timestamptz)
LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
DECLARE
    msg_ids bigint[];
    bodies jsonb[];
BEGIN
    IF p_vt IS NULL OR p_vt < 0 OR p_qty IS NULL OR p_qty < 0 THEN
        RAISE EXCEPTION 'pgorm bus: claim needs p_vt >= 0 seconds and p_qty >= 0, got % and %', p_vt, p_qty
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH ready AS (SELECT m.msg_id FROM @q@ m WHERE m.vt <= clock_timestamp()
                   ORDER BY m.msg_id LIMIT p_qty FOR UPDATE SKIP LOCKED),
    claimed AS (UPDATE @q@ m SET vt = clock_timestamp() + make_interval(secs => p_vt), read_ct = m.read_ct + 1@read_at@
                FROM ready WHERE m.msg_id = ready.msg_id
                RETURNING m.msg_id, m.message)
    SELECT array_agg(k.msg_id ORDER BY k.msg_id), array_agg(k.message ORDER BY k.msg_id) INTO msg_ids, bodies
    FROM claimed k;
    IF msg_ids IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH m AS (SELECT u.mid, u.body FROM unnest(msg_ids, bodies) AS u(mid, body)),
    c AS (UPDATE commandbus.command x SET status = 'IN_PROGRESS', attempts = x.attempts + 1, updated_at = now()
          FROM (SELECT k.tid, u.mid
                FROM unnest(msg_ids, bodies) AS u(mid, body)
                CROSS JOIN LATERAL (SELECT y.ctid AS tid FROM commandbus.command y
                                    WHERE y.domain = @d@ AND y.command_id = (u.body->>'command_id')::uuid OFFSET 0) k) t
          WHERE x.ctid = t.tid AND x.msg_id = t.mid AND x.status IN ('PENDING', 'IN_PROGRESS', 'FAILED')
          RETURNING x.msg_id AS mid, x.command_id, x.command_type, x.attempts, x.max_attempts, x.correlation_id,
                    x.reply_to, x.batch_id, x.created_at),
    a AS (INSERT INTO commandbus.audit (domain, command_id, event_type, details)
          SELECT @d@, c.command_id, 'RECEIVED', jsonb_build_object('msg_id', c.mid, 'attempt', c.attempts)
          FROM c ORDER BY c.mid),
    b AS (UPDATE commandbus.batch b SET status = 'IN_PROGRESS', started_at = now()
          WHERE b.domain = @d@ AND b.status = 'PENDING' AND b.batch_id IN (SELECT c.batch_id FROM c))
    SELECT m.mid, c.command_id, c.command_type, c.attempts, c.max_attempts, c.correlation_id, c.reply_to,
           c.batch_id, m.body->'data', c.created_at
    FROM m LEFT JOIN c ON c.mid = m.mid ORDER BY m.mid;
END $fn$;
$tmpl$,
$tmpl$
-- Replies of one outcome: those for the domain's own reply queue inserted here, the others
-- through commandbus._reply (pgmq.send_batch).
CREATE OR REPLACE FUNCTION @reply@(p_reply_to text[], p_ids uuid[], p_correlation_ids uuid[], p_outcome text, p_results jsonb[])
RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
BEGIN
    INSERT INTO @r@ (vt, message)
    SELECT clock_timestamp(), jsonb_build_object('command_id', u.id, 'correlation_id', u.corr, 'outcome', p_outcome,
                                                 'result', u.res)
    FROM unnest(p_reply_to, p_ids, p_correlation_ids, p_results) WITH ORDINALITY AS u(rt, id, corr, res, i)
    WHERE u.rt = @rq@ ORDER BY u.i;
    IF EXISTS (SELECT 1 FROM unnest(p_reply_to) AS u(rt) WHERE u.rt <> @rq@) THEN
        PERFORM commandbus._reply(ARRAY(SELECT nullif(u.rt, @rq@) FROM unnest(p_reply_to) WITH ORDINALITY AS u(rt, i) ORDER BY u.i),
                                  p_ids, p_correlation_ids, p_outcome, p_results);
    END IF;
END $fn$;
$tmpl$,
$tmpl$
-- Settles what one worker claimed, in one transaction. Each command is matched on the attempt
-- it was claimed at, so a worker whose visibility timeout ran out (and whose command another
-- worker claimed again) changes nothing: a command is completed at most once.
--   done:     COMPLETED, result stored, message deleted, COMPLETED audit, SUCCESS reply
--   failed:   FAILED audit, then with a delay: status FAILED, RETRY_SCHEDULED, message hidden
--             for the delay; without one: IN_TROUBLESHOOTING, MOVED_TO_TSQ, message archived
--             (kept for an operator retry), FAILED reply
--   orphans:  messages with no command behind them: archived
-- Returns the batches this call finished. Commands are found as in __claim.
CREATE OR REPLACE FUNCTION @settle@(
    p_done_ids uuid[], p_done_attempts integer[], p_done_results jsonb[],
    p_fail_ids uuid[], p_fail_attempts integer[], p_fail_codes text[], p_fail_msgs text[], p_fail_delays integer[],
    p_orphans bigint[])
RETURNS SETOF uuid LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
    ids uuid[]; msgs bigint[]; reply_to text[]; corr uuid[]; batches uuid[]; results jsonb[]; delays integer[];
    finished uuid[] := '{}';
    r record;
BEGIN
    IF coalesce(cardinality(p_done_ids), 0) > 0 THEN
        WITH c AS (
            UPDATE commandbus.command x SET status = 'COMPLETED', result = t.res, updated_at = now()
            FROM (SELECT k.tid, u.att, u.res
                  FROM unnest(p_done_ids, p_done_attempts, p_done_results) AS u(id, att, res)
                  CROSS JOIN LATERAL (SELECT y.ctid AS tid FROM commandbus.command y
                                      WHERE y.domain = @d@ AND y.command_id = u.id OFFSET 0) k) t
            WHERE x.ctid = t.tid AND x.attempts = t.att AND x.status = 'IN_PROGRESS'
            RETURNING x.command_id, x.msg_id, x.reply_to, x.correlation_id, x.batch_id, x.attempts AS att, t.res),
        a AS (INSERT INTO commandbus.audit (domain, command_id, event_type, details)
              SELECT @d@, c.command_id, 'COMPLETED', jsonb_build_object('msg_id', c.msg_id, 'attempt', c.att)
              FROM c ORDER BY c.msg_id)
        SELECT array_agg(c.command_id), array_agg(c.msg_id), array_agg(c.reply_to), array_agg(c.correlation_id),
               array_agg(c.batch_id), array_agg(c.res)
        INTO ids, msgs, reply_to, corr, batches, results FROM c;
        IF ids IS NOT NULL THEN
            DELETE FROM @q@ m WHERE m.msg_id = ANY(msgs);
            IF cardinality(array_remove(reply_to, NULL)) > 0 THEN
                PERFORM @reply@(reply_to, ids, corr, 'SUCCESS', results);
            END IF;
            IF cardinality(array_remove(batches, NULL)) > 0 THEN  -- most commands belong to no batch
                finished := finished || ARRAY(SELECT commandbus._tally(@d@, batches, 1, 0, 0));
            END IF;
        END IF;
    END IF;

    IF coalesce(cardinality(p_fail_ids), 0) > 0 THEN
        IF EXISTS (SELECT 1 FROM unnest(p_fail_delays) AS u(delay) WHERE u.delay < 0) THEN
            RAISE EXCEPTION 'pgorm bus: a retry delay must be 0 or more seconds' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        WITH c AS (
            UPDATE commandbus.command x
            SET status = CASE WHEN t.delay IS NULL THEN 'IN_TROUBLESHOOTING' ELSE 'FAILED' END,
                last_error_code = t.code, last_error_msg = t.msg, updated_at = now()
            FROM (SELECT k.tid, u.att, u.code, u.msg, u.delay
                  FROM unnest(p_fail_ids, p_fail_attempts, p_fail_codes, p_fail_msgs, p_fail_delays) AS u(id, att, code, msg, delay)
                  CROSS JOIN LATERAL (SELECT y.ctid AS tid FROM commandbus.command y
                                      WHERE y.domain = @d@ AND y.command_id = u.id OFFSET 0) k) t
            WHERE x.ctid = t.tid AND x.attempts = t.att AND x.status = 'IN_PROGRESS'
            RETURNING x.command_id, x.msg_id, x.reply_to, x.correlation_id, x.batch_id, x.attempts AS att,
                      t.code, t.msg, t.delay),
        a AS (INSERT INTO commandbus.audit (domain, command_id, event_type, details)
              SELECT @d@, c.command_id, e.event_type, e.details
              FROM c CROSS JOIN LATERAL (VALUES
                  (1, 'FAILED', jsonb_build_object('code', c.code, 'message', c.msg, 'attempt', c.att)),
                  (2, CASE WHEN c.delay IS NULL THEN 'MOVED_TO_TSQ' ELSE 'RETRY_SCHEDULED' END,
                      CASE WHEN c.delay IS NULL THEN jsonb_build_object('code', c.code, 'message', c.msg)
                           ELSE jsonb_build_object('delay_seconds', c.delay, 'next_attempt', c.att + 1) END)
              ) AS e(ord, event_type, details)
              ORDER BY c.msg_id, e.ord)
        SELECT array_agg(c.command_id), array_agg(c.msg_id), array_agg(c.reply_to), array_agg(c.correlation_id),
               array_agg(c.batch_id), array_agg(jsonb_build_object('code', c.code, 'message', c.msg)), array_agg(c.delay)
        INTO ids, msgs, reply_to, corr, batches, results, delays FROM c;
        IF ids IS NOT NULL THEN
            FOR r IN SELECT u.delay, array_agg(u.mid) AS mids FROM unnest(msgs, delays) AS u(mid, delay)
                     WHERE u.delay IS NOT NULL GROUP BY u.delay LOOP
                UPDATE @q@ m SET vt = clock_timestamp() + make_interval(secs => r.delay) WHERE m.msg_id = ANY(r.mids);
            END LOOP;
            SELECT array_agg(u.id), array_agg(u.mid), array_agg(u.rt), array_agg(u.corr), array_agg(u.b), array_agg(u.res)
            INTO ids, msgs, reply_to, corr, batches, results
            FROM unnest(ids, msgs, reply_to, corr, batches, results, delays) AS u(id, mid, rt, corr, b, res, delay)
            WHERE u.delay IS NULL;
            IF ids IS NOT NULL THEN
                WITH gone AS (DELETE FROM @q@ m WHERE m.msg_id = ANY(msgs) RETURNING m.*)
                INSERT INTO @a@ (@archive_cols@) SELECT @archive_cols@ FROM gone;
                PERFORM @reply@(reply_to, ids, corr, 'FAILED', results);
                finished := finished || ARRAY(SELECT commandbus._tally(@d@, batches, 0, 1, 0));
            END IF;
        END IF;
    END IF;

    IF coalesce(cardinality(p_orphans), 0) > 0 THEN
        WITH gone AS (DELETE FROM @q@ m WHERE m.msg_id = ANY(p_orphans) RETURNING m.*)
        INSERT INTO @a@ (@archive_cols@) SELECT @archive_cols@ FROM gone;
    END IF;
    RETURN QUERY SELECT unnest(finished);
END $fn$;
$tmpl$] LOOP
        EXECUTE replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(template,
            '@send@', format('commandbus.%I', p_domain || '__send')),
            '@claim@', format('commandbus.%I', p_domain || '__claim')),
            '@settle@', format('commandbus.%I', p_domain || '__settle')),
            '@reply@', format('commandbus.%I', p_domain || '__reply')),
            '@q@', q::text),
            '@a@', a::text),
            '@r@', r::text),
            '@rq@', quote_literal(p_domain || '__replies')),
            '@d@', quote_literal(p_domain)),
            '@read_at@', read_at),
            '@archive_cols@', archive_cols);
    END LOOP;
END $gen$;

-- ---------------------------------------------------------------- the same by domain name

-- For other tools and operators: each runs the domain's own function (EXECUTE: one small
-- statement planned per call, on top of the function's cached plans).
CREATE OR REPLACE FUNCTION commandbus.send_batch(
    p_domain text, p_types text[], p_ids uuid[], p_data jsonb[], p_max_attempts integer[],
    p_reply_to text[], p_correlation_ids uuid[], p_delay integer, p_batch_id uuid)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM commandbus._check_domain(p_domain);
    RETURN QUERY EXECUTE format('SELECT * FROM commandbus.%I($1, $2, $3, $4, $5, $6, $7, $8)', p_domain || '__send')
        USING p_types, p_ids, p_data, p_max_attempts, p_reply_to, p_correlation_ids, p_delay, p_batch_id;
END $$;

-- A batch row and its commands in one call; returns the batch's msg_ids like send_batch.
CREATE OR REPLACE FUNCTION commandbus.create_batch(
    p_domain text, p_batch_id uuid, p_name text, p_types text[], p_ids uuid[], p_data jsonb[],
    p_max_attempts integer[], p_reply_to text[], p_correlation_ids uuid[])
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM commandbus._check_domain(p_domain);
    INSERT INTO commandbus.batch (domain, batch_id, name, total_count)
    VALUES (p_domain, p_batch_id, p_name, coalesce(cardinality(p_ids), 0));
    RETURN QUERY SELECT * FROM commandbus.send_batch(p_domain, p_types, p_ids, p_data, p_max_attempts,
                                                     p_reply_to, p_correlation_ids, 0, p_batch_id);
END $$;

CREATE OR REPLACE FUNCTION commandbus.claim(p_domain text, p_vt integer, p_qty integer)
RETURNS TABLE (msg_id bigint, command_id uuid, command_type text, attempt integer, max_attempts integer,
               correlation_id uuid, reply_to text, batch_id uuid, data jsonb, created_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM commandbus._check_domain(p_domain);
    RETURN QUERY EXECUTE format('SELECT * FROM commandbus.%I($1, $2)', p_domain || '__claim') USING p_vt, p_qty;
END $$;

CREATE OR REPLACE FUNCTION commandbus.settle(
    p_domain text,
    p_done_ids uuid[], p_done_attempts integer[], p_done_results jsonb[],
    p_fail_ids uuid[], p_fail_attempts integer[], p_fail_codes text[], p_fail_msgs text[], p_fail_delays integer[],
    p_orphans bigint[])
RETURNS SETOF uuid LANGUAGE plpgsql AS $$
BEGIN
    PERFORM commandbus._check_domain(p_domain);
    RETURN QUERY EXECUTE format('SELECT * FROM commandbus.%I($1, $2, $3, $4, $5, $6, $7, $8, $9)', p_domain || '__settle')
        USING p_done_ids, p_done_attempts, p_done_results, p_fail_ids, p_fail_attempts, p_fail_codes, p_fail_msgs,
              p_fail_delays, p_orphans;
END $$;

-- ---------------------------------------------------------------- troubleshooting

-- The command, locked; it must be in the troubleshooting queue.
CREATE OR REPLACE FUNCTION commandbus._troubled(p_domain text, p_command_id uuid) RETURNS commandbus.command
LANGUAGE plpgsql AS $$
DECLARE
    c commandbus.command;
BEGIN
    SELECT * INTO c FROM commandbus.command x WHERE x.domain = p_domain AND x.command_id = p_command_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pgorm bus: there is no command % in domain "%"', p_command_id, p_domain
            USING ERRCODE = 'no_data_found';
    END IF;
    IF c.status <> 'IN_TROUBLESHOOTING' THEN
        RAISE EXCEPTION 'pgorm bus: command % in domain "%" is %, not IN_TROUBLESHOOTING: operator actions apply only to the troubleshooting queue',
            p_command_id, p_domain, c.status USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN c;
END $$;

-- Back to PENDING with attempts reset: the archived message is sent again. The new msg_id.
CREATE OR REPLACE FUNCTION commandbus.operator_retry(p_domain text, p_command_id uuid, p_operator text, p_reason text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    c commandbus.command := commandbus._troubled(p_domain, p_command_id);
    body jsonb;
    new_id bigint;
BEGIN
    EXECUTE format('SELECT message FROM pgmq.%I WHERE msg_id = $1', 'a_' || p_domain || '__commands') INTO body USING c.msg_id;
    IF body IS NULL THEN
        RAISE EXCEPTION 'pgorm bus: the archived message % of command % is gone; it cannot be retried', c.msg_id, p_command_id
            USING ERRCODE = 'no_data_found';
    END IF;
    SELECT s INTO new_id FROM pgmq.send(p_domain || '__commands', body, 0) s;
    UPDATE commandbus.command x SET status = 'PENDING', attempts = 0, msg_id = new_id, updated_at = now()
    WHERE x.domain = p_domain AND x.command_id = p_command_id;
    INSERT INTO commandbus.audit (domain, command_id, event_type, details)
    VALUES (p_domain, p_command_id, 'OPERATOR_RETRY', jsonb_build_object('operator', p_operator, 'reason', p_reason, 'msg_id', new_id));
    PERFORM commandbus._tally(p_domain, ARRAY[c.batch_id], 0, -1, 0);
    PERFORM pg_notify('commandbus.' || p_domain, '');
    RETURN new_id;
END $$;

CREATE OR REPLACE FUNCTION commandbus.operator_cancel(p_domain text, p_command_id uuid, p_operator text, p_reason text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c commandbus.command := commandbus._troubled(p_domain, p_command_id);
BEGIN
    UPDATE commandbus.command x SET status = 'CANCELED', updated_at = now()
    WHERE x.domain = p_domain AND x.command_id = p_command_id;
    INSERT INTO commandbus.audit (domain, command_id, event_type, details)
    VALUES (p_domain, p_command_id, 'OPERATOR_CANCEL', jsonb_build_object('operator', p_operator, 'reason', p_reason));
    PERFORM commandbus._reply(ARRAY[c.reply_to], ARRAY[p_command_id], ARRAY[c.correlation_id], 'CANCELED',
                              ARRAY[jsonb_build_object('reason', p_reason)]);
    PERFORM commandbus._tally(p_domain, ARRAY[c.batch_id], 0, -1, 1);
END $$;

CREATE OR REPLACE FUNCTION commandbus.operator_complete(p_domain text, p_command_id uuid, p_result jsonb, p_operator text, p_reason text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c commandbus.command := commandbus._troubled(p_domain, p_command_id);
BEGIN
    UPDATE commandbus.command x SET status = 'COMPLETED', result = p_result, updated_at = now()
    WHERE x.domain = p_domain AND x.command_id = p_command_id;
    INSERT INTO commandbus.audit (domain, command_id, event_type, details)
    VALUES (p_domain, p_command_id, 'OPERATOR_COMPLETE', jsonb_build_object('operator', p_operator, 'reason', p_reason));
    PERFORM commandbus._reply(ARRAY[c.reply_to], ARRAY[p_command_id], ARRAY[c.correlation_id], 'SUCCESS', ARRAY[p_result]);
    PERFORM commandbus._tally(p_domain, ARRAY[c.batch_id], 1, -1, 0);
END $$;

-- Version 4: every domain, including those created under an older version, gets its functions.
DO $domains$
BEGIN
    PERFORM commandbus._create_domain_functions(d.domain) FROM commandbus.domain d ORDER BY d.domain;
END
$domains$;

DELETE FROM commandbus.pgorm_schema_version;
INSERT INTO commandbus.pgorm_schema_version (version) VALUES (4);
)sql";
}

}  // namespace pgorm::bus
