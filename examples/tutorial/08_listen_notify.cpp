// Step 8: LISTEN/NOTIFY. A listener has a connection of its own; notify() inside a transaction
// is delivered only if the transaction commits.
#include "tutorial.hpp"

#include <pgorm/core.hpp>
#include <pgorm/core/listener.hpp>
#include <pgorm/xact.hpp>

#include <chrono>

int main() {
    return tutorial::run("08_listen_notify", [] {
        using namespace std::chrono_literals;
        tutorial::scratch db;
        pgorm::listener jobs(db.url());
        jobs.listen("jobs");

        pgorm::connection conn(db.url());
        {
            pgorm::xact tx(conn);
            pgorm::notify(tx, "jobs", "rolled back");
        }  // no commit: never sent
        {
            pgorm::xact tx(conn);
            pgorm::notify(tx, "jobs", "job 7");
            tx.commit();
        }
        auto n = jobs.wait(5s);
        tutorial::expect(n && n->channel == "jobs" && n->payload == "job 7", "the committed notification");
        tutorial::expect(!jobs.wait(200ms), "nothing from the rolled-back transaction");
    });
}
