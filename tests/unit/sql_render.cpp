// The SQL text that filters, orderings, row locks and upsert clauses render, compared as
// strings (no server: a statement the repository only builds never reaches one).
#include "unit_model.hpp"

#include <pgorm/repo.hpp>

#include <catch2/catch.hpp>

#include <new>
#include <string>
#include <vector>

using pgorm::col;
using unit::Account;

namespace {

/// A scope for repository::select(), which only renders: the repository keeps the connection's
/// address and select() never uses it, so no connection is ever constructed here.
struct render_only_scope {
    union storage {
        storage() {}
        ~storage() {}
        pgorm::connection never_constructed;
    } s;
    pgorm::connection& conn() { return s.never_constructed; }
};

const std::string head =
    R"(SELECT "id", "email", "nickname", "credits", "settings" FROM "accounts" WHERE )";

std::string where_sql(const pgorm::filter<Account>& f) {
    pgorm::sql_builder b;
    f.render(b);
    return b.sql;
}

}  // namespace

TEST_CASE("filters render their operator, quoted column and numbered placeholders", "[unit][sql]") {
    CHECK(where_sql(col(&Account::email) == "a@b.c") == R"("email" = $1)");
    CHECK(where_sql(col(&Account::credits) != 5) == R"("credits" <> $1)");
    CHECK(where_sql(col(&Account::credits) < 5) == R"("credits" < $1)");
    CHECK(where_sql(col(&Account::credits) <= 5) == R"("credits" <= $1)");
    CHECK(where_sql(col(&Account::credits) > 5) == R"("credits" > $1)");
    CHECK(where_sql(col(&Account::credits) >= 5) == R"("credits" >= $1)");
    CHECK(where_sql(col(&Account::nickname).is_null()) == R"("nickname" IS NULL)");
    CHECK(where_sql(col(&Account::nickname).is_not_null()) == R"("nickname" IS NOT NULL)");
    CHECK(where_sql(col(&Account::email).like("%@x")) == R"("email" LIKE $1)");
    CHECK(where_sql(col(&Account::email).ilike("%@x")) == R"("email" ILIKE $1)");
    CHECK(where_sql(col(&Account::credits).between(1, 9)) == R"("credits" BETWEEN $1 AND $2)");
    CHECK(where_sql(col(&Account::settings).contains(R"({"a":1})")) == R"("settings" @> CAST($1 AS jsonb))");
}

TEST_CASE("IN sends the whole list as one array parameter", "[unit][sql]") {
    std::vector<std::int64_t> ids{1, 2, 3, 4};
    pgorm::sql_builder b;
    (col(&Account::id).in(ids)).render(b);
    CHECK(b.sql == R"(("id" = ANY($1)))");
    CHECK(b.params.size() == 1);
    CHECK(where_sql(col(&Account::id).not_in(ids)) == R"(NOT ("id" = ANY($1)))");
}

TEST_CASE("filters combine with AND, OR and NOT in parentheses, numbering parameters in order", "[unit][sql]") {
    auto a = col(&Account::email) == "a@b.c";
    auto b = col(&Account::credits) > 10;
    auto c = col(&Account::nickname).is_null();
    std::string both = where_sql(a && b);
    std::string either = where_sql(a || (b && c));
    std::string negated = where_sql(!a);
    CHECK(both == R"(("email" = $1 AND "credits" > $2))");
    CHECK(either == R"(("email" = $1 OR ("credits" > $2 AND "nickname" IS NULL)))");
    CHECK(negated == R"(NOT ("email" = $1))");
}

TEST_CASE("a jsonb path filter reads text at the path", "[unit][sql]") {
    CHECK(where_sql(col(&Account::settings).path({"company", "name"}) == "Acme") ==
          R"(("settings" #>> ARRAY[$1, $2]::text[]) = $3)");
    CHECK_THROWS_AS(col(&Account::settings).path({}), pgorm::usage_error);
}

TEST_CASE("row locks render PostgreSQL's locking clause", "[unit][sql][locks]") {
    CHECK(pgorm::no_lock.sql().empty());
    CHECK(pgorm::for_update.sql() == " FOR UPDATE");
    CHECK(pgorm::for_no_key_update.sql() == " FOR NO KEY UPDATE");
    CHECK(pgorm::for_share.sql() == " FOR SHARE");
    CHECK(pgorm::for_key_share.sql() == " FOR KEY SHARE");
    CHECK(pgorm::for_update.nowait().sql() == " FOR UPDATE NOWAIT");
    CHECK(pgorm::for_update.skip_locked().sql() == " FOR UPDATE SKIP LOCKED");
    CHECK(pgorm::for_share.of<Account, unit::Order>().skip_locked().sql() ==
          R"( FOR SHARE OF "accounts", "orders" SKIP LOCKED)");
}

TEST_CASE("a repository select renders filter, ordering, page and lock in that order", "[unit][sql]") {
    render_only_scope scope;
    pgorm::repository<Account> accounts{scope};
    CHECK(accounts.select(pgorm::filter<Account>{}).sql == head + "TRUE");  // the empty filter: every row

    auto s = accounts.select(col(&Account::credits) > 0,
                             pgorm::order_by(pgorm::desc(&Account::credits), pgorm::asc(&Account::id)).limit(50).offset(100),
                             pgorm::for_update.skip_locked());
    // LIMIT and OFFSET are parameters too, so one statement text serves every page.
    CHECK(s.sql == head + R"("credits" > $1 ORDER BY "credits" DESC, "id" LIMIT $2 OFFSET $3 FOR UPDATE SKIP LOCKED)");
    CHECK(s.params.size() == 3);
}

TEST_CASE("a keyset page adds the seek condition after the filter", "[unit][sql]") {
    render_only_scope scope;
    pgorm::repository<Account> accounts{scope};
    auto s = accounts.select(col(&Account::credits) > 0, pgorm::order_by(&Account::email).after(std::string("m@x")).limit(10));
    CHECK(s.sql == head + R"("credits" > $1 AND ("email") > ($2) ORDER BY "email" LIMIT $3)");
    CHECK(s.params.size() == 3);
}

TEST_CASE("a keyset position is a row comparison when all terms share a direction, else expanded", "[unit][sql]") {
    using pgorm::asc;
    using pgorm::desc;
    auto seek_sql = [](const pgorm::ordering<Account>& o) {
        pgorm::sql_builder b;
        o.seek().render(b);
        return b.sql;
    };
    std::int64_t credits = 5, id = 7;
    // Same direction: one row comparison, which a btree index on (credits, id) can serve.
    CHECK(seek_sql(pgorm::order_by(desc(&Account::credits), desc(&Account::id)).after(credits, id)) ==
          R"(("credits", "id") < ($1, $2))");
    // Mixed: rows after (5, 7) in "credits DESC, id ASC" order have credits < 5, or credits = 5
    // and id > 7; each value is bound once and its placeholder reused.
    pgorm::sql_builder mixed;
    pgorm::order_by(desc(&Account::credits), asc(&Account::id)).after(credits, id).seek().render(mixed);
    CHECK(mixed.sql == R"((("credits" < $1) OR ("credits" = $1 AND "id" > $2)))");
    CHECK(mixed.params.size() == 2);
    CHECK_THROWS_AS(pgorm::order_by(&Account::email).after(std::string("a"), id), pgorm::usage_error);  // one value per term
}

TEST_CASE("an upsert's conflict clause names its target and update columns", "[unit][sql][upsert]") {
    auto nothing = pgorm::on_conflict(&Account::email).do_nothing();
    CHECK(nothing.target() == std::vector<std::string_view>{"email"});
    CHECK_FALSE(nothing.updates());
    auto some = pgorm::on_conflict(&Account::email).do_update(&Account::nickname, &Account::credits);
    CHECK(some.updates());
    CHECK(some.update_columns() == std::vector<std::string_view>{"nickname", "credits"});
    auto all = pgorm::on_conflict(&Account::email, &Account::id).do_update();
    CHECK(all.target() == std::vector<std::string_view>{"email", "id"});
    CHECK(all.updates());
    CHECK(all.update_columns().empty());  // empty: every inserted non-key, non-target column
}
