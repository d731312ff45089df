#!/usr/bin/env bash
# Style checks with Debian's clang-format and clang-tidy (14), against .clang-format and .clang-tidy:
#   1. the formatting of include/pgorm/migrate/ and tools/, and of every impl/*.ipp under
#      include/pgorm (the out-of-line bodies of issue 16), with clang-format --dry-run --Werror;
#   2. clang-tidy on one translation unit, tools/pgorm-migrate.cpp, with the headers it includes
#      from include/pgorm (a few minutes on a loaded 2-core host).
# Exit 0 when both pass, 1 otherwise. Needs: apt-get install -y clang-format clang-tidy.
#   scripts/lint.sh --format-only   step 1 alone (seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
tools=(clang-format)
[ "${1:-}" = "--format-only" ] || tools+=(clang-tidy)  # CI runs --format-only and installs clang-format alone
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "lint.sh: $tool not found (apt-get install -y $tool)" >&2; exit 1; }
done

status=0
mapfile -t files < <({ find include/pgorm/migrate tools -name '*.hpp' -o -name '*.cpp'; find include/pgorm -name '*.ipp'; } | sort -u)
if clang-format --dry-run --Werror "${files[@]}"; then
  echo "clang-format: ${#files[@]} files formatted as .clang-format says"
else
  echo "clang-format: run clang-format -i on the files above" >&2
  status=1
fi
[ "${1:-}" = "--format-only" ] && exit "$status"

pg_include=$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
if clang-tidy --quiet tools/pgorm-migrate.cpp -- -std=c++20 -Iinclude -I"$pg_include"; then
  echo "clang-tidy: tools/pgorm-migrate.cpp passes .clang-tidy"
else
  status=1
fi
exit "$status"
