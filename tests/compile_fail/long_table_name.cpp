// expect: table name is longer than PostgreSQL's 63-byte identifier limit
// PGORM_TABLE with a 64-byte table name. Refused at compile time.
#include <pgorm.hpp>

struct Thing {
    int id;
};
BOOST_DESCRIBE_STRUCT(Thing, (), (id))
PGORM_TABLE(Thing, "a_table_name_that_is_exactly_sixty_four_bytes_long_xxxxxxxxxxxxx", key(&Thing::id));

int main() { return static_cast<int>(pgorm::table<Thing>::name.size()); }
