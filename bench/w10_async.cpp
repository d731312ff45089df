// pgorm-bench-async (W10): point selects from many concurrent callers, three ways, in one run.
//
//   build-rel/bench/pgorm-bench-async [--queries N] [--coroutines C] [--repeats R] [--only CLIENT]
//
//   async      C coroutines (default 64) on ONE io_context thread share one pgorm::async_connection;
//              their statements are pipelined automatically (one Sync per statement, the default).
//   async-batch  the same with async_options::sync = pipeline_sync::per_batch: the statements of
//              one write share a Sync, at most statements_per_sync (32) per Sync, so with 64
//              coroutines two batches are in flight at once (compare with libpq's Sync per batch).
//   sync pool  4 threads, each checking a connection out of a pgorm::pool of 4 per statement.
//   libpq      hand-written libpq pipeline mode on one connection: batches of C prepared
//              statements, one Sync per batch, results read in order (the best a careful
//              hand-written client does).
//   libpq, Sync per query  the same, but with a Sync after every statement, as pgorm's async
//              connection sends them (each statement its own implicit transaction, so one error
//              fails only its statement): the hand-written equal of pgorm's contract.
//
//   async-batch-one  per_batch with statements_per_sync = C: every write one Sync, one batch in
//              flight at a time (what per_batch did before batches overlapped).
// --only async|async-batch|async-batch-one|pool|libpq|libpq-sync runs one client alone (for profilers: callgrind, perf).
// --per-sync N sets async_options::statements_per_sync for async-batch (default: the library's,
// 32; 64 puts the 64 coroutines in one Sync, one batch in flight); --in-flight N sets
// max_in_flight for both async clients.
// Also reported per client: operator new calls per query (a counting operator new in this
// program: pgorm's, Asio's and the standard library's allocations; libpq's own mallocs are not
// seen, callgrind counts those), and for the async ones statements per write, Syncs and the
// most Syncs in flight at once.
//
// W10b (--copy-rows N, default 100,000; 0 skips it; --only copy runs it alone): N rows of
// (bigint, text, int) loaded by binary COPY through async_connection::copy_in (outside pipeline
// mode, 64 KiB pieces on the non-blocking socket) and through the synchronous pgorm::copy_in, in
// the same run, into an emptied table: rows per second, median of R, and their ratio.
//
// Each query is `SELECT v FROM w10 WHERE id = $1` on a 10,000-row table, N in all (default
// 20,000). Reported: queries per second, median of R interleaved runs, and the ratios the issue
// asks for. The server runs on the same (shared, loaded) host, so absolute numbers move from run
// to run; the ratios of one run are the figure to read.

#include <pgorm.hpp>
#include <pgorm/async.hpp>
#include <pgorm/testing.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <libpq-fe.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <new>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {
std::atomic<std::uint64_t> news{0};  // operator new calls, all threads
}  // namespace

// Counting replacements of the global allocation functions (the others forward to these).
// malloc/free underneath on purpose; GCC's mismatch warning does not know these are a pair.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
    news.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
constexpr const char* point_select = "SELECT v FROM w10 WHERE id = $1";
constexpr int table_rows = 10'000;

struct options {
    int queries = 20'000;
    int coroutines = 64;
    int repeats = 3;
    int copy_rows = 100'000;  // W10b; 0: skip
    int per_sync = 0;         // async_options::statements_per_sync for async-batch; 0: the default
    int in_flight = 0;        // async_options::max_in_flight; 0: the default
    std::string only;  // empty: all clients
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr,
                 "pgorm-bench-async: %s\nusage: pgorm-bench-async [--queries N] [--coroutines C] [--repeats R] "
                 "[--copy-rows N] [--per-sync N] [--in-flight N] [--only async|async-batch|async-batch-one|pool|libpq|libpq-sync|copy]\n",
                 why.c_str());
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (++i >= argc) usage(a + " needs a number");
        if (a == "--only") {
            o.only = argv[i];
            if (o.only != "async" && o.only != "async-batch" && o.only != "async-batch-one" && o.only != "pool" && o.only != "libpq" &&
                o.only != "libpq-sync" && o.only != "copy")
                usage("--only takes async, async-batch, async-batch-one, pool, libpq, libpq-sync or copy, not " + o.only);
            continue;
        }
        const int v = std::atoi(argv[i]);
        if (a == "--queries" && v >= 64) o.queries = v;
        else if (a == "--copy-rows" && v >= 0 && std::string(argv[i]) == std::to_string(v)) o.copy_rows = v;
        else if (a == "--coroutines" && v >= 1 && v <= 4096) o.coroutines = v;
        else if (a == "--per-sync" && v >= 1) o.per_sync = v;
        else if (a == "--in-flight" && v >= 1) o.in_flight = v;
        else if (a == "--repeats" && v >= 1 && v <= 100) o.repeats = v;
        else usage("bad option or value: " + a + " " + argv[i]);
    }
    return o;
}

int key(int i) { return i % table_rows + 1; }

pgorm::async_stats last_async_stats[3];  // of the latest run of each async client: statements per write

// noinline: callgrind --toggle-collect needs the symbol (docs/async.md, Performance).
// per_sync: statements_per_sync (0: --per-sync or the library's default); slot: where its stats go.
[[gnu::noinline]] double run_async(const std::string& url, const options& o, pgorm::pipeline_sync mode, int per_sync,
                                   int slot) {
    asio::io_context io;
    std::exception_ptr failed;
    double seconds = 0;
    asio::co_spawn(io, [&]() -> pgorm::awaitable<void> {
        pgorm::async_options ao;
        ao.sync = mode;
        if (per_sync > 0) ao.statements_per_sync = static_cast<std::size_t>(per_sync);
        else if (o.per_sync > 0) ao.statements_per_sync = static_cast<std::size_t>(o.per_sync);
        if (o.in_flight > 0) ao.max_in_flight = static_cast<std::size_t>(o.in_flight);
        pgorm::async_connection c{co_await asio::this_coro::executor, url, ao};
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
        last_async_stats[slot] = c.stats();
    }, [&](std::exception_ptr e) { if (e) failed = e; });
    io.run();
    if (failed) std::rethrow_exception(failed);
    return seconds;
}

/// W10b: seconds to COPY `rows` into the emptied table w10b, through the async or the sync API.
double run_copy(const std::string& url, const std::vector<std::tuple<std::int64_t, std::string, std::int32_t>>& rows,
                bool async) {
    static const std::vector<std::string_view> cols{"id", "name", "qty"};
    pgorm::connection admin(url);
    admin.execute("TRUNCATE w10b");
    if (!async) {
        const auto start = clock_type::now();
        if (pgorm::copy_in(admin, "w10b", cols, rows) != static_cast<std::int64_t>(rows.size()))
            throw std::runtime_error("sync copy: wrong row count");
        return std::chrono::duration<double>(clock_type::now() - start).count();
    }
    asio::io_context io;
    std::exception_ptr failed;
    double seconds = 0;
    asio::co_spawn(io, [&]() -> pgorm::awaitable<void> {
        pgorm::async_connection c{co_await asio::this_coro::executor, url};
        co_await c.connect();
        const auto start = clock_type::now();
        const std::int64_t n = co_await c.copy_in("w10b", cols, rows);
        seconds = std::chrono::duration<double>(clock_type::now() - start).count();
        if (n != static_cast<std::int64_t>(rows.size())) throw std::runtime_error("async copy: wrong row count");
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

/// sync_each: a Sync after every statement (pgorm's contract) instead of one per batch.
// noinline: callgrind --toggle-collect needs the symbol (docs/async.md, Performance).
[[gnu::noinline]] double run_libpq_pipeline(const std::string& url, const options& o, bool sync_each) {
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
            if (sync_each) must(PQpipelineSync(c) == 1, c, "sync");
        }
        if (!sync_each) must(PQpipelineSync(c) == 1, c, "sync");
        auto read_sync = [&] {
            PGresult* s = PQgetResult(c);
            must(s && PQresultStatus(s) == PGRES_PIPELINE_SYNC, c, "sync result");
            PQclear(s);
        };
        for (int k = 0; k < batch; ++k) {
            PGresult* r = PQgetResult(c);
            must(r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, c, "result");
            PQclear(r);
            must(PQgetResult(c) == nullptr, c, "end of result");
            if (sync_each) read_sync();
        }
        if (!sync_each) read_sync();
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
double measure(F&& run, const options& o, std::vector<double>& cpu, std::vector<double>& allocs) {
    const double before = cpu_seconds();
    const std::uint64_t news_before = news.load();
    const double seconds = run();
    cpu.push_back((cpu_seconds() - before) * 1e6 / o.queries);
    allocs.push_back(static_cast<double>(news.load() - news_before) / o.queries);
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
                   "INSERT INTO w10 SELECT g, 'value ' || g FROM generate_series(1, 10000) g; ANALYZE w10; "
                   "CREATE TABLE w10b (id bigint, name text, qty int)");
    }
    std::printf("pgorm-bench-async (W10): %d point selects, %d coroutines on one thread, %d repeat(s), %u cores "
                "(shared host: other work runs here too)\n",
                o.queries, o.coroutines, o.repeats, std::thread::hardware_concurrency());
    struct client {
        std::string name, label;
        std::function<double()> run;
        std::vector<double> qps, cpu, allocs;
    };
    std::vector<client> clients = {
        {"async", "pgorm async, Sync per statement, " + std::to_string(o.coroutines) + " coroutines, 1 thread",
         [&] { return run_async(url, o, pgorm::pipeline_sync::per_statement, 0, 0); }, {}, {}, {}},
        {"async-batch", "pgorm async, Sync per batch (per_batch), " + std::to_string(o.coroutines) + " coroutines, 1 thread",
         [&] { return run_async(url, o, pgorm::pipeline_sync::per_batch, 0, 1); }, {}, {}, {}},
        {"async-batch-one", "pgorm async, per_batch, all " + std::to_string(o.coroutines) + " in one Sync (one batch in flight)",
         [&] { return run_async(url, o, pgorm::pipeline_sync::per_batch, o.coroutines, 2); }, {}, {}, {}},
        {"pool", "pgorm sync pool of 4, 4 threads", [&] { return run_sync_pool(url, o); }, {}, {}, {}},
        {"libpq", "hand-written libpq pipeline, a Sync per batch of " + std::to_string(o.coroutines),
         [&] { return run_libpq_pipeline(url, o, false); }, {}, {}, {}},
        {"libpq-sync", "hand-written libpq pipeline, a Sync per query, batches of " + std::to_string(o.coroutines),
         [&] { return run_libpq_pipeline(url, o, true); }, {}, {}, {}},
    };
    for (int r = 0; r < o.repeats && o.only != "copy"; ++r) {
        std::fprintf(stderr, "  repeat %d:", r + 1);
        for (client& c : clients)
            if (o.only.empty() || o.only == c.name) {
                c.qps.push_back(measure(c.run, o, c.cpu, c.allocs));
                std::fprintf(stderr, " %s %.0f q/s;", c.name.c_str(), c.qps.back());
            }
        std::fprintf(stderr, "\n");
    }
    std::printf("| client | queries/s (median) | client CPU us/query (median, incl. connect) | operator new per query |\n"
                "|---|---:|---:|---:|\n");
    for (const client& c : clients)
        if (!c.qps.empty())
            std::printf("| %s | %.0f | %.1f | %.2f |\n", c.label.c_str(), median(c.qps), median(c.cpu), median(c.allocs));
    for (int k = 0; k < 3; ++k) {
        const pgorm::async_stats& st = last_async_stats[k];
        if (clients[static_cast<std::size_t>(k)].qps.empty()) continue;
        std::printf("%s: %llu statements in %llu writes (%.1f per write), %llu Syncs, at most %llu in flight, "
                    "%llu writes capped (last run)\n",
                    clients[static_cast<std::size_t>(k)].name.c_str(), static_cast<unsigned long long>(st.requests),
                    static_cast<unsigned long long>(st.batches),
                    static_cast<double>(st.requests) / static_cast<double>(std::max<std::uint64_t>(1, st.batches)),
                    static_cast<unsigned long long>(st.syncs), static_cast<unsigned long long>(st.most_syncs_in_flight),
                    static_cast<unsigned long long>(st.capped_writes));
    }
    if (o.copy_rows > 0 && (o.only.empty() || o.only == "copy")) {
        std::vector<std::tuple<std::int64_t, std::string, std::int32_t>> rows;
        for (int i = 0; i < o.copy_rows; ++i) rows.emplace_back(i, "row " + std::to_string(i), i % 1000);
        std::vector<double> async_rps, sync_rps;
        for (int r = 0; r < o.repeats; ++r) {
            async_rps.push_back(o.copy_rows / run_copy(url, rows, true));
            sync_rps.push_back(o.copy_rows / run_copy(url, rows, false));
            std::fprintf(stderr, "  W10b repeat %d: async %.0f rows/s; sync %.0f rows/s\n", r + 1, async_rps.back(),
                         sync_rps.back());
        }
        std::printf("W10b: COPY of %d rows (bigint, text, int), median of %d: async copy_in %.0f rows/s, sync copy_in "
                    "%.0f rows/s, async / sync = %.2f\n",
                    o.copy_rows, o.repeats, median(async_rps), median(sync_rps), median(async_rps) / median(sync_rps));
    }
    if (o.only.empty()) {
        const double a = median(clients[0].qps), ab = median(clients[1].qps), pool = median(clients[3].qps);
        const double lb = median(clients[4].qps), ls = median(clients[5].qps);
        std::printf("async per_batch / libpq pipeline (Sync per batch) = %.2f (goal >= 0.9)\n", ab / lb);
        std::printf("async per_batch, one batch in flight / libpq pipeline (Sync per batch) = %.2f\n",
                    median(clients[2].qps) / lb);
        std::printf("async per_statement / libpq pipeline (Sync per query) = %.2f\n", a / ls);
        std::printf("async per_statement / libpq pipeline (Sync per batch) = %.2f\n", a / lb);
        std::printf("async per_batch / sync pool = %.2f (goal >= 3)\n", ab / pool);
        std::printf("async per_statement / sync pool = %.2f\n", a / pool);
        std::printf("client CPU per query: async per_statement / libpq (Sync per query) = %.2f, "
                    "async per_batch / libpq (Sync per batch) = %.2f\n",
                    median(clients[0].cpu) / median(clients[5].cpu), median(clients[1].cpu) / median(clients[4].cpu));
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "pgorm-bench-async: %s\n", e.what());
    return 1;
}
