#!/bin/sh
# Install the npm packages of the interoperability tests and the store
# benchmark (DuckDB and hyparquet, pinned in tests/js/package-lock.json)
# into tests/js/node_modules, and those of the dashboard's page (uPlot and
# cytoscape, pinned in web/package-lock.json) into web/node_modules.
# Arguments name the folders (tests/js, web); none means both. Does
# nothing for a folder whose packages are already there and newer than its
# lock file; quiet unless something fails. Needs node and npm
# (scripts/install-deps.sh installs them) and the npm registry.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- tests/js web
for dir in "$@"; do
js=$root/$dir
stamp=$js/node_modules/.package-lock.json

if [ -f "$stamp" ] &&
	[ -z "$(find "$js/package-lock.json" "$js/package.json" -newer "$stamp")" ]; then
	continue
fi
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install-js: $tool is missing (run scripts/install-deps.sh)" >&2
		exit 1
	fi
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# npm ci installs exactly the lock file. A registry that serves only this
# machine's platform packages makes it refuse the lock (the optional DuckDB
# bindings of other platforms are missing from it); npm install then
# installs the same pinned versions without rewriting the lock.
if ! npm ci --no-audit --no-fund --loglevel=error --prefix "$js" </dev/null >"$log" 2>&1 &&
	! npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$js" \
		</dev/null >>"$log" 2>&1; then
	echo "install-js: npm could not install the packages of $dir:" >&2
	grep -v 'Unknown user config' "$log" | tail -n 20 >&2
	exit 1
fi
if [ ! -f "$stamp" ]; then
	echo "install-js: npm ran but $stamp is missing" >&2
	exit 1
fi
# npm may keep the old stamp when nothing changed: mark the install as new.
touch "$stamp"
rm -f "$log"
done
