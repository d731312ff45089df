#pragma once
// Process plumbing shared by the test servers that sit beside the embedded cluster (pgbouncer.hpp,
// replica.hpp): the identity they run as, free ports, fork+exec into a log, and stopping a child.
// It follows cluster.hpp's rules: as root, the child runs as `postgres` (or `nobody`), since
// neither PostgreSQL nor PgBouncer runs as root, and it dies with the process that started it.

#include <pgorm/detail/linkage.hpp>

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace pgorm::testing::detail {

/// Who a test server runs as: ourselves, or an unprivileged user when we are root.
struct server_user {
    uid_t uid;
    gid_t gid;
    bool drop;
};

PGORM_DECL server_user unprivileged_user();

/// A TCP port on 127.0.0.1 that was free a moment ago (a race with other processes remains:
/// callers retry a start that fails).
PGORM_DECL int free_loopback_port();

/// A fresh directory under /tmp owned by the server user (mode 0700 for PostgreSQL data dirs).
PGORM_DECL std::filesystem::path make_server_directory(const char* prefix);

/// Writes a file the server user can read (and owns).
PGORM_DECL void write_server_file(const std::filesystem::path& p, const std::string& text);

PGORM_DECL std::string read_whole_file(const std::filesystem::path& p);

/// fork + exec of argv as the server user, stdout and stderr appended to `log`. With
/// `die_with_parent` the child gets SIGQUIT when this process dies, so no server outlives a crash.
PGORM_DECL pid_t spawn_as_server_user(const std::vector<std::string>& argv, const std::filesystem::path& log,
                                      bool die_with_parent);

/// Runs argv to completion as the server user; its exit status (-1 when it did not exit).
PGORM_DECL int run_as_server_user(const std::vector<std::string>& argv, const std::filesystem::path& log);

/// Sends `sig` and waits up to `grace` for the child to exit, then SIGKILLs it. Sets pid to -1.
PGORM_DECL void stop_child(pid_t& pid, int sig, std::chrono::milliseconds grace) noexcept;

/// True once the child is gone (reaped here); false while it runs.
PGORM_DECL bool child_exited(pid_t& pid) noexcept;

}  // namespace pgorm::testing::detail

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/testing/impl/server_process.ipp>
#endif
