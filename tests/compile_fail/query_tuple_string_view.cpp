// expect: error: static assertion failed: pgorm: this row type holds a view .*std::vector<std::byte> for bytea
// A tuple with a view element read by connection::query: the rows outlive the result, so this
// must not compile.
#include <pgorm.hpp>

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    auto rows = c.query<std::tuple<int, std::string_view>>("SELECT 1, 'a'::text");
    return static_cast<int>(rows.size());
}
