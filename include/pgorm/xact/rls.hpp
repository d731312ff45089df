#pragma once
// The row-level-security kit: the server-side half of xact_tenant, for any schema.
//
// A tenant scope's identity (user id, organization id) travels as a *signed scope token* in
// the transaction-local setting `pgorm.scope`. Policies read it through pgorm_rls.user_id() and
// pgorm_rls.organization_id(), which return NULL unless the token's HMAC-SHA256 (RFC 2104) was
// made with the database's signing key, its expiry has not passed and its version is known. The
// key lives in a table only its owner can read; pgorm fetches it on the owner's (admin) login
// and signs tokens on the client. So a tenant that can send any SQL inside its scope can set,
// reset or discard every setting and temp object it likes: the only scopes it can ever enter are
// the ones it already holds a token for. docs/tenant-isolation.md has the whole threat model.
//
// Install with rls::install(scope) (idempotent, concurrency-safe), or ship rls::schema_sql() in
// a migration (pgorm-migrate: the line `-- migrate:install pgorm_rls`). Policies then look like
//   CREATE POLICY p ON t TO app_customer USING (org_id = (SELECT pgorm_rls.organization_id()));
// (the sub-select makes the check run once per statement, not once per row).

#include <pgorm/core/connection.hpp>
#include <pgorm/detail/linkage.hpp>
#include <pgorm/pool/options.hpp>

#include <pgorm/types/detail/durations.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace pgorm::rls {

/// The kit's schema version; install() upgrades an older one in place.
inline constexpr int schema_version = 2;

/// The setting that carries the scope token inside a tenant transaction.
inline constexpr std::string_view scope_setting = "pgorm.scope";

/// DDL of schema `pgorm_rls`. Re-runnable: every statement is CREATE ... IF NOT EXISTS or
/// CREATE OR REPLACE, and the signing key is made once (rotate with
/// `SELECT pgorm_rls.rotate_signing_key()`; pools fetch the new key on their next connection).
PGORM_DECL const std::string& schema_sql();

/// Creates or upgrades schema pgorm_rls on `s` (the schema owner's login). Safe from many
/// processes at once: a transaction-level advisory lock serialises the installers.
/// Throws pgorm::error subclasses for server errors (e.g. insufficient_privilege).
template <scope S>
void install(S& s) {
    connection& c = s.conn();
    const bool own_transaction = c.transaction_status() == PQTRANS_IDLE;
    if (own_transaction) c.execute_script("BEGIN");
    try {
        c.execute_script("SELECT pg_advisory_xact_lock(hashtext('pgorm_rls.install'))");
        c.execute_script(schema_sql());
        if (own_transaction) c.execute_script("COMMIT");
    } catch (...) {
        if (own_transaction && c.is_open()) {
            try { c.execute_script("ROLLBACK"); } catch (...) {}
        }
        throw;
    }
}

/// One table put under tenant isolation by enable_tenant_policy().
struct tenant_policy {
    /// The table, as PostgreSQL's regclass input reads it: `users`, `app.users`, `"Mixed Case"`.
    std::string table;
    /// The column that holds the row's organization (compared with pgorm_rls.organization_id()
    /// cast to the column's type, so an index on it serves the policy).
    std::string tenant_column;
    /// The role tenant scopes run as (pool_options::tenant_role).
    std::string tenant_role = default_tenant_role;
    /// FORCE ROW LEVEL SECURITY: the owner is under RLS too (sees every row outside a tenant
    /// scope, only the scope's tenant inside one). Off: the owner bypasses the policies.
    bool force = true;
};

namespace detail {

/// A string constant for SQL text (standard_conforming_strings, the default since PostgreSQL 9.1).
/// Throws usage_error for a NUL byte.
PGORM_DECL std::string sql_literal(std::string_view v);

}  // namespace detail

/// The statement that applies `p`, for migration tools that take SQL text: a call of
/// pgorm_rls.enable_tenant_policy(table regclass, tenant_column name, tenant_role name, force boolean)
/// (schema_sql() defines it). Throws usage_error for a name with a NUL byte.
PGORM_DECL std::string tenant_policy_sql(const tenant_policy& p);

namespace detail {

/// Runs f (a call of a kit function) and turns "no such schema / function" into a usage_error
/// that says what to install: the kit is missing, or older than version 2.
template <class F>
void calling_kit(F&& f) {
    try {
        f();
    } catch (const sql_error& e) {
        if (e.sqlstate() != "3F000" && e.sqlstate() != "42883") throw;  // invalid_schema_name, undefined_function
        throw usage_error("pgorm: the RLS kit (version 2 or later) is not installed in this database: run "
                          "pgorm::rls::install() or a migration with `-- migrate:install pgorm_rls` first (" +
                          std::string(e.what()) + ")");
    }
}

}  // namespace detail

/// Enables (and by default forces) row-level security on `p.table` with the tenant policies and
/// the tenant role's grants (the table; the sequences of its serial columns); re-runnable. Needs
/// the table's owner (or a superuser) and the kit installed. Throws usage_error when the kit is
/// missing or older than version 2, undefined_table (no such table), undefined_column (no such
/// tenant column), syntax_error_or_access_rule_violation for no such role (SQLSTATE 42704),
/// insufficient_privilege when the login may not call the kit's functions.
template <scope S>
void enable_tenant_policy(S& s, const tenant_policy& p) {
    detail::calling_kit([&] {
        s.conn().execute("SELECT pgorm_rls.enable_tenant_policy($1::text::regclass, $2::text::name, $3::text::name, $4)",
                         p.table, p.tenant_column, p.tenant_role, p.force);
    });
}

/// The statement that creates the tenant role and its login when missing, for migration tools.
/// Throws usage_error for a name with a NUL byte.
PGORM_DECL std::string tenant_roles_sql(std::string_view tenant_role = default_tenant_role,
                                        std::string_view tenant_login = default_tenant_login);

/// Creates the tenant role (NOLOGIN) and the login tenant scopes connect as (LOGIN, a member
/// of the role), each when missing. Roles are cluster-wide: another database may share them.
/// Throws usage_error when the kit is missing or older than version 2; insufficient_privilege
/// without CREATEROLE, or when an existing role is a superuser, has BYPASSRLS or the login is not
/// a member of the role.
template <scope S>
void create_tenant_roles(S& s, std::string_view tenant_role = default_tenant_role,
                         std::string_view tenant_login = default_tenant_login) {
    detail::calling_kit([&] {
        s.conn().execute("SELECT pgorm_rls.create_tenant_roles($1::text::name, $2::text::name)", tenant_role,
                         tenant_login);
    });
}

/// The 32-byte signing key, as read from pgorm_rls.signing_key.
struct signing_key {
    std::string bytes;
    bool empty() const noexcept { return bytes.empty(); }

    /// From 64 hex digits (SELECT encode(key, 'hex') FROM pgorm_rls.signing_key); throws
    /// config_error for anything else.
    static signing_key from_hex(std::string_view hex);
};

/// Reads the signing key on `c`, which must be able to read pgorm_rls.signing_key (the owner's
/// login). Throws usage_error when the kit is not installed, the key is not readable or the
/// table is empty, config_error for a stored key that is not 64 hex digits, sql_error (by
/// SQLSTATE, error.hpp), connection_lost.
PGORM_DECL signing_key fetch_signing_key(connection& c);

/// The token that opens the scope (user_id, organization_id) until `expires` (checked against
/// the transaction's start time, now()). Format and check: pgorm_rls.scope() in schema_sql().
/// Throws usage_error for a key that is not 32 bytes, pgorm::error when OpenSSL's HMAC fails.
PGORM_DECL std::string scope_token(const signing_key& key, std::string_view user_id, std::string_view organization_id,
                                   std::chrono::system_clock::time_point expires);

}  // namespace pgorm::rls

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/xact/impl/rls.ipp>
#endif
