// The other translation unit of link_modes.cmake's programs: it hands a pgorm::connection to
// probe.cpp's function. Built twice, in separate mode (the program links) and header-only (the
// program mixes modes, which must fail to link and say so). Never run: it only has to link.
#include <pgorm/core/connection.hpp>

#include <cstdint>

std::int64_t pgorm_separate_probe(pgorm::connection& c);

int main(int argc, char** argv) {
    if (argc < 2) return 0;
    pgorm::connection c(argv[1]);
    return static_cast<int>(pgorm_separate_probe(c));
}
