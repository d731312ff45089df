// expect: error: static assertion failed: pgorm: this C\+\+ type has no codec .*specialise pgorm::codec<Type>
// connection::query into a described struct, a tuple, and a parameter, each with a type that has
// no codec: one message per type that says what to do.
#include <pgorm.hpp>

struct Point { double x, y; };
struct Shape { std::string id; Point centre; };
BOOST_DESCRIBE_STRUCT(Shape, (), (id, centre))

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    auto rows = c.query<Shape>("SELECT id, centre FROM shapes WHERE centre = $1", Point{1, 2});
    auto pairs = c.query<std::tuple<std::string, Point>>("SELECT id, centre FROM shapes");
    return static_cast<int>(rows.size() + pairs.size());
}
