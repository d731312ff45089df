// The queue layer: pgmq's SQL API as seed 001 calls it, delivery guarantees under concurrency
// and dying consumers, dead letters, FIFO groups, delays, the transactional outbox, the typed
// client and its errors, and the install procedure.
#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <thread>

using namespace pgorm;
using namespace std::chrono_literals;
using pgorm_test::empty_db;

namespace {

struct Order {
    std::string sku;
    std::int64_t quantity = 0;
    friend bool operator==(const Order&, const Order&) = default;
};
BOOST_DESCRIBE_STRUCT(Order, (), (sku, quantity))

struct Other {
    std::vector<std::int64_t> lines;
};
BOOST_DESCRIBE_STRUCT(Other, (), (lines))

/// A fresh empty database with the queue schema installed.
struct queue_db : empty_db {
    queue_db() {
        auto c = connect();
        queue::install(c);
    }
};

/// queue_db with a connection and a created queue of Orders on it.
struct order_queue_db : queue_db {
    connection c = connect();
    queue::client<Order> q;
    explicit order_queue_db(std::string_view name) : q(c, name) { q.create(); }
};

bool partman_available(connection& c) {
    return c.query_value<bool>("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman')");
}

}  // namespace

// ------------------------------------------------------------------ install

TEST_CASE("install creates the schema once, is idempotent and upgrades an older version", "[queue][install]") {
    empty_db db;
    auto c = db.connect();
    auto first = queue::install(c);
    CHECK(first.what == queue::install_result::outcome::installed);
    CHECK(first.version == queue::schema_version);
    CHECK(queue::install(c).what == queue::install_result::outcome::already_current);

    c.execute_script("UPDATE pgmq.pgorm_schema_version SET version = 0");  // as an older release left it
    auto again = queue::install(c);
    CHECK(again.what == queue::install_result::outcome::upgraded);
    CHECK(c.query_value<std::int32_t>("SELECT version FROM pgmq.pgorm_schema_version") == queue::schema_version);

    // schema_sql() is the same script for other migration tools: it runs again without harm.
    c.execute_script(queue::schema_sql());
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM pgmq.pgorm_schema_version") == 1);
}

TEST_CASE("install from many connections at once installs exactly once", "[queue][install][concurrency]") {
    empty_db db;
    std::vector<queue::install_result::outcome> outcomes(4);
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < outcomes.size(); ++i)
            threads.emplace_back([&, i] {
                auto c = db.connect();
                outcomes[i] = queue::install(c).what;
            });
    }
    CHECK(std::count(outcomes.begin(), outcomes.end(), queue::install_result::outcome::installed) == 1);
    CHECK(std::count(outcomes.begin(), outcomes.end(), queue::install_result::outcome::already_current) == 3);
}

TEST_CASE("install inside the caller's transaction is undone with it", "[queue][install]") {
    empty_db db;
    pool p(db.url());
    {
        auto tx = p.xact();
        queue::install(tx);
    }  // rolled back
    auto c = db.connect();
    CHECK_FALSE(c.query_value<bool>("SELECT to_regnamespace('pgmq') IS NOT NULL"));
}

TEST_CASE("install leaves a real pgmq extension alone and schema_sql refuses to run over it", "[queue][install]") {
    empty_db db;
    auto c = db.connect();
    // Debian packages no pgmq: register a catalogue entry as CREATE EXTENSION pgmq would.
    c.execute_script("CREATE SCHEMA pgmq; INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, "
           "extversion) VALUES ((SELECT max(oid::int8) + 1 FROM pg_extension)::oid, 'pgmq', 10, "
           "'pgmq'::regnamespace, false, '1.11.0')");
    auto r = queue::install(c);
    CHECK(r.what == queue::install_result::outcome::pgmq_extension);
    CHECK(r.extension_version == "1.11.0");
    CHECK_FALSE(c.query_value<bool>("SELECT to_regclass('pgmq.meta') IS NOT NULL"));
    try {
        c.execute_script(queue::schema_sql());
        FAIL("schema_sql ran over the extension");
    } catch (const sql_error& e) {
        CHECK(e.sqlstate() == "55000");
        CHECK_THAT(e.what(), Catch::Contains("pgmq extension is installed"));
    }
    c.execute_script("DELETE FROM pg_extension WHERE extname = 'pgmq'");
}

TEST_CASE("install refuses a pgmq schema that some other tool made", "[queue][install]") {
    empty_db db;
    auto c = db.connect();
    c.execute_script("CREATE SCHEMA pgmq; CREATE TABLE pgmq.meta (queue_name varchar)");
    CHECK_THROWS_WITH(queue::install(c), Catch::Contains("pgorm did not make"));
}

// ------------------------------------------------------------------ seed 001's SQL, unchanged

TEST_CASE("seed 001's PGMQ SQL runs unchanged and gives pgmq's results", "[queue][sql]") {
    queue_db db;
    auto c = db.connect();
    const std::string q = "payments__commands";

    c.execute("SELECT pgmq.create($1)", q);
    auto queues = c.execute("SELECT * FROM pgmq.list_queues()");
    REQUIRE(queues.size() == 1);
    CHECK(queues.get<std::string>(0, queues.column_index("queue_name")) == q);
    CHECK_FALSE(queues.get<bool>(0, queues.column_index("is_partitioned")));
    CHECK(c.query_value<bool>("SELECT pgmq.drop_queue($1)", std::string("old_queue")) == false);

    // send: the delay goes as whatever integer width the driver picks.
    auto first = c.query_value<std::int64_t>("SELECT pgmq.send($1, $2::jsonb)", q, std::string(R"({"n": 1})"));
    auto delayed = c.query_value<std::int64_t>("SELECT pgmq.send($1, $2::jsonb, $3)", q,
                                               std::string(R"({"n": 2})"), std::int16_t(60));
    auto third = c.query_value<std::int64_t>("SELECT pgmq.send($1, $2::jsonb, $3)", q,
                                             std::string(R"({"n": 3})"), std::int32_t(0));
    CHECK(first == 1);
    CHECK(delayed == 2);
    CHECK(third == 3);

    auto read = c.execute("SELECT * FROM pgmq.read($1, $2, $3)", q, std::int32_t(30), std::int32_t(10));
    REQUIRE(read.size() == 2);  // the delayed one is not visible
    std::vector<std::string> names;
    for (int i = 0; i < read.columns(); ++i) names.emplace_back(read.column_name(i));
    CHECK(names == std::vector<std::string>{"msg_id", "read_ct", "enqueued_at", "last_read_at", "vt", "message",
                                            "headers"});
    CHECK(read.get<std::int64_t>(0, 0) == first);
    CHECK(read.get<std::int32_t>(0, 1) == 1);
    CHECK(read.get<jsonb_text>(0, 5).text == R"({"n": 1})");

    CHECK(c.query_value<bool>("SELECT pgmq.delete($1, $2)", q, first));
    CHECK_FALSE(c.query_value<bool>("SELECT pgmq.delete($1, $2)", q, first));
    CHECK(c.query_value<bool>("SELECT pgmq.archive($1, $2)", q, third));
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM pgmq.a_payments__commands") == 1);

    auto vt = c.execute("SELECT pgmq.set_vt($1, $2, $3)", q, delayed, std::int32_t(0));
    CHECK(vt.size() == 1);  // one message_record
    auto popped = c.execute("SELECT * FROM pgmq.pop($1)", q);
    REQUIRE(popped.size() == 1);
    CHECK(popped.get<std::int64_t>(0, popped.column_index("msg_id")) == delayed);
    CHECK(c.execute("SELECT * FROM pgmq.pop($1)", q).empty());

    c.execute("SELECT pgmq.send($1, $2::jsonb)", q, std::string("{}"));
    auto m = c.execute("SELECT * FROM pgmq.metrics($1)", q);
    REQUIRE(m.size() == 1);
    CHECK(m.get<std::string>(0, m.column_index("queue_name")) == q);
    CHECK(m.get<std::int64_t>(0, m.column_index("queue_length")) == 1);
    CHECK(m.get<std::int64_t>(0, m.column_index("total_messages")) == 4);

    // The transactional outbox of seed 001: business row and message commit together.
    c.execute_script("CREATE TABLE command_bus_command (domain text, command_id text, msg_id bigint)");
    c.execute_script("BEGIN");
    c.execute("INSERT INTO command_bus_command (domain, command_id) VALUES ($1, $2)", std::string("payments"),
              std::string("c1"));
    auto id = c.query_value<std::int64_t>("SELECT pgmq.send($1, $2::jsonb)", q, std::string(R"({"command": "c1"})"));
    c.execute("UPDATE command_bus_command SET msg_id = $1 WHERE command_id = $2", id, std::string("c1"));
    c.execute_script("ROLLBACK");
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM pgmq.q_payments__commands") == 1);

    CHECK(c.query_value<bool>("SELECT pgmq.drop_queue($1)", q));
    CHECK(c.execute("SELECT * FROM pgmq.list_queues()").empty());
}

TEST_CASE("seed 001's partitioned queue: by time with pg_partman, and a clear error without it", "[queue][sql][partman]") {
    queue_db db;
    auto c = db.connect();
    if (!partman_available(c)) {
        WARN("pg_partman is not installed on this server (Debian: postgresql-15-partman); skipping");
        return;
    }
    CHECK_THROWS_WITH(c.execute("SELECT pgmq.create_partitioned($1, $2)", std::string("events__queue"),
                                std::string("1 day")),
                      Catch::Contains("needs the pg_partman extension") && Catch::Contains("postgresql-15-partman"));
    c.execute_script("CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman");
    c.execute("SELECT pgmq.create_partitioned($1, $2)", std::string("events__queue"), std::string("1 day"));
    queue::client<Order> events(c, "events__queue");
    auto id = events.send({"sku-1", 1});
    auto got = events.read(30s, 5);
    REQUIRE(got.size() == 1);
    CHECK(got[0].msg_id == id);
    auto m = events.metrics();
    CHECK(m.default_partition_length == std::optional<std::int64_t>(0));
    CHECK(c.query_value<bool>("SELECT is_partitioned FROM pgmq.list_queues() WHERE queue_name = 'events__queue'"));
}

TEST_CASE("a msg_id-partitioned queue spans partitions, drops old ones by retention, and reports the default partition",
          "[queue][partman]") {
    queue_db db;
    auto c = db.connect();
    if (!partman_available(c)) {
        WARN("pg_partman is not installed on this server (Debian: postgresql-15-partman); skipping");
        return;
    }
    c.execute_script("CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman");
    c.execute("SELECT pgmq.create_partitioned($1, $2, $3)", std::string("parts"), std::string("10"),
              std::string("20"));
    queue::client<Order> q(c, "parts");
    std::vector<Order> batch(35, Order{"x", 1});
    auto ids = q.send_batch(batch);
    REQUIRE(ids.size() == 35);
    CHECK(c.query_value<std::int64_t>("SELECT count(DISTINCT tableoid) FROM pgmq.q_parts") == 4);  // 1-9, 10s, 20s, 30s

    // Messages across a partition boundary come back in msg_id order.
    auto got = q.read(30s, 15);
    REQUIRE(got.size() == 15);
    for (std::size_t i = 1; i < got.size(); ++i) CHECK(got[i - 1].msg_id < got[i].msg_id);

    // Retention 20: maintenance drops the partition wholly below max(msg_id) - 20.
    c.execute_script("CALL partman.run_maintenance_proc()");
    CHECK(c.query_value<std::int64_t>("SELECT min(msg_id) FROM pgmq.q_parts") == 10);
    CHECK(q.metrics().default_partition_length == std::optional<std::int64_t>(0));

    // Rows past the premade partitions land in the default partition: metrics shows the trap.
    c.execute_script("INSERT INTO pgmq.q_parts (msg_id, vt, message) VALUES (100000, now(), '{}')");
    CHECK(q.metrics().default_partition_length == std::optional<std::int64_t>(1));
    CHECK(q.drop());
}

// ------------------------------------------------------------------ delivery guarantees

TEST_CASE("a consumer whose connection dies after reading: the message reappears after vt with read_ct + 1",
          "[queue][delivery]") {
    queue_db db;
    auto admin = db.connect();
    queue::client<Order> producer(admin, "jobs");
    producer.create();
    auto id = producer.send({"sku-9", 9});

    auto doomed = db.connect();
    queue::client<Order> consumer(doomed, "jobs");
    auto got = consumer.read(1s, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].read_ct == 1);
    admin.execute("SELECT pg_terminate_backend($1)", doomed.backend_pid());
    CHECK_THROWS_AS(consumer.remove(id), connection_error);  // the ack never happens

    auto other = db.connect();
    queue::client<Order> survivor(other, "jobs");
    CHECK(survivor.read(30s, 1).empty());  // still inside its vt
    std::this_thread::sleep_for(1100ms);
    auto again = survivor.read(30s, 1);
    REQUIRE(again.size() == 1);
    CHECK(again[0].msg_id == id);
    CHECK(again[0].read_ct == 2);
    CHECK(again[0].message.sku == "sku-9");
    CHECK(survivor.remove(id));
}

TEST_CASE("4 concurrent consumers x 20,000 messages: each delivered exactly once", "[queue][delivery][concurrency]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> producer(c, "bulk");
    producer.create();
    constexpr int total = 20000;
    std::set<std::int64_t> sent;
    for (int start = 0; start < total; start += 1000) {
        std::vector<Order> chunk;
        for (int i = start; i < start + 1000; ++i) chunk.push_back({"sku", i});
        for (auto id : producer.send_batch(chunk)) sent.insert(id);
    }
    REQUIRE(sent.size() == total);

    // Catch2 v2 is not thread-safe: the consumers only record what they saw (each its own slot),
    // and the main thread checks it after joining them.
    struct consumer_record {
        std::vector<std::int64_t> seen;
        int read_again = 0;       // messages handed out with read_ct != 1
        int not_removed = 0;      // ids remove() did not report deleted
        std::string error;        // what a throwing call said
    };
    std::vector<consumer_record> records(4);
    std::atomic<int> delivered{0};
    std::atomic<bool> failed{false};
    {
        std::vector<std::jthread> consumers;
        for (std::size_t w = 0; w < records.size(); ++w)
            consumers.emplace_back([&, w] {
                auto& mine = records[w];
                try {
                    auto conn = db.connect();
                    queue::client<Order> q(conn, "bulk");
                    while (delivered.load() < total && !failed.load()) {
                        auto batch = q.read(60s, 50);  // vt far beyond the run: a second delivery would be a bug
                        if (batch.empty()) continue;
                        std::vector<std::int64_t> ids;
                        for (auto& m : batch) {
                            if (m.read_ct != 1) ++mine.read_again;
                            ids.push_back(m.msg_id);
                        }
                        mine.not_removed += static_cast<int>(ids.size() - q.remove(ids).size());
                        mine.seen.insert(mine.seen.end(), ids.begin(), ids.end());
                        delivered += static_cast<int>(ids.size());
                    }
                } catch (const std::exception& e) {
                    mine.error = e.what();
                    failed = true;  // the others stop too instead of waiting for messages that never come
                }
            });
    }
    std::vector<std::vector<std::int64_t>> seen;
    for (auto& r : records) {
        INFO("consumer error: " << r.error);
        CHECK(r.error.empty());
        CHECK(r.read_again == 0);
        CHECK(r.not_removed == 0);
        seen.push_back(r.seen);
    }
    std::vector<std::int64_t> all;
    for (auto& s : seen) all.insert(all.end(), s.begin(), s.end());
    CHECK(all.size() == total);
    CHECK(std::set<std::int64_t>(all.begin(), all.end()) == sent);
    for (auto& s : seen) CHECK(!s.empty());  // the work was shared
    CHECK(producer.metrics().queue_length == 0);
}

TEST_CASE("a message read max_read_ct times goes to the dead-letter queue in the read and is never handed out again",
          "[queue][dlq]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> q(c, "work");
    q.create();
    q.set_dead_letter(2);
    auto id = q.send({"bad", 1});
    CHECK(q.read(0s, 1).at(0).read_ct == 1);
    CHECK(q.read(0s, 1).at(0).read_ct == 2);
    CHECK(q.read(0s, 1).empty());  // third claim: moved instead
    CHECK(q.metrics().queue_length == 0);

    queue::client<Order> dlq(c, "work_dlq");
    auto dead = dlq.read(30s, 5);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].message.sku == "bad");
    CHECK(dead[0].headers.at("x-pgorm-dead-letter").at("msg_id").as_int64() == id);
    CHECK(dead[0].headers.at("x-pgorm-dead-letter").at("read_ct").as_int64() == 2);

    // A dead-letter queue in use cannot be dropped by accident.
    CHECK_THROWS_WITH(dlq.drop(), Catch::Contains("is the dead-letter queue of 'work'"));
    q.set_dead_letter(std::nullopt);
    CHECK(dlq.drop());
}

TEST_CASE("FIFO groups with 3 consumers: one message per group in flight, each group in enqueue order",
          "[queue][fifo][concurrency]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> producer(c, "fifo");
    producer.create();
    constexpr int groups = 4, per_group = 15;
    for (int i = 0; i < per_group; ++i)
        for (int g = 0; g < groups; ++g)
            producer.send({"g" + std::to_string(g), i}, {.headers = boost::json::object{{"x-pgmq-group", "g" + std::to_string(g)}}});

    std::mutex mutex;
    std::map<std::string, std::vector<std::int64_t>> order;
    std::set<std::string> in_flight;
    std::atomic<int> done{0}, overlaps{0};
    {
        std::vector<std::jthread> consumers;
        for (int w = 0; w < 3; ++w)
            consumers.emplace_back([&] {
                auto conn = db.connect();
                queue::client<Order> q(conn, "fifo");
                while (done.load() < groups * per_group) {
                    for (auto& m : q.read_grouped(30s, 2)) {
                        {
                            std::lock_guard lock(mutex);
                            if (!in_flight.insert(m.message.sku).second) ++overlaps;
                        }
                        std::this_thread::sleep_for(1ms);
                        {
                            std::lock_guard lock(mutex);
                            order[m.message.sku].push_back(m.message.quantity);
                            in_flight.erase(m.message.sku);
                        }
                        q.remove(m.msg_id);  // only now may the group's next message go out
                        ++done;
                    }
                }
            });
    }
    CHECK(overlaps == 0);
    REQUIRE(order.size() == groups);
    for (auto& [group, seq] : order) {
        INFO("group " << group);
        REQUIRE(seq.size() == per_group);
        CHECK(std::is_sorted(seq.begin(), seq.end()));
    }
}

TEST_CASE("delayed messages stay invisible until due, by seconds or by timestamp", "[queue][delay]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> q(c, "later");
    q.create();
    q.send({"soon", 1}, {.delay = 1s});
    q.send({"far", 2}, {.delay = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now() + 1h)});
    CHECK(q.read(30s, 5).empty());
    CHECK(q.pop(5).empty());
    CHECK(q.metrics().queue_visible_length == std::optional<std::int64_t>(0));
    std::this_thread::sleep_for(1100ms);
    auto got = q.read(30s, 5);
    REQUIRE(got.size() == 1);
    CHECK(got[0].message.sku == "soon");
}

TEST_CASE("a send in a rolled-back transaction is never delivered; a committed one is", "[queue][xact]") {
    queue_db db;
    auto c = db.connect();
    c.execute_script("CREATE TABLE orders (sku text PRIMARY KEY)");
    queue::client<Order>(c, "outbox").create();
    pool p(db.url());
    {
        auto tx = p.xact();
        tx.conn().execute("INSERT INTO orders VALUES ($1)", std::string("lost"));
        queue::client<Order>(tx, "outbox").send({"lost", 1});
    }  // rolled back
    CHECK_THROWS_AS(p.transact([](xact& tx) {
        queue::client<Order>(tx, "outbox").send({"thrown", 1});
        throw std::runtime_error("business rule failed");
    }),
                    std::runtime_error);
    p.transact([](xact& tx) {
        tx.conn().execute("INSERT INTO orders VALUES ($1)", std::string("kept"));
        queue::client<Order>(tx, "outbox").send({"kept", 1});
    });
    queue::client<Order> q(c, "outbox");
    auto got = q.read(30s, 10);
    REQUIRE(got.size() == 1);
    CHECK(got[0].message.sku == "kept");
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM orders") == 1);
}

// ------------------------------------------------------------------ the typed client

TEST_CASE("the client sends, reads, pops, archives, sets vt and reports metrics", "[queue][client]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> q(c, "shop");
    q.create();
    auto ids = q.send_batch({{"a", 1}, {"b", 2}, {"c", 3}}, {.headers = boost::json::object{{"trace", "t1"}}});
    REQUIRE(ids.size() == 3);

    auto first = q.read(30s, 1);
    REQUIRE(first.size() == 1);
    CHECK(first[0].msg_id == ids[0]);
    CHECK(first[0].message == Order{"a", 1});
    CHECK(first[0].headers.at("trace").as_string() == "t1");
    CHECK(first[0].last_read_at.has_value());

    auto only_c = q.read(30s, 5, jsonb_text(R"({"sku": "c"})"));
    REQUIRE(only_c.size() == 1);
    CHECK(only_c[0].msg_id == ids[2]);

    CHECK(q.set_vt(ids[0], 0s).has_value());  // nack: visible again at once
    CHECK_FALSE(q.set_vt(987654, 0s).has_value());
    auto popped = q.pop(5);
    REQUIRE(popped.size() == 2);  // a (visible again) and b; c is still hidden
    CHECK(popped[0].message.sku == "a");
    CHECK(popped[0].read_ct == 1);
    CHECK(q.archive(ids[2]));
    CHECK_FALSE(q.archive(ids[2]));
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM pgmq.a_shop") == 1);

    q.send_batch({{"d", 4}, {"e", 5}});
    auto m = q.metrics();
    CHECK(m.queue_name == "shop");
    CHECK(m.queue_length == 2);
    CHECK(m.total_messages == 5);
    CHECK(q.purge() == 2);
    CHECK(q.metrics().queue_length == 0);
    CHECK(c.execute("SELECT * FROM pgmq.metrics_all()").size() == 1);
}

TEST_CASE("send_batch takes any contiguous run of bodies; sends without headers store none", "[queue][client]") {
    order_queue_db db("runs");
    connection& c = db.c;
    auto& q = db.q;
    const std::vector<Order> orders{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
    auto middle = q.send_batch(std::span<const Order>(orders).subspan(1, 2));
    REQUIRE(middle.size() == 2);
    const Order fixed[] = {{"e", 5}};
    CHECK(q.send_batch(fixed).size() == 1);
    q.send({"f", 6});
    auto got = q.read(30s, 10);
    REQUIRE(got.size() == 4);
    CHECK(got[0].message == orders[1]);
    CHECK(got[1].message == orders[2]);
    CHECK(got[2].message == fixed[0]);
    CHECK(got[3].message == Order{"f", 6});
    for (const auto& m : got) CHECK(m.headers.is_null());
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM pgmq.q_runs WHERE headers IS NOT NULL") == 0);
}

TEST_CASE("headers nested deeper than Boost.JSON's default limit of 32 read back whole", "[queue][client]") {
    order_queue_db db("deep");
    for (int depth : {33, 100, 1000}) {
        boost::json::value nested = "leaf";
        for (int i = 0; i < depth; ++i) nested = boost::json::object{{"n", nested}};
        db.q.send({"x", depth}, {.headers = boost::json::object{{"trace", nested}}});
        auto got = db.q.read(30s, 1);
        REQUIRE(got.size() == 1);
        const boost::json::value* at = &got[0].headers.at("trace");
        int levels = 0;
        while (at->is_object()) {
            at = &at->as_object().at("n");
            ++levels;
        }
        CHECK(levels == depth);
        CHECK(*at == "leaf");
        db.q.remove(got[0].msg_id);
    }
}

TEST_CASE("read maps message_record by column name when a pgmq version lays it out differently", "[queue][client]") {
    order_queue_db db("layout");
    connection& c = db.c;
    auto& q = db.q;
    auto id = q.send({"a", 1}, {.headers = boost::json::object{{"k", "v"}}});
    // pgmq before 1.5 had no headers, and its read returned vt before last_read_at existed:
    // swap pgmq.read for one with that shape (other columns, other positions).
    c.execute_script(R"sql(
        CREATE TYPE pgmq.old_record AS (vt timestamptz, message jsonb, msg_id bigint, enqueued_at timestamptz, read_ct integer);
        DROP FUNCTION pgmq.read(text, integer, integer, jsonb);
        CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}')
        RETURNS SETOF pgmq.old_record LANGUAGE sql AS $$
            SELECT r.vt, r.message, r.msg_id, r.enqueued_at, r.read_ct
            FROM pgmq._claim(queue_name, pgmq._after(vt, 'vt'), qty, conditional, false) r
        $$;)sql");
    auto got = q.read(30s, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].msg_id == id);
    CHECK(got[0].read_ct == 1);
    CHECK(got[0].message == Order{"a", 1});
    CHECK_FALSE(got[0].last_read_at.has_value());
    CHECK(got[0].headers.is_null());
    CHECK(got[0].vt > got[0].enqueued_at);

    // A layout without a required column is refused by name.
    c.execute_script(R"sql(
        DROP FUNCTION pgmq.read(text, integer, integer, jsonb);
        CREATE FUNCTION pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb DEFAULT '{}')
        RETURNS TABLE (id bigint, body jsonb) LANGUAGE sql AS $$ SELECT 1::bigint, '{}'::jsonb $$;)sql");
    CHECK_THROWS_WITH(q.read(30s, 1), Catch::Contains("no column \"msg_id\""));
}

TEST_CASE("move and dead_letter carry messages to another queue in one statement", "[queue][client]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> a(c, "from_here"), b(c, "to_there");
    a.create();
    b.create();
    auto ids = a.send_batch({{"m", 1}, {"n", 2}});
    auto moved = a.move_to("to_there", ids);
    CHECK(moved.size() == 2);
    CHECK(a.metrics().queue_length == 0);
    auto got = b.read(30s, 5);
    REQUIRE(got.size() == 2);
    CHECK(got[0].read_ct == 1);  // fresh in its new queue

    auto dead = b.dead_letter({got[0].msg_id}, "bad data");
    CHECK(dead.size() == 1);
    queue::client<Order> dlq(c, "to_there_dlq");
    auto d = dlq.read(30s, 1);
    REQUIRE(d.size() == 1);
    CHECK(d[0].headers.at("x-pgorm-dead-letter").at("reason").as_string() == "bad data");
}

TEST_CASE("read_with_poll waits on the client side and wakes on the insert notification", "[queue][poll]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> q(c, "wake");
    q.create();
    q.enable_notify_insert(0ms);

    auto t0 = std::chrono::steady_clock::now();
    CHECK(q.read_with_poll(30s, 1, {.max_wait = 300ms, .poll_interval = 100ms}).empty());
    CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);

    std::jthread producer([&] {
        std::this_thread::sleep_for(300ms);
        auto pc = db.connect();
        queue::client<Order>(pc, "wake").send({"ping", 1});
    });
    // A poll interval far longer than the delay: only the notification can wake it in time.
    t0 = std::chrono::steady_clock::now();
    auto got = q.read_with_poll(30s, 1, {.max_wait = 10s, .poll_interval = 5s});
    auto waited = std::chrono::steady_clock::now() - t0;
    REQUIRE(got.size() == 1);
    CHECK(got[0].message.sku == "ping");
    CHECK(waited < 3s);
    // Nothing is left running on the reader's own connection while it waits.
    CHECK(c.transaction_status() == PQTRANS_IDLE);

    // pgmq's server-side polling read is there too.
    q.send({"pong", 2});
    auto server_side = c.execute("SELECT * FROM pgmq.read_with_poll($1, $2, $3, $4, $5)", std::string("wake"),
                                 std::int32_t(30), std::int32_t(1), std::int32_t(1), std::int32_t(50));
    CHECK(server_side.size() == 1);
    q.disable_notify_insert();
}

TEST_CASE("consume: handled messages are deleted, failures retried with backoff, poison dead-lettered",
          "[queue][consume][concurrency]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> q(c, "tasks");
    q.create();
    q.enable_notify_insert(0ms);
    std::vector<Order> work;
    for (int i = 0; i < 200; ++i) work.push_back({"ok", i});
    work.push_back({"poison", -1});
    work.push_back({"flaky", -2});
    q.send_batch(work);
    queue::client<jsonb_text>(c, "tasks").send(jsonb_text(R"({"not": "an order"})"));

    pool p(db.url());
    std::mutex mutex;
    std::multiset<std::int64_t> handled;
    std::atomic<int> flaky_attempts{0};
    queue::consume_options o;
    o.concurrency = 3;
    o.batch = 20;
    o.vt = 30s;
    o.poll_interval = 50ms;
    o.backoff = {.base = 1s, .factor = 2, .max = 10s, .jitter = 0};
    o.max_messages = 203;  // 200 + flaky after its retry + poison + the undecodable one
    auto stats = queue::consume<Order>(p, "tasks", [&](const queue::message<Order>& m) {
        if (m.message.sku == "poison") throw queue::poison_message("cannot ever work");
        if (m.message.sku == "flaky" && flaky_attempts++ == 0) throw std::runtime_error("try again");
        std::lock_guard lock(mutex);
        handled.insert(m.message.quantity);
    }, o);
    CHECK(stats.handled == 201);
    CHECK(stats.dead_lettered == 2);
    CHECK(stats.retried == 1);
    CHECK(flaky_attempts == 2);
    CHECK(handled.size() == 201);
    CHECK(std::set<std::int64_t>(handled.begin(), handled.end()).size() == 201);  // none twice
    CHECK(q.metrics().queue_length == 0);
    queue::client<jsonb_text> dlq(c, "tasks_dlq");
    auto dead = dlq.read(30s, 5);
    REQUIRE(dead.size() == 2);
    CHECK_THAT(dead[1].headers.at("x-pgorm-dead-letter").at("reason").as_string().c_str(),
               Catch::Contains("does not fit"));
}

TEST_CASE("consume stops on its stop token and reports a missing queue", "[queue][consume]") {
    queue_db db;
    pool p(db.url());
    std::stop_source stop;
    queue::consume_options o;
    o.stop = stop.get_token();
    o.poll_interval = 20ms;
    {
        auto c = p.acquire();
        queue::client<Order>(c, "idle").create();
    }
    std::jthread stopper([&] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    auto stats = queue::consume<Order>(p, "idle", [](const queue::message<Order>&) {}, o);
    CHECK(stats.handled == 0);
    CHECK_THROWS_AS(queue::consume<Order>(p, "nowhere", [](const queue::message<Order>&) {}, {}), undefined_table);
}

// ------------------------------------------------------------------ bad input

TEST_CASE("invalid queue names are refused with the rule, by the client and by the SQL", "[queue][errors]") {
    queue_db db;
    auto c = db.connect();
    for (std::string bad : {std::string(""), std::string("Orders"), std::string("has-dash"), std::string("a b"),
                            std::string("x;DROP SCHEMA pgmq"), std::string(48, 'a'), std::string("caf\xc3\xa9"),
                            std::string("q\nx"), std::string("x'--")}) {
        INFO("name: " << bad);
        CHECK_THROWS_WITH((queue::client<Order>(c, bad)), Catch::Contains("invalid queue name") &&
                                                              Catch::Contains("1 to 47 characters from a-z, 0-9 and _"));
        for (const char* sql : {"SELECT pgmq.create($1)", "SELECT pgmq.send($1, '{}'::jsonb)",
                                "SELECT * FROM pgmq.read($1, 30, 1)", "SELECT pgmq.drop_queue($1)",
                                "SELECT * FROM pgmq.metrics($1)", "SELECT pgmq.create_unlogged($1)"}) {
            INFO(sql);
            CHECK_THROWS_AS(c.execute(sql, bad), data_exception);
        }
    }
    CHECK(c.query_value<bool>("SELECT to_regnamespace('pgmq') IS NOT NULL"));
    CHECK_NOTHROW(queue::client<Order>(c, std::string(47, 'a')).create());
    CHECK_THROWS_WITH(c.execute("SELECT pgmq.create(NULL)"), Catch::Contains("invalid queue name NULL"));
    // A name that would land on another queue's index is refused rather than half-made.
    queue::client<Order>(c, "x").create();
    CHECK_THROWS_WITH(queue::client<Order>(c, "x_vt_idx").create(), Catch::Contains("collides"));
}

TEST_CASE("a missing queue is named in the error, for every call", "[queue][errors]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> q(c, "ghost");
    auto names_ghost = Catch::Contains("queue 'ghost' does not exist");
    CHECK_THROWS_WITH(q.send({"a", 1}), names_ghost);
    CHECK_THROWS_AS(q.send({"a", 1}), undefined_table);
    CHECK_THROWS_WITH(q.send_batch({{"a", 1}}), names_ghost);
    CHECK_THROWS_WITH(q.read(30s, 1), names_ghost);
    CHECK_THROWS_WITH(q.read_grouped(30s, 1), names_ghost);
    CHECK_THROWS_WITH(q.pop(), names_ghost);
    CHECK_THROWS_WITH(q.remove(1), names_ghost);
    CHECK_THROWS_WITH(q.archive(std::vector<std::int64_t>{1}), names_ghost);
    CHECK_THROWS_WITH(q.set_vt(1, 1s), names_ghost);
    CHECK_THROWS_WITH(q.metrics(), names_ghost);
    CHECK_THROWS_WITH(q.purge(), names_ghost);
    CHECK_THROWS_WITH(q.enable_notify_insert(), names_ghost);
    CHECK_THROWS_WITH(q.set_dead_letter(3), names_ghost);
    CHECK_FALSE(q.drop());
}

TEST_CASE("a T that does not fit the stored JSON: decode_error naming queue and msg_id, and the message stays",
          "[queue][errors]") {
    queue_db db;
    auto c = db.connect();
    queue::client<jsonb_text> raw(c, "mixed");
    raw.create();
    auto id = raw.send(jsonb_text(R"({"lines": [1, 2]})"));
    queue::client<Order> orders(c, "mixed");
    try {
        orders.read(0s, 1);
        FAIL("decoded a body that does not fit");
    } catch (const decode_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("message " + std::to_string(id) + " of queue 'mixed'") &&
                                 Catch::Contains("Order") && Catch::Contains("stays in the queue"));
    }
    CHECK_THROWS_AS(orders.pop(), decode_error);  // the pop is undone
    auto m = orders.metrics();
    CHECK(m.queue_length == 1);
    queue::client<Other> others(c, "mixed");
    auto got = others.read(30s, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].msg_id == id);
    CHECK(got[0].read_ct == 2);  // the failed read counted; a dead-letter setting would catch a poison message
    CHECK(got[0].message.lines == std::vector<std::int64_t>{1, 2});

    // Inside a transaction the undone pop is a savepoint: the transaction carries on.
    raw.set_vt(id, 0s);
    pool p(db.url());
    p.transact([](xact& tx) {
        queue::client<Order> in_tx(tx, "mixed");
        CHECK_THROWS_AS(in_tx.pop(), decode_error);
        CHECK(in_tx.metrics().queue_length == 1);
    });
}

TEST_CASE("bad arguments are refused with what was wrong", "[queue][errors]") {
    queue_db db;
    auto c = db.connect();
    queue::client<Order> q(c, "args");
    q.create();
    CHECK_THROWS_WITH(q.read(-1s, 1), Catch::Contains("vt must be between 0"));
    CHECK_THROWS_WITH(q.read(1s, 0), Catch::Contains("qty must be 1 or more"));
    CHECK_THROWS_WITH(q.send({"a", 1}, {.delay = -5s}), Catch::Contains("delay must be between 0"));
    CHECK_THROWS_WITH(q.send({"a", 1}, {.headers = boost::json::array{1}}), Catch::Contains("headers must be a JSON object"));
    CHECK_THROWS_WITH(q.send_batch({}), Catch::Contains("at least one message"));
    CHECK_THROWS_WITH(q.set_dead_letter(0), Catch::Contains("max_read_ct must be 1 or more"));
    CHECK_THROWS_WITH(q.set_dead_letter(1, "args"), Catch::Contains("its own dead-letter queue"));
    CHECK_THROWS_WITH(q.enable_notify_insert(-1ms), Catch::Contains("throttle"));

    // The same rules in the SQL, for callers that bypass the client.
    auto rejects = [&](const char* sql, const char* says) {
        INFO(sql);
        CHECK_THROWS_WITH(c.execute_script(sql), Catch::Contains(says));
    };
    rejects("SELECT * FROM pgmq.read('args', -1, 1)", "vt must be 0 or more seconds");
    rejects("SELECT * FROM pgmq.read('args', 30, -1)", "qty must be 0 or more");
    rejects("SELECT * FROM pgmq.read('args', NULL::integer, 1)", "vt must be 0 or more seconds, got NULL");
    rejects("SELECT pgmq.send('args', '{}'::jsonb, -3)", "delay must be 0 or more seconds");
    rejects("SELECT pgmq.send('args', '{}'::jsonb, NULL::timestamptz)", "delay must not be NULL");
    rejects("SELECT pgmq.send_batch('args', ARRAY[]::jsonb[])", "at least one message");
    rejects("SELECT pgmq.send_batch('args', ARRAY['{}']::jsonb[], ARRAY['{}', '{}']::jsonb[])", "1 messages but 2 headers");
    rejects("SELECT pgmq.send('args', '{}'::jsonb, '[1]'::jsonb)", "headers must be JSON objects");
    rejects("SELECT * FROM pgmq.pop('args', -2)", "qty must be 0 or more");
    rejects("SELECT pgmq.enable_notify_insert('args', -1)", "throttle_interval_ms must be 0 or more");
    rejects("SELECT pgmq.set_dead_letter('args', 0)", "max_read_ct must be 1 or more");
    rejects("SELECT * FROM pgmq.move('args', ARRAY[1::bigint], 'args')", "two different queues");
    rejects("SELECT * FROM pgmq.read_with_poll('args', 30, 1, -1)", "max_poll_seconds >= 0");
    rejects("SELECT pgmq.set_dead_letter('args', 1, 'Bad')", "not a valid queue name");
    CHECK(q.read(30s, 1).empty());
    CHECK(c.execute("SELECT * FROM pgmq.read('args', 30, 0)").empty());  // pgmq: qty 0 reads nothing
}
