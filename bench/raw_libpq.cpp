// The floor: hand-written libpq with prepared statements, binary parameters and binary results.
// Nothing here is generic; every column is encoded and decoded by hand, as a careful libpq
// program would do it.

#include "common.hpp"

#include <libpq-fe.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace bench {
namespace {

[[noreturn]] void fail(PGconn* c, const char* what) {
    throw std::runtime_error(std::string("libpq: ") + what + ": " + PQerrorMessage(c));
}

PGconn* connect(const std::string& url) {
    PGconn* c = PQconnectdb(url.c_str());
    if (PQstatus(c) != CONNECTION_OK) fail(c, "connect");
    return c;
}

void expect(PGconn* c, PGresult* r, ExecStatusType want, const char* what) {
    if (PQresultStatus(r) != want) {
        std::string msg = std::string("libpq: ") + what + ": " + PQresultErrorMessage(r);
        PQclear(r);
        (void)c;
        throw std::runtime_error(msg);
    }
    PQclear(r);
}

void simple(PGconn* c, const char* sql) { expect(c, PQexec(c, sql), PGRES_COMMAND_OK, sql); }

void prepare(PGconn* c, const char* name, const char* sql, int n, const Oid* types) {
    expect(c, PQprepare(c, name, sql, n, types), PGRES_COMMAND_OK, name);
}

std::uint64_t to_be64(std::int64_t v) { return __builtin_bswap64(static_cast<std::uint64_t>(v)); }
std::int64_t from_be64(const char* p) {
    std::uint64_t u;
    std::memcpy(&u, p, 8);
    return static_cast<std::int64_t>(__builtin_bswap64(u));
}

const Oid user_types[6] = {25, 25, 25, 20, 16, 1184};

// The six binary parameters of one user row; pointers stay valid while `u` and this object live.
struct user_params {
    const char* values[6];
    int lengths[6];
    int formats[6] = {1, 1, 1, 1, 1, 1};
    std::uint64_t credits, created;
    char active;

    void bind(const user& u) {
        values[0] = u.id.data();
        lengths[0] = static_cast<int>(u.id.size());
        values[1] = u.email.data();
        lengths[1] = static_cast<int>(u.email.size());
        values[2] = u.name ? u.name->data() : nullptr;
        lengths[2] = u.name ? static_cast<int>(u.name->size()) : 0;
        credits = to_be64(u.credits);
        values[3] = reinterpret_cast<const char*>(&credits);
        lengths[3] = 8;
        active = u.active ? 1 : 0;
        values[4] = &active;
        lengths[4] = 1;
        created = to_be64(pg_micros(u.created_at));
        values[5] = reinterpret_cast<const char*>(&created);
        lengths[5] = 8;
    }
};

// Column order is fixed by the SELECT list, so positions are known.
void read_user(PGresult* r, int row, user& u) {
    u.id.assign(PQgetvalue(r, row, 0), static_cast<std::size_t>(PQgetlength(r, row, 0)));
    u.email.assign(PQgetvalue(r, row, 1), static_cast<std::size_t>(PQgetlength(r, row, 1)));
    if (PQgetisnull(r, row, 2)) u.name.reset();
    else u.name.emplace(PQgetvalue(r, row, 2), static_cast<std::size_t>(PQgetlength(r, row, 2)));
    u.credits = from_be64(PQgetvalue(r, row, 3));
    u.active = PQgetvalue(r, row, 4)[0] != 0;
    u.created_at = from_pg_micros(from_be64(PQgetvalue(r, row, 5)));
}

BENCH_MEASURED timing single_inserts(PGconn* c, const std::vector<user>& users) {
    stopwatch t0;
    prepare(c, "ins", insert_user_sql, 6, user_types);
    simple(c, "BEGIN");
    user_params p;
    for (const auto& u : users) {
        p.bind(u);
        expect(c, PQexecPrepared(c, "ins", 6, p.values, p.lengths, p.formats, 1), PGRES_COMMAND_OK, "insert");
    }
    simple(c, "COMMIT");
    return t0.elapsed();
}

// Binary COPY: the fastest way libpq offers to load rows.
BENCH_MEASURED timing bulk_insert(PGconn* c, const std::vector<user>& users) {
    stopwatch t0;
    expect(c, PQexec(c, "COPY bench_users (id, email, name, credits, active, created_at) FROM STDIN (FORMAT binary)"),
           PGRES_COPY_IN, "COPY");
    std::string buf;
    buf.reserve(1 << 17);
    buf.append("PGCOPY\n\377\r\n\0", 11);
    auto put32 = [&](std::uint32_t v) {
        v = __builtin_bswap32(v);
        buf.append(reinterpret_cast<const char*>(&v), 4);
    };
    auto put64 = [&](std::int64_t v) {
        std::uint64_t u = to_be64(v);
        buf.append(reinterpret_cast<const char*>(&u), 8);
    };
    auto put_text = [&](const std::string& s) {
        put32(static_cast<std::uint32_t>(s.size()));
        buf.append(s);
    };
    put32(0);  // flags
    put32(0);  // header extension length
    for (const auto& u : users) {
        buf.append("\0\6", 2);  // 6 fields
        put_text(u.id);
        put_text(u.email);
        if (u.name) put_text(*u.name);
        else put32(0xffffffffu);
        put32(8);
        put64(u.credits);
        put32(1);
        buf.push_back(u.active ? 1 : 0);
        put32(8);
        put64(pg_micros(u.created_at));
        if (buf.size() >= (1 << 16)) {
            if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1) fail(c, "PQputCopyData");
            buf.clear();
        }
    }
    buf.append("\377\377", 2);  // trailer
    if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1) fail(c, "PQputCopyData");
    if (PQputCopyEnd(c, nullptr) != 1) fail(c, "PQputCopyEnd");
    expect(c, PQgetResult(c), PGRES_COMMAND_OK, "COPY end");
    while (PGresult* r = PQgetResult(c)) PQclear(r);
    return t0.elapsed();
}

BENCH_MEASURED timing fetch_all(PGconn* c, int expected) {
    stopwatch t0;
    PGresult* r = PQexecParams(c, select_all_sql, 0, nullptr, nullptr, nullptr, nullptr, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fail(c, "select");
    int n = PQntuples(r);
    std::vector<user> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) read_user(r, i, out[static_cast<std::size_t>(i)]);
    PQclear(r);
    timing s = t0.elapsed();
    if (n != expected) throw std::runtime_error("libpq: fetched " + std::to_string(n) + " rows");
    return s;
}

BENCH_MEASURED timing point_selects(PGconn* c, const std::vector<std::string>& ids) {
    stopwatch t0;
    const Oid types[1] = {25};
    prepare(c, "sel", select_by_id_sql, 1, types);
    user u;
    std::size_t found = 0;
    const int formats[1] = {1};
    for (const auto& id : ids) {
        const char* values[1] = {id.data()};
        int lengths[1] = {static_cast<int>(id.size())};
        PGresult* r = PQexecPrepared(c, "sel", 1, values, lengths, formats, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) fail(c, "select by id");
        if (PQntuples(r) == 1) {
            read_user(r, 0, u);
            ++found;
        }
        PQclear(r);
    }
    timing s = t0.elapsed();
    if (found != ids.size()) throw std::runtime_error("libpq: point selects found " + std::to_string(found));
    return s;
}

// libpq pipeline mode: every insert is queued, one sync ends the batch (one implicit transaction).
BENCH_MEASURED timing pipelined_inserts(PGconn* c, const std::vector<user>& users) {
    stopwatch t0;
    if (PQenterPipelineMode(c) != 1) fail(c, "PQenterPipelineMode");
    if (PQsendPrepare(c, "pins", insert_user_sql, 6, user_types) != 1) fail(c, "PQsendPrepare");
    user_params p;
    for (const auto& u : users) {
        p.bind(u);
        if (PQsendQueryPrepared(c, "pins", 6, p.values, p.lengths, p.formats, 1) != 1) fail(c, "PQsendQueryPrepared");
    }
    if (PQpipelineSync(c) != 1) fail(c, "PQpipelineSync");
    std::size_t pending = users.size() + 1;  // the prepare, then every insert
    while (pending > 0) {
        PGresult* r = PQgetResult(c);
        if (!r) fail(c, "pipeline result");
        expect(c, r, PGRES_COMMAND_OK, "pipelined insert");
        if (PQgetResult(c) != nullptr) fail(c, "pipeline: expected the end of a query's results");
        --pending;
    }
    PGresult* sync = PQgetResult(c);
    expect(c, sync, PGRES_PIPELINE_SYNC, "pipeline sync");
    if (PQexitPipelineMode(c) != 1) fail(c, "PQexitPipelineMode");
    return t0.elapsed();
}

BENCH_MEASURED int claim_jobs(PGconn* c) {
    prepare(c, "claim", claim_job_sql, 0, nullptr);
    const Oid del_types[1] = {20};
    prepare(c, "del", delete_job_sql, 1, del_types);
    int done = 0;
    const int formats[1] = {1};
    std::string payload;
    for (;;) {
        simple(c, "BEGIN");
        PGresult* r = PQexecPrepared(c, "claim", 0, nullptr, nullptr, nullptr, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) fail(c, "claim");
        if (PQntuples(r) == 0) {
            PQclear(r);
            simple(c, "COMMIT");
            return done;
        }
        std::uint64_t id_be;
        std::memcpy(&id_be, PQgetvalue(r, 0, 0), 8);
        payload.assign(PQgetvalue(r, 0, 1), static_cast<std::size_t>(PQgetlength(r, 0, 1)));
        PQclear(r);
        const char* values[1] = {reinterpret_cast<const char*>(&id_be)};
        const int lengths[1] = {8};
        expect(c, PQexecPrepared(c, "del", 1, values, lengths, formats, 1), PGRES_COMMAND_OK, "delete job");
        simple(c, "COMMIT");
        ++done;
    }
}

// ---- W7: pgmq's functions, parameters and results in binary, JSON through Boost.JSON

constexpr Oid oid_text = 25, oid_int4 = 23, oid_int8 = 20, oid_jsonb = 3802, oid_jsonb_array = 3807,
              oid_int8_array = 1016;

void put_be32(std::string& out, std::uint32_t v) {
    v = __builtin_bswap32(v);
    out.append(reinterpret_cast<const char*>(&v), 4);
}

// jsonb's binary form: a version byte (1), then the text.
void put_order_jsonb(std::string& out, const order& o) {
    out.push_back('\1');
    out += boost::json::serialize(boost::json::object{{"seq", o.seq}, {"sku", o.sku}, {"quantity", o.quantity}});
}

order parse_order_jsonb(const char* p, int len) {
    if (len < 1 || p[0] != 1) throw std::runtime_error("libpq: unexpected jsonb wire version");
    boost::json::object v = boost::json::parse(std::string_view(p + 1, static_cast<std::size_t>(len - 1))).as_object();
    return {v.at("seq").as_int64(), std::string(v.at("sku").as_string()),
            static_cast<std::int32_t>(v.at("quantity").as_int64())};
}

// A one-dimensional binary array header (array_send): ndim, has-nulls flag, element type, length, lower bound.
void put_array_header(std::string& out, Oid element, std::size_t n) {
    put_be32(out, 1);
    put_be32(out, 0);
    put_be32(out, element);
    put_be32(out, static_cast<std::uint32_t>(n));
    put_be32(out, 1);
}

// Calls one prepared statement with all-binary parameters and results; the caller clears the result.
PGresult* call(PGconn* c, const char* stmt, int n, const char* const* values, const int* lengths) {
    static const int formats[5] = {1, 1, 1, 1, 1};
    PGresult* r = PQexecPrepared(c, stmt, n, values, lengths, formats, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::string msg = std::string("libpq: ") + stmt + ": " + PQresultErrorMessage(r);
        PQclear(r);
        throw std::runtime_error(msg);
    }
    return r;
}

BENCH_MEASURED timing queue_cycle(PGconn* c, const std::vector<order>& orders, int batch) {
    stopwatch t0;
    const Oid send_types[3] = {oid_text, batch == 1 ? oid_jsonb : oid_jsonb_array, oid_int4};
    prepare(c, "qsend", batch == 1 ? queue_send_sql : queue_send_batch_sql, 3, send_types);
    const Oid read_types[4] = {oid_text, oid_int4, oid_int4, oid_jsonb};
    prepare(c, "qread", queue_read_sql, 4, read_types);
    const Oid delete_types[2] = {oid_text, batch == 1 ? oid_int8 : oid_int8_array};
    prepare(c, "qdel", batch == 1 ? queue_delete_sql : queue_delete_batch_sql, 2, delete_types);

    const std::string_view name = queue_name;
    const std::uint32_t delay_be = 0, vt_be = __builtin_bswap32(queue_vt_seconds),
                        qty_be = __builtin_bswap32(static_cast<std::uint32_t>(batch));
    const char empty_condition[3] = {1, '{', '}'};
    std::string body, ids;
    const std::size_t n = orders.size();
    queue_tally got;
    // Each round sends a batch, then reads and deletes it: a shallow queue, as in steady state.
    for (std::size_t at = 0; at < n; at += static_cast<std::size_t>(batch)) {
        const std::size_t end = std::min(n, at + static_cast<std::size_t>(batch));
        body.clear();
        if (batch == 1) {
            put_order_jsonb(body, orders[at]);
        } else {
            put_array_header(body, oid_jsonb, end - at);
            std::string element;
            for (std::size_t i = at; i < end; ++i) {
                element.clear();
                put_order_jsonb(element, orders[i]);
                put_be32(body, static_cast<std::uint32_t>(element.size()));
                body += element;
            }
        }
        const char* values[3] = {name.data(), body.data(), reinterpret_cast<const char*>(&delay_be)};
        const int lengths[3] = {static_cast<int>(name.size()), static_cast<int>(body.size()), 4};
        PGresult* r = call(c, "qsend", 3, values, lengths);
        if (PQntuples(r) != static_cast<int>(end - at)) throw std::runtime_error("libpq: send returned too few ids");
        PQclear(r);

        while (got.received < static_cast<int>(end)) {
            const char* read_values[4] = {name.data(), reinterpret_cast<const char*>(&vt_be),
                                          reinterpret_cast<const char*>(&qty_be), empty_condition};
            const int read_lengths[4] = {static_cast<int>(name.size()), 4, 4, 3};
            PGresult* m = call(c, "qread", 4, read_values, read_lengths);
            const int rows = PQntuples(m);
            if (rows == 0) {
                PQclear(m);
                throw std::runtime_error("libpq: pgmq.read found no message");
            }
            // message_record: msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers.
            ids.clear();
            if (batch > 1) put_array_header(ids, oid_int8, static_cast<std::size_t>(rows));
            for (int i = 0; i < rows; ++i) {
                got.add(parse_order_jsonb(PQgetvalue(m, i, 5), PQgetlength(m, i, 5)));
                if (batch > 1) put_be32(ids, 8);
                ids.append(PQgetvalue(m, i, 0), 8);
            }
            PQclear(m);
            const char* del_values[2] = {name.data(), ids.data()};
            const int del_lengths[2] = {static_cast<int>(name.size()), static_cast<int>(ids.size())};
            PGresult* d = call(c, "qdel", 2, del_values, del_lengths);
            const bool all_deleted =
                batch == 1 ? PQntuples(d) == 1 && PQgetvalue(d, 0, 0)[0] == 1 : PQntuples(d) == rows;
            PQclear(d);
            if (!all_deleted) throw std::runtime_error("libpq: pgmq.delete missed a message");
        }
    }
    timing s = t0.elapsed();
    got.verify(static_cast<int>(n), "libpq");
    return s;
}

}  // namespace

timing run_libpq(const job_spec& job) {
    workload_inputs in(job);
    if (job.what == workload::w6_skip_locked) {
        std::unique_ptr<PGconn, decltype(&PQfinish)> a(connect(job.url), PQfinish), b(connect(job.url), PQfinish);
        PGconn* pa = a.get();
        PGconn* pb = b.get();
        return claim_with_two_workers(pa, pb, job.rows, "libpq", claim_jobs);
    }

    PGconn* c = connect(job.url);
    timing s;
    switch (job.what) {
        case workload::w1_single_inserts: s = single_inserts(c, in.users); break;
        case workload::w2_bulk_insert: s = bulk_insert(c, in.users); break;
        case workload::w3_fetch_all: s = fetch_all(c, job.rows); break;
        case workload::w4_point_selects: s = point_selects(c, in.ids); break;
        case workload::w5_pipeline: s = pipelined_inserts(c, in.users); break;
        case workload::w6_skip_locked: break;
        case workload::w8_events: case workload::w8_events_xmin: break;  // w8_events.cpp
        case workload::w9_bus_1:
        case workload::w9_bus_4: break;  // bench/w9_bus.cpp
        case workload::w7_queue_single:
        case workload::w7_queue_batch: s = queue_cycle(c, in.orders, queue_batch_size(job.what)); break;
    }
    PQfinish(c);
    return s;
}

}  // namespace bench
