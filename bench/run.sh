#!/bin/sh
# The overhead benchmark: CPU time per sample of the vitals collector against
# a minimal C floor and a psutil tracer, at the machine's own process count
# and with 1000 extra idle processes. Prints a table and the ratios against
# the targets; builds nothing (run `make bench`, or build first).
#
# Usage: sh bench/run.sh BUILD_DIR
# Environment: BENCH_SECONDS (per run, default 3), BENCH_ROUNDS (default 3),
#              BENCH_EXTRA (extra idle processes, default "0 1000").
set -eu

build=${1:-build}
seconds=${BENCH_SECONDS:-3}
rounds=${BENCH_ROUNDS:-3}
extras=${BENCH_EXTRA:-0 1000}
here=$(cd "$(dirname "$0")" && pwd)

minimal=$build/bench/minimal
collector=$build/bench/collector
idle=$build/tests/helpers/idle
vitals=$build/vitals
for f in "$minimal" "$collector" "$idle" "$vitals"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; build first (make build)" >&2
		exit 1
	fi
done

# Debian's python3-psutil lives with the system interpreter.
python=""
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import psutil' >/dev/null 2>&1; then
		python=$p
		break
	fi
done
if [ -z "$python" ]; then
	echo "bench: no python3 with psutil (install python3-psutil)" >&2
	exit 1
fi

count_procs() {
	set -- /proc/[0-9]*
	echo $#
}

# The collector holds descriptors per process, and 1000 more processes must fit.
# (dash, bash and busybox sh all have ulimit -n; the idle helper raises its own
# process limit.)
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
max_extra=0
for e in $extras; do
	if [ "$e" -gt "$max_extra" ]; then
		max_extra=$e
	fi
done
procs_now=$(count_procs)
need=$((procs_now + max_extra + 100))
if [ "$(cat /proc/sys/kernel/pid_max)" -lt "$need" ]; then
	echo "bench: kernel.pid_max is below $need" >&2
	exit 1
fi

tmp=$(mktemp -d)
idle_pid=""
stop_idle() {
	if [ -n "$idle_pid" ]; then
		kill "$idle_pid" 2>/dev/null || true
		wait "$idle_pid" 2>/dev/null || true
		idle_pid=""
	fi
}
cleanup() {
	stop_idle
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_idle() {
	"$idle" "$1" >"$tmp/idle.out" 2>&1 &
	idle_pid=$!
	i=0
	while ! grep -q '^ready$' "$tmp/idle.out" 2>/dev/null; do
		if ! kill -0 "$idle_pid" 2>/dev/null || [ "$i" -ge 300 ]; then
			echo "bench: could not start $1 idle processes: $(cat "$tmp/idle.out")" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

run_one() { # EXTRA NAME COMMAND...
	extra=$1
	name=$2
	shift 2
	if ! line=$("$@" --seconds "$seconds" 2>"$tmp/err"); then
		echo "bench: $name failed: $(cat "$tmp/err")" >&2
		exit 1
	fi
	echo "extra=$extra $line" >>"$tmp/results"
}

peak_rss_kib() { # COMMAND...: the peak RSS of COMMAND in KiB
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -o "$tmp/rss" -f %M "$@" >/dev/null 2>&1 || true
		tail -n 1 "$tmp/rss"
	else
		"$python" -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
	fi
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "vitals overhead: CPU time (user + system) per sample, median of $rounds runs of ${seconds} s"
echo "machine: $(nproc) CPUs (${cpu_model:-unknown}), Linux $(uname -r), $procs_now processes"
: >"$tmp/results"
rss_kib=""
rss_json_kib=""
for extra in $extras; do
	if [ "$extra" -gt 0 ]; then
		start_idle "$extra"
	fi
	r=0
	while [ "$r" -lt "$rounds" ]; do
		run_one "$extra" minimal "$minimal"
		run_one "$extra" vitals "$collector"
		run_one "$extra" psutil "$python" "$here/psutil_tracer.py"
		r=$((r + 1))
	done
	if [ "$extra" -eq "$max_extra" ]; then
		rss_kib=$(peak_rss_kib "$vitals" snapshot)
		rss_json_kib=$(peak_rss_kib "$vitals" snapshot --json)
	fi
	stop_idle
done

awk -v max_extra="$max_extra" -v rss="$rss_kib" -v rss_json="$rss_json_kib" '
function median(key,    n, i, j, t, v) {
	n = cnt[key]
	for (i = 1; i <= n; i++)
		v[i] = val[key, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	if (n == 0)
		return 0
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function add(key, v) {
	cnt[key]++
	val[key, cnt[key]] = v
}
function verdict(ok) {
	return ok ? "PASS" : "MISS"
}
{
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	e = f["extra"]; b = f["bench"]
	if (!(e in seen)) {
		seen[e] = 1
		order[++nextra] = e
	}
	add(e SUBSEP b SUBSEP "sample", f["us_per_sample"])
	add(e SUBSEP b SUBSEP "proc", f["us_per_process"])
	add(e SUBSEP b SUBSEP "n", f["processes"])
}
END {
	printf "\n%6s %6s | %-19s | %-19s | %-19s | %8s %8s\n", "extra", "procs",
	       "minimal us/sample", "vitals us/sample", "psutil us/sample", "vitals/", "psutil/"
	printf "%6s %6s | %-19s | %-19s | %-19s | %8s %8s\n", "", "", "(us/process)",
	       "(us/process)", "(us/process)", "minimal", "vitals"
	for (k = 1; k <= nextra; k++) {
		e = order[k]
		row = sprintf("%6d %6d |", e, median(e SUBSEP "minimal" SUBSEP "n"))
		split("minimal vitals psutil", bs, " ")
		for (j = 1; j <= 3; j++) {
			s = median(e SUBSEP bs[j] SUBSEP "sample")
			p[bs[j]] = median(e SUBSEP bs[j] SUBSEP "proc")
			row = row sprintf(" %9.0f (%6.2f)  |", s, p[bs[j]])
		}
		if (p["vitals"] > 0) {
			r1 = p["vitals"] / p["minimal"]
			r2 = p["psutil"] / p["vitals"]
			row = row sprintf(" %8.2f %8.1f", r1, r2)
		} else {
			row = row sprintf(" %8s %8s", "n/a", "n/a")
		}
		print row
		if (e == max_extra) {
			vm = p["vitals"] > 0 ? p["vitals"] / p["minimal"] : -1
			pv = p["vitals"] > 0 ? p["psutil"] / p["vitals"] : -1
			vp = p["vitals"]
			nv = median(e SUBSEP "vitals" SUBSEP "n")
		}
	}
	printf "\ntargets, with %d extra processes:\n", max_extra
	if (nv <= 0) {
		print "  the collector saw no processes: the process source is not in this build"
		printf "  %-44s %s\n", "vitals / minimal <= 0.8", "n/a"
		printf "  %-44s %s\n", "psutil / vitals >= 4", "n/a"
		printf "  %-44s %s\n", "vitals per process <= 25 us", "n/a"
	} else {
		printf "  %-44s %8.2f   %s\n", "vitals / minimal <= 0.8", vm, verdict(vm <= 0.8)
		printf "  %-44s %8.1f   %s\n", "psutil / vitals >= 4", pv, verdict(pv >= 4)
		printf "  %-44s %8.2f   %s\n", "vitals per process <= 25 us", vp, verdict(vp <= 25)
	}
	if (rss != "" && rss > 0) {
		printf "  %-44s %8.2f   %s\n", "peak RSS of vitals snapshot <= 6 MiB (MiB)",
		       rss / 1024, verdict(rss <= 6 * 1024)
		if (rss_json != "" && rss_json > 0)
			printf "  %-44s %8.2f\n", "  (vitals snapshot --json, MiB)", rss_json / 1024
	} else {
		printf "  %-44s %s\n", "peak RSS of vitals snapshot <= 6 MiB", "not measured"
	}
}' "$tmp/results"
