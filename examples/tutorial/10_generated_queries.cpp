// Step 10: generated queries. pgorm-gen reads 10_queries.sql, asks the server what each query
// takes and returns, and writes one typed function per query (pgorm_generate() in
// examples/tutorial/CMakeLists.txt; docs/codegen.md). Calling them is calling C++.
#include "tutorial.hpp"
#include "tutorial_queries.hpp"

#include <pgorm/core.hpp>

int main() {
    return tutorial::run("10_generated_queries", [] {
        tutorial::scratch db;
        pgorm::connection conn(db.url());

        auto org = tutorial::sql::create_organization(conn, "Acme Inc").value();  // :one -> std::optional<Row>
        tutorial::expect(org.id.starts_with("org_") && org.name == "Acme Inc", "the row RETURNING gave back");

        std::int64_t users = tutorial::sql::count_users(conn, org.id).value();  // one column: the value itself
        tutorial::expect(users == 0, "no users yet");

        std::int64_t renamed = tutorial::sql::rename_organization(conn, "Acme Corp", org.id);  // :execrows
        tutorial::expect(renamed == 1, "one row renamed");
    });
}
