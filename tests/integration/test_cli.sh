#!/bin/bash
# "COND && ok ... || bad ..." is safe here: ok only echoes and counts.
# shellcheck disable=SC2015
# The vitals command line as a user meets it: help and version, a clear
# one-line message and exit status 2 for every kind of bad input, JSON that
# parses and holds what it should, the process tree and the finder on real
# processes started here, --watch when the output is not a terminal.
set -euo pipefail

bin=${VITALS_BIN:?VITALS_BIN must name the vitals binary}
tmp=$(mktemp -d)
sleeper=
cleanup() {
	if [ -n "$sleeper" ]; then
		kill "$sleeper" 2>/dev/null || true
		wait "$sleeper" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

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

# expect_status WHAT STATUS CMD...: CMD exits with STATUS.
expect_status() {
	local what=$1 want=$2 got=0
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$what"
	else
		bad "$what" "exit status $got, expected $want" "stderr: $(head -3 "$tmp/err")"
	fi
}

# expect_error WHAT MESSAGE CMD...: CMD exits 2, its first stderr line is
# exactly MESSAGE and the second points to the command's help.
expect_error() {
	local what=$1 message=$2 got=0 cmd
	shift 2
	cmd=$2
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	if [ "$got" -ne 2 ]; then
		bad "$what" "exit status $got, expected 2" "stderr: $(head -3 "$tmp/err")"
	elif [ "$(sed -n 1p "$tmp/err")" != "$message" ]; then
		bad "$what" "stderr: $(sed -n 1p "$tmp/err")" "expected: $message"
	elif [ "$(sed -n 2p "$tmp/err")" != "See 'vitals $cmd --help'." ]; then
		bad "$what" "second line: $(sed -n 2p "$tmp/err")"
	elif [ -s "$tmp/out" ]; then
		bad "$what" "printed on stdout: $(head -1 "$tmp/out")"
	else
		ok "$what"
	fi
}

# json_check WHAT FILE PYTHON: run PYTHON with d = the JSON in FILE; it must not raise.
json_check() {
	local what=$1 file=$2 code=$3
	if python3 -c "
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
$code
" "$file" 2>"$tmp/pyerr"; then
		ok "$what"
	else
		bad "$what" "$(tail -3 "$tmp/pyerr")"
	fi
}

# ---- help and version ----------------------------------------------------
expect_status "vitals --help exits 0" 0 "$bin" --help
grep -q snapshot "$tmp/out" && grep -q proctree "$tmp/out" &&
	ok "--help lists the commands" || bad "--help lists the commands" "$(cat "$tmp/out")"
expect_status "vitals --version exits 0" 0 "$bin" --version
grep -Eq '^vitals [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" &&
	ok "--version prints the version" || bad "--version prints the version" "$(cat "$tmp/out")"
for cmd in snapshot proctree inspect export; do
	expect_status "vitals $cmd --help exits 0" 0 "$bin" "$cmd" --help
	grep -q "usage: vitals $cmd" "$tmp/out" &&
		ok "$cmd --help prints its usage" || bad "$cmd --help prints its usage"
done
expect_status "vitals help snapshot exits 0" 0 env MANPAGER=cat PAGER=cat "$bin" help snapshot
grep -qi "snapshot" "$tmp/out" && ok "vitals help snapshot shows something" ||
	bad "vitals help snapshot shows something"

# ---- bad input -----------------------------------------------------------
expect_status "an unknown command exits 2" 2 "$bin" frobnicate
[ "$(cat "$tmp/err")" = "vitals: 'frobnicate' is not a vitals command. See 'vitals --help'." ] &&
	ok "an unknown command is named" || bad "an unknown command is named" "$(cat "$tmp/err")"
expect_status "no command exits 2" 2 "$bin"

expect_error "a pid that does not exist" \
	"vitals proctree: no process with pid 4194304" "$bin" proctree 4194304
expect_error "a pid that does not exist, snapshot" \
	"vitals snapshot: no process with pid 4194304" "$bin" snapshot --pid 4194304
expect_error "a non-numeric --top" \
	"vitals snapshot: --top: 'abc' is not a number" "$bin" snapshot --top abc
expect_error "an out-of-range --top" \
	"vitals snapshot: --top: '-3' is out of range (0 to 1000000)" "$bin" snapshot --top -3
expect_error "a non-numeric --interval" \
	"vitals snapshot: --interval: 'soon' is not a number" "$bin" snapshot --interval soon
expect_error "an unknown option" \
	"vitals snapshot: unknown option '--frob'" "$bin" snapshot --frob
expect_error "an option without its value" \
	"vitals snapshot: option '--top' needs a value" "$bin" snapshot --top
expect_error "an unknown --sort" \
	"vitals snapshot: --sort: 'size' is not cpu, mem or io" "$bin" snapshot --sort size
expect_error "a non-numeric pid" \
	"vitals proctree: PID: 'init' is not a number" "$bin" proctree init
expect_error "an unknown proctree option" \
	"vitals proctree: unknown option '--frob'" "$bin" proctree --frob
expect_error "a non-numeric --depth" \
	"vitals proctree: --depth: 'deep' is not a number" "$bin" proctree 1 --depth deep
expect_error "--proc-root on a directory that does not exist" \
	"vitals snapshot: --proc-root: cannot open '$tmp/nowhere': No such file or directory" \
	"$bin" snapshot --proc-root "$tmp/nowhere"
expect_error "proctree --proc-root on a directory that does not exist" \
	"vitals proctree: --proc-root: cannot open '$tmp/nowhere': No such file or directory" \
	"$bin" proctree --proc-root "$tmp/nowhere"

# ---- snapshot ------------------------------------------------------------
expect_status "snapshot prints a summary" 0 "$bin" snapshot --interval 0.2
grep -Eq '^ *PID +USER' "$tmp/out" && grep -q '^memory ' "$tmp/out" &&
	ok "the summary has memory and a process table" ||
	bad "the summary has memory and a process table" "$(head -5 "$tmp/out")"

"$bin" snapshot --json --interval 0.2 >"$tmp/snap.json"
json_check "snapshot --json parses and has the top-level keys" "$tmp/snap.json" '
for k in ("vitals_version", "time", "time_us", "interval_seconds", "host", "sources",
          "system", "cpu", "psi", "disk", "net", "fs", "process"):
    assert k in d, k
assert isinstance(d["time_us"], int) and d["time"].endswith("Z")
assert 0.1 < d["interval_seconds"] < 5, d["interval_seconds"]
for k in ("hostname", "kernel", "boot_id", "boot_time_us"):
    assert k in d["host"], k
import os
assert d["sources"]["gpu"]["status"] in ("ok", "absent") and d["sources"]["gpu"]["reason"]
assert isinstance(d["gpu"], list) and isinstance(d["cgroup"], list)
if os.path.exists("/sys/fs/cgroup/cgroup.controllers") or os.path.exists("/sys/fs/cgroup/memory"):
    assert d["sources"]["cgroup"]["status"] == "ok", d["sources"]["cgroup"]
    assert any(g["processes"] for g in d["cgroup"]), "groups holding processes"
pids = [p["pid"] for p in d["process"]]
assert pids == sorted(pids) and len(pids) > 1, "every process, sorted by pid"
assert all(isinstance(p["start_time"], int) for p in d["process"] if p["start_time"] is not None)
'

"$bin" snapshot --json --pid $$ --depth 0 --interval 0.2 >"$tmp/self.json"
json_check "snapshot --json --pid \$\$ --depth 0 lists exactly the shell" "$tmp/self.json" "
assert [p['pid'] for p in d['process']] == [$$], [p['pid'] for p in d['process']]
p = d['process'][0]
assert p['id'] == '$$' and p['ppid'] == $PPID and p['rss_bytes'] > 0
"

"$bin" snapshot --json --top 3 --sort mem --interval 0.2 >"$tmp/top.json"
json_check "snapshot --json --top 3 --sort mem holds the three largest" "$tmp/top.json" '
rss = [p["rss_bytes"] for p in d["process"]]
assert len(rss) == 3 and rss == sorted(rss, reverse=True), rss
'

"$bin" snapshot --watch 0.2 --count 2 --top 2 --interval 0.1 >"$tmp/watch" 2>&1
n=$(grep -Ec '^ *PID +USER' "$tmp/watch" || true)
[ "$n" -eq 2 ] && ok "snapshot --watch 0.2 --count 2 prints two snapshots off a terminal" ||
	bad "snapshot --watch 0.2 --count 2 prints two snapshots off a terminal" "$n tables"
if grep -q $'\033' "$tmp/watch"; then
	bad "no terminal escapes when not a terminal"
else
	ok "no terminal escapes when not a terminal"
fi

"$bin" snapshot --watch 0.2 --top 1 >"$tmp/watch-int" 2>&1 &
watcher=$!
sleep 1
kill -INT "$watcher" 2>/dev/null || true
got=0
wait "$watcher" || got=$?
[ "$got" -eq 0 ] && ok "SIGINT ends --watch with status 0" ||
	bad "SIGINT ends --watch with status 0" "exit status $got"

expect_status "snapshot --sources exits 0" 0 "$bin" snapshot --sources
grep -Eq '^gpu +absent' "$tmp/out" && ok "--sources shows gpu absent" ||
	bad "--sources shows gpu absent" "$(cat "$tmp/out")"

# ---- proctree ------------------------------------------------------------
sleep 1234 &
sleeper=$!

expect_status "proctree \$\$ exits 0" 0 "$bin" proctree $$ --interval 0.1
grep -Eq "^$$ " "$tmp/out" && ok "proctree \$\$ shows the shell at the root" ||
	bad "proctree \$\$ shows the shell at the root" "$(head -3 "$tmp/out")"
grep -Eq "(─|-) $sleeper sleep " "$tmp/out" && ok "proctree \$\$ shows the shell's child" ||
	bad "proctree \$\$ shows the shell's child" "$(cat "$tmp/out")"

expect_status "proctree --find exits 0" 0 "$bin" proctree --find 'SLEEP 1234'
grep -Eq "^ *$sleeper +$$ .*sleep 1234\$" "$tmp/out" && ok "proctree --find finds sleep 1234" ||
	bad "proctree --find finds sleep 1234" "$(cat "$tmp/out")"

"$bin" proctree --find 'sleep 1234' --json >"$tmp/find.json"
json_check "proctree --find --json lists it" "$tmp/find.json" "
assert [m['pid'] for m in d['matches']] == [$sleeper], d['matches']
assert d['matches'][0]['ppid'] == $$
"

"$bin" proctree $$ --json --interval 0.1 >"$tmp/tree.json"
json_check "proctree --json nests children with subtree totals" "$tmp/tree.json" "
t = d['tree']
assert t['pid'] == $$
kids = [c['pid'] for c in t['children']]
assert $sleeper in kids, kids
assert t['subtree']['processes'] >= 2
assert t['subtree']['rss_bytes'] >= t['rss_bytes']
"

# A process whose name holds a tab, a control character and a byte that is
# not UTF-8: the JSON stays valid UTF-8 with the characters escaped.
odd=$'we\tird\001\377'
cp "$(command -v sleep)" "$tmp/$odd"
"$tmp/$odd" 1235 &
oddpid=$!
"$bin" snapshot --json --pid "$oddpid" --depth 0 --interval 0.05 >"$tmp/odd.json"
"$bin" snapshot --pid "$oddpid" --depth 0 --interval 0.05 >"$tmp/odd.txt"
kill "$oddpid" 2>/dev/null || true
wait "$oddpid" 2>/dev/null || true
json_check "odd process names are escaped in JSON" "$tmp/odd.json" '
p = d["process"][0]
assert p["name"] == "we\tird\x01\ufffd", repr(p["name"])
'
if grep -q $'\001' "$tmp/odd.txt"; then
	bad "control characters never reach the terminal"
else
	ok "control characters never reach the terminal"
fi

# ---- a captured tree: --proc-root and --sys-root -------------------------
# A small procfs: init (1) with one child, worker (42), and the system files.
fx=$tmp/capture
mkdir -p "$fx/proc" "$fx/sys"
fake_process() {
	local pid=$1 ppid=$2 comm=$3 rss_pages=$4
	mkdir -p "$fx/proc/$pid/fd"
	printf '%d (%s) S %d %d %d 0 -1 0 100 0 0 0 50 20 0 0 20 0 1 0 500 10000000 %d 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n' \
		"$pid" "$comm" "$ppid" "$pid" "$pid" "$rss_pages" >"$fx/proc/$pid/stat"
	printf '2441 %d 100 1 0 100 0\n' "$rss_pages" >"$fx/proc/$pid/statm"
	printf 'Name:\t%s\nUid:\t0\t0\t0\t0\nVmSwap:\t0 kB\n' "$comm" >"$fx/proc/$pid/status"
	printf '%s\0--jobs\0004\0' "$comm" >"$fx/proc/$pid/cmdline"
}
fake_process 1 0 init 1000
fake_process 42 1 worker 2500
printf 'cpu  100 0 50 1000 0 0 0 0 0 0\ncpu0 100 0 50 1000 0 0 0 0 0 0\nbtime 1700000000\n' \
	>"$fx/proc/stat"
printf 'MemTotal: 16000000 kB\nMemFree: 8000000 kB\nMemAvailable: 12000000 kB\n' \
	>"$fx/proc/meminfo"
echo "1000.5 900.0" >"$fx/proc/uptime"
echo "0.50 0.40 0.30 1/100 42" >"$fx/proc/loadavg"

"$bin" snapshot --json --proc-root "$fx/proc" --sys-root "$fx/sys" --interval 0.05 \
	>"$tmp/capture.json"
json_check "snapshot --proc-root reads the captured tree" "$tmp/capture.json" '
assert [(p["pid"], p["name"], p["ppid"]) for p in d["process"]] == [(1, "init", 0), (42, "worker", 1)], d["process"]
assert d["process"][1]["cmdline"] == "worker --jobs 4"
assert d["system"]["mem_total_bytes"] == 16000000 * 1024
'
expect_status "proctree --proc-root exits 0" 0 \
	"$bin" proctree 1 --proc-root "$fx/proc" --interval 0.05
[ "$(sed -n 1p "$tmp/out" | cut -d' ' -f1-2)" = "1 init" ] &&
	grep -Eq '^(└─|\+-) 42 worker ' "$tmp/out" &&
	grep -q 'subtree: 2 processes, 2 threads' "$tmp/out" &&
	ok "proctree --proc-root draws the captured tree" ||
	bad "proctree --proc-root draws the captured tree" "$(cat "$tmp/out")"
expect_error "a pid missing from the captured tree" \
	"vitals proctree: no process with pid 7" "$bin" proctree 7 --proc-root "$fx/proc"

expect_status "proctree --find of nothing exits 1" 1 "$bin" proctree --find "no-such-process-$$-xyz"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
