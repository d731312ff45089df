// pgorm: the same workloads through the typed layer. Rows go in and come out as `bench::user`
// structs; pgorm encodes, prepares, caches and maps.

#include "common.hpp"

#include <stdexcept>
#include <thread>

namespace bench {
namespace {

using pgorm::connection;

double single_inserts(connection& c, const std::vector<user>& users) {
    auto t0 = std::chrono::steady_clock::now();
    c.exec("BEGIN");
    for (const auto& u : users) c.execute(insert_user_sql, u.id, u.email, u.name, u.credits, u.active, u.created_at);
    c.exec("COMMIT");
    return seconds_since(t0);
}

// Multi-row INSERT statements of up to 1000 rows built with a param_list (core path).
double bulk_insert(connection& c, const std::vector<user>& users) {
    auto t0 = std::chrono::steady_clock::now();
    constexpr std::size_t chunk = 1000;
    auto statement = [](std::size_t rows) {
        std::string sql = "INSERT INTO bench_users (id, email, name, credits, active, created_at) VALUES ";
        for (std::size_t r = 0; r < rows; ++r) {
            sql += r ? ", (" : "(";
            for (std::size_t k = 0; k < 6; ++k) {
                sql += k ? ", $" : "$";
                sql += std::to_string(r * 6 + k + 1);
            }
            sql += ')';
        }
        return sql;
    };
    const std::string full = statement(chunk);
    pgorm::param_list params;
    c.exec("BEGIN");
    for (std::size_t at = 0; at < users.size(); at += chunk) {
        std::size_t n = std::min(chunk, users.size() - at);
        params.clear();
        for (std::size_t i = at; i < at + n; ++i) {
            const user& u = users[i];
            params.add(u.id);
            params.add(u.email);
            params.add(u.name);
            params.add(u.credits);
            params.add(u.active);
            params.add(u.created_at);
        }
        if (n == chunk) c.execute_params(full, params);
        else c.execute_params(statement(n), params);
    }
    c.exec("COMMIT");
    return seconds_since(t0);
}

double fetch_all(connection& c, int expected) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<user> out = c.query<user>(select_all_sql);
    double s = seconds_since(t0);
    if (static_cast<int>(out.size()) != expected)
        throw std::runtime_error("pgorm: fetched " + std::to_string(out.size()) + " rows");
    return s;
}

double point_selects(connection& c, const std::vector<std::string>& ids) {
    auto t0 = std::chrono::steady_clock::now();
    std::size_t found = 0;
    for (const auto& id : ids)
        if (auto u = c.query_one<user>(select_by_id_sql, id)) ++found;
    double s = seconds_since(t0);
    if (found != ids.size()) throw std::runtime_error("pgorm: point selects found " + std::to_string(found));
    return s;
}

// No pipeline batch in core yet: one transaction of prepared inserts, one round trip each.
double pipelined_inserts(connection& c, const std::vector<user>& users) { return single_inserts(c, users); }

int claim_jobs(connection& c) {
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

double run_pgorm(const job_spec& job) {
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
        auto t0 = std::chrono::steady_clock::now();
        std::thread other([&] {
            try {
                nb = claim_jobs(b);
            } catch (...) {
                err = std::current_exception();
            }
        });
        na = claim_jobs(a);
        other.join();
        double s = seconds_since(t0);
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
    return 0;
}

}  // namespace bench
