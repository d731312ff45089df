# One mode per program, enforced by the linker (include/pgorm/detail/linkage.hpp), and a program
# built with pgorm::compiled carries only what it uses. Links, with the compiler driver:
#   1. separate-mode main + probe + the library: links, and (nm -C) holds pgorm::connection but
#      no pgorm::testing:: symbol, although the library has them (its testing archive member is
#      not pulled);
#   2. header-only main + separate-mode probe + the library: must fail, with an undefined
#      reference whose text names the mode ([abi:pgorm_header_only]);
#   3. separate-mode main + probe without the library: must fail, and the first undefined
#      reference must be pgorm::link_pgorm_compiled_or_include_src_hpp().
#   cmake -DCXX=<driver> -DNM=<nm> -DLIBRARY=<libpgorm_compiled.a> -DPROBE=<o> -DMAIN_SEPARATE=<o>
#         -DMAIN_HEADER_ONLY=<o> -DLIBS=<a|b> -DLINK_FLAGS=<a|b> -DWORK=<dir> -P link_modes.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var CXX NM LIBRARY PROBE MAIN_SEPARATE MAIN_HEADER_ONLY LIBS WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "link_modes.cmake: -D${var}=... is required")
  endif()
endforeach()
string(REPLACE "|" ";" libs "${LIBS}")
string(REPLACE "|" ";" link_flags "${LINK_FLAGS}")
file(MAKE_DIRECTORY ${WORK})

function(link out result)  # link(<output> <result var> objects/libraries...): sets <var>_rc, <var>_log
  execute_process(COMMAND ${CXX} ${link_flags} ${ARGN} ${libs} -o ${WORK}/${out}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
  set(${result}_rc ${rc} PARENT_SCOPE)
  set(${result}_log "${log}" PARENT_SCOPE)
endfunction()

# 1. one mode: links; the testing helpers stay out
link(app good ${MAIN_SEPARATE} ${PROBE} ${LIBRARY})
if(NOT good_rc EQUAL 0)
  message(FATAL_ERROR "a separate-mode program with pgorm::compiled does not link:\n${good_log}")
endif()
execute_process(COMMAND ${NM} -C ${WORK}/app RESULT_VARIABLE rc OUTPUT_VARIABLE app_symbols)
execute_process(COMMAND ${NM} -C ${LIBRARY} OUTPUT_VARIABLE lib_symbols ERROR_QUIET)
if(NOT rc EQUAL 0 OR NOT app_symbols MATCHES "pgorm::connection[^\n]*::")
  message(FATAL_ERROR "nm -C ${WORK}/app: no pgorm::connection symbol (nm exit code ${rc})")
endif()
if(NOT lib_symbols MATCHES "pgorm::testing::")
  message(FATAL_ERROR "${LIBRARY} has no pgorm::testing:: symbol: the check below could not fail")
endif()
if(app_symbols MATCHES "[^\n]*pgorm::testing::[^\n]*")
  message(FATAL_ERROR "a program that uses no pgorm::testing carries it: ${CMAKE_MATCH_0}")
endif()

# 2. mixed modes: a link error that says which
link(mixed mixed ${MAIN_HEADER_ONLY} ${PROBE} ${LIBRARY})
if(mixed_rc EQUAL 0)
  message(FATAL_ERROR "a program mixing header-only and separate-mode translation units linked")
endif()
if(NOT mixed_log MATCHES "undefined reference to [^\n]*pgorm::connection\\[abi:pgorm_header_only\\]")
  message(FATAL_ERROR "a mixed-mode program failed to link without naming the mode:\n${mixed_log}")
endif()

# 3. separate mode without the library: the first undefined reference says what to do
link(missing missing ${MAIN_SEPARATE} ${PROBE})
if(missing_rc EQUAL 0)
  message(FATAL_ERROR "a separate-mode program linked without pgorm::compiled")
endif()
string(REGEX MATCH "undefined reference to [^\n]*" first "${missing_log}")
if(NOT first MATCHES "pgorm::link_pgorm_compiled_or_include_src_hpp\\(\\)")
  message(FATAL_ERROR "without pgorm::compiled, the first link error is not the named one:\n${missing_log}")
endif()
message(STATUS "one mode links without pgorm::testing; mixed modes and a missing library fail to link, naming the problem")
