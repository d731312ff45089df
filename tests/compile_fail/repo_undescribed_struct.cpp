// expect: error: static assertion failed: pgorm: this struct is not described.*Add BOOST_DESCRIBE_STRUCT
// repository<T> of a struct with neither BOOST_DESCRIBE_STRUCT nor PGORM_TABLE: insert, get, find
// and update give one message that says what to add, not a cascade from every member function.
#include <pgorm.hpp>

struct Widget { std::string id; int size = 0; };

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    pgorm::repository<Widget> widgets{c};
    Widget w = widgets.insert(Widget{"w1", 3});
    auto got = widgets.get(std::string("w1"));
    auto big = widgets.find(pgorm::col(&Widget::size) > 2);
    widgets.update(w);
    return static_cast<int>(big.size()) + got.has_value();
}
