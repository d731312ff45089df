// pgorm-bench: the workloads of docs/performance.md through raw libpq, libpqxx and pgorm,
// against one embedded PostgreSQL, in one run.
//
// Every measurement runs in its own child process (this executable re-executed with --child), so
// each client starts from the same state and its peak resident memory is its own: the parent
// reads it from wait4()'s rusage (ru_maxrss of exactly that child). Repeats are interleaved
// (repeat -> workload -> clients in a rotating order) and the median is reported.

#include "common.hpp"

#include <pgorm/bus.hpp>
#include <pgorm/events.hpp>
#include <pgorm/queue.hpp>
#include <pgorm/testing.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

namespace {

using namespace bench;

struct options {
    bool quick = false;
    int repeats = 3;
    std::vector<workload> only;
    std::vector<std::string> wrap;  // a command each measuring child runs under (valgrind, perf)
};

struct sizes {
    int w1, w2, w3, w4, w5, w6, w7, w7_batch, w8, w9;
    int rows(workload w) const {
        switch (w) {
            case workload::w1_single_inserts: return w1;
            case workload::w2_bulk_insert: return w2;
            case workload::w3_fetch_all: return w3;
            case workload::w4_point_selects: return w4;
            case workload::w5_pipeline: return w5;
            case workload::w6_skip_locked: return w6;
            case workload::w7_queue_single: return w7;
            case workload::w7_queue_batch: return w7_batch;
            case workload::w8_events:
            case workload::w8_events_xmin: return w8;
            case workload::w9_bus_1:
            case workload::w9_bus_4: return w9;
        }
        return 0;
    }
};
constexpr sizes full_sizes{100'000, 100'000, 100'000, 20'000, 10'000, 20'000, 1'000, 20'000, 20'000, 10'000};
constexpr sizes quick_sizes{2'000, 2'000, 2'000, 500, 500, 500, 100, 1'000, 1'000, 1'000};

struct sample {
    timing took;
    long peak_kib;
};

[[noreturn]] void usage(const char* why) {
    std::cerr << "pgorm-bench: " << why
              << "\nusage: pgorm-bench [--quick] [--repeats N] [--only W1,W3,...]\n"
                 "  --quick       few rows, one repeat: proves the benchmark runs (the CTest smoke test)\n"
                 "  --repeats N   interleaved repeats per workload and client; the median is reported (default 3)\n"
                 "  --only LIST   run only these workloads\n"
                 "  --wrap CMD    run each measuring child under CMD, e.g. \"valgrind --tool=callgrind\"\n"
                 "Set PGORM_TEST_URL or DATABASE_URL to use an existing server instead of the embedded one.\n";
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--quick") {
            o.quick = true;
            o.repeats = 1;
        } else if (a == "--repeats") {
            if (++i >= argc) usage("--repeats needs a number");
            o.repeats = std::atoi(argv[i]);
            if (o.repeats < 1 || o.repeats > 101) usage("--repeats must be between 1 and 101");
        } else if (a == "--only") {
            if (++i >= argc) usage("--only needs a list such as W1,W3");
            std::string list = argv[i];
            for (std::size_t at = 0; at <= list.size();) {
                std::size_t end = std::min(list.find(',', at), list.size());
                std::string item = list.substr(at, end - at);
                auto found = std::find_if(std::begin(all_workloads), std::end(all_workloads),
                                          [&](workload w) { return name_of(w) == item; });
                if (found == std::end(all_workloads)) usage(("unknown workload \"" + item + "\"").c_str());
                o.only.push_back(*found);
                at = end + 1;
            }
        } else if (a == "--wrap") {
            if (++i >= argc) usage("--wrap needs a command such as \"valgrind --tool=callgrind\"");
            std::string cmd = argv[i];
            for (std::size_t at = 0; at < cmd.size();) {
                std::size_t end = std::min(cmd.find(' ', at), cmd.size());
                if (end > at) o.wrap.push_back(cmd.substr(at, end - at));
                at = end + 1;
            }
        } else if (a == "--help" || a == "-h") {
            usage("runs the pgorm benchmark");
        } else {
            usage(("unknown argument \"" + std::string(a) + "\"").c_str());
        }
    }
    return o;
}

// ---- the child side ----

int child_main(int argc, char** argv) {
    // --child <workload index> <client index> <rows> <populated> <url>
    if (argc != 7) return 2;
    job_spec job{all_workloads[std::atoi(argv[2])], argv[6], std::atoi(argv[4]), std::atoi(argv[5])};
    client who = all_clients[std::atoi(argv[3])];
    try {
        timing t = is_w8(job.what)           ? (who == client::libpq ? run_w8_libpq(job) : run_w8_pgorm(job))
                   : is_w9(job.what)          ? run_w9(job, who)
                   : who == client::libpq     ? run_libpq(job)
                   : who == client::libpqxx ? run_libpqxx(job)
                   : who == client::pgorm   ? run_pgorm(job)
                                            : run_pgorm_core(job);
        std::printf("%.9f %.9f\n", t.wall, t.cpu);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pgorm-bench: %s on %s failed: %s\n", std::string(name_of(who)).c_str(),
                     std::string(name_of(job.what)).c_str(), e.what());
        return 1;
    }
}

// ---- the parent side ----

std::string self_path() {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) throw std::runtime_error("cannot read /proc/self/exe");
    return std::string(buf, static_cast<std::size_t>(n));
}

sample measure(const options& o, workload w, client c, const std::string& url, int rows, int populated) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::string wi = std::to_string(std::find(std::begin(all_workloads), std::end(all_workloads), w) - all_workloads);
    std::string ci = std::to_string(std::find(std::begin(all_clients), std::end(all_clients), c) - all_clients);
    std::string r = std::to_string(rows), p = std::to_string(populated);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::close(out[0]);
        ::close(out[1]);
        static const std::string self = self_path();
        std::vector<const char*> args;
        for (auto& a : o.wrap) args.push_back(a.c_str());
        for (const char* a : {self.c_str(), "--child", wi.c_str(), ci.c_str(), r.c_str(), p.c_str(), url.c_str()})
            args.push_back(a);
        args.push_back(nullptr);
        ::execvp(args[0], const_cast<char* const*>(args.data()));
        ::_exit(127);
    }
    ::close(out[1]);
    std::string text;
    char buf[256];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    rusage ru{};
    ::wait4(pid, &status, 0, &ru);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty())
        throw std::runtime_error(std::string(name_of(c)) + " failed on " + std::string(name_of(w)));
    timing t;
    if (std::sscanf(text.c_str(), "%lf %lf", &t.wall, &t.cpu) != 2)
        throw std::runtime_error(std::string(name_of(c)) + " on " + std::string(name_of(w)) + " printed \"" + text + "\"");
    return {t, ru.ru_maxrss};
}

// The server-side state each workload starts from, set up outside the measurement.
class fixture {
public:
    explicit fixture(const std::string& url) : db_(url) {}

    void empty_users() { db_.execute_script("TRUNCATE bench_users"); }
    void populate_users(int n) {
        empty_users();
        db_.execute(
            "INSERT INTO bench_users (id, email, name, credits, active, created_at) "
            "SELECT 'usr_' || (1000000 + i), 'user' || i || '@example.com', "
            "CASE WHEN i % 3 <> 0 THEN 'User Number ' || i END, (i::bigint * 7919) % 100000, i % 2 = 0, "
            "timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' FROM generate_series(0, $1 - 1) i",
            n);
        db_.execute_script("VACUUM ANALYZE bench_users");
    }
    void populate_jobs(int n) {
        db_.execute_script("TRUNCATE bench_jobs");
        db_.execute("INSERT INTO bench_jobs SELECT g, 'job payload ' || g FROM generate_series(1, $1) g", n);
        db_.execute_script("VACUUM ANALYZE bench_jobs");
    }

    /// Throws unless bench_users holds exactly the rows make_users(n) describes.
    void verify_users(int n, std::string_view who) {
        auto fp = fingerprint();
        auto it = expected_.find(n);
        if (it == expected_.end()) {
            populate_users(n);
            it = expected_.emplace(n, fingerprint()).first;
        }
        if (fp != it->second)
            throw std::runtime_error(std::string(who) + " left bench_users different from the reference rows (" + fp +
                                     " vs " + it->second + ")");
    }
    /// W7 starts from a fresh queue: msg_ids from 1, no dead tuples from the previous client.
    void reset_queue() {
        db_.execute("SELECT pgmq.drop_queue($1)", std::string_view(queue_name));
        db_.execute("SELECT pgmq.create($1)", std::string_view(queue_name));
    }
    /// Throws unless exactly n messages were sent and every one was deleted (none archived).
    void verify_queue_done(int n, std::string_view who) {
        auto m = db_.execute("SELECT * FROM pgmq.metrics($1)", std::string_view(queue_name));
        auto left = m.get<std::int64_t>(0, m.column_index("queue_length"));
        auto sent = m.get<std::int64_t>(0, m.column_index("total_messages"));
        auto archived = db_.query_value<std::int64_t>("SELECT count(*) FROM pgmq.a_bench_w7");
        if (left != 0 || sent != n || archived != 0)
            throw std::runtime_error(std::string(who) + " sent " + std::to_string(sent) + " of " + std::to_string(n) +
                                     " queue messages and left " + std::to_string(left) + " queued, " +
                                     std::to_string(archived) + " archived");
    }
    /// W9 starts from an empty bus: schema, domain and both queues made anew.
    void reset_bus() {
        db_.execute_script("DROP SCHEMA IF EXISTS commandbus CASCADE");
        for (const char* q : {"bench__commands", "bench__replies"})
            if (db_.query_value<bool>("SELECT EXISTS (SELECT 1 FROM pgmq.meta WHERE queue_name = $1)", std::string_view(q)))
                db_.execute("SELECT pgmq.drop_queue($1)", std::string_view(q));
        pgorm::bus::install(db_);
        pgorm::bus::create_domain(db_, "bench");
    }
    /// Throws unless all n commands are COMPLETED with 3 audit rows each and n replies.
    void verify_bus_done(int n, std::string_view who) {
        auto done = db_.query_value<std::int64_t>("SELECT count(*) FROM commandbus.command WHERE status = 'COMPLETED'");
        auto audit = db_.query_value<std::int64_t>("SELECT count(*) FROM commandbus.audit");
        auto replies = db_.query_value<std::int64_t>("SELECT count(*) FROM pgmq.q_bench__replies");
        if (done != n || audit != 3LL * n || replies != n)
            throw std::runtime_error(std::string(who) + " completed " + std::to_string(done) + " of " + std::to_string(n) +
                                     " commands with " + std::to_string(audit) + " audit rows and " +
                                     std::to_string(replies) + " replies");
    }
    void verify_jobs_done(std::string_view who) {
        if (auto left = db_.query_value<std::int64_t>("SELECT count(*) FROM bench_jobs"); left != 0)
            throw std::runtime_error(std::string(who) + " left " + std::to_string(left) + " jobs unclaimed");
    }

private:
    std::string fingerprint() {
        return db_.query_value<std::string>(
            "SELECT count(*) || '/' || count(name) || '/' || coalesce(sum(credits), 0) || '/' || "
            "count(*) FILTER (WHERE active) || '/' || "
            "coalesce(md5(string_agg(id || email || coalesce(name, '~') || created_at::text, ',' ORDER BY id)), '') "
            "FROM bench_users");
    }

    pgorm::connection db_;
    std::map<int, std::string> expected_;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

int parent_main(const options& o) {
    const sizes& n = o.quick ? quick_sizes : full_sizes;
    std::vector<workload> work(std::begin(all_workloads), std::end(all_workloads));
    if (!o.only.empty()) work = o.only;

    pgorm::testing::cluster server;
    pgorm::testing::scratch_database scratch(server);
    {
        pgorm::connection setup(scratch.url());
        setup.execute_script(pgorm::testing::detail::read_text_file(PGORM_BENCH_SCHEMA));
        pgorm::queue::install(setup);  // W7: pgorm's pgmq schema
        pgorm::events::install(setup);  // W8: pgorm's event store
        setup.execute_script("ALTER TABLE bench_users SET (autovacuum_enabled = false)");
        setup.execute_script("ALTER TABLE bench_jobs SET (autovacuum_enabled = false)");
        // libpqxx reads timestamps as text; UTC keeps that text in one known shape.
        setup.execute_script("ALTER DATABASE " + setup.quote_identifier(scratch.name()) + " SET timezone = 'UTC'");
    }
    const std::string url = scratch.url();
    fixture fx(url);
    w8_fixture w8(url);
    std::string version;
    {
        pgorm::connection c(url);
        version = c.query_value<std::string>("SELECT current_setting('server_version')");
    }

    std::printf("pgorm-bench: %s, %d repeat(s), PostgreSQL %s (%s), %s, %ld cores\n",
                o.quick ? "quick" : "full", o.repeats, version.c_str(), server.external() ? "external" : "embedded",
                cpu_model().c_str(), ::sysconf(_SC_NPROCESSORS_ONLN));
    std::fflush(stdout);

    std::map<std::pair<workload, client>, std::vector<sample>> samples;
    for (int r = 0; r < o.repeats; ++r) {
        for (std::size_t wi = 0; wi < work.size(); ++wi) {
            workload w = work[wi];
            int rows = n.rows(w);
            bool reads = w == workload::w3_fetch_all || w == workload::w4_point_selects;
            int populated = w == workload::w4_point_selects ? n.w3 : rows;
            if (reads) fx.populate_users(populated);
            for (std::size_t k = 0; k < std::size(all_clients); ++k) {
                client c = all_clients[(k + static_cast<std::size_t>(r) + wi) % std::size(all_clients)];
                if (!runs(c, w)) continue;
                const bool queue = w == workload::w7_queue_single || w == workload::w7_queue_batch;
                if (w == workload::w6_skip_locked) fx.populate_jobs(rows);
                else if (is_w8(w)) w8.before(w);
                else if (is_w9(w)) fx.reset_bus();
                else if (queue) fx.reset_queue();
                else if (!reads) fx.empty_users();
                sample s = measure(o, w, c, url, rows, populated);
                if (w == workload::w6_skip_locked) fx.verify_jobs_done(name_of(c));
                else if (is_w8(w)) w8.after(w, c, rows, s.took);
                else if (is_w9(w)) fx.verify_bus_done(rows, name_of(c));
                else if (queue) fx.verify_queue_done(rows, name_of(c));
                else if (!reads) fx.verify_users(rows, name_of(c));
                samples[{w, c}].push_back(s);
                std::fprintf(stderr, "  repeat %d %s %-10s %9.4f s wall %9.4f s cpu %7.1f MiB\n", r + 1,
                             std::string(name_of(w)).c_str(), std::string(name_of(c)).c_str(), s.took.wall,
                             s.took.cpu, static_cast<double>(s.peak_kib) / 1024.0);
            }
        }
    }

    // Medians per workload and client.
    struct summary {
        bool ran = false;
        double rate = 0;        // rows per wall-clock second (median)
        double best = 0;        // rows per wall-clock second (fastest repeat)
        double cpu_us_row = 0;  // client CPU microseconds per row
        long peak_kib = 0;
    };
    std::map<std::pair<workload, client>, summary> sum;
    for (workload w : work)
        for (client c : all_clients) {
            auto& got = samples[{w, c}];
            summary& m = sum[{w, c}];
            if (got.empty()) continue;
            std::vector<double> wall, cpu;
            for (auto& s : got) {
                wall.push_back(s.took.wall);
                cpu.push_back(s.took.cpu);
                m.peak_kib = std::max(m.peak_kib, s.peak_kib);
            }
            m.ran = true;
            m.rate = n.rows(w) / median(wall);
            m.best = n.rows(w) / *std::min_element(wall.begin(), wall.end());
            m.cpu_us_row = median(cpu) * 1e6 / n.rows(w);
        }
    auto cell = [&](workload w, client c) -> const summary& { return sum[{w, c}]; };
    auto text = [](const summary& m, double v, int digits) { return m.ran ? fixed(v, digits) : std::string("-"); };
    auto ratio = [](const summary& a, double x, const summary& b, double y) {
        return a.ran && b.ran && y > 0 ? fixed(x / y, 2) : std::string("-");
    };

    std::printf("\npgorm = repository<T>::add (W1), insert_many (W2), %s, pipeline (W5), queue::client<T> (W7); "
                "pgorm-core = connection::execute / query<T> / query_one<T> / copy_in.\n",
                pgorm_uses_generated()
                    ? "pgorm-gen functions from bench/queries.sql (W3 ListUsers, W4 GetUser), generated ClaimJob + "
                      "repository remove (W6)"
                    : "repository find/get (W3, W4; pgorm-gen not built), find(for_update.skip_locked()) + remove (W6)");
    std::printf("\nThroughput: median of %d, rows per wall-clock second; ratios are throughput over throughput "
                "(1.00 = equal, above 1 = pgorm faster); peak = largest ru_maxrss of the measuring process, MiB.\n\n",
                o.repeats);
    std::printf("| workload | rows | libpq | libpqxx | pgorm | pgorm/libpq | pgorm/libpqxx | pgorm-core | core/libpq | "
                "peak MiB libpq / libpqxx / pgorm |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (workload w : work) {
        const summary &pq = cell(w, client::libpq), &pqxx = cell(w, client::libpqxx), &orm = cell(w, client::pgorm),
                      &core = cell(w, client::pgorm_core);
        auto mib = [&](const summary& m) { return text(m, static_cast<double>(m.peak_kib) / 1024.0, 1); };
        std::printf("| %s %s | %d | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |\n",
                    std::string(name_of(w)).c_str(), std::string(describe(w)).c_str(), n.rows(w),
                    text(pq, pq.rate, 0).c_str(), text(pqxx, pqxx.rate, 0).c_str(), text(orm, orm.rate, 0).c_str(),
                    ratio(orm, orm.rate, pq, pq.rate).c_str(), ratio(orm, orm.rate, pqxx, pqxx.rate).c_str(),
                    text(core, core.rate, 0).c_str(), ratio(core, core.rate, pq, pq.rate).c_str(), mib(pq).c_str(),
                    mib(pqxx).c_str(), mib(orm).c_str());
    }

    std::printf("\nFastest repeat (a busy host only ever adds time, so the best run is the least disturbed): "
                "throughput ratios.\n\n| workload | pgorm/libpq | pgorm/libpqxx | pgorm-core/libpq |\n|---|---:|---:|---:|\n");
    for (workload w : work) {
        const summary &pq = cell(w, client::libpq), &pqxx = cell(w, client::libpqxx), &orm = cell(w, client::pgorm),
                      &core = cell(w, client::pgorm_core);
        std::printf("| %s | %s | %s | %s |\n", std::string(name_of(w)).c_str(),
                    ratio(orm, orm.best, pq, pq.best).c_str(), ratio(orm, orm.best, pqxx, pqxx.best).c_str(),
                    ratio(core, core.best, pq, pq.best).c_str());
    }

    std::printf("\nClient CPU: median user+system CPU microseconds per row spent in the client process (the "
                "server's work excluded); ratios are CPU over CPU (below 1 = pgorm cheaper).\n\n");
    std::printf("| workload | libpq | libpqxx | pgorm | pgorm-core | pgorm/libpq | pgorm/libpqxx |\n"
                "|---|---:|---:|---:|---:|---:|---:|\n");
    for (workload w : work) {
        const summary &pq = cell(w, client::libpq), &pqxx = cell(w, client::libpqxx), &orm = cell(w, client::pgorm),
                      &core = cell(w, client::pgorm_core);
        std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", std::string(name_of(w)).c_str(),
                    text(pq, pq.cpu_us_row, 2).c_str(), text(pqxx, pqxx.cpu_us_row, 2).c_str(),
                    text(orm, orm.cpu_us_row, 2).c_str(), text(core, core.cpu_us_row, 2).c_str(),
                    ratio(orm, orm.cpu_us_row, pq, pq.cpu_us_row).c_str(),
                    ratio(orm, orm.cpu_us_row, pqxx, pqxx.cpu_us_row).c_str());
    }

    // Issue 12's goal for the queue: batches of 100 at least 20x the messages per second of one per call.
    if (std::find(work.begin(), work.end(), workload::w7_queue_single) != work.end() &&
        std::find(work.begin(), work.end(), workload::w7_queue_batch) != work.end()) {
        std::printf("\nW7: batches of 100 over one message per call, messages per second (median).\n\n"
                    "| client | one per call | batches of 100 | ratio |\n|---|---:|---:|---:|\n");
        for (client c : all_clients) {
            const summary &one = cell(workload::w7_queue_single, c), &hundred = cell(workload::w7_queue_batch, c);
            std::printf("| %s | %s | %s | %s |\n", std::string(name_of(c)).c_str(), text(one, one.rate, 0).c_str(),
                        text(hundred, hundred.rate, 0).c_str(), ratio(hundred, hundred.rate, one, one.rate).c_str());
        }
    }
    w8.report();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--child") == 0) return child_main(argc, argv);
    try {
        return parent_main(parse(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pgorm-bench: %s\n", e.what());
        return 1;
    }
}
