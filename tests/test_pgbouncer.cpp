// pgorm behind PgBouncer 1.18 in transaction mode (issue 21): the pgorm_prepare switch, the clear
// error without it, and the xact, tenant (RLS) scope, repository, generated-query and queue
// paths run through the pooler. LISTEN is refused through it.
#include "schema/models.hpp"
#include "support.hpp"

#include <pgorm/testing/pgbouncer.hpp>

#ifdef PGORM_HAVE_GENERATED
#include "app_queries.hpp"
#endif

using namespace pgorm;
using pgorm_test::fresh_db;

namespace {

/// One pooler per executable, in front of the suite's cluster: two server sessions per
/// (database, user), so clients share them and a transaction can land on either.
testing::pgbouncer& bouncer() {
    static testing::pgbouncer b(pgorm_test::server());
    return b;
}

/// A second pooler with one server session per (database, user): every client of a login shares it.
testing::pgbouncer& single_session_bouncer() {
    static testing::pgbouncer b(pgorm_test::server(), [] {
        testing::pgbouncer_options o;
        o.default_pool_size = 1;
        return o;
    }());
    return b;
}

std::string unprepared(const fresh_db& db, testing::pgbouncer& b = bouncer()) {
    return b.url(db.db.name(), "pgorm_prepare=off");
}

}  // namespace

// ------------------------------------------------------------------ the pgorm_prepare switch

TEST_CASE("pgorm_prepare in a URL or key=value string sets prepared_statements and never reaches libpq",
          "[scaleout][pgbouncer][config]") {
    CHECK(config::from_url("postgresql://u@h/db").prepared_statements);
    CHECK(config::from_url("postgresql://u@h/db?pgorm_prepare=on").prepared_statements);

    auto off = config::from_url("postgresql://u@h:6432/db?sslmode=disable&pgorm_prepare=off&connect_timeout=3");
    CHECK_FALSE(off.prepared_statements);
    CHECK(off.conninfo == "postgresql://u@h:6432/db?sslmode=disable&connect_timeout=3");
    auto only = config::from_url("postgres+asyncpg://u@h/db?pgorm_prepare=false");
    CHECK_FALSE(only.prepared_statements);
    CHECK(only.conninfo == "postgresql://u@h/db");

    auto kv = config::parse("host=h pgorm_prepare = off dbname=db");
    CHECK_FALSE(kv.prepared_statements);
    CHECK(kv.conninfo.find("pgorm_prepare") == std::string::npos);
    CHECK(kv.conninfo.find("dbname=db") != std::string::npos);
    // A value that merely contains the word is not the option.
    CHECK(config::parse("host=h application_name=xpgorm_prepare").prepared_statements);

    CHECK_THROWS_AS(config::from_url("postgresql://u@h/db?pgorm_prepare=maybe"), config_error);
    CHECK_THROWS_WITH(config::from_url("postgresql://u:secret@h/db?pgorm_prepare=maybe"),
                      Catch::Contains("pgorm_prepare must be on or off (also true/false, 1/0, yes/no), got 'maybe'") &&
                          !Catch::Contains("secret"));
    CHECK_THROWS_AS(config::from_url("postgresql://u@h/db?pgorm_prepare"), config_error);
    CHECK_THROWS_AS(config::parse("host=h pgorm_prepare=2"), config_error);
}

// ------------------------------------------------------------------ named statements behind the pooler

TEST_CASE("behind transaction pooling without pgorm_prepare=off a missing statement is a clear error, not a retry",
          "[scaleout][pgbouncer][prepare]") {
    fresh_db db;
    connection direct = db.connect();
    CHECK_FALSE(direct.behind_pooler());

    connection x(bouncer().url(db.db.name()));
    REQUIRE(x.behind_pooler());
    CHECK(x.query_value<std::int32_t>("SELECT $1::int4 + 1", 1) == 2);  // prepared on the only server session

    // Another client holds that session in a transaction, so PgBouncer gives x a second one,
    // where x's statement was never prepared.
    connection holder(unprepared(db));
    holder.execute_script("BEGIN");
    CHECK(holder.query_value<std::int32_t>("SELECT 7") == 7);
    try {
        x.query_value<std::int32_t>("SELECT $1::int4 + 1", 1);
        FAIL("a statement prepared on another server session ran");
    } catch (const prepared_statements_unsupported& e) {
        CHECK(e.sqlstate() == "26000");
        CHECK_THAT(e.what(), Catch::Contains("pgorm_prepare=off") && Catch::Contains("pool_mode=transaction"));
    }
    holder.execute_script("COMMIT");
}

TEST_CASE("with pgorm_prepare=off the same sequence works and leaves no statement on the server",
          "[scaleout][pgbouncer][prepare]") {
    fresh_db db;
    connection x(unprepared(db));
    CHECK_FALSE(x.settings().prepared_statements);
    CHECK(x.query_value<std::int32_t>("SELECT $1::int4 + 1", 1) == 2);
    connection holder(unprepared(db));
    holder.execute_script("BEGIN");
    CHECK(holder.query_value<std::int32_t>("SELECT 7") == 7);
    CHECK(x.query_value<std::int32_t>("SELECT $1::int4 + 1", 41) == 42);  // on the second session
    holder.execute_script("COMMIT");
    CHECK(x.cached_statements() == 0);
    CHECK(x.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements") == 0);
}

TEST_CASE("clients sharing one server session never run each other's prepared statements",
          "[scaleout][pgbouncer][prepare]") {
    // Before statement names had a per-connection part, both clients named their first
    // statement pgorm_1: the second prepare failed (42P05), or, with equal parameter types,
    // one client could execute the other's statement.
    fresh_db db;
    auto url = single_session_bouncer().url(db.db.name());
    connection a(url), b(url);
    REQUIRE(a.behind_pooler());
    for (int i = 0; i < 3; ++i) {
        CHECK(a.query_value<std::string>("SELECT 'a:' || $1::text", std::string("x")) == "a:x");
        CHECK(b.query_value<std::string>("SELECT 'b:' || $1::text", std::string("x")) == "b:x");
    }
    // One server session holds both, under different names (exec: this query is not prepared).
    auto names = a.execute_script("SELECT name FROM pg_prepared_statements ORDER BY name");
    REQUIRE(names.size() == 2);
    CHECK(std::string(names.raw(0, 0)) != std::string(names.raw(1, 0)));
}

TEST_CASE("PgBouncer's admin console, which has no pg_backend_pid(), still opens with prepared statements on",
          "[scaleout][pgbouncer][prepare]") {
    connection console(bouncer().url("pgbouncer"));
    CHECK_FALSE(console.behind_pooler());  // not decided: nothing to compare there
    auto settings = console.execute_script("SHOW CONFIG");  // rows of key, value, ...
    std::string mode;
    for (int i = 0; i < static_cast<int>(settings.size()); ++i)
        if (std::string(settings.raw(i, 0)) == "pool_mode") mode = settings.raw(i, 1);
    CHECK(mode == "transaction");
}

// ------------------------------------------------------------------ transactions and retries

TEST_CASE("transactions and retries through PgBouncer", "[scaleout][pgbouncer][xact]") {
    fresh_db db;
    pool p(unprepared(db));
    auto org = p.transact([](xact& tx) {
        return tx.conn().query_value<std::string>("INSERT INTO organizations (name) VALUES ('Acme') RETURNING id");
    });

    // A serialization failure from the server on the first attempt: the retry runs it again,
    // on whatever server session the pooler hands out, and the effect happens once.
    transact_options o;
    o.retry = retry_policy::attempts(3);
    int attempts = 0;
    p.transact(o, [&](xact& tx) {
        ++attempts;
        tx.conn().execute("UPDATE organizations SET name = name || '!' WHERE id = $1", org);
        if (attempts == 1)
            tx.conn().execute_script("DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '40001'; END $$");
    });
    CHECK(attempts == 2);
    auto direct = db.connect();
    CHECK(direct.query_value<std::string>("SELECT name FROM organizations WHERE id = $1", org) == "Acme!");

    // A rollback leaves nothing behind.
    CHECK_THROWS_AS(p.transact([&](xact& tx) {
        tx.conn().execute("DELETE FROM organizations WHERE id = $1", org);
        throw std::runtime_error("changed my mind");
    }),
                    std::runtime_error);
    CHECK(direct.query_value<std::int64_t>("SELECT count(*) FROM organizations") == 1);

    // Savepoints stay inside the transaction's server session.
    {
        auto tx = p.xact();
        {
            auto sp = tx.savepoint();
            CHECK_THROWS_AS(sp.conn().execute("INSERT INTO organizations (id, name) VALUES ($1, 'dup')", org),
                            unique_violation);
        }
        tx.conn().execute("INSERT INTO organizations (name) VALUES ('Second')");
        tx.commit();
    }
    CHECK(direct.query_value<std::int64_t>("SELECT count(*) FROM organizations") == 2);
}

// ------------------------------------------------------------------ tenant (RLS) scopes

namespace {
struct two_tenants {
    std::string org_a, org_b, user_a, user_b;
};
two_tenants seed_tenants(connection& c) {
    two_tenants t;
    t.org_a = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ('A') RETURNING id");
    t.org_b = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ('B') RETURNING id");
    t.user_a = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'a@a') RETURNING user_id", t.org_a);
    t.user_b = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'b@b') RETURNING user_id", t.org_b);
    return t;
}
pool_options customer_pool() {
    pool_options o;
    o.max_size = 2;
    o.tenant = tenant_login{};
    return o;
}
}  // namespace

TEST_CASE("tenant scopes through PgBouncer see only their organization", "[scaleout][pgbouncer][rls]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed_tenants(admin);
    pool p(unprepared(db), customer_pool());
    for (int round = 0; round < 3; ++round) {  // alternate tenants over the pooler's sessions
        p.transact_tenant(t.user_a, t.org_a, [&](xact& tx) {
            CHECK(tx.conn().query<std::string>("SELECT user_id FROM users") == std::vector<std::string>{t.user_a});
            CHECK(tx.conn().execute("UPDATE users SET first_name = 'x' WHERE user_id = $1", t.user_b).affected_rows() == 0);
        });
        p.transact_tenant(t.user_b, t.org_b, [&](xact& tx) {
            CHECK(tx.conn().query<std::string>("SELECT user_id FROM users") == std::vector<std::string>{t.user_b});
        });
    }
}

TEST_CASE("a hostile tenant's session state on a shared server session does not reach the next tenant's scope",
          "[scaleout][pgbouncer][rls][adversarial]") {
    fresh_db db;
    auto admin = db.connect();
    auto t = seed_tenants(admin);
    auto& b = single_session_bouncer();  // every tenant-login client shares one server session
    std::string customer_url = b.url(db.db.name(), "pgorm_prepare=off", default_tenant_login);
    std::string token_a = rls::scope_token(rls::fetch_signing_key(admin), t.user_a, t.org_a,
                                           std::chrono::system_clock::now() + std::chrono::minutes(5));

    // Tenant A (a raw client on the tenant login, as a tenant with SQL access would be) plants
    // its scope and a search_path for the whole session, not SET LOCAL.
    connection hostile(customer_url);
    hostile.execute("SELECT set_config('pgorm.scope', $1, false)", token_a);
    hostile.execute_script("SET search_path = pg_temp, public");

    // The state really is shared: another client of that login sees it on the server session.
    connection probe(customer_url);
    CHECK(probe.query_value<std::string>("SELECT current_setting('pgorm.scope', true)") == token_a);

    // Tenant B's scope sets its own token and role with SET LOCAL (xact.hpp): A's plant does not count.
    pool p(b.url(db.db.name(), "pgorm_prepare=off"), customer_pool());
    std::string token_b;
    p.transact_tenant(t.user_b, t.org_b, [&](xact& tx) {
        CHECK(tx.conn().query_value<std::string>("SELECT app_current_user_id()") == t.user_b);
        CHECK(tx.conn().query<std::string>("SELECT user_id FROM users") == std::vector<std::string>{t.user_b});
        CHECK(tx.conn().query<std::string>("SELECT id FROM organizations") == std::vector<std::string>{t.org_b});
        token_b = tx.conn().query_value<std::string>("SELECT current_setting('pgorm.scope')");
    });
    CHECK(token_b != token_a);
    // And B's scope leaves nothing on the shared session: its settings were transaction-local.
    auto after = probe.query_value<std::string>("SELECT coalesce(current_setting('pgorm.scope', true), '')");
    CHECK(after != token_b);
    CHECK(probe.query_value<std::string>("SELECT current_user::text") == default_tenant_login);
}

// ------------------------------------------------------------------ repository, generated code, queue

TEST_CASE("repository CRUD through PgBouncer", "[scaleout][pgbouncer][repo]") {
    fresh_db db;
    pool p(unprepared(db));
    auto h = p.acquire();
    app::Organization o;
    o.name = "Acme";
    auto org = repository<app::Organization>{*h}.insert(o).id;
    repository<app::User> users{*h};
    app::User u;
    u.organization_id = org;
    u.email = "ada@x.io";
    u.credits_balance = 5;
    auto stored = users.insert(u);
    CHECK(users.get_or_throw(stored.user_id).email == "ada@x.io");
    stored.first_name = "Ada";
    CHECK(users.update(stored).first_name == std::optional<std::string>("Ada"));
    CHECK(users.count() == 1);
    CHECK(users.remove(stored.user_id));
    CHECK_FALSE(users.get(stored.user_id));
}

#ifdef PGORM_HAVE_GENERATED
TEST_CASE("generated queries (queries.sql) through PgBouncer", "[scaleout][pgbouncer][codegen]") {
    fresh_db db;
    pool p(unprepared(db));
    p.transact([](xact& tx) {
        auto org = app::db::create_organization(tx, "Acme Inc").value();
        app::db::CreateUserParams params;
        params.organization_id = org.id;
        params.email = "ada@example.com";
        params.preferences = pgorm::jsonb<>(R"({"company": "Acme Inc"})");
        auto ada = app::db::create_user(tx, params).value();
        CHECK(app::db::get_user_by_email(tx, "ada@example.com").value().user_id == ada.user_id);
        CHECK(app::db::list_users_by_company(tx, "Acme Inc").size() == 1);
    });
}
#endif

namespace {
struct Job {
    std::string name;
    std::int32_t n = 0;
};
BOOST_DESCRIBE_STRUCT(Job, (), (name, n))
}  // namespace

TEST_CASE("queue send, read and archive through PgBouncer", "[scaleout][pgbouncer][queue]") {
    pgorm_test::empty_db db;
    connection c(bouncer().url(db.db.name(), "pgorm_prepare=off"));
    queue::install(c);
    queue::client<Job> q(c, "jobs");
    q.create();
    auto id = q.send(Job{"first", 1});
    q.send(Job{"second", 2});
    auto got = q.read(std::chrono::seconds(30), 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].msg_id == id);
    CHECK(got[0].message.name == "first");
    CHECK(q.archive(id));
    auto next = q.read(std::chrono::seconds(30), 5);
    REQUIRE(next.size() == 1);
    CHECK(next[0].message.n == 2);
    auto direct = db.connect();
    CHECK(direct.query_value<std::int64_t>("SELECT count(*) FROM pgmq.a_jobs") == 1);
}

// ------------------------------------------------------------------ LISTEN

TEST_CASE("a listener pointed at PgBouncer refuses and says to connect directly", "[scaleout][pgbouncer][listen]") {
    fresh_db db;
    for (const auto& url : {bouncer().url(db.db.name()), unprepared(db)}) {
        CHECK_THROWS_AS(listener(url), config_error);
        CHECK_THROWS_WITH(listener(url), Catch::Contains("connection pooler") && Catch::Contains("direct URL"));
    }
    listener direct(db.url());  // the same database, straight to PostgreSQL, works
    direct.listen("jobs");
    auto sender = db.connect();
    notify(sender, "jobs", "hello");
    auto n = direct.wait(std::chrono::seconds(5));
    REQUIRE(n);
    CHECK(n->payload == "hello");
}
