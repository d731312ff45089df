// pgorm: the same workloads through the typed layer. Rows go in and come out as `bench::user`
// structs; pgorm encodes, prepares, caches and maps.

#include "common.hpp"

#include <pgorm/core/copy.hpp>
#include <pgorm/core/pipeline.hpp>

#include <stdexcept>
#include <thread>

namespace bench {
namespace {

using pgorm::connection;

BENCH_MEASURED timing single_inserts(connection& c, const std::vector<user>& users) {
    stopwatch t0;
    c.exec("BEGIN");
    for (const auto& u : users) c.execute(insert_user_sql, u.id, u.email, u.name, u.credits, u.active, u.created_at);
    c.exec("COMMIT");
    return t0.elapsed();
}

// Binary COPY of every column of table<user>.
BENCH_MEASURED timing bulk_insert(connection& c, const std::vector<user>& users) {
    stopwatch t0;
    std::int64_t stored = pgorm::copy_in(c, users);
    timing s = t0.elapsed();
    if (stored != static_cast<std::int64_t>(users.size()))
        throw std::runtime_error("pgorm: COPY stored " + std::to_string(stored) + " rows");
    return s;
}

BENCH_MEASURED timing fetch_all(connection& c, int expected) {
    stopwatch t0;
    std::vector<user> out = c.query<user>(select_all_sql);
    timing s = t0.elapsed();
    if (static_cast<int>(out.size()) != expected)
        throw std::runtime_error("pgorm: fetched " + std::to_string(out.size()) + " rows");
    return s;
}

BENCH_MEASURED timing point_selects(connection& c, const std::vector<std::string>& ids) {
    stopwatch t0;
    std::size_t found = 0;
    for (const auto& id : ids)
        if (auto u = c.query_one<user>(select_by_id_sql, id)) ++found;
    timing s = t0.elapsed();
    if (found != ids.size()) throw std::runtime_error("pgorm: point selects found " + std::to_string(found));
    return s;
}

// One pipeline batch: every insert queued, one Sync, one implicit transaction.
BENCH_MEASURED timing pipelined_inserts(connection& c, const std::vector<user>& users) {
    stopwatch t0;
    pgorm::pipeline p(c);
    for (const auto& u : users) p.execute(insert_user_sql, u.id, u.email, u.name, u.credits, u.active, u.created_at);
    std::vector<pgorm::result> done = p.sync();
    timing s = t0.elapsed();
    if (done.size() != users.size()) throw std::runtime_error("pgorm: pipeline returned " + std::to_string(done.size()));
    return s;
}

BENCH_MEASURED int claim_jobs(connection& c) {
    int done = 0;
    for (;;) {
        c.exec("BEGIN");
        auto j = c.query_one<job>(claim_job_sql);
        if (!j) {
            c.exec("COMMIT");
            return done;
        }
        c.execute(delete_job_sql, j->id);
        c.exec("COMMIT");
        ++done;
    }
}

}  // namespace

timing run_pgorm(const job_spec& job) {
    std::vector<user> users;
    std::vector<std::string> ids;
    if (job.what == workload::w1_single_inserts || job.what == workload::w2_bulk_insert ||
        job.what == workload::w5_pipeline)
        users = make_users(job.rows);
    if (job.what == workload::w4_point_selects) ids = lookup_ids(job.rows, job.populated);

    if (job.what == workload::w6_skip_locked) {
        connection a(job.url), b(job.url);
        int na = 0, nb = 0;
        std::exception_ptr err;
        stopwatch t0;
        std::thread other([&] {
            try {
                nb = claim_jobs(b);
            } catch (...) {
                err = std::current_exception();
            }
        });
        na = claim_jobs(a);
        other.join();
        timing s = t0.elapsed();
        if (err) std::rethrow_exception(err);
        if (na + nb != job.rows) throw std::runtime_error("pgorm: claimed " + std::to_string(na + nb) + " jobs");
        return s;
    }

    connection c(job.url);
    switch (job.what) {
        case workload::w1_single_inserts: return single_inserts(c, users);
        case workload::w2_bulk_insert: return bulk_insert(c, users);
        case workload::w3_fetch_all: return fetch_all(c, job.rows);
        case workload::w4_point_selects: return point_selects(c, ids);
        case workload::w5_pipeline: return pipelined_inserts(c, users);
        case workload::w6_skip_locked: break;
    }
    return {};
}

}  // namespace bench
