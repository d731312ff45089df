// expect: static assertion failed: pgorm: this table is in the query already: join a second copy under an alias
// Joining a table a second time needs an alias, or every column of it would be ambiguous.
#include <pgorm/query.hpp>

struct User { std::string id; std::string manager_id; };
BOOST_DESCRIBE_STRUCT(User, (), (id, manager_id))
PGORM_TABLE(User, "users", key(&User::id));

int main() {
    using pgorm::col;
    auto q = pgorm::select(col(&User::id)).from<User>().join<User>(pgorm::on(col(&User::manager_id) == col(&User::id)));
    return static_cast<int>(q.to_sql().size());
}
