#!/bin/sh
# Puts the dashboard page together in an assets folder: the page's own
# files from web/ and, from the npm packages web/package.json pins, uPlot's
# script and stylesheet and cytoscape's script. Installs those packages
# first (scripts/install-js.sh web) when they are missing or stale.
#
#   sh web/build-assets.sh OUTDIR
set -eu

web=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-assets.sh OUTDIR}
nm=$web/node_modules

sh "$web/../scripts/install-js.sh" web

mkdir -p "$out/js"
# cp -p keeps the sources' times: a file that did not change is not new.
for f in "$web"/index.html "$web"/style.css; do
	cp -p "$f" "$out/"
done
for f in "$web"/js/*.js; do
	cp -p "$f" "$out/js/"
done
for f in "$nm/uplot/dist/uPlot.iife.min.js" "$nm/uplot/dist/uPlot.min.css" \
	"$nm/cytoscape/dist/cytoscape.min.js"; do
	if [ ! -f "$f" ]; then
		echo "build-assets: $f is missing after installing the npm packages" >&2
		exit 1
	fi
	cp -p "$f" "$out/"
done
# Files of the page that are gone from web/ leave the assets too.
for f in "$out"/js/*.js; do
	[ -e "$web/js/$(basename "$f")" ] || rm -f "$f"
done
