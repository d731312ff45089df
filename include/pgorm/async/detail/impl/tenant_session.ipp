#pragma once
// Bodies of async/detail/tenant_session.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/async/detail/tenant_session.hpp>

namespace pgorm::detail {

PGORM_DECL awaitable<void> reset_tenant_session(async_connection& c) {
    if (c.transaction_status() != PQTRANS_IDLE) co_await c.execute("ROLLBACK");
    for (const char* sql : async_tenant_reset) co_await c.execute(sql);
    if (c.transaction_status() != PQTRANS_IDLE)  // a tenant cannot get here: the reset ends every block
        throw connection_lost("pgorm: a tenant session is still inside a transaction after its reset");
}

PGORM_DECL awaitable<void> check_tenant_login_defaults(async_connection& c) {
    co_await c.execute("BEGIN");
    co_await c.execute("SET LOCAL statement_timeout = 0");  // such defaults may hold these two
    co_await c.execute("SET LOCAL lock_timeout = 0");
    auto found = co_await c.query_value<std::optional<std::string>>(
        "SELECT string_agg(s, ', ') FROM pg_catalog.pg_db_role_setting d, unnest(d.setconfig) s "
        "WHERE d.setrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = session_user) "
        "AND d.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))");
    auto login = co_await c.query_value<std::string>("SELECT session_user::text");
    co_await c.execute("COMMIT");
    if (found)
        throw usage_error("pgorm: the tenant login " + login + " has role-level defaults (" + *found +
                          "), which a tenant can write for its own login to reach later tenants' sessions; "
                          "remove them with ALTER ROLE ... RESET ALL (and find who wrote them)");
}

PGORM_DECL awaitable<void> refuse_tenant_login_defaults(async_connection& c) {
    for (int attempt = 1;; ++attempt) {
        std::string canceled;
        try {
            co_await check_tenant_login_defaults(c);
            co_return;
        } catch (const query_canceled& e) {
            canceled = e.what();
        }
        if (c.transaction_status() != PQTRANS_IDLE) {
            try {
                co_await c.execute("ROLLBACK");
            } catch (const error&) {
            }
        }
        if (attempt == 3)
            throw usage_error("pgorm: the tenant login's new sessions cancel statements at once (" + canceled +
                              "): a statement_timeout of a few milliseconds, which role-level defaults a tenant can "
                              "write for its own login (ALTER ROLE ... SET statement_timeout) give; remove them with "
                              "ALTER ROLE ... RESET ALL (and find who wrote them)");
    }
}

}  // namespace pgorm::detail
