// pgorm demo: typed structs in and out of PostgreSQL.
//
// Runs on $DATABASE_URL when set (in a scratch database it creates and drops), else on an
// embedded throwaway PostgreSQL 15 that it starts and removes.

#include <pgorm.hpp>

#include <iostream>

namespace demo {

struct Organization {
    std::string id;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(Organization, (), (id, name))
PGORM_TABLE(Organization, "organizations", key(&Organization::id), defaults(&Organization::id));

struct UserRow {
    std::string user_id;
    std::string email;
    std::optional<std::string> first_name;
    std::int64_t credits_balance = 0;
};
BOOST_DESCRIBE_STRUCT(UserRow, (), (user_id, email, first_name, credits_balance))

}  // namespace demo

int main() try {
    pgorm::testing::cluster server;
    std::cout << (server.external() ? "using the server at $DATABASE_URL\n"
                                    : "started an embedded PostgreSQL on port " + std::to_string(server.port()) + "\n");
    auto schema = pgorm::testing::database_template::from_sql_file(server, PGORM_SOURCE_DIR "/schema.sql");
    pgorm::testing::scratch_database db(schema);
    std::cout << "created database " << db.name() << " from schema.sql\n";

    pgorm::connection conn(db.url());
    auto org = conn.query_one<demo::Organization>(
        "INSERT INTO organizations (name) VALUES ($1) RETURNING id, name", "Acme Inc");
    std::cout << "organization " << org->id << " (" << org->name << ")\n";

    for (auto [email, name] : {std::pair{"ada@acme.test", "Ada"}, std::pair{"bob@acme.test", ""}}) {
        std::optional<std::string> first = *name ? std::optional<std::string>(name) : std::nullopt;
        auto id = conn.query_value<std::string>(
            "INSERT INTO users (organization_id, email, first_name) VALUES ($1, $2, $3) RETURNING user_id", org->id,
            email, first);
        std::cout << "inserted user " << id << " <" << email << ">\n";
    }

    conn.exec("BEGIN");
    auto ada = conn.query_one<demo::UserRow>(
        "SELECT user_id, email, first_name, credits_balance FROM users WHERE email = $1 FOR UPDATE",
        "ada@acme.test");
    conn.execute("UPDATE users SET credits_balance = credits_balance + $1 WHERE user_id = $2", std::int64_t{100},
                 ada->user_id);
    conn.execute(
        "INSERT INTO transactions (organization_id, user_id, stripe_session_extid, amount_paid_cents, credits_added) "
        "VALUES ($1, $2, $3, $4, $5)",
        org->id, ada->user_id, "cs_demo_1", std::int64_t{999}, std::int64_t{100});
    conn.exec("COMMIT");
    std::cout << "credited 100 to " << ada->email << " and recorded the transaction atomically\n";

    try {
        conn.execute(
            "INSERT INTO transactions (organization_id, user_id, stripe_session_extid, amount_paid_cents, "
            "credits_added) VALUES ($1, $2, $3, $4, $5)",
            org->id, ada->user_id, "cs_demo_1", std::int64_t{999}, std::int64_t{100});
    } catch (const pgorm::unique_violation& e) {
        std::cout << "a duplicate webhook was refused by the unique key: " << e.constraint() << '\n';
    }

    for (const auto& u : conn.query<demo::UserRow>(
             "SELECT user_id, email, first_name, credits_balance FROM users ORDER BY email")) {
        std::cout << "  " << u.email << "  name=" << u.first_name.value_or("(none)")
                  << "  credits=" << u.credits_balance << '\n';
    }
    std::cout << "done\n";
    return 0;
} catch (const std::exception& e) {
    std::cerr << "demo failed: " << e.what() << '\n';
    return 1;
}
