#!/bin/sh
# Capture a fixture tree of this machine's /proc and /sys into
# tests/fixtures/NAME/, for unit tests that run the collector on it.
#
#   scripts/capture-fixture.sh NAME [MAX_PIDS]
#
# System files are copied as they are; /sys/block is reduced to its
# directory names; per-process files are copied for the first MAX_PIDS
# processes (default 80), with /proc/PID/fd/ as empty files named after the
# open descriptors. Unreadable files are skipped.
set -eu

name=${1:?usage: capture-fixture.sh NAME [MAX_PIDS]}
max_pids=${2:-80}
case $name in
*/* | .* | '') echo "capture-fixture.sh: bad fixture name: $name" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$top/tests/fixtures/$name
proc=$dest/proc
sys=$dest/sys

rm -rf "$dest"
mkdir -p "$proc/net" "$proc/self" "$proc/pressure" "$proc/sys/kernel/random" "$sys/block"

# copy SRC DST: the content as read now (procfs files have no size), skipped when unreadable
copy() {
	cat "$1" >"$2" 2>/dev/null || rm -f "$2"
}

for f in stat meminfo vmstat loadavg uptime diskstats filesystems; do
	copy "/proc/$f" "$proc/$f"
done
copy /proc/net/dev "$proc/net/dev"
copy /proc/self/mountinfo "$proc/self/mountinfo"
copy /proc/sys/kernel/random/boot_id "$proc/sys/kernel/random/boot_id"
if [ -d /proc/pressure ]; then
	for f in /proc/pressure/*; do
		[ -e "$f" ] && copy "$f" "$proc/pressure/$(basename "$f")"
	done
fi
rmdir "$proc/pressure" 2>/dev/null || true

for d in /sys/block/*; do
	[ -e "$d" ] || continue
	mkdir -p "$sys/block/$(basename "$d")"
	: >"$sys/block/$(basename "$d")/.keep"
done

n=0
for d in /proc/[0-9]*; do
	[ "$n" -lt "$max_pids" ] || break
	pid=$(basename "$d")
	[ -r "$d/stat" ] || continue
	mkdir -p "$proc/$pid"
	for f in stat statm status io cmdline; do
		copy "$d/$f" "$proc/$pid/$f"
	done
	if [ ! -f "$proc/$pid/stat" ]; then # gone meanwhile
		rm -rf "${proc:?}/$pid"
		continue
	fi
	mkdir -p "$proc/$pid/fd"
	for fd in "$d"/fd/*; do
		[ -e "$fd" ] || [ -L "$fd" ] || continue
		: >"$proc/$pid/fd/$(basename "$fd")"
	done
	n=$((n + 1))
done

echo "captured $n processes into $dest"
