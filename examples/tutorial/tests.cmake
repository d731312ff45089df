# Registers each tutorial step as a CTest test (label `tutorial`). Included from
# tests/CMakeLists.txt, because tests can only be added once enable_testing() has run, and the
# examples are configured before it.
file(GLOB pgorm_tutorial_steps CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/[0-9][0-9]_*.cpp)
foreach(src IN LISTS pgorm_tutorial_steps)
  get_filename_component(name ${src} NAME_WE)
  if(TARGET tutorial_${name})
    add_test(NAME tutorial_${name} COMMAND tutorial_${name})
    set_tests_properties(tutorial_${name} PROPERTIES LABELS tutorial TIMEOUT 300)
  endif()
endforeach()
