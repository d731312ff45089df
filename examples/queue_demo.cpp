// pgorm queue demo: install the PGMQ-compatible schema, send orders in the same transaction as
// a business row (a transactional outbox), and drain them with three consumer threads that
// retry a flaky handler with backoff and dead-letter a poison message.
//
// Runs on $DATABASE_URL when set (in a scratch database it creates and drops there), else on an
// embedded throwaway PostgreSQL 15 that it starts and removes.

#include <pgorm.hpp>
#include <pgorm/queue.hpp>
#include <pgorm/testing.hpp>

#include <atomic>
#include <iostream>

struct Order {
    std::string sku;
    std::int64_t quantity = 0;
};
BOOST_DESCRIBE_STRUCT(Order, (), (sku, quantity))

int main() try {
    using namespace std::chrono_literals;
    pgorm::testing::cluster server;
    pgorm::testing::scratch_database database(server);
    pgorm::pool db(database.url());

    {
        auto c = db.acquire();
        auto installed = pgorm::queue::install(c);
        std::cout << "queue schema version " << installed.version << '\n';
        c.conn().execute_script("CREATE TABLE orders (id bigserial PRIMARY KEY, sku text NOT NULL)");
        pgorm::queue::client<Order> orders(c, "orders");
        orders.create();
        orders.set_dead_letter(3);      // a message read 3 times goes to orders_dlq
        orders.enable_notify_insert();  // consumers wake on insert instead of waiting a poll interval
    }

    // Producer: the order row and its message commit together, or neither does.
    for (int i = 0; i < 50; ++i)
        db.transact([&](pgorm::xact& tx) {
            std::string sku = i == 7 ? "poison" : i == 9 ? "flaky" : "sku-" + std::to_string(i);
            tx.conn().execute("INSERT INTO orders (sku) VALUES ($1)", sku);
            pgorm::queue::client<Order>(tx, "orders").send({sku, i});
        });

    std::atomic<int> flaky_tries{0};
    pgorm::queue::consume_options o;
    o.concurrency = 3;
    o.batch = 10;
    o.backoff = {.base = 1s, .factor = 2, .max = 30s, .jitter = 0.1};
    o.max_messages = 50;  // stop once every order was handled or dead-lettered
    auto stats = pgorm::queue::consume<Order>(db, "orders", [&](const pgorm::queue::message<Order>& m) {
        if (m.message.sku == "poison") throw pgorm::queue::poison_message("unknown SKU");
        if (m.message.sku == "flaky" && flaky_tries++ == 0) throw std::runtime_error("warehouse busy");
    }, o);
    std::cout << "handled " << stats.handled << ", retried " << stats.retried << ", dead-lettered "
              << stats.dead_lettered << '\n';

    auto c = db.acquire();
    auto dlq = pgorm::queue::client<Order>(c, "orders_dlq").metrics();
    std::cout << "orders_dlq holds " << dlq.queue_length << " message(s)\n";
    return stats.handled == 49 && dlq.queue_length == 1 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "queue_demo failed: " << e.what() << '\n';
    return 1;
}
