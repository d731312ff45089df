// A program built against an installed pgorm (a prefix, or the .deb unpacked): reflection,
// configuration, and functions that pgorm-gen wrote from queries.sql, run on a throwaway server.
#include <pgorm.hpp>
#include <pgorm/testing.hpp>

#include "queries.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

struct Item {
    std::string id;
    std::int64_t qty = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, qty))
PGORM_TABLE(Item, "items", key(&Item::id));

int main(int argc, char** argv) {
    static_assert(pgorm::table<Item>::name == "items");
    auto cfg = pgorm::config::from_url("postgresql://u:pw@localhost:5432/app");
    if (cfg.redacted().find("pw") != std::string::npos) return 1;
    try {
        pgorm::config::from_url("nonsense");
        return 1;
    } catch (const pgorm::config_error&) {
    }
    if (argc < 2) {
        std::cerr << "usage: consumer SCHEMA_SQL\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    std::stringstream schema;
    schema << in.rdbuf();

    pgorm::testing::cluster server;
    pgorm::connection db(server.url());
    db.execute_script(schema.str());
    shop::db::add_item(db, "apple", 3, std::nullopt);
    auto pear = shop::db::add_item(db, "pear", 7, std::string("ripe"));
    auto rows = shop::db::items_with_qty_at_least(db, 1);
    if (rows.size() != 2 || rows[1].note != std::optional<std::string>("ripe") || rows[0].note) return 1;
    std::cout << "consumer OK: " << rows.size() << " rows through generated code, pear qty " << pear.value().qty << '\n';
    return 0;
}
