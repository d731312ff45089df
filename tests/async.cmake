# Labels of the async/ suite. test_async runs its io_context on several threads in one case
# ("an io_context run by 4 threads shares one connection safely"), so it is the suite a
# ThreadSanitizer build (-fsanitize=thread) runs: `ctest -L tsan`.
if(TEST test_async)
  set_tests_properties(test_async PROPERTIES LABELS "async;tsan")
endif()
if(TEST test_async_statements)
  set_tests_properties(test_async_statements PROPERTIES LABELS async)
endif()

# examples/async_notify_worker.cpp (seed 001's notify worker with a polling fallback) checks its
# own outcome: run it as a test.
if(TARGET async_notify_worker)
  add_test(NAME example_async_notify_worker COMMAND async_notify_worker)
  set_tests_properties(example_async_notify_worker PROPERTIES LABELS async TIMEOUT 120)
endif()
