-- The event store (seed 000) and the command bus with its audit trail (seed 001).
-- migrate:up
CREATE TABLE events (
    id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('evt') CHECK (id LIKE 'evt\_%'),
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL DEFAULT now(),
    payload JSONB NOT NULL,
    meta JSONB NOT NULL DEFAULT '{}',
    status TEXT COLLATE "C" NOT NULL DEFAULT 'pending' REFERENCES event_status_enum(value),
    retry_count BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    processed_at TIMESTAMPTZ,
    storytime JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER updated_at BEFORE UPDATE ON events FOR EACH ROW EXECUTE PROCEDURE updated_at();
CREATE INDEX events_status_idx ON events(status);
CREATE INDEX events_type_idx ON events(type);
CREATE INDEX events_pending_idx ON events("timestamp") WHERE status = 'pending';

CREATE TABLE commands (
    id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('cmd') CHECK (id LIKE 'cmd\_%'),
    domain TEXT NOT NULL,
    command_id UUID NOT NULL,
    command_type TEXT NOT NULL,
    status TEXT COLLATE "C" NOT NULL DEFAULT 'PENDING' REFERENCES command_status_enum(value),
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 3,
    msg_id BIGINT,
    reply_queue TEXT,
    correlation_id UUID,
    payload JSONB NOT NULL DEFAULT '{}',
    last_error_code TEXT,
    last_error_msg TEXT,
    storytime JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (domain, command_id)
);
CREATE TRIGGER updated_at BEFORE UPDATE ON commands FOR EACH ROW EXECUTE PROCEDURE updated_at();
CREATE INDEX commands_status_idx ON commands(domain, status, created_at);

CREATE TABLE command_audit (
    id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('aud') CHECK (id LIKE 'aud\_%'),
    domain TEXT NOT NULL,
    command_id UUID NOT NULL,
    event_type TEXT COLLATE "C" NOT NULL REFERENCES audit_event_type_enum(value),
    ts TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    details_json JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (domain, command_id) REFERENCES commands(domain, command_id) ON DELETE CASCADE
);
CREATE TRIGGER updated_at BEFORE UPDATE ON command_audit FOR EACH ROW EXECUTE PROCEDURE updated_at();
CREATE INDEX command_audit_command_idx ON command_audit(domain, command_id);
CREATE INDEX command_audit_event_type_idx ON command_audit(event_type);

-- migrate:down
DROP TABLE command_audit, commands, events;
