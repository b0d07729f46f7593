#!/bin/sh
# Independent readers and writers: vitals' Parquet files are read by DuckDB
# and hyparquet, which agree on every value with vitals' own CSV export and
# with the source table; DuckDB's view of the statistics matches the data
# of every row group; DuckDB's time filters, pushed into the file, return
# what a full scan does; vitals reads what DuckDB and hyparquet-writer
# write, in several configurations, and agrees with DuckDB; export's
# --from/--to/--columns give DuckDB's answer for the same slice; inspect
# --json tells what DuckDB's parquet_metadata() does.
#
# vitals runs here; the checks are tests/js/interop.mjs, run at the end in
# one node process over the plan this script writes. The npm packages
# (tests/js/package.json) are installed by scripts/install-js.sh, which
# this test runs first.
set -eu

bin=${VITALS_BIN:?VITALS_BIN must name the vitals binary}
src=${VITALS_SOURCE_DIR:?VITALS_SOURCE_DIR must name the source tree}
js=$src/tests/js/interop.mjs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Row groups of RG rows and a last one of a single row; rows share
# timestamps 50 at a time, so boundaries fall inside a second. The small
# row groups leave some columns all null in some groups.
if [ "${VITALS_SANITIZED:-0}" = 1 ]; then
	rows=6001 rg=1000 small_rg=250
else
	rows=20994 rg=2999 small_rg=700
fi

pass=0 fail=0
ok() {
	echo "ok: $1"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL: $1"
	shift
	for line in "$@"; do
		echo "    $line"
	done
	fail=$((fail + 1))
}

# vitals_ok WHAT ARGS...: vitals ARGS exits 0 (its output in $tmp/out).
vitals_ok() {
	what=$1
	shift
	if "$bin" "$@" >"$tmp/out" 2>"$tmp/err"; then
		ok "$what"
		return 0
	fi
	bad "$what" "vitals $* failed: $(head -n 3 "$tmp/err")"
	return 1
}

# expect WHAT CHECK ARGS...: interop.mjs CHECK ARGS finds nothing wrong
# (run later, with the others, by run-checks).
plan=$tmp/plan
: >"$plan"
expect() {
	{
		printf '%s' "$1"
		shift
		for a in "$@"; do
			printf '\t%s' "$a"
		done
		printf '\n'
	} >>"$plan"
}

if ! sh "$src/scripts/install-js.sh" >"$tmp/npm" 2>&1; then
	bad "the npm packages of tests/js install" "$(cat "$tmp/npm")"
	echo "$pass passed, $fail failed"
	exit 1
fi

d=$tmp
if ! node "$js" prepare "$d" "$rows" >"$tmp/out" 2>&1; then
	bad "DuckDB and hyparquet-writer write the test tables" "$(head -n 12 "$tmp/out")"
	echo "$pass passed, $fail failed"
	exit 1
fi

# ---- 1, 2, 3: vitals writes, independent readers agree -------------------
# From CSV (types inferred) with the default codec, then from Parquet with
# each codec and several row groups, and with small row groups.
if vitals_ok "export table.csv to Parquet" export "$d/table.csv" -o "$d/v_csv.parquet" \
	--row-group-size "$rg"; then
	vitals_ok "export v_csv.parquet to CSV" export "$d/v_csv.parquet" -o "$d/v_csv.csv" &&
		expect "from CSV: DuckDB and hyparquet agree with vitals' CSV and the source" \
			check-read "$d/v_csv.parquet" "$d/v_csv.csv" --ref "$d/ref.parquet"
	expect "from CSV: statistics match the data" check-stats "$d/v_csv.parquet"
	expect "from CSV: zstd by default, row groups of $rg rows" \
		check-layout "$d/v_csv.parquet" --codec zstd --rg-rows "$rg"
	expect "from CSV: DuckDB's time filters return what a full scan does" \
		check-filter "$d/v_csv.parquet"
	# The checks can fail: a max time 10 s too early is found, and makes
	# DuckDB skip rows that are there.
	expect "a wrong time statistic is found and changes DuckDB's answers" \
		wrong-stats-caught "$d/v_csv.parquet" "$d/wrong.parquet"
fi

for codec in zstd snappy gzip none lz4_raw; do
	f=$d/v_$codec.parquet
	vitals_ok "export to Parquet, $codec" export "$d/ref.parquet" -o "$f" --codec "$codec" \
		--row-group-size "$rg" || continue
	vitals_ok "export v_$codec.parquet to CSV" export "$f" -o "$d/v_$codec.csv" &&
		expect "$codec: DuckDB and hyparquet agree with vitals' CSV and the source" \
			check-read "$f" "$d/v_$codec.csv" --ref "$d/ref.parquet"
	expect "$codec: statistics match the data" check-stats "$f"
	expect "$codec: every column chunk is $codec, row groups of $rg rows" \
		check-layout "$f" --codec "$codec" --rg-rows "$rg"
done
[ -f "$d/v_zstd.parquet" ] &&
	expect "zstd: DuckDB's time filters return what a full scan does" \
		check-filter "$d/v_zstd.parquet"

f=$d/v_small.parquet
if vitals_ok "export with $small_rg-row groups" export "$d/ref.parquet" -o "$f" \
	--row-group-size "$small_rg"; then
	vitals_ok "export v_small.parquet to CSV" export "$f" -o "$d/v_small.csv" &&
		expect "small row groups: DuckDB and hyparquet agree with vitals' CSV" \
			check-read "$f" "$d/v_small.csv" --ref "$d/ref.parquet"
	expect "small row groups (some all null): statistics match the data" check-stats "$f"
	expect "small row groups: DuckDB's time filters return what a full scan does" \
		check-filter "$f"
fi

# Key/value metadata survives a conversion.
f=$d/v_meta.parquet
vitals_ok "export a hyparquet-writer file to Parquet" export "$d/hy_snappy.parquet" -o "$f" &&
	expect "key/value metadata is kept and DuckDB reads it" \
		check-meta "$f" writer=hyparquet-writer

# ---- 4: vitals reads what others write -----------------------------------
for name in zstd snappy gzip none lz4 nodict v2 v2_nodict rowgroups types; do
	f=$d/duck_$name.parquet
	vitals_ok "read DuckDB's $name file" export "$f" -o "$d/duck_$name.csv" &&
		expect "DuckDB $name file: vitals agrees with DuckDB and hyparquet" \
			check-read "$f" "$d/duck_$name.csv"
done
for name in snappy gzip none; do
	f=$d/hy_$name.parquet
	vitals_ok "read hyparquet-writer's $name file" export "$f" -o "$d/hy_$name.csv" &&
		expect "hyparquet-writer $name file: vitals agrees with DuckDB and hyparquet" \
			check-read "$f" "$d/hy_$name.csv"
done
# Rewritten by vitals, the foreign files still read the same.
for name in v2_nodict types; do
	f=$d/duck_$name.parquet
	vitals_ok "rewrite DuckDB's $name file" export "$f" -o "$d/re_$name.parquet" &&
		vitals_ok "export re_$name.parquet to CSV" export "$d/re_$name.parquet" \
			-o "$d/re_$name.csv" &&
		expect "DuckDB $name file rewritten by vitals: readers agree with the original" \
			check-read "$d/re_$name.parquet" "$d/re_$name.csv" --ref "$f"
done

# vitals inspect --json tells what DuckDB's parquet_metadata() does, for
# its own files and for others'.
for f in v_zstd v_small v_none duck_v2 duck_rowgroups hy_snappy; do
	[ -f "$d/$f.parquet" ] || continue
	vitals_ok "inspect $f.parquet" inspect "$d/$f.parquet" --json &&
		cp "$tmp/out" "$d/$f.json" &&
		expect "inspect --json of $f.parquet agrees with DuckDB's metadata" \
			check-inspect "$d/$f.parquet" "$d/$f.json"
done

# ---- 5: slices ----------------------------------------------------------
# A window from inside the second row group to inside the next to last,
# on timestamps that exist (both ends are inclusive).
src_pq=$d/v_zstd.parquet
from='' to=''
if [ -f "$src_pq" ] && node "$js" window "$src_pq" >"$tmp/window" 2>&1; then
	read -r from to <"$tmp/window" || true
fi
if [ -n "$from" ] && [ -n "$to" ]; then
	vitals_ok "export a slice with columns" export "$src_pq" -o "$d/s1.csv" \
		--from "$from" --to "$to" --columns time,name,cpu,ok &&
		expect "--from/--to/--columns to CSV = DuckDB's filter" \
			check-slice "$src_pq" "$d/s1.csv" --from "$from" --to "$to" \
			--columns time,name,cpu,ok
	vitals_ok "export a slice without its time column" export "$src_pq" -o "$d/s2.csv" \
		--from "$from" --to "$to" --columns ok,name,id &&
		expect "--from/--to with --columns that leave out time = DuckDB's filter" \
			check-slice "$src_pq" "$d/s2.csv" --from "$from" --to "$to" --columns ok,name,id
	vitals_ok "export a slice to Parquet" export "$src_pq" -o "$d/s3.parquet" --from "$from" &&
		expect "--from alone to Parquet = DuckDB's filter" \
			check-slice "$src_pq" "$d/s3.parquet" --from "$from"
	vitals_ok "export a slice of a CSV file" export "$d/table.csv" -o "$d/s4.csv" \
		--to "$to" --columns name,time &&
		expect "--to on a CSV input = DuckDB's filter" \
			check-slice "$d/ref.parquet" "$d/s4.csv" --to "$to" --columns name,time
	vitals_ok "export a slice of DuckDB's file" export "$d/duck_rowgroups.parquet" \
		-o "$d/s5.csv" --from "$from" --to "$to" &&
		expect "--from/--to on DuckDB's row groups (its statistics) = DuckDB's filter" \
			check-slice "$d/duck_rowgroups.parquet" "$d/s5.csv" --from "$from" --to "$to"
else
	bad "a slice window of v_zstd.parquet" "$(cat "$tmp/window" 2>/dev/null || true)"
fi

# ---- the checks ---------------------------------------------------------
status=0
node "$js" run-checks "$plan" >"$tmp/checks" 2>&1 || status=$?
cat "$tmp/checks"
n_ok=$(grep -c '^ok: ' "$tmp/checks" || true)
n_bad=$(grep -c '^FAIL: ' "$tmp/checks" || true)
pass=$((pass + n_ok))
fail=$((fail + n_bad))
if [ "$status" -ne 0 ] && [ "$n_bad" -eq 0 ]; then
	bad "the checks ran" "interop.mjs run-checks exited $status"
fi
if [ $((n_ok + n_bad)) -ne "$(grep -c . "$plan")" ]; then
	bad "every check of the plan ran" "$((n_ok + n_bad)) of $(grep -c . "$plan")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
