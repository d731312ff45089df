// expect: static assertion failed: pgorm: a column of this statement names a table it does not read
// UPDATE ... WHERE on a second table needs that table in FROM: without from<U>() it does not compile.
#include <pgorm/query.hpp>

struct User { std::string id; std::string org_id; std::int64_t credits = 0; };
BOOST_DESCRIBE_STRUCT(User, (), (id, org_id, credits))
PGORM_TABLE(User, "users", key(&User::id));
struct Org { std::string id; std::string name; };
BOOST_DESCRIBE_STRUCT(Org, (), (id, name))
PGORM_TABLE(Org, "organizations", key(&Org::id));

int main() {
    using pgorm::col;
    auto q = pgorm::update<User>().set(col(&User::credits), 0).where(col(&User::org_id) == col(&Org::id));
    return static_cast<int>(q.to_sql().size());
}
