# cmake -DPGORM_SOURCE=... -DWORK=... -P run.cmake
#
# pgorm as a user outside its tree gets it: build it with its tools, then
#   1. `cmake --install` into a prefix: a consumer project with find_package(pgorm) and one
#      pgorm_generate() line builds and runs a generated query; built in Debug, it also builds
#      and runs a program against pgorm::compiled; a pkg-config build compiles too, and one with
#      pgorm-compiled.pc links libpgorm_compiled.a and runs;
#   2. `cpack -G DEB`: the same consumer against the package's files (unpacked with dpkg-deb into
#      a scratch root, since installing it would change this machine);
#   3. the same consumer with pgorm's source tree added by add_subdirectory() (tools off, the
#      generator given by PGORM_GEN_EXECUTABLE, as a project that does not build pgorm-gen does);
#   4. add_subdirectory() with neither: pgorm-gen is built on demand for pgorm_generate().
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "ok: ${ARGN}")
endfunction()
set(consumer ${PGORM_SOURCE}/tests/install/consumer)

run(${CMAKE_COMMAND} -S ${PGORM_SOURCE} -B ${WORK}/pgorm -DPGORM_BUILD_TESTS=OFF -DPGORM_BUILD_EXAMPLES=OFF
    -DPGORM_BUILD_TOOLS=ON -DPGORM_BUILD_BENCH=OFF -DCMAKE_INSTALL_PREFIX=${WORK}/prefix)
run(${CMAKE_COMMAND} --build ${WORK}/pgorm -j2)
run(${CMAKE_COMMAND} --install ${WORK}/pgorm)
foreach(tool pgorm-gen pgorm-migrate)
  if(NOT EXISTS ${WORK}/prefix/bin/${tool})
    message(FATAL_ERROR "${tool} was not installed to ${WORK}/prefix/bin")
  endif()
endforeach()

# 1. the installed prefix, through CMake and through pkg-config; header-only and separate mode.
# The export carries one configuration, the installing build's (here none: pgormTargets-noconfig);
# a consumer in another configuration (Debug here) gets that one, as CMake falls back to the only
# imported configuration, and links: no header of pgorm changes a layout with NDEBUG.
run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK}/consumer -DCMAKE_PREFIX_PATH=${WORK}/prefix
    -DCMAKE_BUILD_TYPE=Debug -DPGORM_CONSUMER_COMPILED=ON)
file(GLOB exported_configs RELATIVE ${WORK}/prefix/lib/cmake/pgorm ${WORK}/prefix/lib/cmake/pgorm/pgormTargets-*.cmake)
message(STATUS "pgorm's export carries: ${exported_configs}")
file(READ ${WORK}/prefix/lib/cmake/pgorm/${exported_configs} exported)
if(NOT exported MATCHES "pgorm::compiled" OR NOT EXISTS ${WORK}/prefix/lib/libpgorm_compiled.a)
  message(FATAL_ERROR "the install has no pgorm::compiled (${exported_configs}) or no lib/libpgorm_compiled.a")
endif()
run(${CMAKE_COMMAND} --build ${WORK}/consumer -j2)
run(${WORK}/consumer/consumer ${consumer}/schema.sql)
run(${WORK}/consumer/consumer_compiled)
find_program(pkg_config pkg-config REQUIRED)  # scripts/install-deps.sh installs it
block()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${WORK}/prefix/share/pkgconfig
                  ${pkg_config} --cflags --libs pgorm
                  RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR NOT flags MATCHES "-I${WORK}/prefix/share/pkgconfig/../../include")
    message(FATAL_ERROR "pkg-config pgorm: rc ${rc}, flags '${flags}'")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(c++ -std=c++20 -fsyntax-only -x c++ ${consumer}/pkg_config.cpp ${flags})
  # pgorm-compiled.pc: the same file compiled, linked against libpgorm_compiled.a and run
  execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${WORK}/prefix/share/pkgconfig
                  ${pkg_config} --cflags --libs pgorm-compiled
                  RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR NOT flags MATCHES "-DPGORM_SEPARATE_COMPILATION" OR NOT flags MATCHES "-lpgorm_compiled")
    message(FATAL_ERROR "pkg-config pgorm-compiled: rc ${rc}, flags '${flags}'")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(c++ -std=c++20 ${consumer}/pkg_config.cpp ${flags} -o ${WORK}/pkg_config_compiled)
  run(${WORK}/pkg_config_compiled)
endblock()

# 2. the Debian package
run(${CMAKE_COMMAND} -E chdir ${WORK}/pgorm cpack -G DEB)
file(GLOB deb ${WORK}/pgorm/libpgorm-dev_*.deb)
if(NOT deb)
  message(FATAL_ERROR "cpack -G DEB wrote no libpgorm-dev_*.deb in ${WORK}/pgorm")
endif()
run(dpkg-deb --info ${deb})
run(dpkg-deb -x ${deb} ${WORK}/root)
file(GLOB_RECURSE config ${WORK}/root/usr/lib/*/pgormConfig.cmake)
if(NOT config)
  message(FATAL_ERROR "the package has no pgormConfig.cmake under /usr/lib")
endif()
file(GLOB_RECURSE deb_archive ${WORK}/root/usr/lib/libpgorm_compiled.a)  # lib/ or lib/<multiarch>/
if(NOT deb_archive)
  message(FATAL_ERROR "the package has no libpgorm_compiled.a under /usr/lib")
endif()
foreach(f usr/bin/pgorm-gen usr/bin/pgorm-migrate usr/include/pgorm.hpp usr/share/pkgconfig/pgorm.pc
          usr/share/pkgconfig/pgorm-compiled.pc)
  if(NOT EXISTS ${WORK}/root/${f})
    message(FATAL_ERROR "the package has no /${f}")
  endif()
endforeach()
run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK}/consumer-deb -DCMAKE_PREFIX_PATH=${WORK}/root/usr)
run(${CMAKE_COMMAND} --build ${WORK}/consumer-deb)
run(${WORK}/consumer-deb/consumer ${consumer}/schema.sql)

# 3. pgorm's source tree added with add_subdirectory(), building its own pgorm-gen
# (the generator is the one built above, so the step costs one compile, not a second pgorm-gen)
run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK}/consumer-subdir -DPGORM_SUBDIRECTORY=${PGORM_SOURCE}
    -DPGORM_GEN_EXECUTABLE=${WORK}/prefix/bin/pgorm-gen)
run(${CMAKE_COMMAND} --build ${WORK}/consumer-subdir -j2)
run(${WORK}/consumer-subdir/consumer ${consumer}/schema.sql)
# 4. the same without PGORM_GEN_EXECUTABLE and with the tools off: pgorm_generate() must build
# pgorm's own pgorm-gen on demand. A dry run (make -n), so no second pgorm-gen is compiled: its plan
# compiles codegen/main.cpp for the consumer (make -n then stops where the binary would be needed).
run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK}/consumer-on-demand -DPGORM_SUBDIRECTORY=${PGORM_SOURCE})
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK}/consumer-on-demand -- -n
                OUTPUT_VARIABLE plan ERROR_VARIABLE err)
if(NOT plan MATCHES "-c [^\n]*/codegen/main\\.cpp")
  message(FATAL_ERROR "add_subdirectory(pgorm) without tools does not build pgorm-gen for pgorm_generate():\n${plan}\n${err}")
endif()
message(STATUS "installed pgorm (prefix and .deb) and pgorm as a subdirectory found and used by a consumer project")
