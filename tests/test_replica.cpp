// A streaming replica on loopback (issue 21): read routing with pool::read_xact, writes refused
// there with read_only_sql_transaction, read-your-writes with read_xact_after and its timeout,
// and failover through a multi-host URL after the replica is promoted.
#include "support.hpp"

#include <pgorm/testing/replica.hpp>

using namespace pgorm;
using pgorm_test::fresh_db;

namespace {

/// One replica of the suite's cluster for the routing tests (the failover test has its own pair).
testing::replica& standby() {
    static testing::replica r(pgorm_test::server());
    return r;
}

pool_options reading_from(const std::string& url) {
    pool_options o;
    o.max_size = 2;
    o.read_url = url;
    return o;
}

std::string replica_url(const fresh_db& db) { return standby().url(db.db.name()); }

/// Waits until the replica has replayed everything the primary wrote so far, CREATE DATABASE of
/// the test's database included. It waits on the replica's `postgres` database: the test's own
/// may not exist there yet.
void wait_until_replicated(pool& p) {
    pool on_postgres(pgorm_test::server().url(), reading_from(standby().url()));
    auto t = on_postgres.read_xact_after(p.write_lsn(), std::chrono::seconds(30));
    t.commit();
}

}  // namespace

TEST_CASE("read_xact runs on the replica, xact on the primary", "[scaleout][replica]") {
    fresh_db db;
    pool p(db.url(), reading_from(replica_url(db)));
    wait_until_replicated(p);
    {
        auto w = p.xact();
        CHECK_FALSE(w.conn().query_value<bool>("SELECT pg_is_in_recovery()"));
        w.conn().execute("INSERT INTO organizations (name) VALUES ('Acme')");
        w.commit();
    }
    auto r = p.read_xact();
    CHECK(r.conn().query_value<bool>("SELECT pg_is_in_recovery()"));
    CHECK(r.conn().query_value<std::string>("SELECT current_setting('transaction_read_only')") == "on");
    CHECK(r.conn().query_value<std::int32_t>("SELECT inet_server_port()") == standby().port());
}

TEST_CASE("a write on the read endpoint is refused as read_only_sql_transaction", "[scaleout][replica]") {
    fresh_db db;
    pool p(db.url(), reading_from(replica_url(db)));
    wait_until_replicated(p);
    auto r = p.read_xact();
    CHECK_THROWS_AS(r.conn().execute("INSERT INTO organizations (name) VALUES ('nope')"), read_only_sql_transaction);
    r.rollback();

    // Even outside a READ ONLY transaction: the standby itself refuses writes with 25006.
    connection on_standby(replica_url(db));
    try {
        on_standby.execute("INSERT INTO organizations (name) VALUES ('nope')");
        FAIL("the standby accepted a write");
    } catch (const read_only_sql_transaction& e) {
        CHECK(e.sqlstate() == "25006");
    }
    // The primary's READ ONLY transactions say the same.
    auto ro = p.xact(xact_options{isolation::server_default, true, false});
    CHECK_THROWS_AS(ro.conn().execute("INSERT INTO organizations (name) VALUES ('nope')"), read_only_sql_transaction);
}

TEST_CASE("read_xact_after sees the write it waited for; a replica that stopped replaying times out",
          "[scaleout][replica]") {
    fresh_db db;
    pool p(db.url(), reading_from(replica_url(db)));
    wait_until_replicated(p);
    for (int i = 0; i < 5; ++i) {
        auto id = p.transact([&](xact& tx) {
            return tx.conn().query_value<std::string>("INSERT INTO organizations (name) VALUES ($1) RETURNING id",
                                                      "org " + std::to_string(i));
        });
        auto r = p.read_xact_after(p.write_lsn(), std::chrono::seconds(30));
        CHECK(r.conn().query_value<std::int64_t>("SELECT count(*) FROM organizations WHERE id = $1", id) == 1);
    }

    // Pause replay on the replica: the next write cannot be seen there, and the wait says so.
    connection control(replica_url(db));
    control.execute_script("SELECT pg_wal_replay_pause()");
    p.transact([](xact& tx) { tx.conn().execute("INSERT INTO organizations (name) VALUES ('late')"); });
    auto lsn = p.write_lsn();
    try {
        [[maybe_unused]] xact caught_up = p.read_xact_after(lsn, std::chrono::milliseconds(300));
        control.execute_script("SELECT pg_wal_replay_resume()");
        FAIL("a paused replica counted as caught up");
    } catch (const replica_lag_timeout& e) {
        CHECK_THAT(e.what(), Catch::Contains(lsn) && Catch::Contains("replica lag"));
    }
    control.execute_script("SELECT pg_wal_replay_resume()");
    auto r = p.read_xact_after(lsn, std::chrono::seconds(30));
    CHECK(r.conn().query_value<std::int64_t>("SELECT count(*) FROM organizations WHERE name = 'late'") == 1);

    CHECK_THROWS_AS(p.read_xact_after("not an lsn", std::chrono::seconds(1)), data_exception);
}

TEST_CASE("a read endpoint given as a multi-host URL with target_session_attrs=standby finds the replica",
          "[scaleout][replica]") {
    fresh_db db;
    std::string hosts = "postgresql://postgres@127.0.0.1:" + std::to_string(pgorm_test::server().port()) +
                        ",127.0.0.1:" + std::to_string(standby().port()) + "/" + db.db.name() +
                        "?target_session_attrs=standby";
    pool p(db.url(), reading_from(hosts));
    wait_until_replicated(p);
    auto r = p.read_xact();
    CHECK(r.conn().query_value<std::int32_t>("SELECT inet_server_port()") == standby().port());

    CHECK_THROWS_AS(pool(db.url(), reading_from("postgresql://u@h:notaport/db")), config_error);
}

TEST_CASE("failover: the primary stops, the replica is promoted, a multi-host pool reconnects to it",
          "[scaleout][replica][failover]") {
    testing::cluster_options co;
    co.force_embedded = true;
    testing::cluster primary(co);
    testing::replica secondary(primary);

    std::string both = "postgresql://postgres@127.0.0.1:" + std::to_string(primary.port()) + ",127.0.0.1:" +
                       std::to_string(secondary.port()) + "/postgres?target_session_attrs=read-write&connect_timeout=5";
    pool_options o;
    o.max_size = 2;
    o.pre_ping = true;  // a connection to the stopped primary is found broken at checkout
    o.read_url = secondary.url();
    pool p(both, o);
    p.transact([](xact& tx) {
        tx.conn().execute_script("CREATE TABLE ledger (id int PRIMARY KEY)");
        tx.conn().execute("INSERT INTO ledger VALUES (1)");
    });
    { auto r = p.read_xact_after(p.write_lsn(), std::chrono::seconds(30)); }
    auto before = p.xact();
    CHECK(before.conn().query_value<std::int32_t>("SELECT inet_server_port()") == primary.port());
    before.rollback();

    primary.stop();
    secondary.promote();

    p.transact(transact_options{{}, retry_policy::attempts(1)},
               [](xact& tx) { tx.conn().execute("INSERT INTO ledger VALUES (2)"); });
    auto after = p.xact();
    CHECK(after.conn().query_value<std::int32_t>("SELECT inet_server_port()") == secondary.port());
    CHECK(after.conn().query<std::int32_t>("SELECT id FROM ledger ORDER BY id") == std::vector<std::int32_t>{1, 2});
}
