#pragma once
// Bodies of testing/cluster.hpp. Included at the end of the header (header-only) or by
// <pgorm/testing/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/testing/cluster.hpp>

#include <arpa/inet.h>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace pgorm::testing {

PGORM_DECL cluster::cluster(cluster_options opts) : opts_(std::move(opts)) {
    if (!opts_.force_embedded) {
        for (const char* var : {"PGORM_TEST_URL", "DATABASE_URL"}) {
            if (const char* u = std::getenv(var); u && *u) {
                external_url_ = config::from_url(u).conninfo;
                return;
            }
        }
    }
    initialize();
    start();
}

PGORM_DECL cluster::~cluster() { destroy(); }

PGORM_DECL std::filesystem::path cluster::data_directory() const { return dir_.empty() ? dir_ : dir_ / "data"; }

PGORM_DECL std::string cluster::url(std::string_view dbname) const {
    if (external()) {
        if (dbname.empty()) return external_url_;
        return with_database(external_url_, dbname);
    }
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" +
           std::string(dbname.empty() ? "postgres" : dbname);
}

PGORM_DECL void cluster::stop(stop_mode mode) noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, mode == stop_mode::fast ? SIGINT : SIGQUIT);
    int status = 0;
    for (int i = 0; i < 300; ++i) {  // 6 s, then the immediate kind
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGQUIT);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

PGORM_DECL void cluster::start() {
    if (external()) throw usage_error("pgorm: cannot start an external server (PGORM_TEST_URL / DATABASE_URL)");
    if (pid_ > 0) return;
    if (dir_.empty()) throw usage_error("pgorm: this cluster's data directory is gone");
    if (port_ != 0) {
        launch();
        if (wait_ready()) return;
        stop(stop_mode::immediate);
        throw connection_error("pgorm: the embedded PostgreSQL did not restart on port " + std::to_string(port_) +
                               ":\n" + read_file(dir_ / "server.log"));
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_port();
        launch();
        if (wait_ready()) return;
        if (pid_ < 0) continue;  // exited early: the port was taken by a racing process?
        break;
    }
    std::string out = read_file(dir_ / "server.log");
    destroy();
    throw connection_error("pgorm: the embedded PostgreSQL did not start:\n" + out);
}

PGORM_DECL void cluster::restart(stop_mode mode) {
    stop(mode);
    start();
}

PGORM_DECL std::string cluster::with_database(const std::string& url, std::string_view db) {
    // postgresql://user@host:port/dbname?opts -> same with another dbname
    auto scheme = url.find("://");
    if (scheme == std::string::npos) return url + " dbname=" + std::string(db);
    auto slash = url.find('/', scheme + 3);
    auto query = url.find('?', scheme + 3);
    std::string head =
        url.substr(0, slash == std::string::npos ? (query == std::string::npos ? url.size() : query) : slash);
    std::string tail = query == std::string::npos ? "" : url.substr(query);
    return head + "/" + std::string(db) + tail;
}

PGORM_DECL std::string cluster::bin(const char* tool) const {
    std::string d = opts_.bin_dir;
    if (d.empty()) {
        const char* env = std::getenv("PGORM_PG_BIN");
        d = env && *env ? env : "/usr/lib/postgresql/15/bin";
    }
    std::string p = d + "/" + tool;
    if (::access(p.c_str(), X_OK) != 0)
        throw config_error("pgorm: cannot find " + p +
                           "; install postgresql-15 (apt-get install postgresql-15) or set PGORM_PG_BIN");
    return p;
}

PGORM_DECL int cluster::free_port() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (s >= 0) ::close(s);
        throw connection_error("pgorm: cannot find a free TCP port on 127.0.0.1");
    }
    int port = ntohs(a.sin_port);
    ::close(s);
    return port;
}

PGORM_DECL cluster::identity cluster::server_identity() {
    if (::geteuid() != 0) return {::geteuid(), ::getegid(), false};
    for (const char* name : {"postgres", "nobody"})
        if (passwd* pw = ::getpwnam(name)) return {pw->pw_uid, pw->pw_gid, true};
    throw config_error("pgorm: running as root and no unprivileged 'postgres' or 'nobody' user exists");
}

PGORM_DECL pid_t cluster::spawn(const std::vector<std::string>& argv, const std::filesystem::path& log,
                                bool die_with_parent) const {
    identity id = server_identity();
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw connection_error("pgorm: fork failed starting " + argv[0]);
    if (pid == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::close(fd);
        }
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        if (id.drop) {
            if (::setgroups(0, nullptr) != 0 || ::setgid(id.gid) != 0 || ::setuid(id.uid) != 0) ::_exit(126);
        }
        if (die_with_parent) {
            ::prctl(PR_SET_PDEATHSIG, SIGQUIT);  // after setuid: a uid change clears it
            if (::getppid() != parent) ::_exit(0);
        }
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

PGORM_DECL std::string cluster::read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

PGORM_DECL void cluster::destroy() noexcept {
    stop();
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        dir_.clear();
    }
}

PGORM_DECL void cluster::launch() {
    auto data = dir_ / "data";
    pid_ = spawn(
        {bin("postgres"), "-D", data.string(), "-p", std::to_string(port_), "-h", "127.0.0.1", "-k", dir_.string()},
        dir_ / "server.log", true);
}

PGORM_DECL void cluster::initialize() {
    identity id = server_identity();
    char tmpl[] = "/tmp/pgorm-cluster-XXXXXX";
    if (!::mkdtemp(tmpl)) throw connection_error("pgorm: cannot create a temporary directory in /tmp");
    dir_ = tmpl;
    auto data = dir_ / "data";
    auto log = dir_ / "server.log";
    if (id.drop) {
        if (::chown(dir_.c_str(), id.uid, id.gid) != 0) throw connection_error("pgorm: cannot chown " + dir_.string());
    }
    ::chmod(dir_.c_str(), 0755);
    {
        std::ofstream(log).flush();
        if (id.drop && ::chown(log.c_str(), id.uid, id.gid) != 0) {
        }
    }
    std::string initdb = bin("initdb");
    pid_t ip = spawn({initdb, "-D", data.string(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
                      "--no-sync", "--no-instructions"},
                     log, true);
    int status = 0;
    ::waitpid(ip, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string out = read_file(log);
        destroy();
        throw connection_error("pgorm: initdb failed:\n" + out);
    }
    {
        std::ofstream conf(data / "postgresql.conf", std::ios::app);
        conf << "\n# pgorm embedded test cluster: speed over durability\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\nshared_buffers = 128MB\n"
                "max_prepared_transactions = 0\nlog_min_messages = warning\n"
                "max_locks_per_transaction = 256\n";
        for (auto& s : opts_.settings) conf << s << '\n';
    }
}

PGORM_DECL bool cluster::wait_ready() {
    auto deadline = std::chrono::steady_clock::now() + opts_.start_timeout;
    std::string ci =
        "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres connect_timeout=2";
    while (std::chrono::steady_clock::now() < deadline) {
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        if (PQping(ci.c_str()) == PQPING_OK) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace pgorm::testing
