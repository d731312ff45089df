// The embedded cluster and per-test databases, and configuration from the environment.
#include "support.hpp"

#include <cstdlib>
#include <filesystem>

using namespace pgorm;

TEST_CASE("an embedded cluster starts, serves and cleans up after itself", "[testing]") {
    std::filesystem::path dir;
    std::string url;
    {
        testing::cluster_options o;
        o.force_embedded = true;
        testing::cluster c(o);
        CHECK_FALSE(c.external());
        dir = c.directory();
        url = c.url();
        CHECK(std::filesystem::exists(dir / "data" / "PG_VERSION"));
        connection conn(url);
        CHECK(conn.query_value<std::string>("SHOW server_version").starts_with("15"));
        CHECK(conn.query_value<std::string>("SELECT current_user") == "postgres");
    }
    CHECK_FALSE(std::filesystem::exists(dir));
    CHECK_THROWS_AS(connection(url + "?connect_timeout=2"), connection_error);
}

TEST_CASE("the cluster is stopped even when the test using it throws", "[testing]") {
    std::filesystem::path dir;
    try {
        testing::cluster_options o;
        o.force_embedded = true;
        testing::cluster c(o);
        dir = c.directory();
        throw std::runtime_error("test failure");
    } catch (const std::runtime_error&) {
    }
    CHECK_FALSE(dir.empty());
    CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("scratch databases are copies of the template and independent", "[testing]") {
    pgorm_test::fresh_db a, b;
    CHECK(a.url() != b.url());
    auto ca = a.connect();
    auto cb = b.connect();
    ca.execute("INSERT INTO organizations (name) VALUES ($1)", "only in a");
    CHECK(ca.query_value<std::int64_t>("SELECT count(*) FROM organizations") == 1);
    CHECK(cb.query_value<std::int64_t>("SELECT count(*) FROM organizations") == 0);
    CHECK(cb.query_value<std::int64_t>("SELECT count(*) FROM user_type_enum") == 4);  // the test schema applied
}

TEST_CASE("a scratch database is dropped when it goes", "[testing]") {
    std::string name;
    {
        pgorm_test::empty_db db;
        name = db.db.name();
    }
    connection admin(pgorm_test::server().url());
    CHECK_FALSE(admin.query_value<bool>("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name));
}

namespace {
struct env_guard {  // restores the DATABASE_* variables a test changes
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    explicit env_guard(std::initializer_list<const char*> names) {
        for (const char* n : names) {
            const char* v = std::getenv(n);
            saved.emplace_back(n, v ? std::optional<std::string>(v) : std::nullopt);
            ::unsetenv(n);
        }
    }
    ~env_guard() {
        for (auto& [n, v] : saved) v ? (void)::setenv(n.c_str(), v->c_str(), 1) : (void)::unsetenv(n.c_str());
    }
};
}  // namespace

TEST_CASE("configuration from DATABASE_* variables", "[config]") {
    env_guard g{"DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_PASSWORD"};
    CHECK_THROWS_WITH(config::from_env(), Catch::Contains("DATABASE_URL"));

    pgorm_test::empty_db db;
    auto& server = pgorm_test::server();
    if (server.external()) return;  // the rest needs to know the embedded server's host and port
    ::setenv("DATABASE_HOST", "127.0.0.1", 1);
    ::setenv("DATABASE_PORT", std::to_string(server.port()).c_str(), 1);
    ::setenv("DATABASE_NAME", db.db.name().c_str(), 1);
    ::setenv("DATABASE_USER", "postgres", 1);
    ::setenv("DATABASE_PASSWORD", "it's ignored by trust auth", 1);
    connection c(config::from_env());
    CHECK(c.query_value<std::string>("SELECT current_database()") == db.db.name());
    CHECK(config::from_env().redacted().find("ignored") == std::string::npos);

    ::setenv("DATABASE_PORT", "54x", 1);
    CHECK_THROWS_AS(config::from_env(), config_error);

    ::setenv("DATABASE_URL", db.url().c_str(), 1);  // the URL wins over the parts
    connection viaurl(config::from_env());
    CHECK(viaurl.query_value<std::string>("SELECT current_database()") == db.db.name());

    ::setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/x", 1);  // seed 000's form
    CHECK(config::from_env().conninfo.starts_with("postgresql://"));
}
