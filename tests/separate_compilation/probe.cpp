// A translation unit of a program built with pgorm::compiled: it includes everything and runs one
// statement. check_symbols.cmake asserts that its object file defines none of the functions
// pgorm::compiled defines (they stay undefined references, resolved by the library).
#include <pgorm.hpp>

#include <cstdint>

std::int64_t pgorm_separate_probe(pgorm::connection& c) {
    return c.execute("SELECT $1::int8", std::int64_t{1}).affected_rows();
}
