// pgorm-gen: golden text of the generated headers, every generated function of queries.sql and
// of tests/codegen/features.sql run against the test database, and bad inputs that must fail
// with `file:line:` messages, a non-zero exit and no output file.
//
// Golden files: tests/codegen/golden/*.hpp. After an intended change to the generator, rewrite
// them with   PGORM_UPDATE_GOLDEN=1 ./tests/test_codegen "[golden]"   and review the diff.

#include "support.hpp"

#include <pgorm/xact.hpp>

#ifdef PGORM_HAVE_GENERATED
#include "app_queries.hpp"
#include "features.hpp"
#endif

#include <boost/uuid/random_generator.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

#ifdef PGORM_HAVE_GENERATED

#include "codegen/run_gen.hpp"

using pgorm_gen_test::generate;
using pgorm_gen_test::q;
using pgorm_gen_test::scratch_file;
using pgorm_gen_test::slurp;

namespace {

const std::string codegen_dir = PGORM_SOURCE_DIR "/tests/codegen";

/// Generates and compares with (or, with PGORM_UPDATE_GOLDEN=1, rewrites) a golden file.
void check_golden(const std::string& schema, const std::string& queries, const std::string& ns,
                  const std::string& golden, const std::string& display_queries) {
    pgorm_test::empty_db db;
    fs::path out = scratch_file(golden);
    // Run from the queries' folder with relative names, so paths in the output do not depend on
    // where the repository is checked out.
    std::string cmd = "--schema " + q(schema) + " --queries " + q(display_queries) + " --output " + q(out.string()) +
                      " --namespace " + ns + " --database-url " + q(db.url());
    std::string cd_cmd = "cd " + q(fs::path(queries).parent_path().string()) + " && '" + PGORM_GEN_EXE + "' " + cmd;
    fs::path err = scratch_file(golden + ".err");
    int rc = std::system((cd_cmd + " 2>" + q(err.string())).c_str());
    INFO(slurp(err));
    fs::remove(err);
    REQUIRE(rc == 0);
    std::string text = slurp(out);
    fs::remove(out);
    fs::path golden_path = fs::path(codegen_dir) / "golden" / golden;
    if (const char* u = std::getenv("PGORM_UPDATE_GOLDEN"); u && std::string(u) == "1") {
        std::ofstream(golden_path, std::ios::binary) << text;
        WARN("rewrote " << golden_path.string());
    }
    REQUIRE(fs::exists(golden_path));
    CHECK(text == slurp(golden_path));
}

}  // namespace

TEST_CASE("generated text matches the golden files", "[golden]") {
    check_golden(PGORM_SOURCE_DIR "/schema.sql", PGORM_SOURCE_DIR "/queries.sql", "app::db", "app_queries.hpp",
                 "queries.sql");
    check_golden(codegen_dir + "/features_schema.sql", codegen_dir + "/features.sql", "features", "features.hpp",
                 "features.sql");
}

TEST_CASE("generation is deterministic") {
    pgorm_test::empty_db db;
    fs::path a = scratch_file("det_a.hpp"), b = scratch_file("det_b.hpp");
    std::string common = "--schema " + q(codegen_dir + "/features_schema.sql") + " --queries " +
                         q(codegen_dir + "/features.sql") + " --namespace features --database-url " + q(db.url());
    REQUIRE(generate(common + " --output " + q(a.string())).status == 0);
    REQUIRE(generate(common + " --output " + q(b.string())).status == 0);
    CHECK(slurp(a) == slurp(b));
    fs::remove(a);
    fs::remove(b);
}

TEST_CASE("bad query files fail with file:line, a non-zero exit and no output", "[bad]") {
    pgorm_test::empty_db db;
    int seen = 0;
    for (auto& e : fs::directory_iterator(codegen_dir + "/bad")) {
        if (e.path().extension() != ".sql") continue;
        ++seen;
        std::string text = slurp(e.path());
        // First line: `-- expect: <line>: <words the message must contain>`
        REQUIRE(text.rfind("-- expect: ", 0) == 0);
        std::string expect = text.substr(11, text.find('\n') - 11);
        std::string line = expect.substr(0, expect.find(':'));
        std::string words = expect.substr(expect.find(':') + 2);
        fs::path out = scratch_file("bad_" + e.path().stem().string() + ".hpp");
        fs::remove(out);
        auto r = generate("--schema " + q(codegen_dir + "/features_schema.sql") + " --queries " +
                          q(e.path().string()) + " --output " + q(out.string()) + " --database-url " + q(db.url()));
        INFO(e.path().filename().string() << ": " << r.err);
        CHECK(r.status == 1);
        CHECK(r.err.rfind(e.path().string() + ":" + line + ": error: ", 0) == 0);
        CHECK(r.err.find(words) != std::string::npos);
        CHECK_FALSE(fs::exists(out));
        CHECK_FALSE(fs::exists(out.string() + ".tmp"));
    }
    CHECK(seen >= 4);
}

TEST_CASE("a missing schema file and a broken schema are reported with file:line", "[bad]") {
    pgorm_test::empty_db db;
    fs::path out = scratch_file("missing.hpp");
    auto r = generate("--schema /nonexistent/schema.sql --queries " + q(codegen_dir + "/features.sql") + " --output " +
                      q(out.string()) + " --database-url " + q(db.url()));
    CHECK(r.status == 1);
    CHECK(r.err.rfind("/nonexistent/schema.sql:1: error: schema file does not exist", 0) == 0);
    CHECK_FALSE(fs::exists(out));

    fs::path broken = scratch_file("broken_schema.sql");
    std::ofstream(broken) << "CREATE TABLE a (id BIGINT);\n\nCREATE TABLE b (id BIGINT REFERENCES nowhere(id));\n";
    r = generate("--schema " + q(broken.string()) + " --queries " + q(codegen_dir + "/features.sql") + " --output " +
                 q(out.string()) + " --database-url " + q(db.url()));
    CHECK(r.status == 1);
    CHECK(r.err.rfind(broken.string() + ":3: error: schema: relation \"nowhere\" does not exist", 0) == 0);
    CHECK_FALSE(fs::exists(out));
    fs::remove(broken);

    r = generate("--schema " + q(codegen_dir + "/features_schema.sql") + " --queries /nonexistent/q.sql --output " +
                 q(out.string()) + " --database-url " + q(db.url()));
    CHECK(r.status == 1);
    CHECK(r.err.rfind("/nonexistent/q.sql:1: error: query file does not exist", 0) == 0);

    fs::path empty_folder = scratch_file("no_queries");
    fs::create_directories(empty_folder);
    r = generate("--schema " + q(codegen_dir + "/features_schema.sql") + " --queries " + q(empty_folder.string()) +
                 " --output " + q(out.string()) + " --database-url " + q(db.url()));
    CHECK(r.status == 1);
    CHECK(r.err.rfind(empty_folder.string() + ":1: error: query folder has no .sql files", 0) == 0);
    CHECK_FALSE(fs::exists(out));
    fs::remove(empty_folder);
}

TEST_CASE("a migrations folder's `-- migrate:install` lines apply the library schema, as pgorm-migrate does", "[bad]") {
    pgorm_test::empty_db db;
    fs::path dir = scratch_file("install_migrations");
    fs::remove_all(dir);
    fs::path schema_dir = dir / "schema";
    fs::create_directories(schema_dir);
    std::ofstream(schema_dir / "0001_init.sql") << "-- migrate:up\n-- migrate:install pgorm_rls\n"
                                            "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, org TEXT NOT NULL);\n"
                                            "-- migrate:down\nDROP TABLE notes;\n";
    fs::path queries = dir / "queries.sql";
    std::ofstream(queries) << "-- name: NotesOfMyOrg :many\n"
                              "SELECT id FROM notes WHERE org = (SELECT pgorm_rls.organization_id());\n";
    fs::path out = scratch_file("install_migrations.hpp");
    auto run = [&] {
        return generate("--schema " + q(schema_dir.string()) + " --queries " + q(queries.string()) + " --output " +
                        q(out.string()) + " --database-url " + q(db.url()));
    };
    auto r = run();
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(slurp(out).find("NotesOfMyOrg") != std::string::npos);

    // A statement after the line keeps its own line number; an unknown name is an error at its line.
    std::ofstream(schema_dir / "0002_more.sql") << "-- migrate:up\n-- migrate:install pgorm_rls\n\n"
                                                   "CREATE TABLE b (id BIGINT REFERENCES nowhere(id));\n";
    r = run();
    CHECK(r.status == 1);
    CHECK(r.err.rfind((schema_dir / "0002_more.sql").string() + ":4: error: schema: relation \"nowhere\"", 0) == 0);
    std::ofstream(schema_dir / "0002_more.sql") << "-- migrate:up\n-- migrate:install pgorm_nope\n";
    r = run();
    CHECK(r.status == 1);
    CHECK(r.err.rfind((schema_dir / "0002_more.sql").string() + ":2: error: unknown library schema 'pgorm_nope'", 0) == 0);
    fs::remove_all(dir);
    fs::remove(out);
}

// ---------------------------------------------------------------- queries.sql, run for real

TEST_CASE("queries.sql: users, organizations and credits") {
    pgorm_test::fresh_db db;
    auto c = db.connect();
    pgorm::xact tx(c);
    auto org = app::db::create_organization(tx, "Acme Inc").value();
    CHECK(org.id.rfind("org_", 0) == 0);
    CHECK(org.name == "Acme Inc");
    CHECK_FALSE(org.storytime.has_value());

    app::db::CreateUserParams p;
    p.organization_id = org.id;
    p.email = "ada@example.com";
    p.first_name = "Ada";
    p.preferences = pgorm::jsonb<>(R"({"company": "Acme Inc"})");
    auto ada = app::db::create_user(tx, p).value();
    CHECK(ada.user_id.rfind("usr_", 0) == 0);
    CHECK(ada.first_name == std::optional<std::string>("Ada"));
    CHECK_FALSE(ada.last_name.has_value());
    CHECK(ada.credits_balance == 0);
    p.email = "bob@example.com";
    p.first_name.reset();
    auto bob = app::db::create_user(tx, p).value();

    CHECK(app::db::get_user_by_email(tx, "ada@example.com").value().user_id == ada.user_id);
    CHECK_FALSE(app::db::get_user_by_email(tx, "nobody@example.com").has_value());

    auto by_company = app::db::list_users_by_company(tx, "Acme Inc");
    REQUIRE(by_company.size() == 2);
    CHECK(by_company[0].email == "ada@example.com");
    CHECK(app::db::list_users_by_company(tx, "Other").empty());
    std::vector<std::string> streamed;
    app::db::list_users_by_company_each(tx, "Acme Inc", [&](app::db::User&& u) { streamed.push_back(u.email); });
    CHECK(streamed == std::vector<std::string>{"ada@example.com", "bob@example.com"});

    auto with_org = app::db::users_with_organization(tx, org.id);
    REQUIRE(with_org.size() == 2);
    CHECK(with_org[1].u.email == "bob@example.com");
    CHECK(with_org[1].organization_name == "Acme Inc");

    CHECK(app::db::add_credits(tx, 100, ada.user_id) == std::optional<std::int64_t>(100));
    CHECK(app::db::add_credits(tx, -30, ada.user_id) == std::optional<std::int64_t>(70));
    CHECK_FALSE(app::db::add_credits(tx, 5, "usr_missing").has_value());

    app::db::RecordCreditPurchaseParams purchase{org.id, ada.user_id, "cs_test_1", 999, 100};
    auto t = app::db::record_credit_purchase(tx, purchase).value();
    CHECK(t.transaction_id.rfind("txn_", 0) == 0);
    CHECK(t.amount_paid_cents == 999);
    CHECK_THROWS_AS(app::db::record_credit_purchase(tx, purchase), pgorm::unique_violation);
}

TEST_CASE("queries.sql: deactivate by slice") {
    pgorm_test::fresh_db db;
    auto c = db.connect();
    auto org = app::db::create_organization(c, "Acme").value();
    app::db::CreateUserParams p{org.id, "a@x.org", {}, {}, {}};
    auto a = app::db::create_user(c, p).value();
    p.email = "b@x.org";
    auto b = app::db::create_user(c, p).value();
    p.email = "c@x.org";
    app::db::create_user(c, p);
    CHECK(app::db::deactivate_users(c, std::vector<std::string>{a.user_id, b.user_id, "usr_nobody"}) == 2);
    CHECK(app::db::deactivate_users(c, std::vector<std::string>{}) == 0);
    CHECK_FALSE(app::db::get_user_by_email(c, "a@x.org").value().is_active);
    CHECK(app::db::get_user_by_email(c, "c@x.org").value().is_active);
}

TEST_CASE("queries.sql: command bus, audit trail and queue metrics") {
    pgorm_test::fresh_db db;
    auto c = db.connect();
    boost::uuids::random_generator gen;
    auto id1 = gen(), id2 = gen(), corr = gen();
    app::db::InsertCommandParams p{"billing", id1, "Charge", pgorm::jsonb<>(R"({"amount": 5})"), "replies", corr};
    auto cmd = app::db::insert_command(c, p).value();
    CHECK(cmd.status == "PENDING");
    CHECK(cmd.reply_queue == std::optional<std::string>("replies"));
    CHECK(cmd.correlation_id == std::optional<boost::uuids::uuid>(corr));
    p.command_id = id2;
    p.reply_queue.reset();
    p.correlation_id.reset();
    auto cmd2 = app::db::insert_command(c, p).value();
    CHECK_FALSE(cmd2.reply_queue.has_value());

    auto pending = app::db::find_commands_by_status(c, "billing", "PENDING", 10);
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].command_id == id1);
    CHECK(app::db::find_commands_by_status(c, "billing", "PENDING", 1).size() == 1);

    std::vector<app::db::SetCommandStatusParams> changes{{"COMPLETED", "billing", id1}, {"FAILED", "billing", id2},
                                                         {"FAILED", "billing", gen()}};
    // A failing item (status is a foreign key) fails the whole batch: it is one implicit transaction.
    std::vector<app::db::SetCommandStatusParams> bad{{"COMPLETED", "billing", id1}, {"NO_SUCH_STATUS", "billing", id2}};
    CHECK_THROWS_AS(app::db::set_command_status(c, bad), pgorm::foreign_key_violation);
    CHECK(app::db::find_commands_by_status(c, "billing", "PENDING", 10).size() == 2);
    CHECK(app::db::set_command_status(c, changes) == std::vector<std::int64_t>{1, 1, 0});
    CHECK(app::db::find_commands_by_status(c, "billing", "PENDING", 10).empty());

    app::db::record_audit(c, {"billing", id1, "SENT", std::nullopt});
    app::db::record_audit(c, {"billing", id1, "COMPLETED", pgorm::jsonb<>(R"({"ok": true})")});
    auto trail = app::db::audit_trail(c, "billing", id1);
    REQUIRE(trail.size() == 2);
    CHECK(trail[0].event_type == "SENT");
    CHECK_FALSE(trail[0].details_json.has_value());
    CHECK(trail[1].details_json.has_value());

    auto last = app::db::commands_with_last_audit(c, "billing");
    REQUIRE(last.size() == 2);
    CHECK(last[0].last_event == std::optional<std::string>("COMPLETED"));
    CHECK_FALSE(last[1].last_event.has_value());  // the LEFT JOIN side: no audit for id2
    CHECK_FALSE(last[1].last_event_at.has_value());

    auto metrics = app::db::command_queue_metrics(c, "billing");
    REQUIRE(metrics.size() == 2);
    CHECK(metrics[0].status == "COMPLETED");
    CHECK(metrics[0].total == 1);
    CHECK(metrics[1].oldest_age_seconds.value() >= 0.0);
    CHECK(app::db::command_queue_metrics(c, "other").empty());
}

TEST_CASE("queries.sql: events, COPY import, pending, failed and processing times") {
    pgorm_test::fresh_db db;
    auto c = db.connect();
    auto e1 = app::db::insert_event(c, "order.paid", "shop", pgorm::jsonb<>(R"({"n": 1})")).value();
    CHECK(e1.status == "pending");
    CHECK(e1.id.rfind("evt_", 0) == 0);

    std::vector<app::db::ImportEventsParams> batch;
    for (int i = 0; i < 50; ++i) batch.push_back({i % 2 ? "order.paid" : "user.created", "import", pgorm::jsonb<>("{}")});
    CHECK(app::db::import_events(c, batch) == 50);

    auto pending = app::db::list_pending_events(c, 100);
    REQUIRE(pending.size() == 51);
    CHECK(app::db::list_pending_events(c, 5).size() == 5);
    std::size_t streamed = 0;
    app::db::list_pending_events_each(c, 1000, [&](app::db::Event&&) { ++streamed; });
    CHECK(streamed == 51);

    app::db::mark_event_failed(c, pending[1].id);
    auto failed = app::db::list_failed_events(c, 10);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].retry_count == 1);

    CHECK(app::db::mark_events_processed(c, {pending[0].id, pending[2].id, pending[3].id}) == 3);
    auto times = app::db::processing_times_by_type(c);
    REQUIRE_FALSE(times.empty());
    std::int64_t total = 0;
    for (auto& t : times) {
        total += t.processed;
        CHECK(t.avg_seconds.has_value());
    }
    CHECK(total == 3);
}

TEST_CASE("the streaming form drains the connection when the callback throws") {
    pgorm_test::fresh_db db;
    auto c = db.connect();
    for (int i = 0; i < 5; ++i) app::db::insert_event(c, "t", "s", pgorm::jsonb<>("{}"));
    int calls = 0;
    CHECK_THROWS_AS(app::db::list_pending_events_each(c, 10,
                                                      [&](app::db::Event&&) {
                                                          if (++calls == 2) throw std::runtime_error("stop");
                                                      }),
                    std::runtime_error);
    CHECK(calls == 2);
    CHECK(app::db::list_pending_events(c, 10).size() == 5);  // the connection is usable again
}

// ---------------------------------------------------------------- features.sql, run for real

namespace {
pgorm::connection features_db(pgorm_test::empty_db& db) {
    auto c = db.connect();
    c.execute_script(slurp(codegen_dir + "/features_schema.sql"));
    return c;
}
}  // namespace

TEST_CASE("features: enums, embeds under LEFT JOIN, slices, nargs and counts") {
    pgorm_test::empty_db db;
    auto c = features_db(db);
    auto a = features::create_author(c, "Ann", features::Mood::so_so, std::nullopt).value();
    CHECK(a.mood == features::Mood::so_so);
    CHECK_FALSE(a.class_.has_value());
    auto b = features::create_author(c, "Ben", features::Mood::sad, "poet").value();
    CHECK(b.class_ == std::optional<std::string>("poet"));

    auto book = features::create_book(c, {a.id, "Tides", {"sea", "salt"}, {{features::Mood::happy, features::Mood::so_so}}})
                    .value();
    CHECK(book.tags == std::vector<std::string>{"sea", "salt"});
    CHECK(book.moods == std::optional<std::vector<features::Mood>>({features::Mood::happy, features::Mood::so_so}));
    features::create_book(c, {std::nullopt, "Orphan", {}, std::nullopt});

    auto rows = features::books_with_author(c);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].b.title == "Tides");
    REQUIRE(rows[0].a.has_value());
    CHECK(rows[0].a->name == "Ann");
    CHECK(rows[1].b.title == "Orphan");
    CHECK_FALSE(rows[1].a.has_value());

    CHECK(features::find_authors(c, {a.id, b.id}, std::nullopt).size() == 2);
    auto sad = features::find_authors(c, {a.id, b.id}, features::Mood::sad);
    REQUIRE(sad.size() == 1);
    CHECK(sad[0].name == "Ben");

    auto moods = features::count_by_mood(c);
    REQUIRE(moods.size() == 2);
    CHECK(moods[0].mood == features::Mood::so_so);
    CHECK(moods[0].n == 1);
    CHECK(moods[0].max_id == std::optional<std::int64_t>(a.id));
    CHECK(features::count_authors(c) == std::optional<std::int64_t>(2));
}

TEST_CASE("features: copyfrom, batches, execresult and execrows") {
    pgorm_test::empty_db db;
    auto c = features_db(db);
    std::vector<features::ImportAuthorsParams> in{
        {"Cy", features::Mood::happy, std::nullopt}, {"Di", features::Mood::sad, "critic"}, {"Ed", features::Mood::so_so, {}}};
    CHECK(features::import_authors(c, in) == 3);
    CHECK(features::count_authors(c) == std::optional<std::int64_t>(3));

    auto found = features::author_by_name(c, std::vector<std::string>{"Di", "Nobody", "Cy"});
    REQUIRE(found.size() == 3);
    CHECK(found[0]->class_ == std::optional<std::string>("critic"));
    CHECK_FALSE(found[1].has_value());
    CHECK(found[2]->mood == features::Mood::happy);

    auto cy = found[2]->id;
    auto b1 = features::create_book(c, {cy, "One", {}, {}}).value();
    features::create_book(c, {cy, "Two", {}, {}});
    auto titles = features::titles_of(c, std::vector<std::int64_t>{cy, found[0]->id});
    REQUIRE(titles.size() == 2);
    CHECK(titles[0] == std::vector<std::string>{"One", "Two"});
    CHECK(titles[1].empty());

    CHECK(features::delete_book(c, std::vector<std::int64_t>{b1.id, b1.id}) == std::vector<std::int64_t>{1, 0});
    auto r = features::rename_author(c, cy, "Cyril");
    CHECK(r.affected_rows() == 1);
    CHECK(features::touch_authors(c) == 3);

    // A domain, "char", name and char(n) come back as their base types and pass the column check.
    auto h = features::add_handle(c, "ann", "Ann", "ab").value();
    CHECK(h.h == "ann");
    CHECK(h.code == "a");
    CHECK(h.label == std::optional<std::string>("Ann"));
    CHECK(h.padded == std::optional<std::string>("ab  "));

    // Names and labels that need escaping in C++ literals, and SQL that cannot be a raw literal.
    auto odd = features::odd_text(c, features::Shade::tab_here).value();
    CHECK(odd.marker == std::optional<std::string>(")sql\""));
    CHECK(odd.shade == std::optional<features::Shade>(features::Shade::back_slash));
    CHECK(odd.echo == std::optional<features::Shade>(features::Shade::tab_here));
    CHECK(pgorm::codec<features::Shade>::label(features::Shade::dark_deep_) == "dark \"deep\"");
    CHECK(pgorm::codec<features::Shade>::sql_name == "\"Shade\"");

    // A failing item stops the batch with the server's error; the connection stays usable.
    CHECK_THROWS_AS(features::create_book(c, {std::int64_t{999}, "Nope", {}, {}}), pgorm::foreign_key_violation);
    CHECK(features::count_authors(c) == std::optional<std::int64_t>(3));
}

// ---------------------------------------------------------------- schema drift after generation

TEST_CASE("a header generated against an older schema fails with the query, column and both types", "[drift]") {
    pgorm_test::empty_db db;
    auto c = features_db(db);
    c.execute_script("INSERT INTO authors (name, \"class\") VALUES ('Ann', 'poet')");
    c.execute_script("INSERT INTO books (author_id, title) SELECT id, 'Tides' FROM authors");
    auto ids = std::vector<std::int64_t>{1};
    REQUIRE(features::find_authors(c, ids, std::nullopt).size() == 1);

    SECTION("a column changes type") {
        c.execute_script("ALTER TABLE authors ALTER COLUMN \"class\" TYPE integer USING NULL");
        auto expect_mismatch = [](auto&& call, const std::string& query) {
            try {
                call();
                FAIL("no type_mismatch for " << query);
            } catch (const pgorm::type_mismatch& e) {
                std::string m = e.what();
                INFO(m);
                CHECK(m.find("query " + query + ":") != std::string::npos);
                CHECK(m.find("column \"class\" has type integer") != std::string::npos);
                CHECK(m.find("(text) cannot hold") != std::string::npos);
                CHECK(m.find("run pgorm-gen again") != std::string::npos);
            }
        };
        expect_mismatch([&] { features::find_authors(c, ids, std::nullopt); }, "FindAuthors");
        expect_mismatch([&] { features::find_authors_each(c, ids, std::nullopt, [](features::Author&&) {}); },
                        "FindAuthors");
        expect_mismatch([&] { features::books_with_author(c); }, "BooksWithAuthor");  // inside an embed
        expect_mismatch([&] { features::author_by_name(c, std::vector<std::string>{"Ann"}); }, "AuthorByName");
        CHECK(features::count_authors(c) == std::optional<std::int64_t>(1));  // the connection is fine
    }
    SECTION("a column is added") {
        c.execute_script("ALTER TABLE authors ADD COLUMN born date");
        CHECK_THROWS_WITH(features::find_authors(c, ids, std::nullopt),
                          Catch::Contains("query FindAuthors returns 5 column(s), the generated code reads 4"));
        CHECK_THROWS_AS(features::books_with_author(c), pgorm::column_mismatch);
    }
    SECTION("a column is dropped, so the ones after it move") {
        c.execute_script("ALTER TABLE books DROP COLUMN title");
        CHECK_THROWS_AS(features::books_with_author(c), pgorm::column_mismatch);
        CHECK_THROWS_AS(features::titles_of(c, std::vector<std::int64_t>{1}), pgorm::sql_error);  // no such column
    }
    SECTION("an empty result is checked too") {
        c.execute_script("ALTER TABLE authors ALTER COLUMN name TYPE bigint USING 0");
        CHECK_THROWS_AS(features::find_authors(c, std::vector<std::int64_t>{}, std::nullopt), pgorm::type_mismatch);
    }
}

// Not a test: how long the drift check takes next to a round trip. Run with
//   ./tests/test_codegen "[.measure]"
TEST_CASE("measure: column check vs round trip", "[.measure]") {
    pgorm_test::fresh_db db;
    auto c = db.connect();
    auto org = app::db::create_organization(c, "Acme").value();
    app::db::create_user(c, {org.id, "a@x.org", {}, {}, {}});
    auto r = c.execute(app::db::sql::users_with_organization, org.id);  // 20 columns, one embed
    REQUIRE(r.size() == 1);
    using clock = std::chrono::steady_clock;
    constexpr int checks = 1000000, trips = 2000;
    auto t0 = clock::now();
    for (int i = 0; i < checks; ++i) pgorm::generated::check_columns<app::db::UsersWithOrganizationRow>(r, "x");
    auto t1 = clock::now();
    for (int i = 0; i < trips; ++i) app::db::users_with_organization(c, org.id);
    auto t2 = clock::now();
    double check_ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / checks;
    double trip_ns = std::chrono::duration<double, std::nano>(t2 - t1).count() / trips;
    WARN("check_columns<UsersWithOrganizationRow> (20 columns): " << check_ns << " ns; users_with_organization "
                                                                  "round trip incl. check: "
                                                                  << trip_ns << " ns (" << 100.0 * check_ns / trip_ns
                                                                  << " %)");
}

#else

TEST_CASE("pgorm-gen tests") {
    WARN("pgorm-gen is not part of this build (PGORM_BUILD_TOOLS=OFF): codegen tests skipped");
}

#endif
