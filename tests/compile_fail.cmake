# Compile-failure tests: each tests/compile_fail/<name>.cpp must fail to compile; the first error
# line of the compiler's output must match the regex given on the file's first line as
# `// expect: <regex>`, and the whole diagnostic must stay under 30 lines (g++ 12), so that the
# first thing a user reads says what to do and is not buried in template spew.
file(GLOB PGORM_COMPILE_FAIL_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/*.cpp)
# The compiler's own directories (Boost's is /usr/include on Debian) are left out: an -I for one
# moves it ahead of libstdc++'s headers and breaks their #include_next <stdlib.h>.
set(pgorm_compile_fail_flags -std=c++20 -fsyntax-only -I${PGORM_SOURCE_DIR}/include)
set(pgorm_compile_fail_deps ${PostgreSQL_INCLUDE_DIRS} ${Boost_INCLUDE_DIRS})
list(REMOVE_ITEM pgorm_compile_fail_deps ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES})
list(REMOVE_DUPLICATES pgorm_compile_fail_deps)
foreach(dep IN LISTS pgorm_compile_fail_deps)
  list(APPEND pgorm_compile_fail_flags -I${dep})
endforeach()
string(REPLACE ";" "|" pgorm_compile_fail_flags "${pgorm_compile_fail_flags}")
foreach(src IN LISTS PGORM_COMPILE_FAIL_SOURCES)
  get_filename_component(name ${src} NAME_WE)
  file(STRINGS ${src} expect_line LIMIT_COUNT 1 REGEX "^// expect: ")
  string(REGEX REPLACE "^// expect: " "" expect "${expect_line}")
  add_test(NAME compile_fail_${name}
    COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DFLAGS=${pgorm_compile_fail_flags} -DSOURCE=${src}
            "-DEXPECT=${expect}" -DMAX_LINES=30 -P ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/check.cmake)
  set_tests_properties(compile_fail_${name} PROPERTIES LABELS compile_fail)
endforeach()
