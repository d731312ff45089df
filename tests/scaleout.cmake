# Scale-out suites (issue 21): PgBouncer in front of the embedded cluster (test_pgbouncer) and a
# streaming replica beside it (test_replica). They run as one group with `ctest -L scaleout`.
foreach(t test_pgbouncer test_replica)
  if(TEST ${t})
    set_tests_properties(${t} PROPERTIES LABELS scaleout TIMEOUT 300)
  endif()
endforeach()

# test_pgbouncer runs queries.sql's generated functions through the pooler too.
if(TARGET pgorm-gen AND TARGET test_pgbouncer)
  pgorm_generate(TARGET test_pgbouncer SCHEMA ${PGORM_SOURCE_DIR}/schema.sql QUERIES ${PGORM_SOURCE_DIR}/queries.sql
    OUTPUT generated/scaleout/app_queries.hpp NAMESPACE app::db)
  target_compile_definitions(test_pgbouncer PRIVATE PGORM_HAVE_GENERATED=1)
endif()
