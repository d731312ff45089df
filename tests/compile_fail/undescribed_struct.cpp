// expect: Add BOOST_DESCRIBE_STRUCT
// A struct used as a table without BOOST_DESCRIBE_STRUCT must not compile, and say what to add.
#include <pgorm.hpp>

struct Widget {
    int id;
};

int main() { return static_cast<int>(pgorm::table<Widget>::column_count); }
