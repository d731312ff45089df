#pragma once
// A throwaway streaming replica of an embedded cluster, for tests of read routing and failover.
//
// `replica` copies the running primary with `pg_basebackup -R -X stream` (PostgreSQL 15 docs,
// "pg_basebackup": -R writes primary_conninfo and standby.signal, so the copy starts as a hot
// standby that streams from the primary) into a fresh temporary directory, starts it on a free
// port of 127.0.0.1 as the cluster's unprivileged user, and waits until it accepts read-only
// connections. On destruction it stops the server and deletes the directory.
//
// The primary needs no extra settings: PostgreSQL 15 defaults to wal_level = replica and
// max_wal_senders = 10, and initdb's pg_hba.conf trusts replication connections from 127.0.0.1
// under --auth=trust, which the embedded cluster uses.

#include <pgorm/testing/cluster.hpp>
#include <pgorm/testing/server_process.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace pgorm::testing {

struct replica_options {
    /// Directory of pg_basebackup/postgres/pg_ctl; empty: $PGORM_PG_BIN, else /usr/lib/postgresql/15/bin.
    std::string bin_dir;
    std::chrono::seconds start_timeout{60};
};

class replica {
public:
    explicit replica(const cluster& primary, replica_options opts = {}) : opts_(std::move(opts)) {
        if (primary.external())
            throw config_error("pgorm: testing::replica needs the embedded cluster (unset PGORM_TEST_URL / DATABASE_URL)");
        primary_port_ = primary.port();
        start();
    }
    replica(const replica&) = delete;
    replica& operator=(const replica&) = delete;
    ~replica() { stop(); }

    int port() const noexcept { return port_; }
    const std::filesystem::path& directory() const noexcept { return dir_; }

    /// URL of a database on the replica (default database when `dbname` is empty).
    std::string url(std::string_view dbname = {}) const {
        return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" +
               std::string(dbname.empty() ? "postgres" : dbname);
    }

    /// Ends recovery: the replica becomes a primary that accepts writes (pg_ctl promote -w waits
    /// until it does). Throws connection_error when pg_ctl fails.
    void promote() {
        int rc = detail::run_as_server_user({bin("pg_ctl"), "promote", "-w", "-t", "60", "-D", (dir_ / "data").string()},
                                            dir_ / "pg_ctl.log");
        if (rc != 0)
            throw connection_error("pgorm: pg_ctl promote failed:\n" + detail::read_whole_file(dir_ / "pg_ctl.log"));
    }

    /// The replica's server log so far.
    std::string log() const { return detail::read_whole_file(dir_ / "server.log"); }

    /// Stops the server (fast shutdown) and removes its directory (idempotent).
    void stop() noexcept {
        detail::stop_child(pid_, SIGINT, std::chrono::seconds(10));
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
            dir_.clear();
        }
    }

private:
    std::string bin(const char* tool) const {
        std::string d = opts_.bin_dir;
        if (d.empty()) {
            const char* env = std::getenv("PGORM_PG_BIN");
            d = env && *env ? env : "/usr/lib/postgresql/15/bin";
        }
        std::string p = d + "/" + tool;
        if (::access(p.c_str(), X_OK) != 0)
            throw config_error("pgorm: cannot find " + p + "; install postgresql-15 or set PGORM_PG_BIN");
        return p;
    }

    void start() {
        std::string basebackup = bin("pg_basebackup"), postgres = bin("postgres");
        dir_ = detail::make_server_directory("pgorm-replica");
        auto data = dir_ / "data";
        auto log = dir_ / "server.log";
        detail::write_server_file(log, "");
        int rc = detail::run_as_server_user({basebackup, "-h", "127.0.0.1", "-p", std::to_string(primary_port_), "-U",
                                             "postgres", "-D", data.string(), "-R", "-X", "stream", "-c", "fast",
                                             "--no-sync"},
                                            log);
        if (rc != 0) {
            std::string why = detail::read_whole_file(log);
            stop();
            throw connection_error("pgorm: pg_basebackup from 127.0.0.1:" + std::to_string(primary_port_) +
                                   " failed:\n" + why);
        }
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = detail::free_loopback_port();
            pid_ = detail::spawn_as_server_user({postgres, "-D", data.string(), "-p", std::to_string(port_), "-h",
                                                 "127.0.0.1", "-k", dir_.string()},
                                                log, true);
            if (wait_ready()) return;
            if (pid_ < 0) continue;  // exited at once: the port was taken by a racing process?
            break;
        }
        std::string why = detail::read_whole_file(log);
        stop();
        throw connection_error("pgorm: the replica did not start:\n" + why);
    }

    // PQping says "rejecting" until the standby reaches a consistent state, then OK.
    bool wait_ready() {
        auto deadline = std::chrono::steady_clock::now() + opts_.start_timeout;
        std::string ci = "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres connect_timeout=2";
        while (std::chrono::steady_clock::now() < deadline) {
            if (detail::child_exited(pid_)) return false;
            if (PQping(ci.c_str()) == PQPING_OK) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    replica_options opts_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    int primary_port_ = 0;
};

}  // namespace pgorm::testing
