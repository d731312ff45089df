#!/bin/sh
# Instruction counts of each client on each workload: the figure a busy host cannot disturb.
# Runs pgorm-bench with every measuring child under callgrind, collecting only inside the
# workload function (connect, data generation and set-up are excluded), and prints client
# instructions per row.
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
         core_point_selects pipelined_inserts claim_jobs repo_claim_jobs core_claim_jobs queue_cycle core_queue_cycle \
         pgorm_events_cycle libpq_events_cycle; do
  toggles="$toggles --toggle-collect=*::$f(*"
done
toggles="$toggles --toggle-collect=*w8_consumer_thread*"  # W8's consumers run on threads of their own
"$bench" "$@" --wrap "valgrind --tool=callgrind $toggles --callgrind-out-file=$out/cg.%p" >/dev/null 2>&1
echo "| workload | client | rows | instructions | per row |"
echo "|---|---|---:|---:|---:|"
for f in "$out"/cg.*; do
  # cmd: <exe> --child <workload> <client> <rows> <populated> <url>
  set -- $(sed -n 's/^cmd: *//p' "$f" | head -1)
  ir=$(sed -n 's/^summary: *//p' "$f" | head -1)
  case $3 in 6) w=W7 ;; 7) w=W7x100 ;; 8) w=W8 ;; 9) w=W8xmin ;; *) w=W$(( $3 + 1 )) ;; esac
  c=$4; rows=$5
  case $c in 0) name=libpq ;; 1) name=libpqxx ;; 2) name=pgorm ;; *) name=pgorm-core ;; esac
  echo "| $w | $name | $rows | $ir | $(( ir / rows )) |"
done | sort
rm -rf "$out"
