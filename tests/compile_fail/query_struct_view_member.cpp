// expect: error: static assertion failed: pgorm: this row type holds a view .*keep the pgorm::result
// A described struct with a std::optional<std::string_view> member read by query_one: the row
// outlives the result, so this must not compile.
#include <pgorm.hpp>

struct Label {
    std::int64_t id = 0;
    std::optional<std::string_view> text;
};
BOOST_DESCRIBE_STRUCT(Label, (), (id, text))

int main() {
    pgorm::connection c{"postgresql://localhost/none"};
    auto one = c.query_one<Label>("SELECT 1::bigint AS id, 'a'::text AS text");
    return one ? 0 : 1;
}
