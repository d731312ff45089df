// Soak: worker threads run transactions through a pool (repository, pipeline, COPY and NOTIFY
// inside transactions) while a side thread terminates random backends. At the end the database
// must agree with what the workers were told: every acknowledged transaction is there whole,
// nothing is there that failed before COMMIT, each worker's running total equals its rows,
// no session is left idle in transaction, the pool's counters balance, and every notification
// the listener received belongs to a committed transaction.
//
// Short by default (4 threads x 200 transactions, more until 10 backends were killed; label `fault`); PGORM_SOAK_SECONDS=N runs
// every thread for N seconds instead and prints the figures (docs/reliability.md records them).
#include "support.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <thread>

using namespace pgorm;
using namespace std::chrono_literals;

namespace {

struct SoakRow {
    std::int64_t id;
    std::int32_t worker;
    std::int64_t txn;
    std::int32_t amount;
};
BOOST_DESCRIBE_STRUCT(SoakRow, (), (id, worker, txn, amount))
PGORM_TABLE(SoakRow, "soak_rows", key(&SoakRow::id));

constexpr const char* soak_schema =
    "CREATE TABLE soak_rows (id bigint PRIMARY KEY, worker int NOT NULL, txn bigint NOT NULL, amount int NOT NULL);"
    "CREATE TABLE soak_totals (worker int PRIMARY KEY, total bigint NOT NULL);"
    "INSERT INTO soak_totals SELECT g, 0 FROM generate_series(0, 63) g";

// What one worker was told about its transactions.
struct outcome {
    std::vector<std::int64_t> acknowledged;  // COMMIT returned: must be in the database
    std::vector<std::int64_t> ambiguous;     // the connection died during COMMIT: either way
    std::int64_t failed = 0;                 // failed before COMMIT: must not be there
    std::vector<std::int64_t> failed_txns;
    std::vector<std::string> unexpected;     // any other pgorm error: a bug this test exists to find
};

// One transaction of kind `kind` (0 repository, 1 pipeline, 2 COPY, 3 NOTIFY), `txn` unique.
void run_one(pgorm::pool& pool, int worker, std::int64_t txn, int kind, bool& committing) {
    committing = false;
    auto x = pool.xact();
    const std::int32_t amount = static_cast<std::int32_t>(txn % 97) + 1;
    std::int64_t total = 0;
    switch (kind) {
        case 0: {
            repository<SoakRow> rows{x};
            for (int k = 0; k < 2; ++k) rows.insert_without_returning(SoakRow{txn * 10 + k, worker, txn, amount});
            total = 2 * amount;
            break;
        }
        case 1: {
            pipeline p(x);
            for (int k = 0; k < 3; ++k)
                p.execute("INSERT INTO soak_rows VALUES ($1, $2, $3, $4)", txn * 10 + k, worker, txn, amount);
            (void)p.sync();
            total = 3 * amount;
            break;
        }
        case 2: {
            copy_writer w(x.conn(), "soak_rows", {"id", "worker", "txn", "amount"}, false);
            for (int k = 0; k < 4; ++k) w.write_row(txn * 10 + k, worker, txn, amount);
            w.finish();
            total = 4 * amount;
            break;
        }
        default: {
            x.conn().execute("INSERT INTO soak_rows VALUES ($1, $2, $3, $4)", txn * 10, worker, txn, amount);
            notify(x, "soak", std::to_string(txn));  // delivered only if the COMMIT below lands
            total = amount;
            break;
        }
    }
    x.conn().execute("UPDATE soak_totals SET total = total + $1 WHERE worker = $2", total, worker);
    committing = true;
    x.commit();
}

}  // namespace

TEST_CASE("soak: mixed transactions under random backend kills keep every invariant", "[fault][soak]") {
    pgorm_test::empty_db db;
    connection admin(db.url());
    admin.execute_script(soak_schema);

    const char* env = std::getenv("PGORM_SOAK_SECONDS");
    const int soak_seconds = env && *env ? std::atoi(env) : 0;
    const int threads = 4, per_thread = 200;

    pool_options o;
    o.min_size = 2;
    o.max_size = threads;
    o.maintenance_interval = 100ms;
    o.acquire_timeout = 20s;
    pgorm::pool pool(db.url(), o);

    // The listener collects notification payloads until told to stop.
    std::atomic<bool> stop{false};
    std::mutex heard_mutex;
    std::set<std::int64_t> heard;
    listener l(db.url());
    l.listen("soak");
    std::thread listening([&] {
        while (!stop) {
            try {
                if (auto n = l.wait(100ms)) {
                    std::lock_guard g(heard_mutex);
                    heard.insert(std::stoll(n->payload));
                }
            } catch (const connection_error&) {  // reconnect refused for a moment: try again
            }
        }
    });

    // The killer terminates one random backend of this database every 20-60 ms, the listener's too.
    std::atomic<int> kills{0};
    std::thread killer([&] {
        connection k(db.url());
        std::mt19937 rng(20);
        while (!stop) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 40));
            kills += k.query_value<int>(
                "SELECT count(*)::int FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1 "
                "AND backend_type = 'client backend' ORDER BY random() LIMIT 1) t",
                admin.backend_pid());
        }
    });

    std::vector<outcome> outcomes(threads);
    const auto started = std::chrono::steady_clock::now();
    const auto until = started + std::chrono::seconds(soak_seconds);
    std::vector<std::thread> workers;
    for (int w = 0; w < threads; ++w) {
        workers.emplace_back([&, w] {
            outcome& out = outcomes[static_cast<std::size_t>(w)];
            for (std::int64_t i = 0;; ++i) {
                // Short mode goes on past per_thread until 10 kills have landed: on a fast host 800
                // transactions can finish before the killer has had a chance.
                if (soak_seconds > 0 ? std::chrono::steady_clock::now() >= until : i >= per_thread && kills >= 10)
                    break;
                const std::int64_t txn = static_cast<std::int64_t>(w) * 100'000'000 + i;
                bool committing = false;
                try {
                    run_one(pool, w, txn, static_cast<int>(i % 4), committing);
                    out.acknowledged.push_back(txn);
                } catch (const connection_error&) {  // connection_lost, or a reconnect refused
                    if (committing) out.ambiguous.push_back(txn);
                    else out.failed_txns.push_back(txn);
                } catch (const pgorm::error& e) {
                    out.unexpected.push_back(e.what());
                    out.ambiguous.push_back(txn);  // its data is checked by the other invariants
                }
            }
        });
    }
    for (auto& t : workers) t.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    stop = true;
    killer.join();
    listening.join();

    std::vector<std::int64_t> acked, maybe, failed;
    for (auto& out : outcomes) {
        for (auto& what : out.unexpected) FAIL_CHECK("unexpected error: " << what);
        acked.insert(acked.end(), out.acknowledged.begin(), out.acknowledged.end());
        maybe.insert(maybe.end(), out.ambiguous.begin(), out.ambiguous.end());
        failed.insert(failed.end(), out.failed_txns.begin(), out.failed_txns.end());
    }
    std::vector<std::int64_t> known = acked;
    known.insert(known.end(), maybe.begin(), maybe.end());

    // Every acknowledged transaction is there, whole (2, 3, 4 or 1 rows by kind).
    CHECK(admin.query_value<std::int64_t>("SELECT count(DISTINCT txn) FROM soak_rows WHERE txn = ANY($1)", acked) ==
          static_cast<std::int64_t>(acked.size()));
    CHECK(admin.query_value<std::int64_t>(
              "SELECT count(*) FROM (SELECT txn, count(*) AS n FROM soak_rows GROUP BY txn) t "
              "WHERE n <> CASE (txn % 100000000) % 4 WHEN 0 THEN 2 WHEN 1 THEN 3 WHEN 2 THEN 4 ELSE 1 END") == 0);
    // Nothing that failed before COMMIT, nothing unknown.
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM soak_rows WHERE txn = ANY($1)", failed) == 0);
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM soak_rows WHERE NOT (txn = ANY($1))", known) == 0);
    // Each worker's total moved in the same transactions as its rows.
    CHECK(admin.query_value<std::int64_t>(
              "SELECT count(*) FROM soak_totals t WHERE total <> "
              "(SELECT coalesce(sum(amount), 0) FROM soak_rows r WHERE r.worker = t.worker)") == 0);
    // Notifications come only from committed transactions.
    std::vector<std::int64_t> heard_list(heard.begin(), heard.end());
    CHECK(admin.query_value<std::int64_t>("SELECT count(DISTINCT txn) FROM soak_rows WHERE txn = ANY($1)",
                                          heard_list) == static_cast<std::int64_t>(heard_list.size()));
    // Nothing left open: no session idle in a transaction, the pool balanced.
    CHECK(admin.query_value<std::int64_t>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND state LIKE 'idle in transaction%'") == 0);
    auto s = pool.stats();
    CHECK(s.in_use == 0);
    CHECK(s.waiting == 0);
    CHECK(s.opening == 0);
    CHECK(s.created - s.closed == s.idle);
    // The run did meet the faults it is about.
    CHECK(kills > 0);
    CHECK(failed.size() + maybe.size() > 0);
    CHECK(acked.size() > failed.size());
    CHECK_FALSE(heard.empty());

    std::printf("soak: %d threads, %.1f s, %zu transactions: %zu acknowledged, %zu failed before commit, "
                "%zu ambiguous at commit; %d backends killed; pool created %llu, replaced %llu, refilled %llu; "
                "listener heard %zu, reconnected %zu times\n",
                threads, seconds, acked.size() + failed.size() + maybe.size(), acked.size(), failed.size(),
                maybe.size(), kills.load(), static_cast<unsigned long long>(s.created),
                static_cast<unsigned long long>(s.replaced), static_cast<unsigned long long>(s.refilled), heard.size(),
                l.reconnects());
}
