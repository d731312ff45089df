#!/usr/bin/env bash
# Builds everything with warnings as errors and runs the whole test suite through CTest.
#   scripts/test.sh              regular build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/,
#                                linked against pgorm::compiled (separate compilation), of the tests
#                                that run pgorm's code (not the compile-only and install checks, nor
#                                the server/process-driving suites in tests/CMakeLists.txt's
#                                PGORM_SANITIZE_SKIP)
#   scripts/test.sh --tsan       ThreadSanitizer build in build-tsan/ of only the tests labelled tsan
#                                (tests/tsan.cmake: pool, transactions, listener, workers), run with
#                                halt_on_error: a data race fails the run
#   scripts/test.sh --list       configure only and list the tests CTest would run (fails on none)
#   PGORM_TEST_BUILD_DIR=dir     use dir instead of build/ (or build-asan/, build-tsan/)
# Every option that decides what gets built is set on the command line, so a build folder left
# configured by something else (an IDE, an older demo.sh) cannot switch the tests off; and a run
# that finds no test fails instead of passing with "No tests were found".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dir=${PGORM_TEST_BUILD_DIR:-build}
skip=()
skip_labels='^unit$'  # the second ctest call leaves out what the first one ran
flags=(-DCMAKE_BUILD_TYPE=Debug -DPGORM_WERROR=ON -DPGORM_BUILD_TESTS=ON -DPGORM_BUILD_TOOLS=ON
       -DPGORM_BUILD_EXAMPLES=ON -DPGORM_BUILD_BENCH=ON -DPGORM_SANITIZE=OFF
       -DPGORM_TEST_SEPARATE_COMPILATION=OFF)
if [ "${1:-}" = "--sanitize" ]; then
  dir=${PGORM_TEST_BUILD_DIR:-build-asan}
  # The tests link pgorm::compiled here: the whole suite runs in both modes (header-only above,
  # separate compilation under the sanitizers), and pgorm's bodies are compiled once, not per test.
  flags+=(-DPGORM_SANITIZE=ON -DPGORM_BUILD_BENCH=OFF -DPGORM_BUILD_EXAMPLES=OFF -DPGORM_TEST_SEPARATE_COMPILATION=ON)
  # These only run the compiler, CMake or shell scripts: a sanitizer sees nothing of pgorm there.
  skip=(-E '^(compile_fail_|install_and_find_package$|migrate_cli_|scripts_|layering$)')
  skip_labels='^(unit|headers|docs)$'  # unit ran first; headers and docs only run the compiler
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
if [ "${1:-}" = "--tsan" ]; then
  dir=${PGORM_TEST_BUILD_DIR:-build-tsan}
  # Flags on the command line, not an option in CMakeLists.txt: only the tsan-labelled tests are
  # built here, and TSan cannot be combined with the ASan build. -Wno-tsan: g++ 12 refuses
  # Boost.Asio's atomic_thread_fence under TSan (-Wtsan, an error with -Werror).
  flags+=(-DPGORM_BUILD_BENCH=OFF -DPGORM_BUILD_EXAMPLES=OFF -DPGORM_BUILD_TOOLS=OFF
          "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan"
          -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread)
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  if ! ctest --test-dir "$dir" -N -L '^tsan$' | grep -q '^Total Tests: [1-9]'; then
    echo "scripts/test.sh --tsan: no test is labelled tsan" >&2
    exit 1
  fi
  cmake --build "$dir" -j"$(nproc)" --target tsan_tests  # tests/tsan.cmake: every tsan-labelled test
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$(nproc)" -L '^tsan$'
  exit
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
if [ "${1:-}" = "--list" ]; then  # ctest -N ignores --no-tests=error: count them here
  listing=$(ctest --test-dir "$dir" -N)
  printf '%s\n' "$listing"
  grep -q '^Total Tests: [1-9]' <<<"$listing"
  exit
fi
cmake --build "$dir" -j"$(nproc)"
# Server-free tests first (label unit, seconds): a broken codec or SQL renderer fails here before
# any PostgreSQL starts.
ctest --test-dir "$dir" --output-on-failure --no-tests=error -L '^unit$'
ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$(nproc)" "${skip[@]}" -LE "$skip_labels"
