#!/bin/bash
# Run as an unprivileged user, vitals cannot read other users' I/O
# counters: those fields must come out missing (null), never 0,
# and everything readable must still be there.
set -euo pipefail

bin=${VITALS_BIN:?}
if [ "$(id -u)" -ne 0 ] || ! command -v runuser >/dev/null; then
	echo "needs root and runuser to switch to an unprivileged user"
	echo "0 passed, 0 failed"
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/vitals"
chmod 755 "$work" "$work/vitals"
runuser -u nobody -- bash -c 'ulimit -n 256; exec "$0" "$@"' "$work/vitals" snapshot --json --interval 0.2 >"$work/out.json"

python3 - "$work/out.json" <<'PY'
import json, os, sys
snap = json.load(open(sys.argv[1]))
procs = {p["pid"]: p for p in snap["process"]}
fails = 0
def check(what, ok):
    global fails
    print(("ok: " if ok else "FAIL: ") + what)
    fails += 0 if ok else 1
init = procs.get(1)
check("pid 1 is listed", init is not None)
if init:
    check("pid 1 read_bytes is null for nobody (not 0)", init.get("read_bytes") is None)
    check("pid 1 rss is still known", isinstance(init.get("rss_bytes"), int) and init["rss_bytes"] > 0)
    check("pid 1 cpu_percent is known", isinstance(init.get("cpu_percent"), (int, float)))
own = [p for p in snap["process"] if p.get("user") == "nobody" and p["name"] == "vitals"]
check("vitals sees itself", len(own) == 1)
if own:
    check("its own fds are readable", isinstance(own[0].get("fds"), int) and own[0]["fds"] >= 3)
    check("its own read_bytes are readable", isinstance(own[0].get("read_bytes"), int))
listed = sum(1 for d in os.listdir("/proc") if d.isdigit())
check(f"with 256 descriptors, every process is still seen ({len(procs)} of about {listed})",
      abs(len(procs) - listed) <= max(10, listed // 20))
check("memory total is known", (snap["system"].get("mem_total_bytes") or 0) > 0)
total = 9 if init else 4
print(f"{total - fails if fails <= total else 0} passed, {fails} failed")
sys.exit(1 if fails else 0)
PY
