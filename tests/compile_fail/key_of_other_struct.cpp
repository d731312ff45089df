// expect: must name members of the table's own struct
// A key naming a member of another struct does not compile.
#include <pgorm.hpp>

struct A { int id; };
BOOST_DESCRIBE_STRUCT(A, (), (id))
struct B { int id; int other; };
BOOST_DESCRIBE_STRUCT(B, (), (id, other))
PGORM_TABLE(B, "b", key(&A::id));

int main() { return pgorm::table<B>::is_key[0]; }
