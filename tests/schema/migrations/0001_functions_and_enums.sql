-- The id generator and the updated_at trigger function every table uses (seed 002), and the
-- enum tables with their values.
-- migrate:up
CREATE FUNCTION generate_id(prefix TEXT) RETURNS TEXT
LANGUAGE sql VOLATILE AS $$
    SELECT prefix || '_' || replace(gen_random_uuid()::text, '-', '')
$$;

CREATE FUNCTION updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END
$$;

CREATE TABLE user_type_enum (value TEXT COLLATE "C" PRIMARY KEY);
INSERT INTO user_type_enum (value) VALUES ('admin'), ('member'), ('guest'), ('individual');

CREATE TABLE event_status_enum (value TEXT COLLATE "C" PRIMARY KEY);
INSERT INTO event_status_enum (value) VALUES ('pending'), ('processing'), ('processed'), ('failed');

CREATE TABLE command_status_enum (value TEXT COLLATE "C" PRIMARY KEY);
INSERT INTO command_status_enum (value) VALUES
    ('PENDING'), ('IN_PROGRESS'), ('COMPLETED'), ('FAILED'), ('CANCELED'), ('IN_TROUBLESHOOTING_QUEUE');

CREATE TABLE audit_event_type_enum (value TEXT COLLATE "C" PRIMARY KEY);
INSERT INTO audit_event_type_enum (value) VALUES
    ('SENT'), ('RECEIVED'), ('COMPLETED'), ('FAILED'), ('RETRY_SCHEDULED'), ('RETRY_EXHAUSTED'),
    ('MOVED_TO_TSQ'), ('OPERATOR_RETRY'), ('OPERATOR_CANCEL'), ('OPERATOR_COMPLETE');

-- migrate:down
DROP TABLE audit_event_type_enum, command_status_enum, event_status_enum, user_type_enum;
DROP FUNCTION updated_at();
DROP FUNCTION generate_id(TEXT);
