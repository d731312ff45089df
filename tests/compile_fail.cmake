# Compile-failure tests: each tests/compile_fail/<name>.cpp must fail to compile, and the compiler's
# output must contain the message given on its first line as `// expect: <regex>`.
file(GLOB PGORM_COMPILE_FAIL_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/*.cpp)
foreach(src IN LISTS PGORM_COMPILE_FAIL_SOURCES)
  get_filename_component(name ${src} NAME_WE)
  file(STRINGS ${src} expect_line LIMIT_COUNT 1 REGEX "^// expect: ")
  string(REGEX REPLACE "^// expect: " "" expect "${expect_line}")
  add_test(NAME compile_fail_${name}
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -I${PGORM_SOURCE_DIR}/include
            -I${PostgreSQL_INCLUDE_DIRS} -I${Boost_INCLUDE_DIRS} ${src})
  set_tests_properties(compile_fail_${name} PROPERTIES PASS_REGULAR_EXPRESSION "${expect}")
endforeach()
