# The reliability suites (docs/reliability.md): server restarts, pool health, soak. They start
# and stop their own servers; run them alone with `ctest -L fault`.
foreach(t test_fault_restart test_fault_network test_pool_health test_soak)
  if(TEST ${t})
    set_tests_properties(${t} PROPERTIES LABELS fault)
  endif()
endforeach()
