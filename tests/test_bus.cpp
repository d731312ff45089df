// The command bus (seed 001): install, atomic send and its errors, the worker with retries and the
// troubleshooting queue, operator actions, replies, batches, audit trails, a worker killed
// mid-command, and concurrent workers completing every command once.
#include "support.hpp"

#include <boost/uuid/uuid_io.hpp>

#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace pgorm;
using namespace std::chrono_literals;
using pgorm_test::empty_db;

namespace {

struct Payment {
    std::string account;
    std::int64_t amount_cents = 0;
};
BOOST_DESCRIBE_STRUCT(Payment, (), (account, amount_cents))

struct Receipt {
    std::string receipt_no;
};
BOOST_DESCRIBE_STRUCT(Receipt, (), (receipt_no))

/// A fresh database with the bus installed and domain "payments" created.
struct bus_db : empty_db {
    bus_db() {
        auto c = connect();
        bus::install(c);
        bus::create_domain(c, "payments");
    }
};

/// A bus database with a connection, a pool, a bus and an empty handler registry on it.
struct bus_env {
    bus_db db;
    connection c = db.connect();
    pool p{db.url()};
    bus::command_bus b;
    bus::handler_registry reg;
};

/// Fast settings for tests: wake up quickly, retry at once.
bus::worker_options fast(int concurrency = 1) {
    bus::worker_options o;
    o.concurrency = concurrency;
    o.poll_interval = 50ms;
    o.retry.backoff_schedule = {0s};
    return o;
}

/// Waits (up to `limit`) until `done()` holds.
template <class F>
bool eventually(F done, std::chrono::seconds limit = 20s) {
    for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(20ms))
        if (done()) return true;
    return done();
}

bus::command_status status_of(connection& c, const boost::uuids::uuid& id) {
    return bus::get_command(c, "payments", id).value().status;
}

std::vector<bus::audit_event_type> trail_types(connection& c, const boost::uuids::uuid& id) {
    std::vector<bus::audit_event_type> out;
    for (auto& e : bus::audit_trail(c, id, "payments")) out.push_back(e.event_type);
    return out;
}

std::int64_t count(connection& c, const std::string& sql) { return c.query_value<std::int64_t>(sql); }

using E = bus::audit_event_type;

}  // namespace

// ------------------------------------------------------------------ install

TEST_CASE("bus install is idempotent, versioned, safe from many connections, and schema_sql runs again",
          "[bus][install]") {
    empty_db db;
    std::vector<bus::install_result::outcome> outcomes(3);
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < outcomes.size(); ++i)
            threads.emplace_back([&, i] {
                auto c = db.connect();
                outcomes[i] = bus::install(c).what;
            });
    }
    CHECK(std::count(outcomes.begin(), outcomes.end(), bus::install_result::outcome::installed) == 1);
    CHECK(std::count(outcomes.begin(), outcomes.end(), bus::install_result::outcome::already_current) == 2);

    auto c = db.connect();
    c.execute_script("UPDATE commandbus.pgorm_schema_version SET version = 0");
    CHECK(bus::install(c).what == bus::install_result::outcome::upgraded);
    c.execute_script(bus::schema_sql());
    CHECK(count(c, "SELECT count(*) FROM commandbus.pgorm_schema_version") == 1);
    CHECK(c.query_value<std::int32_t>("SELECT version FROM commandbus.pgorm_schema_version") == bus::schema_version);
}

TEST_CASE("the audit table is append-only", "[bus][audit]") {
    bus_db db;
    auto c = db.connect();
    bus::command_bus b;
    auto id = bus::new_id();
    b.send(c, "payments", "Debit", id, Payment{"acc-1", 100});
    CHECK_THROWS_WITH(c.execute_script("UPDATE commandbus.audit SET event_type = 'COMPLETED'"),
                      Catch::Contains("append-only"));
    CHECK_THROWS_WITH(c.execute_script("DELETE FROM commandbus.audit"), Catch::Contains("append-only"));
    CHECK_THROWS_WITH(c.execute_script("TRUNCATE commandbus.audit"), Catch::Contains("append-only"));
    CHECK(trail_types(c, id) == std::vector<E>{E::SENT});
}

// ------------------------------------------------------------------ sending

TEST_CASE("atomic send: metadata, message and audit commit or roll back with the business transaction",
          "[bus][send]") {
    bus_db db;
    auto c = db.connect();
    c.execute_script("CREATE TABLE ledger (id int PRIMARY KEY, amount bigint)");
    bus::command_bus b;

    auto kept = bus::new_id(), undone = bus::new_id();
    {
        xact tx(c);
        tx.conn().execute("INSERT INTO ledger VALUES (1, 100)");
        bus::command_options o;
        o.max_attempts = 5;
        o.reply_to = bus::replies_queue("payments");
        o.correlation_id = bus::new_id();
        auto msg = b.send(tx, "payments", "Debit", kept, Payment{"acc-1", 100}, o);
        CHECK(msg > 0);
        tx.commit();
    }
    {
        xact tx(c);
        tx.conn().execute("INSERT INTO ledger VALUES (2, 200)");
        b.send(tx, "payments", "Debit", undone, Payment{"acc-2", 200});
    }  // rolled back

    auto m = bus::get_command(c, "payments", kept).value();
    CHECK(m.status == bus::command_status::PENDING);
    CHECK(m.max_attempts == 5);
    CHECK(m.attempts == 0);
    CHECK(m.reply_to == std::optional<std::string>("payments__replies"));
    CHECK(m.msg_id.has_value());
    CHECK(trail_types(c, kept) == std::vector<E>{E::SENT});

    CHECK_FALSE(bus::get_command(c, "payments", undone).has_value());
    CHECK(bus::audit_trail(c, undone).empty());
    CHECK(count(c, "SELECT count(*) FROM pgmq.q_payments__commands") == 1);
    CHECK(count(c, "SELECT count(*) FROM ledger") == 1);
}

TEST_CASE("a duplicate command_id in a domain is duplicate_command; other domains may reuse it", "[bus][send]") {
    bus_db db;
    auto c = db.connect();
    bus::create_domain(c, "shipping");
    bus::command_bus b;
    auto id = bus::new_id();
    b.send(c, "payments", "Debit", id, Payment{"a", 1});
    CHECK_THROWS_AS(b.send(c, "payments", "Refund", id, Payment{"a", 1}), bus::duplicate_command);
    CHECK_THROWS_WITH(b.send(c, "payments", "Debit", id, Payment{"a", 1}), Catch::Contains("duplicate command_id"));
    CHECK_NOTHROW(b.send(c, "shipping", "Ship", id, Payment{"a", 1}));

    // In a batch: the duplicate (with an earlier command, or inside the batch) sends nothing.
    auto fresh = bus::new_id();
    std::vector<bus::outgoing_command<Payment>> batch{{"Debit", fresh, {"b", 2}, {}}, {"Debit", id, {"c", 3}, {}}};
    CHECK_THROWS_AS(b.send_batch(c, "payments", batch), bus::duplicate_command);
    std::vector<bus::outgoing_command<Payment>> twice{{"Debit", fresh, {"b", 2}, {}}, {"Debit", fresh, {"c", 3}, {}}};
    CHECK_THROWS_AS(b.send_batch(c, "payments", twice), bus::duplicate_command);
    CHECK_FALSE(bus::get_command(c, "payments", fresh).has_value());
    CHECK(count(c, "SELECT count(*) FROM pgmq.q_payments__commands") == 1);
}

TEST_CASE("bad input to send is refused with a clear error", "[bus][send][errors]") {
    bus_db db;
    auto c = db.connect();
    bus::command_bus b;
    Payment p{"a", 1};
    for (const std::string& bad : std::vector<std::string>{"", "Payments", "pay-ments", "pay ments", "x;drop", std::string(38, 'a')})
        CHECK_THROWS_WITH(b.send(c, bad, "Debit", bus::new_id(), p), Catch::Contains("invalid command bus domain"));
    CHECK_THROWS_WITH(bus::create_domain(c, "Bad-Domain"), Catch::Contains("invalid command bus domain"));
    CHECK_THROWS_WITH(b.send(c, "nosuchdomain", "Debit", bus::new_id(), p), Catch::Contains("no command bus domain"));
    try {  // the domain's own send function is missing: reported as the by-name functions report it
        b.send(c, "nosuchdomain", "Debit", bus::new_id(), p);
        FAIL("a send to a domain that was never created went through");
    } catch (const sql_error& e) {
        CHECK(e.sqlstate() == "42704");
    }
    {  // a worker on such a domain keeps running and says why it gets nothing
        pool pl(db.url());
        bus::handler_registry none;
        bus::worker w(pl, "nosuchdomain", none, fast());
        w.start();
        CHECK(eventually([&] { return !w.last_error().empty(); }));
        w.stop();
        CHECK_THAT(w.last_error(), Catch::Contains("no command bus domain \"nosuchdomain\""));
    }
    CHECK_THROWS_WITH(b.send(c, "payments", "", bus::new_id(), p), Catch::Contains("command type must not be empty"));
    bus::command_options o;
    o.max_attempts = 0;
    CHECK_THROWS_WITH(b.send(c, "payments", "Debit", bus::new_id(), p, o), Catch::Contains("max_attempts"));
    o = {};
    o.reply_to = "No-Such Queue";
    CHECK_THROWS_WITH(b.send(c, "payments", "Debit", bus::new_id(), p, o), Catch::Contains("invalid queue name"));
    o = {};
    o.delay = -1s;
    CHECK_THROWS_WITH(b.send(c, "payments", "Debit", bus::new_id(), p, o), Catch::Contains("delay"));
    CHECK_THROWS_WITH(b.send_batch(c, "payments", std::vector<bus::outgoing_command<Payment>>{}),
                      Catch::Contains("at least one command"));
    // The longest legal domain works end to end (its queues are 47 characters).
    std::string longest(37, 'z');
    bus::create_domain(c, longest);
    CHECK(b.send(c, longest, "Debit", bus::new_id(), p) > 0);
}

// ------------------------------------------------------------------ worker

TEST_CASE("a worker completes commands with their result, audit, reply and correlation", "[bus][worker]") {
    bus_env env;
    auto& [db, c, p, b, reg] = env;
    std::atomic<int> seen_attempt{0};
    std::atomic<bool> seen_type{false};
    reg.on<Payment>("payments", "Debit", [&](const Payment& pay, bus::handler_context& ctx) {
        seen_attempt = ctx.attempt;  // (Catch2 assertions are not thread-safe: check on the test thread)
        seen_type = ctx.command_type == "Debit" && ctx.domain() == "payments";
        ctx.extend_visibility(60s);
        return Receipt{"R-" + pay.account};
    });
    reg.on<boost::json::value>("payments", "Ping", [](const boost::json::value&, bus::handler_context&) {});

    auto id = bus::new_id(), ping = bus::new_id(), corr = bus::new_id();
    bus::command_options o;
    o.reply_to = bus::replies_queue("payments");
    o.correlation_id = corr;
    b.send(c, "payments", "Debit", id, Payment{"acc-9", 900}, o);
    b.send(c, "payments", "Ping", ping, boost::json::value(boost::json::object{{"x", 1}}), o);

    bus::worker w(p, "payments", reg, fast());
    w.start();
    REQUIRE(eventually([&] { return status_of(c, id) == bus::command_status::COMPLETED &&
                                    status_of(c, ping) == bus::command_status::COMPLETED; }));
    w.stop();
    CHECK(seen_attempt == 1);
    CHECK(seen_type);
    CHECK(w.stats().completed == 2);

    auto m = bus::get_command(c, "payments", id).value();
    CHECK(m.attempts == 1);
    REQUIRE(m.result.has_value());
    CHECK(jsonb<Receipt>::parse(m.result->text)->receipt_no == "R-acc-9");
    CHECK(trail_types(c, id) == std::vector<E>{E::SENT, E::RECEIVED, E::COMPLETED});
    CHECK(count(c, "SELECT count(*) FROM pgmq.q_payments__commands") == 0);

    bus::reply_reader<Receipt> replies(c, bus::replies_queue("payments"));
    auto got = replies.read(30s, 10);
    REQUIRE(got.size() == 2);
    std::map<boost::uuids::uuid, bus::reply<Receipt>> by_id;
    for (auto& r : got) by_id[r.command_id] = r;
    CHECK(by_id.at(id).outcome == bus::reply_outcome::SUCCESS);
    CHECK(by_id.at(id).correlation_id == std::optional(corr));
    CHECK(by_id.at(id).result.value().receipt_no == "R-acc-9");
    CHECK_FALSE(by_id.at(ping).result.has_value());  // a void handler replies with no result
    for (auto& r : got) CHECK(replies.ack(r.msg_id));
    CHECK(replies.read().empty());

    auto metrics = bus::metrics(c, "payments");
    CHECK(metrics.by_status.at(bus::command_status::COMPLETED) == 2);
    CHECK(metrics.commands.queue_length == 0);
    CHECK(bus::find_by_status(c, "payments", bus::command_status::COMPLETED, 10).size() == 2);
}

TEST_CASE("transient failures are retried until max_attempts, then the command lands in the troubleshooting queue",
          "[bus][worker][retry]") {
    bus_env env;
    auto& [db, c, p, b, reg] = env;
    std::atomic<int> calls{0};
    reg.on<Payment>("payments", "Flaky", [&](const Payment&, bus::handler_context& ctx) -> Receipt {
        ++calls;
        if (ctx.attempt < 2) throw bus::transient_command_error("TIMEOUT", "the bank timed out");
        return Receipt{"ok"};
    });
    reg.on<Payment>("payments", "Broken", [&](const Payment&, bus::handler_context&) -> Receipt {
        throw std::runtime_error("always broken");
    });
    reg.on<Payment>("payments", "Refused", [&](const Payment&, bus::handler_context&) -> Receipt {
        throw bus::permanent_command_error("CARD_DECLINED", "the card was declined");
    });
    bus::command_options o;
    o.max_attempts = 3;
    o.reply_to = bus::replies_queue("payments");
    auto flaky = bus::new_id(), broken = bus::new_id(), refused = bus::new_id(), unknown = bus::new_id(),
         garbage = bus::new_id();
    b.send(c, "payments", "Flaky", flaky, Payment{"a", 1}, o);
    b.send(c, "payments", "Broken", broken, Payment{"a", 1}, o);
    b.send(c, "payments", "Refused", refused, Payment{"a", 1}, o);
    b.send(c, "payments", "NoSuchType", unknown, Payment{"a", 1}, o);
    b.send(c, "payments", "Refused", garbage, boost::json::value(boost::json::object{{"account", 42}}), o);

    bus::worker w(p, "payments", reg, fast());
    w.start();
    REQUIRE(eventually([&] {
        return status_of(c, flaky) == bus::command_status::COMPLETED &&
               bus::list_troubleshooting(c, "payments").size() == 4;
    }));
    w.stop();

    CHECK(trail_types(c, flaky) ==
          std::vector<E>{E::SENT, E::RECEIVED, E::FAILED, E::RETRY_SCHEDULED, E::RECEIVED, E::COMPLETED});
    CHECK(trail_types(c, broken) == std::vector<E>{E::SENT, E::RECEIVED, E::FAILED, E::RETRY_SCHEDULED, E::RECEIVED,
                                                   E::FAILED, E::RETRY_SCHEDULED, E::RECEIVED, E::FAILED,
                                                   E::MOVED_TO_TSQ});
    CHECK(trail_types(c, refused) == std::vector<E>{E::SENT, E::RECEIVED, E::FAILED, E::MOVED_TO_TSQ});
    auto b_meta = bus::get_command(c, "payments", broken).value();
    CHECK(b_meta.attempts == 3);
    CHECK(b_meta.last_error_code == std::optional<std::string>("UNHANDLED_EXCEPTION"));
    CHECK(b_meta.last_error_msg == std::optional<std::string>("always broken"));
    CHECK(bus::get_command(c, "payments", refused)->last_error_code == std::optional<std::string>("CARD_DECLINED"));
    CHECK(bus::get_command(c, "payments", unknown)->last_error_code ==
          std::optional<std::string>("UNKNOWN_COMMAND_TYPE"));
    auto bad = bus::get_command(c, "payments", garbage).value();
    CHECK(bad.last_error_code == std::optional<std::string>("INVALID_PAYLOAD"));
    CHECK_THAT(bad.last_error_msg.value(), Catch::Contains("does not fit") && Catch::Contains("account"));
    // Troubleshooting messages are archived, not left in the queue.
    CHECK(count(c, "SELECT count(*) FROM pgmq.q_payments__commands") == 0);
    CHECK(count(c, "SELECT count(*) FROM pgmq.a_payments__commands") == 4);

    // Each troubleshooting move replied FAILED with the code.
    bus::reply_reader<Receipt> replies(c, bus::replies_queue("payments"));
    int failed = 0;
    for (auto& r : replies.read(30s, 20))
        if (r.outcome == bus::reply_outcome::FAILED) {
            ++failed;
            CHECK(r.raw_result.as_object().contains("code"));
        }
    CHECK(failed == 4);

    // Paging through the troubleshooting queue.
    auto first = bus::list_troubleshooting(c, "payments", 3, 0), rest = bus::list_troubleshooting(c, "payments", 3, 3);
    CHECK(first.size() == 3);
    CHECK(rest.size() == 1);
}

TEST_CASE("the retry policy's backoff hides a failed command; its schedule repeats the last delay", "[bus][retry]") {
    bus::retry_policy r;
    CHECK(r.delay_after(1) == 10s);
    CHECK(r.delay_after(2) == 60s);
    CHECK(r.delay_after(3) == 300s);
    CHECK(r.delay_after(9) == 300s);

    bus_env env;
    auto& [db, c, p, b, reg] = env;
    reg.on<Payment>("payments", "Slow", [](const Payment&, bus::handler_context&) {
        throw bus::transient_command_error("BUSY", "try later");
    });
    auto id = bus::new_id();
    b.send(c, "payments", "Slow", id, Payment{"a", 1});
    auto o = fast();
    o.retry.backoff_schedule = {3600s};
    bus::worker w(p, "payments", reg, o);
    w.start();
    REQUIRE(eventually([&] { return status_of(c, id) == bus::command_status::FAILED; }));
    std::this_thread::sleep_for(300ms);
    w.stop();
    auto m = bus::get_command(c, "payments", id).value();
    CHECK(m.attempts == 1);  // hidden for an hour: not claimed again
    CHECK(c.query_value<bool>("SELECT vt > now() + interval '50 minutes' FROM pgmq.q_payments__commands"));
    auto trail = bus::audit_trail(c, id);
    REQUIRE(trail.size() == 4);
    CHECK_THAT(trail[3].details->text, Catch::Contains("3600"));
}

// ------------------------------------------------------------------ operator actions

TEST_CASE("operator retry, cancel and complete on the troubleshooting queue, each audited with who and why",
          "[bus][tsq]") {
    bus_env env;
    auto& [db, c, p, b, reg] = env;
    std::atomic<bool> healthy{false};
    reg.on<Payment>("payments", "Debit", [&](const Payment& pay, bus::handler_context&) -> Receipt {
        if (!healthy) throw bus::permanent_command_error("DOWN", "the bank is down");
        return Receipt{"R-" + pay.account};
    });
    bus::command_options o;
    o.reply_to = bus::replies_queue("payments");
    auto retry = bus::new_id(), cancel = bus::new_id(), complete = bus::new_id(), fine = bus::new_id();
    for (auto id : {retry, cancel, complete}) b.send(c, "payments", "Debit", id, Payment{"acc", 1}, o);

    {
        bus::worker w(p, "payments", reg, fast());
        w.start();
        REQUIRE(eventually([&] { return bus::list_troubleshooting(c, "payments").size() == 3; }));
    }
    // Operator actions only apply to the troubleshooting queue.
    b.send(c, "payments", "Debit", fine, Payment{"acc", 1}, o);
    CHECK_THROWS_AS(bus::operator_retry(c, "payments", fine, "alice", "why not"), bus::command_not_in_troubleshooting);
    CHECK_THROWS_WITH(bus::operator_cancel(c, "payments", fine, "alice", "x"), Catch::Contains("is PENDING"));
    CHECK_THROWS_AS(bus::operator_cancel(c, "payments", bus::new_id(), "alice", "x"), not_found);

    healthy = true;
    bus::operator_retry(c, "payments", retry, "alice", "bank is back");
    bus::operator_cancel(c, "payments", cancel, "bob", "customer withdrew");
    bus::operator_complete(c, "payments", complete, Receipt{"manual-1"}, "carol", "paid by phone");
    CHECK(status_of(c, retry) == bus::command_status::PENDING);
    CHECK(bus::get_command(c, "payments", retry)->attempts == 0);
    CHECK(status_of(c, cancel) == bus::command_status::CANCELED);
    CHECK(status_of(c, complete) == bus::command_status::COMPLETED);
    {
        bus::worker w(p, "payments", reg, fast());
        w.start();
        REQUIRE(eventually([&] { return status_of(c, retry) == bus::command_status::COMPLETED; }));
    }
    CHECK(trail_types(c, retry) == std::vector<E>{E::SENT, E::RECEIVED, E::FAILED, E::MOVED_TO_TSQ, E::OPERATOR_RETRY,
                                                  E::RECEIVED, E::COMPLETED});
    auto cancel_trail = bus::audit_trail(c, cancel);
    CHECK(cancel_trail.back().event_type == E::OPERATOR_CANCEL);
    CHECK_THAT(cancel_trail.back().details->text, Catch::Contains("bob") && Catch::Contains("customer withdrew"));
    CHECK(trail_types(c, complete).back() == E::OPERATOR_COMPLETE);

    // Replies: FAILED for each move to the troubleshooting queue, then one per operator outcome.
    std::map<boost::uuids::uuid, std::vector<bus::reply_outcome>> outcomes;
    bus::reply_reader<Receipt> replies(c, bus::replies_queue("payments"));
    for (auto& r : replies.read(30s, 20)) {
        outcomes[r.command_id].push_back(r.outcome);
        if (r.command_id == complete && r.outcome == bus::reply_outcome::SUCCESS)
            CHECK(r.result.value().receipt_no == "manual-1");
    }
    using O = bus::reply_outcome;
    CHECK(outcomes[retry] == std::vector<O>{O::FAILED, O::SUCCESS});
    CHECK(outcomes[cancel] == std::vector<O>{O::FAILED, O::CANCELED});
    CHECK(outcomes[complete] == std::vector<O>{O::FAILED, O::SUCCESS});
}

// ------------------------------------------------------------------ batches

TEST_CASE("batches: counts and status in flight and after, the callback, and the durable record", "[bus][batch]") {
    bus_env env;
    auto& [db, c, p, b, reg] = env;
    std::atomic<bool> open_gate{false};
    reg.on<Payment>("payments", "Debit", [&](const Payment& pay, bus::handler_context&) {
        while (!open_gate) std::this_thread::sleep_for(5ms);
        if (pay.amount_cents < 0) throw bus::permanent_command_error("NEGATIVE", "negative amount");
    });
    std::vector<bus::outgoing_command<Payment>> cmds;
    for (int i = 0; i < 5; ++i) cmds.push_back({"Debit", bus::new_id(), Payment{"a", i == 4 ? -1 : i}, {}});
    std::mutex m;
    std::vector<bus::batch_info> called;
    auto id = b.create_batch(c, "payments", cmds, "nightly", [&](const bus::batch_info& info) {
        std::lock_guard lock(m);
        called.push_back(info);
    });
    auto before = bus::get_batch(c, "payments", id).value();
    CHECK(before.status == bus::batch_status::PENDING);
    CHECK(before.total_count == 5);
    CHECK(before.name == std::optional<std::string>("nightly"));

    auto o = fast();
    o.batch_size = 1;
    o.on_batch_complete = b.batch_listener();
    bus::worker w(p, "payments", reg, o);
    w.start();
    REQUIRE(eventually([&] { return bus::get_batch(c, "payments", id)->status == bus::batch_status::IN_PROGRESS; }));
    CHECK(bus::get_batch(c, "payments", id)->completed_count == 0);
    open_gate = true;
    REQUIRE(eventually([&] { return bus::get_batch(c, "payments", id)->finished(); }));
    REQUIRE(eventually([&] {
        std::lock_guard lock(m);
        return called.size() == 1;
    }));
    w.stop();
    auto after = bus::get_batch(c, "payments", id).value();
    CHECK(after.status == bus::batch_status::COMPLETED_WITH_FAILURES);
    CHECK(after.completed_count == 4);
    CHECK(after.in_troubleshooting_count == 1);
    CHECK(after.completed_at.has_value());
    CHECK(called.front().batch_id == id);
    CHECK(called.front().status == bus::batch_status::COMPLETED_WITH_FAILURES);

    // The operator completes the failed one: the batch stays finished and counts it as completed.
    bus::operator_complete(c, "payments", cmds[4].command_id, boost::json::value(nullptr), "ops", "fixed by hand");
    auto fixed = bus::get_batch(c, "payments", id).value();
    CHECK(fixed.status == bus::batch_status::COMPLETED);
    CHECK(fixed.completed_count == 5);
    CHECK(fixed.in_troubleshooting_count == 0);

    // A batch whose commands all succeed is COMPLETED; an unknown batch is empty.
    CHECK_FALSE(bus::get_batch(c, "payments", bus::new_id()).has_value());
}

// ------------------------------------------------------------------ crashes and concurrency

TEST_CASE("a worker killed mid-handler: the command is redelivered after the visibility timeout and completed once",
          "[bus][worker][crash]") {
    bus_db db;
    auto c = db.connect();
    bus::command_bus b;
    auto id = bus::new_id();
    b.send(c, "payments", "Debit", id, Payment{"a", 1});

    int ready[2];
    REQUIRE(pipe(ready) == 0);
    const std::string url = db.url();
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // the doomed worker process: claims, signals, then hangs in the handler
        pool p(url);
        bus::handler_registry reg;
        reg.on<Payment>("payments", "Debit", [&](const Payment&, bus::handler_context&) {
            char x = 1;
            if (write(ready[1], &x, 1) != 1) _exit(2);
            for (;;) pause();
        });
        auto o = fast();
        o.visibility_timeout = 1s;
        bus::worker w(p, "payments", reg, o);
        w.start();
        for (;;) pause();
    }
    char x = 0;
    REQUIRE(read(ready[0], &x, 1) == 1);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    close(ready[0]);
    close(ready[1]);
    CHECK(status_of(c, id) == bus::command_status::IN_PROGRESS);

    pool p(db.url());
    bus::handler_registry reg;
    std::atomic<int> runs{0}, attempt{0};
    reg.on<Payment>("payments", "Debit", [&](const Payment&, bus::handler_context& ctx) {
        ++runs;
        attempt = ctx.attempt;
    });
    bus::worker w(p, "payments", reg, fast());
    w.start();
    REQUIRE(eventually([&] { return status_of(c, id) == bus::command_status::COMPLETED; }));
    std::this_thread::sleep_for(200ms);
    w.stop();
    CHECK(runs == 1);
    CHECK(attempt == 2);
    CHECK(trail_types(c, id) == std::vector<E>{E::SENT, E::RECEIVED, E::RECEIVED, E::COMPLETED});
}

TEST_CASE("a worker whose visibility timeout ran out cannot complete a command another worker claimed again",
          "[bus][worker][crash]") {
    bus_db db;
    auto c = db.connect();
    bus::command_bus b;
    auto id = bus::new_id();
    b.send(c, "payments", "Debit", id, Payment{"a", 1});
    // Worker A's claim (attempt 1), then its vt runs out and worker B claims attempt 2.
    auto first = c.query<std::tuple<std::int64_t, std::optional<boost::uuids::uuid>>>(
        "SELECT msg_id, command_id FROM commandbus.claim('payments', 0, 1)");
    REQUIRE(first.size() == 1);
    auto second = c.query<std::tuple<std::int64_t, std::optional<std::int32_t>>>(
        "SELECT msg_id, attempt FROM commandbus.claim('payments', 30, 1)");
    REQUIRE(second.size() == 1);
    CHECK(std::get<1>(second[0]) == std::optional<std::int32_t>(2));
    // A settles late: nothing changes.
    auto settle = [&](std::int32_t attempt) {
        c.execute("SELECT * FROM commandbus.settle('payments', $1, $2, $3, '{}', '{}', '{}', '{}', '{}', '{}')",
                  std::vector<boost::uuids::uuid>{id}, std::vector<std::int32_t>{attempt},
                  std::vector<std::optional<jsonb_text>>{jsonb_text("{\"by\":" + std::to_string(attempt) + "}")});
    };
    settle(1);
    CHECK(status_of(c, id) == bus::command_status::IN_PROGRESS);
    settle(2);
    CHECK(status_of(c, id) == bus::command_status::COMPLETED);
    settle(2);
    CHECK(count(c, "SELECT count(*) FROM commandbus.audit WHERE event_type = 'COMPLETED'") == 1);
    CHECK(bus::get_command(c, "payments", id)->result->text == "{\"by\": 2}");
}

TEST_CASE("concurrent workers with random failures: every command ends once, counts match, trails are legal",
          "[bus][worker][concurrency]") {
    bus_db db;
    auto c = db.connect();
    pool p(db.url(), [] {
        pool_options o;
        o.max_size = 8;
        return o;
    }());
    bus::command_bus b;
    // The size: 4 workers x 10,000 commands (about 11,600 attempts with the retries).
    constexpr int n = 10000, max_attempts = 3;
    // The fate of each command is fixed by the seed: 2% permanent, 10% transient on every attempt.
    std::mt19937 rng(20240613);
    std::uniform_int_distribution<int> pct(0, 99);
    std::vector<bus::outgoing_command<Payment>> cmds;
    std::map<boost::uuids::uuid, int> fate;  // 0 ok, 1 permanent, 2 transient forever, 3 transient once
    for (int i = 0; i < n; ++i) {
        int roll = pct(rng);
        int f = roll < 2 ? 1 : roll < 7 ? 2 : roll < 12 ? 3 : 0;
        auto id = bus::new_id();
        fate[id] = f;
        bus::command_options o;
        o.max_attempts = max_attempts;
        cmds.push_back({"Work", id, Payment{"a", f}, o});
    }
    std::mutex m;
    std::map<boost::uuids::uuid, int> runs;
    bus::handler_registry reg;
    reg.on<Payment>("payments", "Work", [&](const Payment& pay, bus::handler_context& ctx) {
        {
            std::lock_guard lock(m);
            ++runs[ctx.command_id];
        }
        if (pay.amount_cents == 1) throw bus::permanent_command_error("PERM", "permanent");
        if (pay.amount_cents == 2) throw bus::transient_command_error("TRANS", "transient");
        if (pay.amount_cents == 3 && ctx.attempt == 1) throw std::runtime_error("once");
    });
    auto o = fast(4);
    o.batch_size = 16;
    bus::worker w(p, "payments", reg, o);
    w.start();
    for (std::size_t i = 0; i < cmds.size(); i += 250)  // sent while the workers run
        b.send_batch(c, "payments",
                     std::vector<bus::outgoing_command<Payment>>(cmds.begin() + i, cmds.begin() + std::min(cmds.size(), i + 250)));
    REQUIRE(eventually(
        [&] {
            return count(c, "SELECT count(*) FROM commandbus.command WHERE status IN ('COMPLETED', 'IN_TROUBLESHOOTING')") ==
                   n;
        },
        50s));
    w.stop();

    std::size_t want_tsq = 0;
    for (auto& [id, f] : fate) want_tsq += (f == 1 || f == 2);
    CHECK(bus::metrics(c, "payments").by_status[bus::command_status::IN_TROUBLESHOOTING] ==
          static_cast<std::int64_t>(want_tsq));
    CHECK(bus::metrics(c, "payments").by_status[bus::command_status::COMPLETED] ==
          static_cast<std::int64_t>(n - want_tsq));
    CHECK(count(c, "SELECT count(*) FROM (SELECT command_id FROM commandbus.audit WHERE event_type = 'COMPLETED' "
                   "GROUP BY command_id HAVING count(*) > 1) x") == 0);
    CHECK(count(c, "SELECT count(*) FROM pgmq.q_payments__commands") == 0);

    // Every trail is a legal sequence for the command's fate, and each handler ran as often.
    std::map<boost::uuids::uuid, std::vector<E>> trails;
    for (auto& e : c.query<bus::audit_event>(
             "SELECT audit_id, domain, command_id, event_type, details, ts FROM commandbus.audit ORDER BY audit_id"))
        trails[e.command_id].push_back(e.event_type);
    const std::vector<E> ok{E::SENT, E::RECEIVED, E::COMPLETED},
        perm{E::SENT, E::RECEIVED, E::FAILED, E::MOVED_TO_TSQ},
        once{E::SENT, E::RECEIVED, E::FAILED, E::RETRY_SCHEDULED, E::RECEIVED, E::COMPLETED},
        forever{E::SENT, E::RECEIVED, E::FAILED, E::RETRY_SCHEDULED, E::RECEIVED, E::FAILED, E::RETRY_SCHEDULED,
                E::RECEIVED, E::FAILED, E::MOVED_TO_TSQ};
    const std::vector<E>* expected[] = {&ok, &perm, &forever, &once};
    const int expected_runs[] = {1, 1, max_attempts, 2};
    int bad_trails = 0, bad_runs = 0;
    for (auto& [id, f] : fate) {
        bad_trails += trails[id] != *expected[f];
        bad_runs += runs[id] != expected_runs[f];
    }
    CHECK(bad_trails == 0);
    CHECK(bad_runs == 0);
}
