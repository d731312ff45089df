// pgorm-bench-async (W10): point selects from many concurrent callers, three ways, in one run.
//
//   build-rel/bench/pgorm-bench-async [--queries N] [--coroutines C] [--repeats R]
//
//   async      C coroutines (default 64) on ONE io_context thread share one pgorm::async_connection;
//              their statements are pipelined automatically (one Sync per statement).
//   sync pool  4 threads, each checking a connection out of a pgorm::pool of 4 per statement.
//   libpq      hand-written libpq pipeline mode on one connection: batches of C prepared
//              statements, one Sync per batch, results read in order (the best a careful
//              hand-written client does).
//
// Each query is `SELECT v FROM w10 WHERE id = $1` on a 10,000-row table, N in all (default
// 20,000). Reported: queries per second, median of R interleaved runs, and the ratios the issue
// asks for. The server runs on the same (shared, loaded) host, so absolute numbers move from run
// to run; the ratios of one run are the figure to read.

#include <pgorm.hpp>
#include <pgorm/async.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <libpq-fe.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
constexpr const char* point_select = "SELECT v FROM w10 WHERE id = $1";
constexpr int table_rows = 10'000;

struct options {
    int queries = 20'000;
    int coroutines = 64;
    int repeats = 3;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr,
                 "pgorm-bench-async: %s\nusage: pgorm-bench-async [--queries N] [--coroutines C] [--repeats R]\n",
                 why.c_str());
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (++i >= argc) usage(a + " needs a number");
        const int v = std::atoi(argv[i]);
        if (a == "--queries" && v >= 64) o.queries = v;
        else if (a == "--coroutines" && v >= 1 && v <= 4096) o.coroutines = v;
        else if (a == "--repeats" && v >= 1 && v <= 100) o.repeats = v;
        else usage("bad option or value: " + a + " " + argv[i]);
    }
    return o;
}

int key(int i) { return i % table_rows + 1; }

double run_async(const std::string& url, const options& o) {
    asio::io_context io;
    std::exception_ptr failed;
    double seconds = 0;
    asio::co_spawn(io, [&]() -> pgorm::awaitable<void> {
        pgorm::async_connection c{co_await asio::this_coro::executor, url};
        co_await c.connect();
        co_await c.query_value<std::string>(point_select, 1);  // prepare outside the timing
        int finished = 0;
        long bad = 0;
        const auto start = clock_type::now();
        for (int k = 0; k < o.coroutines; ++k)
            asio::co_spawn(io, [&, k]() -> pgorm::awaitable<void> {
                for (int i = k; i < o.queries; i += o.coroutines)
                    if ((co_await c.query_value<std::string>(point_select, key(i))).empty()) ++bad;
                if (++finished == o.coroutines) seconds = std::chrono::duration<double>(clock_type::now() - start).count();
            }, [&](std::exception_ptr e) { if (e) failed = e; });
        asio::steady_timer t(io);
        while (finished < o.coroutines && !failed) {
            t.expires_after(std::chrono::milliseconds(1));
            co_await t.async_wait(asio::use_awaitable);
        }
        if (bad) throw std::runtime_error("async: empty values read");
    }, [&](std::exception_ptr e) { if (e) failed = e; });
    io.run();
    if (failed) std::rethrow_exception(failed);
    return seconds;
}

double run_sync_pool(const std::string& url, const options& o) {
    pgorm::pool_options po;
    po.max_size = 4;
    pgorm::pool db(url, po);
    for (int t = 0; t < 4; ++t) db.acquire()->query_value<std::string>(point_select, 1);
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(4);
    const auto start = clock_type::now();
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            try {
                for (int i = t; i < o.queries; i += 4) {
                    auto c = db.acquire();
                    if (c->query_value<std::string>(point_select, key(i)).empty()) throw std::runtime_error("empty");
                }
            } catch (...) {
                errors[static_cast<std::size_t>(t)] = std::current_exception();
            }
        });
    for (auto& th : threads) th.join();
    const double s = std::chrono::duration<double>(clock_type::now() - start).count();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    return s;
}

void must(bool ok, PGconn* c, const char* what) {
    if (!ok) throw std::runtime_error(std::string("libpq: ") + what + ": " + PQerrorMessage(c));
}

double run_libpq_pipeline(const std::string& url, const options& o) {
    PGconn* c = PQconnectdb(url.c_str());
    must(PQstatus(c) == CONNECTION_OK, c, "connect");
    PGresult* prep = PQprepare(c, "w10", point_select, 1, nullptr);
    must(PQresultStatus(prep) == PGRES_COMMAND_OK, c, "prepare");
    PQclear(prep);
    must(PQenterPipelineMode(c) == 1, c, "pipeline mode");
    const auto start = clock_type::now();
    for (int i = 0; i < o.queries;) {
        const int batch = std::min(o.coroutines, o.queries - i);
        for (int k = 0; k < batch; ++k) {
            std::string id = std::to_string(key(i + k));
            const char* values[] = {id.c_str()};
            must(PQsendQueryPrepared(c, "w10", 1, values, nullptr, nullptr, 1) == 1, c, "send");
        }
        must(PQpipelineSync(c) == 1, c, "sync");
        for (int k = 0; k < batch; ++k) {
            PGresult* r = PQgetResult(c);
            must(r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, c, "result");
            PQclear(r);
            must(PQgetResult(c) == nullptr, c, "end of result");
        }
        PGresult* s = PQgetResult(c);
        must(s && PQresultStatus(s) == PGRES_PIPELINE_SYNC, c, "sync result");
        PQclear(s);
        i += batch;
    }
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    PQfinish(c);
    return seconds;
}

/// This process's CPU time (user + system, all threads) in seconds: the client's own cost, which
/// a loaded host disturbs far less than wall time (the server runs in other processes).
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return secs(u.ru_utime) + secs(u.ru_stime);
}

/// Runs one client; returns queries per second and adds its client CPU microseconds per query to `cpu`.
template <class F>
double measure(F&& run, const options& o, std::vector<double>& cpu) {
    const double before = cpu_seconds();
    const double seconds = run();
    cpu.push_back((cpu_seconds() - before) * 1e6 / o.queries);
    return o.queries / seconds;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) try {
    const options o = parse(argc, argv);
    pgorm::testing::cluster server;
    pgorm::testing::scratch_database db(server);
    const std::string url = db.url();
    {
        pgorm::connection admin(url);
        admin.execute_script("CREATE TABLE w10 (id int PRIMARY KEY, v text NOT NULL); "
                   "INSERT INTO w10 SELECT g, 'value ' || g FROM generate_series(1, 10000) g; ANALYZE w10");
    }
    std::printf("pgorm-bench-async (W10): %d point selects, %d coroutines on one thread, %d repeat(s), %u cores "
                "(shared host: other work runs here too)\n",
                o.queries, o.coroutines, o.repeats, std::thread::hardware_concurrency());
    std::vector<double> async_qps, pool_qps, libpq_qps, async_cpu, pool_cpu, libpq_cpu;
    for (int r = 0; r < o.repeats; ++r) {
        async_qps.push_back(measure([&] { return run_async(url, o); }, o, async_cpu));
        pool_qps.push_back(measure([&] { return run_sync_pool(url, o); }, o, pool_cpu));
        libpq_qps.push_back(measure([&] { return run_libpq_pipeline(url, o); }, o, libpq_cpu));
        std::fprintf(stderr, "  repeat %d: async %.0f q/s, sync pool %.0f q/s, libpq pipeline %.0f q/s\n", r + 1,
                     async_qps.back(), pool_qps.back(), libpq_qps.back());
    }
    const double a = median(async_qps), p = median(pool_qps), l = median(libpq_qps);
    std::printf("| client | queries/s (median) | client CPU us/query (median, incl. connect) |\n|---|---:|---:|\n");
    std::printf("| pgorm async, %d coroutines, 1 thread | %.0f | %.1f |\n", o.coroutines, a, median(async_cpu));
    std::printf("| pgorm sync pool of 4, 4 threads | %.0f | %.1f |\n", p, median(pool_cpu));
    std::printf("| hand-written libpq pipeline, batches of %d | %.0f | %.1f |\n", o.coroutines, l, median(libpq_cpu));
    std::printf("async / libpq pipeline = %.2f (goal >= 0.9)\nasync / sync pool = %.2f (goal >= 3)\n", a / l, a / p);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "pgorm-bench-async: %s\n", e.what());
    return 1;
}
