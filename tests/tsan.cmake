# Label `tsan`: the tests that run pgorm's code on several threads at once (the pool handing out
# connections, transaction retries, the listener thread, queue / event / bus workers, advisory
# locks). `scripts/test.sh --tsan` builds only these with ThreadSanitizer and runs them. Other
# suites add the label to their own tests the same way (set_property ... APPEND).
foreach(name IN ITEMS test_pool test_xact test_listen test_queue test_events test_bus test_locks)
  if(TEST ${name})
    set_property(TEST ${name} APPEND PROPERTY LABELS tsan)
  endif()
endforeach()

# `tsan_tests` builds every test labelled tsan, in parallel (the Makefile generator builds the
# targets named in one `cmake --build --target a b c` one after another). Deferred to the end of
# this folder, so labels that suites add after this file is read are seen too.
function(pgorm_tsan_tests_target)
  add_custom_target(tsan_tests)
  get_property(tests DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} PROPERTY TESTS)
  foreach(name IN LISTS tests)
    get_test_property(${name} LABELS labels)
    if("tsan" IN_LIST labels AND TARGET ${name})
      add_dependencies(tsan_tests ${name})
    endif()
  endforeach()
endfunction()
cmake_language(DEFER CALL pgorm_tsan_tests_target)
