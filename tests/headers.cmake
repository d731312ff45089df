# Every public header compiles on its own (include what you use): one test per header, so a
# failure names the header and `ctest -j` spreads the work. Run them with `ctest -L headers`.
# The glob is re-run on each build (CONFIGURE_DEPENDS), so new layers are covered without edits;
# headers_added_since_configure also catches those added after the last configure.
set(pgorm_header_root ${PGORM_SOURCE_DIR}/include)
file(GLOB_RECURSE pgorm_public_headers CONFIGURE_DEPENDS RELATIVE ${pgorm_header_root}
     ${pgorm_header_root}/pgorm/*.hpp)
list(APPEND pgorm_public_headers pgorm.hpp)
list(SORT pgorm_public_headers)

set(pgorm_header_deps ${PostgreSQL_INCLUDE_DIRS} ${Boost_INCLUDE_DIRS} ${OPENSSL_INCLUDE_DIR})
list(REMOVE_DUPLICATES pgorm_header_deps)
# -isystem /usr/include would break libstdc++'s #include_next; CMake leaves implicit directories out too.
list(REMOVE_ITEM pgorm_header_deps ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES})
string(REPLACE ";" "|" pgorm_header_deps "${pgorm_header_deps}")
set(pgorm_header_args -DCXX=${CMAKE_CXX_COMPILER} -DINCLUDE=${pgorm_header_root}
    -DDEPS=${pgorm_header_deps} -DWORK=${CMAKE_CURRENT_BINARY_DIR}/headers)

foreach(h IN LISTS pgorm_public_headers)
  string(REGEX REPLACE "\\.hpp$" "" name "${h}")
  if(h STREQUAL "pgorm/testing/src.hpp" OR h STREQUAL "pgorm/async/src.hpp")
    continue()  # checked with pgorm/src.hpp, in the same translation unit (separate_mode.cmake)
  endif()
  if(h STREQUAL "pgorm/src.hpp")
    # Only for separate compilation: compiled with PGORM_SEPARATE_COMPILATION (every impl/*.ipp
    # against its header's declarations), and its #error checked without it.
    add_test(NAME header_alone:${name}
      COMMAND ${CMAKE_COMMAND} ${pgorm_header_args} -P ${CMAKE_CURRENT_SOURCE_DIR}/headers/separate_mode.cmake)
    set_tests_properties(header_alone:${name} PROPERTIES LABELS headers TIMEOUT 300)
    continue()
  endif()
  add_test(NAME header_alone:${name}
    COMMAND ${CMAKE_COMMAND} ${pgorm_header_args} -DHEADERS=${h}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/headers/compile_alone.cmake)
  set_tests_properties(header_alone:${name} PROPERTIES LABELS headers TIMEOUT 300)
endforeach()

string(REPLACE ";" "\n" pgorm_header_list "${pgorm_public_headers}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/headers/registered.txt "${pgorm_header_list}\n")
add_test(NAME headers_added_since_configure
  COMMAND ${CMAKE_COMMAND} ${pgorm_header_args} -DREGISTERED=${CMAKE_CURRENT_BINARY_DIR}/headers/registered.txt
          -P ${CMAKE_CURRENT_SOURCE_DIR}/headers/compile_alone.cmake)
set_tests_properties(headers_added_since_configure PROPERTIES LABELS headers TIMEOUT 900)
