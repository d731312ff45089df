# Separate compilation (pgorm::compiled, include/pgorm/detail/linkage.hpp) links and runs:
#   separate_compilation:tutorial_04 the tutorial's transactions step built again against
#                                    pgorm::compiled (a connection, a pool, transaction scopes)
#   separate_compilation:symbols     a TU with <pgorm.hpp>, one execute() and one repository read
#                                    defines none of the library's functions (nm: references only)
#   separate_compilation:symbols_layers the same for a TU using queue, events, bus, async and
#                                    testing's servers
#   separate_compilation:link_modes  one mode per program: that TU linked with a separate-mode main
#                                    carries no pgorm::testing; with a header-only main the link
#                                    fails naming [abi:pgorm_header_only]; without the library the
#                                    first error names link_pgorm_compiled_or_include_src_hpp()
if(TARGET pgorm_compiled)
  # Tutorial step 4 (examples/tutorial/04_transactions.cpp: a connection, transactions and
  # savepoints, pool::transact with retries and a rethrown error, each outcome checked) built
  # again against pgorm::compiled: about 8 CPU-seconds to compile, where tests/test_xact.cpp
  # (Catch2 and every layer through tests/support.hpp, without the tests' precompiled header,
  # which is built in header-only mode) took 35.
  set(tutorial ${PGORM_SOURCE_DIR}/examples/tutorial)
  add_executable(tutorial_04_separate ${tutorial}/04_transactions.cpp)
  target_include_directories(tutorial_04_separate PRIVATE ${tutorial} ${tutorial}/..)
  target_link_libraries(tutorial_04_separate PRIVATE pgorm::compiled pgorm_build_flags)
  target_compile_definitions(tutorial_04_separate PRIVATE PGORM_SOURCE_DIR="${PGORM_SOURCE_DIR}")
  add_test(NAME separate_compilation:tutorial_04 COMMAND tutorial_04_separate)
  set_tests_properties(separate_compilation:tutorial_04 PROPERTIES LABELS tutorial TIMEOUT 300)

  add_library(pgorm_separate_probe OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/probe.cpp)
  target_link_libraries(pgorm_separate_probe PRIVATE pgorm::compiled pgorm_build_flags)
  add_test(NAME separate_compilation:symbols
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DLIBRARY=$<TARGET_FILE:pgorm_compiled>
            -DOBJECT=$<TARGET_OBJECTS:pgorm_separate_probe>
            -P ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/check_symbols.cmake)

  # The same check for the layers above the core (queue, events, bus, async, testing's servers):
  # one more compile of every layer's headers, about 7 CPU-seconds.
  add_library(pgorm_separate_probe_layers OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/probe_layers.cpp)
  target_link_libraries(pgorm_separate_probe_layers PRIVATE pgorm::compiled pgorm_build_flags)
  add_test(NAME separate_compilation:symbols_layers
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DLIBRARY=$<TARGET_FILE:pgorm_compiled>
            -DOBJECT=$<TARGET_OBJECTS:pgorm_separate_probe_layers>
            -P ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/check_symbols.cmake)

  # The same probe linked by link_modes.cmake with a small main in each mode (two compiles of
  # <pgorm/core/connection.hpp>, about 3 s each; the links take a second).
  add_library(pgorm_mixed_main_separate OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/mixed_main.cpp)
  target_link_libraries(pgorm_mixed_main_separate PRIVATE pgorm::compiled pgorm_build_flags)
  add_library(pgorm_mixed_main_header_only OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/mixed_main.cpp)
  target_link_libraries(pgorm_mixed_main_header_only PRIVATE pgorm::pgorm pgorm_build_flags)
  set(pgorm_link_libs $<TARGET_FILE:PostgreSQL::PostgreSQL> $<TARGET_FILE:Boost::json>
      $<TARGET_FILE:OpenSSL::Crypto> -pthread)
  set(pgorm_link_flags "")
  if(PGORM_SANITIZE)  # as pgorm_build_flags links; no comma, which would split the $<JOIN> below
    set(pgorm_link_flags -fsanitize=address -fsanitize=undefined)
  endif()
  add_test(NAME separate_compilation:link_modes
    COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DNM=${CMAKE_NM}
            -DLIBRARY=$<TARGET_FILE:pgorm_compiled> -DPROBE=$<TARGET_OBJECTS:pgorm_separate_probe>
            -DMAIN_SEPARATE=$<TARGET_OBJECTS:pgorm_mixed_main_separate>
            -DMAIN_HEADER_ONLY=$<TARGET_OBJECTS:pgorm_mixed_main_header_only>
            "-DLIBS=$<JOIN:${pgorm_link_libs},|>" "-DLINK_FLAGS=$<JOIN:${pgorm_link_flags},|>"
            -DWORK=${CMAKE_CURRENT_BINARY_DIR}/link_modes
            -P ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/link_modes.cmake)
endif()
