# Separate compilation (pgorm::compiled, include/pgorm/detail/linkage.hpp) links and runs:
#   separate_compilation:test_xact   tests/test_xact.cpp built again against pgorm::compiled
#                                    (connections, a pool, transaction scopes and retries)
#   separate_compilation:symbols     a TU with <pgorm.hpp> and one execute() call defines none of
#                                    the library's functions (nm: references only)
if(TARGET pgorm_compiled)
  add_executable(test_xact_separate ${CMAKE_CURRENT_SOURCE_DIR}/test_xact.cpp)
  # As pgorm_test_target_flags, without the precompiled header (built in header-only mode).
  target_link_libraries(test_xact_separate PRIVATE pgorm_catch_main pgorm::compiled pgorm_build_flags)
  target_compile_definitions(test_xact_separate PRIVATE PGORM_SOURCE_DIR="${PGORM_SOURCE_DIR}"
    PGORM_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME separate_compilation:test_xact COMMAND test_xact_separate)
  set_tests_properties(separate_compilation:test_xact PROPERTIES TIMEOUT 900)

  add_library(pgorm_separate_probe OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/probe.cpp)
  target_link_libraries(pgorm_separate_probe PRIVATE pgorm::compiled pgorm_build_flags)
  add_test(NAME separate_compilation:symbols
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DLIBRARY=$<TARGET_FILE:pgorm_compiled>
            -DOBJECT=$<TARGET_OBJECTS:pgorm_separate_probe>
            -P ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/check_symbols.cmake)
endif()
