#pragma once
// Bodies of testing/replica.hpp. Included at the end of the header (header-only) or by
// <pgorm/testing/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/testing/replica.hpp>

#include <signal.h>

#include <thread>

namespace pgorm::testing {

PGORM_DECL replica::replica(const cluster& primary, replica_options opts) : opts_(std::move(opts)) {
    if (primary.external())
        throw config_error("pgorm: testing::replica needs the embedded cluster (unset PGORM_TEST_URL / DATABASE_URL)");
    primary_port_ = primary.port();
    start();
}

PGORM_DECL std::string replica::url(std::string_view dbname) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" +
           std::string(dbname.empty() ? "postgres" : dbname);
}

PGORM_DECL void replica::promote() {
    int rc = detail::run_as_server_user({bin("pg_ctl"), "promote", "-w", "-t", "60", "-D", (dir_ / "data").string()},
                                        dir_ / "pg_ctl.log");
    if (rc != 0)
        throw connection_error("pgorm: pg_ctl promote failed:\n" + detail::read_whole_file(dir_ / "pg_ctl.log"));
}

PGORM_DECL void replica::stop() noexcept {
    detail::stop_child(pid_, SIGINT, std::chrono::seconds(10));
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        dir_.clear();
    }
}

PGORM_DECL std::string replica::bin(const char* tool) const {
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

PGORM_DECL void replica::start() {
    std::string basebackup = bin("pg_basebackup"), postgres = bin("postgres");
    dir_ = detail::make_server_directory("pgorm-replica");
    auto data = dir_ / "data";
    auto log = dir_ / "server.log";
    detail::write_server_file(log, "");
    int rc =
        detail::run_as_server_user({basebackup, "-h", "127.0.0.1", "-p", std::to_string(primary_port_), "-U",
                                    "postgres", "-D", data.string(), "-R", "-X", "stream", "-c", "fast", "--no-sync"},
                                   log);
    if (rc != 0) {
        std::string why = detail::read_whole_file(log);
        stop();
        throw connection_error("pgorm: pg_basebackup from 127.0.0.1:" + std::to_string(primary_port_) + " failed:\n" +
                               why);
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = detail::free_loopback_port();
        pid_ = detail::spawn_as_server_user(
            {postgres, "-D", data.string(), "-p", std::to_string(port_), "-h", "127.0.0.1", "-k", dir_.string()}, log,
            true);
        if (wait_ready()) return;
        if (pid_ < 0) continue;  // exited at once: the port was taken by a racing process?
        break;
    }
    std::string why = detail::read_whole_file(log);
    stop();
    throw connection_error("pgorm: the replica did not start:\n" + why);
}

PGORM_DECL bool replica::wait_ready() {
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
