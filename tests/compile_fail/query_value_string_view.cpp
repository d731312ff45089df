// expect: error: static assertion failed: pgorm: this row type holds a view .*use std::string for text
// connection::query_value<std::string_view> would return a view into a PGresult freed before the
// call returns (AddressSanitizer: heap-use-after-free): it must not compile, and say what to use.
#include <pgorm.hpp>

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    std::string_view name = c.query_value<std::string_view>("SELECT repeat('x', 64)");
    return static_cast<int>(name.size());
}
