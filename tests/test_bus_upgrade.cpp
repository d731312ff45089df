// Upgrading a command bus installed at schema version 2 (the previous release) in place: install()
// brings it to the current version without losing commands, messages or audit rows, and commands
// sent and claimed under version 2 finish under the new functions.
#include "support.hpp"

#include <string_view>
#include <thread>

using namespace pgorm;
using namespace std::chrono_literals;
using pgorm_test::empty_db;

namespace {

struct Order {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(Order, (), (n))

// commandbus schema version 2 as pgorm shipped it (include/pgorm/bus/schema.hpp at commit 2ba8939),
// kept word for word: the starting point of the upgrade.
constexpr std::string_view schema_v2 = R"v2sql(
-- pgorm command bus schema, version 2 (keep in step with pgorm::bus::schema_version).
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
) WITH (fillfactor = 80);
-- No index mentions status (or attempts, msg_id, updated_at), so the two updates of each command
-- (claim, settle) can be HOT updates that touch no index when the page has room (fillfactor 80
-- leaves some), and the only index that leads with domain
-- is the primary key, which claim and settle must use: version 1's (domain, status, created_at)
-- index made the planner, on a young table with stale statistics, scan every live command of
-- the domain once per claimed command. find_by_status walks created_at backwards instead.
DROP INDEX IF EXISTS commandbus.command_status_idx;
ALTER TABLE commandbus.command SET (fillfactor = 80);
CREATE INDEX IF NOT EXISTS command_created_idx ON commandbus.command (created_at);
CREATE INDEX IF NOT EXISTS command_batch_idx ON commandbus.command (domain, batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS commandbus.audit (
    audit_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain text NOT NULL,
    command_id uuid NOT NULL,
    event_type text NOT NULL CONSTRAINT audit_event_type_check CHECK (event_type IN (
        'SENT', 'RECEIVED', 'COMPLETED', 'FAILED', 'RETRY_SCHEDULED', 'MOVED_TO_TSQ',
        'OPERATOR_RETRY', 'OPERATOR_CANCEL', 'OPERATOR_COMPLETE')),
    details jsonb,
    ts timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS audit_command_idx ON commandbus.audit (command_id, audit_id);

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
    PERFORM pgmq.create(p_domain || '__commands');
    PERFORM pgmq.create(p_domain || '__replies');
    INSERT INTO commandbus.domain (domain) VALUES (p_domain) ON CONFLICT DO NOTHING;
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
CREATE OR REPLACE FUNCTION commandbus._tally(p_domain text, p_batch_ids uuid[], p_completed integer, p_tsq integer, p_canceled integer)
RETURNS SETOF uuid LANGUAGE sql AS $$
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
$$;

-- Sends {command_id, correlation_id, outcome, result} to each command's reply_to queue (rows
-- without one are skipped), one pgmq.send_batch per reply queue.
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

-- ---------------------------------------------------------------- sending

-- Seed 001's atomic send, for many commands at once: the messages, the metadata rows (a repeated
-- command_id in the domain is a unique violation of command_pkey), the SENT audit rows and one
-- NOTIFY commandbus.<domain>, all in the caller's transaction. The msg_ids, in input order.
CREATE OR REPLACE FUNCTION commandbus.send_batch(
    p_domain text, p_types text[], p_ids uuid[], p_data jsonb[], p_max_attempts integer[],
    p_reply_to text[], p_correlation_ids uuid[], p_delay integer, p_batch_id uuid)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(cardinality(p_ids), 0);
    msg_ids bigint[];
BEGIN
    PERFORM commandbus._check_domain(p_domain);
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
    SELECT array_agg(s.msg_id ORDER BY s.i) INTO msg_ids
    FROM pgmq.send_batch(p_domain || '__commands',
            ARRAY(SELECT jsonb_build_object('domain', p_domain, 'command_type', u.t, 'command_id', u.id,
                                            'correlation_id', u.corr, 'reply_to', u.rt, 'data', u.d)
                  FROM unnest(p_types, p_ids, p_correlation_ids, p_reply_to, p_data) WITH ORDINALITY AS u(t, id, corr, rt, d, i)
                  ORDER BY u.i),
            coalesce(p_delay, 0)) WITH ORDINALITY AS s(msg_id, i);
    INSERT INTO commandbus.command (domain, command_id, command_type, max_attempts, msg_id, reply_to, correlation_id, batch_id)
    SELECT p_domain, u.id, u.t, u.m, u.mid, u.rt, u.corr, p_batch_id
    FROM unnest(p_ids, p_types, p_max_attempts, msg_ids, p_reply_to, p_correlation_ids) AS u(id, t, m, mid, rt, corr);
    INSERT INTO commandbus.audit (domain, command_id, event_type, details)
    SELECT p_domain, u.id, 'SENT', jsonb_build_object('msg_id', u.mid, 'command_type', u.t, 'batch_id', p_batch_id)
    FROM unnest(p_ids, msg_ids, p_types) WITH ORDINALITY AS u(id, mid, t, i) ORDER BY u.i;
    PERFORM pg_notify('commandbus.' || p_domain, '');
    RETURN QUERY SELECT unnest(msg_ids);
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

-- ---------------------------------------------------------------- working

-- One command's status change, found by its whole primary key: claim and settle call these per
-- row (LATERAL) instead of joining their arrays to the table, because a join lets the planner
-- pick a scan of every command of the domain when the table's statistics are stale (a young
-- or fast-growing table), and that scan ran once per claimed batch.
CREATE OR REPLACE FUNCTION commandbus._start(p_domain text, p_id uuid, p_msg_id bigint)
RETURNS SETOF commandbus.command LANGUAGE sql AS $$
    UPDATE commandbus.command c SET status = 'IN_PROGRESS', attempts = c.attempts + 1, updated_at = now()
    WHERE c.domain = p_domain AND c.command_id = p_id AND c.msg_id = p_msg_id
      AND c.status IN ('PENDING', 'IN_PROGRESS', 'FAILED')
    RETURNING c.*;
$$;

-- Ends the attempt `p_attempt` of a command that is still IN_PROGRESS at that attempt.
CREATE OR REPLACE FUNCTION commandbus._finish(p_domain text, p_id uuid, p_attempt integer, p_status text,
                                              p_result jsonb, p_code text, p_msg text)
RETURNS SETOF commandbus.command LANGUAGE sql AS $$
    UPDATE commandbus.command c
    SET status = p_status,
        result = CASE WHEN p_status = 'COMPLETED' THEN p_result ELSE c.result END,
        last_error_code = CASE WHEN p_status = 'COMPLETED' THEN c.last_error_code ELSE p_code END,
        last_error_msg = CASE WHEN p_status = 'COMPLETED' THEN c.last_error_msg ELSE p_msg END,
        updated_at = now()
    WHERE c.domain = p_domain AND c.command_id = p_id AND c.attempts = p_attempt AND c.status = 'IN_PROGRESS'
    RETURNING c.*;
$$;

-- Claims up to p_qty visible commands (pgmq.read, hidden for p_vt seconds), marks them
-- IN_PROGRESS with one more attempt and a RECEIVED audit row, and starts their batches. A
-- message with no claimable command behind it comes back with command_id NULL, for the caller
-- to archive through settle(). Two statements on purpose: pgmq.read may return a message that
-- committed after this call began, and only a statement that starts after the read sees the
-- command row committed with it.
CREATE OR REPLACE FUNCTION commandbus.claim(p_domain text, p_vt integer, p_qty integer)
RETURNS TABLE (msg_id bigint, command_id uuid, command_type text, attempt integer, max_attempts integer,
               correlation_id uuid, reply_to text, batch_id uuid, data jsonb, created_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    msg_ids bigint[];
    bodies jsonb[];
BEGIN
    SELECT array_agg(r.msg_id ORDER BY r.msg_id), array_agg(r.message ORDER BY r.msg_id) INTO msg_ids, bodies
    FROM pgmq.read(p_domain || '__commands', p_vt, p_qty) r;
    IF msg_ids IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH m AS (SELECT u.mid, u.body, (u.body->>'command_id')::uuid AS cid FROM unnest(msg_ids, bodies) AS u(mid, body)),
    c AS (SELECT m.mid, x.command_id, x.command_type, x.attempts, x.max_attempts, x.correlation_id,
                 x.reply_to, x.batch_id, m.body->'data' AS data, x.created_at
          FROM m CROSS JOIN LATERAL commandbus._start(p_domain, m.cid, m.mid) x),
    a AS (INSERT INTO commandbus.audit (domain, command_id, event_type, details)
          SELECT p_domain, c.command_id, 'RECEIVED', jsonb_build_object('msg_id', c.mid, 'attempt', c.attempts)
          FROM c ORDER BY c.mid),
    b AS (UPDATE commandbus.batch b SET status = 'IN_PROGRESS', started_at = now()
          WHERE b.domain = p_domain AND b.status = 'PENDING' AND b.batch_id IN (SELECT c.batch_id FROM c))
    SELECT m.mid, c.command_id, c.command_type, c.attempts, c.max_attempts, c.correlation_id, c.reply_to,
           c.batch_id, c.data, c.created_at
    FROM m LEFT JOIN c ON c.mid = m.mid ORDER BY m.mid;
END $$;

-- Settles what one worker claimed, in one transaction. Each command is matched on the attempt
-- it was claimed at, so a worker whose visibility timeout ran out (and whose command another
-- worker claimed again) changes nothing: a command is completed at most once.
--   done:     COMPLETED, result stored, message deleted, COMPLETED audit, SUCCESS reply
--   failed:   FAILED audit, then with a delay: status FAILED, RETRY_SCHEDULED, message hidden
--             for the delay; without one: IN_TROUBLESHOOTING, MOVED_TO_TSQ, message archived
--             (kept for an operator retry), FAILED reply
--   orphans:  messages with no command behind them: archived
-- Returns the batches this call finished.
CREATE OR REPLACE FUNCTION commandbus.settle(
    p_domain text,
    p_done_ids uuid[], p_done_attempts integer[], p_done_results jsonb[],
    p_fail_ids uuid[], p_fail_attempts integer[], p_fail_codes text[], p_fail_msgs text[], p_fail_delays integer[],
    p_orphans bigint[])
RETURNS SETOF uuid LANGUAGE plpgsql AS $$
DECLARE
    q text := p_domain || '__commands';
    ids uuid[]; msgs bigint[]; reply_to text[]; corr uuid[]; batches uuid[]; results jsonb[]; delays integer[];
    finished uuid[] := '{}';
    r record;
BEGIN
    IF coalesce(cardinality(p_done_ids), 0) > 0 THEN
        WITH d AS (SELECT * FROM unnest(p_done_ids, p_done_attempts, p_done_results) AS u(id, att, res)),
        c AS (SELECT x.command_id, x.msg_id, x.reply_to, x.correlation_id, x.batch_id, d.res, x.attempts
              FROM d CROSS JOIN LATERAL commandbus._finish(p_domain, d.id, d.att, 'COMPLETED', d.res, NULL, NULL) x),
        a AS (INSERT INTO commandbus.audit (domain, command_id, event_type, details)
              SELECT p_domain, c.command_id, 'COMPLETED', jsonb_build_object('msg_id', c.msg_id, 'attempt', c.attempts)
              FROM c ORDER BY c.msg_id)
        SELECT array_agg(c.command_id), array_agg(c.msg_id), array_agg(c.reply_to), array_agg(c.correlation_id),
               array_agg(c.batch_id), array_agg(c.res)
        INTO ids, msgs, reply_to, corr, batches, results FROM c;
        IF ids IS NOT NULL THEN
            PERFORM pgmq.delete(q, msgs);
            PERFORM commandbus._reply(reply_to, ids, corr, 'SUCCESS', results);
            finished := finished || ARRAY(SELECT commandbus._tally(p_domain, batches, 1, 0, 0));
        END IF;
    END IF;

    IF coalesce(cardinality(p_fail_ids), 0) > 0 THEN
        WITH f AS (SELECT * FROM unnest(p_fail_ids, p_fail_attempts, p_fail_codes, p_fail_msgs, p_fail_delays)
                   AS u(id, att, code, msg, delay)),
        c AS (SELECT x.command_id, x.msg_id, x.reply_to, x.correlation_id, x.batch_id, f.code, f.msg, f.delay, f.att
              FROM f CROSS JOIN LATERAL commandbus._finish(p_domain, f.id, f.att,
                  CASE WHEN f.delay IS NULL THEN 'IN_TROUBLESHOOTING' ELSE 'FAILED' END, NULL, f.code, f.msg) x),
        a AS (INSERT INTO commandbus.audit (domain, command_id, event_type, details)
              SELECT p_domain, c.command_id, e.event_type, e.details
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
                PERFORM pgmq.set_vt(q, r.mids, r.delay);
            END LOOP;
            SELECT array_agg(u.id), array_agg(u.mid), array_agg(u.rt), array_agg(u.corr), array_agg(u.b), array_agg(u.res)
            INTO ids, msgs, reply_to, corr, batches, results
            FROM unnest(ids, msgs, reply_to, corr, batches, results, delays) AS u(id, mid, rt, corr, b, res, delay)
            WHERE u.delay IS NULL;
            IF ids IS NOT NULL THEN
                PERFORM pgmq.archive(q, msgs);
                PERFORM commandbus._reply(reply_to, ids, corr, 'FAILED', results);
                finished := finished || ARRAY(SELECT commandbus._tally(p_domain, batches, 0, 1, 0));
            END IF;
        END IF;
    END IF;

    IF coalesce(cardinality(p_orphans), 0) > 0 THEN
        PERFORM pgmq.archive(q, p_orphans);
    END IF;
    RETURN QUERY SELECT unnest(finished);
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

DELETE FROM commandbus.pgorm_schema_version;
INSERT INTO commandbus.pgorm_schema_version (version) VALUES (2);
)v2sql";

std::int64_t count(connection& c, const std::string& sql) { return c.query_value<std::int64_t>(sql); }

std::vector<bus::audit_event_type> trail_types(connection& c, const boost::uuids::uuid& id) {
    std::vector<bus::audit_event_type> out;
    for (auto& e : bus::audit_trail(c, id, "shop")) out.push_back(e.event_type);
    return out;
}

}  // namespace

TEST_CASE("install upgrades a version 2 bus in place (to version 4); commands sent and claimed under version 2 complete",
          "[bus][install][upgrade]") {
    empty_db db;
    auto c = db.connect();
    queue::install(c);
    c.execute_script(schema_v2);
    REQUIRE(c.query_value<std::int32_t>("SELECT version FROM commandbus.pgorm_schema_version") == 2);
    bus::create_domain(c, "shop");

    // Three commands under version 2, sent through its by-name send_batch (this library's send
    // calls the domain's own function, which version 2 does not have: that is refused, naming
    // install); the first is claimed by version 2's claim (hidden 1 s) and its worker never
    // settles it.
    bus::command_bus b;
    bus::command_options o;
    o.reply_to = bus::replies_queue("shop");
    CHECK_THROWS_WITH(b.send(c, "shop", "Order", bus::new_id(), Order{9}, o), Catch::Contains("bus::install"));
    std::vector<boost::uuids::uuid> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(bus::new_id());
        c.execute("SELECT * FROM commandbus.send_batch('shop', ARRAY['Order'], ARRAY[$1::uuid], "
                  "ARRAY[json_build_object('n', $2::int)::jsonb], ARRAY[3], ARRAY['shop__replies'], ARRAY[NULL::uuid], 0, NULL)",
                  ids.back(), std::int32_t(i));
    }
    REQUIRE(count(c, "SELECT count(*) FROM commandbus.claim('shop', 1, 1) WHERE command_id IS NOT NULL") == 1);
    REQUIRE(count(c, "SELECT count(*) FROM commandbus.command WHERE status = 'IN_PROGRESS'") == 1);
    REQUIRE(count(c, "SELECT count(*) FROM pg_constraint WHERE conname = 'audit_pkey'") == 1);

    auto r = bus::install(c);
    CHECK(r.what == bus::install_result::outcome::upgraded);
    CHECK(r.version == bus::schema_version);
    CHECK(c.query_value<std::int32_t>("SELECT version FROM commandbus.pgorm_schema_version") == bus::schema_version);
    CHECK(count(c, "SELECT count(*) FROM commandbus.pgorm_schema_version") == 1);
    // What version 3 changed: no audit primary key, the per-row helpers gone, fillfactor 40.
    CHECK(count(c, "SELECT count(*) FROM pg_constraint WHERE conname = 'audit_pkey'") == 0);
    CHECK(count(c, "SELECT count(*) FROM pg_proc WHERE proname IN ('_start', '_finish') "
                   "AND pronamespace = 'commandbus'::regnamespace") == 0);
    CHECK(count(c, "SELECT count(*) FROM pg_class WHERE oid = 'commandbus.command'::regclass "
                   "AND 'fillfactor=40' = ANY(reloptions)") == 1);
    // What version 4 changed: the domain created under version 2 got its own send, claim, settle
    // and reply functions, none of which builds SQL at run time (so the server keeps their plans);
    // version 3's helpers are gone and the batch tally is PL/pgSQL.
    CHECK(count(c, "SELECT count(*) FROM pg_proc WHERE pronamespace = 'commandbus'::regnamespace "
                   "AND proname IN ('shop__send', 'shop__claim', 'shop__settle', 'shop__reply')") == 4);
    CHECK(count(c, "SELECT count(*) FROM pg_proc WHERE pronamespace = 'commandbus'::regnamespace "
                   "AND proname LIKE 'shop\\_\\_%' AND prosrc ~* '\\mEXECUTE\\M'") == 0);
    CHECK(count(c, "SELECT count(*) FROM pg_proc WHERE proname IN ('_start_all', '_finish_all') "
                   "AND pronamespace = 'commandbus'::regnamespace") == 0);
    CHECK(count(c, "SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                   "WHERE p.oid = 'commandbus._tally'::regproc AND l.lanname = 'plpgsql'") == 1);
    // Nothing was lost: three commands, three SENT and one RECEIVED audit row, three messages.
    CHECK(count(c, "SELECT count(*) FROM commandbus.command") == 3);
    CHECK(count(c, "SELECT count(*) FROM commandbus.audit") == 4);
    CHECK(count(c, "SELECT count(*) FROM pgmq.q_shop__commands") == 3);

    // After the upgrade this library sends to the domain again; a worker on the upgraded schema
    // completes all four, the abandoned one at attempt 2.
    ids.push_back(bus::new_id());
    b.send(c, "shop", "Order", ids.back(), Order{3}, o);
    pool p{db.url()};
    bus::handler_registry reg;
    reg.on<Order>("shop", "Order", [](const Order& x, bus::handler_context&) { return Order{x.n * 10}; });
    bus::worker_options wo;
    wo.poll_interval = 50ms;
    bus::worker w(p, "shop", reg, wo);
    w.start();
    for (auto until = std::chrono::steady_clock::now() + 20s;
         count(c, "SELECT count(*) FROM commandbus.command WHERE status = 'COMPLETED'") < 4 &&
         std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(20ms);
    w.stop();
    CHECK(w.last_error().empty());
    CHECK(count(c, "SELECT count(*) FROM commandbus.command WHERE status = 'COMPLETED'") == 4);
    using E = bus::audit_event_type;
    CHECK(trail_types(c, ids[0]) == std::vector<E>{E::SENT, E::RECEIVED, E::RECEIVED, E::COMPLETED});
    CHECK(trail_types(c, ids[1]) == std::vector<E>{E::SENT, E::RECEIVED, E::COMPLETED});
    CHECK(trail_types(c, ids[2]) == std::vector<E>{E::SENT, E::RECEIVED, E::COMPLETED});
    CHECK(trail_types(c, ids[3]) == std::vector<E>{E::SENT, E::RECEIVED, E::COMPLETED});
    CHECK(c.query_value<std::string>("SELECT result::text FROM commandbus.command WHERE command_id = $1", ids[3]) ==
          R"({"n": 30})");
    CHECK(bus::get_command(c, "shop", ids[0]).value().attempts == 2);
    CHECK(count(c, "SELECT count(*) FROM pgmq.q_shop__replies") == 4);
    CHECK(count(c, "SELECT count(*) FROM pgmq.q_shop__commands") == 0);

    CHECK(bus::install(c).what == bus::install_result::outcome::already_current);
}
