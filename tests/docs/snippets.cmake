# Every ```cpp block of README.md and docs/*.md compiles against the headers: one test per page
# (doc_snippets:<page>, label `docs`), so a renamed API breaks the page that still shows the old
# name. tests/docs/extract_snippets.cpp explains how a block is wrapped and how to mark one.
add_executable(extract_snippets ${CMAKE_CURRENT_LIST_DIR}/extract_snippets.cpp)
target_link_libraries(extract_snippets PRIVATE pgorm_build_flags)

file(GLOB pgorm_doc_pages CONFIGURE_DEPENDS ${PGORM_SOURCE_DIR}/docs/*.md)
list(PREPEND pgorm_doc_pages ${PGORM_SOURCE_DIR}/README.md)

set(pgorm_doc_deps ${PostgreSQL_INCLUDE_DIRS} ${Boost_INCLUDE_DIRS} ${OPENSSL_INCLUDE_DIR})
list(REMOVE_DUPLICATES pgorm_doc_deps)
list(REMOVE_ITEM pgorm_doc_deps ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES})
# -Wno-subobject-linkage: the #line directives make g++ take a page's code for a header, and a
# lambda in a page then "has no linkage" inside a header template (async.md's transact).
set(pgorm_doc_flags -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Wno-unused -Wno-subobject-linkage -Werror
    -I${PGORM_SOURCE_DIR}/include -I${CMAKE_CURRENT_LIST_DIR} -I${PGORM_SOURCE_DIR}/examples)
foreach(dep IN LISTS pgorm_doc_deps)
  list(APPEND pgorm_doc_flags -isystem ${dep})
endforeach()
string(REPLACE ";" "|" pgorm_doc_flags "${pgorm_doc_flags}")

foreach(page IN LISTS pgorm_doc_pages)
  get_filename_component(name ${page} NAME_WE)
  add_test(NAME doc_snippets:${name}
    COMMAND ${CMAKE_COMMAND} -DEXTRACT=$<TARGET_FILE:extract_snippets> -DPAGE=${page}
            -DOUT=${CMAKE_CURRENT_BINARY_DIR}/doc_snippets/${name}.cpp -DCXX=${CMAKE_CXX_COMPILER}
            -DFLAGS=${pgorm_doc_flags} -P ${CMAKE_CURRENT_LIST_DIR}/check_page.cmake)
  set_tests_properties(doc_snippets:${name} PROPERTIES LABELS docs TIMEOUT 300)
endforeach()
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/doc_snippets)
