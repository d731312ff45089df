// expect: Add PGORM_TABLE
// A described struct without PGORM_TABLE has no table: the error says what to add.
#include <pgorm.hpp>

struct Gadget {
    int id;
};
BOOST_DESCRIBE_STRUCT(Gadget, (), (id))

int main() { return static_cast<int>(pgorm::table<Gadget>::name.size()); }
