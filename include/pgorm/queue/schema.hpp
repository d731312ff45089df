#pragma once
// The DDL of pgorm's PGMQ-compatible queue: schema `pgmq` with pgmq 1.x's SQL API (same function
// names, argument names and types, result columns), plus what pgmq lacks (dead-letter queues,
// FIFO group reads, moving messages, a NOTIFY wake-up without a hot row).
//
// The SQL is written from pgmq's documented signatures (pgmq docs/api/sql/functions.md); every
// identifier is built with format('%I') and every value travels as an EXECUTE ... USING
// parameter. The script is idempotent (CREATE ... IF NOT EXISTS, CREATE OR REPLACE), so running
// it again over an older version upgrades it; it refuses to run over the real pgmq extension.

#include <string_view>

namespace pgorm::queue {

/// The version schema_sql() installs; install() upgrades a database whose
/// pgmq.pgorm_schema_version row holds a smaller number.
inline constexpr int schema_version = 1;

/// The whole queue schema as one SQL script (several statements: run it with the simple
/// protocol, e.g. `psql -f` or connection::execute_script). For teams that migrate with another tool;
/// install() runs the same text under an advisory lock.
inline std::string_view schema_sql() noexcept {
    return R"sql(
-- pgorm queue schema, version 1 (keep in step with pgorm::queue::schema_version).
DO $guard$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgmq') THEN
        RAISE EXCEPTION 'pgorm queue: the pgmq extension is installed in this database; pgorm will not install its own pgmq schema over it'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'keep using the extension: pgorm''s queue client works with it unchanged';
    END IF;
    IF to_regclass('pgmq.meta') IS NOT NULL AND to_regclass('pgmq.pgorm_schema_version') IS NULL THEN
        RAISE EXCEPTION 'pgorm queue: schema pgmq already holds a pgmq installation that pgorm did not make'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'keep using it, or drop schema pgmq first if it is not needed';
    END IF;
END
$guard$;

CREATE SCHEMA IF NOT EXISTS pgmq;

CREATE TABLE IF NOT EXISTS pgmq.pgorm_schema_version (
    version integer NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
);

-- pgmq's queue catalogue, column for column.
CREATE TABLE IF NOT EXISTS pgmq.meta (
    queue_name varchar UNIQUE NOT NULL,
    is_partitioned boolean NOT NULL,
    is_unlogged boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Per-queue settings pgmq does not have: a message read max_read_ct times goes to
-- dead_letter_queue on its next claim instead of being handed out again.
CREATE TABLE IF NOT EXISTS pgmq.pgorm_queue_settings (
    queue_name varchar PRIMARY KEY REFERENCES pgmq.meta (queue_name) ON DELETE CASCADE,
    max_read_ct integer NOT NULL CHECK (max_read_ct > 0),
    dead_letter_queue varchar NOT NULL REFERENCES pgmq.meta (queue_name)
);

-- pgmq's table of queues that notify on insert. Only the interval is used: the throttle state
-- lives in each producer's session, so inserts never queue up behind one shared row.
CREATE UNLOGGED TABLE IF NOT EXISTS pgmq.notify_insert_throttle (
    queue_name varchar PRIMARY KEY REFERENCES pgmq.meta (queue_name) ON DELETE CASCADE,
    throttle_interval_ms integer NOT NULL DEFAULT 0,
    last_notified_at timestamptz NOT NULL DEFAULT to_timestamp(0)
);

DO $types$
BEGIN
    IF to_regtype('pgmq.message_record') IS NULL THEN
        CREATE TYPE pgmq.message_record AS (
            msg_id bigint, read_ct integer, enqueued_at timestamptz, last_read_at timestamptz,
            vt timestamptz, message jsonb, headers jsonb);
    END IF;
    IF to_regtype('pgmq.queue_record') IS NULL THEN
        CREATE TYPE pgmq.queue_record AS (
            queue_name varchar, is_partitioned boolean, is_unlogged boolean, created_at timestamptz);
    END IF;
    IF to_regtype('pgmq.metrics_result') IS NULL THEN
        CREATE TYPE pgmq.metrics_result AS (
            queue_name text, queue_length bigint, newest_msg_age_sec integer, oldest_msg_age_sec integer,
            total_messages bigint, scrape_time timestamptz, queue_visible_length bigint,
            default_partition_length bigint);
    END IF;
END
$types$;

-- ---------------------------------------------------------------- helpers

CREATE OR REPLACE FUNCTION pgmq._bad_input(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'pgmq: %', what USING ERRCODE = 'invalid_parameter_value';
END $$;

CREATE OR REPLACE FUNCTION pgmq._check_name(queue_name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF queue_name IS NULL OR queue_name !~ '^[a-z0-9_]{1,47}$' THEN
        PERFORM pgmq._bad_input(format(
            'invalid queue name %s: use 1 to 47 characters from a-z, 0-9 and _',
            coalesce(quote_literal(queue_name), 'NULL')));
    END IF;
END $$;

-- The qualified, quoted name of a queue's table (kind 'q' or 'a'); the queue must exist.
CREATE OR REPLACE FUNCTION pgmq._table(queue_name text, kind text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    t text := format('pgmq.%I', kind || '_' || queue_name);
BEGIN
    PERFORM pgmq._check_name(queue_name);
    IF to_regclass(t) IS NULL THEN
        RAISE EXCEPTION 'pgmq: queue % does not exist', quote_literal(queue_name)
            USING ERRCODE = 'undefined_table', HINT = 'create it first with pgmq.create(queue_name)';
    END IF;
    RETURN t;
END $$;

-- A point in time `seconds` from now; `what` names the argument in the error.
CREATE OR REPLACE FUNCTION pgmq._after(seconds integer, what text) RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
    IF seconds IS NULL OR seconds < 0 THEN
        PERFORM pgmq._bad_input(format('%s must be 0 or more seconds, got %s', what, coalesce(seconds::text, 'NULL')));
    END IF;
    RETURN clock_timestamp() + make_interval(secs => seconds);
END $$;

CREATE OR REPLACE FUNCTION pgmq._check_time(at timestamptz, what text) RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
    IF at IS NULL THEN
        PERFORM pgmq._bad_input(format('%s must not be NULL', what));
    END IF;
    RETURN at;
END $$;

CREATE OR REPLACE FUNCTION pgmq._check_qty(qty integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF qty IS NULL OR qty < 0 THEN
        PERFORM pgmq._bad_input(format('qty must be 0 or more, got %s', coalesce(qty::text, 'NULL')));
    END IF;
END $$;

-- ---------------------------------------------------------------- queues

-- pgmq.a_<name>: the queue's columns plus archived_at (never partitioned here).
CREATE OR REPLACE FUNCTION pgmq._create_archive(queue_name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS pgmq.%I (
            msg_id bigint PRIMARY KEY,
            read_ct integer NOT NULL DEFAULT 0,
            enqueued_at timestamptz NOT NULL DEFAULT now(),
            last_read_at timestamptz,
            vt timestamptz NOT NULL,
            message jsonb,
            headers jsonb,
            archived_at timestamptz NOT NULL DEFAULT now())', 'a_' || queue_name);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (archived_at)', 'archived_at_idx_' || queue_name, 'a_' || queue_name);
END $$;

CREATE OR REPLACE FUNCTION pgmq._create(queue_name text, unlogged boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    q text := 'q_' || queue_name;
BEGIN
    PERFORM pgmq._check_name(queue_name);
    PERFORM pg_advisory_xact_lock(hashtext('pgmq.queue_' || queue_name));
    EXECUTE format(
        'CREATE %s TABLE IF NOT EXISTS pgmq.%I (
            msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
            read_ct integer NOT NULL DEFAULT 0,
            enqueued_at timestamptz NOT NULL DEFAULT now(),
            last_read_at timestamptz,
            vt timestamptz NOT NULL,
            message jsonb,
            headers jsonb)', CASE WHEN unlogged THEN 'UNLOGGED' ELSE '' END, q);
    PERFORM pgmq._create_archive(queue_name);
    PERFORM pgmq._check_tables(queue_name);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON pgmq.%I (vt)', q || '_vt_idx', q);
    INSERT INTO pgmq.meta AS m (queue_name, is_partitioned, is_unlogged)
    VALUES (queue_name, false, unlogged) ON CONFLICT DO NOTHING;
END $$;

-- CREATE TABLE IF NOT EXISTS skips a name another queue's index already took (queue 'x' owns
-- index q_x_vt_idx, so queue 'x_vt_idx' would find its "table" taken): refuse such a name.
CREATE OR REPLACE FUNCTION pgmq._check_tables(queue_name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    kind "char";
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['q_' || queue_name, 'a_' || queue_name] LOOP
        SELECT c.relkind INTO kind FROM pg_class c
        WHERE c.oid = to_regclass(format('pgmq.%I', t));
        IF kind IS NULL OR kind NOT IN ('r', 'p') THEN
            PERFORM pgmq._bad_input(format(
                'queue name %s collides with another queue''s object pgmq.%I; choose another name',
                quote_literal(queue_name), t));
        END IF;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pgmq.create_non_partitioned(queue_name text) RETURNS void LANGUAGE sql AS $$
    SELECT pgmq._create(queue_name, false);
$$;

CREATE OR REPLACE FUNCTION pgmq."create"(queue_name text) RETURNS void LANGUAGE sql AS $$
    SELECT pgmq._create(queue_name, false);
$$;

CREATE OR REPLACE FUNCTION pgmq.create_unlogged(queue_name text) RETURNS void LANGUAGE sql AS $$
    SELECT pgmq._create(queue_name, true);
$$;

-- Partitioned by msg_id when partition_interval is a number, else by enqueued_at; pg_partman
-- makes `premake` partitions ahead and drops those older than retention_interval.
CREATE OR REPLACE FUNCTION pgmq.create_partitioned(
    queue_name text, partition_interval text DEFAULT '10000', retention_interval text DEFAULT '100000',
    premake integer DEFAULT 4) RETURNS void LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    partman text;
    partman_version text;
    by_id boolean := partition_interval ~ '^[0-9]+$';
    control text;
    q text := 'q_' || queue_name;
BEGIN
    PERFORM pgmq._check_name(queue_name);
    SELECT n.nspname, e.extversion INTO partman, partman_version
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman';
    IF partman IS NULL THEN
        RAISE EXCEPTION 'pgmq: create_partitioned needs the pg_partman extension, which is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'install the server package (Debian: postgresql-15-partman), then CREATE EXTENSION pg_partman';
    END IF;
    IF partition_interval IS NULL OR retention_interval IS NULL OR premake IS NULL OR premake < 1 THEN
        PERFORM pgmq._bad_input('create_partitioned needs a partition_interval, a retention_interval and premake >= 1');
    END IF;
    IF by_id AND retention_interval !~ '^[0-9]+$' THEN
        PERFORM pgmq._bad_input(format(
            'partition_interval %s counts msg_ids, so retention_interval must be a number too, got %s',
            quote_literal(partition_interval), quote_literal(retention_interval)));
    END IF;
    IF NOT by_id THEN
        -- A bare number here is seconds, as the interval type reads it ('100000' = 27:46:40).
        BEGIN
            PERFORM partition_interval::interval, retention_interval::interval;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
            PERFORM pgmq._bad_input(format(
                'partition_interval %s and retention_interval %s must be msg_id counts or time intervals such as ''1 day''',
                quote_literal(partition_interval), quote_literal(retention_interval)));
        END;
    END IF;
    control := CASE WHEN by_id THEN 'msg_id' ELSE 'enqueued_at' END;
    PERFORM pg_advisory_xact_lock(hashtext('pgmq.queue_' || queue_name));
    IF to_regclass(format('pgmq.%I', q)) IS NOT NULL THEN
        RETURN;  -- created before: pg_partman already maintains it
    END IF;
    EXECUTE format(
        'CREATE TABLE pgmq.%I (
            msg_id bigint GENERATED BY DEFAULT AS IDENTITY,
            read_ct integer NOT NULL DEFAULT 0,
            enqueued_at timestamptz NOT NULL DEFAULT now(),
            last_read_at timestamptz,
            vt timestamptz NOT NULL,
            message jsonb,
            headers jsonb) PARTITION BY RANGE (%I)', q, control);
    EXECUTE format('CREATE INDEX %I ON pgmq.%I (msg_id)', q || '_part_idx', q);
    EXECUTE format('CREATE INDEX %I ON pgmq.%I (vt)', q || '_vt_idx', q);
    PERFORM pgmq._create_archive(queue_name);
    PERFORM pgmq._check_tables(queue_name);
    -- pg_partman 4 calls native partitioning 'native', 5 calls it 'range'.
    EXECUTE format('SELECT %I.create_parent(p_parent_table := $1, p_control := $2, p_type := $3, p_interval := $4, p_premake := $5)', partman)
        USING 'pgmq.' || q, control, CASE WHEN split_part(partman_version, '.', 1)::int >= 5 THEN 'range' ELSE 'native' END,
              partition_interval, premake;
    EXECUTE format('UPDATE %I.part_config SET retention = $1, retention_keep_table = false, retention_keep_index = false, automatic_maintenance = ''on'' WHERE parent_table = $2', partman)
        USING retention_interval, 'pgmq.' || q;
    INSERT INTO pgmq.meta AS m (queue_name, is_partitioned, is_unlogged)
    VALUES (queue_name, true, false) ON CONFLICT DO NOTHING;
END $$;

CREATE OR REPLACE FUNCTION pgmq.drop_queue(queue_name text) RETURNS boolean LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    user_of text;
    partman text;
BEGIN
    PERFORM pgmq._check_name(queue_name);
    PERFORM pg_advisory_xact_lock(hashtext('pgmq.queue_' || queue_name));
    IF NOT EXISTS (SELECT 1 FROM pgmq.meta m WHERE m.queue_name = queue_name)
       AND to_regclass(format('pgmq.%I', 'q_' || queue_name)) IS NULL THEN
        RAISE NOTICE 'pgmq: queue % does not exist', quote_literal(queue_name);
        RETURN false;
    END IF;
    SELECT s.queue_name INTO user_of FROM pgmq.pgorm_queue_settings s
    WHERE s.dead_letter_queue = queue_name AND s.queue_name <> queue_name LIMIT 1;
    IF user_of IS NOT NULL THEN
        PERFORM pgmq._bad_input(format(
            'queue %s is the dead-letter queue of %s; turn that off first with pgmq.set_dead_letter(%s, NULL)',
            quote_literal(queue_name), quote_literal(user_of), quote_literal(user_of)));
    END IF;
    SELECT n.nspname INTO partman
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman';
    IF partman IS NOT NULL THEN
        EXECUTE format('DELETE FROM %I.part_config WHERE parent_table = $1', partman) USING 'pgmq.q_' || queue_name;
        EXECUTE format('DROP TABLE IF EXISTS %I.%I', partman, 'template_pgmq_q_' || queue_name);
    END IF;
    EXECUTE format('DROP TABLE IF EXISTS pgmq.%I', 'q_' || queue_name);
    EXECUTE format('DROP TABLE IF EXISTS pgmq.%I', 'a_' || queue_name);
    DELETE FROM pgmq.meta m WHERE m.queue_name = queue_name;
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION pgmq.drop_queue(queue_name text, partitioned boolean) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE WARNING 'pgmq: drop_queue(queue_name, partitioned) is deprecated; call drop_queue(queue_name)';
    RETURN pgmq.drop_queue(queue_name);
END $$;

CREATE OR REPLACE FUNCTION pgmq.list_queues() RETURNS SETOF pgmq.queue_record LANGUAGE sql AS $$
    SELECT m.queue_name, m.is_partitioned, m.is_unlogged, m.created_at FROM pgmq.meta m ORDER BY m.created_at, m.queue_name;
$$;

-- ---------------------------------------------------------------- sending

CREATE OR REPLACE FUNCTION pgmq._send(queue_name text, msgs jsonb[], headers jsonb[], vt timestamptz)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
    q text := pgmq._table(queue_name, 'q');
BEGIN
    IF msgs IS NULL OR cardinality(msgs) = 0 THEN
        PERFORM pgmq._bad_input('send_batch needs at least one message');
    END IF;
    IF array_ndims(msgs) > 1 OR array_ndims(headers) > 1 THEN
        PERFORM pgmq._bad_input('msgs and headers must be one-dimensional arrays');
    END IF;
    IF headers IS NOT NULL THEN
        IF cardinality(headers) <> cardinality(msgs) THEN
            PERFORM pgmq._bad_input(format('got %s messages but %s headers: give one headers object per message, or none',
                cardinality(msgs), cardinality(headers)));
        END IF;
        IF EXISTS (SELECT 1 FROM unnest(headers) h WHERE jsonb_typeof(h) NOT IN ('object', 'null')) THEN
            PERFORM pgmq._bad_input('headers must be JSON objects (or NULL)');
        END IF;
    END IF;
    RETURN QUERY EXECUTE format(
        'INSERT INTO %s (vt, message, headers)
         SELECT $1, u.m, u.h FROM unnest($2::jsonb[], $3::jsonb[]) WITH ORDINALITY AS u(m, h, i) ORDER BY u.i
         RETURNING msg_id', q)
        USING vt, msgs, headers;
END $$;

CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer DEFAULT 0)
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT pgmq._send(queue_name, ARRAY[msg], NULL, pgmq._after(delay, 'delay'));
$$;
CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer DEFAULT 0)
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT pgmq._send(queue_name, ARRAY[msg], ARRAY[headers], pgmq._after(delay, 'delay'));
$$;
CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, delay timestamptz)
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT pgmq._send(queue_name, ARRAY[msg], NULL, pgmq._check_time(delay, 'delay'));
$$;
CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz)
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT pgmq._send(queue_name, ARRAY[msg], ARRAY[headers], pgmq._check_time(delay, 'delay'));
$$;

CREATE OR REPLACE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer DEFAULT 0)
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT pgmq._send(queue_name, msgs, NULL, pgmq._after(delay, 'delay'));
$$;
CREATE OR REPLACE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer DEFAULT 0)
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT pgmq._send(queue_name, msgs, headers, pgmq._after(delay, 'delay'));
$$;
CREATE OR REPLACE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz)
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT pgmq._send(queue_name, msgs, NULL, pgmq._check_time(delay, 'delay'));
$$;
CREATE OR REPLACE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz)
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT pgmq._send(queue_name, msgs, headers, pgmq._check_time(delay, 'delay'));
$$;

-- ---------------------------------------------------------------- reading

-- Claims up to qty visible messages in msg_id order and hides them until vt. With `grouped`,
-- only the oldest message of each x-pgmq-group (no header: one shared group) is a candidate,
-- so a group has at most one message in flight and is served in enqueue order. When the queue
-- has a dead-letter setting, claimed messages already read max_read_ct times move to the
-- dead-letter queue in the same statement instead of being returned.
CREATE OR REPLACE FUNCTION pgmq._claim(queue_name text, vt timestamptz, qty integer, conditional jsonb, grouped boolean)
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    q text := pgmq._table(queue_name, 'q');
    max_reads integer;
    dlq text;
    filter text := '';
    moving text := '';
    live text := '';
BEGIN
    PERFORM pgmq._check_time(vt, 'vt');
    PERFORM pgmq._check_qty(qty);
    IF conditional IS NOT NULL AND conditional <> '{}'::jsonb THEN
        filter := ' AND m.message @> $3';
    END IF;
    IF grouped THEN
        filter := filter || format(
            ' AND m.msg_id IN (SELECT DISTINCT ON (coalesce(h.headers->>''x-pgmq-group'', '''')) h.msg_id
                               FROM %s h ORDER BY coalesce(h.headers->>''x-pgmq-group'', ''''), h.msg_id)', q);
    END IF;
    SELECT s.max_read_ct, s.dead_letter_queue INTO max_reads, dlq
    FROM pgmq.pgorm_queue_settings s WHERE s.queue_name = queue_name;
    IF max_reads IS NOT NULL THEN
        moving := format(
            ', dead AS (DELETE FROM %1$s m USING cte WHERE m.msg_id = cte.msg_id AND m.read_ct >= $4 RETURNING m.*),
               moved AS (INSERT INTO %2$s (enqueued_at, vt, message, headers)
                         SELECT d.enqueued_at, clock_timestamp(), d.message,
                                coalesce(d.headers, ''{}'') || jsonb_build_object(''x-pgorm-dead-letter'', jsonb_build_object(
                                    ''queue'', $5::text, ''msg_id'', d.msg_id, ''read_ct'', d.read_ct, ''reason'', ''max_read_ct''))
                         FROM dead d ORDER BY d.msg_id)', q, pgmq._table(dlq, 'q'));
        live := ' AND m.read_ct < $4';
    END IF;
    RETURN QUERY EXECUTE format(
        'WITH cte AS (SELECT m.msg_id FROM %1$s m WHERE m.vt <= clock_timestamp()%2$s
                      ORDER BY m.msg_id LIMIT $2 FOR UPDATE SKIP LOCKED)%3$s,
              claimed AS (UPDATE %1$s m SET vt = $1, read_ct = m.read_ct + 1, last_read_at = clock_timestamp()
                          FROM cte WHERE m.msg_id = cte.msg_id%4$s
                          RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers)
         SELECT * FROM claimed ORDER BY msg_id', q, filter, moving, live)
        USING vt, qty, conditional, max_reads, queue_name;
END $$;

CREATE OR REPLACE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
    SELECT * FROM pgmq._claim(queue_name, pgmq._after(vt, 'vt'), qty, conditional, false);
$$;
CREATE OR REPLACE FUNCTION pgmq.read(queue_name text, vt timestamptz, qty integer, conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
    SELECT * FROM pgmq._claim(queue_name, vt, qty, conditional, false);
$$;

-- FIFO groups: at most one message per x-pgmq-group, and only a group's oldest message.
CREATE OR REPLACE FUNCTION pgmq.read_grouped_head(queue_name text, vt integer, qty integer)
RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
    SELECT * FROM pgmq._claim(queue_name, pgmq._after(vt, 'vt'), qty, '{}', true);
$$;
CREATE OR REPLACE FUNCTION pgmq.read_grouped_head(queue_name text, vt timestamptz, qty integer)
RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
    SELECT * FROM pgmq._claim(queue_name, vt, qty, '{}', true);
$$;

-- pgmq's polling read: it sleeps inside the server and holds its connection meanwhile (the C++
-- client's read_with_poll waits on the client side instead).
CREATE OR REPLACE FUNCTION pgmq.read_with_poll(
    queue_name text, vt integer, qty integer, max_poll_seconds integer DEFAULT 5,
    poll_interval_ms integer DEFAULT 100, conditional jsonb DEFAULT '{}')
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    deadline timestamptz;
    found_any boolean;
    r pgmq.message_record;
BEGIN
    IF max_poll_seconds IS NULL OR max_poll_seconds < 0 OR poll_interval_ms IS NULL OR poll_interval_ms < 1 THEN
        PERFORM pgmq._bad_input('read_with_poll needs max_poll_seconds >= 0 and poll_interval_ms >= 1');
    END IF;
    deadline := clock_timestamp() + make_interval(secs => max_poll_seconds);
    LOOP
        found_any := false;
        FOR r IN SELECT * FROM pgmq._claim(queue_name, pgmq._after(vt, 'vt'), qty, conditional, false) LOOP
            found_any := true;
            RETURN NEXT r;
        END LOOP;
        EXIT WHEN found_any OR clock_timestamp() >= deadline;
        PERFORM pg_sleep(poll_interval_ms / 1000.0);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pgmq.pop(queue_name text, qty integer DEFAULT 1)
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
DECLARE
    q text := pgmq._table(queue_name, 'q');
BEGIN
    PERFORM pgmq._check_qty(qty);
    RETURN QUERY EXECUTE format(
        'WITH cte AS (SELECT m.msg_id FROM %1$s m WHERE m.vt <= clock_timestamp()
                      ORDER BY m.msg_id LIMIT $1 FOR UPDATE SKIP LOCKED),
              popped AS (DELETE FROM %1$s m USING cte WHERE m.msg_id = cte.msg_id
                         RETURNING m.msg_id, m.read_ct, m.enqueued_at, m.last_read_at, m.vt, m.message, m.headers)
         SELECT * FROM popped ORDER BY msg_id', q) USING qty;
END $$;
)sql"
           R"sql(
-- ---------------------------------------------------------------- settling

CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('DELETE FROM %s WHERE msg_id = ANY($1) RETURNING msg_id', pgmq._table(queue_name, 'q'))
        USING msg_ids;
END $$;
CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_id bigint) RETURNS boolean LANGUAGE sql AS $$
    SELECT EXISTS (SELECT 1 FROM pgmq.delete(queue_name, ARRAY[msg_id]));
$$;

CREATE OR REPLACE FUNCTION pgmq.archive(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'WITH gone AS (DELETE FROM %s WHERE msg_id = ANY($1)
                       RETURNING msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers)
         INSERT INTO %s (msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers)
         SELECT msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers FROM gone
         RETURNING msg_id', pgmq._table(queue_name, 'q'), pgmq._table(queue_name, 'a'))
        USING msg_ids;
END $$;
CREATE OR REPLACE FUNCTION pgmq.archive(queue_name text, msg_id bigint) RETURNS boolean LANGUAGE sql AS $$
    SELECT EXISTS (SELECT 1 FROM pgmq.archive(queue_name, ARRAY[msg_id]));
$$;

CREATE OR REPLACE FUNCTION pgmq._set_vt(queue_name text, msg_ids bigint[], vt timestamptz)
RETURNS SETOF pgmq.message_record LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'WITH changed AS (UPDATE %s SET vt = $2 WHERE msg_id = ANY($1)
                          RETURNING msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers)
         SELECT * FROM changed ORDER BY msg_id', pgmq._table(queue_name, 'q'))
        USING msg_ids, pgmq._check_time(vt, 'vt');
END $$;
CREATE OR REPLACE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt integer)
RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
    SELECT * FROM pgmq._set_vt(queue_name, ARRAY[msg_id], pgmq._after(vt, 'vt'));
$$;
CREATE OR REPLACE FUNCTION pgmq.set_vt(queue_name text, msg_id bigint, vt timestamptz)
RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
    SELECT * FROM pgmq._set_vt(queue_name, ARRAY[msg_id], vt);
$$;
CREATE OR REPLACE FUNCTION pgmq.set_vt(queue_name text, msg_ids bigint[], vt integer)
RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
    SELECT * FROM pgmq._set_vt(queue_name, msg_ids, pgmq._after(vt, 'vt'));
$$;
CREATE OR REPLACE FUNCTION pgmq.set_vt(queue_name text, msg_ids bigint[], vt timestamptz)
RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
    SELECT * FROM pgmq._set_vt(queue_name, msg_ids, vt);
$$;

-- Deletes every message; returns how many there were. DELETE rather than pgmq's TRUNCATE, so
-- concurrent readers and senders are not blocked behind an exclusive table lock.
CREATE OR REPLACE FUNCTION pgmq.purge_queue(queue_name text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('WITH gone AS (DELETE FROM %s RETURNING 1) SELECT count(*) FROM gone', pgmq._table(queue_name, 'q'))
        INTO n;
    RETURN n;
END $$;

-- Moves messages to another queue in one statement (new msg_ids there, unread, visible at
-- once); `note` is merged into each message's headers. Returns the new msg_ids.
CREATE OR REPLACE FUNCTION pgmq.move(queue_name text, msg_ids bigint[], to_queue text, note jsonb DEFAULT NULL)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
    source text := pgmq._table(queue_name, 'q');
    target text := pgmq._table(to_queue, 'q');
BEGIN
    IF source = target THEN
        PERFORM pgmq._bad_input('move needs two different queues');
    END IF;
    RETURN QUERY EXECUTE format(
        'WITH gone AS (DELETE FROM %s WHERE msg_id = ANY($1) RETURNING *)
         INSERT INTO %s (enqueued_at, vt, message, headers)
         SELECT g.enqueued_at, clock_timestamp(), g.message,
                CASE WHEN $2::jsonb IS NULL THEN g.headers ELSE coalesce(g.headers, ''{}'') || $2 END
         FROM gone g ORDER BY g.msg_id RETURNING msg_id', source, target)
        USING msg_ids, note;
END $$;

-- ---------------------------------------------------------------- dead letters

-- A message claimed after max_read_ct reads moves to dead_letter_queue (default
-- <queue_name>_dlq, created when missing) instead of being handed out. NULL turns it off.
CREATE OR REPLACE FUNCTION pgmq.set_dead_letter(queue_name text, max_read_ct integer, dead_letter_queue text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    dlq text := coalesce(dead_letter_queue, queue_name || '_dlq');
BEGIN
    PERFORM pgmq._table(queue_name, 'q');
    IF max_read_ct IS NULL THEN
        DELETE FROM pgmq.pgorm_queue_settings s WHERE s.queue_name = queue_name;
        RETURN;
    END IF;
    IF max_read_ct < 1 THEN
        PERFORM pgmq._bad_input(format('max_read_ct must be 1 or more, got %s', max_read_ct));
    END IF;
    IF dlq = queue_name THEN
        PERFORM pgmq._bad_input('a queue cannot be its own dead-letter queue');
    END IF;
    IF dlq !~ '^[a-z0-9_]{1,47}$' THEN
        PERFORM pgmq._bad_input(format(
            'dead-letter queue name %s is not a valid queue name (1 to 47 characters from a-z, 0-9 and _); pass dead_letter_queue',
            quote_literal(dlq)));
    END IF;
    PERFORM pgmq._create(dlq, false);
    INSERT INTO pgmq.pgorm_queue_settings AS s (queue_name, max_read_ct, dead_letter_queue)
    VALUES (queue_name, max_read_ct, dlq)
    ON CONFLICT ON CONSTRAINT pgorm_queue_settings_pkey
    DO UPDATE SET max_read_ct = EXCLUDED.max_read_ct, dead_letter_queue = EXCLUDED.dead_letter_queue;
END $$;

-- Moves messages to the queue's dead-letter queue now (a consumer's verdict on a poison
-- message), noting `reason` in the headers. Without a dead-letter setting, <queue_name>_dlq.
CREATE OR REPLACE FUNCTION pgmq.dead_letter(queue_name text, msg_ids bigint[], reason text DEFAULT NULL)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    dlq text;
BEGIN
    PERFORM pgmq._table(queue_name, 'q');
    SELECT s.dead_letter_queue INTO dlq FROM pgmq.pgorm_queue_settings s WHERE s.queue_name = queue_name;
    IF dlq IS NULL THEN
        dlq := queue_name || '_dlq';
        PERFORM pgmq._check_name(dlq);
        PERFORM pgmq._create(dlq, false);
    END IF;
    RETURN QUERY SELECT * FROM pgmq.move(queue_name, msg_ids, dlq, jsonb_build_object('x-pgorm-dead-letter',
        jsonb_build_object('queue', queue_name, 'reason', coalesce(reason, 'rejected'))));
END $$;

-- ---------------------------------------------------------------- metrics

CREATE OR REPLACE FUNCTION pgmq.metrics(queue_name text) RETURNS pgmq.metrics_result LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    q text := pgmq._table(queue_name, 'q');
    r pgmq.metrics_result;
    seq text := pg_get_serial_sequence(q, 'msg_id');
    default_part text := format('pgmq.%I', 'q_' || queue_name || '_default');
BEGIN
    r.queue_name := queue_name;
    EXECUTE format(
        'SELECT count(*), count(*) FILTER (WHERE vt <= clock_timestamp()),
                extract(epoch FROM clock_timestamp() - max(enqueued_at))::integer,
                extract(epoch FROM clock_timestamp() - min(enqueued_at))::integer
         FROM %s', q)
        INTO r.queue_length, r.queue_visible_length, r.newest_msg_age_sec, r.oldest_msg_age_sec;
    EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM %s', seq) INTO r.total_messages;
    r.scrape_time := clock_timestamp();
    -- Rows in a partitioned queue's default partition stop pg_partman's maintenance for it.
    IF to_regclass(default_part) IS NOT NULL THEN
        EXECUTE format('SELECT count(*) FROM %s', default_part) INTO r.default_partition_length;
    END IF;
    RETURN r;
END $$;

CREATE OR REPLACE FUNCTION pgmq.metrics_all() RETURNS SETOF pgmq.metrics_result LANGUAGE plpgsql AS $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT m.queue_name FROM pgmq.meta m ORDER BY m.queue_name LOOP
        RETURN NEXT pgmq.metrics(name);
    END LOOP;
END $$;

-- ---------------------------------------------------------------- notifications

-- One NOTIFY per inserting statement on channel pgmq.q_<queue_name>.INSERT (pgmq's name). The
-- throttle is per producer session (a custom setting), not a shared row, so concurrent
-- producers never wait on each other here; PostgreSQL still serialises the commits of
-- notifying transactions (PreCommit_Notify's database-wide lock).
CREATE OR REPLACE FUNCTION pgmq._notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    name text := TG_ARGV[0];
    throttle integer;
    last_sent text := current_setting('pgmq_notify.' || name, true);
BEGIN
    SELECT t.throttle_interval_ms INTO throttle FROM pgmq.notify_insert_throttle t WHERE t.queue_name = name;
    IF coalesce(throttle, 0) > 0 THEN
        IF coalesce(last_sent, '') <> ''
           AND clock_timestamp() < last_sent::timestamptz + make_interval(secs => throttle / 1000.0) THEN
            RETURN NULL;
        END IF;
        PERFORM set_config('pgmq_notify.' || name, clock_timestamp()::text, false);
    END IF;
    PERFORM pg_notify('pgmq.q_' || name || '.INSERT', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION pgmq.enable_notify_insert(queue_name text, throttle_interval_ms integer DEFAULT 250)
RETURNS void LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    q text := pgmq._table(queue_name, 'q');
BEGIN
    IF throttle_interval_ms IS NULL OR throttle_interval_ms < 0 THEN
        PERFORM pgmq._bad_input(format('throttle_interval_ms must be 0 or more, got %s',
            coalesce(throttle_interval_ms::text, 'NULL')));
    END IF;
    INSERT INTO pgmq.notify_insert_throttle AS t (queue_name, throttle_interval_ms)
    VALUES (queue_name, throttle_interval_ms)
    ON CONFLICT ON CONSTRAINT notify_insert_throttle_pkey DO UPDATE SET throttle_interval_ms = EXCLUDED.throttle_interval_ms;
    EXECUTE format('DROP TRIGGER IF EXISTS trigger_notify_queue_insert_listeners ON %s', q);
    EXECUTE format('CREATE TRIGGER trigger_notify_queue_insert_listeners AFTER INSERT ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION pgmq._notify_insert(%L)', q, queue_name);
END $$;

CREATE OR REPLACE FUNCTION pgmq.disable_notify_insert(queue_name text) RETURNS void LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS trigger_notify_queue_insert_listeners ON %s', pgmq._table(queue_name, 'q'));
    DELETE FROM pgmq.notify_insert_throttle t WHERE t.queue_name = queue_name;
END $$;

DELETE FROM pgmq.pgorm_schema_version;
INSERT INTO pgmq.pgorm_schema_version (version) VALUES (1);
)sql";
}

}  // namespace pgorm::queue
