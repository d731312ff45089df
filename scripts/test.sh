#!/usr/bin/env bash
# Builds everything with warnings as errors and runs the whole test suite through CTest.
#   scripts/test.sh              regular build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
# Every option that decides what gets built is set on the command line, so a build folder left
# configured by something else (an IDE, an older demo.sh) cannot switch the tests off; and a run
# that finds no test fails instead of passing with "No tests were found".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dir=build
flags=(-DCMAKE_BUILD_TYPE=Debug -DPGORM_WERROR=ON -DPGORM_BUILD_TESTS=ON -DPGORM_BUILD_TOOLS=ON
       -DPGORM_BUILD_EXAMPLES=ON -DPGORM_BUILD_BENCH=ON -DPGORM_SANITIZE=OFF)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  flags+=(-DPGORM_SANITIZE=ON -DPGORM_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$(nproc)"
