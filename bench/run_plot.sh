#!/bin/sh
# The plot benchmark: `vitals plot` on a synthetic day of recording (24 h at
# 1 s, 300 processes; bench/plot.c makes it once and keeps it), against the
# bare cost of reading the same columns with the trace reader, in the same
# run. Prints the figures and the ratio to the target (1 s); never fails on a
# missed target. Builds nothing (run `make bench`, or build first).
#
# Usage: sh bench/run_plot.sh BUILD_DIR
# Environment: PLOT_HOURS (default 24), PLOT_PROCESSES (default 300),
#              PLOT_ROUNDS (default 3), PLOT_DIR (where the trace is kept;
#              default $TMPDIR or /tmp).
set -eu

build=${1:-build}
plot=$build/bench/plot
vitals=$build/vitals
for f in "$plot" "$vitals"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; build first (make build)" >&2
		exit 1
	fi
done
dir=${PLOT_DIR:-${TMPDIR:-/tmp}}
out=$("$plot" --vitals "$vitals" --dir "$dir" --hours "${PLOT_HOURS:-24}" \
	--processes "${PLOT_PROCESSES:-300}" --rounds "${PLOT_ROUNDS:-3}")
echo "$out"
echo "$out" | awk '
/^bench=plot/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "\nvitals plot on %s rows (%s MiB Parquet):\n", v["rows"], v["file_mib"]
	printf "  bare read of the same columns  %8.3f s\n", v["read_s"]
	printf "  vitals plot (best)             %8.3f s  (median %.3f s)\n", v["plot_s"], v["plot_median_s"]
	printf "  plot / bare read               %8.2f x\n", v["ratio"]
	printf "  plot / target (1 s)            %8.2f x  %s\n", v["plot_s"] / v["target_s"], \
		(v["plot_s"] <= v["target_s"] ? "(within the target)" : "(over the target)")
	printf "  peak RSS of vitals plot        %8.1f MiB\n", v["plot_peak_rss_mib"]
	printf "  SVG size                       %8.1f KiB\n", v["svg_kib"]
}'
