// pgorm-bench-bus: command bus throughput end to end (docs/bus.md, "Throughput"): producers send
// commands while a worker with `workers` threads runs a 0 ms handler on them; the clock runs from
// the first send until every command is COMPLETED (metadata, audit, deleted message, reply).
// Seed 001's library publishes ~610 commands/s for this shape (6 workers, 0 ms handlers).
//
//   pgorm-bench-bus [commands=20000] [workers=6] [send_batch=100] [claim_batch=32] [producers=1]
//
// send_batch 1 sends each command in its own transaction (bus.send), as a web request would.
// It prints the CPU time spent during the timed run, the client's (getrusage) and the server's
// (utime + stime from /proc of the postmaster and its children, exited ones included through
// the postmaster's cutime + cstime), so initdb and server start-up stay out of the figure.
// PGORM_BUS_STATS=1 loads pg_stat_statements (track = all, so statements inside the bus's
// functions count too) and auto_explain, prints commandbus.command's updates and HOT updates (a
// partial count: idle backends report late) and the statements that took the most server time.

#include <pgorm.hpp>
#include <pgorm/bus.hpp>
#include <pgorm/testing.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
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

double client_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return secs(u.ru_utime) + secs(u.ru_stime);
}

// Fields of /proc/<pid>/stat after the parenthesised command name: [0] is field 3 (state), so
// field n (proc(5)) is at n - 3: ppid 4, utime 14, stime 15, cutime 16, cstime 17.
std::vector<std::string> proc_stat(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/stat");
    std::string line;
    std::getline(in, line);
    std::vector<std::string> fields;
    const auto close = line.rfind(')');
    if (close == std::string::npos) return fields;
    std::istringstream rest(line.substr(close + 1));
    for (std::string f; rest >> f;) fields.push_back(f);
    return fields;
}

// CPU seconds of the postmaster `pid` and its children, living and reaped.
double server_cpu_seconds(const std::string& pid) {
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    auto ticks = [](const std::vector<std::string>& f, std::size_t i) { return f.size() > i ? std::stod(f[i]) : 0.0; };
    const auto self = proc_stat(pid);
    double total = ticks(self, 11) + ticks(self, 12) + ticks(self, 13) + ticks(self, 14);
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto f = proc_stat(name);
        if (f.size() > 12 && f[1] == pid) total += ticks(f, 11) + ticks(f, 12);
    }
    return total / tick;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = arg(argc, argv, 1, 20000), workers = arg(argc, argv, 2, 6), send_batch = arg(argc, argv, 3, 100),
              claim_batch = arg(argc, argv, 4, 32), producers = arg(argc, argv, 5, 1);
    if (n < 1 || workers < 1 || send_batch < 1 || claim_batch < 1 || producers < 1) {
        std::fprintf(stderr, "usage: pgorm-bench-bus [commands] [workers] [send_batch] [claim_batch] [producers] (all >= 1)\n");
        return 2;
    }
    const bool stats = std::getenv("PGORM_BUS_STATS") != nullptr;
    pgorm::testing::cluster_options copts;
    if (stats)
        copts.settings = {"shared_preload_libraries = 'pg_stat_statements,auto_explain'", "pg_stat_statements.track = all",
                          "auto_explain.log_min_duration = '20ms'", "auto_explain.log_nested_statements = on",
                          "auto_explain.log_analyze = on", "log_min_messages = log"};
    pgorm::testing::cluster server(copts);
    pgorm::testing::scratch_database db(server);
    {
        auto c = db.connect();
        pgorm::bus::install(c);
        // PGORM_BUS_EXTRA_SQL=<file>: SQL run after install, to measure a schema change on a copy.
        if (const char* extra = std::getenv("PGORM_BUS_EXTRA_SQL")) {
            std::ifstream in(extra);
            if (!in) {
                std::fprintf(stderr, "cannot read PGORM_BUS_EXTRA_SQL file %s\n", extra);
                return 2;
            }
            c.execute_script(std::string(std::istreambuf_iterator<char>(in), {}));
        }
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
    std::string postmaster;
    std::ifstream(server.data_directory() / "postmaster.pid") >> postmaster;
    const double client0 = client_cpu_seconds(), server0 = server_cpu_seconds(postmaster);
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
    const double client_cpu = client_cpu_seconds() - client0, server_cpu = server_cpu_seconds(postmaster) - server0;
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
    std::printf("CPU during the run: client %.3f s, server %.3f s: %.1f us per command (client %.1f, server %.1f)\n",
                client_cpu, server_cpu, (client_cpu + server_cpu) * 1e6 / n, client_cpu * 1e6 / n, server_cpu * 1e6 / n);
    std::printf("check: %lld COMPLETED, %lld audit rows (3 per command), %lld replies\n",
                static_cast<long long>(completed), static_cast<long long>(audits), static_cast<long long>(replies));
    if (stats) {
        c.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        c.execute_script("SELECT pg_sleep(1)");  // let the workers' backends report their table statistics
        for (auto& [upd, hot] : c.query<std::tuple<std::int64_t, std::int64_t>>(
                 "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'commandbus.command'::regclass"))
            std::printf("commandbus.command: %lld updates, %lld of them HOT\n", static_cast<long long>(upd),
                        static_cast<long long>(hot));
        for (auto& [name, scans, size] : c.query<std::tuple<std::string, std::int64_t, std::int64_t>>(
                 "SELECT indexrelname, idx_scan, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                 "WHERE schemaname = 'commandbus' ORDER BY indexrelname"))
            std::printf("index %s: %lld scans, %lld bytes\n", name.c_str(), static_cast<long long>(scans),
                        static_cast<long long>(size));
        std::printf("pg_stat_statements: %lld statements\n", static_cast<long long>(c.query_value<std::int64_t>("SELECT count(*) FROM pg_stat_statements")));
        for (auto& [calls, rows, total_ms, query] : c.query<std::tuple<std::int64_t, std::int64_t, double, std::string>>("SELECT calls, rows, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 150) "
                                    "FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25"))
            std::printf("%9.1f ms %8lld calls %9lld rows  %s\n", total_ms, static_cast<long long>(calls),
                        static_cast<long long>(rows), query.c_str());
    }
    if (stats) std::system(("cp " + (server.directory() / "server.log").string() + " /tmp/pgorm-bench-bus-server.log").c_str());
    return completed == n && audits == 3LL * n && replies == n ? 0 : 1;
}
