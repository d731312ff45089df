// What users pick today: libpqxx 6.4 (Debian 12's libpqxx-dev), used the way its documentation
// shows. libpqxx moves every value as text, so the timestamp is formatted and parsed here.

#include "common.hpp"

#include <pqxx/pqxx>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
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

// ---- W7: libpqxx sends text and its prepared statements carry no parameter types, so the
// texts cast each placeholder (pgmq.send(unknown, unknown, unknown) is ambiguous); the server
// runs the same functions. Arrays go as array literals, JSON through Boost.JSON.

std::string order_json(const order& o) {
    return boost::json::serialize(boost::json::object{{"seq", o.seq}, {"sku", o.sku}, {"quantity", o.quantity}});
}

order parse_order(const char* text) {
    boost::json::object v = boost::json::parse(text).as_object();
    return {v.at("seq").as_int64(), std::string(v.at("sku").as_string()),
            static_cast<std::int32_t>(v.at("quantity").as_int64())};
}

// An array literal element in double quotes: backslash and quote escaped (PostgreSQL docs 8.15.6).
void append_array_element(std::string& out, const std::string& text) {
    out.push_back('"');
    for (char ch : text) {
        if (ch == '"' || ch == '\\') out.push_back('\\');
        out.push_back(ch);
    }
    out.push_back('"');
}

BENCH_MEASURED timing queue_cycle(pqxx::connection& c, const std::vector<order>& orders, int batch) {
    stopwatch t0;
    c.prepare("qsend", batch == 1 ? "SELECT pgmq.send($1::text, $2::jsonb, $3::int)"
                                  : "SELECT * FROM pgmq.send_batch($1::text, $2::jsonb[], $3::int)");
    c.prepare("qread", "SELECT * FROM pgmq.read($1::text, $2::int, $3::int, $4::jsonb)");
    c.prepare("qdel", batch == 1 ? "SELECT pgmq.delete($1::text, $2::bigint)"
                                 : "SELECT * FROM pgmq.delete($1::text, $2::bigint[])");
    pqxx::nontransaction n(c);  // autocommit, as the other clients: each call commits on its own
    const std::string name = queue_name;
    std::string arg;
    queue_tally got;
    for (std::size_t at = 0; at < orders.size(); at += static_cast<std::size_t>(batch)) {
        const std::size_t end = std::min(orders.size(), at + static_cast<std::size_t>(batch));
        if (batch == 1) {
            arg = order_json(orders[at]);
        } else {
            arg = "{";
            for (std::size_t i = at; i < end; ++i) {
                if (i > at) arg.push_back(',');
                append_array_element(arg, order_json(orders[i]));
            }
            arg.push_back('}');
        }
        if (n.exec_prepared("qsend", name, arg, 0).size() != end - at)
            throw std::runtime_error("libpqxx: send returned too few ids");
        while (got.received < static_cast<int>(end)) {
            pqxx::result r = n.exec_prepared("qread", name, queue_vt_seconds, batch, "{}");
            if (r.empty()) throw std::runtime_error("libpqxx: pgmq.read found no message");
            arg = "{";
            for (const auto& row : r) {
                got.add(parse_order(row["message"].c_str()));
                if (batch == 1) continue;
                if (arg.size() > 1) arg.push_back(',');
                arg += row["msg_id"].c_str();
            }
            arg.push_back('}');
            const bool all_deleted =
                batch == 1 ? n.exec_prepared("qdel", name, r[0]["msg_id"].as<std::int64_t>())[0][0].as<bool>()
                           : n.exec_prepared("qdel", name, arg).size() == r.size();
            if (!all_deleted) throw std::runtime_error("libpqxx: pgmq.delete missed a message");
        }
    }
    timing s = t0.elapsed();
    got.verify(static_cast<int>(orders.size()), "libpqxx");
    return s;
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
        case workload::w8_events: case workload::w8_events_xmin: break;  // w8_events.cpp
        case workload::w9_bus_1:
        case workload::w9_bus_4: break;  // bench/w9_bus.cpp
        case workload::w7_queue_single:
        case workload::w7_queue_batch: return queue_cycle(c, in.orders, queue_batch_size(job.what));
    }
    return {};
}

}  // namespace bench
