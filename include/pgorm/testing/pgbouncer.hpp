#pragma once
// A throwaway PgBouncer in front of an embedded cluster, for tests of pgorm behind a pooler.
//
// `pgbouncer` writes pgbouncer.ini and a userlist into a fresh temporary directory, listens on a
// free port of 127.0.0.1, forwards every database name to the cluster (a `*` entry), and runs as
// the same unprivileged user as the cluster (PgBouncer refuses to run as root). It waits until
// the pooler answers, and on destruction stops it (SIGTERM: immediate shutdown) and deletes the
// directory. Settings are those of PgBouncer 1.18's pgbouncer.ini (PgBouncer docs, "config").

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
    explicit pgbouncer(const cluster& server, pgbouncer_options opts = {}) : opts_(std::move(opts)) {
        if (server.external())
            throw config_error("pgorm: testing::pgbouncer needs the embedded cluster (unset PGORM_TEST_URL / DATABASE_URL)");
        server_port_ = server.port();
        start();
    }
    pgbouncer(const pgbouncer&) = delete;
    pgbouncer& operator=(const pgbouncer&) = delete;
    ~pgbouncer() { stop(); }

    int port() const noexcept { return port_; }
    const std::filesystem::path& directory() const noexcept { return dir_; }

    /// URL of `dbname` through the pooler, as `user` (default postgres). `query` is appended
    /// after '?' (for example "pgorm_prepare=off").
    std::string url(std::string_view dbname, std::string_view query = {}, std::string_view user = "postgres") const {
        std::string u = "postgresql://" + std::string(user) + "@127.0.0.1:" + std::to_string(port_) + "/" +
                        std::string(dbname);
        if (!query.empty()) u += "?" + std::string(query);
        return u;
    }

    /// The pooler's log so far (errors when a test fails).
    std::string log() const { return detail::read_whole_file(dir_ / "pgbouncer.log"); }

    /// Stops the pooler and removes its directory (idempotent).
    void stop() noexcept {
        detail::stop_child(pid_, SIGTERM, std::chrono::seconds(5));
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
            dir_.clear();
        }
    }

private:
    std::string executable() const {
        std::string exe = opts_.executable;
        if (exe.empty()) {
            const char* env = std::getenv("PGORM_PGBOUNCER");
            exe = env && *env ? env : "/usr/sbin/pgbouncer";
        }
        if (::access(exe.c_str(), X_OK) != 0)
            throw config_error("pgorm: cannot find " + exe + "; install pgbouncer (apt-get install pgbouncer) or set PGORM_PGBOUNCER");
        return exe;
    }

    std::string ini() const {
        std::string s = "[databases]\n* = host=127.0.0.1 port=" + std::to_string(server_port_) + "\n\n[pgbouncer]\n";
        s += "listen_addr = 127.0.0.1\nlisten_port = " + std::to_string(port_) + "\n";
        s += "unix_socket_dir =\n";  // TCP only: no socket file in a shared /tmp
        s += "auth_type = trust\nauth_file = " + (dir_ / "userlist.txt").string() + "\n";
        s += "pool_mode = " + opts_.pool_mode + "\n";
        s += "default_pool_size = " + std::to_string(opts_.default_pool_size) + "\n";
        s += "max_client_conn = 500\n";
        s += "admin_users = postgres\n";
        s += "logfile = " + (dir_ / "pgbouncer.log").string() + "\n";
        s += "log_connections = 0\nlog_disconnections = 0\n";
        for (const auto& line : opts_.settings) s += line + "\n";
        return s;
    }

    void start() {
        std::string exe = executable();
        dir_ = detail::make_server_directory("pgorm-pgbouncer");
        std::string users;
        for (const auto& u : opts_.users) users += "\"" + u + "\" \"\"\n";
        detail::write_server_file(dir_ / "userlist.txt", users);
        detail::write_server_file(dir_ / "pgbouncer.log", "");
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = detail::free_loopback_port();
            detail::write_server_file(dir_ / "pgbouncer.ini", ini());
            pid_ = detail::spawn_as_server_user({exe, (dir_ / "pgbouncer.ini").string()}, dir_ / "stderr.log", true);
            if (wait_ready()) return;
            if (pid_ < 0) continue;  // exited at once: the port was taken by a racing process?
            break;
        }
        std::string why = log() + detail::read_whole_file(dir_ / "stderr.log");
        stop();
        throw connection_error("pgorm: PgBouncer did not start:\n" + why);
    }

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

    pgbouncer_options opts_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    int server_port_ = 0;
};

}  // namespace pgorm::testing
