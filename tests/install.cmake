# Installs pgorm into a temporary prefix and builds a consumer project with find_package(pgorm).
add_test(NAME install_and_find_package
  COMMAND ${CMAKE_COMMAND} -DPGORM_SOURCE=${PGORM_SOURCE_DIR} -DWORK=${CMAKE_BINARY_DIR}/install-test
          -P ${CMAKE_CURRENT_SOURCE_DIR}/install/run.cmake)
set_tests_properties(install_and_find_package PROPERTIES TIMEOUT 1800)
