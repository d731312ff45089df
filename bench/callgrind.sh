#!/bin/sh
# Instruction counts of each client on each workload: the figure a busy host cannot disturb.
# Runs pgorm-bench with every measuring child under callgrind, collecting only inside the
# workload function (connect, data generation and set-up are excluded), and prints client
# instructions per row, in all and split into the measuring thread and the others (W8: the
# producer, then its two consumers).
#
#   bench/callgrind.sh build/bench/pgorm-bench [--quick] [--only W1,W3]
#
# Needs valgrind. With --quick (the default here when no size option is given) it takes a few
# minutes; full sizes under callgrind take much longer.
set -eu
bench=${1:?usage: callgrind.sh path/to/pgorm-bench [pgorm-bench options]}
shift
[ $# -eq 0 ] && set -- --quick
out=$(mktemp -d /tmp/pgorm-callgrind-XXXXXX)
toggles=""
for f in single_inserts repo_inserts core_inserts bulk_insert repo_bulk_insert core_bulk_insert \
         fetch_all generated_fetch_all core_fetch_all point_selects generated_point_selects \
         core_point_selects pipelined_inserts claim_jobs repo_claim_jobs core_claim_jobs queue_cycle core_queue_cycle; do
  toggles="$toggles --toggle-collect=*::$f(*"
done
# W8 (both clients alike): the producer's loop and each consumer thread's loop, connecting and
# preparing excluded; its consumers start once every event is published, so that both clients
# run the same statements (see w8_publish_first in bench/w8_events.cpp).
toggles="$toggles --toggle-collect=*w8_producer<* --toggle-collect=*w8_consumer_thread<*"
export PGORM_BENCH_W8_PUBLISH_FIRST=1
# One profile per thread: thread 1 is the measuring thread (W8's producer), the others W8's consumers.
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 1; }
# The benchmark's own output goes to a log, shown when it fails: a failed run must not print a
# table of whatever profiles it left behind.
if ! "$bench" "$@" --wrap "valgrind --tool=callgrind --separate-threads=yes $toggles --callgrind-out-file=$out/cg.%p" \
  >"$out/bench.log" 2>&1; then
  echo "callgrind.sh: $bench $* failed; its output (kept in $out):" >&2
  tail -n 40 "$out/bench.log" >&2
  exit 1
fi
profiles=$(ls "$out" | sed -n 's/^cg\.\([0-9]*\)-01$/\1/p' | sort -u)
if [ -z "$profiles" ]; then
  echo "callgrind.sh: the run left no profile in $out (did the options select any workload?)" >&2
  exit 1
fi
# The rows go to a file, not straight into sort: an exit inside a pipeline would only end the
# subshell, and the script would go on as if all were well.
for pid in $profiles; do
  main=0 others=0
  for f in "$out"/cg."$pid"-*; do
    ir=$(sed -n 's/^summary: *//p' "$f" | head -1)
    # A profile without a summary is a child that did not finish: its count would be a guess.
    [ -n "$ir" ] || { echo "callgrind.sh: $f has no summary line (the child died?)" >&2; exit 1; }
    case $f in *-01) main=$(( main + ir )) ;; *) others=$(( others + ir )) ;; esac
  done
  # cmd: <exe> --child <workload> <client> <rows> <populated> <url>
  set -- $(sed -n 's/^cmd: *//p' "$out"/cg."$pid"-01 | head -1)
  case $3 in 6) w=W7 ;; 7) w=W7x100 ;; 8) w=W8 ;; 9) w=W8xmin ;; *) w=W$(( $3 + 1 )) ;; esac
  c=$4; rows=$5
  case $c in 0) name=libpq ;; 1) name=libpqxx ;; 2) name=pgorm ;; *) name=pgorm-core ;; esac
  ir=$(( main + others ))
  echo "| $w | $name | $rows | $ir | $(( ir / rows )) | $(( main / rows )) / $(( others / rows )) |"
done >"$out/table"
echo "| workload | client | rows | instructions | per row | per row: main thread / other threads |"
echo "|---|---|---:|---:|---:|---:|"
sort "$out/table"
[ -n "${KEEP_CALLGRIND:-}" ] && echo "kept $out" || rm -rf "$out"
