# examples/payments.cpp checks its own outcome (issue 13 item 8): run it as a test.
if(TARGET payments)
  add_test(NAME example_payments COMMAND payments)
endif()
