# Smoke test for the benchmark: `pgorm-bench --quick` runs every workload (W1-W7) through every
# client and verifies what each wrote. No timing is asserted. Registered only when the bench
# is built (PGORM_BUILD_BENCH and libpqxx found).
if(PGORM_BUILD_BENCH)
  include(${PGORM_SOURCE_DIR}/bench/pqxx.cmake)
  if(PGORM_PQXX_LIBRARY)
    add_test(NAME bench_quick COMMAND pgorm-bench --quick)
    set_tests_properties(bench_quick PROPERTIES LABELS bench TIMEOUT 300)
  endif()
endif()
