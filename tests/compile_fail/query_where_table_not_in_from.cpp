// expect: static assertion failed: pgorm: a column of this query names a table that is not in its FROM or JOIN
// A WHERE condition on a table the query does not read does not compile.
#include <pgorm/query.hpp>

struct User { std::string id; std::string org_id; };
BOOST_DESCRIBE_STRUCT(User, (), (id, org_id))
PGORM_TABLE(User, "users", key(&User::id));
struct Org { std::string id; std::string name; };
BOOST_DESCRIBE_STRUCT(Org, (), (id, name))
PGORM_TABLE(Org, "organizations", key(&Org::id));

int main() {
    using pgorm::col;
    auto q = pgorm::select(col(&User::id)).from<User>().where(col(&Org::name) == "Acme Inc");
    return static_cast<int>(q.to_sql().size());
}
