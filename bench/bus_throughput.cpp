// pgorm-bench-bus: command bus throughput end to end (docs/bus.md, "Throughput"): producers send
// commands while a worker with `workers` threads runs a 0 ms handler on them; the clock runs from
// the first send until every command is COMPLETED (metadata, audit, deleted message, reply).
// Seed 001's library publishes ~610 commands/s for this shape (6 workers, 0 ms handlers).
//
//   pgorm-bench-bus [commands=20000] [workers=6] [send_batch=100] [claim_batch=32] [producers=1]
//
// send_batch 1 sends each command in its own transaction (bus.send), as a web request would.

#include <pgorm.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

struct Work {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(Work, (), (n))

struct Done {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(Done, (), (n))

int arg(int argc, char** argv, int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; }

}  // namespace

int main(int argc, char** argv) {
    const int n = arg(argc, argv, 1, 20000), workers = arg(argc, argv, 2, 6), send_batch = arg(argc, argv, 3, 100),
              claim_batch = arg(argc, argv, 4, 32), producers = arg(argc, argv, 5, 1);
    if (n < 1 || workers < 1 || send_batch < 1 || claim_batch < 1 || producers < 1) {
        std::fprintf(stderr, "usage: pgorm-bench-bus [commands] [workers] [send_batch] [claim_batch] [producers] (all >= 1)\n");
        return 2;
    }
    pgorm::testing::cluster server;
    pgorm::testing::scratch_database db(server);
    {
        auto c = db.connect();
        pgorm::bus::install(c);
        pgorm::bus::create_domain(c, "bench");
    }
    pgorm::pool_options po;
    po.max_size = static_cast<std::size_t>(workers + producers + 2);
    pgorm::pool pool(db.url(), po);

    pgorm::bus::handler_registry reg;
    reg.on<Work>("bench", "Noop", [](const Work& w, pgorm::bus::handler_context&) { return Done{w.n}; });
    pgorm::bus::worker_options wo;
    wo.concurrency = workers;
    wo.batch_size = claim_batch;
    wo.poll_interval = std::chrono::milliseconds(50);
    pgorm::bus::worker worker(pool, "bench", reg, wo);
    worker.start();

    pgorm::bus::command_bus bus;
    pgorm::bus::command_options co;
    co.reply_to = pgorm::bus::replies_queue("bench");
    const auto t0 = std::chrono::steady_clock::now();
    {
        std::vector<std::jthread> senders;
        for (int p = 0; p < producers; ++p)
            senders.emplace_back([&, p] {
                auto h = pool.acquire();
                for (int i = p * send_batch; i < n; i += producers * send_batch) {
                    std::vector<pgorm::bus::outgoing_command<Work>> chunk;
                    for (int k = i; k < std::min(n, i + send_batch); ++k)
                        chunk.push_back({"Noop", pgorm::bus::new_id(), Work{k}, co});
                    bus.send_batch(h, "bench", chunk);
                }
            });
    }
    const auto sent = std::chrono::steady_clock::now();
    for (auto last_report = sent; worker.stats().completed < static_cast<std::size_t>(n);) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (std::chrono::steady_clock::now() - last_report > std::chrono::seconds(5)) {
            last_report = std::chrono::steady_clock::now();
            std::fprintf(stderr, "... %zu completed; last error: %s\n", worker.stats().completed,
                         worker.last_error().c_str());
        }
    }
    const auto t1 = std::chrono::steady_clock::now();
    worker.stop();

    auto c = db.connect();
    const auto completed = c.query_value<std::int64_t>("SELECT count(*) FROM commandbus.command WHERE status = 'COMPLETED'");
    const auto audits = c.query_value<std::int64_t>("SELECT count(*) FROM commandbus.audit");
    const auto replies = c.query_value<std::int64_t>("SELECT count(*) FROM pgmq.q_bench__replies");
    const double secs = std::chrono::duration<double>(t1 - t0).count();
    std::printf("commands %d, workers %d, send_batch %d, claim_batch %d, producers %d\n", n, workers, send_batch,
                claim_batch, producers);
    std::printf("sent in %.3f s, all completed in %.3f s: %.0f commands/s end to end\n",
                std::chrono::duration<double>(sent - t0).count(), secs, n / secs);
    std::printf("check: %lld COMPLETED, %lld audit rows (3 per command), %lld replies\n",
                static_cast<long long>(completed), static_cast<long long>(audits), static_cast<long long>(replies));
    return completed == n && audits == 3LL * n && replies == n ? 0 : 1;
}
