// Typed statements (core/statement.hpp) run by both executors: the repository's *_statement
// builders (repo/statements.hpp) and pgorm-gen's *_statement functions, through the synchronous
// connection and through async_connection, with the same results as the repository and the
// generated functions themselves; rows that do not fit the statement's Row fail with the errors
// the synchronous API gives.

#include "support.hpp"

#include <pgorm/async.hpp>
#include <pgorm/repo.hpp>

// The generated header for queries.sql as pgorm-gen writes it: test_codegen's [golden] case
// checks that this file is exactly the generator's output, so it needs no generation step here.
#include "codegen/golden/app_queries.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
using pgorm::awaitable;

namespace {

struct Acct {
    std::int64_t id = 0;
    std::string owner;
    std::optional<std::int64_t> balance;
    bool operator==(const Acct&) const = default;
};
BOOST_DESCRIBE_STRUCT(Acct, (), (id, owner, balance))
PGORM_TABLE(Acct, "stmt_account", key(&Acct::id), defaults(&Acct::id));

// Two-part key, to check a std::tuple key binds in key order.
struct Pair {
    std::int64_t a = 0;
    std::int64_t b = 0;
    std::string note;
    bool operator==(const Pair&) const = default;
};
BOOST_DESCRIBE_STRUCT(Pair, (), (a, b, note))
PGORM_TABLE(Pair, "stmt_pair", key(&Pair::a, &Pair::b));

constexpr const char* schema =
    "CREATE TABLE stmt_account (id bigserial PRIMARY KEY, owner text NOT NULL, balance bigint);"
    "CREATE TABLE stmt_pair (a bigint, b bigint, note text NOT NULL, PRIMARY KEY (a, b));"
    "INSERT INTO stmt_pair VALUES (1, 2, 'one-two'), (2, 1, 'two-one');";

/// Runs `f` (a coroutine factory) to completion on a fresh io_context on this thread; rethrows.
template <class F>
void run_async(F&& f) {
    asio::io_context io;
    std::exception_ptr failed;
    bool finished = false;
    asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e) {
        failed = e;
        finished = true;
    });
    io.run();
    REQUIRE(finished);
    if (failed) std::rethrow_exception(failed);
}

using accounts = pgorm::repository<Acct>;

}  // namespace

TEST_CASE("repository statements: the repository's SQL, run by the sync and the async executor alike") {
    pgorm_test::empty_db db;
    auto sync = db.connect();
    sync.execute_script(schema);
    pgorm::repository<Acct> repo{sync};
    using pgorm::col;
    const auto rich = col(&Acct::balance) > 5;
    const auto by_owner = pgorm::order_by(pgorm::desc(&Acct::owner)).limit(2);

    // The same text the repository renders, values as parameters.
    CHECK(accounts::find_statement(rich, by_owner).sql == repo.select(rich, by_owner).sql);
    CHECK(accounts::find_statement(rich, by_owner).params.size() == repo.select(rich, by_owner).params.size());
    CHECK(accounts::get_statement(std::int64_t{1}, pgorm::for_update).sql.ends_with(" FOR UPDATE"));
    CHECK(repo.get_statement(std::int64_t{1}).sql == accounts::get_statement(std::int64_t{1}).sql);  // inherited

    // insert: the stored row comes back with its server default (id) filled.
    Acct ada = sync.query_one(accounts::insert_statement(Acct{.owner = "ada", .balance = 10})).value();
    CHECK(ada.id > 0);
    CHECK(repo.get(ada.id) == ada);
    Acct bob_async, cy_async;
    std::vector<Acct> found_async;
    std::optional<Acct> got_async, missing_async, pair_async;
    std::optional<Acct> updated_async;
    std::int64_t removed_async = -1, removed_again_async = -1;
    std::optional<Pair> pair_row;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        // Rows built outside the co_await expressions: g++ 12 destroys an aggregate temporary
        // made inside one twice (seen here as a double free).
        const Acct bob{.owner = "bob", .balance = std::nullopt}, cy{.owner = "cy", .balance = 30};
        bob_async = (co_await c.query_one(accounts::insert_statement(bob))).value();
        cy_async = (co_await c.query_one(accounts::insert_statement(cy))).value();
        got_async = co_await c.query_one(accounts::get_statement(ada.id, pgorm::for_update));
        missing_async = co_await c.query_one(accounts::get_statement(std::int64_t{999}));
        found_async = co_await c.query(accounts::find_statement(rich, by_owner));
        Acct raised = cy_async;
        raised.balance = 31;
        updated_async = co_await c.query_one(accounts::update_statement(raised));
        removed_async = (co_await c.execute(accounts::remove_statement(bob_async.id))).affected_rows();
        removed_again_async = (co_await c.execute(accounts::remove_statement(bob_async.id))).affected_rows();
        pair_row = co_await c.query_one(pgorm::repository<Pair>::get_statement(std::tuple{std::int64_t{2}, std::int64_t{1}}));
    });
    CHECK(bob_async.owner == "bob");
    CHECK_FALSE(bob_async.balance.has_value());
    CHECK(got_async == ada);
    CHECK(got_async == sync.query_one(accounts::get_statement(ada.id)));
    CHECK_FALSE(missing_async.has_value());
    CHECK_FALSE(sync.query_one(accounts::get_statement(std::int64_t{999})).has_value());
    // find: cy (30) then ada (10); the async rows were read before cy's update.
    REQUIRE(found_async.size() == 2);
    CHECK(found_async[0].owner == "cy");
    CHECK(found_async[1] == ada);
    REQUIRE(updated_async.has_value());
    CHECK(updated_async->balance == 31);
    CHECK(repo.find(rich, by_owner) == sync.query(accounts::find_statement(rich, by_owner)));
    CHECK(repo.find(rich, by_owner)[0] == *updated_async);
    CHECK(removed_async == 1);
    CHECK(removed_again_async == 0);
    CHECK_FALSE(repo.get(bob_async.id).has_value());
    REQUIRE(pair_row.has_value());
    CHECK(pair_row->note == "two-one");  // (a, b) = (2, 1), not (1, 2)

    // The sync executor: update of a row that is gone gives no row (update() throws not_found).
    Acct gone = bob_async;
    gone.owner = "nobody";
    CHECK_FALSE(sync.query_one(accounts::update_statement(gone)).has_value());
    CHECK_THROWS_AS(repo.update(gone), pgorm::not_found);
    CHECK(sync.execute(accounts::remove_statement(ada.id)).affected_rows() == 1);
    CHECK(repo.remove(ada.id) == false);
}

TEST_CASE("generated statements: q::name_statement(args) runs on both executors like the generated function") {
    pgorm_test::fresh_db db;
    auto sync = db.connect();
    auto org = app::db::create_organization(sync, "Acme Inc").value();
    app::db::CreateUserParams p;
    p.organization_id = org.id;
    p.email = "ada@example.com";
    p.preferences = pgorm::jsonb<>(R"({"company": "Acme Inc"})");
    auto ada = app::db::create_user(sync, p).value();
    p.email = "bob@example.com";
    auto bob = app::db::create_user(sync, p).value();

    std::optional<app::db::User> by_email_async, nobody_async;
    std::vector<app::db::User> company_async;
    std::int64_t balance_async = 0, deactivated_async = -1;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        by_email_async = co_await c.query_one(app::db::get_user_by_email_statement("ada@example.com"));
        nobody_async = co_await c.query_one(app::db::get_user_by_email_statement("nobody@example.com"));
        company_async = co_await c.query(app::db::list_users_by_company_statement("Acme Inc"));
        // :one returning a single value, with named parameters (@amount, @user_id)
        balance_async = (co_await c.query_one(app::db::add_credits_statement(7, bob.user_id))).value();
        // :execrows: a statement<void>, run with execute()
        std::vector<std::string> just_ada;  // not a braced list: g++ 12 miscompiles its array in a coroutine
        just_ada.push_back(ada.user_id);
        deactivated_async = (co_await c.execute(app::db::deactivate_users_statement(just_ada))).affected_rows();
    });
    REQUIRE(by_email_async.has_value());
    CHECK(by_email_async->user_id == ada.user_id);
    CHECK(by_email_async->user_id == app::db::get_user_by_email(sync, "ada@example.com").value().user_id);
    CHECK(sync.query_one(app::db::get_user_by_email_statement("ada@example.com")).value().email == ada.email);
    CHECK_FALSE(nobody_async.has_value());
    auto company_sync = app::db::list_users_by_company(sync, "Acme Inc");
    auto company_stmt = sync.query(app::db::list_users_by_company_statement("Acme Inc"));
    REQUIRE(company_async.size() == 2);
    REQUIRE(company_sync.size() == 2);
    REQUIRE(company_stmt.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(company_async[i].user_id == company_sync[i].user_id);
        CHECK(company_stmt[i].email == company_sync[i].email);
    }
    CHECK(balance_async == 7);
    CHECK(app::db::add_credits(sync, 1, bob.user_id) == std::optional<std::int64_t>(8));
    CHECK(sync.query_one(app::db::add_credits_statement(1, bob.user_id)) == std::optional<std::int64_t>(9));
    CHECK(deactivated_async == 1);
    CHECK(sync.execute(app::db::deactivate_users_statement(std::vector<std::string>{ada.user_id, bob.user_id}))
              .affected_rows() == 2);
}

namespace {
struct OwnerAsNumber {  // owner is text in the table
    std::int64_t id = 0;
    std::int64_t owner = 0;
    std::optional<std::int64_t> balance;
};
BOOST_DESCRIBE_STRUCT(OwnerAsNumber, (), (id, owner, balance))
struct BalanceRequired {  // balance is nullable in the table
    std::int64_t id = 0;
    std::string owner;
    std::int64_t balance = 0;
};
BOOST_DESCRIBE_STRUCT(BalanceRequired, (), (id, owner, balance))

template <class Row>
pgorm::statement<Row> all_accounts() {
    return pgorm::make_statement<Row>("SELECT id, owner, balance FROM stmt_account ORDER BY id", {"AllAccounts"});
}

/// Runs `s` through both executors' query(); returns the two messages of the exceptions of type E.
template <class E, class Row>
std::pair<std::string, std::string> failures_of(pgorm_test::empty_db& db, pgorm::connection& sync, const pgorm::statement<Row>& s) {
    std::string sync_what, async_what;
    try {
        (void)sync.query(s);
    } catch (const E& e) {
        sync_what = e.what();
    }
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        try {
            (void)co_await c.query(s);
        } catch (const E& e) {
            async_what = e.what();
        }
        std::vector<Acct> after = co_await c.query(all_accounts<Acct>());
        CHECK(after.size() == 2);  // the connection stays usable
    });
    return {sync_what, async_what};
}
}  // namespace

TEST_CASE("typed statements: rows that do not fit Row fail alike on both executors") {
    pgorm_test::empty_db db;
    auto sync = db.connect();
    sync.execute_script(schema);
    sync.execute_script("INSERT INTO stmt_account (owner, balance) VALUES ('ada', 10), ('bob', NULL)");

    auto [sync_type, async_type] = failures_of<pgorm::type_mismatch>(db, sync, all_accounts<OwnerAsNumber>());
    CHECK(sync_type.find("query AllAccounts") != std::string::npos);
    CHECK(sync_type.find("column \"owner\" has type text") != std::string::npos);
    CHECK(async_type == sync_type);

    auto [sync_null, async_null] = failures_of<pgorm::unexpected_null>(db, sync, all_accounts<BalanceRequired>());
    CHECK(sync_null.find("column \"balance\"") != std::string::npos);
    CHECK(sync_null.find("is not std::optional") != std::string::npos);
    CHECK(async_null == sync_null);

    auto [sync_shape, async_shape] = failures_of<pgorm::column_mismatch>(db, sync, all_accounts<std::tuple<std::int64_t, std::string>>());
    CHECK(sync_shape.find("returns 3 column(s)") != std::string::npos);
    CHECK(async_shape == sync_shape);

    // query_one on a statement that returns two rows is a usage_error, on both executors.
    CHECK_THROWS_AS(sync.query_one(all_accounts<Acct>()), pgorm::usage_error);
    bool async_refused = false;
    run_async([&](asio::any_io_executor ex) -> awaitable<void> {
        pgorm::async_connection c{ex, db.url()};
        co_await c.connect();
        try {
            (void)co_await c.query_one(all_accounts<Acct>());
        } catch (const pgorm::usage_error& e) {
            async_refused = std::string(e.what()).find("query AllAccounts: expected at most one row, got 2") != std::string::npos;
        }
    });
    CHECK(async_refused);

    // Building refuses what find() refuses: two orderings.
    const auto by_id = pgorm::order_by(pgorm::asc(&Acct::id));
    CHECK_THROWS_AS(accounts::find_statement({}, by_id, by_id), pgorm::usage_error);
}
