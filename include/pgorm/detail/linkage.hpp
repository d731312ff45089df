#pragma once
// How pgorm's non-template functions are linked.
//
// Header-only (the default): each header that has out-of-line bodies includes its impl/*.ipp at
// its end, and PGORM_DECL is `inline`, so every translation unit compiles them again.
//
// Separate compilation: define PGORM_SEPARATE_COMPILATION in every translation unit of the
// program (CMake: link pgorm::compiled instead of pgorm::pgorm). Headers then only declare those
// functions, and one translation unit defines them by including <pgorm/src.hpp>. This is the
// scheme of Boost.Asio, Boost.Beast and Boost.MySQL (BOOST_MYSQL_SEPARATE_COMPILATION). Mixing
// the two modes in one program breaks the one-definition rule: choose one per program.
#ifdef PGORM_SEPARATE_COMPILATION
#define PGORM_DECL
#else
#define PGORM_DECL inline
#endif
