// LISTEN/NOTIFY: delivery, timeouts, commit-only delivery from a transaction, safe channel
// names, and reconnect-and-relisten after the listener's backend is terminated.
#include "support.hpp"

using namespace pgorm;
using pgorm_test::fresh_db;
using namespace std::chrono_literals;

TEST_CASE("a listener receives notifications and times out when there are none", "[listen]") {
    fresh_db db;
    listener l(db.url());
    l.listen("jobs");
    CHECK(l.channels().count("jobs") == 1);
    CHECK_FALSE(l.wait(50ms).has_value());

    auto sender = db.connect();
    notify(sender, "jobs", "job-1");
    auto n = l.wait(5000ms);
    REQUIRE(n.has_value());
    CHECK(n->channel == "jobs");
    CHECK(n->payload == "job-1");
    CHECK(n->sender_pid == sender.backend_pid());
    CHECK_FALSE(l.wait(0ms).has_value());
}

TEST_CASE("a notification sent in a rolled-back transaction never arrives", "[listen]") {
    fresh_db db;
    listener l(db.url());
    l.listen("events");
    pool p(db.url());
    {
        auto q = p.xact();
        q.notify("events", "rolled back");
    }
    CHECK_THROWS_AS(p.transact([](xact& q) {
        q.notify("events", "thrown away");
        throw std::runtime_error("boom");
    }),
                    std::runtime_error);
    p.transact([](xact& q) { q.notify("events", "committed"); });
    // Delivery is in commit order, so if the others were ever going to arrive they would come first.
    auto n = l.wait(5000ms);
    REQUIRE(n.has_value());
    CHECK(n->payload == "committed");
    CHECK_FALSE(l.wait(100ms).has_value());
}

TEST_CASE("channel names are quoted and unlisten stops delivery", "[listen]") {
    fresh_db db;
    listener l(db.url());
    const std::string odd = "Mixed Case; DROP TABLE users; --\"";
    l.listen(odd);
    l.listen("marker");
    auto sender = db.connect();
    notify(sender, odd, "odd");
    auto n = l.wait(5000ms);
    REQUIRE(n.has_value());
    CHECK(n->channel == odd);
    CHECK(sender.query_value<bool>("SELECT to_regclass('users') IS NOT NULL"));

    l.unlisten(odd);
    notify(sender, odd, "not delivered");
    notify(sender, "marker", "after");
    n = l.wait(5000ms);
    REQUIRE(n.has_value());
    CHECK(n->channel == "marker");

    l.unlisten_all();
    CHECK(l.channels().empty());
    CHECK_THROWS_AS(l.listen(""), usage_error);
    CHECK_THROWS_AS(notify(sender, "", "x"), usage_error);
}

TEST_CASE("a listener reconnects and listens again after its connection drops", "[listen]") {
    fresh_db db;
    listener l(db.url());
    l.listen("jobs");
    l.listen("other");
    int old_pid = l.conn().backend_pid();
    auto admin = db.connect();
    REQUIRE(admin.query_value<bool>("SELECT pg_terminate_backend($1, 5000)", std::int32_t{old_pid}));

    CHECK_FALSE(l.wait(100ms).has_value());  // notices the drop, reconnects, keeps waiting
    CHECK(l.reconnects() == 1);
    CHECK(l.conn().backend_pid() != old_pid);
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                                          std::int32_t{l.conn().backend_pid()}) == 1);

    notify(admin, "other", "after reconnect");
    auto n = l.wait(5000ms);
    REQUIRE(n.has_value());
    CHECK(n->channel == "other");
    CHECK(n->payload == "after reconnect");
}
