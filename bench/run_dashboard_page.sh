#!/bin/sh
# The dashboard's page on a synthetic day of recording (24 h at 1 s, 300
# processes; bench/leaks --generate makes it once, or DASH_TRACE names
# one): for each run a fresh `vitals dashboard` (nothing in its caches) is
# started and headless Chromium opens its page; bench/dashboard_page.mjs
# prints how long the first chart and all charts take to be drawn, how long
# a one-hour zoom takes to come back, and the most points a series brought
# against the pixels of its chart. Then the slowest, median and fastest
# run. Never fails on a missed target. Builds nothing.
#
# Usage: sh bench/run_dashboard_page.sh BUILD_DIR
# Environment: DASH_TRACE, DASH_HOURS (24), DASH_PROCESSES (300), PAGE_RUNS (5).
set -eu

build=${1:-build}
vitals=$build/vitals
gen=$build/bench/leaks
here=$(cd "$(dirname "$0")" && pwd)
for f in "$vitals" "$gen"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; build first (make build)" >&2
		exit 1
	fi
done
if ! command -v chromium >/dev/null 2>&1 ||
	[ ! -d "$here/../tests/js/node_modules/playwright-core" ]; then
	echo "bench: the page benchmark needs chromium and playwright-core (make js); skipped"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vitals-page.XXXXXX")
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trace=${DASH_TRACE:-$tmp/day.parquet}
if [ ! -f "$trace" ]; then
	echo "making a ${DASH_HOURS:-24} h trace of ${DASH_PROCESSES:-300} processes at 1 s..."
	"$gen" --generate "$trace" --hours "${DASH_HOURS:-24}" --procs "${DASH_PROCESSES:-300}" >/dev/null
fi
mkdir -p "$tmp/data"
runs=${PAGE_RUNS:-5}
n=1
while [ "$n" -le "$runs" ]; do
	: >"$tmp/url"
	"$vitals" dashboard --port 0 --quiet --data-dir "$tmp/data" --datafile "$trace" \
		--token bench-page-token >"$tmp/url" 2>"$tmp/err" &
	pid=$!
	i=0
	while [ ! -s "$tmp/url" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	url=$(sed 's/.* on //' "$tmp/url")
	node "$here/dashboard_page.mjs" "$url" datafile:0 1 | sed "s/^run 1:/run $n:/" | grep -v "^page: first" | tee -a "$tmp/runs"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
	n=$((n + 1))
done
# one line per run: "run N: first chart F ms, all charts A ms, one-hour zoom Z ms"
grep '^run ' "$tmp/runs" | sed 's/.*first chart \([0-9]*\) ms, all charts \([0-9]*\) ms, one-hour zoom \([0-9]*\) ms/\1 \2 \3/' |
	sort -n | awk -v runs="$runs" '
	{ f[NR] = $1; a[NR] = $2; z[NR] = $3 }
	END {
		m = int((NR + 1) / 2)
		printf "page, each run with a fresh server (%d runs): first chart drawn %d ms after opening at the slowest, %d ms in the median, %d ms at the fastest (target 1500 ms)\n", NR, f[NR], f[m], f[1]
	}'
grep '^page: at most' "$tmp/runs" | sort -t' ' -k4 -n | tail -1
