# Labels of the async/ suite. test_async runs its io_context on several threads in one case
# ("an io_context run by 4 threads shares one connection safely"), so it is the suite a
# ThreadSanitizer build (-fsanitize=thread) runs: `ctest -L tsan`.
if(TEST test_async)
  set_tests_properties(test_async PROPERTIES LABELS "async;tsan")
endif()
