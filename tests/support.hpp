#pragma once
// Test support: one embedded cluster per test executable, and a fresh database per test case
// copied from a template built by running the repository's migrations/.

#include <pgorm.hpp>

#include <catch2/catch.hpp>

namespace pgorm_test {

inline pgorm::testing::cluster& server() {
    static pgorm::testing::cluster c;
    return c;
}

inline const pgorm::testing::database_template& schema_template() {
    // Built once per state of migrations/ (keyed by the files' checksum), not once per test.
    static auto t = pgorm::testing::migrations_template(server(), PGORM_SOURCE_DIR "/migrations");
    return t;
}

/// A fresh database with migrations/ applied (the schema of schema.sql), dropped at the end of the test case.
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
