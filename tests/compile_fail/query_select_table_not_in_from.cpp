// expect: static assertion failed: pgorm: a selected column names a table that is not in this query's FROM or JOIN
// A selected column of a table that the query neither reads FROM nor JOINs does not compile.
#include <pgorm/query.hpp>

struct User { std::string id; std::string org_id; };
BOOST_DESCRIBE_STRUCT(User, (), (id, org_id))
PGORM_TABLE(User, "users", key(&User::id));
struct Org { std::string id; std::string name; };
BOOST_DESCRIBE_STRUCT(Org, (), (id, name))
PGORM_TABLE(Org, "organizations", key(&Org::id));

int main() {
    using pgorm::col;
    return static_cast<int>(pgorm::select(col(&User::id), col(&Org::name)).from<User>().to_sql().size());
}
