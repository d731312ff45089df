// pgorm-bench-query (W11): a join + aggregate query built with the query builder on every
// request, and the same query prepared once (pgorm::arg() placeholders, bound per request),
// against the same statement written by hand and run through connection::query, on the same
// server in the same run (issue 22; docs/queries.md, "Cost").
//
//   build-rel/bench/pgorm-bench-query [requests=3000]
//
// The statement: organizations JOIN users, count(*) and sum(credits_balance) per organization,
// WHERE credits_balance >= $1, GROUP BY, ORDER BY, LIMIT $2; 20 organizations of 50 users.
// Reported per request: wall microseconds and this process's CPU microseconds (the client's
// share: the server runs in other processes), median of five runs, and their ratios; then the
// cost of building + rendering alone. Under callgrind, hand_written_request, builder_request and
// prepared_request are the functions to compare, one --toggle-collect each (docs/performance.md, W11).
#include "../examples/models.hpp"

#include <pgorm.hpp>
#include <pgorm/query.hpp>
#include <pgorm/testing.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

namespace {

using app::Organization;
using app::User;
using pgorm::col;
using row = std::tuple<std::string, std::int64_t, std::optional<pgorm::numeric>>;

const char* const hand_written =
    R"(SELECT "organizations"."name", count(*), sum("users"."credits_balance") FROM "organizations" )"
    R"(JOIN "users" ON "users"."organization_id" = "organizations"."id" WHERE "users"."credits_balance" >= $1 )"
    R"(GROUP BY "organizations"."name" ORDER BY "organizations"."name" LIMIT $2)";

auto build(std::int64_t floor, std::int64_t limit) {
    return pgorm::select(col(&Organization::name), pgorm::count(), pgorm::sum(col(&User::credits_balance)))
        .from<Organization>()
        .join<User>(pgorm::on(col(&User::organization_id) == col(&Organization::id)))
        .where(col(&User::credits_balance) >= floor)
        .group_by(col(&Organization::name))
        .order_by(col(&Organization::name))
        .limit(limit);
}

/// The same shape with its two values left open: rendered once, bound per request.
const auto prepared = pgorm::select(col(&Organization::name), pgorm::count(), pgorm::sum(col(&User::credits_balance)))
                          .from<Organization>()
                          .join<User>(pgorm::on(col(&User::organization_id) == col(&Organization::id)))
                          .where(col(&User::credits_balance) >= pgorm::arg())
                          .group_by(col(&Organization::name))
                          .order_by(col(&Organization::name))
                          .limit(pgorm::arg())
                          .prepare();

[[gnu::noinline]] std::size_t hand_written_request(pgorm::connection& c, std::int64_t floor) {
    return c.query<row>(hand_written, floor, std::int64_t{10}).size();
}
[[gnu::noinline]] std::size_t builder_request(pgorm::connection& c, std::int64_t floor) {
    return build(floor, 10).fetch(c).size();
}
[[gnu::noinline]] std::size_t prepared_request(pgorm::connection& c, std::int64_t floor) {
    return prepared.fetch(c, floor, std::int64_t{10}).size();
}
[[gnu::noinline]] std::size_t render_only(std::int64_t floor) {
    return build(floor, 10).render().sql.size();
}

struct cost {
    double wall_us, cpu_us;
};

template <class F>
cost per_request(int n, F&& f) {
    std::vector<double> wall, cpu;
    for (int r = 0; r < 5; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        std::clock_t c0 = std::clock();
        for (int i = 0; i < n; ++i) f(i);
        cpu.push_back(double(std::clock() - c0) * 1e6 / CLOCKS_PER_SEC / n);
        wall.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / n);
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    return {wall[2], cpu[2]};
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 3000;
    pgorm::testing::cluster server;
    auto tpl = pgorm::testing::migrations_template(server, PGORM_SOURCE_DIR "/migrations");
    pgorm::testing::scratch_database db(tpl);
    pgorm::connection c = db.connect();
    c.execute_script("INSERT INTO organizations (name) SELECT 'org ' || g FROM generate_series(1, 20) g");
    c.execute_script("INSERT INTO users (organization_id, email, credits_balance) "
           "SELECT o.id, o.name || '-' || g || '@x.test', g * 10 FROM organizations o, generate_series(1, 50) g");

    if (build(0, 10).to_sql() != hand_written) {
        std::fprintf(stderr, "the builder renders another statement:\n%s\n", build(0, 10).to_sql().c_str());
        return 1;
    }
    if (prepared.sql() != hand_written) {
        std::fprintf(stderr, "the prepared query renders another statement:\n%s\n", prepared.sql().c_str());
        return 1;
    }
    if (build(100, 10).fetch(c) != c.query<row>(hand_written, std::int64_t{100}, std::int64_t{10}) ||
        prepared.fetch(c, std::int64_t{100}, std::int64_t{10}) != build(100, 10).fetch(c)) {
        std::fprintf(stderr, "the builder reads other rows than the hand-written statement\n");
        return 1;
    }
    for (int i = 0; i < 200; ++i) {  // warm up: both statements prepared and cached
        hand_written_request(c, i % 500);
        builder_request(c, i % 500);
        prepared_request(c, i % 500);
    }

    cost hand = per_request(n, [&](int i) { hand_written_request(c, i % 500); });
    cost built = per_request(n, [&](int i) { builder_request(c, i % 500); });
    cost bound = per_request(n, [&](int i) { prepared_request(c, i % 500); });
    cost render = per_request(n * 10, [&](int i) { render_only(i % 500); });

    std::printf("W11 join + aggregate, %d requests x 5 runs (median); loaded host: prefer CPU and callgrind\n", n);
    std::printf("| client | wall us/request | client CPU us/request |\n|---|---:|---:|\n");
    std::printf("| hand-written string, connection::query | %.1f | %.2f |\n", hand.wall_us, hand.cpu_us);
    std::printf("| query builder, built per request | %.1f | %.2f |\n", built.wall_us, built.cpu_us);
    std::printf("| query builder, prepared once, bound per request | %.1f | %.2f |\n", bound.wall_us, bound.cpu_us);
    std::printf("| builder build + render only (no server) | - | %.2f |\n", render.cpu_us);
    std::printf("throughput ratio builder/hand: %.3f; client CPU ratio builder/hand: %.3f\n", hand.wall_us / built.wall_us,
                built.cpu_us / hand.cpu_us);
    std::printf("throughput ratio prepared/hand: %.3f; client CPU ratio prepared/hand: %.3f\n", hand.wall_us / bound.wall_us,
                bound.cpu_us / hand.cpu_us);
    double load[1] = {0};
    if (getloadavg(load, 1) == 1) std::printf("load average (1 min) at the end: %.2f on %ld cores\n", load[0], sysconf(_SC_NPROCESSORS_ONLN));
    return 0;
}
