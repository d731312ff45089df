#!/usr/bin/env bash
# Builds and runs the demo: on $DATABASE_URL when set, else on an embedded throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPGORM_BUILD_TESTS=OFF -DPGORM_BUILD_BENCH=OFF >/dev/null
cmake --build build --target demo -j"$(nproc)"
exec build/examples/demo "$@"
