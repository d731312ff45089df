// The floor: hand-written libpq with prepared statements, binary parameters and binary results.
// Nothing here is generic; every column is encoded and decoded by hand, as a careful libpq
// program would do it.

#include "common.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <stdexcept>
#include <memory>

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
    }
    PQfinish(c);
    return s;
}

}  // namespace bench
