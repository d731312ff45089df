// Seed 004's billing flow: payment webhooks arrive concurrently, some of them more than once.
// Each one, in one transaction, locks the user row, records the transaction idempotently (the
// unique stripe_session_extid makes a redelivery a no-op) and adds the credits. At the end the
// balances equal the sum of the distinct payments: no duplicate counted, no update lost.
//
// Runs on $DATABASE_URL when set (in a scratch database it creates and drops), else on an
// embedded throwaway PostgreSQL 15 that it starts and removes.

#include "models.hpp"

#include <pgorm.hpp>
#include <pgorm/testing.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace {

struct webhook {
    std::string session_id;  // Stripe checkout session: the idempotency key
    std::string user_id;
    std::int64_t amount_paid_cents;
    std::int64_t credits;
};

std::mutex out_mutex;
template <class... A>
void say(const A&... parts) {
    std::lock_guard lock(out_mutex);
    ((std::cout << parts), ...) << '\n';
}

/// One webhook delivery: all or nothing, and a second delivery of the same session changes nothing.
void handle(pgorm::pool& db, const webhook& w, int worker) {
    db.transact([&](pgorm::xact& q) {
        pgorm::repository<app::User> users{q};
        pgorm::repository<app::Transaction> txns{q};

        // SELECT ... FOR UPDATE: concurrent webhooks for this user queue up here.
        app::User user = users.get_or_throw(w.user_id, pgorm::for_update);

        app::Transaction t;
        t.organization_id = user.organization_id;
        t.user_id = user.user_id;
        t.stripe_session_extid = w.session_id;
        t.amount_paid_cents = w.amount_paid_cents;
        t.credits_added = w.credits;
        auto recorded = txns.upsert(t, pgorm::on_conflict(&app::Transaction::stripe_session_extid).do_nothing());
        if (!recorded.inserted) {
            say("worker ", worker, ": ", w.session_id, " already processed, ignored");
            return;
        }
        user.credits_balance += w.credits;  // safe: we hold the row lock until commit
        app::User stored = users.update(user);
        say("worker ", worker, ": ", w.session_id, " +", w.credits, " credits for ", stored.email, " -> balance ",
            stored.credits_balance, " (", recorded.row->transaction_id, ")");
    });
}

}  // namespace

int main() try {
    pgorm::testing::cluster server;
    auto schema = pgorm::testing::database_template::from_sql_file(server, PGORM_SOURCE_DIR "/schema.sql");
    pgorm::testing::scratch_database scratch(schema);

    pgorm::pool_options opts;
    opts.max_size = 4;
    pgorm::pool db{scratch.url(), opts};

    // An organization with two customers.
    std::vector<app::User> customers;
    db.transact([&](pgorm::xact& q) {
        app::Organization org;
        org.name = "Acme Inc";
        org = pgorm::repository<app::Organization>{q}.insert(org);
        pgorm::repository<app::User> users{q};
        for (const char* email : {"ada@acme.test", "grace@acme.test"}) {
            app::User u;
            u.organization_id = org.id;
            u.email = email;
            customers.push_back(users.insert(u));
        }
        say("organization ", org.id, " with users ", customers[0].user_id, " and ", customers[1].user_id);
    });

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
    say(deliveries.size(), " deliveries of 12 payments, handled by 4 workers at once");

    std::vector<std::thread> workers;
    for (int k = 0; k < 4; ++k)
        workers.emplace_back([&, k] {
            for (std::size_t i = static_cast<std::size_t>(k); i < deliveries.size(); i += 4) handle(db, deliveries[i], k);
        });
    for (auto& t : workers) t.join();

    // Check: one transaction per session, balances equal to the distinct payments.
    bool ok = true;
    db.transact([&](pgorm::xact& q) {
        pgorm::repository<app::User> users{q};
        pgorm::repository<app::Transaction> txns{q};
        std::int64_t recorded = txns.count();
        say("transactions recorded: ", recorded, " (expected 12)");
        ok = ok && recorded == 12;
        for (const auto& c : customers) {
            app::User u = users.get_or_throw(c.user_id);
            say(u.email, ": balance ", u.credits_balance, " (expected ", expected[u.user_id], ")");
            ok = ok && u.credits_balance == expected[u.user_id];
        }
    });
    say(ok ? "no duplicate counted, no update lost" : "MISMATCH");
    return ok ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "billing: " << e.what() << '\n';
    return 1;
}
