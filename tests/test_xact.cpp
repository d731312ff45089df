// Transaction scopes: commit/rollback, savepoints, the transact() function form, retry,
// isolation options, and row locks under real concurrency (seed 004's credits example).
#include "support.hpp"

#include <atomic>
#include <thread>
#include <vector>

using namespace pgorm;
using pgorm_test::fresh_db;

namespace {

pool_options small(std::size_t max_size) {
    pool_options o;
    o.max_size = max_size;
    o.acquire_timeout = std::chrono::milliseconds(10000);
    return o;
}

std::int64_t org_count(connection& c) { return c.query_value<std::int64_t>("SELECT count(*) FROM organizations"); }

void add_org(scope auto& q, const char* name) {
    q.conn().execute("INSERT INTO organizations (name) VALUES ($1)", name);
}

[[noreturn]] void raise_sqlstate(connection& c, const std::string& state) {
    c.execute_script("DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = '" + state + "'; END $$");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("an xact commits explicitly and rolls back when it goes", "[xact]") {
    fresh_db db;
    auto c = db.connect();
    {
        xact q(c);
        add_org(q, "kept");
        q.commit();
        CHECK(q.committed());
        CHECK_THROWS_WITH(q.conn(), Catch::Contains("already committed"));
        CHECK_THROWS_AS(q.commit(), usage_error);
        CHECK_THROWS_AS(q.rollback(), usage_error);
    }
    {
        xact q(c);
        add_org(q, "dropped");
    }
    CHECK(c.transaction_status() == PQTRANS_IDLE);
    CHECK(org_count(c) == 1);
    {
        xact q(c);
        add_org(q, "rolled back");
        q.rollback();
        CHECK_THROWS_WITH(q.conn(), Catch::Contains("already rolled back"));
    }
    CHECK(org_count(c) == 1);

    c.execute_script("BEGIN");
    CHECK_THROWS_WITH(xact(c), Catch::Contains("already in one"));
    c.execute_script("ROLLBACK");
}

TEST_CASE("a failed statement makes commit refuse and roll back", "[xact]") {
    fresh_db db;
    auto c = db.connect();
    xact q(c);
    add_org(q, "lost");
    CHECK_THROWS_AS(q.conn().execute_script("SELECT * FROM no_such_table"), undefined_table);
    CHECK_THROWS_WITH(q.commit(), Catch::Contains("a statement in this transaction failed"));
    CHECK_FALSE(q.is_open());
    CHECK(org_count(c) == 0);
}

TEST_CASE("nested scopes are savepoints", "[xact]") {
    fresh_db db;
    auto c = db.connect();
    xact outer(c);
    add_org(outer, "outer");
    {
        xact inner{outer};
        CHECK(inner.depth() == 1);
        add_org(inner, "inner, rolled back");
        CHECK_THROWS_WITH(outer.commit(), Catch::Contains("savepoint in it is open"));
        CHECK_THROWS_AS(xact{outer}, usage_error);  // one open savepoint per scope
    }
    {
        auto inner = outer.savepoint();
        add_org(inner, "inner, released");
        {
            auto deeper = inner.savepoint();
            CHECK(deeper.depth() == 2);
            add_org(deeper, "deeper, rolled back");
            deeper.rollback();
        }
        inner.commit();
    }
    {
        // A savepoint recovers a failed statement without losing the outer transaction.
        auto inner = outer.savepoint();
        CHECK_THROWS_AS(inner.conn().execute_script("SELECT * FROM no_such_table"), undefined_table);
    }
    outer.commit();
    auto names = c.query<std::string>("SELECT name FROM organizations ORDER BY name");
    CHECK(names == std::vector<std::string>{"inner, released", "outer"});
}

TEST_CASE("pool::transact commits on return and rolls back on an exception", "[xact]") {
    fresh_db db;
    pool p(db.url(), small(2));
    auto id = p.transact([](xact& q) {
        return q.conn().query_value<std::string>("INSERT INTO organizations (name) VALUES ($1) RETURNING id", "Acme");
    });
    CHECK(id.starts_with("org_"));

    CHECK_THROWS_AS(p.transact([](auto& q) {
        add_org(q, "never");
        throw std::runtime_error("boom");
    }),
                    std::runtime_error);
    CHECK_THROWS_AS(p.transact([](auto& q) { add_org(q, ""); raise_sqlstate(q.conn(), "23505"); }),
                    unique_violation);
    auto c = db.connect();
    CHECK(org_count(c) == 1);
    CHECK(p.stats().in_use == 0);

    // A function may end the scope itself.
    p.transact([](xact& q) {
        add_org(q, "discarded");
        q.rollback();
    });
    CHECK(org_count(c) == 1);

    // The owning scope returns its checkout when it ends.
    {
        auto q = p.xact();
        add_org(q, "scoped");
        CHECK(p.stats().in_use == 1);
        q.commit();
        CHECK(p.stats().in_use == 0);
    }
    CHECK(org_count(c) == 2);
    {
        auto q = p.xact_admin();
        add_org(q, "abandoned");
    }
    CHECK(org_count(c) == 2);
    CHECK(p.stats().in_use == 0);
}

TEST_CASE("a retry policy re-runs the function on serialization failure and deadlock", "[xact][retry]") {
    fresh_db db;
    pool p(db.url(), small(1));
    std::string state = GENERATE(std::string("40001"), std::string("40P01"));
    transact_options o;
    o.retry = retry_policy::attempts(3);
    o.retry.initial_backoff = std::chrono::milliseconds(1);

    int attempts = 0;
    p.transact(o, [&](xact& q) {
        add_org(q, "once");
        if (++attempts < 3) raise_sqlstate(q.conn(), state);
    });
    CHECK(attempts == 3);
    auto c = db.connect();
    CHECK(org_count(c) == 1);  // the failed attempts left nothing behind

    attempts = 0;
    auto always = [&](xact& q) {
        ++attempts;
        raise_sqlstate(q.conn(), state);
    };
    if (state == "40001") CHECK_THROWS_AS(p.transact(o, always), serialization_failure);
    else CHECK_THROWS_AS(p.transact(o, always), deadlock_detected);
    CHECK(attempts == 3);

    attempts = 0;  // other errors are not retried
    CHECK_THROWS_AS(p.transact(o, [&](xact& q) { ++attempts; raise_sqlstate(q.conn(), "23505"); }), unique_violation);
    CHECK(attempts == 1);

    attempts = 0;  // nor is anything without a policy
    CHECK_THROWS_AS(p.transact(always), transaction_rollback);
    CHECK(attempts == 1);

    o.retry.max_attempts = 0;
    CHECK_THROWS_WITH(p.transact(o, always), Catch::Contains("max_attempts must be at least 1"));
}

TEST_CASE("serializable read-modify-write with retry loses no update", "[xact][retry][concurrency]") {
    fresh_db db;
    auto c = db.connect();
    auto org = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ('o') RETURNING id");
    auto user = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'a@x') RETURNING user_id", org);
    pool p(db.url(), small(4));
    transact_options o;
    o.xact.level = isolation::serializable;
    o.retry = retry_policy::attempts(100);
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    o.retry.max_backoff = std::chrono::milliseconds(20);
    constexpr int threads = 4, rounds = 10;
    std::atomic<int> attempts{0}, failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < rounds; ++i) {
                try {
                    p.transact(o, [&](xact& q) {
                        ++attempts;
                        auto bal = q.conn().query_value<std::int64_t>(
                            "SELECT credits_balance FROM users WHERE user_id = $1", user);
                        q.conn().execute("UPDATE users SET credits_balance = $1 WHERE user_id = $2", bal + 1, user);
                    });
                } catch (...) {
                    ++failures;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(failures == 0);
    CHECK(attempts >= threads * rounds);
    CHECK(c.query_value<std::int64_t>("SELECT credits_balance FROM users WHERE user_id = $1", user) == threads * rounds);
}

TEST_CASE("isolation, read-only and deferrable options reach the server", "[xact]") {
    fresh_db db;
    auto c = db.connect();
    {
        xact_options o;
        o.level = isolation::serializable;
        o.read_only = true;
        o.deferrable = true;
        xact q(c, o);
        CHECK(c.query_value<std::string>("SELECT current_setting('transaction_isolation')") == "serializable");
        CHECK(c.query_value<std::string>("SELECT current_setting('transaction_read_only')") == "on");
        CHECK(c.query_value<std::string>("SELECT current_setting('transaction_deferrable')") == "on");
        CHECK_THROWS_AS(add_org(q, "read only"), sql_error);
    }
    for (auto [level, name] : {std::pair{isolation::read_committed, "read committed"},
                               std::pair{isolation::repeatable_read, "repeatable read"}}) {
        xact_options o;
        o.level = level;
        xact q(c, o);
        CHECK(c.query_value<std::string>("SELECT current_setting('transaction_isolation')") == name);
    }
}

TEST_CASE("concurrent credit purchases with FOR UPDATE lose no update", "[xact][concurrency]") {
    fresh_db db;
    auto c = db.connect();
    auto org = c.query_value<std::string>("INSERT INTO organizations (name) VALUES ('o') RETURNING id");
    auto user = c.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'buyer@x') RETURNING user_id", org);
    pool p(db.url(), small(4));
    constexpr int threads = 6, purchases = 15;
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < purchases; ++i) {
                try {
                    p.transact([&](xact& q) {
                        auto& k = q.conn();
                        auto bal = k.query_value<std::int64_t>(
                            "SELECT credits_balance FROM users WHERE user_id = $1 FOR UPDATE", user);
                        k.execute("INSERT INTO transactions (organization_id, user_id, stripe_session_extid, "
                                  "amount_paid_cents, credits_added) VALUES ($1, $2, $3, 500, 10)",
                                  org, user, "cs_" + std::to_string(t) + "_" + std::to_string(i));
                        k.execute("UPDATE users SET credits_balance = $1 WHERE user_id = $2", bal + 10, user);
                    });
                } catch (...) {
                    ++failures;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(failures == 0);
    CHECK(c.query_value<std::int64_t>("SELECT credits_balance FROM users WHERE user_id = $1", user) ==
          threads * purchases * 10);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM transactions") == threads * purchases);
}

TEST_CASE("FOR UPDATE NOWAIT fails fast with lock_not_available", "[xact][concurrency]") {
    fresh_db db;
    pool p(db.url(), small(2));
    auto id = p.transact([](xact& q) {
        return q.conn().query_value<std::string>("INSERT INTO organizations (name) VALUES ('locked') RETURNING id");
    });
    auto holder = p.xact();
    holder.conn().execute("SELECT id FROM organizations WHERE id = $1 FOR UPDATE", id);
    CHECK_THROWS_AS(p.transact([&](xact& q) {
        q.conn().execute("SELECT id FROM organizations WHERE id = $1 FOR UPDATE NOWAIT", id);
    }),
                    lock_not_available);
    holder.commit();
    p.transact([&](xact& q) { q.conn().execute("SELECT id FROM organizations WHERE id = $1 FOR UPDATE NOWAIT", id); });
}

TEST_CASE("scopes are pgorm scopes and guard against misuse", "[xact]") {
    static_assert(scope<xact>);
    static_assert(scope<pooled_connection>);
    static_assert(!std::is_copy_constructible_v<xact> || !std::is_convertible_v<xact&, xact>);
    fresh_db db;
    pool p(db.url(), small(1));
    auto q = p.xact();
    auto moved = std::move(q);
    CHECK_THROWS_WITH(q.conn(), Catch::Contains("moved from"));
    add_org(moved, "via moved scope");
    moved.commit();
    CHECK(p.stats().in_use == 0);
    CHECK_THROWS_WITH(p.xact_tenant("usr_1", "org_1"), Catch::Contains("no tenant login"));
}
