#!/bin/sh
# Install what vitals needs to build and test, from Debian's packages.
# Idempotent and quiet when everything is already there.
set -eu

PACKAGES="build-essential cmake pkg-config clang libclang-rt-14-dev libcmocka-dev
libzstd-dev libsnappy-dev zlib1g-dev liblz4-dev
python3 python3-psutil procps time valgrind util-linux
tzdata libxml2-utils gnuplot-nox librsvg2-bin chromium fonts-dejavu-core
libmicrohttpd-dev wrk prometheus"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Node.js and npm run the independent Parquet readers of the tests; a
# machine may already have them from elsewhere than Debian.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "vitals: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
fi
echo "vitals: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
