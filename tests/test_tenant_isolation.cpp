// The adversarial suite (CTest label "adversarial"): tenant A sends arbitrary SQL inside its own
// tenant scope and tries to see or change tenant B's rows, now or in B's later scopes, on the
// same pooled session and on others. docs/tenant-isolation.md lists every attempt made here.
#include "schema/models.hpp"
#include "support.hpp"

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
        "INSERT INTO users (organization_id, email) VALUES ($1, 'a@a.test') RETURNING user_id", t.org_a);
    t.user_b = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'secret-b@b.test') RETURNING user_id", t.org_b);
    c.execute("INSERT INTO transactions (organization_id, user_id, stripe_session_extid, amount_paid_cents, "
              "credits_added) VALUES ($1, $2, 'cs_a', 100, 1), ($3, $4, 'cs_b', 200, 2)",
              t.org_a, t.user_a, t.org_b, t.user_b);
    return t;
}

pool_options one_session() {
    pool_options o;
    o.max_size = 1;  // every scope reuses the previous tenant's server session
    o.acquire_timeout = std::chrono::milliseconds(10000);
    o.tenant = tenant_login{};
    return o;
}

std::string lit(const std::string& v) {
    std::string out = "'";
    for (char ch : v) out += ch == '\'' ? std::string("''") : std::string(1, ch);
    return out + "'";
}

std::vector<std::string> emails(connection& c) { return c.query<std::string>("SELECT email FROM users ORDER BY 1"); }

/// What B's scope must see, exactly: its own rows and nothing of A's.
void check_b_sees_only_b(pool& p, const tenants& t) {
    p.transact_tenant(t.user_b, t.org_b, [&](xact& q) {
        CHECK(emails(q.conn()) == std::vector<std::string>{"secret-b@b.test"});
        CHECK(q.conn().query<std::string>("SELECT id FROM organizations") == std::vector<std::string>{t.org_b});
        CHECK(repository<app::User>{q}.count() == 1);
        CHECK(q.conn().query_value<std::string>("SELECT app_current_organization_id()") == t.org_b);
    });
}

/// A's scope must never see B's rows.
void check_a_blind(connection& c, const tenants& t) {
    for (const auto& e : emails(c)) CHECK(e != "secret-b@b.test");
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM organizations WHERE id = $1", t.org_b) == 0);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM transactions WHERE organization_id = $1", t.org_b) == 0);
}

/// Runs one hostile statement in a savepoint; whether the server accepts it or not, the scope
/// must stay A's. Returns whether the server accepted it.
bool attempt(xact& q, const std::string& sql, const tenants& t) {
    bool accepted = true;
    {
        auto sp = q.savepoint();
        try {
            sp.conn().execute_script(sql);
            check_a_blind(sp.conn(), t);
            sp.commit();
        } catch (const pgorm::error&) {
            accepted = false;
        }
    }
    check_a_blind(q.conn(), t);
    return accepted;
}

/// Drops role-level defaults a test gave the tenant login (roles are cluster-wide).
struct login_defaults_cleanup {
    connection& admin;
    ~login_defaults_cleanup() {
        try {
            admin.execute_script("ALTER ROLE app_customer_login RESET ALL");
            admin.execute_script("DO $$ BEGIN EXECUTE format('ALTER ROLE app_customer_login IN DATABASE %I RESET ALL', "
                       "current_database()); END $$");
        } catch (...) {
        }
    }
};

}  // namespace

TEST_CASE("a statement A prepares under pgorm's name never runs in B's scope", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), one_session());
    listener spy(db.url());
    spy.listen("leak");

    {
        auto q = p.xact_tenant(t.user_a, t.org_a);
        auto& c = q.conn();
        CHECK(repository<app::User>{q}.count() == 1);
        // Tenant connections send unnamed statements, so there is no pgorm statement to find;
        // A plants poisoned ones under every name pgorm would use, and under any it can see.
        auto names = c.query<std::string>("SELECT name FROM pg_prepared_statements");
        for (const auto& name : names) c.execute_script("DEALLOCATE " + c.quote_identifier(name));
        for (int i = 0; i < 64; ++i) names.push_back("pgorm_" + std::to_string(i));
        for (const auto& name : names) {
            c.execute_script("PREPARE " + c.quote_identifier(name) +
                   " AS SELECT count(*) FROM users, LATERAL (SELECT pg_notify('leak', email)) n");
        }
        c.execute_script("PREPARE a_stmt AS SELECT email FROM users");
        q.commit();
    }
    check_b_sees_only_b(p, t);
    while (auto n = spy.wait(std::chrono::milliseconds(200))) CHECK(n->payload != "secret-b@b.test");
    auto h = p.acquire_tenant();
    CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements WHERE from_sql") == 0);
}

TEST_CASE("DISCARD, RESET, settings and temp objects cannot re-scope a transaction", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), one_session());
    std::string b_token = rls::scope_token(rls::signing_key::from_hex(std::string(64, '7')), t.user_b, t.org_b,
                                           std::chrono::system_clock::now() + std::chrono::minutes(5));

    auto q = p.xact_tenant(t.user_a, t.org_a);
    const std::string a_token = q.conn().query_value<std::string>("SELECT current_setting('pgorm.scope')");
    // The token is A's; every piece of it that names a tenant is covered by the signature.
    std::string swapped = a_token;
    auto dot = swapped.find('.', 3);
    swapped = "v1." + [&] {
        std::string hex;
        for (unsigned char ch : t.user_b) {
            static const char d[] = "0123456789abcdef";
            hex += d[ch >> 4];
            hex += d[ch & 15];
        }
        return hex;
    }() + swapped.substr(dot);
    std::string far_future = a_token;
    far_future.replace(far_future.rfind('.', far_future.rfind('.') - 1) + 1, 13, "9999999999999");

    std::vector<std::string> attempts = {
        "DISCARD TEMP",
        "DISCARD PLANS",
        "DISCARD SEQUENCES",
        "RESET ALL",
        "RESET ROLE",
        "RESET pgorm.scope",
        "SET LOCAL pgorm.scope = ''",
        "SET pgorm.scope = 'v1.00.00.1.00'",
        "SET LOCAL pgorm.scope = " + lit(b_token),     // signed with the wrong key
        "SET LOCAL pgorm.scope = " + lit(swapped),     // A's signature, B's user id
        "SET LOCAL pgorm.scope = " + lit(far_future),  // A's signature, a later expiry
        "SELECT set_config('app.organization_id', " + lit(t.org_b) + ", true)",
        "CREATE TEMP TABLE app_scope (user_id text, organization_id text)",
        "CREATE FUNCTION pg_temp.organization_id() RETURNS text LANGUAGE sql AS $$ SELECT " +
            lit(t.org_b) + " $$",
        "SET LOCAL search_path = pg_temp, pgorm_rls, public",
        "CREATE TEMP VIEW users AS SELECT * FROM public.users",
        "SELECT app_begin_customer_scope(" + lit(t.user_b) + ", " + lit(t.org_b) + ")",
        "SELECT pgorm_rls.rotate_signing_key()",
        "SELECT key FROM pgorm_rls.signing_key",
        "UPDATE pgorm_rls.signing_key SET key = key",
        "CREATE SCHEMA evil",
        "CREATE FUNCTION public.organization_id() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$",
        "ALTER POLICY users_tenant ON users USING (true)",
        "ALTER TABLE users NO FORCE ROW LEVEL SECURITY",
        "SET LOCAL row_security = off",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "GRANT app_customer TO PUBLIC",
        "ALTER ROLE app_customer_login BYPASSRLS",
        "SET LOCAL ROLE app_customer_login",
    };
    for (const auto& sql : attempts) {
        INFO(sql);
        attempt(q, sql, t);
    }
    // All at once, in one transaction, in the order of issue #10's second input.
    q.conn().execute_script("DISCARD TEMP");
    q.conn().execute_script("CREATE TEMP TABLE app_scope (user_id text, organization_id text)");
    q.conn().execute("INSERT INTO pg_temp.app_scope VALUES ($1, $2)", t.user_b, t.org_b);
    check_a_blind(q.conn(), t);
    CHECK_THROWS_AS(q.conn().execute("SELECT app_begin_customer_scope($1, $2)", t.user_b, t.org_b), pgorm::error);
    q.rollback();
    check_b_sees_only_b(p, t);
}

TEST_CASE("COMMIT and BEGIN inside a scope leave the tenant with no scope, or its own", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), one_session());

    auto q = p.xact_tenant(t.user_a, t.org_a);
    auto& c = q.conn();
    const std::string a_token = c.query_value<std::string>("SELECT current_setting('pgorm.scope')");
    c.execute_script("COMMIT");
    c.execute_script("BEGIN");
    CHECK(emails(c).empty());  // the scope ended with the transaction that had it
    CHECK_THROWS_AS(c.execute("SELECT app_begin_customer_scope($1, $2)", t.user_b, t.org_b), pgorm::error);
    c.execute_script("ROLLBACK");
    c.execute_script("BEGIN");
    c.execute("SELECT set_config('pgorm.scope', $1, true)", a_token);  // a copy of its own token: its own rows
    CHECK(emails(c) == std::vector<std::string>{"a@a.test"});
    check_a_blind(c, t);
    c.execute_script("COMMIT");
    // Outside any transaction block, statement by statement (autocommit).
    CHECK(emails(c).empty());
    c.execute("SELECT set_config('pgorm.scope', $1, false)", a_token);
    check_a_blind(c, t);
    q.commit();
    check_b_sees_only_b(p, t);
    auto h = p.acquire_tenant();
    CHECK(h->query_value<std::string>("SELECT coalesce(current_setting('pgorm.scope', true), '')") == "");
}

TEST_CASE("an expired token opens nothing", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    auto key = rls::fetch_signing_key(admin);
    auto customer = connection(detail::with_login(config::from_url(db.url()), tenant_login{}));
    customer.execute_script("BEGIN");
    customer.execute("SELECT set_config('pgorm.scope', $1, true)",
                     rls::scope_token(key, t.user_a, t.org_a, std::chrono::system_clock::now() - std::chrono::seconds(1)));
    CHECK(emails(customer).empty());
    customer.execute("SELECT set_config('pgorm.scope', $1, true)",
                     rls::scope_token(key, t.user_a, t.org_a, std::chrono::system_clock::now() + std::chrono::minutes(1)));
    CHECK(emails(customer) == std::vector<std::string>{"a@a.test"});
    customer.execute_script("ROLLBACK");
    // A rotated key voids every token signed before it.
    admin.execute_script("SELECT pgorm_rls.rotate_signing_key()");
    customer.execute_script("BEGIN");
    customer.execute("SELECT set_config('pgorm.scope', $1, true)",
                     rls::scope_token(key, t.user_a, t.org_a, std::chrono::system_clock::now() + std::chrono::minutes(1)));
    CHECK(emails(customer).empty());
    customer.execute_script("ROLLBACK");
}

TEST_CASE("nothing a tenant leaves in its session reaches the next tenant", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), one_session());
    const int pid = p.acquire_tenant()->backend_pid();
    {
        auto q = p.xact_tenant(t.user_a, t.org_a);
        auto& c = q.conn();
        c.execute_script("SET search_path = pg_temp, public");  // session level: outlives the transaction
        c.execute_script("CREATE TEMP TABLE users AS SELECT * FROM public.users");
        c.execute_script("CREATE FUNCTION pg_temp.app_current_organization_id() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$");
        c.execute_script("DECLARE held CURSOR WITH HOLD FOR SELECT email FROM users");
        c.execute_script("LISTEN tenant_b_events");
        c.execute_script("SELECT pg_advisory_lock(42)");
        c.execute_script("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
        c.execute("SELECT set_config('pgorm.scope', current_setting('pgorm.scope'), false)");
        c.execute_script("CREATE TEMP SEQUENCE counter START 4242");
        c.execute_script("SELECT nextval('counter')");  // lastval() would tell the next tenant 4242
        // Long enough never to fire here: a 1 ms timeout could cancel the pool's own reset, which
        // then (by design) closes the connection, and the next checkout would be a new backend.
        c.execute_script("SET statement_timeout = 4242");
        c.execute_script("PREPARE left_behind AS SELECT 1");
        q.commit();
    }
    {
        auto h = p.acquire_tenant();
        REQUIRE(h->backend_pid() == pid);
        CHECK(h->cached_statements() == 0);  // the client's cache went with the server's statements
        CHECK(h->query_value<std::string>("SELECT current_setting('search_path')") == "\"$user\", public");
        CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM pg_cursors WHERE name = 'held'") == 0);
        CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM pg_listening_channels()") == 0);
        CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = "
                                           "pg_backend_pid()") == 0);
        CHECK(h->query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements WHERE from_sql") == 0);
        CHECK_FALSE(h->query_value<std::optional<std::string>>("SELECT to_regclass('pg_temp.users')::text"));
        CHECK(h->query_value<std::string>("SELECT current_setting('default_transaction_read_only')") == "off");
        CHECK(h->query_value<std::string>("SELECT current_setting('statement_timeout')") != "4242ms");
        CHECK(h->query_value<std::string>("SELECT coalesce(current_setting('pgorm.scope', true), '')") == "");
        CHECK_FALSE(h->query_value<std::optional<std::string>>("SELECT pgorm_rls.organization_id()"));
        CHECK_THROWS_AS(h->query_value<std::int64_t>("SELECT lastval()"), sql_error);
    }
    check_b_sees_only_b(p, t);
    p.transact_tenant(t.user_b, t.org_b, [&](xact& q) {
        repository<app::User> users{q};
        auto u = users.find_one(filter<app::User>{}).value();  // a write works: not read-only
        u.first_name = "b";
        users.update(u);
    });
}

TEST_CASE("a tenant's role-level defaults for its own login are refused, not applied", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    login_defaults_cleanup cleanup{admin};
    {
        pool p(db.url(), one_session());
        auto q = p.xact_tenant(t.user_a, t.org_a);
        q.conn().execute_script("RESET ROLE");  // back to the login, which may ALTER ROLE itself ... SET
        q.conn().execute_script("ALTER ROLE app_customer_login SET search_path = pg_temp, public");
        q.commit();
    }
    pool fresh(db.url(), one_session());  // a new session is the one such defaults would reach
    CHECK_THROWS_WITH(fresh.xact_tenant(t.user_b, t.org_b),
                      Catch::Contains("role-level defaults") && Catch::Contains("search_path"));
    admin.execute_script("ALTER ROLE app_customer_login RESET ALL");
    {
        pool p(db.url(), one_session());
        auto q = p.xact_tenant(t.user_a, t.org_a);
        q.conn().execute_script("RESET ROLE");
        q.conn().execute_script("DO $$ BEGIN EXECUTE format('ALTER ROLE app_customer_login IN DATABASE %I SET "
                      "statement_timeout = 1', current_database()); END $$");
        q.commit();
    }
    pool again(db.url(), one_session());
    CHECK_THROWS_WITH(again.xact_tenant(t.user_b, t.org_b), Catch::Contains("statement_timeout"));
}

TEST_CASE("a tenant's own function cannot see rows the policy filters out", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), one_session());
    listener spy(db.url());
    spy.listen("leak");
    p.transact_tenant(t.user_a, t.org_a, [&](xact& q) {
        auto& c = q.conn();
        // A cheap, non-leakproof function in the WHERE clause: the planner must still apply the
        // policy first (security barrier), so it never sees B's email.
        c.execute_script("CREATE FUNCTION pg_temp.peek(e text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS "
               "$$ BEGIN PERFORM pg_notify('leak', e); RETURN true; END $$");
        c.execute_script("SELECT * FROM users WHERE pg_temp.peek(email)");
        c.execute_script("SELECT * FROM users u JOIN transactions x USING (user_id) WHERE pg_temp.peek(u.email || x.stripe_session_extid)");
        auto sp = q.savepoint();
        CHECK_THROWS_AS(sp.conn().execute_script("INSERT INTO users (organization_id, email) VALUES ('" + t.org_b + "', 'x@b.test')"),
                        insufficient_privilege);
    });
    while (auto n = spy.wait(std::chrono::milliseconds(200))) CHECK(n->payload.find("secret-b") == std::string::npos);
}

TEST_CASE("scope tokens never show in pg_stat_activity, where the same login's sessions look", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool_options o = one_session();
    o.max_size = 2;
    pool p(db.url(), o);
    auto b = p.xact_tenant(t.user_b, t.org_b);  // B's transaction stays open
    auto a = p.xact_tenant(t.user_a, t.org_a);
    auto texts = a.conn().query<std::optional<std::string>>("SELECT query FROM pg_stat_activity WHERE pid <> "
                                                            "pg_backend_pid()");
    for (const auto& text : texts)
        if (text) CHECK(text->find("v1.") == std::string::npos);
    check_a_blind(a.conn(), t);
}

TEST_CASE("read-only and deferrable tenant scopes", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), one_session());
    xact_options ro;
    ro.read_only = true;
    {
        auto q = p.xact_tenant(t.user_a, t.org_a, ro);
        CHECK(emails(q.conn()) == std::vector<std::string>{"a@a.test"});
        CHECK_THROWS_WITH(q.conn().execute("UPDATE users SET first_name = 'x'"), Catch::Contains("read-only transaction"));
    }
    transact_options sro;
    sro.xact.level = isolation::serializable;
    sro.xact.read_only = true;
    sro.xact.deferrable = true;
    auto seen = p.transact_tenant(t.user_b, t.org_b, sro, [](xact& q) {
        CHECK(q.conn().query_value<std::string>("SELECT current_setting('transaction_deferrable')") == "on");
        return emails(q.conn());
    });
    CHECK(seen == std::vector<std::string>{"secret-b@b.test"});
}

TEST_CASE("every repository path works inside a tenant scope", "[rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed(admin);
    pool p(db.url(), one_session());
    auto make = [&](const std::string& org, int i) {
        app::User u;
        u.organization_id = org;
        u.email = "bulk" + std::to_string(i) + "@" + org + ".test";
        return u;
    };
    p.transact_tenant(t.user_a, t.org_a, [&](xact& q) {
        repository<app::User> users{q};
        std::vector<app::User> rows;
        for (int i = 0; i < 1500; ++i) rows.push_back(make(t.org_a, i));
        CHECK(users.insert_many(rows) == 1500);  // past copy_threshold: COPY refuses RLS tables
        CHECK(users.count() == 1501);
        std::vector<app::User> more{make(t.org_a, 5000), make(t.org_a, 5001)};
        CHECK(users.insert_many_returning(more).size() == 2);
        auto one = users.insert(make(t.org_a, 6000));
        users.insert_without_returning(make(t.org_a, 6001));
        one.first_name = "changed";
        users.update(one);
        CHECK(users.get(one.user_id, for_update).value().first_name == "changed");
        CHECK(users.upsert(one, on_conflict(&app::User::user_id).do_nothing()).inserted == false);
        CHECK(users.remove(one.user_id));
        std::int64_t streamed = 0;
        users.for_each(filter<app::User>{}, [&](const app::User&) { ++streamed; });
        CHECK(streamed == users.count());
        CHECK_FALSE(users.get(t.user_b).has_value());
    });
    // A bulk insert of another tenant's rows fails as a whole, with the policy's error.
    CHECK_THROWS_AS(p.transact_tenant(t.user_a, t.org_a,
                                        [&](xact& q) {
                                            std::vector<app::User> rows;
                                            for (int i = 0; i < 1200; ++i) rows.push_back(make(t.org_b, i));
                                            repository<app::User>{q}.insert_many(rows);
                                        }),
                    insufficient_privilege);
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM users WHERE organization_id = $1", t.org_b) == 1);
    check_b_sees_only_b(p, t);
}
