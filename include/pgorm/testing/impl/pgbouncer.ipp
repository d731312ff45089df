#pragma once
// Bodies of testing/pgbouncer.hpp. Included at the end of the header (header-only) or by
// <pgorm/testing/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/testing/pgbouncer.hpp>

#include <signal.h>

#include <thread>

namespace pgorm::testing {

PGORM_DECL pgbouncer::pgbouncer(const cluster& server, pgbouncer_options opts) : opts_(std::move(opts)) {
    if (server.external())
        throw config_error(
            "pgorm: testing::pgbouncer needs the embedded cluster (unset PGORM_TEST_URL / DATABASE_URL)");
    server_port_ = server.port();
    start();
}

PGORM_DECL std::string pgbouncer::url(std::string_view dbname, std::string_view query, std::string_view user) const {
    std::string u =
        "postgresql://" + std::string(user) + "@127.0.0.1:" + std::to_string(port_) + "/" + std::string(dbname);
    if (!query.empty()) u += "?" + std::string(query);
    return u;
}

PGORM_DECL void pgbouncer::stop() noexcept {
    detail::stop_child(pid_, SIGTERM, std::chrono::seconds(5));
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        dir_.clear();
    }
}

PGORM_DECL std::string pgbouncer::executable() const {
    std::string exe = opts_.executable;
    if (exe.empty()) {
        const char* env = std::getenv("PGORM_PGBOUNCER");
        exe = env && *env ? env : "/usr/sbin/pgbouncer";
    }
    if (::access(exe.c_str(), X_OK) != 0)
        throw config_error("pgorm: cannot find " + exe +
                           "; install pgbouncer (apt-get install pgbouncer) or set PGORM_PGBOUNCER");
    return exe;
}

PGORM_DECL std::string pgbouncer::ini() const {
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

PGORM_DECL void pgbouncer::start() {
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

PGORM_DECL bool pgbouncer::wait_ready() {
    auto deadline = std::chrono::steady_clock::now() + opts_.start_timeout;
    std::string ci =
        "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres connect_timeout=2";
    while (std::chrono::steady_clock::now() < deadline) {
        if (detail::child_exited(pid_)) return false;
        if (PQping(ci.c_str()) == PQPING_OK) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace pgorm::testing
