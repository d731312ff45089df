#pragma once
// Bodies of testing/fault_proxy.hpp. Included at the end of the header (header-only) or by
// <pgorm/testing/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/testing/fault_proxy.hpp>

namespace pgorm::testing {

PGORM_DECL fault_proxy::fault_proxy(int target_port) : target_port_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 64) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
        ::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
        std::string why = std::strerror(errno);
        close_quietly();
        throw connection_error("pgorm: fault_proxy cannot listen on 127.0.0.1: " + why);
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
}

PGORM_DECL fault_proxy::~fault_proxy() {
    command(op::quit);
    if (thread_.joinable()) thread_.join();
    close_quietly();
}

PGORM_DECL std::size_t fault_proxy::accepted() const {
    std::lock_guard lk(m_);
    return accepted_;
}

PGORM_DECL bool fault_proxy::can_vanish() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    bool ok = s >= 0 && ::setsockopt(s, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) == 0;
    if (s >= 0) ::close(s);
    return ok;
}

PGORM_DECL sockaddr_in fault_proxy::loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
}

PGORM_DECL void fault_proxy::set_mode(mode m, std::chrono::milliseconds d) {
    {
        std::lock_guard lk(m_);
        mode_ = m;
        delay_ = d;
    }
    command(op::mode_changed);
}

PGORM_DECL void fault_proxy::command(op o) {
    std::unique_lock lk(m_);
    if (!thread_.joinable() || stopped_) return;
    done_.wait(lk, [&] { return pending_ == op::none; });
    if (stopped_) return;
    pending_ = o;
    char b = 1;
    (void)!::write(wake_[1], &b, 1);
    done_.wait(lk, [&] { return pending_ == op::none || stopped_; });
}

PGORM_DECL void fault_proxy::close_quietly() noexcept {
    for (int* fd : {&listener_, &wake_[0], &wake_[1]})
        if (*fd >= 0) ::close(*fd), *fd = -1;
}

PGORM_DECL void fault_proxy::reset(int fd) noexcept {
    if (fd < 0) return;
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

PGORM_DECL void fault_proxy::forget(int fd) noexcept {
    if (fd < 0) return;
    int on = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) != 0) {
        reset(fd);  // no capability: the closest we can do (callers check can_vanish())
        return;
    }
    ::close(fd);
}

PGORM_DECL void fault_proxy::run() noexcept {
    run_loop();
    std::lock_guard lk(m_);
    stopped_ = true;
    pending_ = op::none;
    done_.notify_all();
}

PGORM_DECL void fault_proxy::run_loop() noexcept {
    std::vector<link> links;
    std::vector<pollfd> fds;
    for (;;) {
        mode m;
        std::chrono::milliseconds d;
        {
            std::lock_guard lk(m_);
            m = mode_;
            d = delay_;
        }
        const auto now = std::chrono::steady_clock::now();
        int timeout = 200;  // ms: also the latest a delayed chunk waits past its due time
        fds.clear();
        fds.push_back({wake_[0], POLLIN, 0});
        fds.push_back({listener_, static_cast<short>(m == mode::stall ? 0 : POLLIN), 0});
        for (auto& l : links) {
            auto wants = [&](const std::deque<chunk>& q) -> short {
                if (m == mode::stall || q.empty()) return 0;
                if (q.front().due > now) {
                    auto left = std::chrono::ceil<std::chrono::milliseconds>(q.front().due - now).count();
                    timeout = std::min<int>(timeout, static_cast<int>(left));
                    return 0;
                }
                return POLLOUT;
            };
            short read = m == mode::stall ? 0 : POLLIN;
            fds.push_back({l.client, static_cast<short>(read | wants(l.to_client)), 0});
            fds.push_back({l.server, static_cast<short>(read | wants(l.to_server)), 0});
        }
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) return;

        if (fds[0].revents & POLLIN) {
            char buf[64];
            while (::read(wake_[0], buf, sizeof buf) > 0) {
            }
            std::unique_lock lk(m_);
            op o = pending_;
            if (o == op::vanish || o == op::cut || o == op::quit) {
                for (auto& l : links) {
                    if (o == op::vanish) {
                        forget(l.client);
                        ::close(l.server);  // the server sees the client go and rolls back
                    } else {
                        reset(l.client);
                        reset(l.server);
                    }
                }
                links.clear();
            }
            pending_ = op::none;
            done_.notify_all();
            if (o == op::quit) return;
            continue;  // the sockets polled above may be gone
        }
        std::size_t polled = links.size();  // a link accepted below is polled next round
        if (fds[1].revents & POLLIN) accept_one(links);

        for (std::size_t i = 0; i < polled;) {
            link& l = links[i];
            const pollfd& c = fds[2 + 2 * i];
            const pollfd& s = fds[3 + 2 * i];
            bool ok = relay(c, l.client, l.to_server, d) && relay(s, l.server, l.to_client, d) &&
                      flush(c, l.client, l.to_client) && flush(s, l.server, l.to_server);
            if (!ok) {
                ::close(l.client);  // one side ended: end the other the same way (FIN)
                ::close(l.server);
                links.erase(links.begin() + static_cast<std::ptrdiff_t>(i));
                fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(2 + 2 * i),
                          fds.begin() + static_cast<std::ptrdiff_t>(4 + 2 * i));
                --polled;
                continue;
            }
            ++i;
        }
    }
}

PGORM_DECL void fault_proxy::accept_one(std::vector<link>& links) {
    int c = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) return;
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(target_port_);
    if (s < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {  // loopback: at once
        if (s >= 0) ::close(s);
        ::close(c);
        return;
    }
    ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
    int on = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    links.push_back({c, s, {}, {}});
    std::lock_guard lk(m_);
    ++accepted_;
}

PGORM_DECL bool fault_proxy::relay(const pollfd& p, int fd, std::deque<chunk>& out, std::chrono::milliseconds d) {
    if (p.revents & (POLLERR | POLLNVAL)) return false;
    if (!(p.revents & (POLLIN | POLLHUP))) return true;
    char buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    out.push_back({std::string(buf, static_cast<std::size_t>(n)), std::chrono::steady_clock::now() + d});
    return true;
}

PGORM_DECL bool fault_proxy::flush(const pollfd& p, int fd, std::deque<chunk>& q) {
    if (!(p.revents & POLLOUT)) return true;
    const auto now = std::chrono::steady_clock::now();
    while (!q.empty() && q.front().due <= now) {
        ssize_t n = ::send(fd, q.front().bytes.data(), q.front().bytes.size(), MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        q.front().bytes.erase(0, static_cast<std::size_t>(n));
        if (!q.front().bytes.empty()) return true;
        q.pop_front();
    }
    return true;
}

}  // namespace pgorm::testing
