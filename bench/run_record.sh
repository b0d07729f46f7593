#!/bin/sh
# The recording benchmark: what `vitals record` costs beyond sampling, how
# many bytes it keeps per process-sample beside atop, how much memory it
# holds, and whether its writes stay as cheap at the end of a long
# recording as at its start. Prints figures, ratios and PASS/MISS against
# the targets (bench/README.md); never fails on a missed target, exits
# non-zero only when something could not run. Builds nothing (run `make
# bench`, or build first). Installs atop (Debian package) when missing and
# it can; without it, the size comparison is skipped with a note.
#
# Usage: sh bench/run_record.sh BUILD_DIR
# Environment (defaults in brackets):
#   RECORD_EXTRA          extra idle processes [1000]
#   RECORD_ROUNDS         rounds of the recording cost [5]
#   RECORD_SAMPLES        samples per phase and round, a multiple of 10 [60]
#   RECORD_DISK_SAMPLES   samples of the size comparison [60]
#   RECORD_DISK_INTERVAL  seconds between them [1]
#   RECORD_MEM_SECONDS    length of the memory run at 100 Hz [60; 600 for the
#                         full ten-minute check]
#   RECORD_PEAK_SECONDS   length of the run with the extra processes [20]
#   RECORD_LOGGER_SECONDS length of each in-process logger run [20]
#   RECORD_HOURS          simulated hours of writes [24; about 2 min on the
#                         development machine]
#   TMPDIR                where the files go (part 4 writes ~4.5 MB an hour)
set -eu

build=${1:-build}
extra=${RECORD_EXTRA:-1000}
rounds=${RECORD_ROUNDS:-5}
samples=${RECORD_SAMPLES:-60}
disk_samples=${RECORD_DISK_SAMPLES:-60}
disk_interval=${RECORD_DISK_INTERVAL:-1}
mem_seconds=${RECORD_MEM_SECONDS:-60}
peak_seconds=${RECORD_PEAK_SECONDS:-20}
hours=${RECORD_HOURS:-24}
logger_seconds=${RECORD_LOGGER_SECONDS:-20}
write_interval=10 # `vitals record`'s default, in seconds

record=$build/bench/record
idle=$build/tests/helpers/idle
vitals=$build/vitals
for f in "$record" "$idle" "$vitals"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; build first (make build)" >&2
		exit 1
	fi
done

count_procs() {
	set -- /proc/[0-9]*
	echo $#
}

# The collector holds descriptors per process, and the extra processes must fit.
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
procs_now=$(count_procs)
if [ "$(cat /proc/sys/kernel/pid_max)" -lt $((procs_now + extra + 100)) ]; then
	echo "bench: kernel.pid_max is below $((procs_now + extra + 100))" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vitals-record.XXXXXX")
idle_pid=""
bg_pids=""
stop_idle() {
	if [ -n "$idle_pid" ]; then
		kill "$idle_pid" 2>/dev/null || true
		wait "$idle_pid" 2>/dev/null || true
		idle_pid=""
	fi
}
cleanup() {
	for p in $bg_pids; do
		kill "$p" 2>/dev/null || true
	done
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

fail() { # WHAT: the message, then the program's stderr
	echo "bench: $1 failed: $(cat "$tmp/err" 2>/dev/null)" >&2
	exit 1
}

verdict() { # awk condition on nothing but numbers: PASS or MISS
	if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi
}

# The value of KEY in the line of FILE that starts with bench=NAME.
field() { # FILE NAME KEY
	awk -v name="bench=$2" -v key="$3" '$1 == name {
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == key)
				v = kv[2]
		}
	} END { print v }' "$1"
}

# Run `vitals record` at 100 Hz for SECONDS into NAME.parquet, reading its
# VmRSS and VmHWM (KiB) every second into NAME.rss as "ELAPSED RSS HWM".
# Under GNU time (Debian package `time`) when there is one, whose %M (the
# peak RSS, KiB) goes to NAME.maxrss: it also sees the last write, at exit.
mem_run() { # SECONDS NAME
	: >"$tmp/$2.rss"
	: >"$tmp/$2.maxrss"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -o "$tmp/$2.maxrss" -f %M "$vitals" record -q -o "$tmp/$2.parquet" \
			--sample-interval 0.01 --duration "$1" >/dev/null 2>"$tmp/err" &
	else
		"$vitals" record -q -o "$tmp/$2.parquet" --sample-interval 0.01 --duration "$1" \
			>/dev/null 2>"$tmp/err" &
	fi
	wpid=$!
	bg_pids=$wpid
	pid=$wpid
	if [ -x /usr/bin/time ]; then
		# The recorder is time's child.
		pid=""
		i=0
		while [ -z "$pid" ] && [ "$i" -lt 100 ] && kill -0 "$wpid" 2>/dev/null; do
			pid=$({ cat "/proc/$wpid/task/$wpid/children" 2>/dev/null ||
				ps -o pid= --ppid "$wpid" 2>/dev/null; } | awk 'NR == 1 { print $1 }')
			[ -n "$pid" ] || sleep 0.05
			i=$((i + 1))
		done
	fi
	bg_pids="$wpid $pid"
	t0=$(date +%s.%N)
	while [ -n "$pid" ]; do
		line=$(awk '$1 == "State:" && $2 == "Z" { z = 1 }
			$1 == "VmRSS:" { r = $2 } $1 == "VmHWM:" { h = $2 }
			END { if (!z && r != "") print r, h }' "/proc/$pid/status" 2>/dev/null) || break
		[ -n "$line" ] || break
		echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') $line" \
			>>"$tmp/$2.rss"
		sleep 1
	done
	if ! wait "$wpid"; then
		bg_pids=""
		fail "vitals record (memory run $2)"
	fi
	bg_pids=""
}

# NAME.rss summed up, with a warm-up of WARM seconds, in KiB: "FLOOR1 FLOOR2
# WARM_HWM HWM MAX_RSS PEAK READINGS", where FLOOR1 is the least VmRSS read in
# the second half of the warm-up and FLOOR2 the least in the last WARM/2
# seconds (what stays held between writes), WARM_HWM the VmHWM at the end of
# the warm-up, HWM the last VmHWM read, MAX_RSS the most VmRSS read, PEAK the
# peak RSS (GNU time's, else HWM).
mem_summary() { # NAME WARM
	awk -v warm="$2" -v maxrss="$(tail -n 1 "$tmp/$1.maxrss" 2>/dev/null)" '
	{ t[++n] = $1; r[n] = $2; h[n] = $3 }
	END {
		f1 = f2 = -1
		for (i = 1; i <= n; i++) {
			if (t[i] > warm / 2 && t[i] <= warm && (f1 < 0 || r[i] < f1))
				f1 = r[i]
			if (t[i] > t[n] - warm / 2 && (f2 < 0 || r[i] < f2))
				f2 = r[i]
			if (t[i] <= warm)
				wh = h[i]
			if (r[i] > mr)
				mr = r[i]
		}
		peak = h[n]
		if (maxrss ~ /^[0-9]+$/ && maxrss + 0 > peak)
			peak = maxrss
		printf "%d %d %d %d %d %d %d\n", f1, f2, wh, h[n], mr, peak, n
	}' "$tmp/$1.rss"
}

mib() { # KiB
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "vitals recording: cost, bytes on disk, memory, writes over a long recording"
echo "machine: $(nproc) CPUs (${cpu_model:-unknown}), Linux $(uname -r), $procs_now processes;" \
	"files in ${TMPDIR:-/tmp} ($(df -PT "$tmp" | awk 'NR == 2 { print $2 }'))"

# ---- with the extra processes: cost, bytes, peak memory --------------------------------
start_idle "$extra"

echo
echo "1. recording cost, $extra extra processes: CPU time per sample, $rounds rounds of" \
	"$samples samples each way, taking turns"
if ! "$record" cost --dir "$tmp" --rounds "$rounds" --samples "$samples" \
	--write-every "$write_interval" >"$tmp/cost.out" 2>"$tmp/err"; then
	fail "record cost"
fi
rm -f "$tmp"/cost.parquet*
awk -v out="$tmp/cost.ratio" '
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$1 == "bench=record_cost" {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	n++
	procs[n] = f["processes"]; rows[n] = f["rows"]
	bare[n] = f["bare_us"]; rec[n] = f["record_us"]; ratio[n] = f["record_us"] / f["bare_us"]
	col[n] = f["collect_us"]; tr[n] = f["trace_us"]; jn[n] = f["journal_us"]
	wr[n] = f["write_us"]; wc[n] = f["write_cpu_ms"]; ww[n] = f["write_wall_ms"]
	added[n] = 1 + (f["trace_us"] + f["journal_us"] + f["write_us"]) / f["bare_us"]
	printf "   round %d: bare %8.0f us  record %8.0f us  (%.2fx)  file %.1f MiB\n",
	       n, f["bare_us"], f["record_us"], ratio[n], f["bytes"] / 1048576
}
END {
	printf "   %-40s %10.0f\n", "processes per sample", median(procs, n)
	printf "   %-40s %10.0f\n", "rows per sample", median(rows, n)
	printf "   %-40s %10.0f\n", "bare collection, us/sample", median(bare, n)
	printf "   %-40s %10.0f\n", "recording, us/sample", median(rec, n)
	printf "   %-40s %10.0f\n", "  of which collection", median(col, n)
	printf "   %-40s %10.0f\n", "  of which vitals_trace_add_sample", median(tr, n)
	printf "   %-40s %10.0f\n", "  of which vitals_recorder_add (journal)", median(jn, n)
	printf "   %-40s %10.0f\n", "  of which vitals_recorder_write / 10", median(wr, n)
	printf "   %-40s %10.1f ms CPU, %.1f ms wall\n", "  one write", median(wc, n), median(ww, n)
	# The parts alone, without the collection inside the record phase (it moves with
	# the load of the machine as the bare phase does, but not always together).
	printf "   %-40s %10.2fx\n", "1 + (trace + journal + write) / bare", median(added, n)
	print median(ratio, n) > out
}' "$tmp/cost.out"
cost_ratio=$(cat "$tmp/cost.ratio")

echo
echo "2. bytes on disk per process-sample: $disk_samples samples every ${disk_interval} s," \
	"vitals record (default settings) and atop -w side by side"
atop_ok=1
if ! command -v atop >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "   (installing atop with apt-get)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends atop \
			>"$tmp/apt.log" 2>&1 || true
	fi
	if ! command -v atop >/dev/null 2>&1; then
		atop_ok=0
	fi
fi
duration=$(awk -v n="$disk_samples" -v i="$disk_interval" 'BEGIN { print n * i }')
if [ "$atop_ok" -eq 1 ]; then
	atop -w "$tmp/atop.raw" "$disk_interval" "$disk_samples" >/dev/null 2>"$tmp/atop.err" &
	atop_pid=$!
	bg_pids=$atop_pid
fi
if ! "$vitals" record -q -o "$tmp/disk.parquet" --sample-interval "$disk_interval" \
	--duration "$duration" >/dev/null 2>"$tmp/err"; then
	fail "vitals record"
fi
if [ "$atop_ok" -eq 1 ] && ! wait "$atop_pid"; then
	echo "   atop -w failed: $(cat "$tmp/atop.err")"
	atop_ok=0
fi
bg_pids=""
# The size once vitals has closed the file (its last write), not while it records.
if ! "$record" count "$tmp/disk.parquet" >"$tmp/count.out" 2>"$tmp/err"; then
	fail "record count"
fi
v_bytes=$(field "$tmp/count.out" record_count bytes)
v_samples=$(field "$tmp/count.out" record_count samples)
v_procs=$(field "$tmp/count.out" record_count process_rows)
v_rows=$(field "$tmp/count.out" record_count rows)
per_sample=$(awk -v p="$v_procs" -v s="$v_samples" 'BEGIN { printf "%.0f", s ? p / s : 0 }')
printf "   %-40s %10d bytes, %d samples, %d rows, %s processes per sample\n" \
	"vitals (Parquet)" "$v_bytes" "$v_samples" "$v_rows" "$per_sample"
v_bps=$(awk -v b="$v_bytes" -v s="$v_samples" -v p="$per_sample" 'BEGIN {
	printf "%.2f", s * p ? b / (s * p) : 0 }')
disk_ratio=""
if [ "$atop_ok" -eq 1 ]; then
	a_bytes=$(wc -c <"$tmp/atop.raw" | tr -d ' ')
	# Samples in the raw file, as atop reads it back (one CPU line each).
	a_samples=$(atop -r "$tmp/atop.raw" -P CPU 2>/dev/null | grep -c '^CPU ' || true)
	if [ -z "$a_samples" ] || [ "$a_samples" -eq 0 ]; then
		a_samples=$disk_samples
	fi
	printf "   %-40s %10d bytes, %d samples\n" "atop $(atop -V 2>/dev/null |
		sed -n 's/^Version: \([^ ]*\).*/\1/p') (raw file)" "$a_bytes" "$a_samples"
	a_bps=$(awk -v b="$a_bytes" -v s="$a_samples" -v p="$per_sample" 'BEGIN {
		printf "%.2f", s * p ? b / (s * p) : 0 }')
	disk_ratio=$(awk -v v="$v_bps" -v a="$a_bps" 'BEGIN { printf "%.3f", (a > 0 ? v / a : 0) }')
	printf "   %-40s %10s vitals, %s atop (same processes per sample for both)\n" \
		"bytes per process-sample" "$v_bps" "$a_bps"
else
	printf "   %-40s %10s\n" "bytes per process-sample" "$v_bps"
	echo "   atop is not installed and could not be (apt-get install atop, as root):" \
		"no comparison"
fi
rm -f "$tmp/atop.raw" "$tmp"/disk.parquet*

echo
echo "3. recorder memory: vitals record --sample-interval 0.01, VmRSS and VmHWM read" \
	"every second"
mem_run "$peak_seconds" peak
# shellcheck disable=SC2046
set -- $(mem_summary peak 0)
peak_kib=$6
printf "   %-40s %7s MiB peak RSS; %s MiB the most VmRSS read, %d readings\n" \
	"$peak_seconds s, $extra extra processes" "$(mib "$6")" "$(mib "$5")" "$7"
rm -f "$tmp"/peak.parquet*
stop_idle

# ---- the machine's own processes: memory growth, then a simulated day -------------------
# The warm-up: the first 10% of the run, but at least two writes.
warm=$(awk -v d="$mem_seconds" -v w="$write_interval" 'BEGIN {
	x = d / 10; if (x < 2 * w + 1) x = 2 * w + 1; print x }')
mem_run "$mem_seconds" growth
# shellcheck disable=SC2046
set -- $(mem_summary growth "$warm")
floor_growth=$(awk -v a="$2" -v b="$1" 'BEGIN { printf "%.2f", (a - b) / 1024 }')
hwm_growth=$(awk -v a="$4" -v b="$3" 'BEGIN { printf "%.2f", (a - b) / 1024 }')
growth=$(awk -v a="$floor_growth" -v b="$hwm_growth" 'BEGIN { print (a > b ? a : b) }')
printf "   %-40s %7s MiB peak RSS; %s MiB the most VmRSS read, %d readings\n" \
	"$mem_seconds s, $procs_now processes" "$(mib "$6")" "$(mib "$5")" "$7"
printf "   %-40s %7s MiB VmRSS between writes, then %s MiB at the end (%+.2f)\n" \
	"held (least VmRSS)" "$(mib "$1")" "$(mib "$2")" "$floor_growth"
printf "   %-40s %7s MiB VmHWM after the first $warm s, then %s MiB (%+.2f)\n" \
	"peak so far (VmHWM)" "$(mib "$3")" "$(mib "$4")" "$hwm_growth"
rm -f "$tmp"/growth.parquet*

echo
echo "4. writes over $hours simulated hours: 1 s samples of a fixed batch, a write every" \
	"$write_interval samples, as fast as it goes"
if ! "$record" day --dir "$tmp" --hours "$hours" --write-every "$write_interval" \
	>"$tmp/day.out" 2>"$tmp/err"; then
	fail "record day"
fi
awk '$1 == "bench=record_day_hour" {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	printf "   hour %3d: median write %8.1f ms (%7.1f ms CPU), slowest %8.1f ms, file %7.1f MiB\n",
	       f["hour"], f["median_ms"], f["median_cpu_ms"], f["max_ms"], f["bytes"] / 1048576
}' "$tmp/day.out"
d_first=$(field "$tmp/day.out" record_day first_ms)
d_last=$(field "$tmp/day.out" record_day last_ms)
d_first_cpu=$(field "$tmp/day.out" record_day first_cpu_ms)
d_last_cpu=$(field "$tmp/day.out" record_day last_cpu_ms)
d_bytes=$(field "$tmp/day.out" record_day bytes)
d_rows=$(field "$tmp/day.out" record_day rows_per_sample)
d_samples=$(field "$tmp/day.out" record_day samples)
d_seconds=$(field "$tmp/day.out" record_day seconds)
d_ratio=$(awk -v a="$d_last" -v b="$d_first" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
d_ratio_cpu=$(awk -v a="$d_last_cpu" -v b="$d_first_cpu" 'BEGIN {
	printf "%.2f", (b > 0 ? a / b : 0) }')
printf "   %-40s %10.1f MiB, %.1f bytes per row (%d rows per sample), in %.0f s\n" \
	"final file" "$(awk -v b="$d_bytes" 'BEGIN { print b / 1048576 }')" \
	"$(awk -v b="$d_bytes" -v s="$d_samples" -v r="$d_rows" 'BEGIN { print b / (s * r) }')" \
	"$d_rows" "$d_seconds"
printf "   %-40s %10.1f ms first hour, %.1f ms last (CPU %.1f, %.1f: %sx)\n" \
	"median write" "$d_first" "$d_last" "$d_first_cpu" "$d_last_cpu" "$d_ratio_cpu"
rm -f "$tmp"/day.parquet*

echo
echo "5. the in-process logger at 10 Hz for $logger_seconds s, the program itself asleep"
for ext in jsonl parquet; do
	if ! "$build/bench/logger" "$logger_seconds" 0.1 "$tmp/log.$ext" >"$tmp/logger.out" \
		2>"$tmp/err"; then
		fail "logger"
	fi
	pct=$(field "$tmp/logger.out" logger core_percent)
	printf "   %-40s %8.3f %% of a core (%s s of CPU)\n" "into .$ext" "$pct" \
		"$(field "$tmp/logger.out" logger cpu_seconds)"
	eval "logger_$ext=\$pct"
done
rm -f "$tmp"/log.*

echo
echo "targets:"
printf "  %-52s %8.2f   %s\n" "recording <= 1.2x bare collection ($extra extra)" "$cost_ratio" \
	"$(verdict "$cost_ratio <= 1.2")"
if [ -n "$disk_ratio" ]; then
	printf "  %-52s %8.3f   %s\n" "bytes per process-sample <= 1/4 of atop" "$disk_ratio" \
		"$(verdict "$disk_ratio <= 0.25")"
else
	printf "  %-52s %8s   %s\n" "bytes per process-sample <= 1/4 of atop" "n/a" \
		"(no atop)"
fi
if awk -v d="$mem_seconds" -v w="$warm" 'BEGIN { exit !(d >= 2 * w) }'; then
	printf "  %-52s %8.2f   %s\n" "memory growth after the first $warm s <= 1 MiB (MiB)" \
		"$growth" "$(verdict "$growth <= 1")"
else
	printf "  %-52s %8s   %s\n" "memory growth after the first $warm s <= 1 MiB" "n/a" \
		"(RECORD_MEM_SECONDS under $(awk -v w="$warm" 'BEGIN { print 2 * w }'))"
fi
printf "  %-52s %8.2f   %s\n" "peak RSS with $extra extra processes <= 16 MiB (MiB)" \
	"$(mib "$peak_kib")" "$(verdict "$peak_kib <= 16384")"
printf "  %-52s %8.2f   %s\n" "write time, last hour / first hour <= 1.5 ($hours h)" \
	"$d_ratio" "$(verdict "$d_ratio <= 1.5")"
printf "  %-52s %8.3f   %s\n" "logger at 10 Hz, % of a core <= 1 (jsonl)" "$logger_jsonl" \
	"$(verdict "$logger_jsonl <= 1")"
printf "  %-52s %8.3f   %s\n" "logger at 10 Hz, % of a core <= 1 (parquet)" "$logger_parquet" \
	"$(verdict "$logger_parquet <= 1")"
