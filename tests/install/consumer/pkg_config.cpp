// Compiled with nothing but `pkg-config --cflags --libs pgorm` and -std=c++20; and compiled, linked
// and run with `pkg-config --cflags --libs pgorm-compiled`: config::from_url is one of the
// functions libpgorm_compiled.a defines, so that program only links when the library and
// PGORM_SEPARATE_COMPILATION both come from pgorm-compiled.pc.
#include <pgorm.hpp>

int main() { return pgorm::config::from_url("postgresql://localhost/app").conninfo.empty() ? 1 : 0; }
