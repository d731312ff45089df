# Separate compilation (pgorm::compiled, include/pgorm/detail/linkage.hpp) links and runs:
#   separate_compilation:tutorial_04 the tutorial's transactions step built again against
#                                    pgorm::compiled (a connection, a pool, transaction scopes)
#   separate_compilation:symbols     a TU with <pgorm.hpp> and one execute() call defines none of
#                                    the library's functions (nm: references only)
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
endif()
