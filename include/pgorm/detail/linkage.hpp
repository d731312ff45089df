#pragma once
// How pgorm's non-template functions are linked.
//
// Header-only (the default): each header that has out-of-line bodies includes its impl/*.ipp at
// its end, and PGORM_DECL is `inline`, so every translation unit compiles them again.
//
// Separate compilation: define PGORM_SEPARATE_COMPILATION in every translation unit of the
// program (CMake: link pgorm::compiled instead of pgorm::pgorm). Headers then only declare those
// functions, and one translation unit defines them by including <pgorm/src.hpp> (and
// <pgorm/testing/src.hpp> when the program uses pgorm::testing, <pgorm/async/src.hpp> when it
// uses the async API). This is the scheme of
// Boost.Asio, Boost.Beast and Boost.MySQL (BOOST_MYSQL_SEPARATE_COMPILATION).
//
// One mode per program. A function that is inline in one translation unit and not in another is
// ill-formed ([basic.def.odr]), and the linker would keep whichever copy it meets first, silently.
// Two guards turn the usual mistakes into link errors that name themselves:
//   - PGORM_ABI_TAG, on the head of every class of the compiled layers that programs hand from
//     one translation unit to another (connection, the pool and its engine, pooled handles,
//     transaction scopes, advisory locks, listener, pipeline, COPY writer, migrator, the testing
//     servers), puts the mode into their mangled names (GCC's abi_tag attribute, also understood
//     by clang). A function taking a `pgorm::connection&` defined in a separate-mode file and
//     called from a header-only one is then `undefined reference to
//     f(pgorm::connection[abi:pgorm_header_only]&)`, and the other way round `[abi:pgorm_separate]`.
//     Classes that merely hold one (one's own; queue, events and bus, whose members are inline in
//     both modes) do not carry the tag: -Wabi-tag (not in -Wall, and noisy anyway: it names every
//     class holding a std::string for lacking its "cxx11" tag) lists them. So keep the definition
//     in the build system, for the whole program.
//   - Every separate-mode translation unit references pgorm::link_pgorm_compiled_or_include_src_hpp(),
//     which only <pgorm/src.hpp> defines, from a never-called function, so a program that lacks
//     both has `undefined reference to pgorm::link_pgorm_compiled_or_include_src_hpp()' as the
//     first error of each of its objects (GNU ld, -O0 and -O2).
// Neither adds code to any call path: the tag changes names only, the reference is one unused
// function per translation unit.
#ifdef PGORM_SEPARATE_COMPILATION
#define PGORM_DECL
#else
#define PGORM_DECL inline
#endif

#if defined(__GNUC__)
#ifdef PGORM_SEPARATE_COMPILATION
#define PGORM_ABI_TAG [[gnu::abi_tag("pgorm_separate")]]
#else
#define PGORM_ABI_TAG [[gnu::abi_tag("pgorm_header_only")]]
#endif
#else
#define PGORM_ABI_TAG
#endif

#ifdef PGORM_SEPARATE_COMPILATION
namespace pgorm {
/// Defined by <pgorm/src.hpp> alone (so by pgorm::compiled), never called: its name is the
/// linker's message when a separate-mode program lacks both.
void link_pgorm_compiled_or_include_src_hpp();
namespace detail {
#if defined(__GNUC__)
/// Never called either; it makes each translation unit reference the function above. In .text,
/// emitted before anything that follows the include, so its error is the first one GNU ld reports.
[[gnu::used]] static void (*separate_compilation_needs_pgorm_src_hpp())() {
    return &link_pgorm_compiled_or_include_src_hpp;
}
#endif
}  // namespace detail
}  // namespace pgorm
#endif
