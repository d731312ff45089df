// expect: error: no type named .+specialise_pgorm_codec_of_this_type_or_include_its_codec_header.+ in .+pgorm::detail::member_type_has_no_codec<&Shape::centre, Point>
// A table member whose type has no codec (Point): repository<Shape> insert, get, find and update
// fail with one error that names the member and its type and says what to do, not
// "incomplete type codec<Point>" per call.
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
