#!/bin/bash
# "COND && ok ... || bad ..." is safe here: ok only echoes and counts.
# shellcheck disable=SC2015
# `vitals inspect` and `vitals export` as a user meets them: conversions
# through every format keep every value, --columns and --from/--to keep
# what they say, a failed export leaves the old output alone, bad input
# gets one clear line, and inspect reports what the file holds.
set -euo pipefail

bin=${VITALS_BIN:?VITALS_BIN must name the vitals binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

# expect_fail WHAT STATUS PATTERN CMD...: CMD exits STATUS and stderr matches PATTERN (grep -E).
expect_fail() {
	local what=$1 want=$2 pattern=$3 got=0
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$what" "exit status $got, expected $want" "stderr: $(head -3 "$tmp/err")"
	elif ! head -1 "$tmp/err" | grep -Eq -- "$pattern"; then
		bad "$what" "stderr: $(head -1 "$tmp/err")" "expected: $pattern"
	else
		ok "$what"
	fi
}

run() {
	local what=$1
	shift
	if "$@" >"$tmp/out" 2>"$tmp/err"; then
		ok "$what"
	else
		bad "$what" "exit status $?" "stderr: $(head -3 "$tmp/err")"
	fi
}

# ---- a table with every type and the awkward values ----------------------
# time, a string with quotes/commas/newlines/non-ASCII, an int, a double with
# the special values, a bool, and nulls (empty fields) in each nullable column.
cat >"$tmp/in.csv" <<'EOF'
time,name,pid,cpu,ok
2026-11-22T10:00:00Z,bash,100,1.5,true
2026-11-22T10:00:01Z,"say ""hi"", then go",101,-0.25,false
2026-11-22T10:00:02Z,"two
lines",102,1e300,true
2026-11-22T10:00:03Z,naïve 日本,,nan,
2026-11-22T10:00:04Z,,104,inf,false
2026-11-22T10:00:05.25Z,"",105,-inf,true
2026-11-22T10:00:06Z,last,-9223372036854775808,0.1,true
EOF

for fmt in parquet jsonl csv; do
	run "csv -> $fmt" "$bin" export "$tmp/in.csv" -o "$tmp/a.$fmt"
done
run "parquet -> jsonl" "$bin" export "$tmp/a.parquet" -o "$tmp/b.jsonl"
run "jsonl -> csv" "$bin" export "$tmp/b.jsonl" -o "$tmp/b.csv"
run "csv -> parquet (snappy, 2-row groups)" "$bin" export "$tmp/b.csv" -o "$tmp/c.parquet" \
	--codec snappy --row-group-size 2
run "parquet -> csv" "$bin" export "$tmp/c.parquet" -o "$tmp/c.csv"
cmp -s "$tmp/a.csv" "$tmp/c.csv" && ok "csv -> parquet -> jsonl -> csv -> parquet -> csv is exact" ||
	bad "the round trip changed values" "$(diff "$tmp/a.csv" "$tmp/c.csv" | head -10)"
grep -q '"say ""hi"", then go"' "$tmp/c.csv" && ok "quotes survive" || bad "quotes survive"
grep -q '^2026-11-22T10:00:03Z,naïve 日本,,nan,$' "$tmp/c.csv" && ok "nulls and UTF-8 survive" ||
	bad "nulls and UTF-8 survive" "$(grep naïve "$tmp/c.csv")"
grep -q '^2026-11-22T10:00:05.25Z,"",105,-inf,true$' "$tmp/c.csv" ||
	grep -q '^2026-11-22T10:00:05.250000Z,"",105,-inf,true$' "$tmp/c.csv" &&
	ok "an empty string stays distinct from null" ||
	bad "an empty string stays distinct from null" "$(grep -- -inf "$tmp/c.csv")"

# ---- inspect -------------------------------------------------------------
run "inspect a parquet file" "$bin" inspect "$tmp/c.parquet"
grep -q '^rows *7 in 4 row groups' "$tmp/out" && ok "inspect counts rows and row groups" ||
	bad "inspect counts rows and row groups" "$(head -8 "$tmp/out")"
grep -q 'snappy' "$tmp/out" && ok "inspect names the codec" || bad "inspect names the codec"
grep -Eq '^time +2026-11-22T10:00:00.000000Z \.\. 2026-11-22T10:00:06.000000Z' "$tmp/out" &&
	ok "inspect shows the time span" || bad "inspect shows the time span" "$(grep time "$tmp/out" | head -2)"
run "inspect --json" "$bin" inspect --json "$tmp/c.parquet"
if python3 - "$tmp/out" <<'EOF' 2>"$tmp/pyerr"; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "parquet" and d["rows"] == 7, d
assert len(d["row_groups"]) == 4
cols = {c["name"]: c for c in d["columns"]}
assert cols["pid"]["null_count"] == 1, cols["pid"]
assert cols["pid"]["min"] == "-9223372036854775808", cols["pid"]
assert cols["name"]["null_count"] == 1
assert d["time"]["max_us"] - d["time"]["min_us"] == 6_000_000, d["time"]
assert sum(g["rows"] for g in d["row_groups"]) == 7
EOF
	ok "inspect --json holds the statistics"
else
	bad "inspect --json holds the statistics" "$(tail -3 "$tmp/pyerr")"
fi
run "inspect a csv file" "$bin" inspect "$tmp/in.csv"
grep -q '^rows *7 in 1 row group' "$tmp/out" && ok "inspect reads a csv through" ||
	bad "inspect reads a csv through" "$(head -5 "$tmp/out")"

# ---- projection and time range --------------------------------------------
run "export --columns" "$bin" export "$tmp/c.parquet" -o "$tmp/p.csv" --columns pid,name
[ "$(head -1 "$tmp/p.csv")" = "pid,name" ] && ok "--columns keeps the order asked" ||
	bad "--columns keeps the order asked" "$(head -1 "$tmp/p.csv")"
run "export --from/--to" "$bin" export "$tmp/c.parquet" -o "$tmp/r.csv" --columns name \
	--from 2026-11-22T10:00:01Z --to "2026-11-22 11:00:04+01:00"
[ "$(wc -l <"$tmp/r.csv")" -eq 6 ] && head -1 "$tmp/r.csv" | grep -qx name &&
	ok "--from/--to keep the rows in range and drop the time column" ||
	bad "--from/--to keep the rows in range" "$(cat "$tmp/r.csv")"

# ---- failures keep what exists ---------------------------------------------
echo "precious" >"$tmp/keep.csv"
printf 'a,b\n1,2\n3\n' >"$tmp/short.csv"
expect_fail "a short record names the line" 1 "short.csv: line 3" \
	"$bin" export "$tmp/short.csv" -o "$tmp/keep.csv"
[ "$(cat "$tmp/keep.csv")" = "precious" ] && ok "a failed export leaves the old output" ||
	bad "a failed export leaves the old output"
ls "$tmp"/keep.csv.tmp-* >/dev/null 2>&1 && bad "a failed export leaves a temporary file" ||
	ok "a failed export cleans up"
expect_fail "export onto itself is refused" 2 "the output is the input" \
	"$bin" export "$tmp/a.csv" -o "$tmp/a.csv"
head -c 100 "$tmp/a.parquet" >"$tmp/cut.parquet"
expect_fail "a truncated parquet file is named" 1 "^vitals inspect: $tmp/cut.parquet: " \
	"$bin" inspect "$tmp/cut.parquet"
expect_fail "a missing file is named" 1 "nope.parquet: cannot open" \
	"$bin" inspect "$tmp/nope.parquet"
expect_fail "an unknown extension is refused" 2 "unknown format" \
	"$bin" export "$tmp/in.csv" -o "$tmp/x.xlsx"
expect_fail "a bad codec is refused" 2 "--codec: 'brotli' is not one of" \
	"$bin" export "$tmp/in.csv" -o "$tmp/x.parquet" --codec brotli
expect_fail "a codec for csv output is refused" 2 "apply to Parquet output only" \
	"$bin" export "$tmp/a.parquet" -o "$tmp/x.csv" --codec zstd
expect_fail "a bad time is refused" 2 "--from: 'yesterday' is not a time" \
	"$bin" export "$tmp/in.csv" -o "$tmp/x.csv" --from yesterday
expect_fail "an unknown column is named" 1 "no column 'nope'" \
	"$bin" export "$tmp/a.parquet" -o "$tmp/x.csv" --columns time,nope
expect_fail "no output is a usage error" 2 "no output file given" \
	"$bin" export "$tmp/in.csv"

echo "passed $pass, failed $fail"
[ "$fail" -eq 0 ]
