// pgorm event store demo: install schema pgorm_events, publish deposits inside the transaction
// that writes the business row, work them off with two consumers that hold per-account scope
// locks (LOCK_BACKEND, default postgres), and keep a balance projection up to date with a
// catch-up subscription over an account stream, then rebuild it from position 0.
//
// Runs on an embedded throwaway PostgreSQL 15 that it starts and removes.

#include <pgorm.hpp>
#include <pgorm/events.hpp>
#include <pgorm/testing.hpp>

#include <atomic>
#include <iostream>

struct Deposit {
    std::string account;
    std::int64_t amount = 0;
};
BOOST_DESCRIBE_STRUCT(Deposit, (), (account, amount))

int main() try {
    using namespace std::chrono_literals;
    namespace ev = pgorm::events;
    pgorm::testing::cluster server;
    pgorm::testing::scratch_database database(server);
    pgorm::pool db(database.url());
    ev::event_store store({.retry = {.max_retries = 2, .base = 50ms, .factor = 2.0, .max = 1s, .jitter = 0.1}});
    {
        auto c = db.acquire();
        std::cout << "event store schema version " << ev::install(c).version << '\n';
        c.conn().execute_script("CREATE TABLE ledger (id bigserial PRIMARY KEY, account text NOT NULL, amount bigint NOT NULL);"
                      "CREATE TABLE balances (account text PRIMARY KEY, total bigint NOT NULL)");
    }

    // Work queue: the ledger row and its event commit together (NOTIFY is heard only then).
    for (int i = 0; i < 40; ++i)
        db.transact([&](pgorm::xact& tx) {
            std::string account = "acct-" + std::to_string(i % 4);
            tx.conn().execute("INSERT INTO ledger (account, amount) VALUES ($1, $2)", account, std::int64_t(i));
            ev::event<Deposit> e{.type = "deposit", .source = "demo", .payload = {account, i}};
            e.meta["scope"] = account;  // one account's deposits are handled one at a time, in order
            store.publish(tx, e);
        });

    auto locks = ev::make_lock_backend(pgorm::config::parse(database.url()), store.options().channel);
    std::atomic<int> tries{0};
    ev::subscribe_options o;
    o.concurrency = 2;
    o.locks = locks.get();
    o.max_events = 40;
    o.poll_interval = 100ms;
    auto stats = ev::subscribe<Deposit>(db, store, [&](const ev::event<Deposit>& e) {
        if (e.payload.amount == 13 && tries++ == 0) throw std::runtime_error("bank offline");  // retried
    }, o);
    std::cout << locks->kind() << " locks: acked " << stats.acked << ", retried " << stats.retried << '\n';

    // Event sourcing: an account stream with optimistic concurrency and a catch-up projection.
    auto c = db.acquire();
    auto v = ev::append(c, store, "account-7", std::vector<ev::event<Deposit>>{{.type = "deposit", .source = "demo",
                                                                                .payload = {"acct-7", 100}}},
                        ev::no_stream);
    try {
        ev::append(c, store, "account-7", std::vector<ev::event<Deposit>>{{.type = "deposit", .source = "demo",
                                                                          .payload = {"acct-7", 5}}},
                   ev::no_stream);
    } catch (const ev::wrong_expected_version& e) {
        std::cout << e.what() << '\n';
    }
    auto project = [](pgorm::xact& tx, const ev::event<Deposit>& e) {
        tx.conn().execute("INSERT INTO balances VALUES ($1, $2) ON CONFLICT (account) DO UPDATE "
                          "SET total = balances.total + excluded.total",
                          e.payload.account, e.payload.amount);
    };
    ev::catch_up_options co;
    co.stop_when_caught_up = true;
    std::cout << "projected " << ev::catch_up<Deposit>(db, store, "balances", project, co) << " events, stream at "
              << v.version << '\n';
    db.transact([](pgorm::xact& tx) {  // rebuild from position 0
        tx.conn().execute_script("TRUNCATE balances");
        ev::reset_checkpoint(tx, "balances");
    });
    std::cout << "rebuilt from " << ev::catch_up<Deposit>(db, store, "balances", project, co) << " events\n";
    auto total = c.conn().query_value<std::int64_t>("SELECT sum(total)::bigint FROM balances");
    std::cout << "balances total " << total << '\n';
    return stats.acked == 40 && total == 880 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "events_demo: " << e.what() << '\n';
    return 1;
}
