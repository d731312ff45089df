# cmake -DEXTRACT=<extract_snippets> -DPAGE=<page.md> -DOUT=<file.cpp> -DCXX=<compiler> -DFLAGS=<a|b|c> -P check_page.cmake
# Extracts the page's ```cpp blocks into OUT and compiles it (-fsyntax-only is among FLAGS);
# fails with the compiler's message, which points at the page's own lines.
cmake_minimum_required(VERSION 3.25)
string(REPLACE "|" ";" flags "${FLAGS}")
if(NOT EXISTS "${EXTRACT}")
  # ctest runs what was built; a partial build (one test's target) may not have made the extractor.
  message(FATAL_ERROR "${EXTRACT} is not built: run `cmake --build <build> --target extract_snippets` "
                      "(a full build makes it), then this test again")
endif()
execute_process(COMMAND ${EXTRACT} ${PAGE} ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE said ERROR_VARIABLE why)
message(STATUS "${said}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "extracting the cpp blocks of ${PAGE} failed (${rc}): ${why}")
endif()
if(said MATCHES ", 0 compiled")
  return()  # nothing to compile: spare the compiler a translation unit of headers only
endif()
execute_process(COMMAND ${CXX} ${flags} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a cpp block of ${PAGE} does not compile (see the lines above; generated file: ${OUT})")
endif()
