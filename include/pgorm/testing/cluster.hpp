#pragma once
// An embedded, throwaway PostgreSQL cluster for tests, examples and the code generator.
//
// `cluster` runs initdb into a fresh temporary directory, starts postgres on a free port of
// 127.0.0.1 (and a unix socket in that directory), waits until it accepts connections, and on
// destruction stops it and deletes the directory. When the process is root, the server runs as
// the unprivileged `postgres` user (or `nobody`), since PostgreSQL refuses to run as root.
// The server also dies with the process that started it (PR_SET_PDEATHSIG), so a crashed
// test run leaves no postmaster behind.
//
// With DATABASE_URL or PGORM_TEST_URL set (PGORM_TEST_URL wins), no server is started and the
// URLs point at that server instead.
//
// For failure tests, stop() halts the server but keeps its data directory, and start() brings it
// back on the same port with the same data (restart() does both), so clients holding a URL can
// reconnect; the directory goes only when the cluster object is destroyed.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/connection.hpp>


#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace pgorm::testing {

struct cluster_options {
    /// Directory of initdb/postgres; empty: $PGORM_PG_BIN, else /usr/lib/postgresql/15/bin.
    std::string bin_dir;
    /// Extra postgresql.conf lines.
    std::vector<std::string> settings;
    /// Ignore DATABASE_URL / PGORM_TEST_URL and always start a server.
    bool force_embedded = false;
    std::chrono::seconds start_timeout{60};
};

/// How cluster::stop() shuts the server down (PostgreSQL docs, 19.5 "Shutting Down the Server").
enum class stop_mode {
    fast,       ///< SIGINT: roll back open sessions, checkpoint, exit
    immediate,  ///< SIGQUIT: exit at once, crash recovery on the next start. Note the cluster's
                ///< synchronous_commit = off: commits still in WAL buffers are lost this way;
                ///< add "synchronous_commit = on" to cluster_options::settings to keep them.
};

class PGORM_ABI_TAG cluster {
public:
    explicit cluster(cluster_options opts = {});
    cluster(const cluster&) = delete;
    cluster& operator=(const cluster&) = delete;
    ~cluster();

    /// True when the URLs point at an existing server rather than one this object started.
    bool external() const noexcept { return !external_url_.empty(); }
    int port() const noexcept { return port_; }
    const std::filesystem::path& directory() const noexcept { return dir_; }
    /// The server's data directory (PGDATA), inside directory(); empty for an external server.
    std::filesystem::path data_directory() const;
    /// True while the server this object started is running.
    bool running() const noexcept { return pid_ > 0; }

    /// URL of a database on this server (the default database when `dbname` is empty).
    std::string url(std::string_view dbname = {}) const;

    /// Stops the server and keeps its data directory, so start() can bring it back (idempotent).
    /// Clients see their connections drop (connection_lost) and new connections refused until then.
    void stop(stop_mode mode = stop_mode::fast) noexcept;

    /// Starts the stopped server again on the same port and data directory (nothing when it runs).
    /// Throws usage_error for an external server, connection_error when it does not come up
    /// within cluster_options::start_timeout (the server log is in the message); the port may
    /// have been taken by another process meanwhile, which the log then says.
    void start();

    /// stop(mode) then start(): same port, same data; clients reconnect with the same URL.
    void restart(stop_mode mode = stop_mode::fast);

private:
    static std::string with_database(const std::string& url, std::string_view db);

    std::string bin(const char* tool) const;

    static int free_port();

    // The identity the server runs as: ourselves, or an unprivileged user when we are root.
    struct identity { uid_t uid; gid_t gid; bool drop; };
    static identity server_identity();

    // fork + exec with the server identity; stdout/stderr go to `log`.
    pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log, bool die_with_parent) const;

    static std::string read_file(const std::filesystem::path& p);

    // Stops the server and removes its directory (idempotent).
    void destroy() noexcept;

    void launch();

    // initdb into a fresh temporary directory, with the test settings appended.
    void initialize();

    bool wait_ready();

    cluster_options opts_;
    std::string external_url_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace pgorm::testing

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/testing/impl/cluster.ipp>
#endif
