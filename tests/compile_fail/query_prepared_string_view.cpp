// expect: static assertion failed: pgorm: this row type holds a view .*use std::string for text
// A prepared query's rows outlive the PGresult they are read from, as fetch()'s do: a
// std::string_view row would dangle, so it must not compile, and the error says what to use.
#include <pgorm/query.hpp>

struct User { std::string id; std::string email; };
BOOST_DESCRIBE_STRUCT(User, (), (id, email))
PGORM_TABLE(User, "users", key(&User::id));

int main() {
    using pgorm::col;
    pgorm::connection c{"postgresql://localhost/none"};
    auto q = pgorm::select(col(&User::email)).from<User>().where(col(&User::id) == pgorm::arg()).prepare();
    return static_cast<int>(q.fetch<std::string_view>(c, "usr_1").size());
}
