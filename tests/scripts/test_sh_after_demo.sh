#!/usr/bin/env bash
# Regression test for README's two commands run in order (issue 11, item 11): whatever a build
# folder was configured with before (here: tests switched off, as demo.sh once left build/),
# scripts/test.sh turns the tests back on; and CTest with no tests fails instead of passing.
set -euo pipefail
source_dir=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$source_dir"

# A folder configured with no tests: CTest run the way test.sh runs it must fail.
cmake -S . -B "$scratch/b" -DCMAKE_BUILD_TYPE=Release -DPGORM_BUILD_TESTS=OFF -DPGORM_BUILD_BENCH=OFF >/dev/null
if ctest --test-dir "$scratch/b" --no-tests=error >/dev/null 2>&1; then
  echo "FAIL: ctest --no-tests=error passed on a build without tests"; exit 1
fi

# test.sh on that same folder configures the tests back in and lists them.
listing=$(PGORM_TEST_BUILD_DIR="$scratch/b" bash scripts/test.sh --list)
count=$(printf '%s\n' "$listing" | sed -n 's/^Total Tests: //p')
if [ -z "$count" ] || [ "$count" -lt 10 ]; then
  printf 'FAIL: test.sh listed %s tests after a no-tests configure:\n%s\n' "${count:-no}" "$listing"; exit 1
fi
grep -q "test_codegen_names" <<<"$listing" || { echo "FAIL: test_codegen_names missing from the listing"; exit 1; }
echo "ok: $count tests"
