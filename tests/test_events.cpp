// The event store (seed 000's EventStore, issue 14): install, publish/claim/ack/nack/replay and
// the debugging queries, exactly-one delivery under 4 consumers, redelivery after a consumer dies,
// per-scope ordering with both lock backends, streams with optimistic concurrency, and catch-up
// readers that never skip an event whose transaction commits late.
#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace pgorm;
using namespace std::chrono_literals;
using pgorm_test::empty_db;
namespace ev = pgorm::events;

namespace {

struct Deposit {
    std::string account;
    std::int64_t amount = 0;
    friend bool operator==(const Deposit&, const Deposit&) = default;
};
BOOST_DESCRIBE_STRUCT(Deposit, (), (account, amount))

struct Other {
    std::vector<std::int64_t> lines;
};
BOOST_DESCRIBE_STRUCT(Other, (), (lines))

struct events_db : empty_db {
    events_db() {
        auto c = connect();
        ev::install(c);
    }
    pgorm::pool pool(std::size_t size = 8) const {
        pool_options o;
        o.max_size = size;
        return pgorm::pool(url(), o);
    }
};

ev::event<Deposit> deposit(std::string account, std::int64_t amount, std::optional<std::string> scope = {}) {
    ev::event<Deposit> e;
    e.type = "deposit";
    e.source = "test";
    e.payload = {std::move(account), amount};
    if (scope) e.meta["scope"] = *scope;
    return e;
}

}  // namespace

// ------------------------------------------------------------------ install

TEST_CASE("events install is idempotent, concurrency-safe and upgrades an older version", "[events][install]") {
    empty_db db;
    std::vector<ev::install_result::outcome> outcomes(4);
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < outcomes.size(); ++i)
            threads.emplace_back([&, i] {
                auto c = db.connect();
                outcomes[i] = ev::install(c).what;
            });
    }
    CHECK(std::count(outcomes.begin(), outcomes.end(), ev::install_result::outcome::installed) == 1);
    CHECK(std::count(outcomes.begin(), outcomes.end(), ev::install_result::outcome::already_current) == 3);
    auto c = db.connect();
    c.execute_script("UPDATE pgorm_events.schema_version SET version = 0");
    CHECK(ev::install(c).what == ev::install_result::outcome::upgraded);
    // A version 1 store (no delivery accounting yet) gains the version 2 columns.
    c.execute_script("ALTER TABLE pgorm_events.events DROP COLUMN deliveries, DROP COLUMN claim_generation");
    c.execute_script("UPDATE pgorm_events.schema_version SET version = 1");
    CHECK(ev::install(c).what == ev::install_result::outcome::upgraded);
    CHECK(c.query_value<std::int64_t>(
              "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'pgorm_events' AND table_name = "
              "'events' AND column_name IN ('deliveries', 'claim_generation')") == 2);
    c.execute_script(ev::schema_sql());  // for other migration tools: runs again without harm
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM pgorm_events.schema_version") == 1);
    CHECK(c.query_value<std::int32_t>("SELECT version FROM pgorm_events.schema_version") == ev::schema_version);
    // Seed 000's columns are all there.
    CHECK(c.query_value<std::int64_t>(
              "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'pgorm_events' AND table_name = "
              "'events' AND column_name IN ('id', 'type', 'source', 'timestamp', 'payload', 'meta', 'status', "
              "'retry_count', 'created_at', 'processed_at')") == 10);
}

// ------------------------------------------------------------------ publish / claim / ack

TEST_CASE("claim: nothing due skips the column lookup, a table that does not fit still fails with the "
          "mapper's message, meta reads back", "[events][store]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    CHECK(store.claim<Deposit>(c).empty());  // an empty table: no row, nothing to map

    // Meta: an empty object (read without a parse) and a filled one both come back as written.
    auto plain = store.publish(c, deposit("a", 1));
    auto with_meta = deposit("b", 2, "acct-b");
    with_meta.meta["n"] = 7;
    auto scoped = store.publish(c, with_meta);
    auto got = store.claim<Deposit>(c, {.batch = 10});
    REQUIRE(got.size() == 2);
    CHECK(got[0].id == plain);
    CHECK(got[0].meta.empty());
    CHECK(got[1].id == scoped);
    CHECK(got[1].meta == with_meta.meta);
    CHECK(got[1].payload == Deposit{"b", 2});
    CHECK(store.ack(c, std::vector{got[0].token(), got[1].token()}) == 2);

    // A store whose table no longer fits stored_event: an empty claim has no row to read, the
    // first claim with a row throws the row mapper's type_mismatch naming the column.
    c.execute_script("ALTER TABLE pgorm_events.events ALTER COLUMN retry_count TYPE text");
    CHECK(store.claim<Deposit>(c).empty());
    store.publish(c, deposit("c", 3));
    CHECK_THROWS_AS(store.claim<Deposit>(c), type_mismatch);
    c.execute_script("UPDATE pgorm_events.events SET status = 'pending', available_at = now() WHERE status = 'processing'");
    CHECK_THROWS_WITH(store.claim<Deposit>(c), Catch::Contains("column \"retry_count\" has type text"));
}

TEST_CASE("claim reads every column alike by the schema's types and by the codecs, and their edge values",
          "[events][store]") {
    // The claim reads a result of the schema's own column types without the codecs' dispatch;
    // anything else stored_event accepts goes through the codecs. Both must give the same event,
    // and the fields the first path leaves to the codecs (infinite timestamps, NULL in a NOT NULL
    // column) must read or fail as the codecs do.
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    auto publish_edge = [&] {
        auto e = deposit("edge", -5, "acct-e");
        e.timestamp = timestamptz::min();  // -infinity: claimed first, read through the codec
        e.id = boost::uuids::uuid{{0x0e, 0x3f, 0x7a, 0x2c, 0x9b, 0x1d, 0x4c, 0x5e, 0x8f, 0x60, 0x7a, 0x1b, 0x2c, 0x3d,
                                   0x4e, 0x5f}};
        store.publish(c, e);
        c.execute("UPDATE pgorm_events.events SET last_error = 'earlier', stream = 's', stream_version = 3, "
                  "processed_at = 'infinity', retry_count = 2 WHERE id = $1",
                  e.id);
        return e.id;
    };
    auto claim_one = [&] {
        auto got = store.claim<Deposit>(c, {.batch = 1});
        REQUIRE(got.size() == 1);
        return got[0];
    };
    auto check_edge = [&](const ev::event<Deposit>& e, const boost::uuids::uuid& id) {
        CHECK(e.id == id);
        CHECK(e.type == "deposit");
        CHECK(e.source == "test");
        CHECK(e.timestamp == timestamptz::min());
        CHECK(e.payload == Deposit{"edge", -5});
        CHECK(e.meta.at("scope").as_string() == "acct-e");
        CHECK(e.status == ev::status::processing);
        CHECK(e.retry_count == 2);
        CHECK(e.processed_at == timestamptz::max());
        CHECK(e.scope == "acct-e");
        CHECK(e.last_error == "earlier");
        CHECK(e.stream == "s");
        CHECK(e.stream_version == 3);
        CHECK(e.global_position > 0);
        CHECK(e.deliveries == 1);
        CHECK(e.claim_generation == 1);
        CHECK(e.created_at.has_value());
        CHECK(e.available_at > std::chrono::system_clock::now());
    };
    const auto by_schema = publish_edge();
    check_edge(claim_one(), by_schema);

    // Columns retyped to what stored_event still accepts: the codecs read the same event.
    c.execute_script("TRUNCATE pgorm_events.events");
    c.execute_script("ALTER TABLE pgorm_events.events ALTER COLUMN retry_count TYPE smallint, "
                     "ALTER COLUMN source TYPE varchar(20)");
    const auto by_codecs = publish_edge();
    check_edge(claim_one(), by_codecs);

    // NULL in a column stored_event reads without std::optional: unexpected_null naming it, by
    // either path.
    c.execute_script("TRUNCATE pgorm_events.events");
    c.execute_script("ALTER TABLE pgorm_events.events ALTER COLUMN source DROP NOT NULL");
    store.publish(c, deposit("n", 1));
    c.execute_script("UPDATE pgorm_events.events SET source = NULL");
    CHECK_THROWS_WITH(store.claim<Deposit>(c), Catch::Contains("column \"source\"") && Catch::Contains("is NULL"));
    c.execute_script("TRUNCATE pgorm_events.events");
    c.execute_script("ALTER TABLE pgorm_events.events ALTER COLUMN source TYPE text, "
                     "ALTER COLUMN retry_count TYPE integer");
    store.publish(c, deposit("n", 1));
    c.execute_script("UPDATE pgorm_events.events SET source = NULL");
    CHECK_THROWS_AS(store.claim<Deposit>(c), unexpected_null);
}

TEST_CASE("publish, claim, ack: typed events, oldest first, and the claim reads the partial index",
          "[events][store]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    auto first = deposit("a", 1);
    first.timestamp = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now() - 1h);
    auto id2 = store.publish(c, deposit("b", 2));
    auto id1 = store.publish(c, first);
    CHECK(store.pending_count(c) == 2);

    auto got = store.claim<Deposit>(c, {.batch = 10});
    REQUIRE(got.size() == 2);
    CHECK(got[0].id == id1);  // the older timestamp first
    CHECK(got[1].id == id2);
    CHECK(got[0].payload == Deposit{"a", 1});
    CHECK(got[0].status == "processing");
    CHECK(store.claim<Deposit>(c).empty());  // leased
    CHECK(store.ack(c, id1));
    CHECK_FALSE(store.ack(c, id1));  // acks are idempotent
    CHECK(store.ack(c, std::vector{id2}) == 1);
    auto done = store.find<Deposit>(c, id1).value();
    CHECK(done.status == "processed");
    CHECK(done.processed_at.has_value());
    CHECK(store.pending_count(c) == 0);
    auto times = store.processing_times(c);
    REQUIRE(times.size() == 1);
    CHECK(times[0].type == "deposit");
    CHECK(times[0].events == 2);

    // EXPLAIN: with a backlog the claim walks events_claim_idx in order instead of sorting.
    std::vector<ev::event<Deposit>> many;
    for (int i = 0; i < 5000; ++i) many.push_back(deposit("x", i));
    store.publish_many(c, many);
    c.execute_script("ANALYZE pgorm_events.events");
    std::string plan;
    for (auto& line : c.query<std::string>(
             "EXPLAIN SELECT e.id FROM pgorm_events.events e WHERE e.status IN ('pending', 'processing') "
             "AND e.available_at <= clock_timestamp() AND (e.scope IS NULL OR NOT EXISTS (SELECT 1 FROM "
             "pgorm_events.events p WHERE p.scope = e.scope AND p.status IN ('pending', 'processing') "
             "AND (p.\"timestamp\", p.global_position) < (e.\"timestamp\", e.global_position))) "
             "ORDER BY e.\"timestamp\", e.global_position LIMIT 10 FOR UPDATE SKIP LOCKED"))
        plan += line + "\n";
    INFO(plan);
    CHECK(plan.find("events_claim_idx") != std::string::npos);
    CHECK(plan.find("Sort") == std::string::npos);
}

TEST_CASE("publish, claim and ack are prepared once per connection; the cache knows them by address and "
          "by text, and forgets them with the server",
          "[events][store]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    const std::size_t before = c.cached_statements();
    for (int i = 0; i < 3; ++i) store.publish(c, deposit("a", i));
    CHECK(c.cached_statements() == before + 1);
    for (int i = 0; i < 3; ++i) {
        auto got = store.claim<Deposit>(c, {.batch = 1});
        REQUIRE(got.size() == 1);
        CHECK(store.ack(c, std::vector{got[0].token()}) == 1);
    }
    CHECK(c.cached_statements() == before + 3);  // publish, claim, ack of many
    // The same text from a temporary, which the cache must compare by its bytes, is the same entry.
    c.execute(std::string(ev::event_store::ack_many_sql()), std::vector<boost::uuids::uuid>{},
              std::vector<std::int64_t>{});
    CHECK(c.cached_statements() == before + 3);
    // The server forgets every statement: the remembered hits go with the cache, and publish
    // prepares its statement anew (autocommit: run again once).
    c.execute_script("DEALLOCATE ALL");
    store.publish(c, deposit("b", 9));
    CHECK(c.cached_statements() == 1);
    CHECK(store.pending_count(c) == 1);
}

TEST_CASE("publish_many keeps order, returns ids, and sends one notification", "[events][store]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    listener l(db.url());
    l.listen("pgorm_events");
    std::vector<ev::event<Deposit>> batch{deposit("a", 1), deposit("b", 2), deposit("c", 3)};
    auto ids = store.publish_many(c, batch);
    REQUIRE(ids.size() == 3);
    CHECK(store.find<Deposit>(c, ids[2])->payload.account == "c");
    auto n = l.wait(2s);
    REQUIRE(n);
    CHECK(n->payload == "3");
    CHECK_FALSE(l.wait(200ms));
    CHECK_THROWS_AS(store.publish_many(c, std::vector<ev::event<Deposit>>{}), usage_error);
}

TEST_CASE("4 consumers x 20,000 events: every event acked exactly once, none lost", "[events][delivery][concurrency]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    constexpr int total = 20000;
    std::set<boost::uuids::uuid> sent;
    for (int start = 0; start < total; start += 2000) {
        std::vector<ev::event<Deposit>> chunk;
        for (int i = start; i < start + 2000; ++i) chunk.push_back(deposit("acct", i));
        for (auto id : store.publish_many(c, chunk)) sent.insert(id);
    }
    REQUIRE(sent.size() == total);

    auto p = db.pool(6);
    std::mutex m;
    std::map<std::thread::id, std::vector<boost::uuids::uuid>> seen;
    ev::subscribe_options o;
    o.concurrency = 4;
    o.claim.batch = 200;
    o.claim.lease = 120s;  // far beyond the run: a second delivery would be a bug
    o.max_events = total;
    o.poll_interval = 50ms;
    auto stats = ev::subscribe<Deposit>(p, store, [&](const ev::event<Deposit>& e) {
        std::lock_guard lock(m);
        seen[std::this_thread::get_id()].push_back(e.id);
    }, o);
    CHECK(stats.acked == total);
    std::vector<boost::uuids::uuid> all;
    for (auto& [t, ids] : seen) all.insert(all.end(), ids.begin(), ids.end());
    CHECK(all.size() == total);
    CHECK(std::set<boost::uuids::uuid>(all.begin(), all.end()) == sent);
    CHECK(seen.size() == 4);  // the work was shared
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM pgorm_events.events WHERE status = 'processed'") == total);
}

TEST_CASE("a consumer killed mid-event: the event is delivered again to another consumer", "[events][delivery]") {
    events_db db;
    auto admin = db.connect();
    ev::event_store store;
    auto id = store.publish(admin, deposit("a", 9));

    auto doomed = db.connect();
    auto got = store.claim<Deposit>(doomed, {.batch = 1, .lease = 1s});
    REQUIRE(got.size() == 1);
    admin.execute("SELECT pg_terminate_backend($1)", doomed.backend_pid());
    CHECK_THROWS_AS(store.ack(doomed, id), connection_error);  // the ack never happens

    auto other = db.connect();
    CHECK(store.claim<Deposit>(other).empty());  // still leased
    std::this_thread::sleep_for(1100ms);
    auto again = store.claim<Deposit>(other);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == id);
    CHECK(store.ack(other, id));
}

TEST_CASE("a poison event that kills its consumer every time goes to failed after max_retries + 1 deliveries",
          "[events][delivery][retry]") {
    events_db db;
    auto admin = db.connect();
    ev::event_store store({.retry = {.max_retries = 2}});
    auto id = store.publish(admin, deposit("poison", 1));

    // Three consumers in a row claim it and die holding it (the connection is terminated).
    for (int delivery = 1; delivery <= 3; ++delivery) {
        auto doomed = db.connect();
        auto got = store.claim<Deposit>(doomed, {.batch = 1, .lease = 200ms});
        REQUIRE(got.size() == 1);
        CHECK(got[0].id == id);
        CHECK(got[0].deliveries == delivery);
        admin.execute("SELECT pg_terminate_backend($1)", doomed.backend_pid());
        std::this_thread::sleep_for(250ms);  // the lease ends
    }
    // The claim that would deliver it a fourth time fails it instead.
    auto next = db.connect();
    CHECK(store.claim<Deposit>(next, {.batch = 10}).empty());
    auto dead = store.find<Deposit>(admin, id).value();
    CHECK(dead.status == "failed");
    CHECK(dead.deliveries == 3);
    REQUIRE(dead.last_error);
    CHECK_THAT(*dead.last_error, Catch::Contains("delivered 3 times without an ack or nack"));
    CHECK(store.failed_events<Deposit>(admin).size() == 1);

    // replay starts its allowance again; release gives a delivery back.
    CHECK(store.replay(admin, id));
    auto again = store.claim<Deposit>(next, {.batch = 1});
    REQUIRE(again.size() == 1);
    CHECK(again[0].deliveries == 1);
    CHECK(store.release(next, std::vector{again[0].token()}) == 1);
    CHECK(store.find<Deposit>(admin, id)->deliveries == 0);
    auto last = store.claim<Deposit>(next, {.batch = 1});
    REQUIRE(last.size() == 1);
    CHECK(store.ack(next, last[0].token()));
}

TEST_CASE("a late ack or nack, after the lease passed to another consumer, is refused", "[events][delivery][fence]") {
    events_db db;
    auto a = db.connect();
    auto b = db.connect();
    ev::event_store store;
    auto id = store.publish(a, deposit("a", 1));

    auto first = store.claim<Deposit>(a, {.batch = 1, .lease = 200ms});
    REQUIRE(first.size() == 1);
    std::this_thread::sleep_for(250ms);  // consumer a overran its lease...
    auto second = store.claim<Deposit>(b, {.batch = 1, .lease = 30s});
    REQUIRE(second.size() == 1);  // ...and b claimed the event again
    CHECK(second[0].id == id);
    CHECK(second[0].claim_generation == first[0].claim_generation + 1);

    CHECK_THROWS_AS(store.ack(a, first[0].token()), ev::lease_lost);
    CHECK_THROWS_WITH(store.nack(a, first[0].token(), "late"), Catch::Contains("the lease was lost"));
    CHECK_FALSE(store.fail(a, first[0].token(), "late"));
    CHECK(store.ack(a, std::vector{first[0].token()}) == 0);
    CHECK(store.release(a, std::vector{first[0].token()}) == 0);
    auto held = store.find<Deposit>(a, id).value();
    CHECK(held.status == "processing");  // still b's, untouched by a
    CHECK(held.retry_count == 0);
    CHECK_FALSE(held.last_error);

    CHECK(store.ack(b, second[0].token()));
    CHECK_FALSE(store.ack(b, second[0].token()));  // b's own repeat: idempotent
    CHECK_THROWS_AS(store.ack(a, first[0].token()), ev::lease_lost);  // a is still refused
    boost::uuids::uuid unknown{};
    unknown.data[0] = 7;
    CHECK_THROWS_AS(store.ack(a, ev::claim_token{unknown, 1}), not_found);

    // A lease that ran out but was not claimed again is still the latest: its ack counts.
    auto id2 = store.publish(a, deposit("a", 2));
    auto slow = store.claim<Deposit>(a, {.batch = 1, .lease = 100ms});
    REQUIRE(slow.size() == 1);
    std::this_thread::sleep_for(150ms);
    CHECK(store.ack(a, slow[0].token()));
    CHECK(store.find<Deposit>(a, id2)->status == "processed");

    // The control: the same schedule with the unfenced operator ack. It goes through and settles
    // the event b holds, which is what the fence above prevents.
    auto id3 = store.publish(a, deposit("a", 3));
    auto late = store.claim<Deposit>(a, {.batch = 1, .lease = 100ms});
    REQUIRE(late.size() == 1);
    std::this_thread::sleep_for(150ms);
    auto owner = store.claim<Deposit>(b, {.batch = 1, .lease = 30s});
    REQUIRE(owner.size() == 1);
    CHECK(store.ack(a, id3));  // accepted: b's claim is overridden
    CHECK_FALSE(store.ack(b, owner[0].token()));  // b finds its event already processed
}

TEST_CASE("subscribe: a handler that overran its lease has its ack refused and counted as lost",
          "[events][subscribe][fence]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    auto id = store.publish(c, deposit("slow", 1));
    auto p = db.pool(4);
    std::stop_source stop;
    ev::subscribe_options o;
    o.claim = {.batch = 1, .lease = 100ms};
    o.poll_interval = 20ms;
    o.stop = stop.get_token();
    int calls = 0;
    bool taken_over = false;  // checked here, not in the handler's thread
    auto stats = ev::subscribe<Deposit>(p, store, [&](const ev::event<Deposit>& e) {
        ++calls;
        std::this_thread::sleep_for(200ms);  // past the lease: another consumer takes the event over
        auto other = db.connect();
        auto taken = store.claim<Deposit>(other, {.batch = 1});
        taken_over = taken.size() == 1 && taken[0].id == e.id && store.ack(other, taken[0].token());
        stop.request_stop();
    }, o);
    CHECK(calls == 1);
    CHECK(taken_over);
    CHECK(stats.acked == 0);
    CHECK(stats.lost == 1);
    CHECK(store.find<Deposit>(c, id)->status == "processed");
}

TEST_CASE("nack retries after the backoff, fails after max_retries, and replay brings it back", "[events][retry]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store({.retry = {.max_retries = 2, .base = 200ms, .factor = 2.0, .max = 10s, .jitter = 0.0}});
    auto id = store.publish(c, deposit("a", 1));

    auto claim_one = [&] { return store.claim<Deposit>(c, {.batch = 1, .lease = 30s}); };
    REQUIRE(claim_one().size() == 1);
    auto r1 = store.nack(c, id, "boom 1");
    CHECK_FALSE(r1.failed);
    CHECK(r1.retry_count == 1);
    CHECK(claim_one().empty());  // backing off for 200 ms
    std::this_thread::sleep_for(250ms);
    auto second = claim_one();
    REQUIRE(second.size() == 1);
    CHECK(second[0].retry_count == 1);
    CHECK(second[0].last_error == "boom 1");
    auto r2 = store.nack(c, id, "boom 2");
    CHECK_FALSE(r2.failed);
    CHECK(r2.retry_at - r1.retry_at >= 350ms);  // 400 ms the second time
    std::this_thread::sleep_for(450ms);
    REQUIRE(claim_one().size() == 1);
    auto r3 = store.nack(c, id, "boom 3");
    CHECK(r3.failed);  // nacked more than max_retries = 2 times
    CHECK(claim_one().empty());
    auto dead = store.failed_events<Deposit>(c);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].id == id);
    CHECK(dead[0].last_error == "boom 3");
    CHECK_THROWS_AS(store.ack(c, id), usage_error);  // failed: replay it first

    CHECK(store.replay(c, id));
    CHECK_FALSE(store.replay(c, id));  // not failed any more
    auto back = claim_one();
    REQUIRE(back.size() == 1);
    CHECK(back[0].retry_count == 0);
    CHECK(store.ack(c, id));

    // replay by filter
    auto a = store.publish(c, deposit("a", 1));
    ev::event<Deposit> other = deposit("b", 2);
    other.type = "withdrawal";
    auto b = store.publish(c, other);
    REQUIRE(claim_one().size() == 1);
    REQUIRE(claim_one().size() == 1);
    store.fail(c, a, "x");
    store.fail(c, b, "y");
    CHECK(store.replay(c, ev::replay_filter{.type = "withdrawal"}) == 1);
    CHECK(store.find<Deposit>(c, a)->status == "failed");
    CHECK(store.find<Deposit>(c, b)->status == "pending");
}

TEST_CASE("subscribe: failures are nacked with backoff, poison and undecodable payloads go to failed",
          "[events][subscribe]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store({.retry = {.max_retries = 1, .base = 10ms, .factor = 1.0, .max = 10ms, .jitter = 0.0}});
    store.publish(c, deposit("ok", 1));
    store.publish(c, deposit("flaky", 2));
    store.publish(c, deposit("poison", 3));
    ev::event<jsonb_text> bad;
    bad.type = "deposit";
    bad.source = "test";
    bad.payload = jsonb_text(R"({"lines": [1, 2]})");
    auto bad_id = store.publish(c, bad);

    auto p = db.pool(4);
    std::atomic<int> flaky_calls{0};
    ev::subscribe_options o;
    o.max_events = 4;
    o.poll_interval = 20ms;
    auto stats = ev::subscribe<Deposit>(p, store, [&](const ev::event<Deposit>& e) {
        if (e.payload.account == "poison") throw ev::poison_event("cannot ever work");
        if (e.payload.account == "flaky" && flaky_calls++ == 0) throw std::runtime_error("try again");
    }, o);
    CHECK(stats.acked == 2);
    CHECK(stats.retried == 1);
    CHECK(stats.failed == 2);
    auto dead = store.failed_events<jsonb_text>(c);
    REQUIRE(dead.size() == 2);
    std::set<std::string> errors{*dead[0].last_error, *dead[1].last_error};
    CHECK(errors.count("cannot ever work") == 1);
    auto undecodable = store.find<jsonb_text>(c, bad_id).value();
    CHECK(undecodable.status == "failed");
    CHECK(undecodable.last_error->find("does not fit") != std::string::npos);
}

// ------------------------------------------------------------------ scopes and lock backends

TEST_CASE("per-scope ordering under concurrency, with both lock backends", "[events][scope][concurrency]") {
    for (std::string kind : {"memory", "postgres"}) {
        DYNAMIC_SECTION("LOCK_BACKEND=" << kind) {
            events_db db;
            auto c = db.connect();
            ev::event_store store;
            constexpr int scopes = 6, per_scope = 40;
            std::vector<ev::event<Deposit>> all;
            for (int i = 0; i < per_scope; ++i)
                for (int s = 0; s < scopes; ++s) all.push_back(deposit("s" + std::to_string(s), i, "agg-" + std::to_string(s)));
            store.publish_many(c, all);

            auto p = db.pool(8);
            auto locks = ev::make_lock_backend(config::from_url(db.url()), store.options().channel, kind);
            CHECK(locks->kind() == kind);
            std::mutex m;
            std::map<std::string, std::vector<std::int64_t>> order;
            std::map<std::string, int> in_flight;
            std::atomic<bool> overlap{false};
            ev::subscribe_options o;
            o.concurrency = 4;
            o.claim.batch = 4;
            o.locks = locks.get();
            o.max_events = scopes * per_scope;
            o.poll_interval = 10ms;
            ev::subscribe<Deposit>(p, store, [&](const ev::event<Deposit>& e) {
                {
                    std::lock_guard lock(m);
                    if (in_flight[*e.scope]++ != 0) overlap = true;
                    order[*e.scope].push_back(e.payload.amount);
                }
                std::this_thread::sleep_for(200us);
                std::lock_guard lock(m);
                --in_flight[*e.scope];
            }, o);
            CHECK_FALSE(overlap);
            REQUIRE(order.size() == scopes);
            for (auto& [scope, seq] : order) {
                INFO(scope);
                CHECK(seq.size() == per_scope);
                CHECK(std::is_sorted(seq.begin(), seq.end()));
            }
        }
    }
}

TEST_CASE("the memory lock backend refuses a second instance; postgres locks exclude across instances",
          "[events][locks]") {
    events_db db;
    const auto cfg = config::from_url(db.url());
    {
        ev::memory_lock_backend one(cfg, "pgorm_events");
        try {
            ev::memory_lock_backend two(cfg, "pgorm_events");  // another process's worth of consumers
            FAIL("a second memory backend was accepted");
        } catch (const usage_error& e) {
            CHECK(std::string(e.what()).find("LOCK_BACKEND=postgres") != std::string::npos);
        }
        ev::memory_lock_backend other_store(cfg, "other_channel");  // another store is fine
        CHECK(one.try_lock("a"));
        CHECK_FALSE(one.try_lock("a"));
        one.unlock("a");
        CHECK_THROWS_AS(one.unlock("a"), usage_error);
    }
    ev::memory_lock_backend again(cfg, "pgorm_events");  // the first one is gone

    ev::postgres_lock_backend a(cfg), b(cfg);
    CHECK(a.try_lock("order-1"));
    CHECK_FALSE(a.try_lock("order-1"));  // not re-entrant within one instance either
    CHECK_FALSE(b.try_lock("order-1"));
    CHECK(b.try_lock("order-2"));
    a.unlock("order-1");
    CHECK(b.try_lock("order-1"));
    b.unlock("order-1");
    b.unlock("order-2");

    CHECK_THROWS_AS(ev::make_lock_backend(cfg, "pgorm_events", "redis"), config_error);
    ::setenv("LOCK_BACKEND", "postgres", 1);
    CHECK(ev::make_lock_backend(cfg, "pgorm_events")->kind() == "postgres");
    ::setenv("LOCK_BACKEND", "nope", 1);
    CHECK_THROWS_AS(ev::make_lock_backend(cfg, "pgorm_events"), config_error);
    ::unsetenv("LOCK_BACKEND");
}

// ------------------------------------------------------------------ streams

TEST_CASE("append checks the expected version; a concurrent append gets wrong_expected_version", "[events][stream]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    auto r = ev::append(c, store, "account-1", std::vector{deposit("a", 1), deposit("a", 2)}, ev::no_stream);
    CHECK(r.version == 2);
    REQUIRE(r.positions.size() == 2);
    CHECK(r.positions[0] < r.positions[1]);
    CHECK_THROWS_AS(ev::append(c, store, "account-1", std::vector{deposit("a", 3)}, ev::no_stream),
                    ev::wrong_expected_version);
    try {
        ev::append(c, store, "account-1", std::vector{deposit("a", 3)}, 1);
        FAIL("stale expected version accepted");
    } catch (const ev::wrong_expected_version& e) {
        CHECK(e.expected() == 1);
        CHECK(e.actual() == 2);
    }
    CHECK(ev::append(c, store, "account-1", std::vector{deposit("a", 3)}, 2).version == 3);
    CHECK(ev::append(c, store, "account-1", std::vector{deposit("a", 4)}, ev::any_version).version == 4);
    CHECK(ev::append(c, store, "account-1", std::vector<ev::event<Deposit>>{}, 4).version == 4);  // zero events
    CHECK_THROWS_AS(ev::append(c, store, "account-1", std::vector<ev::event<Deposit>>{}, 3), ev::wrong_expected_version);
    auto events = ev::read_stream<Deposit>(c, "account-1");
    REQUIRE(events.size() == 4);
    for (std::size_t i = 0; i < events.size(); ++i) {
        CHECK(events[i].stream_version == std::int64_t(i + 1));
        CHECK(events[i].payload.amount == std::int64_t(i + 1));
        CHECK(events[i].status == "recorded");
    }
    CHECK(store.pending_count(c) == 0);  // not in the work queue unless asked

    // Two writers expecting version 4: the second waits for the first and then loses.
    auto w1 = db.connect();
    auto w2 = db.connect();
    xact t1(w1);
    ev::append(t1, store, "account-1", std::vector{deposit("a", 5)}, 4);
    std::atomic<bool> lost{false};
    std::jthread second([&] {
        try {
            ev::append(w2, store, "account-1", std::vector{deposit("b", 5)}, 4);
        } catch (const ev::wrong_expected_version&) {
            lost = true;
        }
    });
    std::this_thread::sleep_for(200ms);
    t1.commit();
    second.join();
    CHECK(lost);
    CHECK(ev::stream_version(c, "account-1") == 5);
    CHECK_THROWS_AS(ev::append(c, store, "", std::vector{deposit("a", 1)}, ev::any_version), usage_error);
    CHECK_THROWS_AS(ev::append(c, store, "s", std::vector{deposit("a", 1)}, -3), usage_error);
}

TEST_CASE("NOTIFY from a rolled-back publish is never heard; a committed one is", "[events][notify]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    listener l(db.url());
    l.listen(store.options().channel);
    {
        xact tx(c);
        store.publish(tx, deposit("a", 1));
        ev::append(tx, store, "s", std::vector{deposit("a", 1)}, ev::no_stream);
    }  // rolled back
    CHECK_FALSE(l.wait(300ms));
    CHECK(store.pending_count(c) == 0);
    xact tx(c);
    auto id = store.publish(tx, deposit("b", 2));
    CHECK_FALSE(l.wait(100ms));  // not before the commit
    tx.commit();
    auto n = l.wait(2s);
    REQUIRE(n);
    CHECK(n->payload == boost::uuids::to_string(id));
}

TEST_CASE("catch-up: 8 writers committing out of order, every event read once, in position order, none skipped",
          "[events][catchup][concurrency]") {
    events_db db;
    ev::event_store store;
    auto p = db.pool(12);
    constexpr int writers = 8, rounds = 5, per_append = 3;
    constexpr int total = writers * rounds * per_append;

    std::mutex m;
    std::vector<std::int64_t> read_positions;
    std::set<std::int64_t> written;
    std::atomic<bool> slow_began{false}, writers_done{false};
    std::jthread reader_thread, naive_thread;
    // The control: the same reader without the transaction-id horizon (it follows
    // global_position alone, as a reader over a sequence would). On this schedule it must skip
    // the slow writer's events: it passes their positions while they are still uncommitted. If
    // it did not, the schedule would not exercise the gap and the real reader's result below
    // would prove nothing.
    std::vector<std::int64_t> naive_positions, slow_positions;
    auto naive_reader = [&] {
        auto conn = db.connect();
        std::int64_t after = -1;
        for (bool last = false;;) {
            last = writers_done.load();  // one more full read after every writer has committed
            for (;;) {
                auto got = conn.query<std::int64_t>(
                    "SELECT global_position FROM pgorm_events.events WHERE global_position > $1 "
                    "ORDER BY global_position LIMIT 7",
                    after);
                if (got.empty()) break;
                naive_positions.insert(naive_positions.end(), got.begin(), got.end());
                after = got.back();
            }
            if (last) break;
            std::this_thread::sleep_for(20ms);
        }
    };
    {
        std::vector<std::jthread> threads;
        // Writer 0 takes its xid (and positions) first, then holds its transaction open while
        // the others commit later positions.
        threads.emplace_back([&] {
            auto conn = db.connect();
            xact tx(conn);
            auto r = ev::append(tx, store, "slow", std::vector(per_append, deposit("slow", 0)), ev::any_version);
            slow_began = true;
            std::this_thread::sleep_for(1500ms);
            for (int i = 1; i < rounds; ++i) {
                auto more = ev::append(tx, store, "slow", std::vector(per_append, deposit("slow", i)), ev::any_version);
                r.positions.insert(r.positions.end(), more.positions.begin(), more.positions.end());
            }
            tx.commit();
            std::lock_guard lock(m);
            written.insert(r.positions.begin(), r.positions.end());
            slow_positions = r.positions;
        });
        while (!slow_began) std::this_thread::sleep_for(1ms);
        naive_thread = std::jthread(naive_reader);
        reader_thread = std::jthread([&] {
            ev::catch_up_options o;
            o.batch = 7;
            o.max_events = total;
            o.poll_interval = 20ms;
            ev::catch_up<Deposit>(p, store, "reader", [&](const ev::event<Deposit>& e) {
                std::lock_guard lock(m);
                read_positions.push_back(e.global_position);
            }, o);
        });
        for (int w = 1; w < writers; ++w)
            threads.emplace_back([&, w] {
                auto conn = db.connect();
                for (int i = 0; i < rounds; ++i) {
                    xact tx(conn);
                    auto r = ev::append(tx, store, "w" + std::to_string(w),
                                        std::vector(per_append, deposit("w", i)), ev::any_version);
                    std::this_thread::sleep_for(std::chrono::milliseconds(5 * w));
                    tx.commit();
                    std::lock_guard lock(m);
                    written.insert(r.positions.begin(), r.positions.end());
                }
            });
    }
    writers_done = true;
    reader_thread.join();
    naive_thread.join();
    REQUIRE(written.size() == total);
    // The control skipped events: at least all of the slow writer's, committed below positions it
    // had passed (the other writers, whose commits also overtake each other, may add more).
    std::set<std::int64_t> skipped;
    std::set<std::int64_t> naive_seen(naive_positions.begin(), naive_positions.end());
    for (auto pos : written)
        if (!naive_seen.count(pos)) skipped.insert(pos);
    INFO("the horizon-less reader skipped " << skipped.size() << " of " << total);
    REQUIRE(slow_positions.size() == std::size_t(rounds * per_append));
    CHECK(std::all_of(slow_positions.begin(), slow_positions.end(), [&](auto pos) { return skipped.count(pos) == 1; }));
    CHECK(naive_positions.size() == total - skipped.size());  // and read nothing twice
    // The real reader, on the same schedule, skipped none.
    CHECK(read_positions.size() == total);
    CHECK(std::is_sorted(read_positions.begin(), read_positions.end()));
    CHECK(std::set<std::int64_t>(read_positions.begin(), read_positions.end()) == written);
    auto c = db.connect();
    CHECK(ev::checkpoint(c, "reader") == read_positions.back());
}

TEST_CASE("a projection rebuilt from position 0 matches the one built while catching up", "[events][catchup]") {
    events_db db;
    ev::event_store store;
    auto c = db.connect();
    c.execute_script("CREATE TABLE balances (account text PRIMARY KEY, total bigint NOT NULL)");
    for (int i = 1; i <= 30; ++i)
        ev::append(c, store, "acct-" + std::to_string(i % 3), std::vector{deposit("acct-" + std::to_string(i % 3), i)},
                   ev::any_version);
    auto p = db.pool(4);
    auto project = [](xact& tx, const ev::event<Deposit>& e) {
        tx.conn().execute("INSERT INTO balances VALUES ($1, $2) ON CONFLICT (account) DO UPDATE "
                          "SET total = balances.total + excluded.total",
                          e.payload.account, e.payload.amount);
    };
    ev::catch_up_options o;
    o.stop_when_caught_up = true;
    o.batch = 8;
    CHECK(ev::catch_up<Deposit>(p, store, "balances", project, o) == 30);
    CHECK(ev::catch_up<Deposit>(p, store, "balances", project, o) == 0);  // the checkpoint is durable
    auto before = c.query<std::tuple<std::string, std::int64_t>>("SELECT account, total FROM balances ORDER BY account");
    CHECK(c.query_value<std::int64_t>("SELECT sum(total)::bigint FROM balances") == 465);
    {
        xact tx(c);
        tx.conn().execute_script("TRUNCATE balances");
        ev::reset_checkpoint(tx, "balances");
        tx.commit();
    }
    CHECK(ev::checkpoint(c, "balances") == -1);
    CHECK(ev::catch_up<Deposit>(p, store, "balances", project, o) == 30);
    CHECK(c.query<std::tuple<std::string, std::int64_t>>("SELECT account, total FROM balances ORDER BY account") == before);

    // A handler that throws leaves the checkpoint where it was.
    ev::append(c, store, "acct-9", std::vector{deposit("acct-9", 1)}, ev::any_version);
    const auto cp = ev::checkpoint(c, "balances");
    CHECK_THROWS_AS(ev::catch_up<Deposit>(p, store, "balances",
                                          [](const ev::event<Deposit>&) { throw std::runtime_error("down"); }, o),
                    std::runtime_error);
    CHECK(ev::checkpoint(c, "balances") == cp);
}

// ------------------------------------------------------------------ debugging and errors

TEST_CASE("the debugging queries: pending count, failed newest first, processing times, table locks",
          "[events][debug]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    auto t0 = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    for (int i = 0; i < 3; ++i) {
        auto e = deposit("a", i);
        e.timestamp = t0 + std::chrono::seconds(i);
        store.publish(c, e);
    }
    CHECK(store.pending_count(c) == 3);
    for (auto& e : store.claim<Deposit>(c, {.batch = 3})) store.fail(c, e.id, "dead " + std::to_string(e.payload.amount));
    auto dead = store.failed_events<Deposit>(c, 2);
    REQUIRE(dead.size() == 2);
    CHECK(dead[0].payload.amount == 2);  // newest first
    CHECK(dead[1].payload.amount == 1);

    auto other = db.connect();
    xact tx(other);
    tx.conn().execute("SELECT 1 FROM pgorm_events.events LIMIT 1 FOR UPDATE");
    auto locks = store.table_locks(c);
    REQUIRE_FALSE(locks.empty());
    CHECK(std::any_of(locks.begin(), locks.end(), [&](const ev::table_lock& l) {
        return l.pid == other.backend_pid() && l.mode == "RowShareLock" && l.granted;
    }));
}

TEST_CASE("bad input is refused with what was wrong", "[events][errors]") {
    events_db db;
    auto c = db.connect();
    ev::event_store store;
    CHECK_THROWS_AS(ev::event_store({.channel = ""}), usage_error);
    CHECK_THROWS_AS(ev::event_store({.retry = {.max_retries = -1}}), usage_error);
    CHECK_THROWS_AS(ev::event_store({.retry = {.base = 10s, .max = 1s}}), usage_error);
    CHECK_THROWS_AS(ev::event_store({.retry = {.jitter = 1.5}}), usage_error);
    auto untyped = deposit("a", 1);
    untyped.type.clear();
    CHECK_THROWS_WITH(store.publish(c, untyped), Catch::Contains("needs a type"));
    CHECK_THROWS_AS(store.claim<Deposit>(c, {.batch = 0}), usage_error);
    CHECK_THROWS_AS(store.claim<Deposit>(c, {.batch = 1, .lease = 0ms}), usage_error);
    boost::uuids::uuid unknown{};
    unknown.data[0] = 1;
    CHECK_THROWS_AS(store.ack(c, unknown), not_found);
    CHECK_THROWS_AS(store.nack(c, unknown, "x"), not_found);
    CHECK_THROWS_AS(store.replay(c, unknown), not_found);
    CHECK_THROWS_AS(store.failed_events<Deposit>(c, 0), usage_error);

    // A payload that does not fit T: named, moved to failed, and the rest of the batch released.
    auto good = store.publish(c, deposit("a", 1));
    ev::event<Other> odd;
    odd.type = "other";
    odd.source = "test";
    odd.payload.lines = {1};
    auto bad = store.publish(c, odd);
    CHECK_THROWS_WITH(store.claim<Deposit>(c, {.batch = 5}), Catch::Contains(boost::uuids::to_string(bad)) &&
                                                                 Catch::Contains("now failed"));
    CHECK(store.find<jsonb_text>(c, bad)->status == "failed");
    CHECK(store.find<jsonb_text>(c, good)->status == "pending");
    CHECK_THROWS_AS(store.nack(c, bad, "x"), usage_error);  // failed is not in the work queue

    empty_db bare;  // no schema: the server's error names the missing table
    auto b = bare.connect();
    CHECK_THROWS_AS(store.pending_count(b), undefined_table);
}
