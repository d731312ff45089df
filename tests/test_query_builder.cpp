// The query builder (pgorm/query.hpp) against the real server: every construct it renders runs
// on the tests' schema (organizations, users, transactions) and reads back through row mapping.
#include "repo_fixture.hpp"

#include "schema/models.hpp"

#include <pgorm/query.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using app::Organization;
using app::Transaction;
using app::User;
using pgorm::col;
using pgorm::on;

namespace {

/// Read by column name: the members are named after the selected columns.
struct EmailCredits {
    std::string email;
    std::int64_t credits_balance = 0;
};
BOOST_DESCRIBE_STRUCT(EmailCredits, (), (email, credits_balance))

struct OrgTotals {
    std::string name;
    std::int64_t users = 0;
    std::optional<pgorm::numeric> credits;
};
BOOST_DESCRIBE_STRUCT(OrgTotals, (), (name, users, credits))

/// The fixture's org with users u0..u3 (0, 10, 20, 30 credits) and an org without users.
struct query_fixture : pgorm_test::repo_fixture {
    std::vector<User> seeded = seed(4);
    std::string empty_org = [this] {
        Organization o;
        o.name = "Empty Org";
        return pgorm::repository<Organization>{c}.insert(o).id;
    }();

    void pay(const User& u, std::int64_t cents, const std::string& session) {
        Transaction t;
        t.organization_id = org;
        t.user_id = u.user_id;
        t.stripe_session_extid = session;
        t.amount_paid_cents = cents;
        t.credits_added = cents / 10;
        pgorm::repository<Transaction>{c}.insert(t);
    }
};

}  // namespace

TEST_CASE("select with where, order_by, limit and offset reads tuples", "[query]") {
    query_fixture f;
    auto rows = pgorm::select(col(&User::email), col(&User::credits_balance))
                    .from<User>()
                    .where(col(&User::credits_balance) >= 10)
                    .order_by(desc(col(&User::credits_balance)))
                    .limit(2)
                    .offset(1)
                    .fetch(f.c);
    using row = std::tuple<std::string, std::int64_t>;
    CHECK(rows == std::vector<row>{{"u2@x.io", 20}, {"u1@x.io", 10}});
}

TEST_CASE("results read into a described struct by name and into a single value", "[query]") {
    query_fixture f;
    auto q = pgorm::select(col(&User::email), col(&User::credits_balance))
                 .from<User>()
                 .where(col(&User::email) == "u3@x.io");
    auto one = q.fetch_one<EmailCredits>(f.c);
    REQUIRE(one);
    CHECK(one->email == "u3@x.io");
    CHECK(one->credits_balance == 30);

    std::vector<std::string> emails =
        pgorm::select(col(&User::email)).from<User>().order_by(col(&User::email)).fetch(f.c);
    CHECK(emails == std::vector<std::string>{"u0@x.io", "u1@x.io", "u2@x.io", "u3@x.io"});

    CHECK(pgorm::select(pgorm::count()).from<User>().fetch_one(f.c) == 4);
}

TEST_CASE("a row type that does not fit the select list is refused with the mapper's errors", "[query]") {
    query_fixture f;
    auto q = pgorm::select(col(&User::email), col(&User::credits_balance)).from<User>();
    using two_numbers = std::tuple<std::int64_t, std::int64_t>;
    CHECK_THROWS_AS(q.fetch<two_numbers>(f.c), pgorm::type_mismatch);
    CHECK_THROWS_AS(q.fetch<OrgTotals>(f.c), pgorm::column_mismatch);
    CHECK_THROWS_AS(q.fetch_one(f.c), pgorm::usage_error);  // four rows, at most one expected
}

TEST_CASE("distinct and IN lists", "[query]") {
    query_fixture f;
    auto orgs = pgorm::select(col(&User::organization_id)).from<User>().distinct().fetch(f.c);
    CHECK(orgs == std::vector<std::string>{f.org});
    auto picked = pgorm::select(col(&User::credits_balance))
                      .from<User>()
                      .where(col(&User::email).in({"u1@x.io", "u3@x.io", "nobody@x.io"}))
                      .order_by(col(&User::credits_balance))
                      .fetch(f.c);
    CHECK(picked == std::vector<std::int64_t>{10, 30});
}

TEST_CASE("NULLS FIRST and NULLS LAST order the rows without a value", "[query]") {
    query_fixture f;
    f.users.update_columns(f.seeded[1].user_id, pgorm::set(&User::first_name, "Bea"));
    auto names = pgorm::select(col(&User::first_name))
                     .from<User>()
                     .order_by(pgorm::query_column(col(&User::first_name)).asc().nulls_first(), col(&User::email))
                     .limit(2)
                     .fetch(f.c);
    CHECK(names == std::vector<std::optional<std::string>>{std::nullopt, std::nullopt});
    auto last = pgorm::select(col(&User::first_name))
                    .from<User>()
                    .order_by(pgorm::query_column(col(&User::first_name)).asc().nulls_last())
                    .limit(1)
                    .fetch(f.c);
    CHECK(last == std::vector<std::optional<std::string>>{"Bea"});
}

TEST_CASE("inner and left joins; the nullable side reads std::nullopt", "[query]") {
    query_fixture f;
    auto inner = pgorm::select(col(&Organization::name), col(&User::email))
                     .from<Organization>()
                     .join<User>(on(col(&User::organization_id) == col(&Organization::id)))
                     .where(col(&User::credits_balance) < 10)
                     .fetch(f.c);
    CHECK(inner == std::vector<std::tuple<std::string, std::string>>{{"Acme Inc", "u0@x.io"}});

    auto left = pgorm::select(col(&Organization::name), col(&User::email))
                    .from<Organization>()
                    .left_join<User>(on(col(&User::organization_id) == col(&Organization::id)))
                    .where(col(&Organization::name) == "Empty Org")
                    .fetch(f.c);
    using row = std::tuple<std::string, std::optional<std::string>>;
    CHECK(left == std::vector<row>{{"Empty Org", std::nullopt}});
}

TEST_CASE("right and full joins make the other side optional", "[query]") {
    query_fixture f;
    auto right = pgorm::select(col(&User::email), col(&Organization::name))
                     .from<User>()
                     .right_join<Organization>(on(col(&User::organization_id) == col(&Organization::id)))
                     .where(col(&Organization::id) == f.empty_org)
                     .fetch(f.c);
    CHECK(right == std::vector<std::tuple<std::optional<std::string>, std::string>>{{std::nullopt, "Empty Org"}});

    auto full = pgorm::select(pgorm::count(col(&User::user_id)), pgorm::count(col(&Organization::id)), pgorm::count())
                    .from<User>()
                    .full_join<Organization>(on(col(&User::organization_id) == col(&Organization::id)))
                    .fetch(f.c);
    CHECK(full == std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>>{{4, 5, 5}});
}

TEST_CASE("an alias joins a table with itself", "[query]") {
    query_fixture f;
    using richer = pgorm::alias<User, "richer">;
    auto rows = pgorm::select(col(&User::email), pgorm::count(richer::col(&User::user_id)).as("richer_users"))
                    .from<User>()
                    .left_join<richer>(on(richer::col(&User::organization_id) == col(&User::organization_id) &&
                                          richer::col(&User::credits_balance) > col(&User::credits_balance)))
                    .group_by(col(&User::email))
                    .order_by(col(&User::email))
                    .fetch(f.c);
    using row = std::tuple<std::string, std::int64_t>;
    CHECK(rows == std::vector<row>{{"u0@x.io", 3}, {"u1@x.io", 2}, {"u2@x.io", 1}, {"u3@x.io", 0}});
}

TEST_CASE("aggregates, group_by and having read PostgreSQL's result types", "[query]") {
    query_fixture f;
    f.pay(f.seeded[0], 500, "cs_1");
    f.pay(f.seeded[0], 700, "cs_2");
    f.pay(f.seeded[2], 300, "cs_3");

    auto per_user = pgorm::select(col(&User::email), pgorm::count(), pgorm::sum(col(&Transaction::amount_paid_cents)),
                                  pgorm::min(col(&Transaction::amount_paid_cents)))
                        .from<User>()
                        .join<Transaction>(on(col(&Transaction::user_id) == col(&User::user_id)))
                        .group_by(col(&User::email))
                        .having(pgorm::count() > 1)
                        .fetch(f.c);
    REQUIRE(per_user.size() == 1);
    CHECK(std::get<0>(per_user[0]) == "u0@x.io");
    CHECK(std::get<1>(per_user[0]) == 2);
    CHECK(std::get<2>(per_user[0]) == pgorm::numeric("1200"));  // sum(bigint) is numeric
    CHECK(std::get<3>(per_user[0]) == 500);

    auto totals = pgorm::select(col(&Organization::name), pgorm::count(col(&User::user_id)).as("users"),
                                pgorm::sum(col(&User::credits_balance)).as("credits"))
                      .from<Organization>()
                      .left_join<User>(on(col(&User::organization_id) == col(&Organization::id)))
                      .group_by(col(&Organization::name))
                      .order_by(col(&Organization::name))
                      .fetch<OrgTotals>(f.c);
    REQUIRE(totals.size() == 2);
    CHECK(totals[0].name == "Acme Inc");
    CHECK(totals[0].users == 4);
    CHECK(totals[0].credits == pgorm::numeric("60"));
    CHECK(totals[1].name == "Empty Org");
    CHECK(totals[1].users == 0);
    CHECK_FALSE(totals[1].credits);  // sum over no rows is NULL

    auto none = pgorm::select(pgorm::avg(col(&User::credits_balance)), pgorm::max(col(&User::email)))
                    .from<User>()
                    .where(col(&User::email) == "nobody@x.io")
                    .fetch_one(f.c);
    REQUIRE(none);
    CHECK_FALSE(std::get<0>(*none));
    CHECK_FALSE(std::get<1>(*none));
    auto avg = pgorm::select(pgorm::avg(col(&User::credits_balance))).from<User>().fetch_one(f.c);
    REQUIRE(avg);
    REQUIRE(*avg);
    CHECK((*avg)->str().starts_with("15."));
}

TEST_CASE("row locks run in a transaction, OF one table of a join", "[query]") {
    query_fixture f;
    f.c.execute_script("BEGIN");
    auto locked = pgorm::select(col(&User::email))
                      .from<User>()
                      .join<Organization>(on(col(&User::organization_id) == col(&Organization::id)))
                      .where(col(&User::email) == "u1@x.io")
                      .lock(pgorm::for_update.of<User>().nowait())
                      .fetch(f.c);
    CHECK(locked == std::vector<std::string>{"u1@x.io"});
    pgorm::connection other = f.db.connect();
    CHECK_THROWS_AS(pgorm::select(col(&User::email))
                        .from<User>()
                        .where(col(&User::email) == "u1@x.io")
                        .lock(pgorm::for_update.nowait())
                        .fetch(other),
                    pgorm::lock_not_available);
    f.c.execute_script("ROLLBACK");
}

TEST_CASE("a repeated shape with other values reuses one prepared statement", "[query]") {
    query_fixture f;
    auto by_credits = [&](std::int64_t floor) {
        return pgorm::select(col(&User::email)).from<User>().where(col(&User::credits_balance) >= floor).fetch(f.c);
    };
    CHECK(by_credits(0).size() == 4);
    std::size_t cached = f.c.cached_statements();
    CHECK(by_credits(20).size() == 2);
    CHECK(by_credits(30).size() == 1);
    CHECK(f.c.cached_statements() == cached);
}

TEST_CASE("subqueries: IN, EXISTS and a correlated scalar count", "[query]") {
    query_fixture f;
    f.pay(f.seeded[0], 500, "cs_1");
    f.pay(f.seeded[0], 700, "cs_2");
    f.pay(f.seeded[2], 300, "cs_3");

    auto big_payers =
        pgorm::select(col(&Transaction::user_id)).from<Transaction>().where(col(&Transaction::amount_paid_cents) >= 400);
    auto paid_big = pgorm::select(col(&User::email)).from<User>().where(pgorm::in(col(&User::user_id), big_payers)).fetch(f.c);
    CHECK(paid_big == std::vector<std::string>{"u0@x.io"});

    auto payments = pgorm::select(pgorm::count())
                        .from<Transaction>()
                        .outer<User>()
                        .where(col(&Transaction::user_id) == col(&User::user_id));
    auto counted = pgorm::select(col(&User::email), pgorm::scalar(payments).as("payments"))
                       .from<User>()
                       .where(col(&User::credits_balance) <= 20)
                       .order_by(col(&User::email))
                       .fetch(f.c);
    using row = std::tuple<std::string, std::optional<std::int64_t>>;
    CHECK(counted == std::vector<row>{{"u0@x.io", 2}, {"u1@x.io", 0}, {"u2@x.io", 1}});

    auto never_paid = pgorm::select(col(&User::email))
                          .from<User>()
                          .where(!pgorm::exists(pgorm::select(col(&Transaction::transaction_id))
                                                    .from<Transaction>()
                                                    .outer<User>()
                                                    .where(col(&Transaction::user_id) == col(&User::user_id))))
                          .order_by(col(&User::email))
                          .fetch(f.c);
    CHECK(never_paid == std::vector<std::string>{"u1@x.io", "u3@x.io"});
}

TEST_CASE("a prepared query renders once and binds only its pgorm::arg() values per run", "[query]") {
    query_fixture f;
    const auto top = pgorm::select(col(&User::email), col(&User::credits_balance))
                         .from<User>()
                         .where(col(&User::credits_balance) >= pgorm::arg())
                         .order_by(desc(col(&User::credits_balance)))
                         .limit(pgorm::arg())
                         .prepare();
    using row = std::tuple<std::string, std::int64_t>;
    CHECK(top.fetch(f.c, std::int64_t{10}, std::int64_t{2}) == std::vector<row>{{"u3@x.io", 30}, {"u2@x.io", 20}});
    std::size_t cached = f.c.cached_statements();
    CHECK(top.fetch(f.c, std::int64_t{0}, std::int64_t{10}).size() == 4);
    CHECK(top.fetch_one(f.c, std::int64_t{30}, std::int64_t{5}) == row{"u3@x.io", 30});
    CHECK(f.c.cached_statements() == cached);  // one server-side statement for every run

    // Values bound at build time stay; the arguments fill the placeholders between them.
    const auto named = pgorm::select(col(&User::credits_balance))
                           .from<User>()
                           .where(col(&User::credits_balance) > 5)
                           .where(col(&User::email) == pgorm::arg())
                           .where(col(&User::credits_balance) < 25)
                           .prepare();
    CHECK(named.arg_count() == 1);
    CHECK(named.fetch(f.c, std::string("u2@x.io")) == std::vector<std::int64_t>{20});
    CHECK(named.fetch(f.c, "u1@x.io") == std::vector<std::int64_t>{10});  // any text for a text column
    CHECK(named.fetch(f.c, std::string_view("u3@x.io")).empty());        // 30 is not < 25
    CHECK(named.fetch(f.c, "u0@x.io").empty());                           // 0 is not > 5

    // Misuse: every case is a clear error, not a wrong statement.
    CHECK_THROWS_WITH(top.fetch(f.c, std::int64_t{1}), Catch::Contains("takes 2 value(s)") && Catch::Contains("got 1"));
    CHECK_THROWS_WITH(top.fetch(f.c, 10, std::int64_t{2}),
                      Catch::Contains("$1") && Catch::Contains("is a int") && Catch::Contains("long int"));
    CHECK_THROWS_WITH(named.fetch(f.c, std::int64_t{1}), Catch::Contains("binds the column's type std::"));
    CHECK_THROWS_AS(top.fetch(f.c, std::int64_t{0}, std::int64_t{-1}), pgorm::sql_error);  // LIMIT must not be negative
    auto unprepared = pgorm::select(col(&User::email)).from<User>().where(col(&User::credits_balance) == pgorm::arg());
    CHECK_THROWS_WITH(unprepared.fetch(f.c), Catch::Contains("1 pgorm::arg() placeholder(s)") && Catch::Contains("prepare()"));
    CHECK(top.fetch(f.c, std::int64_t{20}, std::int64_t{1}).size() == 1);  // the connection is still usable
}

TEST_CASE("keyset pagination with after() walks every row once, page by page", "[query]") {
    query_fixture f;
    f.users.insert(f.make("u9@x.io", 20));  // a tie on credits: the email breaks it
    using row = std::tuple<std::int64_t, std::string>;
    const auto next_page = pgorm::select(col(&User::credits_balance), col(&User::email))
                               .from<User>()
                               .order_by(desc(col(&User::credits_balance)), desc(col(&User::email)))
                               .after(pgorm::arg(), pgorm::arg())
                               .limit(2)
                               .prepare();
    auto first = pgorm::select(col(&User::credits_balance), col(&User::email))
                     .from<User>()
                     .order_by(desc(col(&User::credits_balance)), desc(col(&User::email)))
                     .limit(2)
                     .fetch(f.c);
    std::vector<row> seen = first;
    for (auto page = first; !page.empty();) {
        page = next_page.fetch(f.c, std::get<0>(page.back()), std::get<1>(page.back()));
        seen.insert(seen.end(), page.begin(), page.end());
    }
    CHECK(seen == std::vector<row>{{30, "u3@x.io"}, {20, "u9@x.io"}, {20, "u2@x.io"}, {10, "u1@x.io"}, {0, "u0@x.io"}});

    // Values given at build time, ascending: the rows after (10, "u1@x.io").
    auto rest = pgorm::select(col(&User::email))
                    .from<User>()
                    .where(col(&User::credits_balance) < 30)
                    .order_by(col(&User::credits_balance), col(&User::email))
                    .after(std::int64_t{10}, "u1@x.io")
                    .fetch(f.c);
    CHECK(rest == std::vector<std::string>{"u2@x.io", "u9@x.io"});
}

TEST_CASE("union_ drops duplicate rows, union_all keeps them; a prepared union binds its args", "[query]") {
    query_fixture f;
    auto rich = [] { return pgorm::select(col(&User::email)).from<User>().where(col(&User::credits_balance) >= 20); };
    auto named = [] { return pgorm::select(col(&User::email)).from<User>().where(col(&User::email) == "u3@x.io"); };
    auto all = pgorm::union_all(rich(), named()).fetch(f.c);
    std::sort(all.begin(), all.end());
    CHECK(all == std::vector<std::string>{"u2@x.io", "u3@x.io", "u3@x.io"});
    auto distinct = pgorm::union_(rich(), named()).fetch(f.c);
    std::sort(distinct.begin(), distinct.end());
    CHECK(distinct == std::vector<std::string>{"u2@x.io", "u3@x.io"});

    // Organization names and user emails: both text; counted by a prepared union.
    const auto names = pgorm::union_all(pgorm::select(col(&Organization::name)).from<Organization>().where(col(&Organization::name) == pgorm::arg()),
                                        pgorm::select(col(&User::email)).from<User>().where(col(&User::credits_balance) < pgorm::arg()))
                           .prepare();
    auto rows = names.fetch(f.c, "Empty Org", std::int64_t{15});
    std::sort(rows.begin(), rows.end());
    CHECK(rows == std::vector<std::string>{"Empty Org", "u0@x.io", "u1@x.io"});
    CHECK_THROWS_AS(pgorm::union_all(rich(), pgorm::select(col(&User::email)).from<User>().where(col(&User::email) == pgorm::arg()))
                        .fetch(f.c),
                    pgorm::usage_error);
}

namespace {
struct Ranked {
    std::string email;
    std::int64_t credits = 0;
};
BOOST_DESCRIBE_STRUCT(Ranked, (), (email, credits))
using ranked = pgorm::cte<Ranked, "ranked">;
}  // namespace

TEST_CASE("with<C>() and with_recursive<C>() read a CTE like a table", "[query]") {
    query_fixture f;
    auto rich = pgorm::select(ranked::col(&Ranked::email))
                    .with<ranked>(pgorm::select(col(&User::email), col(&User::credits_balance))
                                      .from<User>()
                                      .where(col(&User::credits_balance) >= 20))
                    .from<ranked>()
                    .order_by(ranked::col(&Ranked::email))
                    .fetch(f.c);
    CHECK(rich == std::vector<std::string>{"u2@x.io", "u3@x.io"});

    // Recursive: from the user with `start` credits, every user with more, step by step (UNION
    // drops the rows seen before, so the recursion ends).
    const auto climb = pgorm::select(ranked::col(&Ranked::email), ranked::col(&Ranked::credits))
                           .with_recursive<ranked>(pgorm::union_(
                               pgorm::select(col(&User::email), col(&User::credits_balance))
                                   .from<User>()
                                   .where(col(&User::credits_balance) == pgorm::arg()),
                               pgorm::select(col(&User::email), col(&User::credits_balance))
                                   .from<User>()
                                   .join<ranked>(on(col(&User::credits_balance) > ranked::col(&Ranked::credits)))))
                           .from<ranked>()
                           .order_by(ranked::col(&Ranked::credits))
                           .prepare();
    using row = std::tuple<std::string, std::int64_t>;
    CHECK(climb.fetch(f.c, std::int64_t{10}) == std::vector<row>{{"u1@x.io", 10}, {"u2@x.io", 20}, {"u3@x.io", 30}});
    CHECK(climb.fetch(f.c, std::int64_t{99}).empty());
}

TEST_CASE("insert ... select, update ... from and delete ... using change rows and return them", "[query]") {
    query_fixture f;
    f.pay(f.seeded[1], 500, "cs_1");
    f.pay(f.seeded[2], 700, "cs_2");

    auto copied = pgorm::insert_into(col(&Organization::name))
                      .select(pgorm::select(col(&User::email)).from<User>().where(col(&User::credits_balance) >= 20));
    CHECK(copied.execute(f.c) == 2);
    CHECK(pgorm::select(pgorm::count()).from<Organization>().where(col(&Organization::name).like("u%@x.io")).fetch(f.c) ==
          std::vector<std::int64_t>{2});

    auto renamed = pgorm::update<User>()
                       .set(col(&User::first_name), "Org member")
                       .set(col(&User::credits_balance), std::int64_t{99})
                       .from<Organization>()
                       .where(col(&User::organization_id) == col(&Organization::id))
                       .where(col(&Organization::id) == f.org)
                       .where(col(&User::email) == "u0@x.io")
                       .returning(col(&User::email), col(&User::credits_balance), col(&Organization::id))
                       .fetch(f.c);
    using updated = std::tuple<std::string, std::int64_t, std::string>;
    CHECK(renamed == std::vector<updated>{{"u0@x.io", 99, f.org}});

    auto refunded = pgorm::delete_from<Transaction>()
                        .using_<User>()
                        .where(col(&Transaction::user_id) == col(&User::user_id))
                        .where(col(&User::email) == "u2@x.io")
                        .returning(col(&Transaction::amount_paid_cents))
                        .fetch(f.c);
    CHECK(refunded == std::vector<std::int64_t>{700});
    CHECK(pgorm::delete_from<Transaction>().where(col(&Transaction::amount_paid_cents) > 0).execute(f.c) == 1);

    // Misuse is refused before anything is sent.
    CHECK_THROWS_WITH(pgorm::update<User>().where(col(&User::email) == "u1@x.io").execute(f.c), Catch::Contains("at least one set("));
    CHECK_THROWS_WITH(pgorm::delete_from<User>().where(col(&User::email) == pgorm::arg()).execute(f.c),
                      Catch::Contains("only a prepared SELECT fills"));
    CHECK(pgorm::select(pgorm::count()).from<User>().fetch(f.c) == std::vector<std::int64_t>{4});
}
