#!/bin/sh
# The recorder and the in-process logger under valgrind: no invalid reads
# or writes, no use of uninitialised values, no leaked memory. Runs a short
# recording of every process, a recording of a traced command with events,
# a recovery after kill -9, and the logger's unit tests (threads, fork).
# The sanitized build skips it (ASan and valgrind do not mix); the
# sanitized run covers the same code with ASan and UBSan instead.
set -u

bin=${VITALS_BIN:?VITALS_BIN must name the vitals binary}
build=${VITALS_BUILD_DIR:?VITALS_BUILD_DIR must name the build directory}
if [ "${VITALS_SANITIZED:-0}" = 1 ]; then
	echo "skipped: the sanitized build runs under ASan, not valgrind"
	echo "0 passed, 0 failed"
	exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "FAIL: valgrind is not installed (scripts/install-deps.sh installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

vg() {
	name=$1
	shift
	if valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$tmp/vg.log" "$@" >"$tmp/out" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	if [ "$rc" = 99 ] || [ -s "$tmp/vg.log" ]; then
		echo "FAIL: $name: valgrind found errors"
		sed 's/^/    /' "$tmp/vg.log" | head -60
		fail=$((fail + 1))
	elif [ "$rc" != "${EXPECT:-0}" ]; then
		echo "FAIL: $name: exit $rc (want ${EXPECT:-0})"
		sed 's/^/    /' "$tmp/out" | head -20
		fail=$((fail + 1))
	else
		echo "ok: $name"
		pass=$((pass + 1))
	fi
}

vg "record every process" "$bin" record -o "$tmp/all.parquet" --sample-interval 0.2 \
	--write-interval 0.5 --duration 2 -q
vg "record to CSV with rotation" "$bin" record -o "$tmp/seg.csv" --sample-interval 0.2 \
	--write-interval 0.3 --rotate 1s --duration 2.5 -q --processes none
EXPECT=3 vg "record a command with events" "$bin" record -o "$tmp/cmd.parquet" \
	--sample-interval 0.1 -q -- sh -c 'echo phase >> "$VITALS_EVENTS"; sleep 0.5; exit 3'
vg "an event into a finished trace" "$bin" event "$tmp/cmd.parquet" "afterwards" --field k=v

# A recording killed outright, then recovered under valgrind.
"$bin" record -o "$tmp/killed.parquet" --sample-interval 0.05 --write-interval 0.3 -q \
	--processes none &
pid=$!
sleep 1.2
kill -9 "$pid"
wait "$pid" 2>/dev/null
vg "recover after kill -9" "$bin" recover "$tmp/killed.parquet"
vg "export the recovered trace" "$bin" export "$tmp/killed.parquet" -o "$tmp/killed.jsonl"

logger_test=$build/tests/test_logger
if [ -x "$logger_test" ]; then
	vg "the logger's unit tests" "$logger_test"
else
	echo "FAIL: no $logger_test"
	fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
