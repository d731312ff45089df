#pragma once
// Test support: one embedded cluster per test executable, and a fresh database per test case
// copied from a template built by running the tests' own migrations (tests/schema/migrations,
// not the example application's migrations/: see tests/schema/README.md).

// The opt-in layers beside <pgorm.hpp> are included here, once, so that the tests' shared
// precompiled header (tests/CMakeLists.txt) covers what the test files use.
#include <pgorm.hpp>
#include <pgorm/bus.hpp>
#include <pgorm/events.hpp>
#include <pgorm/migrate.hpp>
#include <pgorm/queue.hpp>
#include <pgorm/testing.hpp>
#include <pgorm/types.hpp>

#include <catch2/catch.hpp>

namespace pgorm_test {

/// The library tests' schema: migrations, their dump, and models.hpp for its tables.
inline constexpr const char* test_schema_dir = PGORM_SOURCE_DIR "/tests/schema";
inline constexpr const char* test_migrations_dir = PGORM_SOURCE_DIR "/tests/schema/migrations";

inline pgorm::testing::cluster& server() {
    static pgorm::testing::cluster c;
    return c;
}

inline const pgorm::testing::database_template& schema_template() {
    // Built once per state of the migrations (keyed by the files' checksum), not once per test.
    static auto t = pgorm::testing::migrations_template(server(), test_migrations_dir);
    return t;
}

/// A fresh database with the test migrations applied (tests/schema/schema.sql), dropped at the end of the test case.
struct fresh_db {
    pgorm::testing::scratch_database db{schema_template()};
    std::string url() const { return db.url(); }
    pgorm::connection connect() const { return db.connect(); }
};

/// A fresh empty database (no schema).
struct empty_db {
    pgorm::testing::scratch_database db{server()};
    std::string url() const { return db.url(); }
    pgorm::connection connect() const { return db.connect(); }
};

}  // namespace pgorm_test
