#pragma once
// A loopback TCP proxy for failure tests: clients connect to port(), every connection is relayed
// to 127.0.0.1:<target>, and the test decides what the network does meanwhile:
//
//   pass()     relay everything (the start state)
//   delay(d)   relay each chunk d later
//   stall()    stop relaying both ways; the sockets stay open, so the kernels keep acknowledging
//              (a hung peer process: TCP sees a healthy connection)
//   vanish()   the proxy's end of every open connection disappears without FIN or RST, like a
//              host that went away: the client's next segment or keepalive probe meets an
//              unknown connection and is reset. Needs CAP_NET_ADMIN (TCP_REPAIR); can_vanish().
//   cut()      reset every open connection on both sides (RST)
//
// New connections are relayed in every mode but stall. One thread (started by the constructor,
// joined by the destructor) runs poll() over all sockets; commands are handed to it and done
// before the call returns. Test-only: it listens on 127.0.0.1 and has no limits.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/error.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pgorm::testing {

class fault_proxy {
public:
    /// Listens on a free port of 127.0.0.1 and relays to 127.0.0.1:`target_port`.
    /// Throws connection_error when the sockets or the thread cannot be made.
    explicit fault_proxy(int target_port);
    fault_proxy(const fault_proxy&) = delete;
    fault_proxy& operator=(const fault_proxy&) = delete;
    ~fault_proxy();

    /// The port clients connect to.
    int port() const noexcept { return port_; }
    /// Connections accepted so far.
    std::size_t accepted() const;

    void pass() { set_mode(mode::pass, {}); }
    void delay(std::chrono::milliseconds d) { set_mode(mode::delay, d); }
    void stall() { set_mode(mode::stall, {}); }
    void vanish() { command(op::vanish); }
    void cut() { command(op::cut); }

    /// Whether vanish() works here: TCP_REPAIR needs CAP_NET_ADMIN (root in most containers).
    static bool can_vanish();

private:
    enum class mode { pass, delay, stall };
    enum class op { none, mode_changed, vanish, cut, quit };

    struct chunk {
        std::string bytes;
        std::chrono::steady_clock::time_point due;
    };
    struct link {
        int client = -1, server = -1;
        std::deque<chunk> to_server, to_client;
    };

    static sockaddr_in loopback(int port);

    void set_mode(mode m, std::chrono::milliseconds d);

    // Hands `o` to the proxy thread and waits until it is done.
    void command(op o);

    void close_quietly() noexcept;

    // SO_LINGER 0: close() sends RST instead of FIN.
    static void reset(int fd) noexcept;
    // TCP_REPAIR: close() sends nothing and the kernel forgets the connection.
    static void forget(int fd) noexcept;

    void run() noexcept;

    void run_loop() noexcept;

    void accept_one(std::vector<link>& links);

    // Reads what `fd` has into `out`, due after `d`. False at end of file or on an error.
    static bool relay(const pollfd& p, int fd, std::deque<chunk>& out, std::chrono::milliseconds d);

    // Writes the due chunks of `q` to `fd`. False on an error.
    static bool flush(const pollfd& p, int fd, std::deque<chunk>& q);

    const int target_port_;
    int port_ = 0;
    int listener_ = -1;
    int wake_[2] = {-1, -1};
    std::thread thread_;

    mutable std::mutex m_;
    std::condition_variable done_;
    op pending_ = op::none;
    mode mode_ = mode::pass;
    std::chrono::milliseconds delay_{0};
    std::size_t accepted_ = 0;
    bool stopped_ = false;  // the thread has left its loop
};

}  // namespace pgorm::testing

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/testing/impl/fault_proxy.ipp>
#endif
