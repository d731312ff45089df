// queries_demo: the functions pgorm-gen generated from queries.sql, on the embedded cluster.
// Built by examples/CMakeLists.txt; the header comes from pgorm_generate() in examples/generated.cmake.

#if __has_include("app_queries.hpp")
#include "app_queries.hpp"

#include <pgorm.hpp>
#include <pgorm/testing.hpp>

#include <iostream>

int main() {
    pgorm::testing::cluster server;  // a throwaway PostgreSQL (or PGORM_TEST_URL / DATABASE_URL)
    auto tpl = pgorm::testing::database_template::from_sql_file(server, PGORM_SOURCE_DIR "/schema.sql");
    pgorm::testing::scratch_database db(tpl);
    pgorm::connection conn(db.url());

    pgorm::xact tx(conn);
    auto org = app::db::create_organization(tx, "Acme Inc").value();
    for (const char* email : {"ada@acme.test", "bob@acme.test"})
        app::db::create_user(tx, {org.id, email, std::nullopt, std::nullopt, pgorm::jsonb<>(R"({"company": "Acme Inc"})")});
    tx.commit();

    for (auto& u : app::db::list_users_by_company(conn, "Acme Inc"))
        std::cout << u.email << " (" << u.user_id << ")\n";
    auto ada = app::db::get_user_by_email(conn, "ada@acme.test").value();
    std::cout << "credits after top-up: " << app::db::add_credits(conn, 100, ada.user_id).value() << "\n";

    std::vector<app::db::ImportEventsParams> events;
    for (int i = 0; i < 3; ++i) events.push_back({"demo.tick", "queries_demo", pgorm::jsonb<>("{}")});
    std::cout << "imported " << app::db::import_events(conn, events) << " events by binary COPY\n";
    std::cout << "pending events: " << app::db::list_pending_events(conn, 10).size() << "\n";
    return 0;
}
#else
#include <iostream>
int main() {
    std::cout << "queries_demo needs pgorm-gen (configure with PGORM_BUILD_TOOLS=ON)\n";
    return 0;
}
#endif
