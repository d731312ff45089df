-- Customer scopes move from a session temp table to pgorm's RLS kit (schema pgorm_rls): the scope
-- is a signed token in a transaction-local setting, checked by pgorm_rls.organization_id() and
-- pgorm_rls.user_id(). The temp table could be dropped (DISCARD TEMP) and re-created by a tenant,
-- and could not be created at all in a read-only transaction (docs/tenant-isolation.md).
-- migrate:up
-- migrate:install pgorm_rls

DROP FUNCTION app_begin_customer_scope(TEXT, TEXT);

-- The application's names for the scope stay, for queries.sql and the application's own SQL.
CREATE OR REPLACE FUNCTION app_current_organization_id() RETURNS TEXT
LANGUAGE sql STABLE AS $$ SELECT pgorm_rls.organization_id() $$;
CREATE OR REPLACE FUNCTION app_current_user_id() RETURNS TEXT
LANGUAGE sql STABLE AS $$ SELECT pgorm_rls.user_id() $$;

-- The sub-select makes each policy check the token once per statement, not once per row.
ALTER POLICY organizations_customer ON organizations USING (id = (SELECT pgorm_rls.organization_id()));
ALTER POLICY users_customer ON users USING (organization_id = (SELECT pgorm_rls.organization_id()));
ALTER POLICY transactions_customer ON transactions
    USING (organization_id = (SELECT pgorm_rls.organization_id()));

-- migrate:down
ALTER POLICY transactions_customer ON transactions USING (organization_id = app_current_organization_id());
ALTER POLICY users_customer ON users USING (organization_id = app_current_organization_id());
ALTER POLICY organizations_customer ON organizations USING (id = app_current_organization_id());
CREATE OR REPLACE FUNCTION app_current_organization_id() RETURNS TEXT
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT organization_id FROM pg_temp.app_scope LIMIT 1);
EXCEPTION WHEN undefined_table THEN
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION app_current_user_id() RETURNS TEXT
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT user_id FROM pg_temp.app_scope LIMIT 1);
EXCEPTION WHEN undefined_table THEN
    RETURN NULL;
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
END
$$;
REVOKE ALL ON FUNCTION app_begin_customer_scope(TEXT, TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_begin_customer_scope(TEXT, TEXT) TO app_customer;
DROP SCHEMA pgorm_rls CASCADE;
