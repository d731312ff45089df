// W8: the event store's publish + claim + ack cycle with one producer and two consumers, through
// pgorm::events::event_store and through hand-written libpq sending the very same statements
// (event_store::publish_sql / claim_sql / ack_many_sql), so the ratio is the cost of the
// library around identical server work. W8xmin repeats it while another session holds a
// transaction with an xid open for the whole run: the known failure mode of SKIP LOCKED queues
// (dead row versions cannot be removed, so every claim wades through more of them).
//
// Shape of one run (both clients alike): the producer publishes `rows` events, one statement
// each in autocommit (INSERT + NOTIFY); two consumers, each on its own connection, claim batches
// of 10 (FOR UPDATE SKIP LOCKED, 30 s lease), decode every payload, and ack each batch in one
// statement fenced by the claim tokens. A consumer that finds nothing due sleeps 1 ms. The
// clock runs from the first publish to the last ack; every payload's checksum is verified.

#include "common.hpp"

#include <pgorm/events.hpp>

#include <libpq-fe.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace bench {
namespace {

namespace ev = pgorm::events;

constexpr int claim_batch = 10;
constexpr auto lease = std::chrono::seconds(30);

/// The producer's and each consumer thread's work, out of line so that bench/callgrind.sh
/// collects exactly these (a toggle covers the thread that enters the function): connecting and
/// preparing stay outside, and the producer and consumers can be told apart.
template <class Produce>
[[gnu::noinline]] void w8_producer(Produce& produce) {
    produce();
}
template <class Consume>
[[gnu::noinline]] void w8_consumer_thread(Consume& consume, int k, std::atomic<int>& acked,
                                          std::atomic<std::int64_t>& checksum) {
    consume(k, acked, checksum);
}

/// PGORM_BENCH_W8_PUBLISH_FIRST set (bench/callgrind.sh does): the consumers start once every
/// event is published. Both clients then do the same statements (full batches, no empty polls
/// but the last), so instruction counts compare; concurrently, how often an idle consumer polls
/// depends on timing, and under callgrind's slowdown that dominates.
inline bool w8_publish_first() {
    static const bool on = std::getenv("PGORM_BENCH_W8_PUBLISH_FIRST") != nullptr;
    return on;
}

/// Runs `produce()` on this thread and `consume(worker)` on two more until every event was
/// acked; throws unless the consumers decoded each payload exactly once.
template <class Produce, class Consume>
timing one_producer_two_consumers(int rows, std::string_view who, Produce produce, Consume consume) {
    std::atomic<int> acked{0};
    std::atomic<bool> published{false};
    std::atomic<std::int64_t> checksum{0};
    std::exception_ptr errors[3];
    const bool publish_first = w8_publish_first();
    stopwatch t0;
    {
        std::vector<std::jthread> consumers;
        for (int k = 0; k < 2; ++k)
            consumers.emplace_back([&, k] {
                try {
                    while (publish_first && !published && acked < rows)
                        std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    w8_consumer_thread(consume, k, acked, checksum);
                } catch (...) {
                    errors[k] = std::current_exception();
                    acked = rows;  // stop the other consumer
                }
            });
        try {
            w8_producer(produce);
        } catch (...) {
            errors[2] = std::current_exception();
            acked = rows;
        }
        published = true;
    }
    timing took = t0.elapsed();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    if (acked != rows || checksum != expected_order_checksum(rows))
        throw std::runtime_error(std::string(who) + ": W8 acked " + std::to_string(acked.load()) + " of " +
                                 std::to_string(rows) + " events (checksum " + std::to_string(checksum.load()) +
                                 ", expected " + std::to_string(expected_order_checksum(rows)) + ")");
    return took;
}

// ---------------------------------------------------------------- pgorm

BENCH_MEASURED timing pgorm_events_cycle(const job_spec& job) {
    ev::event_store store;
    pgorm::connection producer(job.url);
    pgorm::connection consumers[2] = {pgorm::connection(job.url), pgorm::connection(job.url)};
    const int rows = job.rows;
    return one_producer_two_consumers(
        rows, "pgorm",
        [&] {
            ev::event<order> e;
            e.type = "order.placed";
            e.source = "bench";
            for (int i = 0; i < rows; ++i) {
                e.payload = make_order(i);
                store.publish(producer, e);
            }
        },
        [&](int k, std::atomic<int>& acked, std::atomic<std::int64_t>& checksum) {
            pgorm::connection& c = consumers[k];
            std::vector<ev::claim_token> tokens;
            while (acked < rows) {
                auto batch = store.claim<order>(c, {.batch = claim_batch, .lease = lease});
                if (batch.empty()) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    continue;
                }
                tokens.clear();
                std::int64_t sum = 0;
                for (const auto& e : batch) {
                    sum += order_checksum(e.payload);
                    tokens.push_back(e.token());
                }
                if (store.ack(c, tokens) != static_cast<std::int64_t>(tokens.size()))
                    throw std::runtime_error("pgorm: W8 lost a lease");
                checksum += sum;
                acked += static_cast<int>(batch.size());
            }
        });
}

// ---------------------------------------------------------------- raw libpq

[[noreturn]] void fail(PGconn* c, const char* what) {
    throw std::runtime_error(std::string("libpq: ") + what + ": " + PQerrorMessage(c));
}

using pq_conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using pq_result = std::unique_ptr<PGresult, decltype(&PQclear)>;

pq_conn open(const std::string& url) {
    pq_conn c(PQconnectdb(url.c_str()), PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) fail(c.get(), "connect");
    return c;
}

pq_result checked(PGconn* c, PGresult* r, ExecStatusType want, const char* what) {
    pq_result out(r, PQclear);
    if (PQresultStatus(r) != want)
        throw std::runtime_error(std::string("libpq: ") + what + ": " + PQresultErrorMessage(r));
    (void)c;
    return out;
}

void prepare(PGconn* c, const char* name, std::string_view sql, int n, const Oid* types) {
    checked(c, PQprepare(c, name, std::string(sql).c_str(), n, types), PGRES_COMMAND_OK, name);
}

std::uint32_t be32(std::int32_t v) { return __builtin_bswap32(static_cast<std::uint32_t>(v)); }
std::uint64_t be64(std::int64_t v) { return __builtin_bswap64(static_cast<std::uint64_t>(v)); }

// One order as the JSON text pgorm's jsonb<order> writes (same keys, same order).
void order_json(std::string& out, const order& o) {
    out.clear();
    out += "{\"seq\":";
    out += std::to_string(o.seq);
    out += ",\"sku\":\"";
    out += o.sku;  // SKU-digits: nothing to escape
    out += "\",\"quantity\":";
    out += std::to_string(o.quantity);
    out += '}';
}

BENCH_MEASURED timing libpq_events_cycle(const job_spec& job) {
    const ev::event_store store;  // only for its statement texts and channel
    pq_conn producer = open(job.url);
    pq_conn consumers[2] = {open(job.url), open(job.url)};
    // publish: uuid, text, text, timestamptz, jsonb, jsonb, text, text
    const Oid publish_types[8] = {2950, 25, 25, 1184, 3802, 3802, 25, 25};
    prepare(producer.get(), "w8_publish", ev::event_store::publish_sql(), 8, publish_types);
    const Oid claim_types[4] = {23, 1186, 1009, 23};  // int4, interval, text[], int4
    const Oid ack_types[2] = {2951, 1016};            // uuid[], int8[]
    for (auto& c : consumers) {
        prepare(c.get(), "w8_claim", ev::event_store::claim_sql(), 4, claim_types);
        prepare(c.get(), "w8_ack", ev::event_store::ack_many_sql(), 2, ack_types);
    }
    const int rows = job.rows;
    const std::string channel = store.options().channel;
    return one_producer_two_consumers(
        rows, "libpq",
        [&] {
            // Binary parameters: text types are their bytes, jsonb is version 1 + the text.
            std::string payload;
            const std::string type = "order.placed", source = "bench", meta = "\x01{}";
            for (int i = 0; i < rows; ++i) {
                order_json(payload, make_order(i));
                payload.insert(payload.begin(), '\x01');
                const char* values[8] = {nullptr, type.data(), source.data(), nullptr, payload.data(),
                                         meta.data(), nullptr, channel.data()};
                const int lengths[8] = {0, int(type.size()), int(source.size()), 0, int(payload.size()),
                                        int(meta.size()), 0, int(channel.size())};
                const int formats[8] = {1, 1, 1, 1, 1, 1, 1, 1};
                checked(producer.get(),
                        PQexecPrepared(producer.get(), "w8_publish", 8, values, lengths, formats, 1),
                        PGRES_TUPLES_OK, "publish");
            }
        },
        [&](int k, std::atomic<int>& acked, std::atomic<std::int64_t>& checksum) {
            PGconn* c = consumers[k].get();
            // claim: int4 batch, interval lease (microseconds, days, months), no types, max_retries.
            const std::uint32_t batch_be = be32(claim_batch);
            struct {
                std::uint64_t micros;
                std::uint32_t days, months;
            } lease_be{be64(std::chrono::microseconds(lease).count()), 0, 0};
            const std::uint32_t max_retries_be = be32(store.options().retry.max_retries);
            const char* claim_values[4] = {reinterpret_cast<const char*>(&batch_be),
                                           reinterpret_cast<const char*>(&lease_be), "{}",
                                           reinterpret_cast<const char*>(&max_retries_be)};
            const int claim_lengths[4] = {4, 16, 0, 4};
            const int claim_formats[4] = {1, 1, 0, 1};
            std::string ids, generations;
            while (acked < rows) {
                pq_result r = checked(c, PQexecPrepared(c, "w8_claim", 4, claim_values, claim_lengths, claim_formats, 0),
                                      PGRES_TUPLES_OK, "claim");
                const int n = PQntuples(r.get());
                if (n == 0) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    continue;
                }
                const int id_col = PQfnumber(r.get(), "id"), payload_col = PQfnumber(r.get(), "payload"),
                          generation_col = PQfnumber(r.get(), "claim_generation");
                ids = "{", generations = "{";
                std::int64_t sum = 0;
                for (int i = 0; i < n; ++i) {
                    auto body = boost::json::parse(PQgetvalue(r.get(), i, payload_col)).as_object();
                    order o{body.at("seq").as_int64(), std::string(body.at("sku").as_string()),
                            static_cast<std::int32_t>(body.at("quantity").as_int64())};
                    sum += order_checksum(o);
                    if (i) ids += ',', generations += ',';
                    ids += PQgetvalue(r.get(), i, id_col);
                    generations += PQgetvalue(r.get(), i, generation_col);
                }
                ids += '}', generations += '}';
                const char* ack_values[2] = {ids.c_str(), generations.c_str()};
                pq_result a = checked(c, PQexecPrepared(c, "w8_ack", 2, ack_values, nullptr, nullptr, 0),
                                      PGRES_COMMAND_OK, "ack");
                if (std::atoi(PQcmdTuples(a.get())) != n) throw std::runtime_error("libpq: W8 lost a lease");
                checksum += sum;
                acked += n;
            }
        });
}

}  // namespace

timing run_w8_pgorm(const job_spec& job) { return pgorm_events_cycle(job); }
timing run_w8_libpq(const job_spec& job) { return libpq_events_cycle(job); }

// ---------------------------------------------------------------- the parent's side

w8_fixture::w8_fixture(const std::string& url) : url_(url), db_(url) {}

void w8_fixture::before(workload w) {
    db_.execute_script("TRUNCATE pgorm_events.events");
    db_.execute_script("VACUUM ANALYZE pgorm_events.events");
    updates_before_ = db_.query_value<std::int64_t>(
        "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relid = 'pgorm_events.events'::regclass");
    if (w == workload::w8_events_xmin) {
        holder_.emplace(url_);
        holder_->execute_script("BEGIN");
        holder_->execute_script("SELECT pg_current_xact_id()");  // an xid: the xmin horizon stops here
    }
}

void w8_fixture::after(workload w, client c, int rows, const timing& took) {
    // Each event is updated twice (claim, ack). The consumers' backends report their counts when
    // they exit, a moment after the measuring process did: wait for them before reading.
    const std::int64_t want = updates_before_ + 2 * static_cast<std::int64_t>(rows);
    std::int64_t dead = -1;
    for (int tries = 0; tries < 500; ++tries) {
        auto row = db_.query_one<std::tuple<std::int64_t, std::int64_t>>(
            "SELECT n_tup_upd, n_dead_tup FROM pg_stat_user_tables WHERE relid = 'pgorm_events.events'::regclass");
        if (row && std::get<0>(*row) >= want) {
            dead = std::get<1>(*row);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // What the horizon costs: the heap's size, and the dead versions VACUUM finds but may not
    // remove (it reports them as the table's n_dead_tup), both while the holder is still open.
    const auto pages = db_.query_value<std::int64_t>(
        "SELECT pg_relation_size('pgorm_events.events') / current_setting('block_size')::bigint");
    db_.execute_script("VACUUM pgorm_events.events");
    const auto kept = db_.query_value<std::int64_t>(
        "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'pgorm_events.events'::regclass");
    if (holder_) {
        holder_->execute_script("COMMIT");
        holder_.reset();
    }
    auto left = db_.query_value<std::int64_t>("SELECT count(*) FROM pgorm_events.events WHERE status <> 'processed'");
    if (left != 0)
        throw std::runtime_error(std::string(name_of(c)) + " left " + std::to_string(left) + " W8 events unprocessed");
    runs_[{w, c}].push_back({rows / took.wall, dead, kept, pages});
}

void w8_fixture::report() const {
    if (runs_.empty()) return;
    auto median_of = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    std::printf("\nW8: events published, claimed and acked per second (median; 1 producer, 2 consumers, batches "
                "of %d). After each run (medians): dead = the events table's n_dead_tup; kept = the dead "
                "versions a VACUUM right then found but could not remove; pages = heap size in pages. "
                "W8xmin holds a transaction with an xid open for the whole run (and the VACUUM).\n\n"
                "| workload | libpq events/s | pgorm events/s | pgorm/libpq | dead libpq / pgorm | kept libpq / pgorm "
                "| pages libpq / pgorm |\n|---|---:|---:|---:|---:|---:|---:|\n",
                claim_batch);
    for (workload w : {workload::w8_events, workload::w8_events_xmin}) {
        auto pq = runs_.find({w, client::libpq}), orm = runs_.find({w, client::pgorm});
        if (pq == runs_.end() || orm == runs_.end()) continue;
        auto column = [&](const std::vector<run>& runs, auto field) {
            std::vector<double> v;
            for (const run& r : runs) v.push_back(static_cast<double>(r.*field));
            return median_of(v);
        };
        const auto &a = pq->second, &b = orm->second;
        const double ra = column(a, &run::rate), rb = column(b, &run::rate);
        std::printf("| %s | %.0f | %.0f | %.3f | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f |\n",
                    std::string(name_of(w)).c_str(), ra, rb, rb / ra, column(a, &run::dead), column(b, &run::dead),
                    column(a, &run::kept), column(b, &run::kept), column(a, &run::pages), column(b, &run::pages));
    }
}

}  // namespace bench
