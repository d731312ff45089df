// expect: filter is on columns of another struct than the repository's
// repository<User>::find() refuses a filter on a column of another struct.
#include <pgorm.hpp>

struct User { std::string id; std::string email; };
BOOST_DESCRIBE_STRUCT(User, (), (id, email))
PGORM_TABLE(User, "users", key(&User::id));
struct Org { std::string id; std::string name; };
BOOST_DESCRIBE_STRUCT(Org, (), (id, name))
PGORM_TABLE(Org, "organizations", key(&Org::id));

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    pgorm::repository<User> users{c};
    return static_cast<int>(users.find(pgorm::col(&Org::name) == "Acme Inc").size());
}
