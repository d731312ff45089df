#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/targets/*.cpp) with clang, ASan and UBSan in build-fuzz/ and
# runs each for PGORM_FUZZ_SECONDS seconds (default 20), starting from its committed seed corpus.
#   scripts/fuzz.sh                  every target
#   scripts/fuzz.sh decode_array     only the targets named
#   PGORM_FUZZ_SECONDS=120           a longer local run
#   PGORM_FUZZ_JOBS=2                targets run at the same time (default: nproc)
# A crash, a sanitizer report, a leak, an allocation over 2 GiB or an input slower than 10 s fails
# the run; the input is copied to fuzz/regressions/<target>/ (replayed by the fuzz_replay unit test
# in the normal build) and its log is printed. New corpus entries stay in build-fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --fuzz
seconds=${PGORM_FUZZ_SECONDS:-20}
jobs=${PGORM_FUZZ_JOBS:-$(nproc)}
dir=build-fuzz
CXX=clang++ cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE= "-DCMAKE_CXX_FLAGS=-O1 -g" -DPGORM_WERROR=ON \
  -DPGORM_BUILD_FUZZ=ON -DPGORM_BUILD_TESTS=OFF -DPGORM_BUILD_TOOLS=OFF -DPGORM_BUILD_EXAMPLES=OFF \
  -DPGORM_BUILD_BENCH=OFF >/dev/null
# Named targets are built one after another (the Makefile generator serialises --target lists);
# all of them, the default, build in parallel.
if [ $# -gt 0 ]; then
  targets=("$@")
  cmake --build "$dir" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
else
  targets=(); for f in fuzz/targets/*.cpp; do targets+=("$(basename "$f" .cpp)"); done
  cmake --build "$dir" -j"$(nproc)"
fi

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_one() {
  local t=$1 work="$dir/corpus/$1" art="$dir/artifacts/$1"
  rm -rf "$art" && mkdir -p "$work" "$art"
  if "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=4096 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$art/" "$work" "fuzz/corpus/$t" >"$art/log" 2>&1; then
    echo "fuzz $t: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$art/log" | grep -o '[0-9]*$') runs in ${seconds}s)"
  else
    echo "fuzz $t: FAILED (log: $art/log)"
    grep -E 'ERROR|SUMMARY|runtime error|invariant failed' "$art/log" | head -5 || true
    mkdir -p "fuzz/regressions/$t"
    for found in "$art"/crash-* "$art"/leak-* "$art"/oom-* "$art"/timeout-*; do
      [ -e "$found" ] && cp "$found" "fuzz/regressions/$t/" && echo "  input saved: fuzz/regressions/$t/$(basename "$found")"
    done
    return 1
  fi
}
# Each run writes its output and exit status to files: `wait -n` (to keep $jobs running) would
# otherwise swallow a status that a later `wait PID` needs.
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  rm -f "$dir/fuzz-$t.status"
  (set +e; run_one "$t" > "$dir/fuzz-$t.out" 2>&1; echo $? > "$dir/fuzz-$t.status") &
done
wait
failed=0
for t in "${targets[@]}"; do
  cat "$dir/fuzz-$t.out"
  [ "$(cat "$dir/fuzz-$t.status" 2>/dev/null)" = 0 ] || failed=1
done
exit $failed
