-- pgorm example application schema (squashed). Conventions (seed 002):
--   * ids are TEXT COLLATE "C" primary keys from generate_id('<prefix>') with a prefix CHECK;
--   * timestamptz, never timestamp; created_at / updated_at on every table, updated_at by trigger;
--   * BIGINT, never INT; an index on every foreign key;
--   * enums are tables named *_enum referenced by foreign key;
--   * organization-scoped tables have row-level security, scoped per transaction.

-- ---------------------------------------------------------------- functions

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

-- ---------------------------------------------------------------- row-level security scope
-- A customer transaction is scoped by pgorm's xact_customer: it calls app_begin_customer_scope()
-- (which records the user and organization in a session temp table that only the definer can
-- write, emptied at commit or rollback) and then SET LOCAL ROLE app_customer. The customer role
-- cannot write that table, and the policies read it rather than any setting the session can change,
-- so set_config() cannot widen the scope and a second app_begin_customer_scope() is refused.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_customer') THEN
        CREATE ROLE app_customer NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

CREATE FUNCTION app_begin_customer_scope(p_user_id TEXT, p_organization_id TEXT) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_user_id IS NULL OR p_organization_id IS NULL THEN
        RAISE EXCEPTION 'customer scope needs a user id and an organization id' USING ERRCODE = '22004';
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS app_scope (
        user_id TEXT COLLATE "C" NOT NULL,
        organization_id TEXT COLLATE "C" NOT NULL
    ) ON COMMIT DELETE ROWS;
    IF EXISTS (SELECT 1 FROM pg_temp.app_scope) THEN
        RAISE EXCEPTION 'this transaction already has a customer scope' USING ERRCODE = '42501';
    END IF;
    INSERT INTO pg_temp.app_scope VALUES (p_user_id, p_organization_id);
    PERFORM set_config('app.user_id', p_user_id, true);
    PERFORM set_config('app.organization_id', p_organization_id, true);
END
$$;
REVOKE ALL ON FUNCTION app_begin_customer_scope(TEXT, TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_begin_customer_scope(TEXT, TEXT) TO app_customer;

-- The login that customer scopes connect as (pool_options::customer): not the owner, no
-- BYPASSRLS, a member of app_customer. SET LOCAL ROLE app_customer alone, on the owner's login,
-- is escapable with RESET ROLE; on this login RESET ROLE lands on a role that is still under RLS.
-- No password here: deployments set one (ALTER ROLE app_customer_login PASSWORD ...).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_customer_login') THEN
        CREATE ROLE app_customer_login LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT
            IN ROLE app_customer;
    END IF;
END
$$;

CREATE FUNCTION app_current_organization_id() RETURNS TEXT
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT organization_id FROM pg_temp.app_scope LIMIT 1);
EXCEPTION WHEN undefined_table THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION app_current_user_id() RETURNS TEXT
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT user_id FROM pg_temp.app_scope LIMIT 1);
EXCEPTION WHEN undefined_table THEN
    RETURN NULL;
END
$$;

-- ---------------------------------------------------------------- enums

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

-- ---------------------------------------------------------------- organizations and users

CREATE TABLE organizations (
    id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('org') CHECK (id LIKE 'org\_%'),
    name TEXT NOT NULL,
    storytime JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER updated_at BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE PROCEDURE updated_at();
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_customer ON organizations TO app_customer
    USING (id = app_current_organization_id());

-- Seed 004's user, scoped to an organization.
CREATE TABLE users (
    user_id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('usr') CHECK (user_id LIKE 'usr\_%'),
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL DEFAULT 'managed_externally',
    first_name TEXT,
    last_name TEXT,
    profile_image_url TEXT,
    phone TEXT,
    stripe_customer_extid TEXT UNIQUE,
    credits_balance BIGINT NOT NULL DEFAULT 0,
    preferences JSONB,
    timezone TEXT,
    language_preference TEXT,
    user_type TEXT COLLATE "C" NOT NULL DEFAULT 'individual' REFERENCES user_type_enum(value),
    is_active BOOLEAN NOT NULL DEFAULT true,
    last_login_at TIMESTAMPTZ,
    storytime JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE PROCEDURE updated_at();
CREATE INDEX users_organization_id_idx ON users(organization_id);
CREATE INDEX users_user_type_idx ON users(user_type);
CREATE INDEX users_preferences_company_idx ON users ((preferences ->> 'company'));
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_customer ON users TO app_customer
    USING (organization_id = app_current_organization_id());

-- Seed 004's credit purchase; stripe_session_extid is the idempotency key.
CREATE TABLE transactions (
    transaction_id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('txn') CHECK (transaction_id LIKE 'txn\_%'),
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    stripe_session_extid TEXT NOT NULL UNIQUE,
    amount_paid_cents BIGINT NOT NULL CHECK (amount_paid_cents >= 0),
    credits_added BIGINT NOT NULL,
    storytime JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER updated_at BEFORE UPDATE ON transactions FOR EACH ROW EXECUTE PROCEDURE updated_at();
CREATE INDEX transactions_organization_id_idx ON transactions(organization_id);
CREATE INDEX transactions_user_id_idx ON transactions(user_id);
ALTER TABLE transactions ENABLE ROW LEVEL SECURITY;
CREATE POLICY transactions_customer ON transactions TO app_customer
    USING (organization_id = app_current_organization_id());

-- ---------------------------------------------------------------- events (seed 000)

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

-- ---------------------------------------------------------------- command bus (seed 001)

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

-- ---------------------------------------------------------------- grants for the customer role

GRANT USAGE ON SCHEMA public TO app_customer;
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, transactions TO app_customer;
GRANT SELECT ON user_type_enum, event_status_enum, command_status_enum, audit_event_type_enum TO app_customer;
GRANT EXECUTE ON FUNCTION app_current_organization_id(), app_current_user_id(), generate_id(TEXT) TO app_customer;
