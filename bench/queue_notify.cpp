// pgorm-bench-notify: what the queue's NOTIFY-on-insert wake-up costs concurrent producers
// (docs/queue.md, "Wake-ups"; docs/performance.md, "W7").
//
//   build-rel/bench/pgorm-bench-notify [--messages N] [--batch B] [--repeats R] [--durable]
//
// P producer threads (1, 4, 8), each on its own connection and queue::client, send N messages
// in all, one pgmq.send per autocommit transaction (or one pgmq.send_batch of B), while one
// listener LISTENs on the queue's channel. Three settings of the same queue: no trigger, a NOTIFY from every insert
// (enable_notify_insert(q, 0)), and pgorm's per-session throttle (enable_notify_insert(q, 250)).
// A transaction that notified takes PostgreSQL's database-wide notify lock at commit
// (async.c PreCommit_Notify) and holds it to the end of the commit, so notifying commits run one
// at a time; --durable turns fsync and synchronous_commit on for the run (embedded server only),
// which puts the WAL flush inside that lock. Reported: messages per second, median of R
// interleaved runs.

#include "common.hpp"

#include <pgorm/core/listener.hpp>
#include <pgorm/queue/client.hpp>
#include <pgorm/queue/install.hpp>
#include <pgorm/testing.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using bench::order;

constexpr const char* notify_queue = "bench_notify";
constexpr int producer_counts[] = {1, 4, 8};

enum class wakeup { none, every_insert, throttled };
constexpr wakeup all_wakeups[] = {wakeup::none, wakeup::every_insert, wakeup::throttled};

const char* label(wakeup w) {
    switch (w) {
        case wakeup::none: return "no notify";
        case wakeup::every_insert: return "notify every insert";
        case wakeup::throttled: return "notify, 250 ms throttle";
    }
    return "?";
}

struct options {
    int messages = 4000;
    int batch = 1;
    int repeats = 3;
    bool durable = false;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "pgorm-bench-notify: %s\nusage: pgorm-bench-notify [--messages N] [--batch B] [--repeats R] [--durable]\n"
                 "  --messages N  messages sent per run, split over the producers (default 4000)\n"
                 "  --batch B     messages per send: pgmq.send_batch of B (default 1: pgmq.send)\n"
                 "  --repeats R   interleaved runs per setting; the median is reported (default 3)\n"
                 "  --durable     fsync and synchronous_commit on (embedded server only)\n",
                 why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto number = [&](int lo, int hi) {
            if (++i >= argc) usage((a + " needs a number").c_str());
            int v = std::atoi(argv[i]);
            if (v < lo || v > hi) usage((a + " must be between " + std::to_string(lo) + " and " + std::to_string(hi)).c_str());
            return v;
        };
        if (a == "--messages") o.messages = number(8, 10'000'000);
        else if (a == "--batch") o.batch = number(1, 10'000);
        else if (a == "--repeats") o.repeats = number(1, 101);
        else if (a == "--durable") o.durable = true;
        else usage(("unknown argument \"" + a + "\"").c_str());
    }
    return o;
}

// The queue as each run starts: empty, fresh msg_ids, and the wake-up setting under test.
void reset_queue(pgorm::connection& admin, wakeup w) {
    pgorm::queue::client<order> q(admin, notify_queue);
    q.drop();
    q.create();
    if (w == wakeup::every_insert) q.enable_notify_insert(std::chrono::milliseconds(0));
    if (w == wakeup::throttled) q.enable_notify_insert(std::chrono::milliseconds(250));
}

struct run_result {
    double seconds = 0;
    long notifications = 0;
};

// P producers send `messages` in all, `batch` per transaction; a listener counts what arrives.
run_result produce(const std::string& url, int producers, int messages, int batch) {
    std::vector<std::unique_ptr<pgorm::connection>> conns;
    for (int p = 0; p < producers; ++p) conns.push_back(std::make_unique<pgorm::connection>(url));
    pgorm::listener listener(url);
    listener.listen(pgorm::queue::insert_channel(notify_queue));

    std::atomic<bool> done{false};
    std::atomic<long> heard{0};
    std::thread listening([&] {
        while (!done.load())
            if (listener.wait(std::chrono::milliseconds(20))) heard.fetch_add(1);
        while (listener.wait(std::chrono::milliseconds(200))) heard.fetch_add(1);  // late deliveries
    });

    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(producers));
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            try {
                pgorm::queue::client<order> q(*conns[static_cast<std::size_t>(p)], notify_queue);
                ready.fetch_add(1);
                while (!go.load()) std::this_thread::yield();
                std::vector<order> bodies;
                for (int i = p; i < messages; i += producers) {
                    bodies.push_back(bench::make_order(i));
                    if (static_cast<int>(bodies.size()) < batch && i + producers < messages) continue;
                    if (batch == 1) q.send(bodies.front());
                    else q.send_batch(bodies);
                    bodies.clear();
                }
            } catch (...) {
                errors[static_cast<std::size_t>(p)] = std::current_exception();
            }
        });
    }
    while (ready.load() < producers) std::this_thread::yield();
    bench::stopwatch t0;
    go.store(true);
    for (auto& t : threads) t.join();
    run_result r{t0.elapsed().wall, 0};
    done.store(true);
    listening.join();
    r.notifications = heard.load();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    return r;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run(const options& o) {
    pgorm::testing::cluster server;
    pgorm::testing::scratch_database scratch(server);
    const std::string url = scratch.url();
    pgorm::connection admin(url);
    pgorm::queue::install(admin);
    if (o.durable) {
        if (server.external()) usage("--durable changes server settings: only with the embedded server");
        admin.execute_script("ALTER SYSTEM SET fsync = on");
        admin.execute_script("ALTER SYSTEM SET synchronous_commit = on");
        admin.execute_script("SELECT pg_reload_conf()");
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the reload is asynchronous
    }
    const auto setting = [&](const char* name) {
        return admin.query_value<std::string>("SELECT current_setting($1)", std::string_view(name));
    };
    std::printf("pgorm-bench-notify: %d messages per run, %d per send, %d repeat(s), PostgreSQL %s, %u cores, fsync %s, "
                "synchronous_commit %s\n",
                o.messages, o.batch, o.repeats, setting("server_version").c_str(), std::thread::hardware_concurrency(),
                setting("fsync").c_str(), setting("synchronous_commit").c_str());
    std::fflush(stdout);

    std::map<std::pair<int, wakeup>, std::vector<double>> rates;
    std::map<std::pair<int, wakeup>, long> heard;
    for (int r = 0; r < o.repeats; ++r)
        for (int producers : producer_counts)
            for (std::size_t k = 0; k < std::size(all_wakeups); ++k) {
                const wakeup w = all_wakeups[(k + static_cast<std::size_t>(r)) % std::size(all_wakeups)];
                reset_queue(admin, w);
                run_result got = produce(url, producers, o.messages, o.batch);
                const auto sent = pgorm::queue::client<order>(admin, notify_queue).metrics().total_messages;
                if (sent != o.messages)
                    throw std::runtime_error("the producers sent " + std::to_string(sent) + " of " +
                                             std::to_string(o.messages) + " messages");
                rates[{producers, w}].push_back(o.messages / got.seconds);
                heard[{producers, w}] = std::max(heard[{producers, w}], got.notifications);
                std::fprintf(stderr, "  repeat %d, %d producer(s), %-24s %8.0f msg/s, %ld notifications heard\n", r + 1,
                             producers, label(w), o.messages / got.seconds, got.notifications);
            }

    std::printf("\nMessages per second (median of %d), %d message(s) per send, one send per transaction; ratio = over no notify; "
                "heard = notifications the listener received (most of any run).\n\n"
                "| producers | no notify | notify every insert | ratio | heard | notify, 250 ms throttle | ratio | heard |\n"
                "|---:|---:|---:|---:|---:|---:|---:|---:|\n",
                o.repeats, o.batch);
    for (int producers : producer_counts) {
        const double base = median(rates[{producers, wakeup::none}]);
        const double every = median(rates[{producers, wakeup::every_insert}]);
        const double throttled = median(rates[{producers, wakeup::throttled}]);
        std::printf("| %d | %.0f | %.0f | %.2f | %ld | %.0f | %.2f | %ld |\n", producers, base, every, every / base,
                    heard[{producers, wakeup::every_insert}], throttled, throttled / base,
                    heard[{producers, wakeup::throttled}]);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pgorm-bench-notify: %s\n", e.what());
        return 1;
    }
}
