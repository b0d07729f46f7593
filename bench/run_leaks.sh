#!/bin/sh
# The leak-analysis benchmark: `vitals leaks` on a synthetic day-long trace
# (bench/leaks.c makes it with the library's writer: 24 hours at 1 s, 300
# processes, five of them leaking, sawing or stepping), against the floor
# of reading the same columns with the reader alone, in the same run.
# Prints the best wall time of LEAKS_ROUNDS runs of each, the peak RSS of
# `vitals leaks` beside the file's size and the floor's, and whether the
# suspects are the three leakers. Never fails on a missed target; exits
# non-zero only when something could not run.
#
# Usage: sh bench/run_leaks.sh BUILD_DIR
# Environment: LEAKS_HOURS (default 24), LEAKS_PROCS (default 300),
#              LEAKS_ROUNDS (default 3), LEAKS_TRACE (reuse this trace file
#              when it exists, else make it there), TMPDIR.
set -eu

build=${1:-build}
hours=${LEAKS_HOURS:-24}
procs=${LEAKS_PROCS:-300}
rounds=${LEAKS_ROUNDS:-3}
gen=$build/bench/leaks
vitals=$build/vitals

for f in "$gen" "$vitals"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; build first (make build)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vitals-leaks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
trace=${LEAKS_TRACE:-$tmp/day.parquet}

if [ ! -f "$trace" ]; then
	echo "making a ${hours} h trace of $procs processes at 1 s (once; LEAKS_TRACE keeps it)..."
	if ! "$gen" --generate "$trace" --hours "$hours" --procs "$procs" >"$tmp/gen.out" \
		2>"$tmp/err"; then
		echo "bench: leaks --generate failed: $(cat "$tmp/err")" >&2
		exit 1
	fi
	cat "$tmp/gen.out"
fi

# Wall seconds and peak RSS (KiB) of a command: GNU time when installed,
# else Python's resource module.
measure() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || return 1
		cat "$tmp/time"
	else
		python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
with open(sys.argv[1], "w") as out:
    r = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
if r.returncode:
    sys.exit(1)
print("%.2f %d" % (time.monotonic() - t,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))' \
			"$tmp/out" "$@" >"$tmp/time" || return 1
		cat "$tmp/time"
	fi
}

best_leaks=""
best_read=""
rss_leaks=0
rss_read=0
i=0
while [ "$i" -lt "$rounds" ]; do
	if ! set -- $(measure "$vitals" leaks "$trace" --json); then
		echo "bench: vitals leaks failed: $(cat "$tmp/err")" >&2
		exit 1
	fi
	cp "$tmp/out" "$tmp/leaks.json"
	best_leaks=$(awk -v a="$1" -v b="$best_leaks" 'BEGIN { print (b == "" || a < b) ? a : b }')
	[ "$2" -gt "$rss_leaks" ] && rss_leaks=$2
	if ! set -- $(measure "$gen" --read "$trace"); then
		echo "bench: leaks --read failed: $(cat "$tmp/err")" >&2
		exit 1
	fi
	best_read=$(awk -v a="$1" -v b="$best_read" 'BEGIN { print (b == "" || a < b) ? a : b }')
	[ "$2" -gt "$rss_read" ] && rss_read=$2
	i=$((i + 1))
done

bytes=$(wc -c <"$trace")
rows=$(awk -v h="$hours" -v p="$procs" 'BEGIN { print h * 3600 * (p + 1) }')
found=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(s["name"] for s in d["series"] if s["suspect"]))' "$tmp/leaks.json")
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

echo "vitals leaks: ${hours} h at 1 s, $procs processes ($rows rows), best of $rounds"
echo "machine: $(nproc) CPUs (${cpu_model:-unknown}), Linux $(uname -r)"
awk -v t="$best_leaks" -v r="$best_read" -v ml="$rss_leaks" -v mr="$rss_read" -v b="$bytes" '
BEGIN {
	printf "%-34s %10s %12s\n", "", "seconds", "peak RSS";
	printf "%-34s %10.2f %9.1f MiB\n", "vitals leaks TRACE", t, ml / 1024;
	printf "%-34s %10.2f %9.1f MiB\n", "floor: read the same columns", r, mr / 1024;
	printf "file size                          %21.1f MiB\n", b / 1048576;
	printf "leaks / floor: time %.2f, memory %.2f; peak RSS / file size %.2f\n",
	    (r > 0 ? t / r : 0), (mr > 0 ? ml / mr : 0), ml * 1024 / b;
	printf "target: <= 2 s: %s; memory bounded by the columns (below the file size): %s\n",
	    (t <= 2 ? "met" : "missed"), (ml * 1024 < b ? "met" : "missed");
}'
echo "suspects: $found (expected worker-50 worker-120 worker-200)"
