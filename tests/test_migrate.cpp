// Migrations (issue 5): files, the migrator on a real server, the schema dump, the model diff
// and the schema-convention checks.
#include "support.hpp"

#include <pgorm/migrate.hpp>
#include <pgorm/testing/migrations_template.hpp>

#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <thread>

#include <sys/wait.h>

namespace mig = pgorm::migrate;
using pgorm_test::empty_db;
using pgorm_test::fresh_db;

namespace {

// A migrations folder of its own for one test case.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        static std::atomic<int> n{0};
        path = std::filesystem::temp_directory_path() /
               ("pgorm_migrations_" + std::to_string(::getpid()) + "_" + std::to_string(++n));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    void write(const std::string& name, const std::string& content) const {
        std::ofstream(path / name, std::ios::binary) << content;
    }
    std::string str() const { return path.string(); }
};

const char* create_widgets =
    "-- migrate:up\n"
    "CREATE TABLE widgets (id BIGINT PRIMARY KEY, name TEXT NOT NULL);\n"
    "-- migrate:down\n"
    "DROP TABLE widgets;\n";
const char* add_size =
    "-- migrate:up\n"
    "ALTER TABLE widgets ADD COLUMN size BIGINT;\n"
    "CREATE FUNCTION widget_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM widgets; $$;\n"
    "-- migrate:down\n"
    "DROP FUNCTION widget_count();\n"
    "ALTER TABLE widgets DROP COLUMN size;\n";
const char* index_concurrently =
    "-- migrate:no-transaction\n"
    "-- migrate:up\n"
    "CREATE INDEX CONCURRENTLY widgets_name_idx ON widgets(name);\n"
    "-- migrate:down\n"
    "DROP INDEX CONCURRENTLY widgets_name_idx;\n";

void write_widgets(const temp_dir& d) {
    d.write("0001_create_widgets.sql", create_widgets);
    d.write("0002_add_size.sql", add_size);
    d.write("0003_index_name.sql", index_concurrently);
}

bool has_relation(pgorm::connection& c, const std::string& name) {
    return c.query_value<bool>("SELECT to_regclass($1) IS NOT NULL", name);
}
bool has_column(pgorm::connection& c, const std::string& table, const std::string& column) {
    return c.query_value<bool>(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2)", table,
        column);
}
std::int64_t recorded(pgorm::connection& c) {
    return c.query_value<std::int64_t>("SELECT count(*) FROM pgorm_migrations");
}

}  // namespace

TEST_CASE("split_sql keeps quoted semicolons inside their statement", "[migrate][split]") {
    auto st = mig::split_sql(
        "-- a comment; with a semicolon\n"
        "SELECT 'a;b', E'c\\';d', \"we;ird\";\n"
        "/* block /* nested; */ still; */ DO $$ BEGIN PERFORM 1; END $$;\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;\n"
        "SELECT $1::int;\n"
        "   \n-- trailing comment only\n");
    REQUIRE(st.size() == 4);
    CHECK(st[0].text == "SELECT 'a;b', E'c\\';d', \"we;ird\"");
    CHECK(st[0].line == 2);
    CHECK(st[1].text == "DO $$ BEGIN PERFORM 1; END $$");
    CHECK(st[1].line == 3);
    CHECK(st[2].first_line() == "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$");
    CHECK(st[3].text == "SELECT $1::int");
    CHECK(st[3].line == 5);

    CHECK_THROWS_WITH(mig::split_sql("SELECT 1;\nSELECT 'open", 1, "f.sql"),
                      Catch::Contains("f.sql") && Catch::Contains("unterminated string literal starting at line 2"));
    CHECK_THROWS_WITH(mig::split_sql("DO $x$ BEGIN END $y$;"), Catch::Contains("unterminated dollar-quoted"));
    CHECK_THROWS_WITH(mig::split_sql("/* never closed"), Catch::Contains("unterminated block comment"));
}

TEST_CASE("BEGIN ATOMIC routine bodies stay whole, nested CASE ... END included", "[migrate][split]") {
    auto st = mig::split_sql(
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
        "create or replace procedure p(x int) language sql\n"
        "begin atomic\n"
        "  insert into t values (case when x > 0 then 1 else case x when 0 then 0 end end);\n"
        "  select case x when 1 then 'end;' end;\n"
        "end;\n"
        "SELECT 'begin';\n"
        "CREATE TABLE \"begin\" (\"end\" int, case_ int, a$b$ int);\n"
        "SELECT (1;\n2);\n");
    REQUIRE(st.size() == 5);
    CHECK(st[0].text == "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END");
    CHECK(st[1].line == 2);
    CHECK(st[1].text.substr(st[1].text.size() - 4) == "\nend");
    CHECK(st[2].text == "SELECT 'begin'");
    CHECK(st[3].text == "CREATE TABLE \"begin\" (\"end\" int, case_ int, a$b$ int)");
    CHECK(st[4].text == "SELECT (1;\n2)");

    CHECK_THROWS_WITH(mig::split_sql("SELECT 1;\nCREATE FUNCTION g() RETURNS int LANGUAGE sql\nBEGIN ATOMIC SELECT 1;\n",
                                     1, "0001_g.sql"),
                      Catch::Contains("0001_g.sql") && Catch::Contains("BEGIN ATOMIC") &&
                          Catch::Contains("line 2") && Catch::Contains("no matching END"));
}

TEST_CASE("a migration with BEGIN ATOMIC functions and procedures applies and reverts", "[migrate][migrator][split]") {
    empty_db db;
    auto c = db.connect();
    temp_dir d;
    d.write("0001_atomic.sql",
            "-- migrate:up\n"
            "CREATE TABLE tally (n int NOT NULL);\n"
            "CREATE FUNCTION sign_word(x int) RETURNS text LANGUAGE sql IMMUTABLE\n"
            "BEGIN ATOMIC\n"
            "  SELECT CASE WHEN x > 0 THEN 'positive' WHEN x < 0 THEN 'negative'\n"
            "              ELSE CASE WHEN x IS NULL THEN 'unknown' ELSE 'zero' END END;\n"
            "END;\n"
            "CREATE OR REPLACE PROCEDURE add_two(x int) LANGUAGE sql\n"
            "BEGIN ATOMIC\n"
            "  INSERT INTO tally VALUES (x);\n"
            "  INSERT INTO tally VALUES (CASE x WHEN 0 THEN -1 ELSE x * 2 END);\n"
            "END;\n"
            "-- migrate:down\n"
            "DROP PROCEDURE add_two(int);\n"
            "DROP FUNCTION sign_word(int);\n"
            "DROP TABLE tally;\n");
    mig::migrator m(c, {d.str()});
    CHECK(m.up() == std::vector<std::string>{"0001"});
    CHECK(c.query_value<std::string>("SELECT sign_word(-3)") == "negative");
    CHECK(c.query_value<std::string>("SELECT sign_word(0)") == "zero");
    c.execute("CALL add_two(5)");
    CHECK(c.query_value<std::int64_t>("SELECT sum(n) FROM tally") == 15);
    CHECK(m.down() == std::vector<std::string>{"0001"});
    CHECK_FALSE(has_relation(c, "tally"));

    d.write("0002_broken.sql",
            "-- migrate:up\nCREATE FUNCTION never() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n");
    CHECK_THROWS_WITH(mig::migrator(c, {d.str()}).up(),
                      Catch::Contains("0002_broken.sql") && Catch::Contains("BEGIN ATOMIC") &&
                          Catch::Contains("no matching END"));
}

TEST_CASE("migration files parse, and bad ones are refused by name", "[migrate][files]") {
    auto m = mig::parse_migration("dir/0007_add_things.sql",
                                  "-- what it does\n-- migrate:no-transaction\n-- migrate:up\nSELECT 1;\n"
                                  "-- migrate:down\nSELECT 2;\n");
    CHECK(m.version == "0007");
    CHECK(m.name == "add_things");
    CHECK_FALSE(m.transactional);
    CHECK(m.up_line == 4);
    CHECK(m.down_line == 6);
    CHECK(m.has_down());
    CHECK(m.checksum.size() == 16);
    CHECK(mig::parse_migration("0001_x.sql", "-- migrate:up\r\nSELECT 1;\r\n").checksum ==
          mig::parse_migration("0001_x.sql", "-- migrate:up\nSELECT 1;\n").checksum);
    CHECK(mig::parse_migration("0001_x.sql", "-- migrate:up\nSELECT 1;\n").checksum !=
          mig::parse_migration("0001_x.sql", "-- migrate:up\nSELECT 2;\n").checksum);

    using mig::migration_error;
    CHECK_THROWS_WITH(mig::parse_migration("0001_x.sql", "SELECT 1;\n"), Catch::Contains("0001_x.sql") &&
                                                                            Catch::Contains("SQL before the -- migrate:up"));
    CHECK_THROWS_WITH(mig::parse_migration("0001_x.sql", "-- just words\n"), Catch::Contains("no -- migrate:up marker"));
    CHECK_THROWS_WITH(mig::parse_migration("x_0001.sql", "-- migrate:up\nSELECT 1;\n"), Catch::Contains("<digits>_<name>.sql"));
    CHECK_THROWS_WITH(mig::parse_migration("0001.sql", "-- migrate:up\nSELECT 1;\n"), Catch::Contains("<digits>_<name>.sql"));
    CHECK_THROWS_WITH(mig::parse_migration("0001_x.sql", "-- migrate:down\nSELECT 1;\n"),
                      Catch::Contains("must follow -- migrate:up"));
    CHECK_THROWS_WITH(mig::parse_migration("0001_x.sql", "-- migrate:upp\nSELECT 1;\n"), Catch::Contains("unknown marker"));
    CHECK_THROWS_WITH(mig::parse_migration("0001_x.sql", "-- migrate:up\n-- nothing\n"), Catch::Contains("no statements"));
    CHECK_THROWS_WITH(mig::parse_migration("0001_x.sql", "-- migrate:up\nSELECT $$;\n"), Catch::Contains("0001_x.sql:") ||
                                                                                           Catch::Contains("unterminated"));
    CHECK_THROWS_AS(mig::load_migrations("/nonexistent/pgorm/migrations"), migration_error);

    temp_dir d;
    d.write("0001_a.sql", "-- migrate:up\nSELECT 1;\n");
    d.write("1_b.sql", "-- migrate:up\nSELECT 1;\n");
    CHECK_THROWS_WITH(mig::load_migrations(d.str()), Catch::Contains("have the same version"));

    temp_dir order;
    order.write("10_late.sql", "-- migrate:up\nSELECT 1;\n");
    order.write("0002_early.sql", "-- migrate:up\nSELECT 1;\n");
    order.write("README.md", "not a migration");
    auto ms = mig::load_migrations(order.str());
    REQUIRE(ms.size() == 2);
    CHECK(ms[0].name == "early");
    CHECK(ms[1].name == "late");
}

TEST_CASE("up, down and up again on a real server", "[migrate][migrator]") {
    empty_db db;
    auto c = db.connect();
    temp_dir d;
    write_widgets(d);
    mig::migrator m(c, {d.str()});

    CHECK_FALSE(m.current());
    CHECK(m.history().empty());
    CHECK(m.up() == std::vector<std::string>{"0001", "0002", "0003"});
    CHECK(m.current() == "0003");
    CHECK(has_column(c, "widgets", "size"));
    CHECK(has_relation(c, "widgets_name_idx"));  // CREATE INDEX CONCURRENTLY ran outside a transaction
    CHECK(m.history().size() == 3);
    for (const auto& s : m.status()) CHECK(s.state == mig::migration_state::applied);
    CHECK(m.up().empty());  // nothing left to do

    CHECK(m.down() == std::vector<std::string>{"0003"});
    CHECK_FALSE(has_relation(c, "widgets_name_idx"));
    CHECK(m.current() == "0002");
    CHECK(m.down_to("base") == std::vector<std::string>{"0002", "0001"});
    CHECK_FALSE(has_relation(c, "widgets"));
    CHECK_FALSE(m.current());
    CHECK(recorded(c) == 0);

    CHECK(m.up("0002") == std::vector<std::string>{"0001", "0002"});
    CHECK(m.current() == "0002");
    CHECK(m.status().back().state == mig::migration_state::pending);
    CHECK(m.up() == std::vector<std::string>{"0003"});
    CHECK(m.down(2) == std::vector<std::string>{"0003", "0002"});
    CHECK_FALSE(has_column(c, "widgets", "size"));
    CHECK(m.up("head").size() == 2);

    SECTION("stamp records a version without running SQL") {
        m.stamp("0001");
        CHECK(m.current() == "0001");
        CHECK(has_column(c, "widgets", "size"));  // nothing was reverted
        m.stamp("base");
        CHECK_FALSE(m.current());
        m.stamp("0003");
        CHECK(m.current() == "0003");
        CHECK(recorded(c) == 3);
    }
    SECTION("unknown targets and missing down parts are refused") {
        CHECK_THROWS_WITH(m.up("0042"), Catch::Contains("no migration with version '0042'"));
        CHECK_THROWS_WITH(m.stamp("nope"), Catch::Contains("no migration with version 'nope'"));
        d.write("0004_one_way.sql", "-- migrate:up\nCREATE TABLE one_way (id BIGINT);\n");
        mig::migrator again(c, {d.str()});
        CHECK(again.up() == std::vector<std::string>{"0004"});
        CHECK_THROWS_WITH(again.down(), Catch::Contains("0004_one_way.sql has no -- migrate:down part"));
        CHECK(again.current() == "0004");
    }
    SECTION("a migrator refuses a connection inside a transaction") {
        c.execute_script("BEGIN");
        CHECK_THROWS_AS(m.up(), pgorm::usage_error);
        c.execute_script("ROLLBACK");
    }
}

TEST_CASE("two migrators started at once: one applies, the other waits and finds nothing", "[migrate][lock]") {
    empty_db db;
    temp_dir d;
    write_widgets(d);
    const auto key = mig::migrator_options{}.lock_key;

    // Hold the migrators' lock so both start and queue up behind it before either can run.
    auto blocker = db.connect();
    blocker.execute("SELECT pg_advisory_lock($1)", key);
    std::atomic<int> waiting{0}, finished{0};
    std::vector<std::string> applied[2];
    std::exception_ptr failed[2];
    auto work = [&](int k) {
        try {
            auto c = db.connect();
            mig::migrator_options o{d.str()};
            o.lock_poll = std::chrono::milliseconds(5);
            o.on_wait = [&] { ++waiting; };
            mig::migrator m(c, o);
            applied[k] = m.up();
        } catch (...) {
            failed[k] = std::current_exception();
        }
        ++finished;
    };
    std::thread first(work, 0), second(work, 1);
    // While the lock is held nobody can finish, unless it failed before it got to wait.
    while (waiting < 2 && finished == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    blocker.execute("SELECT pg_advisory_unlock($1)", key);
    first.join();
    second.join();
    auto watcher = db.connect();

    for (auto& f : failed) {
        if (!f) continue;
        try {
            std::rethrow_exception(f);
        } catch (const std::exception& e) {
            FAIL("a migrator failed: " << e.what());
        }
    }
    CHECK(waiting == 2);
    CHECK(applied[0].size() + applied[1].size() == 3);
    CHECK((applied[0].empty() || applied[1].empty()));
    CHECK(recorded(watcher) == 3);
}

TEST_CASE("an applied migration that was edited or deleted is reported, never skipped", "[migrate][drift]") {
    empty_db db;
    auto c = db.connect();
    temp_dir d;
    write_widgets(d);
    mig::migrator(c, {d.str()}).up("0002");

    d.write("0002_add_size.sql", std::string(add_size) + "-- an innocent edit\n");
    mig::migrator edited(c, {d.str()});
    auto st = edited.status();
    REQUIRE(st.size() == 3);
    CHECK(st[1].state == mig::migration_state::modified);
    CHECK(st[1].recorded_checksum != st[1].file_checksum);
    CHECK_THROWS_WITH(edited.up(), Catch::Contains("0002_add_size.sql was edited after it was applied"));
    CHECK_THROWS_AS(edited.down(), mig::migration_error);
    CHECK_FALSE(has_relation(c, "widgets_name_idx"));  // 0003 was not applied past the drift

    std::filesystem::remove(d.path / "0001_create_widgets.sql");
    mig::migrator deleted(c, {d.str()});
    CHECK(deleted.status().front().state == mig::migration_state::missing);
    CHECK_THROWS_WITH(deleted.up(), Catch::Contains("0001_create_widgets.sql has no file in"));

    d.write("0001_create_widgets.sql", create_widgets);
    mig::migrator restored(c, {d.str()});
    restored.stamp("0002");  // accepts the edit deliberately
    CHECK(restored.up() == std::vector<std::string>{"0003"});
}

TEST_CASE("a failing migration in the middle of a run stops at the previous version", "[migrate][failure]") {
    empty_db db;
    auto c = db.connect();
    temp_dir d;
    d.write("0001_create_widgets.sql", create_widgets);
    d.write("0002_broken.sql",
            "-- migrate:up\n"
            "CREATE TABLE half_done (id BIGINT);\n"
            "\n"
            "INSERT INTO no_such_table\n"
            "    VALUES (1);\n"
            "-- migrate:down\n"
            "DROP TABLE half_done;\n");
    d.write("0003_after.sql", "-- migrate:up\nCREATE TABLE after_broken (id BIGINT);\n");
    mig::migrator m(c, {d.str()});

    try {
        m.up();
        FAIL("the broken migration was applied");
    } catch (const mig::migration_failed& e) {
        CHECK(e.file().ends_with("0002_broken.sql"));
        CHECK(e.line() == 4);
        CHECK(e.statement() == 2);
        CHECK(e.sqlstate() == "42P01");
        std::string what = e.what();
        CHECK_THAT(what, Catch::Contains("0002_broken.sql:4") && Catch::Contains("statement 2 of 2") &&
                             Catch::Contains("INSERT INTO no_such_table") && Catch::Contains("no_such_table") &&
                             Catch::Contains("rolled back"));
    }
    CHECK(m.current() == "0001");
    CHECK_FALSE(has_relation(c, "half_done"));     // the migration's first statement was rolled back
    CHECK_FALSE(has_relation(c, "after_broken"));  // nothing after it ran
    CHECK(c.transaction_status() == PQTRANS_IDLE);

    SECTION("a statement that cannot run in a transaction says how to mark the file") {
        d.write("0002_broken.sql", "-- migrate:up\nCREATE INDEX CONCURRENTLY widgets_name_idx ON widgets(name);\n");
        mig::migrator again(c, {d.str()});
        CHECK_THROWS_WITH(again.up(), Catch::Contains("add -- migrate:no-transaction"));
        CHECK(again.current() == "0001");
    }
}

TEST_CASE("the schema dump is deterministic and reapplies to the same bytes", "[migrate][dump]") {
    fresh_db db;
    auto c = db.connect();
    std::string first = mig::dump_schema(c);
    CHECK(first == mig::dump_schema(c));
    CHECK_THAT(first, Catch::Contains("CREATE TABLE users (") && Catch::Contains("INSERT INTO user_type_enum (value) VALUES") &&
                          Catch::Contains("CREATE POLICY users_tenant ON users TO app_customer") &&
                          Catch::Contains("ALTER TABLE users ENABLE ROW LEVEL SECURITY"));

    empty_db copy;
    auto c2 = copy.connect();
    c2.execute_script(first);  // simple-protocol execution, as the test template applies schema.sql
    CHECK(mig::dump_schema(c2) == first);

    SECTION("the bookkeeping table is not part of the dump") {
        temp_dir d;
        d.write("0001_noop.sql", "-- migrate:up\nSELECT 1;\n");
        mig::migrator(c2, {d.str()}).up();
        CHECK(mig::dump_schema(c2) == first);
    }
    SECTION("objects the dump cannot reproduce are refused by name") {
        c2.execute_script("CREATE VIEW active_users AS SELECT user_id FROM users WHERE is_active");
        CHECK_THROWS_WITH(mig::dump_schema(c2), Catch::Contains("view active_users"));
    }
    SECTION("compare_schema names the first differing line") {
        CHECK(mig::compare_schema(first, first, "schema.sql").empty());
        auto msg = mig::compare_schema("a\nb\nc\n", "a\nB\nc\n", "schema.sql");
        CHECK_THAT(msg, Catch::Contains("line 2") && Catch::Contains("schema.sql: b") && Catch::Contains("migrations: B"));
    }
}

TEST_CASE("the test schema's schema.sql is the dump of its migrations", "[migrate][dump][verify]") {
    const std::string dir = pgorm_test::test_migrations_dir;
    auto tpl = pgorm::testing::migrations_template(pgorm_test::server(), dir);
    pgorm::testing::scratch_database db(tpl);
    auto c = db.connect();
    CHECK(recorded(c) == static_cast<std::int64_t>(mig::load_migrations(dir).size()));
    std::string expected = mig::read_file(std::string(pgorm_test::test_schema_dir) + "/schema.sql");
    CHECK(mig::compare_schema(expected, mig::dump_schema(c), "tests/schema/schema.sql") == "");

    // Built once per migration state: the same files give the same template.
    auto again = pgorm::testing::migrations_template(pgorm_test::server(), dir);
    CHECK(again.name() == tpl.name());
}

namespace {
struct Gadget {  // the table has: id, name, weight BIGINT, color, legacy
    std::string id;
    std::string name;
    std::string weight;                 // retyped: bigint in the database
    std::optional<std::string> color;
    std::int64_t added = 0;             // not in the database
};                                      // legacy: dropped from the struct
BOOST_DESCRIBE_STRUCT(Gadget, (), (id, name, weight, color, added))
PGORM_TABLE(Gadget, "gadgets", key(&Gadget::id));

struct Nullables {
    std::string id;
    std::optional<std::string> must;  // NOT NULL in the database
    std::string may;                  // nullable in the database
};
BOOST_DESCRIBE_STRUCT(Nullables, (), (id, must, may))
PGORM_TABLE(Nullables, "nullables", key(&Nullables::id));

struct Newcomer {
    std::string code;
    std::optional<std::int64_t> amount;
};
BOOST_DESCRIBE_STRUCT(Newcomer, (), (code, amount))
PGORM_TABLE(Newcomer, "newcomers", key(&Newcomer::code));
}  // namespace

TEST_CASE("the model diff finds added, removed and retyped members and drafts a migration", "[migrate][diff]") {
    empty_db db;
    auto c = db.connect();
    c.execute_script("CREATE TABLE gadgets (id TEXT PRIMARY KEY, name TEXT NOT NULL, weight BIGINT NOT NULL, color TEXT, legacy TEXT);"
           "CREATE TABLE nullables (id TEXT PRIMARY KEY, must TEXT NOT NULL, may TEXT)");

    auto diffs = mig::diff_models<Gadget>(c);
    REQUIRE(diffs.size() == 3);
    CHECK(diffs[0].kind == mig::difference_kind::type_mismatch);
    CHECK(diffs[0].column == "weight");
    CHECK(diffs[0].expected == "text");
    CHECK(diffs[0].actual == "bigint");
    CHECK(diffs[1].kind == mig::difference_kind::missing_column);
    CHECK(diffs[1].column == "added");
    CHECK(diffs[1].expected == "bigint NOT NULL");
    CHECK(diffs[2].kind == mig::difference_kind::extra_column);
    CHECK(diffs[2].column == "legacy");
    CHECK(mig::to_string(diffs[2]) == "gadgets.legacy: extra column, database: text");

    auto nulls = mig::diff_models<Nullables>(c);
    REQUIRE(nulls.size() == 2);
    CHECK(nulls[0].kind == mig::difference_kind::nullability_mismatch);
    CHECK(nulls[0].column == "must");
    CHECK(nulls[1].column == "may");

    auto fresh = mig::diff_models<Newcomer>(c);
    REQUIRE(fresh.size() == 1);
    CHECK(fresh[0].kind == mig::difference_kind::missing_table);

    // The draft applies through the migrator, and afterwards the models match; its down undoes it.
    auto all = mig::diff_models<Gadget, Nullables, Newcomer>(c);
    CHECK(all.size() == 6);
    temp_dir d;
    auto path = mig::write_new_migration(d.str(), "sync_models", mig::draft_migration(all));
    CHECK(path.ends_with("0001_sync_models.sql"));
    mig::migrator m(c, {d.str()});
    CHECK(m.up().size() == 1);
    CHECK(mig::diff_models<Gadget, Nullables, Newcomer>(c).empty());
    m.down();
    CHECK(mig::diff_models<Gadget, Nullables, Newcomer>(c).size() == 6);

    CHECK(mig::write_new_migration(d.str(), "next", "-- migrate:up\nSELECT 1;\n").ends_with("0002_next.sql"));
    CHECK_THROWS_WITH(mig::write_new_migration(d.str(), "Bad Name", ""), Catch::Contains("'Bad Name'"));
}

namespace {
// A table that follows every rule; `defect` breaks exactly one.
std::string convention_table(const std::string& name, const std::string& defect) {
    auto pick = [&](const char* rule, std::string good, std::string bad) { return defect == rule ? bad : good; };
    std::string sql = "CREATE TABLE " + name + " (\n" +
                      pick("text_pk",
                           "id TEXT COLLATE \"C\" PRIMARY KEY DEFAULT generate_id('tst')" +
                               pick("pk_prefix_check", " CHECK (id LIKE 'tst\\_%')", ""),
                           "id BIGINT PRIMARY KEY") +
                      ",\n organization_id TEXT COLLATE \"C\" NOT NULL REFERENCES organizations(id),\n" +
                      pick("bigint", " n BIGINT,\n", " n INT,\n") +
                      pick("timestamptz", " seen_at TIMESTAMPTZ,\n", " seen_at TIMESTAMP,\n") +
                      pick("timestamps", " created_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n", "") +
                      " updated_at TIMESTAMPTZ NOT NULL DEFAULT now()\n);\n";
    if (defect != "updated_at_trigger")
        sql += "CREATE TRIGGER updated_at BEFORE UPDATE ON " + name + " FOR EACH ROW EXECUTE PROCEDURE updated_at();\n";
    if (defect != "fk_index") sql += "CREATE INDEX ON " + name + "(organization_id);\n";
    if (defect != "rls") sql += "ALTER TABLE " + name + " ENABLE ROW LEVEL SECURITY;\n";
    return sql;
}

std::vector<mig::finding> findings_for(pgorm::connection& c, const std::string& table,
                                       const mig::convention_options& o = {}) {
    std::vector<mig::finding> out;
    for (auto& f : mig::check_conventions(c, o))
        if (f.table == table) out.push_back(f);
    return out;
}
}  // namespace

TEST_CASE("each schema convention fires on a bad table and stays quiet on a good one", "[migrate][conventions]") {
    fresh_db db;
    auto c = db.connect();
    CHECK(mig::check_conventions(c).empty());  // the test schema follows the rules

    c.execute_script(convention_table("good_things", ""));
    CHECK(findings_for(c, "good_things").empty());

    struct expectation {
        const char* rule;
        const char* column;
    };
    for (auto [rule, column] : {expectation{"timestamptz", "seen_at"}, expectation{"bigint", "n"},
                                expectation{"timestamps", "created_at"}, expectation{"updated_at_trigger", "updated_at"},
                                expectation{"fk_index", "organization_id"}, expectation{"text_pk", "id"},
                                expectation{"pk_prefix_check", "id"}, expectation{"rls", "organization_id"}}) {
        INFO("rule " << rule);
        std::string table = std::string("bad_") + rule;
        c.execute_script(convention_table(table, rule));
        auto fs = findings_for(c, table);
        REQUIRE(fs.size() == 1);
        CHECK(fs[0].rule == rule);
        CHECK(fs[0].table == table);
        CHECK(fs[0].column == column);
        CHECK_FALSE(fs[0].message.empty());
        // Switched off for that table, or everywhere, it is quiet.
        CHECK(findings_for(c, table, mig::convention_options{}.exempt(table, rule)).empty());
        CHECK(findings_for(c, table, mig::convention_options{}.exempt(table, "*")).empty());
        CHECK(findings_for(c, table, mig::convention_options{}.disable(rule)).empty());
    }

    // A table that is only a value key is an enum table: beside its name, the other rules see an
    // ordinary table without timestamps and prefix, so look at the enum rule alone.
    mig::convention_options enum_only;
    for (const auto& r : mig::rules::all())
        if (r != "enum_table_name") enum_only.disable(r);
    c.execute_script("CREATE TABLE colors (value TEXT COLLATE \"C\" PRIMARY KEY)");
    auto unnamed = findings_for(c, "colors", enum_only);
    REQUIRE(unnamed.size() == 1);
    CHECK(unnamed[0].rule == "enum_table_name");
    CHECK_THAT(unnamed[0].message, Catch::Contains("colors_enum"));
    c.execute_script("CREATE TABLE sizes_enum (name TEXT COLLATE \"C\" PRIMARY KEY)");
    auto misshapen = findings_for(c, "sizes_enum");
    REQUIRE(misshapen.size() == 1);
    CHECK(misshapen[0].rule == "enum_table_name");
    c.execute_script("CREATE TABLE shades_enum (value TEXT COLLATE \"C\" PRIMARY KEY)");
    CHECK(findings_for(c, "shades_enum").empty());

    // The rls rule looks for the tenant column the options name; the default is organization_id.
    c.execute_script(convention_table("by_tenant_key", "") + "ALTER TABLE by_tenant_key DISABLE ROW LEVEL SECURITY;\n"
           "ALTER TABLE by_tenant_key RENAME COLUMN organization_id TO tenant_key;");
    CHECK(findings_for(c, "by_tenant_key").empty());
    mig::convention_options tenant_key;
    tenant_key.tenant_column = "tenant_key";
    auto unscoped = findings_for(c, "by_tenant_key", tenant_key);
    REQUIRE(unscoped.size() == 1);
    CHECK(unscoped[0].rule == "rls");
    CHECK(unscoped[0].column == "tenant_key");
    CHECK_THAT(unscoped[0].message, Catch::Contains("tenant_key") && Catch::Contains("ENABLE ROW LEVEL SECURITY"));
    mig::convention_options no_tenants;
    no_tenants.tenant_column = "";
    CHECK(findings_for(c, "bad_rls", no_tenants).empty());

    CHECK(mig::to_string(unnamed[0]).starts_with("colors: "));
    CHECK_THROWS_WITH(mig::convention_options{}.exempt("users", "no_such_rule"), Catch::Contains("unknown schema convention rule 'no_such_rule'"));
    CHECK_THROWS_AS(mig::convention_options{}.disable("bogus"), pgorm::usage_error);
}

namespace {
struct cli_result {
    int exit_code;
    std::string output;
};
// Runs the pgorm-migrate built beside this test (tests/migrate_cli.cmake makes it a dependency).
cli_result pgorm_migrate(const std::string& args) {
    std::string cmd = std::string(PGORM_BINARY_DIR) + "/tools/pgorm-migrate " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int status = ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}
std::string quoted(const std::string& s) { return "'" + s + "'"; }
}  // namespace

TEST_CASE("pgorm-migrate commands and exit codes", "[migrate][cli]") {
    empty_db db;
    temp_dir d;
    write_widgets(d);
    std::string base = "--database-url " + quoted(db.url()) + " --dir " + quoted(d.str()) + " ";

    auto up = pgorm_migrate(base + "up 0002");
    CHECK(up.exit_code == 0);
    CHECK_THAT(up.output, Catch::Contains("applied 0001") && Catch::Contains("applied 0002"));
    CHECK(pgorm_migrate(base + "current").output == "0002\n");
    auto status = pgorm_migrate(base + "status");
    CHECK(status.exit_code == 0);
    CHECK_THAT(status.output, Catch::Contains("0003  pending  index_name"));
    CHECK(pgorm_migrate(base + "up").exit_code == 0);
    CHECK_THAT(pgorm_migrate(base + "down 2").output, Catch::Contains("reverted 0003") && Catch::Contains("reverted 0002"));
    CHECK_THAT(pgorm_migrate(base + "down base").output, Catch::Contains("reverted 0001"));
    CHECK(pgorm_migrate(base + "current").output == "base\n");
    CHECK(pgorm_migrate(base + "stamp 0001").exit_code == 0);
    CHECK_THAT(pgorm_migrate(base + "history").output, Catch::Contains("0001  create_widgets"));

    d.write("0001_create_widgets.sql", std::string(create_widgets) + "-- edited\n");
    auto drift = pgorm_migrate(base + "status");
    CHECK(drift.exit_code == 1);
    CHECK_THAT(drift.output, Catch::Contains("0001  MODIFIED"));
    auto refused = pgorm_migrate(base + "up");
    CHECK(refused.exit_code == 3);
    CHECK_THAT(refused.output, Catch::Contains("was edited after it was applied"));

    auto made = pgorm_migrate("--dir " + quoted(d.str()) + " new add_things");
    CHECK(made.exit_code == 0);
    CHECK(std::filesystem::exists(d.path / "0004_add_things.sql"));

    auto c = db.connect();
    c.execute_script("CREATE TABLE sloppy (id INT PRIMARY KEY)");
    auto check = pgorm_migrate(base + "check --live");
    CHECK(check.exit_code == 1);
    CHECK_THAT(check.output, Catch::Contains("sloppy.id") && Catch::Contains("[bigint]"));
    CHECK(pgorm_migrate(base + "check --live --exempt sloppy:*").exit_code == 0);
    c.execute_script("CREATE TABLE scoped (id TEXT COLLATE \"C\" PRIMARY KEY, tenant_key TEXT)");
    auto tenants = pgorm_migrate(base + "check --live --disable pk_prefix_check --disable timestamps --exempt sloppy:* "
                                        "--tenant-column tenant_key");
    CHECK(tenants.exit_code == 1);
    CHECK_THAT(tenants.output, Catch::Contains("scoped.tenant_key") && Catch::Contains("[rls]"));
    CHECK(pgorm_migrate(base + "check --live --disable pk_prefix_check --disable timestamps --exempt sloppy:*").exit_code == 0);

    CHECK(pgorm_migrate(base + "frobnicate").exit_code == 2);
    CHECK(pgorm_migrate(base + "check --live --disable no_such_rule").exit_code == 2);
    CHECK(pgorm_migrate("--database-url " + quoted("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2") + " current")
              .exit_code == 4);
    CHECK(pgorm_migrate("--database-url " + quoted(db.url()) + " --dir /nonexistent/dir current").exit_code == 3);
}
