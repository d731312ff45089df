#pragma once
// A throwaway PgBouncer in front of an embedded cluster, for tests of pgorm behind a pooler.
//
// `pgbouncer` writes pgbouncer.ini and a userlist into a fresh temporary directory, listens on a
// free port of 127.0.0.1, forwards every database name to the cluster (a `*` entry), and runs as
// the same unprivileged user as the cluster (PgBouncer refuses to run as root). It waits until
// the pooler answers, and on destruction stops it (SIGTERM: immediate shutdown) and deletes the
// directory. Settings are those of PgBouncer 1.18's pgbouncer.ini (PgBouncer docs, "config").

#include <pgorm/detail/linkage.hpp>
#include <pgorm/testing/cluster.hpp>
#include <pgorm/testing/server_process.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pgorm::testing {

struct pgbouncer_options {
    /// The PgBouncer executable; empty: $PGORM_PGBOUNCER, else /usr/sbin/pgbouncer (Debian).
    std::string executable;
    /// session, transaction or statement. Transaction mode is the one that breaks named
    /// prepared statements and session state, so it is the default.
    std::string pool_mode = "transaction";
    /// Server connections per (database, user) pair. Small, so clients share server sessions.
    int default_pool_size = 2;
    /// Logins allowed through (auth_type=trust still needs each in the userlist). The cluster's
    /// superuser and the tenant login that the RLS kit's pool uses by default.
    std::vector<std::string> users{"postgres", "app_customer_login"};
    /// Extra [pgbouncer] lines, such as "server_check_delay = 0".
    std::vector<std::string> settings;
    std::chrono::seconds start_timeout{30};
};

class pgbouncer {
public:
    explicit pgbouncer(const cluster& server, pgbouncer_options opts = {});
    pgbouncer(const pgbouncer&) = delete;
    pgbouncer& operator=(const pgbouncer&) = delete;
    ~pgbouncer() { stop(); }

    int port() const noexcept { return port_; }
    const std::filesystem::path& directory() const noexcept { return dir_; }

    /// URL of `dbname` through the pooler, as `user` (default postgres). `query` is appended
    /// after '?' (for example "pgorm_prepare=off").
    std::string url(std::string_view dbname, std::string_view query = {}, std::string_view user = "postgres") const;

    /// The pooler's log so far (errors when a test fails).
    std::string log() const { return detail::read_whole_file(dir_ / "pgbouncer.log"); }

    /// Stops the pooler and removes its directory (idempotent).
    void stop() noexcept;

private:
    std::string executable() const;

    std::string ini() const;

    void start();

    bool wait_ready();

    pgbouncer_options opts_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    int server_port_ = 0;
};

}  // namespace pgorm::testing

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/testing/impl/pgbouncer.ipp>
#endif
