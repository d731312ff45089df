#!/usr/bin/env bash
# Builds and runs the demo: on $DATABASE_URL when set, else on an embedded throwaway PostgreSQL.
# Its own build folder (build-demo/, Release, no tests): scripts/test.sh's build/ is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=Release -DPGORM_BUILD_TESTS=OFF -DPGORM_BUILD_BENCH=OFF \
  -DPGORM_BUILD_EXAMPLES=ON -DPGORM_BUILD_TOOLS=ON -DPGORM_SANITIZE=OFF -DPGORM_WERROR=OFF >/dev/null
cmake --build build-demo --target demo -j"$(nproc)"
exec build-demo/examples/demo "$@"
