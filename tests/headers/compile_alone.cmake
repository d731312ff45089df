# Compiles public headers alone: for each one, a one-line translation unit `#include <pgorm/...>`
# checked with -fsyntax-only and warnings as errors. A header that uses a codec, a type or a
# function it does not include fails here, whatever the test programs happen to include first.
#   cmake -DCXX=<compiler> -DINCLUDE=<include dir> -DDEPS=<a|b|c> -DWORK=<dir> -DHEADERS=<a|b> -P compile_alone.cmake
#   cmake ... -DREGISTERED=<file> -P compile_alone.cmake   compiles only headers that exist now but were
#                                                          not in REGISTERED when CMake last configured
# Lists use '|' so they survive add_test's argument quoting.
cmake_minimum_required(VERSION 3.25)  # IN_LIST and the other policies of the project
foreach(var CXX INCLUDE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "compile_alone.cmake: -D${var}=... is required")
  endif()
endforeach()
string(REPLACE "|" ";" headers "${HEADERS}")
string(REPLACE "|" ";" deps "${DEPS}")

if(DEFINED REGISTERED)
  file(STRINGS ${REGISTERED} known)
  file(GLOB_RECURSE now RELATIVE ${INCLUDE} ${INCLUDE}/pgorm/*.hpp)
  list(APPEND now pgorm.hpp)
  set(headers "")
  foreach(h IN LISTS now)
    if(NOT h IN_LIST known)
      list(APPEND headers ${h})
    endif()
  endforeach()
  if(NOT headers)
    message(STATUS "every public header has its own compile test")
    return()
  endif()
  message(STATUS "headers added since CMake configured (re-run cmake to test them one by one): ${headers}")
endif()

set(flags -std=c++20 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I${INCLUDE})
foreach(d IN LISTS deps)
  list(APPEND flags -isystem ${d})  # as CMake passes an imported target's directories
endforeach()

file(MAKE_DIRECTORY ${WORK})
set(failed "")
foreach(h IN LISTS headers)
  string(MAKE_C_IDENTIFIER "${h}" stem)
  set(tu ${WORK}/${stem}.cpp)
  file(WRITE ${tu} "#include <${h}>\n")
  execute_process(COMMAND ${CXX} ${flags} ${tu} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
  if(NOT rc EQUAL 0)
    message("---- <${h}> does not compile on its own:\n${out}${err}")
    list(APPEND failed ${h})
  endif()
endforeach()
if(failed)
  string(REPLACE ";" ", " failed "${failed}")
  message(FATAL_ERROR "not self-contained (include what they use): ${failed}")
endif()
