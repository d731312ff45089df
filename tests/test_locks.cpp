// Advisory locks: stable string keys, session locks contended by two sessions, try-locks and
// transaction-level locks.
#include "support.hpp"

#include <atomic>
#include <thread>

using namespace pgorm;
using pgorm_test::fresh_db;

namespace {

std::int64_t advisory_locks_of(connection& observer, int pid) {
    return observer.query_value<std::int64_t>(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1", std::int32_t{pid});
}

}  // namespace

TEST_CASE("string keys hash stably with 64-bit FNV-1a", "[locks]") {
    // Fixed values: every client and server version must agree on the key of a name.
    STATIC_REQUIRE(advisory_key("").value == -3750763034362895579LL);
    STATIC_REQUIRE(advisory_key("lock_name").value == -7442288803843790236LL);
    CHECK(advisory_key(std::string("lock_name")).value == advisory_key("lock_name").value);
    CHECK(advisory_key("lock_name").value != advisory_key("lock_name2").value);
    CHECK(advisory_key(std::int64_t{42}).value == 42);
}

TEST_CASE("two sessions contend for one advisory lock", "[locks][concurrency]") {
    fresh_db db;
    auto a = db.connect(), b = db.connect(), observer = db.connect();
    std::atomic<bool> released{false}, acquired_after_release{false};
    auto lock_a = std::make_optional<advisory_lock>(a, "nightly-report");
    CHECK(lock_a->owns_lock());
    CHECK(advisory_locks_of(observer, a.backend_pid()) == 1);
    CHECK_FALSE(advisory_lock::try_lock(b, "nightly-report").has_value());

    std::thread waiter([&] {
        advisory_lock lock_b(b, "nightly-report");  // blocks until a lets go
        acquired_after_release = released.load();
    });
    // Wait until b is really queued on the lock, then release it.
    for (int i = 0; i < 500; ++i) {
        if (observer.query_value<std::int64_t>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                               "AND pid = $1",
                                               std::int32_t{b.backend_pid()}) == 1)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    released = true;
    lock_a->unlock();
    waiter.join();
    CHECK(acquired_after_release);
    CHECK(advisory_locks_of(observer, b.backend_pid()) == 0);  // b's guard released it on scope exit

    CHECK_THROWS_WITH(lock_a->unlock(), Catch::Contains("not held by this object"));
    lock_a.reset();
    auto again = advisory_lock::try_lock(a, "nightly-report");
    REQUIRE(again.has_value());
    CHECK(again->key() == advisory_key("nightly-report").value);
}

TEST_CASE("a session advisory lock outlives the transaction it was taken in", "[locks]") {
    fresh_db db;
    auto a = db.connect(), b = db.connect();
    std::optional<advisory_lock> held;
    {
        xact q(a);
        held.emplace(q, std::int64_t{7});
    }  // rolled back
    CHECK_FALSE(advisory_lock::try_lock(b, std::int64_t{7}).has_value());
    held.reset();
    CHECK(advisory_lock::try_lock(b, std::int64_t{7}).has_value());
}

TEST_CASE("transaction-level advisory locks end with the transaction", "[locks]") {
    fresh_db db;
    pool p(db.url());
    auto first = p.xact();
    advisory_xact_lock(first, "import");
    {
        auto second = p.xact();
        CHECK_FALSE(try_advisory_xact_lock(second, "import"));
        CHECK(try_advisory_xact_lock(second, "another"));
    }
    first.commit();
    auto third = p.xact();
    CHECK(try_advisory_xact_lock(third, "import"));
}

TEST_CASE("a pooled connection returned inside a transaction drops its session locks", "[locks]") {
    fresh_db db;
    pool_options o;
    o.max_size = 1;
    pool p(db.url(), o);
    auto other = db.connect();
    {
        auto h = p.acquire();
        auto lock = advisory_lock::try_lock(h, "left-behind");
        REQUIRE(lock);
        h->execute_script("BEGIN");
        lock->unlock();  // unlocking inside the transaction is fine; now take it again and leak it
        auto leaked = advisory_lock::try_lock(h, "left-behind");
        REQUIRE(leaked);
        CHECK_THROWS_AS(h->execute_script("SELECT 1/0"), data_exception);  // the guard cannot unlock in a failed transaction
    }
    CHECK(advisory_lock::try_lock(other, "left-behind").has_value());  // the pool's reset unlocked it
}
