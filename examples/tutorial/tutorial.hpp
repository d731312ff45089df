#pragma once
// What every tutorial step shares: a throwaway database with the example application's schema
// (migrations/), and `expect`, which stops the step with a message when a result is not the one
// the text promises, so each step is also a test (CTest runs them, label `tutorial`).
//
// The database: $DATABASE_URL's server when set (a scratch database created and dropped there),
// else an embedded PostgreSQL 15 started for the run and removed after it.

#include <pgorm/testing.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

namespace tutorial {

/// A migrated scratch database; `url()` connects to it. Dropped (and the server stopped) at exit.
struct scratch {
    pgorm::testing::cluster server;
    pgorm::testing::database_template migrated =
        pgorm::testing::migrations_template(server, PGORM_SOURCE_DIR "/migrations");
    pgorm::testing::scratch_database database{migrated};

    std::string url() const { return database.url(); }
};

/// Throws std::logic_error naming `what` when `ok` is false.
inline void expect(bool ok, const std::string& what) {
    if (!ok) throw std::logic_error("tutorial: expected " + what);
}

/// Runs a step's body and turns an exception into exit code 1 with its message.
template <class F>
int run(const char* step, F&& body) {
    try {
        body();
        std::cout << step << ": ok\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << step << " failed: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace tutorial
