# DESIGN.md's layer rule: a header under include/pgorm/<layer>/ includes only its own layer and the
# layers above it. This test fails on any include that reaches down.
add_test(NAME layering COMMAND ${CMAKE_COMMAND} -DROOT=${PGORM_SOURCE_DIR}/include
         -P ${CMAKE_CURRENT_SOURCE_DIR}/layering/check.cmake)
