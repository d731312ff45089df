# pgorm-migrate on the repository's own files: schema.sql must be exactly the dump of migrations/
# (so the two never drift) and must follow the schema conventions. Each starts a throwaway server.
if(TARGET pgorm-migrate)
  add_test(NAME migrate_cli_verify
    COMMAND pgorm-migrate --embedded --dir ${PGORM_SOURCE_DIR}/migrations --schema ${PGORM_SOURCE_DIR}/schema.sql verify)
  add_test(NAME migrate_cli_check
    COMMAND pgorm-migrate --embedded --schema ${PGORM_SOURCE_DIR}/schema.sql check)
  # A bad command line is a usage error (exit 2), not a crash.
  add_test(NAME migrate_cli_usage COMMAND pgorm-migrate frobnicate)
  set_tests_properties(migrate_cli_usage PROPERTIES WILL_FAIL TRUE)
  set_tests_properties(migrate_cli_verify migrate_cli_check PROPERTIES TIMEOUT 300)
endif()

# test_migrate runs the tool too ("pgorm-migrate commands and exit codes").
if(TARGET pgorm-migrate AND TARGET test_migrate)
  add_dependencies(test_migrate pgorm-migrate)
endif()
