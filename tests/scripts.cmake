# scripts/test.sh runs the tests whatever the build folder was configured with before
# (tests/scripts/test_sh_after_demo.sh).
add_test(NAME scripts_test_sh_after_demo
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/test_sh_after_demo.sh ${PGORM_SOURCE_DIR})
set_tests_properties(scripts_test_sh_after_demo PROPERTIES TIMEOUT 300)
