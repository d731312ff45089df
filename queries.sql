-- The example application's static queries (sqlc format). pgorm-gen turns each into one typed
-- C++ function (docs/codegen.md); the schema is schema.sql.

-- ---------------------------------------------------------------- organizations and users

-- name: CreateOrganization :one
INSERT INTO organizations (name) VALUES (@name)
RETURNING *;

-- name: CreateUser :one
-- Creates a user in an organization; the id and timestamps come from the server.
INSERT INTO users (organization_id, email, first_name, last_name, preferences)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: GetUserByEmail :one
SELECT * FROM users
WHERE email = $1;

-- name: ListUsersByCompany :many
-- Users whose preferences name this company (seed 004's users-by-company listing).
SELECT * FROM users
WHERE preferences ->> 'company' = @company
ORDER BY email;

-- name: UsersWithOrganization :many
-- Every user of an organization with the organization's name beside it.
SELECT sqlc.embed(u), o.name AS organization_name
FROM users u
JOIN organizations o ON o.id = u.organization_id
WHERE o.id = @organization_id
ORDER BY u.email;

-- name: AddCredits :one
-- Adds (or with a negative amount, takes) credits; returns the new balance.
UPDATE users
SET credits_balance = credits_balance + @amount
WHERE user_id = @user_id
RETURNING credits_balance;

-- name: RecordCreditPurchase :one
-- A Stripe checkout paid for credits; stripe_session_extid is the idempotency key.
INSERT INTO transactions (organization_id, user_id, stripe_session_extid, amount_paid_cents, credits_added)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: DeactivateUsers :execrows
UPDATE users SET is_active = false
WHERE user_id IN (sqlc.slice(user_ids));

-- ---------------------------------------------------------------- command bus

-- name: InsertCommand :one
INSERT INTO commands (domain, command_id, command_type, payload, reply_queue, correlation_id)
VALUES (@domain, @command_id, @command_type, @payload, sqlc.narg(reply_queue), sqlc.narg(correlation_id))
RETURNING *;

-- name: FindCommandsByStatus :many
-- Commands of one domain in one status, oldest first (the bus's find_by_status).
SELECT * FROM commands
WHERE domain = @domain AND status = @status
ORDER BY created_at
LIMIT @max_rows;

-- name: SetCommandStatus :batchexec
UPDATE commands SET status = @status
WHERE domain = @domain AND command_id = @command_id;

-- name: RecordAudit :exec
INSERT INTO command_audit (domain, command_id, event_type, details_json)
VALUES ($1, $2, $3, $4);

-- name: AuditTrail :many
-- The audit trail of one command, in the order it happened.
SELECT event_type, ts, details_json
FROM command_audit
WHERE domain = $1 AND command_id = $2
ORDER BY ts, id;

-- name: CommandsWithLastAudit :many
-- Each command of a domain with its latest audit event, if it has one.
SELECT c.command_id, c.status, a.event_type AS last_event, a.ts AS last_event_at
FROM commands c
LEFT JOIN LATERAL (
    SELECT ca.event_type, ca.ts FROM command_audit ca
    WHERE ca.domain = c.domain AND ca.command_id = c.command_id
    ORDER BY ca.ts DESC LIMIT 1
) a ON true
WHERE c.domain = $1
ORDER BY c.created_at;

-- name: CommandQueueMetrics :many
-- Queue metrics from the commands table (schema.sql has no PGMQ queue table): per status, how
-- many commands and how old the oldest one is.
SELECT status, COUNT(*) AS total, min(created_at) AS oldest_created_at,
       EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_age_seconds
FROM commands
WHERE domain = $1
GROUP BY status
ORDER BY status;

-- ---------------------------------------------------------------- events

-- name: InsertEvent :one
INSERT INTO events (type, source, payload)
VALUES ($1, $2, $3)
RETURNING *;

-- name: ImportEvents :copyfrom
INSERT INTO events (type, source, payload) VALUES ($1, $2, $3);

-- name: ListPendingEvents :many
-- Events waiting to be processed whose next attempt is due, oldest first.
SELECT * FROM events
WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= now())
ORDER BY "timestamp"
LIMIT $1;

-- name: ListFailedEvents :many
SELECT * FROM events
WHERE status = 'failed'
ORDER BY "timestamp" DESC
LIMIT $1;

-- name: MarkEventsProcessed :execrows
UPDATE events SET status = 'processed', processed_at = now()
WHERE id IN (sqlc.slice(ids));

-- name: MarkEventFailed :exec
UPDATE events SET status = 'failed', retry_count = retry_count + 1
WHERE id = $1;

-- name: ProcessingTimesByType :many
-- How long processed events of each type took from their timestamp to processed_at.
SELECT type,
       COUNT(*) AS processed,
       avg(EXTRACT(EPOCH FROM processed_at - "timestamp"))::float8 AS avg_seconds,
       max(EXTRACT(EPOCH FROM processed_at - "timestamp"))::float8 AS max_seconds
FROM events
WHERE status = 'processed' AND processed_at IS NOT NULL
GROUP BY type
ORDER BY type;
