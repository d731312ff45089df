// The SQL text the query builder renders, compared as strings (no server).
#include "unit_model.hpp"

#include <pgorm/query.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

using pgorm::col;
using unit::Account;
using unit::Order;

TEST_CASE("select renders qualified columns, FROM and every value as a placeholder", "[unit][query]") {
    auto q = pgorm::select(col(&Account::id), col(&Account::email))
                 .from<Account>()
                 .where(col(&Account::credits) > 10)
                 .limit(5)
                 .offset(10);
    CHECK(q.to_sql() == R"(SELECT "accounts"."id", "accounts"."email" FROM "accounts" WHERE "accounts"."credits" > $1 LIMIT $2 OFFSET $3)");
    CHECK(q.parameter_count() == 3);
    STATIC_REQUIRE(std::is_same_v<decltype(q)::row_type, std::tuple<std::int64_t, std::string>>);
}

TEST_CASE("one selected item reads as a single value", "[unit][query]") {
    auto q = pgorm::select(col(&Account::nickname)).from<Account>().distinct();
    CHECK(q.to_sql() == R"(SELECT DISTINCT "accounts"."nickname" FROM "accounts")");
    STATIC_REQUIRE(std::is_same_v<decltype(q)::row_type, std::optional<std::string>>);
}

TEST_CASE("repository filters qualify their columns; several where() calls are joined with AND", "[unit][query]") {
    auto q = pgorm::select(col(&Account::id))
                 .from<Account>()
                 .where(col(&Account::email).ilike("%@x.io") || col(&Account::nickname).is_null())
                 .where(col(&Account::id).in({1, 2, 3}));
    CHECK(q.to_sql() == R"(SELECT "accounts"."id" FROM "accounts" WHERE ("accounts"."email" ILIKE $1 OR "accounts"."nickname" IS NULL) AND ("accounts"."id" = ANY($2)))");
    pgorm::filter<Account> none;  // an empty filter adds no WHERE
    CHECK(pgorm::select(col(&Account::id)).from<Account>().where(none).to_sql() == R"(SELECT "accounts"."id" FROM "accounts")");
}

TEST_CASE("order_by takes directions and NULLS FIRST / LAST", "[unit][query]") {
    auto q = pgorm::select(col(&Account::id))
                 .from<Account>()
                 .order_by(col(&Account::nickname), desc(col(&Account::credits)).nulls_last(),
                           pgorm::query_column(col(&Account::email)).asc().nulls_first());
    CHECK(q.to_sql() == R"(SELECT "accounts"."id" FROM "accounts" ORDER BY "accounts"."nickname", "accounts"."credits" DESC NULLS LAST, "accounts"."email" NULLS FIRST)");
}

TEST_CASE("joins render ON conditions and make the nullable side std::optional", "[unit][query]") {
    auto inner = pgorm::select(col(&Account::email), col(&Order::order_id))
                     .from<Account>()
                     .join<Order>(on(col(&Order::account_id) == col(&Account::id)));
    CHECK(inner.to_sql() == R"(SELECT "accounts"."email", "orders"."order_id" FROM "accounts" JOIN "orders" ON "orders"."account_id" = "accounts"."id")");
    STATIC_REQUIRE(std::is_same_v<decltype(inner)::row_type, std::tuple<std::string, std::int64_t>>);

    auto left = pgorm::select(col(&Account::email), col(&Order::order_id), col(&Account::nickname))
                    .from<Account>()
                    .left_join<Order>(on(col(&Order::account_id) == col(&Account::id)));
    CHECK(left.to_sql().find(R"( LEFT JOIN "orders" ON )") != std::string::npos);
    STATIC_REQUIRE(std::is_same_v<decltype(left)::row_type,
                                  std::tuple<std::string, std::optional<std::int64_t>, std::optional<std::string>>>);

    auto right = pgorm::select(col(&Account::email), col(&Order::order_id))
                     .from<Account>()
                     .right_join<Order>(on(col(&Order::account_id) == col(&Account::id)));
    STATIC_REQUIRE(std::is_same_v<decltype(right)::row_type, std::tuple<std::optional<std::string>, std::int64_t>>);

    auto full = pgorm::select(col(&Account::email), col(&Order::order_id))
                    .from<Account>()
                    .full_join<Order>(on(col(&Order::account_id) == col(&Account::id)));
    CHECK(full.to_sql().find(R"( FULL JOIN "orders" ON )") != std::string::npos);
    STATIC_REQUIRE(std::is_same_v<decltype(full)::row_type,
                                  std::tuple<std::optional<std::string>, std::optional<std::int64_t>>>);
}

TEST_CASE("an alias reads a second copy of a table (self-join)", "[unit][query]") {
    using referrer = pgorm::alias<Account, "referrer">;
    auto q = pgorm::select(col(&Account::email), referrer::col(&Account::email).as("referrer_email"))
                 .from<Account>()
                 .left_join<referrer>(on(referrer::col(&Account::id) == col(&Account::credits)))
                 .where(referrer::col(&Account::nickname) == "boss");
    CHECK(q.to_sql() == R"(SELECT "accounts"."email", "referrer"."email" AS "referrer_email" FROM "accounts" LEFT JOIN "accounts" AS "referrer" ON "referrer"."id" = "accounts"."credits" WHERE "referrer"."nickname" = $1)");
    STATIC_REQUIRE(std::is_same_v<decltype(q)::row_type, std::tuple<std::string, std::optional<std::string>>>);
}

TEST_CASE("aggregates render with their PostgreSQL result types; GROUP BY and HAVING", "[unit][query]") {
    auto q = pgorm::select(col(&Account::email), pgorm::count(), pgorm::sum(col(&Order::order_id)).as("total"),
                           pgorm::avg(col(&Order::order_id)), pgorm::max(col(&Order::account_id)))
                 .from<Account>()
                 .join<Order>(on(col(&Order::account_id) == col(&Account::id)))
                 .group_by(col(&Account::email))
                 .having(pgorm::count() > 1)
                 .order_by(pgorm::count().desc());
    CHECK(q.to_sql() == R"(SELECT "accounts"."email", count(*), sum("orders"."order_id") AS "total", avg("orders"."order_id"), max("orders"."account_id") FROM "accounts" JOIN "orders" ON "orders"."account_id" = "accounts"."id" GROUP BY "accounts"."email" HAVING count(*) > $1 ORDER BY count(*) DESC)");
    STATIC_REQUIRE(std::is_same_v<decltype(q)::row_type,
                                  std::tuple<std::string, std::int64_t, std::optional<pgorm::numeric>,
                                             std::optional<pgorm::numeric>, std::optional<std::int64_t>>>);
}

TEST_CASE("row locks append the repository's lock clause", "[unit][query]") {
    auto q = pgorm::select(col(&Account::id)).from<Account>().lock(pgorm::for_update.of<Account>().skip_locked());
    CHECK(q.to_sql() == R"(SELECT "accounts"."id" FROM "accounts" FOR UPDATE OF "accounts" SKIP LOCKED)");
}

TEST_CASE("negative LIMIT and OFFSET are usage errors", "[unit][query]") {
    auto q = pgorm::select(col(&Account::id)).from<Account>();
    CHECK_THROWS_AS(q.limit(-1), pgorm::usage_error);
    CHECK_THROWS_WITH(q.offset(-2), Catch::Contains("OFFSET must not be negative, got -2"));
}

TEST_CASE("subqueries: IN, EXISTS and a scalar value, numbering their placeholders on", "[unit][query]") {
    auto big = pgorm::select(col(&Order::account_id)).from<Order>().where(col(&Order::order_id) > 100);
    auto q = pgorm::select(col(&Account::email))
                 .from<Account>()
                 .where(col(&Account::credits) > 5)
                 .where(pgorm::in(col(&Account::id), big));
    CHECK(q.to_sql() == R"(SELECT "accounts"."email" FROM "accounts" WHERE "accounts"."credits" > $1 AND "accounts"."id" IN (SELECT "orders"."account_id" FROM "orders" WHERE "orders"."order_id" > $2))");
    CHECK(q.parameter_count() == 2);

    auto mine = pgorm::select(pgorm::count())
                    .from<Order>()
                    .outer<Account>()
                    .where(col(&Order::account_id) == col(&Account::id));
    auto with_count = pgorm::select(col(&Account::email), pgorm::scalar(mine).as("orders")).from<Account>();
    CHECK(with_count.to_sql() == R"(SELECT "accounts"."email", (SELECT count(*) FROM "orders" WHERE "orders"."account_id" = "accounts"."id") AS "orders" FROM "accounts")");
    STATIC_REQUIRE(std::is_same_v<decltype(with_count)::row_type, std::tuple<std::string, std::optional<std::int64_t>>>);

    auto having_orders = pgorm::select(col(&Account::id)).from<Account>().where(!pgorm::exists(mine));
    CHECK(having_orders.to_sql() == R"(SELECT "accounts"."id" FROM "accounts" WHERE NOT (EXISTS (SELECT count(*) FROM "orders" WHERE "orders"."account_id" = "accounts"."id")))");
}

TEST_CASE("pgorm::arg() renders a placeholder whose value prepare() leaves to each run", "[unit][query]") {
    auto q = pgorm::select(col(&Account::email))
                 .from<Account>()
                 .where(col(&Account::credits) >= pgorm::arg())
                 .where(col(&Account::email) != "x@y.z")
                 .where(pgorm::query_column(col(&Account::nickname)) == pgorm::arg())
                 .limit(pgorm::arg())
                 .offset(3);
    const char* text = R"(SELECT "accounts"."email" FROM "accounts" WHERE "accounts"."credits" >= $1 AND "accounts"."email" <> $2 AND "accounts"."nickname" = $3 LIMIT $4 OFFSET $5)";
    CHECK(q.to_sql() == text);
    CHECK(q.parameter_count() == 5);
    auto p = q.prepare();
    CHECK(p.sql() == text);
    CHECK(p.arg_count() == 3);  // $1 (bigint), $3 (text: the nickname without std::optional), $4 (LIMIT)
    STATIC_REQUIRE(std::is_same_v<decltype(p)::row_type, std::string>);

    // A value given later overrides nothing: limit(n) after limit(arg()) binds n now.
    auto fixed = pgorm::select(col(&Account::id)).from<Account>().limit(pgorm::arg()).limit(7);
    CHECK(fixed.prepare().arg_count() == 0);
    CHECK(pgorm::select(col(&Account::id)).from<Account>().offset(pgorm::arg()).prepare().sql() ==
          R"(SELECT "accounts"."id" FROM "accounts" OFFSET $1)");
}

TEST_CASE("a placeholder inside a subquery is one of the outer statement's arguments", "[unit][query]") {
    auto big = pgorm::select(col(&Order::account_id)).from<Order>().where(col(&Order::order_id) > pgorm::arg());
    auto q = pgorm::select(col(&Account::email))
                 .from<Account>()
                 .where(col(&Account::credits) < pgorm::arg())
                 .where(pgorm::in(col(&Account::id), big))
                 .prepare();
    CHECK(q.arg_count() == 2);
    CHECK(q.sql().find(R"("orders"."order_id" > $2)") != std::string::npos);
}

TEST_CASE("after() renders a row-value comparison matching ORDER BY", "[unit][query]") {
    auto asc = pgorm::select(col(&Account::id))
                   .from<Account>()
                   .where(col(&Account::credits) > 0)
                   .order_by(col(&Account::email), col(&Account::id))
                   .after("m@x.io", std::int64_t{42})
                   .limit(20);
    CHECK(asc.to_sql() == R"(SELECT "accounts"."id" FROM "accounts" WHERE "accounts"."credits" > $1 AND ("accounts"."email", "accounts"."id") > ($2, $3) ORDER BY "accounts"."email", "accounts"."id" LIMIT $4)");
    auto desc_first_page = pgorm::select(col(&Account::id))
                               .from<Account>()
                               .order_by(desc(col(&Account::credits)), desc(col(&Account::id)))
                               .after(pgorm::arg(), pgorm::arg())
                               .prepare();
    CHECK(desc_first_page.sql() == R"(SELECT "accounts"."id" FROM "accounts" WHERE ("accounts"."credits", "accounts"."id") < ($1, $2) ORDER BY "accounts"."credits" DESC, "accounts"."id" DESC)");
    CHECK(desc_first_page.arg_count() == 2);
}

TEST_CASE("after() that does not match ORDER BY is a usage_error saying what differs", "[unit][query]") {
    auto base = [] { return pgorm::select(col(&Account::id)).from<Account>(); };
    using Catch::Contains;
    CHECK_THROWS_WITH(base().after(std::int64_t{1}).to_sql(), Contains("orders by 0 term(s), after() got 1"));
    CHECK_THROWS_WITH(base().order_by(col(&Account::id), col(&Account::email)).after(std::int64_t{1}).to_sql(),
                      Contains("orders by 2 term(s), after() got 1"));
    CHECK_THROWS_WITH(base().order_by(col(&Account::id)).after(1).to_sql(),
                      Contains("value 1 is a int; ORDER BY term 1 is a column of C++ type long int"));
    CHECK_THROWS_WITH(base().order_by(col(&Account::id), desc(col(&Account::email))).after(std::int64_t{1}, "a").to_sql(),
                      Contains("one direction") && Contains("term 2 differs"));
    CHECK_THROWS_WITH(base().order_by(col(&Account::nickname)).after("a").to_sql(), Contains("NOT NULL columns"));
    CHECK_THROWS_WITH(base().order_by(desc(col(&Account::id)).nulls_last()).after(std::int64_t{1}).to_sql(),
                      Contains("NULLS FIRST/LAST"));
    auto counted = pgorm::select(col(&Account::email), pgorm::count()).from<Account>().group_by(col(&Account::email));
    CHECK_THROWS_WITH(std::move(counted).order_by(pgorm::count().desc()).after(std::int64_t{3}).to_sql(),
                      Contains("term 1 is an aggregate or expression"));
}

TEST_CASE("union_ and union_all parenthesise each side and number placeholders across both", "[unit][query]") {
    auto u = pgorm::union_all(pgorm::select(col(&Account::email), col(&Account::id)).from<Account>().where(col(&Account::credits) > 1),
                              pgorm::select(col(&Account::nickname), col(&Order::order_id))
                                  .from<Order>()
                                  .join<Account>(on(col(&Order::account_id) == col(&Account::id)))
                                  .limit(3));
    CHECK(u.to_sql() == R"((SELECT "accounts"."email", "accounts"."id" FROM "accounts" WHERE "accounts"."credits" > $1) UNION ALL (SELECT "accounts"."nickname", "orders"."order_id" FROM "orders" JOIN "accounts" ON "orders"."account_id" = "accounts"."id" LIMIT $2))");
    // email (text) meets nickname (nullable text): the result column may be NULL.
    STATIC_REQUIRE(std::is_same_v<decltype(u)::row_type, std::tuple<std::optional<std::string>, std::int64_t>>);

    auto three = pgorm::union_(pgorm::union_(pgorm::select(col(&Account::id)).from<Account>(),
                                             pgorm::select(col(&Order::order_id)).from<Order>()),
                               pgorm::select(col(&Order::account_id)).from<Order>().where(col(&Order::order_id) == pgorm::arg()));
    STATIC_REQUIRE(std::is_same_v<decltype(three)::row_type, std::int64_t>);
    CHECK(three.prepare().sql() == R"(((SELECT "accounts"."id" FROM "accounts") UNION (SELECT "orders"."order_id" FROM "orders")) UNION (SELECT "orders"."account_id" FROM "orders" WHERE "orders"."order_id" = $1))");
    CHECK(three.prepare().arg_count() == 1);
}

namespace {
struct Rich {
    std::string email;
    std::int64_t credits = 0;
};
BOOST_DESCRIBE_STRUCT(Rich, (), (email, credits))
using rich = pgorm::cte<Rich, "rich">;
}  // namespace

TEST_CASE("with<C>(query) renders a CTE with its row struct's columns, read as a table", "[unit][query]") {
    auto q = pgorm::select(rich::col(&Rich::email), col(&Order::order_id))
                 .with<rich>(pgorm::select(col(&Account::email), col(&Account::credits)).from<Account>().where(col(&Account::credits) > 100))
                 .from<rich>()
                 .join<Order>(on(col(&Order::order_id) > rich::col(&Rich::credits)))
                 .limit(2);
    CHECK(q.to_sql() == R"(WITH "rich"("email", "credits") AS (SELECT "accounts"."email", "accounts"."credits" FROM "accounts" WHERE "accounts"."credits" > $1) SELECT "rich"."email", "orders"."order_id" FROM "rich" JOIN "orders" ON "orders"."order_id" > "rich"."credits" LIMIT $2)");
    STATIC_REQUIRE(std::is_same_v<decltype(q)::row_type, std::tuple<std::string, std::int64_t>>);

    auto r = pgorm::select(rich::col(&Rich::email))
                 .from<rich>()
                 .with_recursive<rich>(pgorm::union_all(
                     pgorm::select(col(&Account::email), col(&Account::credits)).from<Account>().where(col(&Account::id) == pgorm::arg()),
                     pgorm::select(col(&Account::email), col(&Account::credits))
                         .from<Account>()
                         .join<rich>(on(col(&Account::credits) > rich::col(&Rich::credits)))));
    CHECK(r.to_sql().rfind(R"(WITH RECURSIVE "rich"("email", "credits") AS ((SELECT )", 0) == 0);
    CHECK(r.prepare().arg_count() == 1);
}

TEST_CASE("insert_into().select(), update().from() and delete_from().using_() render with RETURNING", "[unit][query]") {
    auto ins = pgorm::insert_into(col(&Order::account_id), col(&Order::order_id))
                   .select(pgorm::select(col(&Account::id), col(&Account::credits)).from<Account>().where(col(&Account::credits) > 5));
    CHECK(ins.to_sql() == R"(INSERT INTO "orders" ("account_id", "order_id") SELECT "accounts"."id", "accounts"."credits" FROM "accounts" WHERE "accounts"."credits" > $1)");

    auto upd = pgorm::update<Account>()
                   .set(col(&Account::credits), 0)
                   .set(col(&Account::nickname), col(&Account::email))
                   .from<Order>()
                   .where(col(&Order::account_id) == col(&Account::id))
                   .where(col(&Order::order_id) == 7)
                   .returning(col(&Account::email), col(&Order::order_id));
    CHECK(upd.to_sql() == R"(UPDATE "accounts" SET "credits" = $1, "nickname" = "accounts"."email" FROM "orders" WHERE "orders"."account_id" = "accounts"."id" AND "orders"."order_id" = $2 RETURNING "accounts"."email", "orders"."order_id")");
    STATIC_REQUIRE(std::is_same_v<decltype(upd)::row_type, std::tuple<std::string, std::int64_t>>);
    CHECK_THROWS_AS(pgorm::update<Account>().where(col(&Account::id) == 1).to_sql(), pgorm::usage_error);  // no SET

    auto del = pgorm::delete_from<Order>()
                   .using_<Account>()
                   .where(col(&Order::account_id) == col(&Account::id) && col(&Account::email) == "a@x.io")
                   .returning(col(&Order::order_id));
    CHECK(del.to_sql() == R"(DELETE FROM "orders" USING "accounts" WHERE ("orders"."account_id" = "accounts"."id" AND "accounts"."email" = $1) RETURNING "orders"."order_id")");
    STATIC_REQUIRE(std::is_same_v<decltype(del)::row_type, std::int64_t>);
}
