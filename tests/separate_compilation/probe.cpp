// A translation unit of a program built with pgorm::compiled: it includes everything and runs one
// statement and one repository read. check_symbols.cmake asserts that its object file defines none
// of the functions pgorm::compiled defines (they stay undefined references, resolved by the
// library); link_modes.cmake links it into a program (mixed_main.cpp) in both modes.
#include <pgorm.hpp>

#include <cstdint>
#include <string>

struct probe_item {
    std::string id;
    std::int64_t qty = 0;
};
BOOST_DESCRIBE_STRUCT(probe_item, (), (id, qty))
PGORM_TABLE(probe_item, "items", key(&probe_item::id));

std::int64_t pgorm_separate_probe(pgorm::connection& c) {
    pgorm::repository<probe_item> items{c};
    auto apple = items.get(std::string("apple"));
    return c.execute("SELECT $1::int8", std::int64_t{1}).affected_rows() + (apple ? apple->qty : 0);
}
