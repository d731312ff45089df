// pgorm: the same workloads through the typed layer. Rows go in and come out as structs; pgorm
// encodes, prepares, caches and maps.
//
// Two variants: `run_pgorm` is what an application writes (repository<T>, the functions pgorm-gen
// generates from bench/queries.sql, pipeline batches); `run_pgorm_core` is the layer under it
// (connection::execute, query<T>, query_one<T>), to show what the upper layer costs.

#include "common.hpp"

#include <pgorm/core/copy.hpp>
#include <pgorm/core/pipeline.hpp>
#include <pgorm/queue/client.hpp>
#include <pgorm/repo/repository.hpp>

#ifdef PGORM_BENCH_GENERATED
#include "bench_queries.hpp"
#endif

#include <algorithm>
#include <span>
#include <stdexcept>

namespace bench {
namespace {

using pgorm::connection;

// ---- application level: repository, generated queries, pipeline

BENCH_MEASURED timing repo_inserts(connection& c, const std::vector<user>& users) {
    stopwatch t0;
    pgorm::repository<user> repo(c);
    c.execute_script("BEGIN");
    for (const auto& u : users) repo.insert_without_returning(u);  // INSERT without RETURNING, as the other clients send
    c.execute_script("COMMIT");
    return t0.elapsed();
}

BENCH_MEASURED timing repo_bulk_insert(connection& c, const std::vector<user>& users) {
    stopwatch t0;
    std::int64_t stored = pgorm::repository<user>(c).insert_many(users);
    timing s = t0.elapsed();
    if (stored != static_cast<std::int64_t>(users.size()))
        throw std::runtime_error("pgorm: insert_many stored " + std::to_string(stored) + " rows");
    return s;
}

#ifdef PGORM_BENCH_GENERATED
BENCH_MEASURED timing generated_fetch_all(connection& c, int expected) {
    stopwatch t0;
    std::vector<db::BenchUser> out = db::list_users(c);
    timing s = t0.elapsed();
    if (static_cast<int>(out.size()) != expected)
        throw std::runtime_error("pgorm: fetched " + std::to_string(out.size()) + " rows");
    return s;
}

BENCH_MEASURED timing generated_point_selects(connection& c, const std::vector<std::string>& ids) {
    stopwatch t0;
    std::size_t found = 0;
    for (const auto& id : ids)
        if (auto u = db::get_user(c, id)) ++found;
    timing s = t0.elapsed();
    if (found != ids.size()) throw std::runtime_error("pgorm: point selects found " + std::to_string(found));
    return s;
}
#else
// Without pgorm-gen in the build: the repository's find() and get().
BENCH_MEASURED timing generated_fetch_all(connection& c, int expected) {
    stopwatch t0;
    std::vector<user> out = pgorm::repository<user>(c).find();
    timing s = t0.elapsed();
    if (static_cast<int>(out.size()) != expected)
        throw std::runtime_error("pgorm: fetched " + std::to_string(out.size()) + " rows");
    return s;
}

BENCH_MEASURED timing generated_point_selects(connection& c, const std::vector<std::string>& ids) {
    stopwatch t0;
    pgorm::repository<user> repo(c);
    std::size_t found = 0;
    for (const auto& id : ids)
        if (auto u = repo.get(id)) ++found;
    timing s = t0.elapsed();
    if (found != ids.size()) throw std::runtime_error("pgorm: point selects found " + std::to_string(found));
    return s;
}
#endif

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

#ifdef PGORM_BENCH_GENERATED
// The generated ClaimJob (bench/queries.sql: FOR UPDATE SKIP LOCKED, LIMIT 1 in its text) takes
// the first unlocked job; the repository's remove() deletes it.
BENCH_MEASURED int repo_claim_jobs(connection& c) {
    pgorm::repository<job> jobs(c);
    int done = 0;
    for (;;) {
        c.execute_script("BEGIN");
        auto claimed = db::claim_job(c);
        if (!claimed) {
            c.execute_script("COMMIT");
            return done;
        }
        jobs.remove(claimed->id);
        c.execute_script("COMMIT");
        ++done;
    }
}
#else
// Without pgorm-gen: find() with FOR UPDATE SKIP LOCKED takes the first unlocked job. Its LIMIT
// is a bound parameter, which makes the server plan the statement on every execution.
BENCH_MEASURED int repo_claim_jobs(connection& c) {
    pgorm::repository<job> jobs(c);
    const auto oldest = pgorm::order_by(&job::id).limit(1);  // a constant clause, built once as a worker would
    constexpr auto unlocked = pgorm::for_update.skip_locked();
    int done = 0;
    for (;;) {
        c.execute_script("BEGIN");
        auto claimed = jobs.find({}, oldest, unlocked);
        if (claimed.empty()) {
            c.execute_script("COMMIT");
            return done;
        }
        jobs.remove(claimed.front().id);
        c.execute_script("COMMIT");
        ++done;
    }
}
#endif

// W7 through queue::client<order>: send / send_batch, read, remove.
BENCH_MEASURED timing queue_cycle(connection& c, const std::vector<order>& orders, int batch) {
    stopwatch t0;
    pgorm::queue::client<order> q(c, queue_name);
    const std::span<const order> all(orders);
    queue_tally got;
    std::vector<std::int64_t> ids;
    for (std::size_t at = 0; at < all.size(); at += static_cast<std::size_t>(batch)) {
        const std::size_t end = std::min(all.size(), at + static_cast<std::size_t>(batch));
        if (batch == 1) q.send(all[at]);
        else q.send_batch(all.subspan(at, end - at));
        while (got.received < static_cast<int>(end)) {
            auto msgs = q.read(std::chrono::seconds(queue_vt_seconds), batch);
            if (msgs.empty()) throw std::runtime_error("pgorm: pgmq.read found no message");
            ids.clear();
            for (const auto& m : msgs) {
                got.add(m.message);
                ids.push_back(m.msg_id);
            }
            const bool all_deleted = batch == 1 ? q.remove(ids.front()) : q.remove(ids).size() == ids.size();
            if (!all_deleted) throw std::runtime_error("pgorm: pgmq.delete missed a message");
        }
    }
    timing s = t0.elapsed();
    got.verify(static_cast<int>(orders.size()), "pgorm");
    return s;
}

// ---- core level: connection::execute, query<T>, query_one<T>, copy_in

BENCH_MEASURED timing core_inserts(connection& c, const std::vector<user>& users) {
    stopwatch t0;
    c.execute_script("BEGIN");
    for (const auto& u : users) c.execute(insert_user_sql, u.id, u.email, u.name, u.credits, u.active, u.created_at);
    c.execute_script("COMMIT");
    return t0.elapsed();
}

BENCH_MEASURED timing core_bulk_insert(connection& c, const std::vector<user>& users) {
    stopwatch t0;
    std::int64_t stored = pgorm::copy_in(c, users);
    timing s = t0.elapsed();
    if (stored != static_cast<std::int64_t>(users.size()))
        throw std::runtime_error("pgorm: COPY stored " + std::to_string(stored) + " rows");
    return s;
}

BENCH_MEASURED timing core_fetch_all(connection& c, int expected) {
    stopwatch t0;
    std::vector<user> out = c.query<user>(select_all_sql);
    timing s = t0.elapsed();
    if (static_cast<int>(out.size()) != expected)
        throw std::runtime_error("pgorm: fetched " + std::to_string(out.size()) + " rows");
    return s;
}

BENCH_MEASURED timing core_point_selects(connection& c, const std::vector<std::string>& ids) {
    stopwatch t0;
    std::size_t found = 0;
    for (const auto& id : ids)
        if (auto u = c.query_one<user>(select_by_id_sql, id)) ++found;
    timing s = t0.elapsed();
    if (found != ids.size()) throw std::runtime_error("pgorm: point selects found " + std::to_string(found));
    return s;
}

BENCH_MEASURED int core_claim_jobs(connection& c) {
    int done = 0;
    for (;;) {
        c.execute_script("BEGIN");
        auto j = c.query_one<job>(claim_job_sql);
        if (!j) {
            c.execute_script("COMMIT");
            return done;
        }
        c.execute(delete_job_sql, j->id);
        c.execute_script("COMMIT");
        ++done;
    }
}

// W7 on the core: the same SQL texts through connection::execute, bodies as jsonb<order>.
BENCH_MEASURED timing core_queue_cycle(connection& c, const std::vector<order>& orders, int batch) {
    stopwatch t0;
    const std::string_view name = queue_name;
    std::vector<pgorm::jsonb<order>> bodies;
    queue_tally got;
    std::vector<std::int64_t> ids;
    const pgorm::jsonb_text no_condition("{}");
    for (std::size_t at = 0; at < orders.size(); at += static_cast<std::size_t>(batch)) {
        const std::size_t end = std::min(orders.size(), at + static_cast<std::size_t>(batch));
        if (batch == 1) {
            c.execute(queue_send_sql, name, pgorm::jsonb<order>(orders[at]), std::int32_t(0));
        } else {
            bodies.assign(orders.begin() + static_cast<std::ptrdiff_t>(at), orders.begin() + static_cast<std::ptrdiff_t>(end));
            c.execute(queue_send_batch_sql, name, bodies, std::int32_t(0));
        }
        while (got.received < static_cast<int>(end)) {
            pgorm::result r =
                c.execute(queue_read_sql, name, std::int32_t(queue_vt_seconds), std::int32_t(batch), no_condition);
            if (r.empty()) throw std::runtime_error("pgorm-core: pgmq.read found no message");
            ids.clear();
            for (int i = 0; i < r.size(); ++i) {  // message_record: msg_id first, message sixth
                got.add(r.get<pgorm::jsonb<order>>(i, 5).value());
                ids.push_back(r.get<std::int64_t>(i, 0));
            }
            const bool all_deleted = batch == 1 ? c.query_value<bool>(queue_delete_sql, name, ids.front())
                                                : c.execute(queue_delete_batch_sql, name, ids).size() == r.size();
            if (!all_deleted) throw std::runtime_error("pgorm-core: pgmq.delete missed a message");
        }
    }
    timing s = t0.elapsed();
    got.verify(static_cast<int>(orders.size()), "pgorm-core");
    return s;
}

timing two_workers(const job_spec& job, int (*claim)(connection&)) {
    connection a(job.url), b(job.url);
    return claim_with_two_workers(a, b, job.rows, "pgorm", claim);
}


}  // namespace

timing run_pgorm(const job_spec& job) {
    workload_inputs in(job);
    if (job.what == workload::w6_skip_locked) return two_workers(job, repo_claim_jobs);
    connection c(job.url);
    switch (job.what) {
        case workload::w1_single_inserts: return repo_inserts(c, in.users);
        case workload::w2_bulk_insert: return repo_bulk_insert(c, in.users);
        case workload::w3_fetch_all: return generated_fetch_all(c, job.rows);
        case workload::w4_point_selects: return generated_point_selects(c, in.ids);
        case workload::w5_pipeline: return pipelined_inserts(c, in.users);
        case workload::w6_skip_locked: break;
        case workload::w8_events: case workload::w8_events_xmin: break;  // w8_events.cpp
        case workload::w9_bus_1:
        case workload::w9_bus_4: break;  // bench/w9_bus.cpp
        case workload::w7_queue_single:
        case workload::w7_queue_batch: return queue_cycle(c, in.orders, queue_batch_size(job.what));
    }
    return {};
}

timing run_pgorm_core(const job_spec& job) {
    workload_inputs in(job);
    if (job.what == workload::w6_skip_locked) return two_workers(job, core_claim_jobs);
    connection c(job.url);
    switch (job.what) {
        case workload::w1_single_inserts: return core_inserts(c, in.users);
        case workload::w2_bulk_insert: return core_bulk_insert(c, in.users);
        case workload::w3_fetch_all: return core_fetch_all(c, job.rows);
        case workload::w4_point_selects: return core_point_selects(c, in.ids);
        case workload::w5_pipeline: return pipelined_inserts(c, in.users);
        case workload::w6_skip_locked: break;
        case workload::w8_events: case workload::w8_events_xmin: break;  // w8_events.cpp
        case workload::w9_bus_1:
        case workload::w9_bus_4: break;  // bench/w9_bus.cpp
        case workload::w7_queue_single:
        case workload::w7_queue_batch: return core_queue_cycle(c, in.orders, queue_batch_size(job.what));
    }
    return {};
}

bool pgorm_uses_generated() {
#ifdef PGORM_BENCH_GENERATED
    return true;
#else
    return false;
#endif
}

}  // namespace bench
