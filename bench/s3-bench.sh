#!/bin/bash
# S3 backend benchmark: ferry's S3Storage uploading and downloading ~1 GB of pack-sized blobs
# (50 x 20 MiB, random) to moto on a loopback port, with 1, 4 and 16 requests in flight.
# Reports MB/s and ferry's own CPU seconds per GB (getrusage of the benchmark process only; moto's
# CPU time is printed separately), for put (the body's CRC-32C given, as the content layer gives a
# pack's), put-crc (the store computing it), get into a reused buffer, get into new buffers and
# put of a body already in the CPU cache, next to references measured on the same data (CRC-32C,
# memcpy, SHA-256, MD5, and the kernel's cost of a plain loopback TCP connection). Against moto
# the server (Python) is the bottleneck, so the MB/s figures describe moto; CPU-s/GB is what
# ferry costs.
#
# Usage:
#   bench/s3-bench.sh [--build=build] [--blobs=50] [--blob-mib=20 | --blob-kib=N] [--concurrency=1,4,16]
#                     [--phases=get,get-new,put-crc[,put-hot]]
#
#   --build   the CMake build directory holding src/blob/s3_benchmark
#             (cmake --build BUILD --target s3_benchmark)
#
# Needs python3 with moto[server] and boto3 (see docs/s3.md, "Where moto comes from"). moto is
# started with authentication on (every SigV4 signature is checked, as in the tests) and stopped
# at exit. Results: the benchmark's lines, and the RESULT lines in $BENCH_DIR/s3-results.tsv.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --build=*) BUILD=$(realpath "${arg#*=}") ;;
    --blobs=*|--blob-mib=*|--blob-kib=*|--concurrency=*|--phases=*) ARGS+=("$arg") ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
BENCH=$BUILD/src/blob/s3_benchmark
[ -x "$BENCH" ] || { echo "no $BENCH (cmake --build $BUILD --target s3_benchmark, or --build=DIR)" >&2; exit 1; }
python3 -c 'import moto.server, boto3' 2>/dev/null || {
  echo "python3 with moto[server] and boto3 is needed (python3 is $(command -v python3)); see docs/s3.md" >&2
  exit 1
}
BENCH_DIR=${BENCH_DIR:-/tmp/ferry-bench}
mkdir -p "$BENCH_DIR"

# A free loopback port (bound to port 0 and released).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
LOG=$BENCH_DIR/s3-bench-moto.log
python3 -m moto.server -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
MOTO=$!
cleanup() { kill "$MOTO" 2>/dev/null || true; wait "$MOTO" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$PORT/moto-api/" >/dev/null 2>&1 && break
  kill -0 "$MOTO" 2>/dev/null || { echo "moto exited:"; tail -20 "$LOG"; exit 1; } >&2
  sleep 0.1
done
read -r KEY SECRET < <(python3 "$ROOT/src/blob/testing/moto_setup.py" "http://127.0.0.1:$PORT" ferry-bench)

moto_cpu() {  # user + system seconds of the moto process so far
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$MOTO/stat"
}
echo "moto $(python3 -c 'import moto; print(moto.__version__)') on 127.0.0.1:$PORT (pid $MOTO), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
M0=$(moto_cpu)
W0=$(date +%s.%N)
OUT=$BENCH_DIR/s3-bench.out
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
  "$BENCH" --endpoint="127.0.0.1:$PORT" --bucket=ferry-bench "${ARGS[@]}" | tee "$OUT"
W1=$(date +%s.%N)
M1=$(moto_cpu)
awk -v m0="$M0" -v m1="$M1" -v w0="$W0" -v w1="$W1" \
  'BEGIN { printf "moto'"'"'s CPU time over the run: %.1f s in %.1f s wall\n", m1 - m0, w1 - w0 }'
{
  printf 'date\top\tconcurrency\tbytes\twall_s\tMB_per_s\tcpu_s\tsystem_s\tcpu_s_per_GB\n'
  grep '^RESULT' "$OUT" | sed "s/^RESULT/$(date -u +%FT%TZ)/"
} >>"$BENCH_DIR/s3-results.tsv"
echo "results appended to $BENCH_DIR/s3-results.tsv"
