// expect: 63-byte identifier limit
// A table struct whose member name is 64 bytes: repository<T> would create and query a column
// the server truncates. Refused at compile time.
#include <pgorm.hpp>

struct Wide {
    int id;
    int a_member_name_that_is_exactly_sixty_four_bytes_long_xxxxxxxxxxxx;
};
BOOST_DESCRIBE_STRUCT(Wide, (), (id, a_member_name_that_is_exactly_sixty_four_bytes_long_xxxxxxxxxxxx))
PGORM_TABLE(Wide, "wide", key(&Wide::id));

int main() { return static_cast<int>(pgorm::table<Wide>::column_count); }
