// The allocation-free statement paths of performance round 2 (docs/performance.md): repository
// texts cached per default-column mask and shared by threads, add() without RETURNING, text
// parameters sent from the caller's bytes, bounded_params, param_list growth, the statement
// cache's recent hits, and flat pipeline batches.
#include "repo_fixture.hpp"


#include <pgorm/core/copy.hpp>
#include <pgorm/core/pipeline.hpp>

#include <thread>

using namespace pgorm;
using app::Organization;
using app::User;
using pgorm_test::fresh_db;

namespace {
using fixture = pgorm_test::repo_fixture;
}  // namespace

TEST_CASE("add stores the row without reading it back; insert still returns it", "[fast][repo]") {
    fixture f;
    f.users.insert_without_returning(f.make("a@x.io"));
    User b = f.users.insert(f.make("b@x.io"));
    CHECK(b.user_id.starts_with("usr_"));
    CHECK(f.users.count() == 2);
    auto a = f.users.find(col(&User::email) == "a@x.io");
    REQUIRE(a.size() == 1);
    CHECK(a[0].user_id.starts_with("usr_"));  // the server filled the default column
    CHECK_THROWS_AS(f.users.insert_without_returning(f.make("a@x.io")), unique_violation);
}

TEST_CASE("insert texts differ by which default columns are sent", "[fast][repo]") {
    fixture f;
    User chosen = f.make("chosen@x.io");
    chosen.user_id = "usr_chosen";
    User generated = f.users.insert(f.make("gen@x.io"));           // user_id left to the server
    CHECK(f.users.insert(chosen).user_id == "usr_chosen");         // user_id sent
    CHECK(f.users.insert(f.make("gen2@x.io")).user_id != generated.user_id);  // cached text again
    User dated = f.make("dated@x.io");
    dated.created_at = timestamptz{std::chrono::sys_days{std::chrono::year{2020} / 1 / 1}};
    CHECK(f.users.insert(dated).created_at == dated.created_at);
    CHECK(f.users.count() == 4);
}

TEST_CASE("repository statements from several threads share the cached texts", "[fast][repo]") {
    fresh_db db;
    {
        auto c = db.connect();
        Organization seed;
        seed.name = "seed";
        repository<Organization>{c}.insert(seed);
    }
    std::vector<std::thread> workers;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t)
        workers.emplace_back([&, t] {
            try {
                auto c = db.connect();
                repository<Organization> orgs{c};
                for (int i = 0; i < 25; ++i) {
                    Organization o;
                    o.name = "o" + std::to_string(t) + "_" + std::to_string(i);
                    o = orgs.insert(o);
                    if (!orgs.get(o.id) || !orgs.remove(o.id)) ++failures;
                }
            } catch (...) {
                ++failures;
            }
        });
    for (auto& w : workers) w.join();
    CHECK(failures == 0);
    auto c = db.connect();
    CHECK(repository<Organization>{c}.count() == 1);
}

TEST_CASE("get and remove by key, with and without a lock", "[fast][repo]") {
    fixture f;
    User u = f.users.insert(f.make("k@x.io"));
    CHECK(f.users.get(u.user_id)->email == "k@x.io");
    std::string_view key = u.user_id;  // a borrowed text key
    CHECK(f.users.get(key, for_update)->email == "k@x.io");
    CHECK_FALSE(f.users.get(std::string("usr_missing")).has_value());
    CHECK(f.users.remove(u.user_id));
    CHECK_FALSE(f.users.remove(u.user_id));
}

TEST_CASE("text parameters are sent from the caller's bytes", "[fast][core]") {
    fresh_db db;
    auto c = db.connect();
    std::string s = "hello";
    std::string_view empty_view;  // data() is null: must arrive as '' not NULL
    std::optional<std::string> none, some = "x";
    auto row = c.query_one<std::tuple<std::string, std::optional<std::string>, std::optional<std::string>,
                                      std::optional<std::string>>>("SELECT $1::text, $2::text, $3::text, $4::text", s,
                                                                   empty_view, none, some);
    REQUIRE(row);
    CHECK(std::get<0>(*row) == "hello");
    CHECK(std::get<1>(*row) == std::optional<std::string>(""));
    CHECK_FALSE(std::get<2>(*row).has_value());
    CHECK(std::get<3>(*row) == std::optional<std::string>("x"));
}

TEST_CASE("bounded_params refuses more values than it has room for", "[fast][core]") {
    std::string buf;
    bounded_params<1> p(buf);
    p.add(std::int64_t{1});
    CHECK_THROWS_AS(p.add(std::int64_t{2}), usage_error);
    CHECK(p.refs().count == 1);
}

TEST_CASE("param_list keeps its values across growth", "[fast][core]") {
    fresh_db db;
    auto c = db.connect();
    param_list p;
    std::string sql = "SELECT ";
    for (int i = 0; i < 40; ++i) {  // past the first capacity of 16, and past 32
        sql += (i ? " + $" : "$") + std::to_string(p.add(std::int64_t{i}));
    }
    sql += " + coalesce($" + std::to_string(p.add(std::optional<std::int64_t>{})) + ", 0)";
    CHECK(c.execute(sql, p).value<std::int64_t>() == 40 * 39 / 2);
    p.clear();
    p.add(std::int64_t{7});
    CHECK(c.execute("SELECT $1", p).value<std::int64_t>() == 7);
}

TEST_CASE("statements that alternate keep their cached names", "[fast][core]") {
    fresh_db db;
    auto c = db.connect();
    for (int i = 0; i < 10; ++i) {
        CHECK(c.query_value<std::int64_t>("SELECT $1::bigint + 1", std::int64_t{i}) == i + 1);
        CHECK(c.query_value<std::string>("SELECT $1::text || 'x'", std::string("a")) == "ax");
        CHECK(c.query_value<std::int32_t>("SELECT $1::bigint::int + 2", std::int64_t{i}) == i + 2);
    }
    CHECK(c.cached_statements() == 3);
    c.clear_statement_cache();
    CHECK(c.query_value<std::int64_t>("SELECT $1::bigint + 1", std::int64_t{1}) == 2);
}

TEST_CASE("pipeline batches mixing texts, shapes and run-time parameters", "[fast][pipeline]") {
    fresh_db db;
    auto c = db.connect();
    c.execute_script("CREATE TABLE t (a bigint, b text)");
    pipeline p{c};
    for (std::int64_t i = 0; i < 100; ++i) p.execute("INSERT INTO t (a, b) VALUES ($1, $2)", i, std::to_string(i));
    p.execute("INSERT INTO t (a, b) VALUES ($1, $2)", std::int64_t{100}, std::optional<std::string>{});
    p.execute("INSERT INTO t (a) VALUES ($1::int)", std::int32_t{101});  // same shape of text, other types
    param_list extra;
    extra.add(std::int64_t{102});
    extra.add(std::optional<std::string>{});
    p.execute("INSERT INTO t (a, b) VALUES ($1, $2)", extra);
    p.execute("SELECT count(*) FROM t");
    auto results = p.sync();
    REQUIRE(results.size() == 104);
    CHECK(results.back().value<std::int64_t>() == 103);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM t WHERE b IS NULL") == 3);
    CHECK(c.query_value<std::int64_t>("SELECT sum(a)::bigint FROM t") == 102 * 103 / 2);
}

TEST_CASE("COPY rows and fields larger than the writer's buffer", "[fast][copy]") {
    fresh_db db;
    auto c = db.connect();
    c.execute_script("CREATE TABLE big (id bigint PRIMARY KEY, body text, note text)");
    std::string huge(300 * 1024, 'x');  // past flush_at + slack: the buffer grows for it
    std::string medium(5000, 'm');     // rows that straddle flushes
    copy_writer w{c, "big", {"id", "body", "note"}};
    w.write_row(std::int64_t{0}, huge, std::optional<std::string>{});
    for (std::int64_t i = 1; i <= 100; ++i) w.write_row(i, medium, std::optional<std::string>{"n"});
    w.write_row(std::int64_t{101}, std::string_view{}, std::optional<std::string>{""});
    CHECK(w.finish() == 102);
    CHECK(c.query_value<std::int64_t>("SELECT length(body) FROM big WHERE id = 0") == 300 * 1024);
    CHECK(c.query_value<std::int64_t>("SELECT sum(length(body))::bigint FROM big WHERE id BETWEEN 1 AND 100") == 500000);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM big WHERE note IS NULL") == 1);
    CHECK(c.query_value<std::string>("SELECT body || '|' || note FROM big WHERE id = 101") == "|");
}

TEST_CASE("param_list copies and moves keep or hand over their values", "[fast][core]") {
    fresh_db db;
    auto c = db.connect();
    param_list many;
    for (int i = 0; i < 20; ++i) many.add(std::int64_t{i});
    param_list copy = many;
    param_list moved = std::move(many);
    CHECK(many.empty());  // NOLINT: the moved-from list is empty and usable
    many.add(std::int64_t{5});
    CHECK(c.execute("SELECT $1", many).value<std::int64_t>() == 5);
    std::string sql = "SELECT $1";
    for (int i = 2; i <= 20; ++i) sql += " + $" + std::to_string(i);
    CHECK(c.execute(sql, copy).value<std::int64_t>() == 190);
    CHECK(c.execute(sql, moved).value<std::int64_t>() == 190);
    CHECK(moved.types().size() == 20);
}
