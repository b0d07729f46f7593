#!/bin/sh
# The cost of the cgroup and GPU sources: CPU time per sample with and
# without them, measured in one run (bench/sources.c), with 50 control
# groups made for the run when root. Without an NVIDIA driver the GPU
# source reads the tests' fake NVML (two devices), so its code path is
# measured all the same. Builds nothing (run `make bench`, or build first).
#
# Usage: sh bench/run_sources.sh BUILD_DIR
# Environment: BENCH_SECONDS (per variant, default 4), BENCH_ROUNDS (default 4),
#              BENCH_GROUPS (default 50), BENCH_BUSY (groups whose process
#              works a little every 5 ms, default 0).
set -eu

build=${1:-build}
prog=$build/bench/sources
fake=$build/tests/helpers/libfake_nvml.so
if [ ! -x "$prog" ]; then
	echo "bench: $prog is missing; build first (make build)" >&2
	exit 1
fi
if [ -z "${VITALS_NVML_LIBRARY:-}" ] && ! ldconfig -p 2>/dev/null | grep -q libnvidia-ml.so.1; then
	if [ -f "$fake" ]; then
		echo "no NVIDIA driver: the GPU source reads the fake NVML ($fake)"
		VITALS_NVML_LIBRARY=$fake
		export VITALS_NVML_LIBRARY
	fi
fi
# Held descriptors: the cgroup source keeps its files open, as vitals(1) does
# after raising its own limit.
# shellcheck disable=SC3045
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "== cgroup and GPU sources: cost per sample, with and without =="
"$prog" --seconds "${BENCH_SECONDS:-4}" --rounds "${BENCH_ROUNDS:-4}" \
	--groups "${BENCH_GROUPS:-50}" --busy "${BENCH_BUSY:-0}"
