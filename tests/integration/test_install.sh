#!/bin/bash
# `cmake --install` puts the binary, library, headers, man pages and a
# pkg-config file in place, and a program builds against them with
# pkg-config alone.
set -euo pipefail

build=${VITALS_BUILD_DIR:?}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
pass=0 fail=0
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok: $what"
		pass=$((pass + 1))
	else
		echo "FAIL: $what"
		fail=$((fail + 1))
	fi
}

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name vitals.pc | head -1)")/..
check "binary installed" test -x "$prefix/bin/vitals"
check "binary runs" "$prefix/bin/vitals" --version
# The dashboard is a program of its own, found from vitals' own place.
check "dashboard program installed" test -x "$prefix/libexec/vitals/vitals-dashboard"
check "vitals dashboard runs it" "$prefix/bin/vitals" dashboard --help
check "vitals does not load the HTTP server's libraries" \
	sh -c "! ldd '$prefix/bin/vitals' | grep -q microhttpd"
check "shared library installed" test -e "$libdir/libvitals.so"
check "static library installed" test -e "$libdir/libvitals.a"
check "headers installed" test -f "$prefix/include/vitals/vitals.h"
for page in vitals vitals-snapshot vitals-proctree; do
	check "man page $page(1)" test -f "$prefix/share/man/man1/$page.1"
done

cat >"$prefix/use.c" <<'PROG'
#include <stdio.h>
#include <unistd.h>
#include <vitals/vitals.h>

int main(void)
{
	struct vitals_collector *c;
	const struct vitals_entity *e;
	char err[256];
	double rss;

	if (vitals_collector_new(&c, NULL, err, sizeof(err)) != VITALS_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	vitals_collector_sample(c);
	e = vitals_collector_process(c, getpid());
	if (!e || vitals_entity_value(e, VITALS_PROC_RSS, &rss) != VITALS_OK || rss <= 0)
		return 1;
	printf("%s\n", vitals_version());
	vitals_collector_free(c);
	return 0;
}
PROG
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# A sanitized build installs a sanitized library: programs must link the runtime too.
cc=${VITALS_CC:-cc}
san=""
[ "${VITALS_SANITIZED:-0}" = 1 ] && san="-fsanitize=address,undefined"
check "pkg-config knows vitals" pkg-config --exists vitals
# shellcheck disable=SC2046,SC2086
check "a program builds against the installed library" \
	"$cc" $san -Wall -Werror -o "$prefix/use" "$prefix/use.c" $(pkg-config --cflags --libs vitals)
check "and runs" env LD_LIBRARY_PATH="$libdir" "$prefix/use"
# shellcheck disable=SC2046,SC2086
check "and links statically" \
	"$cc" $san -o "$prefix/use-static" "$prefix/use.c" $(pkg-config --cflags vitals) "$libdir/libvitals.a" -lm
check "static program runs" "$prefix/use-static"

# The installation moved elsewhere as a whole: the dashboard still serves its page.
page_served() {
	moved="$1"
	out="$moved/dashboard.out"
	"$moved/bin/vitals" dashboard --port 0 --data-dir "$moved" --duration 20 >"$out" 2>&1 &
	pid=$!
	port=""
	for _ in $(seq 50); do
		port=$(sed -n 's/.*port \([0-9][0-9]*\);.*/\1/p' "$out" | head -1)
		[ -n "$port" ] && break
		sleep 0.1
	done
	ok=1
	[ -n "$port" ] && python3 -c "import sys, urllib.request; \
b = urllib.request.urlopen('http://127.0.0.1:%s/' % sys.argv[1], timeout=5).read(); \
sys.exit(0 if b'uPlot.iife.min.js' in b else 1)" "$port" && ok=0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return $ok
}
moved=$(mktemp -d)
rmdir "$moved"
if [ -d "$prefix/share/vitals/web" ]; then
	cp -a "$prefix" "$moved"
	check "a moved installation serves the dashboard page" page_served "$moved"
	rm -rf "$moved"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
