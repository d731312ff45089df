#!/usr/bin/env bash
# Builds everything with warnings as errors and runs the whole test suite through CTest.
#   scripts/test.sh              regular build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/, of the
#                                tests that run pgorm's code (not the compile-only and install checks)
#   scripts/test.sh --list       configure only and list the tests CTest would run (fails on none)
#   PGORM_TEST_BUILD_DIR=dir     use dir instead of build/ (or build-asan/)
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
       -DPGORM_BUILD_EXAMPLES=ON -DPGORM_BUILD_BENCH=ON -DPGORM_SANITIZE=OFF)
if [ "${1:-}" = "--sanitize" ]; then
  dir=${PGORM_TEST_BUILD_DIR:-build-asan}
  flags+=(-DPGORM_SANITIZE=ON -DPGORM_BUILD_BENCH=OFF -DPGORM_BUILD_EXAMPLES=OFF)
  # These only run the compiler, CMake or shell scripts: a sanitizer sees nothing of pgorm there.
  skip=(-E '^(compile_fail_|install_and_find_package$|migrate_cli_|scripts_|layering$)')
  skip_labels='^(unit|headers|docs)$'  # unit ran first; headers and docs only run the compiler
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
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
