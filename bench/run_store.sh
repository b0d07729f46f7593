#!/bin/sh
# The trace-file benchmark: vitals' Parquet writer and reader against
# DuckDB's, one thread, on the same trace-shaped table (bench/store.c makes
# it: 2 million rows by default), same codec (zstd). Prints the best of
# STORE_ROUNDS runs of each, the ratios against the targets, and the peak
# RSS of vitals' writer beside the size of two row groups. Builds nothing
# (run `make bench`, or build first); installs the npm packages of
# tests/js when they are missing (scripts/install-js.sh).
#
# Usage: sh bench/run_store.sh BUILD_DIR
# Environment: STORE_ROWS (default 2000000), STORE_ROUNDS (default 3),
#              STORE_CODEC (default zstd), TMPDIR (where the files go).
set -eu

build=${1:-build}
rows=${STORE_ROWS:-2000000}
rounds=${STORE_ROUNDS:-3}
codec=${STORE_CODEC:-zstd}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

store=$build/bench/store
if [ ! -x "$store" ]; then
	echo "bench: $store is missing; build first (make build)" >&2
	exit 1
fi
if ! sh "$root/scripts/install-js.sh"; then
	echo "bench: the npm packages of tests/js could not be installed" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vitals-store.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if ! "$store" --dir "$tmp" --rows "$rows" --rounds "$rounds" --codec "$codec" --csv \
	>"$tmp/vitals.out" 2>"$tmp/err"; then
	echo "bench: store failed: $(cat "$tmp/err")" >&2
	exit 1
fi
if ! node "$here/store_duckdb.mjs" --csv "$tmp/table.csv" --out "$tmp/duck.parquet" \
	--rounds "$rounds" --codec "$codec" --check "$tmp/vitals.parquet" \
	>"$tmp/duckdb.out" 2>"$tmp/err"; then
	echo "bench: store_duckdb.mjs failed: $(cat "$tmp/err")" >&2
	exit 1
fi
rm -f "$tmp/table.csv"
if ! "$store" --rss --dir "$tmp" --rows "$rows" --codec "$codec" >"$tmp/rss.out" \
	2>"$tmp/err"; then
	echo "bench: store --rss failed: $(cat "$tmp/err")" >&2
	exit 1
fi

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "vitals trace files: $rows rows, $codec, one thread, best of $rounds"
echo "machine: $(nproc) CPUs (${cpu_model:-unknown}), Linux $(uname -r)"
cat "$tmp/vitals.out" "$tmp/duckdb.out" "$tmp/rss.out" | awk '
{
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		v[$1, kv[1]] = kv[2]
	}
}
function verdict(ok) {
	return ok ? "PASS" : "MISS"
}
END {
	vw = v["bench=store_write", "seconds"]; dw = v["bench=duckdb_write", "seconds"]
	vr = v["bench=store_read", "seconds"]; dr = v["bench=duckdb_read", "seconds"]
	vb = v["bench=store_write", "bytes"]; db = v["bench=duckdb_write", "bytes"]
	peak = v["bench=store_rss", "peak_kib"]; base = v["bench=store_rss", "base_kib"]
	group = v["bench=store_rss", "row_group_kib"]; grows = v["bench=store_rss", "row_group_rows"]
	cvw = v["bench=store_write", "cpu_seconds"]; cdw = v["bench=duckdb_write", "cpu_seconds"]
	cvr = v["bench=store_read", "cpu_seconds"]; cdr = v["bench=duckdb_read", "cpu_seconds"]
	printf "\n%-28s %12s %12s %10s\n", "", "vitals", "DuckDB", "vitals/DuckDB"
	printf "%-28s %12.3f %12.3f %10.2f\n", "write (s)", vw, dw, vw / dw
	printf "%-28s %12.3f %12.3f %10.2f\n", "  CPU time (s)", cvw, cdw, cvw / cdw
	printf "%-28s %12.3f %12.3f %10.2f\n", "read all columns (s)", vr, dr, vr / dr
	printf "%-28s %12.3f %12.3f %10.2f\n", "  CPU time (s)", cvr, cdr, cvr / cdr
	printf "%-28s %12.2f %12.2f %10.3f\n", "file size (MiB)", vb / 1048576, db / 1048576, vb / db
	printf "\ntargets (wall-clock time; CPU time above tells whether the machine was busy):\n"
	printf "  %-44s %8.2f   %s\n", "write time <= 1.0x DuckDB", vw / dw, verdict(vw <= dw)
	printf "  %-44s %8.2f   %s\n", "read time <= 1.0x DuckDB", vr / dr, verdict(vr <= dr)
	printf "  %-44s %8.3f   %s\n", "file size <= 1.05x DuckDB", vb / db, verdict(vb <= 1.05 * db)
	w = peak - base
	printf "  %-44s %8.1f   %s\n", "writer memory <= 2 row groups (MiB)", w / 1024,
	       verdict(w <= 2 * group)
	printf "    (peak RSS %.1f MiB, %.1f MiB before the writer opened; one row group of\n",
	       peak / 1024, base / 1024
	printf "     %d rows is %.1f MiB as a column batch)\n", grows, group / 1024
}'
