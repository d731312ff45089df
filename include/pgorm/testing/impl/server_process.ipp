#pragma once
// Bodies of testing/server_process.hpp. Included at the end of the header (header-only) or by
// <pgorm/testing/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/testing/server_process.hpp>

#include <pgorm/error.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace pgorm::testing::detail {

PGORM_DECL server_user unprivileged_user() {
    if (::geteuid() != 0) return {::geteuid(), ::getegid(), false};
    for (const char* name : {"postgres", "nobody"})
        if (passwd* pw = ::getpwnam(name)) return {pw->pw_uid, pw->pw_gid, true};
    throw config_error("pgorm: running as root and no unprivileged 'postgres' or 'nobody' user exists");
}

PGORM_DECL int free_loopback_port() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
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

PGORM_DECL std::filesystem::path make_server_directory(const char* prefix) {
    std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw connection_error("pgorm: cannot create a temporary directory in /tmp");
    server_user u = unprivileged_user();
    if (u.drop && ::chown(tmpl.c_str(), u.uid, u.gid) != 0)
        throw connection_error("pgorm: cannot chown " + tmpl + " to the server user");
    ::chmod(tmpl.c_str(), 0755);
    return tmpl;
}

PGORM_DECL void write_server_file(const std::filesystem::path& p, const std::string& text) {
    {
        std::ofstream out(p);
        out << text;
        if (!out) throw connection_error("pgorm: cannot write " + p.string());
    }
    server_user u = unprivileged_user();
    if (u.drop && ::chown(p.c_str(), u.uid, u.gid) != 0) throw connection_error("pgorm: cannot chown " + p.string());
}

PGORM_DECL std::string read_whole_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

PGORM_DECL pid_t spawn_as_server_user(const std::vector<std::string>& argv, const std::filesystem::path& log,
                                      bool die_with_parent) {
    server_user id = unprivileged_user();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
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
        if (id.drop && (::setgroups(0, nullptr) != 0 || ::setgid(id.gid) != 0 || ::setuid(id.uid) != 0)) ::_exit(126);
        if (die_with_parent) {
            ::prctl(PR_SET_PDEATHSIG, SIGQUIT);  // after setuid: a uid change clears it
            if (::getppid() != parent) ::_exit(0);
        }
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

PGORM_DECL int run_as_server_user(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    pid_t pid = spawn_as_server_user(argv, log, true);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

PGORM_DECL void stop_child(pid_t& pid, int sig, std::chrono::milliseconds grace) noexcept {
    if (pid <= 0) return;
    ::kill(pid, sig);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    pid = -1;
}

PGORM_DECL bool child_exited(pid_t& pid) noexcept {
    int status = 0;
    if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid) pid = -1;
    return pid <= 0;
}

}  // namespace pgorm::testing::detail
