// Step 1: connect and run SQL. One connection, statements with $1 parameters sent in binary,
// results read as plain C++ values.
#include "tutorial.hpp"

#include <pgorm/core.hpp>

#include <cstdint>
#include <string>

int main() {
    return tutorial::run("01_connect", [] {
        tutorial::scratch db;
        pgorm::connection conn(db.url());  // a libpq URL or key=value string; config::from_env() reads DATABASE_URL

        // A single value: the one column of the one row.
        auto version = conn.query_value<std::string>("SHOW server_version");
        std::cout << "connected to PostgreSQL " << version << '\n';

        // Parameters are values, never pasted into the SQL text.
        auto sum = conn.query_value<std::int64_t>("SELECT $1::bigint + $2::bigint", 40, 2);
        tutorial::expect(sum == 42, "40 + 2 == 42");

        // execute() runs anything and returns the result; affected_rows() counts what it changed.
        conn.execute("CREATE TEMP TABLE notes (id int, body text)");
        auto inserted = conn.execute("INSERT INTO notes VALUES ($1, $2), ($3, $4)", 1, "hello", 2, "world");
        tutorial::expect(inserted.affected_rows() == 2, "two rows inserted");

        // Several rows of one column; NULL needs std::optional.
        auto bodies = conn.query<std::string>("SELECT body FROM notes ORDER BY id");
        tutorial::expect(bodies.size() == 2 && bodies[1] == "world", "bodies hello, world");
        auto nothing = conn.query_value<std::optional<std::string>>("SELECT NULL::text");
        tutorial::expect(!nothing, "NULL read as std::nullopt");
    });
}
