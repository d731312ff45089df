// The RLS kit's per-table helper (pgorm_rls.enable_tenant_policy) and its roles helper, on a
// schema of the test's own: tenant columns of several types, FORCE for the owner, re-runs, and
// every bad name refused with a clear error.
#include "support.hpp"

using namespace pgorm;

namespace {

pool_options with_tenant_login() {
    pool_options o;
    o.max_size = 1;
    o.acquire_timeout = std::chrono::milliseconds(10000);
    o.tenant = tenant_login{};
    return o;
}

std::vector<std::string> bodies(connection& c, const std::string& table) {
    return c.query<std::string>("SELECT body FROM " + table + " ORDER BY 1");
}

/// A database with the kit, the default tenant roles, and three tables whose tenant columns
/// are uuid, bigint and varchar(3), each with one row of two tenants.
connection prepared(pgorm_test::empty_db& db) {
    auto c = db.connect();
    rls::install(c);
    rls::create_tenant_roles(c);
    rls::create_tenant_roles(c);  // re-runnable
    c.execute_script(R"(
        CREATE TABLE by_uuid (tenant uuid NOT NULL, body text NOT NULL);
        CREATE TABLE by_bigint (tenant bigint NOT NULL, body text NOT NULL);
        CREATE TABLE by_short_text (tenant varchar(3) NOT NULL, body text NOT NULL);
        INSERT INTO by_uuid VALUES ('00000000-0000-4000-8000-00000000000a', 'uuid a'),
                                   ('00000000-0000-4000-8000-00000000000b', 'uuid b');
        INSERT INTO by_bigint VALUES (1, 'bigint 1'), (2, 'bigint 2');
        INSERT INTO by_short_text VALUES ('abc', 'text abc'), ('xyz', 'text xyz');)");
    rls::enable_tenant_policy(c, {"by_uuid", "tenant"});
    rls::enable_tenant_policy(c, {"by_bigint", "tenant"});
    c.execute_script(rls::tenant_policy_sql({"by_short_text", "tenant"}));  // the SQL-text form
    return c;
}

}  // namespace

TEST_CASE("enable_tenant_policy scopes reads and writes to the tenant, whatever the column's type", "[rls][kit]") {
    pgorm_test::empty_db db;
    auto admin = prepared(db);
    pool p(db.url(), with_tenant_login());

    const std::string org_a = "00000000-0000-4000-8000-00000000000a";
    CHECK(p.transact_tenant("u", org_a, [](xact& q) { return bodies(q.conn(), "by_uuid"); }) ==
          std::vector<std::string>{"uuid a"});
    CHECK(p.transact_tenant("u", "2", [](xact& q) { return bodies(q.conn(), "by_bigint"); }) ==
          std::vector<std::string>{"bigint 2"});
    CHECK(p.transact_tenant("u", "xyz", [](xact& q) { return bodies(q.conn(), "by_short_text"); }) ==
          std::vector<std::string>{"text xyz"});
    // A longer id must not be cut to the column's length and match a shorter tenant's rows.
    CHECK(p.transact_tenant("u", "abcd", [](xact& q) { return bodies(q.conn(), "by_short_text"); }).empty());

    SECTION("a scope cannot write a row of another tenant, nor move its own row there") {
        CHECK_THROWS_AS(p.transact_tenant("u", "1", [](xact& q) {
                            q.conn().execute("INSERT INTO by_bigint VALUES (2, 'planted')");
                        }),
                        insufficient_privilege);
        CHECK_THROWS_AS(p.transact_tenant("u", "1", [](xact& q) {
                            q.conn().execute("UPDATE by_bigint SET tenant = 2");
                        }),
                        insufficient_privilege);
        CHECK(p.transact_tenant("u", "1", [](xact& q) {
            q.conn().execute("INSERT INTO by_bigint VALUES (1, 'own')");
            return bodies(q.conn(), "by_bigint");
        }) == std::vector<std::string>{"bigint 1", "own"});
        CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM by_bigint WHERE body = 'planted'") == 0);
    }
    SECTION("outside a scope the tenant role sees nothing") {
        xact q(admin);
        q.conn().execute_script("SET LOCAL ROLE app_customer");
        CHECK(q.conn().query_value<std::int64_t>("SELECT count(*) FROM by_uuid") == 0);
    }
    SECTION("a serial column's sequence is granted too, so a scope can insert") {
        admin.execute_script("CREATE TABLE with_serial (id bigserial PRIMARY KEY, tenant bigint NOT NULL, body text)");
        rls::enable_tenant_policy(admin, {"with_serial", "tenant"});
        CHECK(p.transact_tenant("u", "7", [](xact& q) {
            q.conn().execute("INSERT INTO with_serial (tenant, body) VALUES (7, 'seven')");
            return bodies(q.conn(), "with_serial");
        }) == std::vector<std::string>{"seven"});
    }
    SECTION("re-running it changes nothing") {
        rls::enable_tenant_policy(admin, {"by_uuid", "tenant"});
        CHECK(admin.query_value<std::int64_t>(
                  "SELECT count(*) FROM pg_policy WHERE polrelid = 'by_uuid'::regclass") == 2);
        CHECK(p.transact_tenant("u", org_a, [](xact& q) { return bodies(q.conn(), "by_uuid"); }) ==
              std::vector<std::string>{"uuid a"});
    }
}

TEST_CASE("with force the owner is under the policy inside a scope; without it the owner bypasses", "[rls][kit]") {
    pgorm_test::empty_db db;
    auto admin = prepared(db);
    admin.execute_script("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kit_owner') THEN "
               "CREATE ROLE kit_owner NOLOGIN; END IF; END $$");
    admin.execute_script("ALTER TABLE by_bigint OWNER TO kit_owner");
    rls::enable_tenant_policy(admin, {"by_bigint", "tenant"});  // the owner policy names the new owner
    CHECK(admin.query_value<bool>("SELECT relforcerowsecurity FROM pg_class WHERE oid = 'by_bigint'::regclass"));

    const std::string token = rls::scope_token(rls::fetch_signing_key(admin), "u", "1",
                                               std::chrono::system_clock::now() + std::chrono::minutes(1));
    auto as_owner = [&](bool in_scope) {
        xact q(admin);
        q.conn().execute_script("SET LOCAL ROLE kit_owner");
        if (in_scope) q.conn().execute("SELECT set_config('pgorm.scope', $1, true)", token);
        return bodies(q.conn(), "by_bigint");
    };
    CHECK(as_owner(false) == std::vector<std::string>{"bigint 1", "bigint 2"});
    CHECK(as_owner(true) == std::vector<std::string>{"bigint 1"});

    rls::enable_tenant_policy(admin, {"by_bigint", "tenant", default_tenant_role, false});
    CHECK_FALSE(admin.query_value<bool>("SELECT relforcerowsecurity FROM pg_class WHERE oid = 'by_bigint'::regclass"));
    CHECK(as_owner(true) == std::vector<std::string>{"bigint 1", "bigint 2"});
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM pg_policy WHERE polrelid = 'by_bigint'::regclass") == 1);
}

TEST_CASE("without the kit the helpers say what to install", "[rls][kit]") {
    pgorm_test::empty_db db;
    auto c = db.connect();
    c.execute_script("CREATE TABLE t (tenant text NOT NULL)");
    CHECK_THROWS_WITH(rls::enable_tenant_policy(c, {"t", "tenant"}), Catch::Contains("rls::install()"));
    CHECK_THROWS_WITH(rls::create_tenant_roles(c), Catch::Contains("rls::install()"));
    // A version-1 kit has the schema but not the helpers.
    c.execute_script("CREATE SCHEMA pgorm_rls");
    CHECK_THROWS_WITH(rls::enable_tenant_policy(c, {"t", "tenant"}), Catch::Contains("version 2 or later"));
}

TEST_CASE("a tenant login that does not exist is refused with what to run", "[rls][kit]") {
    pgorm_test::empty_db db;
    auto admin = db.connect();
    rls::install(admin);
    pool_options o = with_tenant_login();
    o.tenant = tenant_login{"pgorm_no_such_login", ""};
    pool p(db.url(), o);
    CHECK_THROWS_WITH(p.xact_tenant("u", "o"), Catch::Contains("pgorm_no_such_login") &&
                                                   Catch::Contains("rls::create_tenant_roles()"));
}

TEST_CASE("the kit's helpers refuse bad names and roles that would bypass RLS", "[rls][kit]") {
    pgorm_test::empty_db db;
    auto admin = prepared(db);
    CHECK_THROWS_AS(rls::enable_tenant_policy(admin, {"no_such_table", "tenant"}), undefined_table);
    CHECK_THROWS_AS(rls::enable_tenant_policy(admin, {"by_uuid", "no_such_column"}), undefined_column);
    CHECK_THROWS_WITH(rls::enable_tenant_policy(admin, {"by_uuid", "tenant", "no_such_role"}),
                      Catch::Contains("create_tenant_roles"));
    CHECK_THROWS_AS(rls::tenant_policy_sql({std::string("by_uuid\0x", 9), "tenant"}), usage_error);
    CHECK_THROWS_AS(rls::tenant_roles_sql(std::string("r\0", 2)), usage_error);

    admin.execute_script("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kit_bypass') THEN "
               "CREATE ROLE kit_bypass NOLOGIN BYPASSRLS; END IF; END $$");
    CHECK_THROWS_AS(rls::create_tenant_roles(admin, "kit_bypass", "kit_bypass_login"), insufficient_privilege);

    // Quotes in names travel as data, not SQL.
    admin.execute_script(R"(CREATE TABLE "o'dd" ("ten'ant" bigint NOT NULL, body text NOT NULL);
                  INSERT INTO "o'dd" VALUES (1, 'one'), (2, 'two');)");
    admin.execute_script(rls::tenant_policy_sql({"\"o'dd\"", "ten'ant"}));
    pool p(db.url(), with_tenant_login());
    CHECK(p.transact_tenant("u", "2", [](xact& q) { return bodies(q.conn(), "\"o'dd\""); }) ==
          std::vector<std::string>{"two"});

    // The helpers are the kit owner's: a customer cannot call them to lift its own table's policy.
    CHECK_THROWS_AS(p.transact_tenant("u", "2", [](xact& q) {
                        q.conn().execute_script("SELECT pgorm_rls.enable_tenant_policy('by_bigint', 'tenant', 'app_customer', false)");
                    }),
                    insufficient_privilege);
}
