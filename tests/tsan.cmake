# Label `tsan`: the tests that run pgorm's code on several threads at once (the pool handing out
# connections, transaction retries, the listener thread, queue / event / bus workers, advisory
# locks). `scripts/test.sh --tsan` builds only these with ThreadSanitizer and runs them. Other
# suites add the label to their own tests the same way (set_property ... APPEND).
foreach(name IN ITEMS test_pool test_xact test_listen test_queue test_events test_bus test_locks)
  if(TEST ${name})
    set_property(TEST ${name} APPEND PROPERTY LABELS tsan)
  endif()
endforeach()
