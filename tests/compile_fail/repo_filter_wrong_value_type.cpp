// expect: error: static assertion failed: pgorm: a filter compares this column with a value of another type.*pass a value of the member's C\+\+ type
// A filter comparing a bigint column with text: the first error says what to pass instead.
#include <pgorm.hpp>

struct User { std::string id; std::int64_t credits = 0; };
BOOST_DESCRIBE_STRUCT(User, (), (id, credits))
PGORM_TABLE(User, "users", key(&User::id));

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    pgorm::repository<User> users{c};
    return static_cast<int>(users.find(pgorm::col(&User::credits) > "100").size());
}
