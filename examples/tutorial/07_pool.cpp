// Step 7: the pool. Thread-safe: each thread checks out a connection (acquire), uses it, and it
// goes back when the handle goes. Sizes, timeouts and counters are in pool_options / stats().
#include "tutorial.hpp"

#include <pgorm/pool.hpp>
#include <pgorm/xact.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

int main() {
    return tutorial::run("07_pool", [] {
        tutorial::scratch db;
        pgorm::pool_options o;
        o.min_size = 1;
        o.max_size = 3;
        o.acquire_timeout = std::chrono::seconds(10);  // then pool_timeout
        pgorm::pool pool(db.url(), o);

        std::atomic<int> done{0};
        std::vector<std::thread> workers;
        for (int i = 0; i < 6; ++i)
            workers.emplace_back([&] {
                auto h = pool.acquire();  // blocks while all three are in use
                h->execute("SELECT pg_sleep(0.05)");
                ++done;
            });
        for (auto& t : workers) t.join();
        tutorial::expect(done == 6, "six checkouts served");

        auto s = pool.stats();
        std::cout << "opened " << s.created << " connection(s) for " << s.acquired << " checkouts\n";
        tutorial::expect(s.created <= 3 && s.acquired >= 6, "at most max_size connections");
        tutorial::expect(s.created - s.closed == s.in_use + s.idle + s.opening, "the pool's counter invariant");
    });
}
