-- Row-level security for organization-scoped tables: the customer role, the scope functions
-- that xact_tenant calls, the policies and the customer role's grants.
-- migrate:up
-- A customer transaction is scoped by pgorm's xact_tenant: it calls app_begin_customer_scope()
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

-- The login that customer scopes connect as (pool_options::tenant): not the owner, no
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

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_customer ON organizations TO app_customer
    USING (id = app_current_organization_id());
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_customer ON users TO app_customer
    USING (organization_id = app_current_organization_id());
ALTER TABLE transactions ENABLE ROW LEVEL SECURITY;
CREATE POLICY transactions_customer ON transactions TO app_customer
    USING (organization_id = app_current_organization_id());

GRANT USAGE ON SCHEMA public TO app_customer;
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, transactions TO app_customer;
GRANT SELECT ON user_type_enum, event_status_enum, command_status_enum, audit_event_type_enum TO app_customer;
GRANT EXECUTE ON FUNCTION app_current_organization_id(), app_current_user_id(), generate_id(TEXT) TO app_customer;

-- migrate:down
REVOKE ALL ON organizations, users, transactions FROM app_customer;
REVOKE ALL ON user_type_enum, event_status_enum, command_status_enum, audit_event_type_enum FROM app_customer;
REVOKE ALL ON FUNCTION generate_id(TEXT) FROM app_customer;
REVOKE USAGE ON SCHEMA public FROM app_customer;
DROP POLICY transactions_customer ON transactions;
DROP POLICY users_customer ON users;
DROP POLICY organizations_customer ON organizations;
ALTER TABLE transactions DISABLE ROW LEVEL SECURITY;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
ALTER TABLE organizations DISABLE ROW LEVEL SECURITY;
DROP FUNCTION app_current_user_id();
DROP FUNCTION app_current_organization_id();
DROP FUNCTION app_begin_customer_scope(TEXT, TEXT);
-- The app_customer and app_customer_login roles are cluster-wide and may serve other databases: they stay.
