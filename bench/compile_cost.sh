#!/usr/bin/env bash
# What pgorm costs at build time, against libpqxx (docs/performance.md, "Build time").
#
#   bash bench/compile_cost.sh [build-dir]          (default build/; writes into <build-dir>/compile-cost/)
#   bash bench/compile_cost.sh --deps [build-dir]   what each dependency costs alone, against an empty TU
#   RUNS=2 ONLY='^(include:pgorm.hpp|include:pgorm/core.hpp|repository)' bash bench/compile_cost.sh
#                                                   fewer runs, only some probes (and their baselines)
#   SEPARATE=1 bash bench/compile_cost.sh           also each pgorm probe in separate-compilation mode
#                                                   (name@separate: -DPGORM_SEPARATE_COMPILATION, as
#                                                   pgorm::compiled's users build), interleaved with the
#                                                   header-only ones, and src.hpp@separate: the one TU
#                                                   that compiles pgorm's bodies (<pgorm/src.hpp>)
#
# Compiles each probe with `$CXX -std=c++20 -O0 -c` (no linking) RUNS times (default 3), the probes
# interleaved so that load from other processes spreads over all of them, and prints the best
# wall time, the best CPU time (user + system: what the compiler itself costs, much less moved
# by other processes on a loaded host than wall time), the peak compiler memory (max RSS from
# /usr/bin/time -v) and the ratio of CPU times to the libpqxx probe that does the same. Probes:
#   include:<header>       a TU holding only `#include <header>`: pgorm.hpp, each layer header, pqxx/pqxx
#   repository-20          bench/compile_cost/pgorm_repository.cpp: repository<T> over 20 columns
#   libpqxx-20             bench/compile_cost/libpqxx_by_hand.cpp: the same by hand with libpqxx
#   generated-queries      a TU including the header pgorm-gen writes for queries.sql (needs
#                          <build-dir>/codegen/pgorm-gen or PGORM_GEN; skipped otherwise)
# Needs: libpqxx-dev, and `time` (apt-get install -y time) for /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=headers
if [ "${1:-}" = "--deps" ]; then mode=deps; shift; fi
build=${1:-build}
runs=${RUNS:-3}
cxx=${CXX:-g++}
work=$build/compile-cost
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "compile_cost.sh: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }
[ -f /usr/include/pqxx/pqxx ] || { echo "compile_cost.sh: libpqxx headers are missing (apt-get install -y libpqxx-dev)" >&2; exit 1; }

flags=(-std=c++20 -O0 -c -Iinclude -I"$(pg_config --includedir)" -o /dev/null)
declare -A source   # probe name -> translation unit
declare -A baseline # probe name -> the libpqxx probe it is compared with
declare -A extra    # probe name -> extra compiler flags
order=()
probe() { order+=("$1"); source[$1]=$2; baseline[$1]=$3; extra[$1]=${4:-}; }

include_probe() {  # include_probe <baseline> <header>... : one TU including the headers
    local base=$1 name tu
    shift
    name=$(tr ' ' '+' <<<"$*")
    tu=$work/include_$(tr '/.+' '___' <<<"$name").cpp
    printf '#include <%s>\n' "$@" >"$tu"
    probe "include:$name" "$tu" "$base"
}

if [ "$mode" = deps ]; then
    # Each dependency pgorm's headers pull in, alone; and pgorm's codec headers with and without JSON.
    printf '\n' >"$work/empty.cpp"
    probe empty "$work/empty.cpp" empty
    for deps in "string vector optional" iostream regex chrono bits/chrono.h "fstream sstream" filesystem thread \
                "mutex condition_variable" random \
                "map unordered_map functional" libpq-fe.h "openssl/evp.h openssl/hmac.h" boost/pfr/core.hpp \
                "boost/describe/class.hpp boost/describe/members.hpp boost/mp11/algorithm.hpp" boost/uuid/uuid.hpp \
                "boost/uuid/string_generator.hpp boost/uuid/uuid_io.hpp" boost/json/value.hpp \
                "boost/json/parse.hpp boost/json/serialize.hpp boost/json/value.hpp" \
                pgorm/types/json.hpp "pgorm/types/scalar.hpp pgorm/types/string.hpp pgorm/types/optional.hpp" \
                pgorm/types/time.hpp pgorm/types/chrono.hpp \
                pgorm/types.hpp pgorm/core/connection.hpp; do
        # shellcheck disable=SC2086 # one probe, several headers
        include_probe empty $deps
    done
fi

[ "$mode" = headers ] && include_probe include:pqxx/pqxx pqxx/pqxx
if [ "$mode" = headers ]; then
    include_probe include:pqxx/pqxx pgorm.hpp
    for layer in include/pgorm/*.hpp; do include_probe include:pqxx/pqxx "pgorm/${layer#include/pgorm/}"; done
    probe libpqxx-20 bench/compile_cost/libpqxx_by_hand.cpp libpqxx-20
    probe repository-20 bench/compile_cost/pgorm_repository.cpp libpqxx-20
    # The same TU with <pgorm/repo.hpp> precompiled (what target_precompile_headers does): g++
    # uses pch/pgorm_repo.hpp.gch for -include pch/pgorm_repo.hpp when the flags match.
    mkdir -p "$work/pch"
    printf '#include <pgorm/repo.hpp>\n' >"$work/pch/pgorm_repo.hpp"
    pch_start=$(date +%s.%N)
    "$cxx" "${flags[@]:0:5}" -x c++-header "$work/pch/pgorm_repo.hpp" -o "$work/pch/pgorm_repo.hpp.gch"
    pch_seconds=$(awk -v a="$pch_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    probe repository-20+pch bench/compile_cost/pgorm_repository.cpp libpqxx-20 "-include $work/pch/pgorm_repo.hpp"
fi

gen=${PGORM_GEN:-$build/codegen/pgorm-gen}
if [ "$mode" = deps ]; then
    :
elif [ -x "$gen" ]; then
    "$gen" --schema schema.sql --queries queries.sql --output "$work/queries.hpp" --namespace app::db >/dev/null
    printf '#include "queries.hpp"\n' >"$work/generated_queries.cpp"
    probe generated-queries "$work/generated_queries.cpp" include:pqxx/pqxx
else
    echo "(no pgorm-gen at $gen: the generated-queries probe is skipped; build the pgorm-gen target or set PGORM_GEN)"
fi

# ONLY=<regex>: run just the probes whose names match, and the libpqxx probes they are compared with.
if [ -n "${ONLY:-}" ]; then
    kept=()
    for name in "${order[@]}"; do
        keep=0
        [[ $name =~ $ONLY ]] && keep=1
        for other in "${order[@]}"; do
            [[ $other =~ $ONLY && ${baseline[$other]} == "$name" ]] && keep=1
        done
        [ $keep = 1 ] && kept+=("$name")
    done
    order=("${kept[@]}")
fi

# SEPARATE=1: every pgorm probe again with -DPGORM_SEPARATE_COMPILATION, and <pgorm/src.hpp> once.
# The precompiled-header probe is left out: its .gch was built in header-only mode.
if [ "${SEPARATE:-0}" = 1 ]; then
    printf '#include <pgorm/src.hpp>\n' >"$work/pgorm_src.cpp"
    separate=()
    for name in "${order[@]}"; do
        case $name in include:pqxx/* | libpqxx-* | empty | *+pch) continue ;; esac
        separate+=("$name@separate")
        source[$name@separate]=${source[$name]}
        baseline[$name@separate]=${baseline[$name]}
        extra[$name@separate]="${extra[$name]} -DPGORM_SEPARATE_COMPILATION"
    done
    order+=("${separate[@]}")
    if [[ " ${order[*]} " == *" include:pqxx/pqxx "* ]]; then
        probe src.hpp@separate "$work/pgorm_src.cpp" include:pqxx/pqxx -DPGORM_SEPARATE_COMPILATION
    fi
fi

declare -A best cpu peak
for ((run = 1; run <= runs; run++)); do
    for name in "${order[@]}"; do
        log=$work/time.log
        # shellcheck disable=SC2086 # extra flags split on purpose
        /usr/bin/time -v -o "$log" "$cxx" "${flags[@]}" ${extra[$name]} "${source[$name]}"
        secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
        kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
        used=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { print s }' "$log")
        if [ -z "${cpu[$name]:-}" ] || awk -v a="$used" -v b="${cpu[$name]}" 'BEGIN { exit !(a < b) }'; then
            cpu[$name]=$used
        fi
        if [ -z "${best[$name]:-}" ] || awk -v a="$secs" -v b="${best[$name]}" 'BEGIN { exit !(a < b) }'; then
            best[$name]=$secs
        fi
        if [ -z "${peak[$name]:-}" ] || [ "$kb" -gt "${peak[$name]}" ]; then peak[$name]=$kb; fi
    done
done

printf '%-34s %9s %9s %9s %9s %10s  %s\n' probe "wall s" "ratio" "CPU s" "ratio" "peak MiB" "(against)"
for name in "${order[@]}"; do
    base=${baseline[$name]}
    awk -v n="$name" -v s="${best[$name]}" -v b="${best[$base]}" -v c="${cpu[$name]}" -v cb="${cpu[$base]}" \
        -v kb="${peak[$name]}" -v against="$base" \
        'BEGIN { printf "%-34s %9.2f %8.2fx %9.2f %8.2fx %10.0f  (%s)\n", n, s, s / b, c, c / cb, kb / 1024, against }'
done
[ -n "${pch_seconds:-}" ] && echo "building the precompiled <pgorm/repo.hpp> took ${pch_seconds} s once"
echo "best of $runs interleaved runs; $cxx $(${cxx} -dumpfullversion); flags: ${flags[*]}; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
