-- The tenant policies come from pgorm's RLS kit (pgorm_rls.enable_tenant_policy, kit version 2)
-- instead of hand-written ones: one policy per table for the customer role, with the same check
-- in USING and WITH CHECK (a scope cannot write a row of another organization either), FORCE ROW
-- LEVEL SECURITY so the owner's login is under the policies too (it still sees every row outside a
-- customer scope), and the customer role's grants.
-- migrate:up
-- migrate:install pgorm_rls
DROP POLICY organizations_customer ON organizations;
DROP POLICY users_customer ON users;
DROP POLICY transactions_customer ON transactions;
SELECT pgorm_rls.enable_tenant_policy('organizations', 'id', 'app_customer');
SELECT pgorm_rls.enable_tenant_policy('users', 'organization_id', 'app_customer');
SELECT pgorm_rls.enable_tenant_policy('transactions', 'organization_id', 'app_customer');

-- migrate:down
DROP POLICY transactions_owner ON transactions;
DROP POLICY transactions_tenant ON transactions;
DROP POLICY users_owner ON users;
DROP POLICY users_tenant ON users;
DROP POLICY organizations_owner ON organizations;
DROP POLICY organizations_tenant ON organizations;
ALTER TABLE transactions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE organizations NO FORCE ROW LEVEL SECURITY;
CREATE POLICY organizations_customer ON organizations TO app_customer
    USING (id = (SELECT pgorm_rls.organization_id()));
CREATE POLICY users_customer ON users TO app_customer
    USING (organization_id = (SELECT pgorm_rls.organization_id()));
CREATE POLICY transactions_customer ON transactions TO app_customer
    USING (organization_id = (SELECT pgorm_rls.organization_id()));
