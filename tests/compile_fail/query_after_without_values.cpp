// expect: static assertion failed: pgorm: after\(\) takes the last row's value of each ORDER BY column
// Keyset pagination without the last row's values has nothing to compare with: it does not compile.
#include <pgorm/query.hpp>

struct User { std::string id; std::string email; };
BOOST_DESCRIBE_STRUCT(User, (), (id, email))
PGORM_TABLE(User, "users", key(&User::id));

int main() {
    using pgorm::col;
    auto q = pgorm::select(col(&User::id)).from<User>().order_by(col(&User::email)).after();
    return static_cast<int>(q.to_sql().size());
}
