// Compiled with nothing but `pkg-config --cflags --libs pgorm` and -std=c++20.
#include <pgorm.hpp>

int main() { return pgorm::config::from_url("postgresql://localhost/app").conninfo.empty() ? 1 : 0; }
