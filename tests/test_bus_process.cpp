// The command bus's process manager (issue 13 item 7): a two-step order process whose steps
// send commands with correlation_id = process_id to the process reply queue. Happy path, a step
// in the troubleshooting queue pausing the process until an operator completes it, a canceled
// step compensating the completed ones, duplicate replies ignored, and bad definitions refused.
#include "support.hpp"

#include <thread>

using namespace pgorm;
using namespace std::chrono_literals;
using pgorm_test::empty_db;

namespace {

struct Order {
    std::string item;
    std::int64_t amount_cents = 0;
    std::string reservation;  // filled by the reserve step's reply
    std::string payment;      // filled by the charge step's reply
};
BOOST_DESCRIBE_STRUCT(Order, (), (item, amount_cents, reservation, payment))

struct Ref {
    std::string ref;
};
BOOST_DESCRIBE_STRUCT(Ref, (), (ref))

struct Item {
    std::string item;
    std::int64_t amount_cents = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (), (item, amount_cents))

std::vector<bus::process_step<Order>> order_steps() {
    bus::process_step<Order> reserve{
        "reserve", [](const Order& o) { return bus::make_step_command("Reserve", Item{o.item, o.amount_cents}); },
        [](Order& o, const boost::json::value& r) { o.reservation = std::string(r.at("ref").as_string()); },
        [](const Order& o) { return bus::make_step_command("Release", Ref{o.reservation}); }};
    bus::process_step<Order> charge{
        "charge", [](const Order& o) { return bus::make_step_command("Charge", Item{o.item, o.amount_cents}); },
        [](Order& o, const boost::json::value& r) { o.payment = std::string(r.at("ref").as_string()); }, {}};
    return {reserve, charge};
}

/// Bus installed, domain "shop", the process reply queue, and a worker whose handlers refuse a
/// charge above 1000 cents permanently; `released` counts compensations.
struct shop {
    empty_db db;
    connection c = db.connect();
    pool p{db.url()};
    bus::process_manager<Order> orders{"shop", "order", order_steps()};
    bus::handler_registry reg;
    std::atomic<int> released{0};
    std::optional<bus::worker> w;

    shop() {
        bus::install(c);
        bus::create_domain(c, "shop");
        orders.install(c);
        reg.on<Item>("shop", "Reserve", [](const Item& i, bus::handler_context&) { return Ref{"R-" + i.item}; });
        reg.on<Item>("shop", "Charge", [](const Item& i, bus::handler_context&) {
            if (i.amount_cents > 1000) throw bus::permanent_command_error("LIMIT", "over the card limit");
            return Ref{"P-" + std::to_string(i.amount_cents)};
        });
        reg.on<Ref>("shop", "Release", [this](const Ref& r, bus::handler_context&) {
            ++released;
            return Ref{"released " + r.ref};
        });
        bus::worker_options o;
        o.poll_interval = 50ms;
        w.emplace(p, "shop", reg, o);
        w->start();
    }

    /// Routes replies until the process reaches `want` (up to 20 s).
    bool reaches(const boost::uuids::uuid& id, bus::process_status want) {
        for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;) {
            orders.route(c);
            if (orders.get(c, id).value().status == want) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
};

std::int64_t count(connection& c, const std::string& sql) { return c.query_value<std::int64_t>(sql); }

}  // namespace

TEST_CASE("process manager happy path: each reply advances the process and folds its result into the state",
          "[bus][process]") {
    shop s;
    const auto id = bus::new_id();
    s.orders.start(s.c, id, Order{"book", 500, "", ""});
    auto started = s.orders.get(s.c, id).value();
    CHECK(started.status == bus::process_status::RUNNING);
    CHECK(started.step == 0);

    REQUIRE(s.reaches(id, bus::process_status::COMPLETED));
    auto done = s.orders.get(s.c, id).value();
    CHECK(done.step == 2);
    CHECK(done.state.reservation == "R-book");
    CHECK(done.state.payment == "P-500");
    // Both commands carried the process id as correlation id and the process reply queue.
    CHECK(count(s.c, "SELECT count(*) FROM commandbus.command WHERE correlation_id = '" + boost::uuids::to_string(id) +
                         "' AND reply_to = 'order__process' AND status = 'COMPLETED'") == 2);
    CHECK(count(s.c, "SELECT count(*) FROM pgmq.q_order__process") == 0);  // every reply acknowledged
    CHECK(s.released == 0);
}

TEST_CASE("process manager: a step in the troubleshooting queue pauses the process until an operator acts",
          "[bus][process][tsq]") {
    shop s;
    const auto id = bus::new_id();
    s.orders.start(s.c, id, Order{"car", 5000, "", ""});
    REQUIRE(s.reaches(id, bus::process_status::PAUSED));
    auto paused = s.orders.get(s.c, id).value();
    CHECK(paused.step == 1);
    CHECK(paused.state.reservation == "R-car");
    REQUIRE(paused.last_error);
    CHECK(paused.last_error->find("LIMIT") != std::string::npos);

    auto tsq = bus::list_troubleshooting(s.c, "shop");
    REQUIRE(tsq.size() == 1);
    CHECK(tsq.front().correlation_id == id);
    bus::operator_complete(s.c, "shop", tsq.front().command_id, Ref{"P-manual"}, "alice", "paid by transfer");
    REQUIRE(s.reaches(id, bus::process_status::COMPLETED));
    CHECK(s.orders.get(s.c, id).value().state.payment == "P-manual");
    CHECK(s.released == 0);
}

TEST_CASE("process manager: a canceled step compensates the completed ones, last first", "[bus][process][compensation]") {
    shop s;
    const auto id = bus::new_id();
    s.orders.start(s.c, id, Order{"boat", 9000, "", ""});
    REQUIRE(s.reaches(id, bus::process_status::PAUSED));
    auto tsq = bus::list_troubleshooting(s.c, "shop");
    REQUIRE(tsq.size() == 1);
    bus::operator_cancel(s.c, "shop", tsq.front().command_id, "bob", "customer gave up");
    REQUIRE(s.reaches(id, bus::process_status::COMPENSATED));
    CHECK(s.released == 1);
    CHECK(count(s.c, "SELECT count(*) FROM commandbus.command WHERE command_type = 'Release' AND status = 'COMPLETED'") ==
          1);
}

TEST_CASE("process manager: a duplicate reply is ignored; bad definitions and ids are refused", "[bus][process][errors]") {
    shop s;
    const auto id = bus::new_id();
    s.orders.start(s.c, id, Order{"pen", 100, "", ""});
    REQUIRE(s.reaches(id, bus::process_status::COMPLETED));
    // Replay the first step's reply: the process waits for no such command, so nothing moves.
    const auto first = s.c.query_value<boost::uuids::uuid>(
        "SELECT command_id FROM commandbus.command WHERE command_type = 'Reserve' AND correlation_id = $1", id);
    s.c.execute("SELECT pgmq.send('order__process', jsonb_build_object('command_id', $1::uuid, 'correlation_id', $2::uuid, "
                "'outcome', 'SUCCESS', 'result', jsonb_build_object('ref', 'X')))",
                first, id);
    CHECK(s.orders.route(s.c) == 1);
    auto after = s.orders.get(s.c, id).value();
    CHECK(after.status == bus::process_status::COMPLETED);
    CHECK(after.state.reservation == "R-pen");

    CHECK_THROWS_AS(s.orders.start(s.c, id, Order{"pen", 100, "", ""}), unique_violation);
    CHECK_FALSE(s.orders.get(s.c, bus::new_id()).has_value());
    CHECK_THROWS_AS(bus::process_manager<Order>("shop", "Bad-Type", order_steps()), usage_error);
    CHECK_THROWS_AS(bus::process_manager<Order>("shop", "order", {}), usage_error);
    CHECK_THROWS_AS(bus::process_manager<Order>("shop", "order", {bus::process_step<Order>{"no send", {}, {}, {}}}),
                    usage_error);
}
