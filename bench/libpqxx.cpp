// What users pick today: libpqxx 6.4 (Debian 12's libpqxx-dev), used the way its documentation
// shows. libpqxx moves every value as text, so the timestamp is formatted and parsed here.

#include "common.hpp"

#include <pqxx/pqxx>

#include <stdexcept>

namespace bench {
namespace {

void read_user(const pqxx::row& row, user& u) {
    u.id = row[0].c_str();
    u.email = row[1].c_str();
    if (row[2].is_null()) u.name.reset();
    else u.name = row[2].c_str();
    u.credits = row[3].as<std::int64_t>();
    u.active = row[4].as<bool>();
    u.created_at = from_text(row[5].c_str());
}

BENCH_MEASURED timing single_inserts(pqxx::connection& c, const std::vector<user>& users) {
    stopwatch t0;
    c.prepare("ins", insert_user_sql);
    pqxx::work w(c);
    for (const auto& u : users) w.exec_prepared("ins", u.id, u.email, u.name, u.credits, u.active, to_text(u.created_at));
    w.commit();
    return t0.elapsed();
}

// stream_to: libpqxx's COPY writer (text format).
BENCH_MEASURED timing bulk_insert(pqxx::connection& c, const std::vector<user>& users) {
    stopwatch t0;
    pqxx::work w(c);
    {
        pqxx::stream_to s(w, "bench_users",
                          std::vector<std::string>{"id", "email", "name", "credits", "active", "created_at"});
        for (const auto& u : users) s << std::make_tuple(u.id, u.email, u.name, u.credits, u.active, to_text(u.created_at));
        s.complete();
    }
    w.commit();
    return t0.elapsed();
}

BENCH_MEASURED timing fetch_all(pqxx::connection& c, int expected) {
    stopwatch t0;
    pqxx::work w(c);
    pqxx::result r = w.exec(select_all_sql);
    std::vector<user> out(r.size());
    std::size_t i = 0;
    for (const auto& row : r) read_user(row, out[i++]);
    w.commit();
    timing s = t0.elapsed();
    if (static_cast<int>(out.size()) != expected)
        throw std::runtime_error("libpqxx: fetched " + std::to_string(out.size()) + " rows");
    return s;
}

BENCH_MEASURED timing point_selects(pqxx::connection& c, const std::vector<std::string>& ids) {
    stopwatch t0;
    c.prepare("sel", select_by_id_sql);
    pqxx::nontransaction n(c);  // autocommit: each statement commits on its own
    user u;
    std::size_t found = 0;
    for (const auto& id : ids) {
        pqxx::result r = n.exec_prepared("sel", id);
        if (r.size() == 1) {
            read_user(r[0], u);
            ++found;
        }
    }
    timing s = t0.elapsed();
    if (found != ids.size()) throw std::runtime_error("libpqxx: point selects found " + std::to_string(found));
    return s;
}

// pqxx::pipeline batches query strings (it predates libpq's pipeline mode and takes no
// parameters), so values are quoted into the text with the transaction's quote().
BENCH_MEASURED timing pipelined_inserts(pqxx::connection& c, const std::vector<user>& users) {
    stopwatch t0;
    pqxx::work w(c);
    pqxx::pipeline p(w);
    p.retain(1000);
    std::string sql;
    for (const auto& u : users) {
        sql = "INSERT INTO bench_users (id, email, name, credits, active, created_at) VALUES (";
        sql += w.quote(u.id);
        sql += ", ";
        sql += w.quote(u.email);
        sql += ", ";
        sql += u.name ? w.quote(*u.name) : std::string("NULL");
        sql += ", ";
        sql += std::to_string(u.credits);
        sql += u.active ? ", true, " : ", false, ";
        sql += w.quote(to_text(u.created_at));
        sql += ")";
        p.insert(sql);
    }
    p.complete();
    while (!p.empty()) p.retrieve();
    w.commit();
    return t0.elapsed();
}

BENCH_MEASURED int claim_jobs(pqxx::connection& c) {
    c.prepare("claim", claim_job_sql);
    c.prepare("del", delete_job_sql);
    int done = 0;
    std::string payload;
    for (;;) {
        pqxx::work w(c);
        pqxx::result r = w.exec_prepared("claim");
        if (r.empty()) {
            w.commit();
            return done;
        }
        auto id = r[0][0].as<std::int64_t>();
        payload = r[0][1].c_str();
        w.exec_prepared("del", id);
        w.commit();
        ++done;
    }
}

}  // namespace

timing run_libpqxx(const job_spec& job) {
    workload_inputs in(job);
    if (job.what == workload::w6_skip_locked) {
        pqxx::connection a(job.url), b(job.url);
        return claim_with_two_workers(a, b, job.rows, "libpqxx", claim_jobs);
    }

    pqxx::connection c(job.url);
    switch (job.what) {
        case workload::w1_single_inserts: return single_inserts(c, in.users);
        case workload::w2_bulk_insert: return bulk_insert(c, in.users);
        case workload::w3_fetch_all: return fetch_all(c, job.rows);
        case workload::w4_point_selects: return point_selects(c, in.ids);
        case workload::w5_pipeline: return pipelined_inserts(c, in.users);
        case workload::w6_skip_locked: break;
    }
    return {};
}

}  // namespace bench
