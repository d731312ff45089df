# The fuzz targets' bodies, compiled by the normal compiler without libFuzzer, replayed over the
# committed corpora and regression inputs (tests/unit/fuzz_replay.cpp). Label `unit`: no server.
find_path(PG_QUERY_INCLUDE_DIR pg_query.h REQUIRED)
find_library(PG_QUERY_LIBRARY pg_query REQUIRED)
find_package(yaml-cpp REQUIRED)
file(GLOB PGORM_FUZZ_REPLAY_TARGETS CONFIGURE_DEPENDS ${PGORM_SOURCE_DIR}/fuzz/targets/*.cpp)
add_executable(fuzz_replay fuzz_replay.cpp ${PGORM_FUZZ_REPLAY_TARGETS})
target_include_directories(fuzz_replay PRIVATE ${PGORM_SOURCE_DIR}/codegen)
target_include_directories(fuzz_replay SYSTEM PRIVATE ${PG_QUERY_INCLUDE_DIR})
target_compile_definitions(fuzz_replay PRIVATE PGORM_SOURCE_DIR="${PGORM_SOURCE_DIR}")
target_link_libraries(fuzz_replay PRIVATE pgorm_catch_main ${PGORM_TEST_LIBRARY} pgorm_build_flags ${PG_QUERY_LIBRARY} yaml-cpp)
add_test(NAME fuzz_replay COMMAND fuzz_replay)
set_tests_properties(fuzz_replay PROPERTIES LABELS "unit;fuzz-regress" TIMEOUT 120)
