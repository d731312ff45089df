// expect: filters are on columns of different structs and cannot be combined
// Filters on two structs do not combine with && or ||.
#include <pgorm.hpp>

struct User { std::string id; std::string email; };
BOOST_DESCRIBE_STRUCT(User, (), (id, email))
PGORM_TABLE(User, "users", key(&User::id));
struct Org { std::string id; std::string name; };
BOOST_DESCRIBE_STRUCT(Org, (), (id, name))
PGORM_TABLE(Org, "organizations", key(&Org::id));

int main() {
    auto f = pgorm::col(&User::email) == "a@b.c" && pgorm::col(&Org::name) == "Acme Inc";
    (void)f;
}
