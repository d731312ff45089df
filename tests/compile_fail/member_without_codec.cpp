// expect: error: static assertion failed: pgorm: this C\+\+ type has no codec .*specialise pgorm::codec<Type>
// A table member whose type has no codec (Point): repository<Shape> insert, get, find and update
// fail with one message that says what to do, not "incomplete type codec<Point>" per call.
#include <pgorm.hpp>

struct Point { double x, y; };
struct Shape { std::string id; Point centre; int sides = 0; };
BOOST_DESCRIBE_STRUCT(Shape, (), (id, centre, sides))
PGORM_TABLE(Shape, "shapes", key(&Shape::id));

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    pgorm::repository<Shape> shapes{c};
    Shape s = shapes.insert(Shape{"s1", {1, 2}, 3});
    auto got = shapes.get(std::string("s1"));
    auto many = shapes.find(pgorm::col(&Shape::sides) > 2);
    shapes.update(s);
    return static_cast<int>(many.size()) + got.has_value();
}
