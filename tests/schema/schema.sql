-- Squashed schema, written from the migrations by `pgorm-migrate dump`. Do not edit: write a
-- migration and dump again. `pgorm-migrate verify` checks this file against the migrations,
-- `pgorm-migrate check` against the schema conventions (docs/migrations.md).

SET check_function_bodies = false;

-- ---------------------------------------------------------------- library schema pgorm_rls (written by pgorm; -- migrate:install pgorm_rls)


CREATE SCHEMA IF NOT EXISTS pgorm_rls;
REVOKE ALL ON SCHEMA pgorm_rls FROM PUBLIC;
GRANT USAGE ON SCHEMA pgorm_rls TO PUBLIC;

-- One row: the key scope tokens are signed with, and its two HMAC pads (RFC 2104 section 2),
-- precomputed so that checking a token costs two sha256() calls. Nobody but the owner may read it.
CREATE TABLE IF NOT EXISTS pgorm_rls.signing_key (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    key bytea NOT NULL CHECK (length(key) = 32),
    inner_pad bytea NOT NULL,
    outer_pad bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON TABLE pgorm_rls.signing_key FROM PUBLIC;

CREATE TABLE IF NOT EXISTS pgorm_rls.version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
);
REVOKE ALL ON TABLE pgorm_rls.version FROM PUBLIC;

-- 32 bytes from the server's strong random source (gen_random_uuid() draws from
-- pg_strong_random; two version-4 UUIDs carry 244 random bits).
CREATE OR REPLACE FUNCTION pgorm_rls.rotate_signing_key() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k bytea := decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');
    block bytea := k || decode(repeat('00', 32), 'hex');  -- padded to SHA-256's 64-byte block
    ipad bytea := block;
    opad bytea := block;
BEGIN
    FOR i IN 0..63 LOOP
        ipad := set_byte(ipad, i, get_byte(block, i) # 54);   -- 0x36
        opad := set_byte(opad, i, get_byte(block, i) # 92);   -- 0x5c
    END LOOP;
    INSERT INTO pgorm_rls.signing_key (key, inner_pad, outer_pad) VALUES (k, ipad, opad)
    ON CONFLICT (singleton) DO UPDATE
        SET key = EXCLUDED.key, inner_pad = EXCLUDED.inner_pad, outer_pad = EXCLUDED.outer_pad,
            created_at = now();
END
$$;
REVOKE ALL ON FUNCTION pgorm_rls.rotate_signing_key() FROM PUBLIC;

-- The scope of the current transaction, or no row. Token: v1.<hex user>.<hex org>.<expiry, Unix
-- ms>.<hex HMAC-SHA256 over everything before the last dot>. Anything else, an expired token or
-- a wrong signature, is no scope at all (never an error: a tenant's garbage must not be a way
-- to probe the key).
CREATE OR REPLACE FUNCTION pgorm_rls.scope(OUT user_id text, OUT organization_id text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    token text := current_setting('pgorm.scope', true);
    part text[];
    pads record;
BEGIN
    IF token IS NULL OR token !~ '^v1\.([0-9a-f]{2})+\.([0-9a-f]{2})+\.[0-9]{1,15}\.[0-9a-f]{64}$' THEN
        RETURN;
    END IF;
    part := string_to_array(token, '.');
    IF now() > to_timestamp(part[4]::bigint / 1000.0) THEN
        RETURN;
    END IF;
    SELECT inner_pad, outer_pad INTO pads FROM pgorm_rls.signing_key;
    IF NOT FOUND OR sha256(pads.outer_pad || sha256(pads.inner_pad ||
           convert_to(part[1] || '.' || part[2] || '.' || part[3] || '.' || part[4], 'UTF8')))
           <> decode(part[5], 'hex') THEN
        RETURN;
    END IF;
    user_id := convert_from(decode(part[2], 'hex'), 'UTF8');
    organization_id := convert_from(decode(part[3], 'hex'), 'UTF8');
    RETURN NEXT;
END
$$;

-- The scope's user and organization (NULL outside a valid customer scope). STABLE: use them as
-- (SELECT pgorm_rls.organization_id()) in policies so the token is checked once per statement.
CREATE OR REPLACE FUNCTION pgorm_rls.user_id() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT user_id FROM pgorm_rls.scope() $$;
CREATE OR REPLACE FUNCTION pgorm_rls.organization_id() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT organization_id FROM pgorm_rls.scope() $$;

-- Version 2: the roles and the per-table policies, under names the caller chooses.

-- Creates the tenant role (NOLOGIN, under RLS) and the login tenant scopes connect as (a
-- member of the role), each when missing; refuses roles that would bypass RLS. Needs CREATEROLE.
CREATE OR REPLACE FUNCTION pgorm_rls.create_tenant_roles(tenant_role name, tenant_login name)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('pgorm_rls.create_tenant_roles'));
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = tenant_role) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', tenant_role);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = tenant_login) THEN
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT IN ROLE %I',
                       tenant_login, tenant_role);
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname IN (tenant_role, tenant_login) AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'pgorm_rls: role % or % is a superuser or has BYPASSRLS: row-level security would not apply',
            tenant_role, tenant_login USING ERRCODE = '42501';
    END IF;
    IF NOT pg_has_role(tenant_login, tenant_role, 'MEMBER') THEN
        RAISE EXCEPTION 'pgorm_rls: login % is not a member of role %', tenant_login, tenant_role
            USING ERRCODE = '42501';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION pgorm_rls.create_tenant_roles(name, name) FROM PUBLIC;

-- Puts `target` under tenant isolation: ENABLE ROW LEVEL SECURITY, a policy <table>_tenant that
-- lets `tenant_role` read and write only rows whose `tenant_column` equals the scope's
-- organization, and the grants the role needs (the table, and the sequences of its serial
-- columns). With `force` (FORCE ROW LEVEL SECURITY) the table's owner is under RLS too: a policy
-- <table>_owner lets it see every row outside a tenant scope and only the scope's tenant inside
-- one, so a scope opened on the owner's login cannot leak. Superusers and BYPASSRLS roles are
-- never under RLS (PostgreSQL docs, 5.8 Row Security Policies). Re-runnable: the policies are
-- replaced.
CREATE OR REPLACE FUNCTION pgorm_rls.enable_tenant_policy(target regclass, tenant_column name,
                                                         tenant_role name, force boolean DEFAULT true)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- The column's type without its modifier: a cast to varchar(n) would truncate the scope's
    -- organization id, and a truncated id can equal another tenant's.
    column_type text;
    table_name name;
    owner_role name;
    same_tenant text;
    seq regclass;
BEGIN
    SELECT format_type(a.atttypid, NULL) INTO column_type FROM pg_attribute a
     WHERE a.attrelid = target AND a.attname = tenant_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF column_type IS NULL THEN
        RAISE EXCEPTION 'pgorm_rls: table % has no column "%"', target, tenant_column USING ERRCODE = '42703';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = tenant_role) THEN
        RAISE EXCEPTION 'pgorm_rls: role "%" does not exist (pgorm_rls.create_tenant_roles makes it)',
            tenant_role USING ERRCODE = '42704';
    END IF;
    SELECT c.relname, pg_get_userbyid(c.relowner) INTO table_name, owner_role FROM pg_class c WHERE c.oid = target;
    -- The sub-select runs the token check once per statement, not once per row.
    same_tenant := format('%I = (SELECT pgorm_rls.organization_id())::%s', tenant_column, column_type);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %s', left(table_name, 55) || '_tenant', target);
    EXECUTE format('CREATE POLICY %I ON %s AS PERMISSIVE FOR ALL TO %I USING (%s) WITH CHECK (%s)',
                   left(table_name, 55) || '_tenant', target, tenant_role, same_tenant, same_tenant);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', target, tenant_role);
    -- A serial column's sequence needs its own grant for nextval() (an identity column's does not).
    FOR seq IN SELECT d.objid::regclass FROM pg_depend d JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'S'
                WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                  AND d.refobjid = target AND d.deptype = 'a' LOOP
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', seq, tenant_role);
    END LOOP;
    EXECUTE format('DROP POLICY IF EXISTS %I ON %s', left(table_name, 55) || '_owner', target);
    IF force THEN
        EXECUTE format('CREATE POLICY %I ON %s AS PERMISSIVE FOR ALL TO %I USING (%s) WITH CHECK (%s)',
                       left(table_name, 55) || '_owner', target, owner_role,
                       '(SELECT pgorm_rls.organization_id()) IS NULL OR ' || same_tenant,
                       '(SELECT pgorm_rls.organization_id()) IS NULL OR ' || same_tenant);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
    ELSE
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', target);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION pgorm_rls.enable_tenant_policy(regclass, name, name, boolean) FROM PUBLIC;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pgorm_rls.signing_key) THEN
        PERFORM pgorm_rls.rotate_signing_key();
    END IF;
END
$$;
INSERT INTO pgorm_rls.version VALUES (true, 2)
ON CONFLICT (singleton) DO UPDATE SET version = GREATEST(pgorm_rls.version.version, EXCLUDED.version);

-- ---------------------------------------------------------------- roles (cluster-wide: created only where missing)

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_customer') THEN
        CREATE ROLE app_customer NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
    END IF;
END
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_customer_login') THEN
        CREATE ROLE app_customer_login LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
    END IF;
END
$$;
GRANT app_customer TO app_customer_login;

-- ---------------------------------------------------------------- functions

CREATE OR REPLACE FUNCTION public.app_current_organization_id()
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$ SELECT pgorm_rls.organization_id() $function$;

CREATE OR REPLACE FUNCTION public.app_current_user_id()
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$ SELECT pgorm_rls.user_id() $function$;

CREATE OR REPLACE FUNCTION public.generate_id(prefix text)
 RETURNS text
 LANGUAGE sql
AS $function$
    SELECT prefix || '_' || replace(gen_random_uuid()::text, '-', '')
$function$;

CREATE OR REPLACE FUNCTION public.updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END
$function$;

-- ---------------------------------------------------------------- table audit_event_type_enum

CREATE TABLE audit_event_type_enum (
    value text COLLATE "C" NOT NULL,
    CONSTRAINT audit_event_type_enum_pkey PRIMARY KEY (value)
);
INSERT INTO audit_event_type_enum (value) VALUES
    ('COMPLETED'),
    ('FAILED'),
    ('MOVED_TO_TSQ'),
    ('OPERATOR_CANCEL'),
    ('OPERATOR_COMPLETE'),
    ('OPERATOR_RETRY'),
    ('RECEIVED'),
    ('RETRY_EXHAUSTED'),
    ('RETRY_SCHEDULED'),
    ('SENT');

-- ---------------------------------------------------------------- table command_audit

CREATE TABLE command_audit (
    id text COLLATE "C" DEFAULT generate_id('aud'::text) NOT NULL,
    domain text NOT NULL,
    command_id uuid NOT NULL,
    event_type text COLLATE "C" NOT NULL,
    ts timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    details_json jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT command_audit_id_check CHECK ((id ~~ 'aud\_%'::text)),
    CONSTRAINT command_audit_pkey PRIMARY KEY (id)
);

-- ---------------------------------------------------------------- table command_status_enum

CREATE TABLE command_status_enum (
    value text COLLATE "C" NOT NULL,
    CONSTRAINT command_status_enum_pkey PRIMARY KEY (value)
);
INSERT INTO command_status_enum (value) VALUES
    ('CANCELED'),
    ('COMPLETED'),
    ('FAILED'),
    ('IN_PROGRESS'),
    ('IN_TROUBLESHOOTING_QUEUE'),
    ('PENDING');

-- ---------------------------------------------------------------- table commands

CREATE TABLE commands (
    id text COLLATE "C" DEFAULT generate_id('cmd'::text) NOT NULL,
    domain text NOT NULL,
    command_id uuid NOT NULL,
    command_type text NOT NULL,
    status text COLLATE "C" DEFAULT 'PENDING'::text NOT NULL,
    attempts bigint DEFAULT 0 NOT NULL,
    max_attempts bigint DEFAULT 3 NOT NULL,
    msg_id bigint,
    reply_queue text,
    correlation_id uuid,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    last_error_code text,
    last_error_msg text,
    storytime jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT commands_domain_command_id_key UNIQUE (domain, command_id),
    CONSTRAINT commands_id_check CHECK ((id ~~ 'cmd\_%'::text)),
    CONSTRAINT commands_pkey PRIMARY KEY (id)
);

-- ---------------------------------------------------------------- table event_status_enum

CREATE TABLE event_status_enum (
    value text COLLATE "C" NOT NULL,
    CONSTRAINT event_status_enum_pkey PRIMARY KEY (value)
);
INSERT INTO event_status_enum (value) VALUES
    ('failed'),
    ('pending'),
    ('processed'),
    ('processing');

-- ---------------------------------------------------------------- table events

CREATE TABLE events (
    id text COLLATE "C" DEFAULT generate_id('evt'::text) NOT NULL,
    type text NOT NULL,
    source text NOT NULL,
    "timestamp" timestamp with time zone DEFAULT now() NOT NULL,
    payload jsonb NOT NULL,
    meta jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text COLLATE "C" DEFAULT 'pending'::text NOT NULL,
    retry_count bigint DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone,
    processed_at timestamp with time zone,
    storytime jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT events_id_check CHECK ((id ~~ 'evt\_%'::text)),
    CONSTRAINT events_pkey PRIMARY KEY (id)
);

-- ---------------------------------------------------------------- table organizations

CREATE TABLE organizations (
    id text COLLATE "C" DEFAULT generate_id('org'::text) NOT NULL,
    name text NOT NULL,
    storytime jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT organizations_id_check CHECK ((id ~~ 'org\_%'::text)),
    CONSTRAINT organizations_pkey PRIMARY KEY (id)
);

-- ---------------------------------------------------------------- table transactions

CREATE TABLE transactions (
    transaction_id text COLLATE "C" DEFAULT generate_id('txn'::text) NOT NULL,
    organization_id text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    stripe_session_extid text NOT NULL,
    amount_paid_cents bigint NOT NULL,
    credits_added bigint NOT NULL,
    storytime jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT transactions_amount_paid_cents_check CHECK ((amount_paid_cents >= 0)),
    CONSTRAINT transactions_pkey PRIMARY KEY (transaction_id),
    CONSTRAINT transactions_stripe_session_extid_key UNIQUE (stripe_session_extid),
    CONSTRAINT transactions_transaction_id_check CHECK ((transaction_id ~~ 'txn\_%'::text))
);

-- ---------------------------------------------------------------- table user_type_enum

CREATE TABLE user_type_enum (
    value text COLLATE "C" NOT NULL,
    CONSTRAINT user_type_enum_pkey PRIMARY KEY (value)
);
INSERT INTO user_type_enum (value) VALUES
    ('admin'),
    ('guest'),
    ('individual'),
    ('member');

-- ---------------------------------------------------------------- table users

CREATE TABLE users (
    user_id text COLLATE "C" DEFAULT generate_id('usr'::text) NOT NULL,
    organization_id text COLLATE "C" NOT NULL,
    email text NOT NULL,
    password_hash text DEFAULT 'managed_externally'::text NOT NULL,
    first_name text,
    last_name text,
    profile_image_url text,
    phone text,
    stripe_customer_extid text,
    credits_balance bigint DEFAULT 0 NOT NULL,
    preferences jsonb,
    timezone text,
    language_preference text,
    user_type text COLLATE "C" DEFAULT 'individual'::text NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    last_login_at timestamp with time zone,
    storytime jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_pkey PRIMARY KEY (user_id),
    CONSTRAINT users_stripe_customer_extid_key UNIQUE (stripe_customer_extid),
    CONSTRAINT users_user_id_check CHECK ((user_id ~~ 'usr\_%'::text))
);

-- ---------------------------------------------------------------- foreign keys

ALTER TABLE command_audit ADD CONSTRAINT command_audit_domain_command_id_fkey FOREIGN KEY (domain, command_id) REFERENCES commands(domain, command_id) ON DELETE CASCADE;
ALTER TABLE command_audit ADD CONSTRAINT command_audit_event_type_fkey FOREIGN KEY (event_type) REFERENCES audit_event_type_enum(value);
ALTER TABLE commands ADD CONSTRAINT commands_status_fkey FOREIGN KEY (status) REFERENCES command_status_enum(value);
ALTER TABLE events ADD CONSTRAINT events_status_fkey FOREIGN KEY (status) REFERENCES event_status_enum(value);
ALTER TABLE transactions ADD CONSTRAINT transactions_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE transactions ADD CONSTRAINT transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(user_id) ON DELETE CASCADE;
ALTER TABLE users ADD CONSTRAINT users_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE;
ALTER TABLE users ADD CONSTRAINT users_user_type_fkey FOREIGN KEY (user_type) REFERENCES user_type_enum(value);

-- ---------------------------------------------------------------- indexes

CREATE INDEX command_audit_command_idx ON public.command_audit USING btree (domain, command_id);
CREATE INDEX command_audit_event_type_idx ON public.command_audit USING btree (event_type);
CREATE INDEX commands_status_fk_idx ON public.commands USING btree (status);
CREATE INDEX commands_status_idx ON public.commands USING btree (domain, status, created_at);
CREATE INDEX events_pending_idx ON public.events USING btree ("timestamp") WHERE (status = 'pending'::text);
CREATE INDEX events_status_idx ON public.events USING btree (status);
CREATE INDEX events_type_idx ON public.events USING btree (type);
CREATE INDEX transactions_organization_id_idx ON public.transactions USING btree (organization_id);
CREATE INDEX transactions_user_id_idx ON public.transactions USING btree (user_id);
CREATE INDEX users_organization_id_idx ON public.users USING btree (organization_id);
CREATE INDEX users_preferences_company_idx ON public.users USING btree (((preferences ->> 'company'::text)));
CREATE INDEX users_user_type_idx ON public.users USING btree (user_type);

-- ---------------------------------------------------------------- triggers

CREATE TRIGGER updated_at BEFORE UPDATE ON public.command_audit FOR EACH ROW EXECUTE FUNCTION updated_at();
CREATE TRIGGER updated_at BEFORE UPDATE ON public.commands FOR EACH ROW EXECUTE FUNCTION updated_at();
CREATE TRIGGER updated_at BEFORE UPDATE ON public.events FOR EACH ROW EXECUTE FUNCTION updated_at();
CREATE TRIGGER updated_at BEFORE UPDATE ON public.organizations FOR EACH ROW EXECUTE FUNCTION updated_at();
CREATE TRIGGER updated_at BEFORE UPDATE ON public.transactions FOR EACH ROW EXECUTE FUNCTION updated_at();
CREATE TRIGGER updated_at BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION updated_at();

-- ---------------------------------------------------------------- row-level security

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
ALTER TABLE transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE transactions FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------- policies

CREATE POLICY organizations_owner ON organizations TO postgres
    USING (((( SELECT pgorm_rls.organization_id() AS organization_id) IS NULL) OR (id = ( SELECT pgorm_rls.organization_id() AS organization_id))))
    WITH CHECK (((( SELECT pgorm_rls.organization_id() AS organization_id) IS NULL) OR (id = ( SELECT pgorm_rls.organization_id() AS organization_id))));
CREATE POLICY organizations_tenant ON organizations TO app_customer
    USING ((id = ( SELECT pgorm_rls.organization_id() AS organization_id)))
    WITH CHECK ((id = ( SELECT pgorm_rls.organization_id() AS organization_id)));
CREATE POLICY transactions_owner ON transactions TO postgres
    USING (((( SELECT pgorm_rls.organization_id() AS organization_id) IS NULL) OR (organization_id = ( SELECT pgorm_rls.organization_id() AS organization_id))))
    WITH CHECK (((( SELECT pgorm_rls.organization_id() AS organization_id) IS NULL) OR (organization_id = ( SELECT pgorm_rls.organization_id() AS organization_id))));
CREATE POLICY transactions_tenant ON transactions TO app_customer
    USING ((organization_id = ( SELECT pgorm_rls.organization_id() AS organization_id)))
    WITH CHECK ((organization_id = ( SELECT pgorm_rls.organization_id() AS organization_id)));
CREATE POLICY users_owner ON users TO postgres
    USING (((( SELECT pgorm_rls.organization_id() AS organization_id) IS NULL) OR (organization_id = ( SELECT pgorm_rls.organization_id() AS organization_id))))
    WITH CHECK (((( SELECT pgorm_rls.organization_id() AS organization_id) IS NULL) OR (organization_id = ( SELECT pgorm_rls.organization_id() AS organization_id))));
CREATE POLICY users_tenant ON users TO app_customer
    USING ((organization_id = ( SELECT pgorm_rls.organization_id() AS organization_id)))
    WITH CHECK ((organization_id = ( SELECT pgorm_rls.organization_id() AS organization_id)));

-- ---------------------------------------------------------------- grants

GRANT USAGE ON SCHEMA public TO app_customer;
GRANT SELECT ON TABLE audit_event_type_enum TO app_customer;
GRANT SELECT ON TABLE command_status_enum TO app_customer;
GRANT SELECT ON TABLE event_status_enum TO app_customer;
GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE organizations TO app_customer;
GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE transactions TO app_customer;
GRANT SELECT ON TABLE user_type_enum TO app_customer;
GRANT DELETE, INSERT, SELECT, UPDATE ON TABLE users TO app_customer;
GRANT EXECUTE ON FUNCTION app_current_organization_id() TO app_customer;
GRANT EXECUTE ON FUNCTION app_current_user_id() TO app_customer;
GRANT EXECUTE ON FUNCTION generate_id(prefix text) TO app_customer;
