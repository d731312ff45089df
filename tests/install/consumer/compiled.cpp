// A program built against an installed pgorm in separate mode (pgorm::compiled from
// find_package(pgorm), or pgorm-compiled.pc): a throwaway server (the library's testing member),
// a connection, a repository insert and read.
#include <pgorm.hpp>
#include <pgorm/testing.hpp>

#include <iostream>

struct Item {
    std::string id;
    std::int64_t qty = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, qty))
PGORM_TABLE(Item, "items", key(&Item::id));

int main() {
    pgorm::testing::cluster server;
    pgorm::connection db(server.url());
    db.execute_script("CREATE TABLE items (id text PRIMARY KEY, qty bigint NOT NULL)");
    pgorm::repository<Item> items{db};
    items.insert(Item{"apple", 3});
    auto apple = items.get(std::string("apple"));
    if (!apple || apple->qty != 3) return 1;
    std::cout << "consumer_compiled OK: apple qty " << apple->qty << '\n';
    return 0;
}
