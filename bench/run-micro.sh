#!/bin/bash
# `make bench`: every Google Benchmark micro benchmark of a build, one after the other, with the
# load average before each (other jobs on the machine skew timings; see bench/README.md).
#
# Usage: bench/run-micro.sh [BUILD_DIR] [extra Google Benchmark flags, e.g. --benchmark_filter=Index]
set -euo pipefail
BUILD=${1:-build}
shift || true
found=0
for b in crypto/crypto_benchmark splitter/splitter_benchmark compression/compression_benchmark \
         content/content_benchmark; do
  exe=$BUILD/src/$b
  [ -x "$exe" ] || { echo "skipping $b (not built in $BUILD)"; continue; }
  found=1
  echo "== $b (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "$exe" "$@"
done
[ $found = 1 ] || { echo "no benchmarks in $BUILD (configure with -DFERRY_BUILD_BENCHMARKS=ON)" >&2; exit 1; }
