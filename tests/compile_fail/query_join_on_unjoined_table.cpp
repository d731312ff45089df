// expect: static assertion failed: pgorm: the ON condition names a table that is not in this query's FROM or JOIN
// A join's ON condition may only name tables joined so far (and the one being joined).
#include <pgorm/query.hpp>

struct User { std::string id; std::string org_id; };
BOOST_DESCRIBE_STRUCT(User, (), (id, org_id))
PGORM_TABLE(User, "users", key(&User::id));
struct Org { std::string id; std::string name; };
BOOST_DESCRIBE_STRUCT(Org, (), (id, name))
PGORM_TABLE(Org, "organizations", key(&Org::id));
struct Team { std::string id; std::string org_id; };
BOOST_DESCRIBE_STRUCT(Team, (), (id, org_id))
PGORM_TABLE(Team, "teams", key(&Team::id));

int main() {
    using pgorm::col;
    auto q = pgorm::select(col(&User::id)).from<User>().join<Org>(pgorm::on(col(&Team::org_id) == col(&Org::id)));
    return static_cast<int>(q.to_sql().size());
}
