#pragma once
// Test support: one embedded cluster per test executable, and a fresh database per test case
// copied from a template that has the repository's schema.sql applied.

#include <pgorm.hpp>

#include <catch2/catch.hpp>

namespace pgorm_test {

inline pgorm::testing::cluster& server() {
    static pgorm::testing::cluster c;
    return c;
}

inline const pgorm::testing::database_template& schema_template() {
    static auto t = pgorm::testing::database_template::from_sql_file(server(), PGORM_SOURCE_DIR "/schema.sql");
    return t;
}

/// A fresh database with schema.sql applied, dropped at the end of the test case.
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
