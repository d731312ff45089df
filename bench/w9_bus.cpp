// W9: the command bus end to end (docs/bus.md, docs/performance.md). One producer sends the
// commands in send_batch calls of 100 (each with reply_to) while a worker with 1 or 4 threads
// runs a 0 ms handler; the clock runs from the first send until every command is COMPLETED with
// its RECEIVED/COMPLETED audit rows and its reply. The fixture in main.cpp checks those counts.
//
// pgorm: bus::command_bus + bus::worker. libpq: the same server functions (the domain's own
// commandbus."bench__send", "bench__claim", "bench__settle", bus schema version 4) called by hand
// with text parameters, one connection per thread, polling every
// millisecond when the queue is empty; the ratio is the bus library's client cost over that.

#include "common.hpp"

#include <pgorm/bus.hpp>

#include <boost/uuid/uuid_io.hpp>
#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>
#include <memory>

namespace bench {
namespace {

constexpr const char* domain = "bench";
constexpr int send_chunk = 100;
constexpr int claim_chunk = 32;

struct bus_work {
    std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(bus_work, (), (n))

int threads_of(workload w) { return w == workload::w9_bus_4 ? 4 : 1; }

BENCH_MEASURED timing pgorm_bus(const job_spec& job) {
    namespace bus = pgorm::bus;
    pgorm::pool_options po;
    po.max_size = static_cast<std::size_t>(threads_of(job.what) + 2);
    pgorm::pool pool(job.url, po);
    bus::handler_registry handlers;
    handlers.on<bus_work>(domain, "Noop", [](const bus_work& w, bus::handler_context&) { return bus_work{w.n}; });
    bus::worker_options wo;
    wo.concurrency = threads_of(job.what);
    wo.batch_size = claim_chunk;
    wo.poll_interval = std::chrono::milliseconds(50);
    bus::worker worker(pool, domain, handlers, wo);
    bus::command_bus commands;
    bus::command_options co;
    co.reply_to = bus::replies_queue(domain);

    stopwatch clock;
    worker.start();
    {
        auto h = pool.acquire();
        for (int i = 0; i < job.rows; i += send_chunk) {
            std::vector<bus::outgoing_command<bus_work>> chunk;
            for (int k = i; k < std::min(job.rows, i + send_chunk); ++k)
                chunk.push_back({"Noop", bus::new_id(), bus_work{k}, co});
            commands.send_batch(h, domain, chunk);
        }
    }
    // Checked every 5 ms: finer polling cost measurable client CPU (about 14 us per command at
    // 0.5 ms) for under 0.1 % of wall-clock precision.
    while (worker.stats().completed < static_cast<std::size_t>(job.rows))
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    timing t = clock.elapsed();
    worker.stop();
    if (!worker.last_error().empty()) throw std::runtime_error("bus worker: " + worker.last_error());
    return t;
}

// ---- the same flow on raw libpq ----

using pg_conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using pg_result = std::unique_ptr<PGresult, decltype(&PQclear)>;

pg_conn open(const std::string& url) {
    pg_conn c(PQconnectdb(url.c_str()), PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c.get()));
    return c;
}

pg_result call(PGconn* c, const char* sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (auto& p : params) values.push_back(p.c_str());
    pg_result r(PQexecParams(c, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0),
                PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK && PQresultStatus(r.get()) != PGRES_COMMAND_OK)
        throw std::runtime_error(std::string("libpq W9: ") + PQerrorMessage(c));
    return r;
}

// A jsonb array element inside an array literal: quoted, with its quotes escaped.
void append_json_element(std::string& out, std::string_view json) {
    out += '"';
    for (char ch : json) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    out += '"';
}

// A version 4 uuid in text, from the same generator the bus uses.
std::string uuid_text() { return boost::uuids::to_string(pgorm::bus::new_id()); }

void libpq_send(PGconn* c, int from, int to) {
    std::string types = "{", ids = "{", data = "{", max = "{", reply = "{", corr = "{";
    for (int k = from; k < to; ++k) {
        const char* sep = k == from ? "" : ",";
        types += sep, ids += sep, data += sep, max += sep, reply += sep, corr += sep;
        types += "Noop";
        ids += uuid_text();
        append_json_element(data, "{\"n\":" + std::to_string(k) + "}");
        max += "3";
        reply += "bench__replies";
        corr += "NULL";
    }
    for (auto* s : {&types, &ids, &data, &max, &reply, &corr}) *s += '}';
    call(c, "SELECT * FROM commandbus.bench__send($1, $2, $3, $4, $5, $6, $7, NULL)",
         {types, ids, data, max, reply, corr, "0"});
}

// One worker thread: claim, run the 0 ms handler on each row, settle; poll when idle.
void libpq_worker(const std::string& url, std::atomic<int>& done, int total) {
    pg_conn c = open(url);
    while (done.load() < total) {
        pg_result r = call(c.get(),
                           "SELECT command_id, attempt, data FROM commandbus.bench__claim(30, $1)",
                           {std::to_string(claim_chunk)});
        const int rows = PQntuples(r.get());
        if (rows == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            continue;
        }
        std::string ids = "{", attempts = "{", results = "{";
        for (int i = 0; i < rows; ++i) {
            const char* sep = i == 0 ? "" : ",";
            ids += sep, attempts += sep, results += sep;
            ids += PQgetvalue(r.get(), i, 0);
            attempts += PQgetvalue(r.get(), i, 1);
            // The handler: read n from {"n": k} and return it.
            std::string_view body = PQgetvalue(r.get(), i, 2);
            auto colon = body.find(':');
            long long n = colon == std::string_view::npos ? 0 : std::atoll(body.data() + colon + 1);
            append_json_element(results, "{\"n\": " + std::to_string(n) + "}");
        }
        ids += '}', attempts += '}', results += '}';
        call(c.get(), "SELECT * FROM commandbus.bench__settle($1, $2, $3, '{}', '{}', '{}', '{}', '{}', '{}')",
             {ids, attempts, results});
        done += rows;
    }
}

BENCH_MEASURED timing libpq_bus(const job_spec& job) {
    pg_conn producer = open(job.url);
    std::atomic<int> done{0};
    stopwatch clock;
    {
        std::vector<std::jthread> workers;
        for (int i = 0; i < threads_of(job.what); ++i)
            workers.emplace_back([&] { libpq_worker(job.url, done, job.rows); });
        for (int i = 0; i < job.rows; i += send_chunk) libpq_send(producer.get(), i, std::min(job.rows, i + send_chunk));
    }
    return clock.elapsed();
}

}  // namespace

timing run_w9(const job_spec& job, client who) {
    if (who == client::pgorm) return pgorm_bus(job);
    if (who == client::libpq) return libpq_bus(job);
    throw std::runtime_error("W9 runs on pgorm and libpq only");
}

}  // namespace bench
