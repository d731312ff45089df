// expect: static assertion failed: pgorm: UNION needs the same C\+\+ type in each column of both queries
// A UNION whose columns differ in type would fail on the server (or read the wrong type): it
// does not compile, and the message says to compare the select lists.
#include <pgorm/query.hpp>

struct User { std::string id; std::string email; std::int64_t credits = 0; };
BOOST_DESCRIBE_STRUCT(User, (), (id, email, credits))
PGORM_TABLE(User, "users", key(&User::id));

int main() {
    using pgorm::col;
    auto q = pgorm::union_all(pgorm::select(col(&User::email)).from<User>(), pgorm::select(col(&User::credits)).from<User>());
    return static_cast<int>(q.to_sql().size());
}
