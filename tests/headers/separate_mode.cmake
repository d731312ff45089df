# <pgorm/src.hpp>, <pgorm/testing/src.hpp> and <pgorm/async/src.hpp> hold the definitions for separate compilation
# (include/pgorm/detail/linkage.hpp).
#   1. With -DPGORM_SEPARATE_COMPILATION it compiles on its own, warnings as errors: each impl/*.ipp
#      defines what its header declares, with the includes it needs.
#   2. Without it, it stops with its #error, which says what to do (checked on the preprocessor
#      alone, which is enough to reach the #error).
#   cmake -DCXX=<compiler> -DINCLUDE=<include dir> -DDEPS=<a|b|c> -DWORK=<dir> -P separate_mode.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var CXX INCLUDE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "separate_mode.cmake: -D${var}=... is required")
  endif()
endforeach()
string(REPLACE "|" ";" deps "${DEPS}")
set(flags -std=c++20 -Wall -Wextra -Wpedantic -Werror -I${INCLUDE})
foreach(d IN LISTS deps)
  list(APPEND flags -isystem ${d})
endforeach()
file(MAKE_DIRECTORY ${WORK})
set(tu ${WORK}/pgorm_src_hpp.cpp)
file(WRITE ${tu} "#include <pgorm/src.hpp>\n#include <pgorm/testing/src.hpp>\n#include <pgorm/async/src.hpp>\n")

execute_process(COMMAND ${CXX} ${flags} -DPGORM_SEPARATE_COMPILATION -fsyntax-only ${tu}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "<pgorm/src.hpp> does not compile with PGORM_SEPARATE_COMPILATION:\n${out}${err}")
endif()

foreach(h pgorm/src.hpp pgorm/testing/src.hpp pgorm/async/src.hpp)
  file(WRITE ${WORK}/error_check.cpp "#include <${h}>\n")
  execute_process(COMMAND ${CXX} ${flags} -E ${WORK}/error_check.cpp RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  set(expected "<${h}> is for separate compilation: define PGORM_SEPARATE_COMPILATION")
  string(FIND "${err}" "${expected}" at)
  if(rc EQUAL 0 OR at EQUAL -1)
    message(FATAL_ERROR "<${h}> without PGORM_SEPARATE_COMPILATION: expected a failure saying "
                        "'${expected}', got exit code ${rc}:\n${err}")
  endif()
endforeach()
message(STATUS "<pgorm/src.hpp>, <pgorm/testing/src.hpp> and <pgorm/async/src.hpp>: compile in separate mode, and say what to do in header-only mode")
