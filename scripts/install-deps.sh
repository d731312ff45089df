#!/usr/bin/env bash
# Installs the Debian 12 packages pgorm builds, tests and benchmarks with. Safe to re-run.
set -euo pipefail
#   scripts/install-deps.sh          what building and testing need
#   scripts/install-deps.sh --fuzz   also clang and libFuzzer (scripts/fuzz.sh)
packages=(g++ cmake make libpq-dev libboost1.81-dev libboost-json1.81-dev catch2 postgresql-15 postgresql-15-partman libpqxx-dev libpg-query-dev libyaml-cpp-dev pkg-config pgbouncer)
if [ "${1:-}" = "--fuzz" ]; then packages+=(clang-14 clang libfuzzer-14-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi
