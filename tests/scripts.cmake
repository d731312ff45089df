# scripts/test.sh runs the tests whatever the build folder was configured with before
# (tests/scripts/test_sh_after_demo.sh).
add_test(NAME scripts_test_sh_after_demo
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scripts/test_sh_after_demo.sh ${PGORM_SOURCE_DIR})
set_tests_properties(scripts_test_sh_after_demo PROPERTIES TIMEOUT 300)

# docs/reference.md names every public class and struct, and its links lead somewhere
# (tests/scripts/reference_check.cmake): a scan of the headers, about half a second of CPU.
add_test(NAME docs_reference
  COMMAND ${CMAKE_COMMAND} -DROOT=${PGORM_SOURCE_DIR} -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/reference_check.cmake)
set_tests_properties(docs_reference PROPERTIES LABELS "unit;docs" TIMEOUT 60)
