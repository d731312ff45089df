// expect: static assertion failed: pgorm: INSERT ... SELECT needs each selected item of its column's C\+\+ type
// INSERT ... SELECT whose items do not match the target columns' types would fail on the server
// or store the wrong data: it does not compile.
#include <pgorm/query.hpp>

struct User { std::string id; std::string email; std::int64_t credits = 0; };
BOOST_DESCRIBE_STRUCT(User, (), (id, email, credits))
PGORM_TABLE(User, "users", key(&User::id));

int main() {
    using pgorm::col;
    auto q = pgorm::insert_into(col(&User::id), col(&User::credits))
                 .select(pgorm::select(col(&User::credits), col(&User::email)).from<User>());
    return static_cast<int>(q.to_sql().size());
}
