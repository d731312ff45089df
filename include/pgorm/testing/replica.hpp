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

#include <pgorm/detail/linkage.hpp>
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
    explicit replica(const cluster& primary, replica_options opts = {});
    replica(const replica&) = delete;
    replica& operator=(const replica&) = delete;
    ~replica() { stop(); }

    int port() const noexcept { return port_; }
    const std::filesystem::path& directory() const noexcept { return dir_; }

    /// URL of a database on the replica (default database when `dbname` is empty).
    std::string url(std::string_view dbname = {}) const;

    /// Ends recovery: the replica becomes a primary that accepts writes (pg_ctl promote -w waits
    /// until it does). Throws connection_error when pg_ctl fails.
    void promote();

    /// The replica's server log so far.
    std::string log() const { return detail::read_whole_file(dir_ / "server.log"); }

    /// Stops the server (fast shutdown) and removes its directory (idempotent).
    void stop() noexcept;

private:
    std::string bin(const char* tool) const;

    void start();

    // PQping says "rejecting" until the standby reaches a consistent state, then OK.
    bool wait_ready();

    replica_options opts_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    int primary_port_ = 0;
};

}  // namespace pgorm::testing

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/testing/impl/replica.ipp>
#endif
