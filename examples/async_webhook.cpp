// Seed 004's payment webhook handler on coroutines: every delivery is a coroutine on ONE
// io_context thread, over an async pool of 4 connections. Each one, in one transaction, locks
// the user row (SELECT ... FOR UPDATE), records the payment idempotently (INSERT ... ON CONFLICT
// (stripe_session_extid) DO NOTHING: a redelivery is a no-op) and adds the credits. At the end
// the balances equal the sum of the distinct payments: no duplicate counted, no update lost.
//
// The same flow with threads and the repository is examples/billing.cpp. Runs on an embedded
// throwaway PostgreSQL 15 that it starts and removes.

#include "models.hpp"

#include <pgorm.hpp>
#include <pgorm/async.hpp>
#include <pgorm/testing.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <vector>

namespace {

namespace asio = boost::asio;

struct webhook {
    std::string session_id;  // Stripe checkout session: the idempotency key
    std::string user_id;
    std::int64_t amount_paid_cents;
    std::int64_t credits;
};

/// One webhook delivery: all or nothing, and a second delivery of the same session changes nothing.
pgorm::awaitable<void> handle(pgorm::async_pool& db, const webhook& w) {
    co_await db.transact([&](pgorm::async_xact& q) -> pgorm::awaitable<void> {
        // Concurrent deliveries for this user queue up on the row lock.
        auto org = co_await q.query_one<std::string>("SELECT organization_id FROM users WHERE user_id = $1 FOR UPDATE",
                                                     w.user_id);
        if (!org) throw pgorm::not_found("no user " + w.user_id);
        auto recorded = co_await q.query_one<std::string>(
            "INSERT INTO transactions (organization_id, user_id, stripe_session_extid, amount_paid_cents, credits_added) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stripe_session_extid) DO NOTHING RETURNING transaction_id",
            *org, w.user_id, w.session_id, w.amount_paid_cents, w.credits);
        if (!recorded) {
            std::cout << w.session_id << " already processed, ignored\n";
            co_return;
        }
        auto balance = co_await q.query_value<std::int64_t>(
            "UPDATE users SET credits_balance = credits_balance + $1 WHERE user_id = $2 RETURNING credits_balance",
            w.credits, w.user_id);
        std::cout << w.session_id << " +" << w.credits << " credits for " << w.user_id << " -> balance " << balance
                  << " (" << *recorded << ")\n";
    });
}

}  // namespace

int main() try {
    pgorm::testing::cluster server;
    auto schema = pgorm::testing::database_template::from_sql_file(server, PGORM_SOURCE_DIR "/schema.sql");
    pgorm::testing::scratch_database scratch(schema);

    // Set-up with the synchronous API: an organization with two customers.
    std::vector<app::User> customers;
    {
        pgorm::connection setup(scratch.url());
        pgorm::xact q(setup);
        app::Organization org;
        org.name = "Acme Inc";
        org = pgorm::repository<app::Organization>{q}.insert(org);
        for (const char* email : {"ada@acme.test", "grace@acme.test"}) {
            app::User u;
            u.organization_id = org.id;
            u.email = email;
            customers.push_back(pgorm::repository<app::User>{q}.insert(u));
        }
        q.commit();
    }

    // Twelve payments; Stripe delivers some of them two or three times.
    std::vector<webhook> deliveries;
    std::map<std::string, std::int64_t> expected;  // user_id -> credits from distinct sessions
    for (int i = 0; i < 12; ++i) {
        const auto& u = customers[static_cast<std::size_t>(i % 2)];
        webhook w{"cs_live_" + std::to_string(1000 + i), u.user_id, 500 + 100 * i, 50 + 10 * i};
        expected[u.user_id] += w.credits;
        for (int copy = 0; copy <= i % 3; ++copy) deliveries.push_back(w);
    }
    std::shuffle(deliveries.begin(), deliveries.end(), std::mt19937{20250101});
    std::cout << deliveries.size() << " deliveries of 12 payments, all at once on one thread\n";

    asio::io_context io;
    pgorm::async_pool_options opts;
    opts.size = 4;
    pgorm::async_pool db{io.get_executor(), scratch.url(), opts};
    int failures = 0;
    for (const webhook& w : deliveries)
        asio::co_spawn(io, handle(db, w), [&](std::exception_ptr e) {
            if (!e) return;
            ++failures;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                std::cerr << "delivery failed: " << x.what() << '\n';
            }
        });
    io.run();

    // Check: one transaction per session, balances equal to the distinct payments.
    pgorm::connection check(scratch.url());
    bool ok = failures == 0;
    auto recorded = check.query_value<std::int64_t>("SELECT count(*) FROM transactions");
    std::cout << "transactions recorded: " << recorded << " (expected 12)\n";
    ok = ok && recorded == 12;
    for (const auto& c : customers) {
        auto balance = check.query_value<std::int64_t>("SELECT credits_balance FROM users WHERE user_id = $1", c.user_id);
        std::cout << c.email << ": balance " << balance << " (expected " << expected[c.user_id] << ")\n";
        ok = ok && balance == expected[c.user_id];
    }
    std::cout << (ok ? "no duplicate counted, no update lost" : "MISMATCH") << '\n';
    return ok ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "async_webhook: " << e.what() << '\n';
    return 1;
}
