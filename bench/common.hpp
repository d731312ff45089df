#pragma once
// What the three clients share: the row they move, the tables and SQL text, the workload list,
// and the deterministic data every client inserts. Each client lives in its own translation unit
// (raw_libpq.cpp, libpqxx.cpp, pgorm_client.cpp) and only implements `run_<client>(job)`.

#include <pgorm.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bench {

/// The user-like row of the workloads (bench_users).
struct user {
    std::string id;
    std::string email;
    std::optional<std::string> name;
    std::int64_t credits = 0;
    bool active = false;
    pgorm::timestamptz created_at;
};
BOOST_DESCRIBE_STRUCT(user, (), (id, email, name, credits, active, created_at))
PGORM_TABLE(user, "bench_users", key(&user::id));

/// A queue message body for W7: carried as jsonb through pgmq.send / read.
struct order {
    std::int64_t seq = 0;
    std::string sku;
    std::int32_t quantity = 0;
};
BOOST_DESCRIBE_STRUCT(order, (), (seq, sku, quantity))

/// A queued job (bench_jobs) for W6.
struct job {
    std::int64_t id = 0;
    std::string payload;
};
BOOST_DESCRIBE_STRUCT(job, (), (id, payload))
PGORM_TABLE(job, "bench_jobs", key(&job::id));

// ---- SQL shared by all clients (same text, same server work; bench/schema.sql has the tables) ----

inline constexpr const char* insert_user_sql =
    "INSERT INTO bench_users (id, email, name, credits, active, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
inline constexpr const char* select_all_sql =
    "SELECT id, email, name, credits, active, created_at FROM bench_users";
inline constexpr const char* select_by_id_sql =
    "SELECT id, email, name, credits, active, created_at FROM bench_users WHERE id = $1";
inline constexpr const char* claim_job_sql =
    "SELECT id, payload FROM bench_jobs ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
inline constexpr const char* delete_job_sql = "DELETE FROM bench_jobs WHERE id = $1";

// W7: pgmq's functions with the argument lists queue::client<T> sends (pgorm's queue schema,
// installed into the scratch database); the raw clients send the same texts with the same types.
inline constexpr const char* queue_name = "bench_w7";
inline constexpr int queue_vt_seconds = 30;
inline constexpr const char* queue_send_sql = "SELECT pgmq.send($1, $2, $3)";                // text, jsonb, int4
inline constexpr const char* queue_send_batch_sql = "SELECT * FROM pgmq.send_batch($1, $2, $3)";  // text, jsonb[], int4
inline constexpr const char* queue_read_sql = "SELECT * FROM pgmq.read($1, $2, $3, $4)";  // text, int4, int4, jsonb
inline constexpr const char* queue_delete_sql = "SELECT pgmq.delete($1, $2)";             // text, int8
inline constexpr const char* queue_delete_batch_sql = "SELECT * FROM pgmq.delete($1, $2)";  // text, int8[]

/// What one measurement took: wall-clock seconds, and CPU seconds (user + system, all threads)
/// this client process spent in the same span. The server's work shows in the first only, so
/// the second is the cost of the client library itself and is far less disturbed by a busy host.
struct timing {
    double wall = 0;
    double cpu = 0;
};

/// Starts at construction; elapsed() reads both clocks.
class stopwatch {
public:
    stopwatch() : cpu0_(cpu_now()), wall0_(std::chrono::steady_clock::now()) {}
    timing elapsed() const {
        auto wall = std::chrono::steady_clock::now();
        return {std::chrono::duration<double>(wall - wall0_).count(), cpu_now() - cpu0_};
    }

private:
    static double cpu_now() {
        rusage ru{};
        ::getrusage(RUSAGE_SELF, &ru);
        auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
        return sec(ru.ru_utime) + sec(ru.ru_stime);
    }
    double cpu0_;
    std::chrono::steady_clock::time_point wall0_;
};

/// Marks a workload function: kept out of line so a profiler can collect exactly its span
/// (valgrind --tool=callgrind --toggle-collect='*pipelined_inserts*').
#define BENCH_MEASURED [[gnu::noinline]]

// ---- workloads and clients ----

enum class workload {
    w1_single_inserts, w2_bulk_insert, w3_fetch_all, w4_point_selects, w5_pipeline, w6_skip_locked,
    w7_queue_single, w7_queue_batch,
    w8_events, w8_events_xmin, w9_bus_1, w9_bus_4
};
enum class client { libpq, libpqxx, pgorm, pgorm_core };

inline constexpr workload all_workloads[] = {workload::w1_single_inserts, workload::w2_bulk_insert,
                                             workload::w3_fetch_all,      workload::w4_point_selects,
                                             workload::w5_pipeline,       workload::w6_skip_locked,
                                             workload::w7_queue_single,   workload::w7_queue_batch,
                                             workload::w8_events,         workload::w8_events_xmin,
                                             workload::w9_bus_1,          workload::w9_bus_4};
inline constexpr client all_clients[] = {client::libpq, client::libpqxx, client::pgorm, client::pgorm_core};

/// W8 (the event store, w8_events.cpp) is measured against hand-written libpq only.
inline bool is_w8(workload w) { return w == workload::w8_events || w == workload::w8_events_xmin; }

/// pgorm's core variant runs W5 through the same pipeline as the application variant: skipped.
/// W9 (the command bus) runs on pgorm's bus and on the same server functions through raw libpq.
inline bool is_w9(workload w) { return w == workload::w9_bus_1 || w == workload::w9_bus_4; }
inline bool runs(client c, workload w) {
    if (is_w8(w) || is_w9(w)) return c == client::libpq || c == client::pgorm;
    return !(c == client::pgorm_core && w == workload::w5_pipeline);
}

inline std::string_view name_of(workload w) {
    switch (w) {
        case workload::w1_single_inserts: return "W1";
        case workload::w2_bulk_insert: return "W2";
        case workload::w3_fetch_all: return "W3";
        case workload::w4_point_selects: return "W4";
        case workload::w5_pipeline: return "W5";
        case workload::w6_skip_locked: return "W6";
        case workload::w7_queue_single: return "W7";
        case workload::w7_queue_batch: return "W7x100";
        case workload::w8_events: return "W8";
        case workload::w8_events_xmin: return "W8xmin";
        case workload::w9_bus_1: return "W9";
        case workload::w9_bus_4: return "W9x4";
    }
    return "?";
}
inline std::string_view describe(workload w) {
    switch (w) {
        case workload::w1_single_inserts: return "single-row inserts, one transaction";
        case workload::w2_bulk_insert: return "bulk insert";
        case workload::w3_fetch_all: return "fetch all rows into structs";
        case workload::w4_point_selects: return "prepared point selects by key, autocommit";
        case workload::w5_pipeline: return "inserts as one pipelined batch";
        case workload::w6_skip_locked: return "jobs claimed by 2 workers (SKIP LOCKED) and deleted";
        case workload::w7_queue_single: return "queue send + read + delete, one message per call";
        case workload::w7_queue_batch: return "queue send + read + delete, batches of 100";
        case workload::w8_events: return "event store publish + claim + ack, 2 consumers";
        case workload::w8_events_xmin: return "W8 while a transaction holds the xmin horizon";
        case workload::w9_bus_1: return "command bus send -> worker -> COMPLETED + audit + reply, 1 worker";
        case workload::w9_bus_4: return "command bus send -> worker -> COMPLETED + audit + reply, 4 workers";
    }
    return "?";
}
inline std::string_view name_of(client c) {
    switch (c) {
        case client::libpq: return "libpq";
        case client::libpqxx: return "libpqxx";
        case client::pgorm: return "pgorm";
        case client::pgorm_core: return "pgorm-core";
    }
    return "?";
}

/// One measurement: a workload, a client, a database and the row count.
struct job_spec {
    workload what;
    std::string url;  // conninfo or URL of the scratch database
    int rows;           // rows (or lookups, or jobs) this workload moves
    int populated = 0;  // W4: rows in bench_users the lookups draw from
};

/// Each client runs the workload and returns what it took (connect time excluded, statement
/// preparation included). Data set-up happens before, outside the timer.
timing run_libpq(const job_spec& job);
timing run_libpqxx(const job_spec& job);
timing run_pgorm(const job_spec& job);       // repository, generated queries, pipeline
timing run_pgorm_core(const job_spec& job);  // connection::execute, query<T>, query_one<T>
/// True when W3/W4 run through pgorm-gen's functions (else through the repository).
bool pgorm_uses_generated();
/// W8 and W8xmin (w8_events.cpp): event_store, and the same statements on raw libpq.
timing run_w8_pgorm(const job_spec& job);
timing run_w8_libpq(const job_spec& job);

/// W8's server-side state, kept by the parent: an empty events table before each run, for
/// W8xmin a session holding a transaction with an xid across the run, and the table's
/// n_dead_tup and throughput after it (report() prints them).
class w8_fixture {
public:
    explicit w8_fixture(const std::string& url);
    void before(workload w);
    void after(workload w, client c, int rows, const timing& took);  // throws unless every event was processed
    void report() const;

private:
    struct run {
        double rate;         // events per second
        std::int64_t dead;   // n_dead_tup right after the run
        std::int64_t kept;   // n_dead_tup after a VACUUM then: dead versions the horizon kept
        std::int64_t pages;  // heap pages after the run
    };
    std::string url_;
    pgorm::connection db_;
    std::optional<pgorm::connection> holder_;
    std::int64_t updates_before_ = 0;
    std::map<std::pair<workload, client>, std::vector<run>> runs_;
};
timing run_w9(const job_spec& job, client who);  // bench/w9_bus.cpp

// ---- data ----

/// 2024-01-01 00:00:00 UTC, the first row's created_at.
inline const pgorm::timestamptz base_time{std::chrono::sys_days{std::chrono::year{2024} / 1 / 1}};

/// Microseconds since PostgreSQL's epoch (2000-01-01 UTC): timestamptz on the wire.
inline std::int64_t pg_micros(pgorm::timestamptz t) {
    return t.time_since_epoch().count() - 946'684'800'000'000;
}
inline pgorm::timestamptz from_pg_micros(std::int64_t us) {
    return pgorm::timestamptz{std::chrono::microseconds{us + 946'684'800'000'000}};
}

/// The i-th user row; every client inserts exactly these values.
inline user make_user(int i) {
    user u;
    u.id = "usr_" + std::to_string(1'000'000 + i);
    u.email = "user" + std::to_string(i) + "@example.com";
    if (i % 3 != 0) u.name = "User Number " + std::to_string(i);
    u.credits = (static_cast<std::int64_t>(i) * 7919) % 100'000;
    u.active = i % 2 == 0;
    u.created_at = base_time + std::chrono::seconds{i};
    return u;
}
inline std::vector<user> make_users(int n) {
    std::vector<user> v;
    v.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v.push_back(make_user(i));
    return v;
}

/// Ids the point selects look up: a fixed pseudo-random walk over the populated rows.
inline std::vector<std::string> lookup_ids(int lookups, int populated) {
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(lookups));
    std::uint64_t x = 88172645463325252ull;
    for (int i = 0; i < lookups; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ids.push_back("usr_" + std::to_string(1'000'000 + static_cast<int>(x % static_cast<std::uint64_t>(populated))));
    }
    return ids;
}

// Text form of a timestamp for libpqxx, which moves every value as text (session TimeZone is UTC).
inline std::string to_text(pgorm::timestamptz t) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss<microseconds> hms{t - day};
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d.%06d+00", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
    return buf;
}
/// Parses "YYYY-MM-DD HH:MM:SS[.ffffff]+00", the text PostgreSQL sends with TimeZone UTC.
inline pgorm::timestamptz from_text(std::string_view s) {
    auto num = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t k = pos; k < pos + len && k < s.size(); ++k) v = v * 10 + (s[k] - '0');
        return v;
    };
    using namespace std::chrono;
    if (s.size() < 19) throw std::runtime_error("bench: bad timestamp text: " + std::string(s));
    sys_days d{year{num(0, 4)} / month{static_cast<unsigned>(num(5, 2))} / day{static_cast<unsigned>(num(8, 2))}};
    std::int64_t frac = 0;
    if (s.size() > 19 && s[19] == '.') {
        std::size_t k = 20;
        int digits = 0;
        for (; k < s.size() && s[k] >= '0' && s[k] <= '9'; ++k, ++digits) frac = frac * 10 + (s[k] - '0');
        for (; digits < 6; ++digits) frac *= 10;
    }
    return pgorm::timestamptz{d} + hours{num(11, 2)} + minutes{num(14, 2)} + seconds{num(17, 2)} + microseconds{frac};
}

/// The i-th queue message; every client sends exactly these bodies.
inline order make_order(int i) {
    return {1'000'000 + i, "SKU-" + std::to_string(100'000 + i % 5'000), 1 + i % 7};
}

/// W7's messages per call: 1, or 100 for W7x100 (send_batch, read qty 100, delete of an id array).
inline int queue_batch_size(workload w) { return w == workload::w7_queue_batch ? 100 : 1; }

/// Sum of the decoded fields of the first n messages: a client that read every message exactly
/// once, and decoded each body, arrives at the same number.
inline std::int64_t order_checksum(const order& o) {
    return o.seq + static_cast<std::int64_t>(o.sku.size()) * 1'000 + o.quantity;
}
inline std::int64_t expected_order_checksum(int n) {
    std::int64_t sum = 0;
    for (int i = 0; i < n; ++i) sum += order_checksum(make_order(i));
    return sum;
}

/// What a W7 run took apart from its clock: messages read back and their checksum.
struct queue_tally {
    int received = 0;
    std::int64_t checksum = 0;
    void add(const order& o) {
        ++received;
        checksum += order_checksum(o);
    }
    /// Throws unless every message came back exactly once with its body intact.
    void verify(int n, std::string_view client_name) const {
        if (received != n || checksum != expected_order_checksum(n))
            throw std::runtime_error(std::string(client_name) + ": read " + std::to_string(received) + " of " +
                                     std::to_string(n) + " queue messages (checksum " + std::to_string(checksum) +
                                     ", expected " + std::to_string(expected_order_checksum(n)) + ")");
    }
};

/// What a workload sends (W1, W2, W5: rows; W7: messages) or looks up (W4: keys), made before the clock starts.
struct workload_inputs {
    std::vector<user> users;
    std::vector<std::string> ids;
    std::vector<order> orders;
    explicit workload_inputs(const job_spec& job) {
        if (job.what == workload::w1_single_inserts || job.what == workload::w2_bulk_insert ||
            job.what == workload::w5_pipeline)
            users = make_users(job.rows);
        if (job.what == workload::w4_point_selects) ids = lookup_ids(job.rows, job.populated);
        if (job.what == workload::w7_queue_single || job.what == workload::w7_queue_batch) {
            orders.reserve(static_cast<std::size_t>(job.rows));
            for (int i = 0; i < job.rows; ++i) orders.push_back(make_order(i));
        }
    }
};

/// W6 for every client alike: `claim(a)` and `claim(b)` run at once, on two connections, until no
/// job is left; each returns how many it took. Throws unless every job was taken exactly once.
template <class Conn, class Claim>
timing claim_with_two_workers(Conn& a, Conn& b, int expected, std::string_view client_name, Claim claim) {
    int na = 0, nb = 0;
    std::exception_ptr err;
    stopwatch t0;
    std::thread other([&] {
        try {
            nb = claim(b);
        } catch (...) {
            err = std::current_exception();
        }
    });
    na = claim(a);
    other.join();
    timing s = t0.elapsed();
    if (err) std::rethrow_exception(err);
    if (na + nb != expected)
        throw std::runtime_error(std::string(client_name) + ": claimed " + std::to_string(na + nb) + " of " +
                                 std::to_string(expected) + " jobs");
    return s;
}

}  // namespace bench
