// expect: error: static assertion failed: pgorm: a filter compares this column with a value of another type
// Values that would convert but change meaning: a fraction against an integer column, a number
// against a boolean, a null pointer as text, a list of text against an integer column.
#include <pgorm.hpp>

struct User { std::string id; std::int64_t credits = 0; bool active = false; std::optional<std::string> name; };
BOOST_DESCRIBE_STRUCT(User, (), (id, credits, active, name))
PGORM_TABLE(User, "users", key(&User::id));

int main() {
    using pgorm::col;
    auto f = col(&User::credits) > 1.5 && col(&User::active) == 1 && col(&User::name) == nullptr &&
             col(&User::credits).in(std::vector<std::string>{"1"});
    return static_cast<int>(f.empty());
}
