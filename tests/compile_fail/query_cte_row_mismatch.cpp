// expect: static assertion failed: pgorm: a CTE's query must select one item per member of its row struct
// A CTE's columns are named by its row struct's members: a query that selects other types (or
// another number of items) would read wrong data, so it does not compile.
#include <pgorm/query.hpp>

struct User { std::string id; std::string email; std::int64_t credits = 0; };
BOOST_DESCRIBE_STRUCT(User, (), (id, email, credits))
PGORM_TABLE(User, "users", key(&User::id));
struct Rich { std::string email; std::int64_t credits = 0; };
BOOST_DESCRIBE_STRUCT(Rich, (), (email, credits))

int main() {
    using pgorm::col;
    using rich = pgorm::cte<Rich, "rich">;
    auto q = pgorm::select(rich::col(&Rich::email))
                 .with<rich>(pgorm::select(col(&User::credits), col(&User::email)).from<User>())
                 .from<rich>();
    return static_cast<int>(q.to_sql().size());
}
