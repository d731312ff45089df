// pgorm demo, end to end: migrations, a pool, transaction scopes, repositories with typed filters
// and row locks, idempotent writes, a tenant (row-level security) scope, COPY, LISTEN/NOTIFY.
//
// Runs on $DATABASE_URL when set (in a scratch database it creates and drops there), else on an
// embedded throwaway PostgreSQL 15 that it starts and removes.

#include "models.hpp"

#include <pgorm.hpp>
#include <pgorm/core/listener.hpp>
#include <pgorm/migrate.hpp>
#include <pgorm/testing.hpp>

#include <iostream>

using app::Organization;
using app::Transaction;
using app::User;
using pgorm::col;

int main() try {
    // 1. A server and a fresh database migrated to the newest version.
    pgorm::testing::cluster server;
    std::cout << (server.external() ? std::string("using the server at $DATABASE_URL")
                                    : "started an embedded PostgreSQL 15 on 127.0.0.1:" + std::to_string(server.port()))
              << '\n';
    auto migrated = pgorm::testing::migrations_template(server, PGORM_SOURCE_DIR "/migrations");
    pgorm::testing::scratch_database database(migrated);
    {
        pgorm::connection c(database.url());
        std::cout << "database " << database.name() << " migrated to version "
                  << pgorm::migrate::migrator(c, {PGORM_SOURCE_DIR "/migrations"}).current().value_or("none") << '\n';
    }

    // 2. A pool; customer (tenant) scopes check out from a sub-pool on a non-owner login.
    pgorm::pool_options opts;
    opts.max_size = 4;
    opts.tenant = pgorm::tenant_login{};
    pgorm::pool db(database.url(), opts);

    // 3. Inserts through repositories: server defaults (ids, timestamps) come back by RETURNING.
    auto [acme, globex, ada] = db.transact([&](pgorm::xact& q) {
        pgorm::repository<Organization> orgs{q};
        pgorm::repository<User> users{q};
        Organization a, g;
        a.name = "Acme Inc";
        g.name = "Globex";
        a = orgs.insert(a);
        g = orgs.insert(g);
        User u;
        u.organization_id = a.id;
        u.email = "ada@acme.test";
        u.first_name = "Ada";
        u.preferences = app::Preferences{.company = "Acme Inc", .marketing_consent = true};
        User stored = users.insert(u);
        for (auto [org, email] : {std::pair{&a, "bob@acme.test"}, std::pair{&g, "gil@globex.test"}}) {
            User other;
            other.organization_id = org->id;
            other.email = email;
            users.insert(other);
        }
        return std::tuple{a, g, stored};
    });
    std::cout << "inserted " << acme.id << " (" << acme.name << "), " << globex.id << " (" << globex.name
              << ") and user " << ada.user_id << " created at "
              << pgorm::iso_string(ada.created_at) << '\n';

    // 4. A typed filter on a JSONB path (seed 004: users whose company is "Acme Inc").
    db.transact([&](pgorm::xact& q) {
        pgorm::repository<User> users{q};
        for (const User& u : users.find(col(&User::preferences).path({"company"}) == "Acme Inc",
                                        pgorm::order_by(&User::email)))
            std::cout << "  preferences.company = Acme Inc: " << u.email << '\n';
        std::cout << "  users without a first name: " << users.count(col(&User::first_name).is_null()) << '\n';
    });

    // 5. Seed 004's billing write: lock the user, record the payment idempotently, add credits.
    auto purchase = [&](const std::string& session) {
        return db.transact([&](pgorm::xact& q) {
            pgorm::repository<User> users{q};
            pgorm::repository<Transaction> txns{q};
            User u = users.get_or_throw(ada.user_id, pgorm::for_update);  // SELECT ... FOR UPDATE
            Transaction t;
            t.organization_id = u.organization_id;
            t.user_id = u.user_id;
            t.stripe_session_extid = session;
            t.amount_paid_cents = 999;
            t.credits_added = 100;
            if (!txns.upsert(t, pgorm::on_conflict(&Transaction::stripe_session_extid).do_nothing()).inserted)
                return false;  // a redelivered webhook: already processed
            u.credits_balance += t.credits_added;
            users.update(u);
            pgorm::notify(q, "billing", u.user_id);  // delivered only if this commits
            return true;
        });
    };
    pgorm::listener billing(database.url());
    billing.listen("billing");
    std::cout << "webhook cs_1: " << (purchase("cs_1") ? "credited" : "ignored") << '\n';
    std::cout << "webhook cs_1 again: " << (purchase("cs_1") ? "credited" : "ignored") << '\n';
    if (auto n = billing.wait(std::chrono::seconds(5)))
        std::cout << "LISTEN billing got a notification for " << n->payload << '\n';

    // 6. A tenant scope: row-level security shows Globex only its own users.
    db.transact_tenant("usr_system", globex.id, [&](pgorm::xact& q) {
        pgorm::repository<User> users{q};
        std::cout << "as a Globex customer: " << users.count() << " user(s) visible, ada visible: "
                  << (users.get(ada.user_id) ? "yes" : "no") << '\n';
    });

    // 7. Bulk insert through binary COPY, then a keyset page.
    db.transact([&](pgorm::xact& q) {
        std::vector<User> many(5000);
        for (std::size_t i = 0; i < many.size(); ++i) {
            many[i].organization_id = acme.id;
            many[i].email = "user" + std::to_string(i) + "@acme.test";
        }
        pgorm::repository<User> users{q};
        std::cout << "insert_many stored " << users.insert_many(many) << " users\n";
        auto page = users.find(col(&User::organization_id) == acme.id,
                               pgorm::order_by(&User::email).after(std::string("user4990@acme.test")).limit(3));
        for (const User& u : page) std::cout << "  next page: " << u.email << '\n';
    });

    User final_ada = db.transact([&](pgorm::xact& q) { return pgorm::repository<User>{q}.get_or_throw(ada.user_id); });
    std::cout << "ada's balance: " << final_ada.credits_balance << " credits\n";
    auto s = db.stats();
    std::cout << "pool: " << s.created << " connection(s) opened, " << s.acquired << " checkouts\n";
    std::cout << "done\n";
    return 0;
} catch (const std::exception& e) {
    std::cerr << "demo failed: " << e.what() << '\n';
    return 1;
}
