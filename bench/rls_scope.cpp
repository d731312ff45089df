// pgorm-bench-rls: what a tenant (RLS) scope costs, pgorm against raw libpq sending the same
// statements on the same server in the same run (docs/tenant-isolation.md, "Cost").
//
//   build-rel/bench/pgorm-bench-rls [transactions=2000]
//
// Each transaction: BEGIN, the signed scope and role, one COUNT(*) through the policy, COMMIT;
// then the return to the pool (the tenant reset). Reported: microseconds per transaction, median of
// five runs, and the share of the reset (against DISCARD ALL and none) and of the per-statement token check.
#include "../examples/models.hpp"

#include <pgorm.hpp>
#include <pgorm/testing.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <class F>
double micros_per_op(int n, F&& f) {
    std::vector<double> runs;
    for (int r = 0; r < 5; ++r) {
        auto t0 = clock_type::now();
        for (int i = 0; i < n; ++i) f();
        runs.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n);
    }
    return median(runs);
}

void check(PGresult* r, const char* what) {
    auto s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        std::fprintf(stderr, "%s: %s", what, PQresultErrorMessage(r));
        std::exit(1);
    }
    PQclear(r);
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
    pgorm::testing::cluster server;
    auto tpl = pgorm::testing::migrations_template(server, PGORM_SOURCE_DIR "/migrations");
    pgorm::testing::scratch_database db(tpl);
    auto admin = db.connect();
    std::string org = admin.query_value<std::string>("INSERT INTO organizations (name) VALUES ('A') RETURNING id");
    std::string user = admin.query_value<std::string>(
        "INSERT INTO users (organization_id, email) VALUES ($1, 'a@a.test') RETURNING user_id", org);
    admin.execute("INSERT INTO users (organization_id, email) "
                  "SELECT $1, 'u' || g || '@a.test' FROM generate_series(1, 200) g",
                  org);

    pgorm::pool_options o;
    o.max_size = 1;
    o.tenant = pgorm::tenant_login{};
    pgorm::pool p(db.url(), o);
    const auto key = p.signing_key();

    // pgorm: the whole scope, through the pool.
    double pgorm_us = micros_per_op(n, [&] {
        p.transact_tenant(user, org, [](pgorm::xact& q) { (void)pgorm::repository<app::User>{q}.count(); });
    });

    // raw libpq: the same statements on one tenant connection, a fresh token each time.
    auto customer_cfg = pgorm::detail::with_login(pgorm::config::from_url(db.url()), pgorm::tenant_login{});
    PGconn* raw = PQconnectdb(customer_cfg.conninfo.c_str());
    auto raw_scope = [&](int reset) {
        std::string token = pgorm::rls::scope_token(key, user, org, std::chrono::system_clock::now() +
                                                                        std::chrono::minutes(5));
        const char* values[2] = {token.c_str(), "app_customer"};
        check(PQexec(raw, "BEGIN"), "BEGIN");
        check(PQexecParams(raw, "SELECT set_config('pgorm.scope', $1, true), set_config('role', $2, true)", 2,
                           nullptr, values, nullptr, nullptr, 1),
              "scope");
        check(PQexecParams(raw, "SELECT count(*) FROM users", 0, nullptr, nullptr, nullptr, nullptr, 1), "count");
        check(PQexec(raw, "COMMIT"), "COMMIT");
        if (reset == 1) check(PQexec(raw, "DISCARD ALL"), "DISCARD ALL");
        if (reset == 2) check(PQexec(raw, pgorm::detail::tenant_reset_sql), "reset");
    };
    double raw_us = micros_per_op(n, [&] { raw_scope(2); });
    double raw_discard_all_us = micros_per_op(n, [&] { raw_scope(1); });
    double raw_no_reset_us = micros_per_op(n, [&] { raw_scope(0); });

    // The token check: COUNT(*) over the policy with a scope vs the owner's COUNT(*) without one.
    check(PQexec(raw, "BEGIN"), "BEGIN");
    std::string token = pgorm::rls::scope_token(key, user, org, std::chrono::system_clock::now() +
                                                                    std::chrono::minutes(5));
    const char* values[1] = {token.c_str()};
    check(PQexecParams(raw, "SELECT set_config('pgorm.scope', $1, true)", 1, nullptr, values, nullptr, nullptr, 1),
          "scope");
    double policy_us = micros_per_op(n, [&] {
        check(PQexecParams(raw, "SELECT count(*) FROM users", 0, nullptr, nullptr, nullptr, nullptr, 1), "count");
    });
    double check_us = micros_per_op(n, [&] {
        check(PQexecParams(raw, "SELECT pgorm_rls.organization_id()", 0, nullptr, nullptr, nullptr, nullptr, 1),
              "check");
    });
    check(PQexec(raw, "COMMIT"), "COMMIT");
    PQfinish(raw);

    auto st = p.tenant_stats();
    std::printf("tenant connections opened: %llu (one is right)\n", static_cast<unsigned long long>(st.created));
    std::printf("tenant scope, %d transactions x 5 runs (median, microseconds per transaction)\n", n);
    std::printf("  pgorm transact_tenant + count()          %8.1f\n", pgorm_us);
    std::printf("  raw libpq, same statements and reset       %8.1f   pgorm/libpq %.2f\n", raw_us, pgorm_us / raw_us);
    std::printf("  raw libpq, DISCARD ALL as the reset        %8.1f\n", raw_discard_all_us);
    std::printf("  raw libpq, no reset at all                 %8.1f   pgorm's reset costs %.1f\n", raw_no_reset_us,
                raw_us - raw_no_reset_us);
    std::printf("  COUNT(*) of 201 rows through the policy    %8.1f\n", policy_us);
    std::printf("  SELECT pgorm_rls.organization_id() alone   %8.1f\n", check_us);
}
