#pragma once
// Bodies of xact/rls.hpp: the kit's DDL, the SQL text helpers, and scope token signing, the one
// user of OpenSSL's HMAC in pgorm (so with PGORM_SEPARATE_COMPILATION no other translation unit
// includes OpenSSL's headers). Included at the end of the header (header-only) or by
// <pgorm/src.hpp>.

#include <pgorm/types/string.hpp>
#include <pgorm/xact/rls.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

namespace pgorm::rls {

PGORM_DECL const std::string& schema_sql() {
    static const std::string sql = R"sql(
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
)sql";
    return sql;
}

namespace detail {

PGORM_DECL std::string sql_literal(std::string_view v) {
    if (v.find('\0') != std::string_view::npos) throw usage_error("pgorm: an SQL name cannot contain a NUL byte");
    std::string out = "'";
    for (char ch : v) {
        if (ch == '\'') out += '\'';
        out += ch;
    }
    return out + "'";
}

// Lower-case hex digits of `bytes`, appended to `out`.
inline void append_hex(std::string& out, std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
}

}  // namespace detail

PGORM_DECL std::string tenant_policy_sql(const tenant_policy& p) {
    return "SELECT pgorm_rls.enable_tenant_policy(" + detail::sql_literal(p.table) + "::regclass, " +
           detail::sql_literal(p.tenant_column) + ", " + detail::sql_literal(p.tenant_role) + ", " +
           (p.force ? "true" : "false") + ");";
}

PGORM_DECL std::string tenant_roles_sql(std::string_view tenant_role, std::string_view tenant_login) {
    return "SELECT pgorm_rls.create_tenant_roles(" + detail::sql_literal(tenant_role) + ", " +
           detail::sql_literal(tenant_login) + ");";
}

PGORM_DECL signing_key signing_key::from_hex(std::string_view hex) {
    auto nibble = [](char ch) -> int {
        if (ch >= '0' && ch <= '9') return ch - '0';
        if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
        return -1;
    };
    signing_key k;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) break;
        k.bytes.push_back(static_cast<char>(hi * 16 + lo));
    }
    if (hex.size() != 64 || k.bytes.size() != 32)
        throw config_error("pgorm: an RLS signing key is 64 hex digits (32 bytes), got " + std::to_string(hex.size()) +
                           " characters");
    return k;
}

PGORM_DECL signing_key fetch_signing_key(connection& c) {
    std::string hex;
    try {
        hex = c.query_value<std::string>("SELECT encode(key, 'hex') FROM pgorm_rls.signing_key");
    } catch (const undefined_table&) {
        throw usage_error(
            "pgorm: tenant scopes need the RLS kit in the database: run pgorm::rls::install() "
            "or a migration with `-- migrate:install pgorm_rls` (docs/tenant-isolation.md)");
    } catch (const insufficient_privilege&) {
        throw usage_error(
            "pgorm: the admin login cannot read pgorm_rls.signing_key, so it cannot sign tenant "
            "scopes: use the schema owner's login, or set tenant_login::signing_key");
    } catch (const not_found&) {
        throw usage_error("pgorm: pgorm_rls.signing_key is empty: SELECT pgorm_rls.rotate_signing_key()");
    }
    return signing_key::from_hex(hex);
}

PGORM_DECL std::string scope_token(const signing_key& key, std::string_view user_id, std::string_view organization_id,
                                   std::chrono::system_clock::time_point expires) {
    if (key.bytes.size() != 32) throw usage_error("pgorm: an RLS signing key has 32 bytes");
    std::string token = "v1.";
    detail::append_hex(token, user_id);
    token += '.';
    detail::append_hex(token, organization_id);
    token += '.';
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(expires.time_since_epoch()).count();
    token += std::to_string(ms < 0 ? 0 : ms);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    if (!HMAC(EVP_sha256(), key.bytes.data(), static_cast<int>(key.bytes.size()),
              reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &mac_size))
        throw error("pgorm: HMAC-SHA256 failed (OpenSSL)");
    token += '.';
    detail::append_hex(token, std::string_view(reinterpret_cast<const char*>(mac), mac_size));
    return token;
}

}  // namespace pgorm::rls
