// A program built against an installed pgorm: reflection and configuration, no server needed.
#include <pgorm.hpp>

#include <iostream>

struct Item {
    std::string id;
    std::int64_t qty = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, qty))
PGORM_TABLE(Item, "items", key(&Item::id));

int main() {
    static_assert(pgorm::table<Item>::name == "items");
    static_assert(pgorm::table<Item>::column_count == 2);
    auto cfg = pgorm::config::from_url("postgresql://u:pw@localhost:5432/app");
    if (cfg.redacted().find("pw") != std::string::npos) return 1;
    try {
        pgorm::config::from_url("nonsense");
        return 1;
    } catch (const pgorm::config_error&) {
    }
    std::cout << "consumer OK: table " << pgorm::table<Item>::name << '\n';
    return 0;
}
