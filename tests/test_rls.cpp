// Row-level-security scopes: a tenant scope sees and changes only its organization's rows,
// cannot lift its own scope, and leaves nothing behind on the pooled connection.
#include "support.hpp"

#include <atomic>
#include <thread>

using namespace pgorm;
using pgorm_test::fresh_db;

namespace {

struct tenants {
    std::string org_a, org_b, user_a, user_b;
};

tenants seed(connection& c) {
    tenants t;
    t.org_a = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ('A') RETURNING id");
    t.org_b = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ('B') RETURNING id");
    t.user_a = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'a@a') RETURNING user_id", t.org_a);
    t.user_b = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'b@b') RETURNING user_id", t.org_b);
    c.execute("INSERT INTO transactions (organization_id, user_id, stripe_session_extid, amount_paid_cents, "
              "credits_added) VALUES ($1, $2, 'cs_a', 100, 1), ($3, $4, 'cs_b', 200, 2)",
              t.org_a, t.user_a, t.org_b, t.user_b);
    return t;
}

pool_options with_customer_login() {
    pool_options o;
    o.max_size = 1;  // one connection per login: every scope reuses the previous scope's session
    o.acquire_timeout = std::chrono::milliseconds(10000);
    o.tenant = tenant_login{};
    return o;
}

/// A valid scope token for (user, org), signed with the database's key (read on the owner's login).
std::string token_for(connection& admin, const std::string& user, const std::string& org) {
    return rls::scope_token(rls::fetch_signing_key(admin), user, org,
                            std::chrono::system_clock::now() + std::chrono::minutes(1));
}

std::vector<std::string> visible(connection& c, const char* table, const char* column) {
    return c.query<std::string>(std::string("SELECT ") + column + " FROM " + table + " ORDER BY 1");
}

}  // namespace

TEST_CASE("a tenant scope reads and changes only its organization's rows", "[rls]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), with_customer_login());

    auto q = p.xact_tenant(t.user_a, t.org_a);
    auto& c = q.conn();
    CHECK(visible(c, "organizations", "id") == std::vector<std::string>{t.org_a});
    CHECK(visible(c, "users", "user_id") == std::vector<std::string>{t.user_a});
    CHECK(visible(c, "transactions", "stripe_session_extid") == std::vector<std::string>{"cs_a"});
    CHECK(c.query_value<std::string>("SELECT app_current_user_id()") == t.user_a);

    // Another organization's rows can be neither changed nor deleted nor created.
    CHECK(c.execute("UPDATE users SET first_name = 'x' WHERE user_id = $1", t.user_b).affected_rows() == 0);
    CHECK(c.execute("DELETE FROM transactions WHERE organization_id = $1", t.org_b).affected_rows() == 0);
    CHECK(c.execute("UPDATE users SET first_name = 'mine' WHERE user_id = $1", t.user_a).affected_rows() == 1);
    {
        auto sp = q.savepoint();
        CHECK_THROWS_AS(sp.conn().execute("INSERT INTO users (organization_id, email) VALUES ($1, 'x@b')", t.org_b),
                        insufficient_privilege);
    }
    {
        auto sp = q.savepoint();  // nor moved into it
        CHECK_THROWS_AS(sp.conn().execute("UPDATE users SET organization_id = $1 WHERE user_id = $2", t.org_b, t.user_a),
                        insufficient_privilege);
    }
    q.commit();

    CHECK(admin.query_value<std::string>("SELECT coalesce(first_name, '') FROM users WHERE user_id = $1", t.user_b) == "");
    CHECK(admin.query_value<std::string>("SELECT first_name FROM users WHERE user_id = $1", t.user_a) == "mine");
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM transactions") == 2);

    p.transact_tenant(t.user_b, t.org_b, [&](xact& s) {
        CHECK(visible(s.conn(), "users", "email") == std::vector<std::string>{"b@b"});
    });
}

TEST_CASE("a tenant scope cannot lift itself with RESET ROLE, set_config or a second scope", "[rls]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), with_customer_login());

    auto q = p.xact_tenant(t.user_a, t.org_a);
    auto& c = q.conn();
    CHECK(c.query_value<std::string>("SELECT current_user::text") == "app_customer");

    c.execute_script("RESET ROLE");  // lands on the tenant login, which is still under RLS
    CHECK(c.query_value<std::string>("SELECT current_user::text") == "app_customer_login");
    CHECK(visible(c, "organizations", "id") == std::vector<std::string>{t.org_a});
    CHECK(visible(c, "users", "user_id") == std::vector<std::string>{t.user_a});

    c.execute("SELECT set_config('app.organization_id', $1, true)", t.org_b);
    c.execute("SELECT set_config('app.organization_id', $1, false)", t.org_b);
    CHECK(visible(c, "organizations", "id") == std::vector<std::string>{t.org_a});

    {
        auto sp = q.savepoint();  // an unsigned or forged token is no scope at all
        sp.conn().execute("SELECT set_config('pgorm.scope', $1, true)", "v1.00.00.99999999999999.00");
        CHECK(visible(sp.conn(), "users", "user_id").empty());
        sp.rollback();
    }
    {
        auto sp = q.savepoint();
        CHECK_THROWS_AS(sp.conn().execute_script("SET ROLE postgres"), insufficient_privilege);
    }
    {
        auto sp = q.savepoint();
        CHECK_THROWS_AS(sp.conn().execute_script("SET SESSION AUTHORIZATION postgres"), insufficient_privilege);
    }
    {
        auto sp = q.savepoint();
        CHECK_THROWS_AS(sp.conn().execute_script("SELECT key FROM pgorm_rls.signing_key"), insufficient_privilege);
    }
    {
        auto sp = q.savepoint();
        CHECK_THROWS_AS(sp.conn().execute_script("ALTER TABLE users DISABLE ROW LEVEL SECURITY"), insufficient_privilege);
    }
    CHECK(visible(c, "users", "user_id") == std::vector<std::string>{t.user_a});
}

TEST_CASE("SET LOCAL ROLE on the owner's login alone is escapable, which is why scopes use a tenant login",
          "[rls]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    std::string token = token_for(admin, t.user_a, t.org_a);
    xact q(admin);
    admin.execute("SELECT set_config('pgorm.scope', $1, true)", token);
    admin.execute_script("SET LOCAL ROLE app_customer");
    CHECK(visible(admin, "organizations", "id").size() == 1);
    admin.execute_script("RESET ROLE");
    CHECK(visible(admin, "organizations", "id").size() == 2);  // the hole the tenant login closes
}

TEST_CASE("nothing of a tenant scope survives into the next use of the pooled connection", "[rls]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), with_customer_login());
    int pid = p.acquire_tenant()->backend_pid();

    auto check_clean = [&] {
        auto h = p.acquire_tenant();
        REQUIRE(h->backend_pid() == pid);  // the very session the scope used
        CHECK(h->transaction_status() == PQTRANS_IDLE);
        CHECK(h->query_value<std::string>("SELECT current_user::text") == "app_customer_login");
        CHECK_FALSE(h->query_value<std::optional<std::string>>("SELECT app_current_organization_id()").has_value());
        CHECK_FALSE(h->query_value<std::optional<std::string>>("SELECT app_current_user_id()").has_value());
        CHECK(h->query_value<std::string>("SELECT coalesce(current_setting('app.organization_id', true), '')") == "");
        CHECK(h->query_value<std::string>("SELECT coalesce(current_setting('app.other', true), '')") == "");
        CHECK_FALSE(h->query_value<std::optional<std::string>>("SELECT to_regclass('pg_temp.users')::text").has_value());
        CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM organizations") == 0);  // no scope: no rows
        // The next scope is exactly the one asked for.
        auto next = xact::tenant(std::move(h), p.signing_key(), t.user_b, t.org_b);
        CHECK(visible(next.conn(), "organizations", "id") == std::vector<std::string>{t.org_b});
    };

    SECTION("after commit") {
        auto q = p.xact_tenant(t.user_a, t.org_a);
        q.conn().execute_script("SET app.other = 'x'");
        // A temp table named like a real one would shadow it for the session's next tenant.
        q.conn().execute_script("CREATE TEMP TABLE users AS SELECT * FROM public.users");
        q.commit();
        check_clean();
    }
    SECTION("after rollback") {
        auto q = p.xact_tenant(t.user_a, t.org_a);
        q.conn().execute_script("RESET ROLE");
        q.rollback();
        check_clean();
    }
    SECTION("after an exception") {
        CHECK_THROWS_AS(p.transact_tenant(t.user_a, t.org_a,
                                            [](xact& q) {
                                                q.conn().execute_script("RESET ROLE");
                                                throw std::runtime_error("boom");
                                            }),
                        std::runtime_error);
        check_clean();
    }
    SECTION("after a failed statement") {
        CHECK_THROWS_AS(p.transact_tenant(t.user_a, t.org_a,
                                            [](xact& q) { q.conn().execute_script("SELECT * FROM no_such_table"); }),
                        undefined_table);
        check_clean();
    }
    SECTION("after the scope's connection was returned mid-transaction") {
        auto h = p.acquire_tenant();
        h->execute_script("BEGIN");
        h->execute("SELECT set_config('pgorm.scope', $1, true)", token_for(admin, t.user_a, t.org_a));
        h->execute_script("SET LOCAL ROLE app_customer");
        h.release();
        check_clean();
    }
}

TEST_CASE("a tenant scope needs both ids", "[rls]") {
    fresh_db db;
    pool p(db.url(), with_customer_login());
    CHECK_THROWS_WITH(p.xact_tenant("", "org_1"), Catch::Contains("needs a user id and an organization id"));
    CHECK_THROWS_AS(p.xact_tenant("usr_1", ""), usage_error);
    CHECK(p.tenant_stats().in_use == 0);
}

TEST_CASE("the RLS kit scopes a schema of the user's own, installed from many threads at once", "[rls][kit]") {
    pgorm_test::empty_db db;
    {
        pool p(db.url(), with_customer_login());
        CHECK_THROWS_WITH(p.xact_tenant("usr_1", "org_1"), Catch::Contains("rls::install"));
    }
    std::vector<std::thread> installers;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i)
        installers.emplace_back([&] {
            try {
                auto c = db.connect();
                rls::install(c);
            } catch (...) {
                ++failures;
            }
        });
    for (auto& th : installers) th.join();
    CHECK(failures == 0);
    auto admin = db.connect();
    rls::install(admin);  // and once more: idempotent
    CHECK(admin.query_value<std::int32_t>("SELECT version FROM pgorm_rls.version") == rls::schema_version);
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM pgorm_rls.signing_key") == 1);
    admin.execute_script(R"(
        CREATE TABLE notes (tenant text NOT NULL, body text NOT NULL);
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY notes_tenant ON notes TO app_customer
            USING (tenant = (SELECT pgorm_rls.organization_id()));
        GRANT SELECT, INSERT ON notes TO app_customer;
        INSERT INTO notes VALUES ('t1', 'one'), ('t2', 'two');)");
    pool p(db.url(), with_customer_login());
    CHECK(p.transact_tenant("u1", "t1", [](xact& q) { return visible(q.conn(), "notes", "body"); }) ==
          std::vector<std::string>{"one"});
    CHECK(p.transact_tenant("u2", "t2", [](xact& q) {
        return q.conn().query_value<std::string>("SELECT pgorm_rls.user_id()");
    }) == "u2");

    // A pool may be given the key instead of reading it (an admin login that is not the owner).
    pool_options o = with_customer_login();
    o.scope_signing_key_hex = admin.query_value<std::string>("SELECT encode(key, 'hex') FROM pgorm_rls.signing_key");
    pool given(db.url(), o);
    CHECK(given.transact_tenant("u1", "t1", [](xact& q) { return visible(q.conn(), "notes", "body"); }) ==
          std::vector<std::string>{"one"});
    o.scope_signing_key_hex = "not hex";
    pool bad(db.url(), o);
    CHECK_THROWS_AS(bad.xact_tenant("u1", "t1"), config_error);
}
