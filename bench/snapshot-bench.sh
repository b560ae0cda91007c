#!/bin/bash
# End-to-end snapshot benchmark: ferry (and restic, when installed) on the dataset and with the
# method of /work/shared/bench/peers.md, printed next to kopia 0.12.1's figures from that file.
#
# Usage:
#   bench/snapshot-bench.sh [--runs=3] [--ferry=build/ferry] [--variants=none,flush,restic]
#   bench/snapshot-bench.sh --files=5000,1000000 [--runs=1]    # many small files: memory
#
#   --variants  ferry sync modes to run (FERRY_FILESYSTEM_SYNC: none = page cache only, what
#               kopia 0.12.1 does; flush = ferry's default; blob = fsync per blob) and "restic"
#               (skipped when restic is not installed). Default: none,flush,restic.
#   --files=N[,N...]  instead of the 1 GiB dataset, N files of 1 KiB (random) in 1000 dirs;
#               first backup and an unchanged second backup, to show max RSS does not grow with N.
#   --no-warm   skip the memory warm-up. By default 4 GiB are written to a file and deleted
#               first: on this VM kind, guest memory the host has taken back is slow to touch
#               again (page-cache writes at ~0.4 GB/s cold, ~5 GB/s warm), which doubled
#               restore times from one run to the next (docs/performance.md).
#
# Everything lives under $BENCH_DIR (default /tmp/ferry-bench): the dataset (generated once,
# reused while its checksum matches), a working copy per run, repositories (removed after each
# run), and results-*.tsv with every measurement. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GEN=${GEN_DATASET:-$ROOT/../shared/bench/gen-dataset.sh}
[ -x "$GEN" ] || GEN=/work/shared/bench/gen-dataset.sh
BENCH_DIR=${BENCH_DIR:-/tmp/ferry-bench}
FERRY=$ROOT/build/ferry
RUNS=3
VARIANTS=none,flush,restic
FILES=
WARM=1
# gen-dataset.sh checksum of the unmutated dataset (peers.md, "Dataset").
DATASET_SUM=f6a9a3f62119ca4b698b1b7f9e817d75cebaa25b759c43c727b4c1d3d62225bb

for arg in "$@"; do
  case "$arg" in
    --runs=*) RUNS=${arg#*=} ;;
    --ferry=*) FERRY=$(realpath "${arg#*=}") ;;
    --variants=*) VARIANTS=${arg#*=} ;;
    --files=*) FILES=${arg#*=} ;;
    --no-warm) WARM=0 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

[ -x "$FERRY" ] || { echo "no ferry binary at $FERRY (run make, or pass --ferry=PATH)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install -y time" >&2; exit 1; }
HAVE_RESTIC=0
if [[ ",$VARIANTS," == *,restic,* ]]; then
  if command -v restic >/dev/null; then HAVE_RESTIC=1; else echo "restic not installed: skipped (apt-get install -y restic)"; fi
fi
HAVE_RESTORE=0
"$FERRY" snapshot restore --help >/dev/null 2>&1 && HAVE_RESTORE=1
[ $HAVE_RESTORE = 1 ] || echo "this ferry has no 'snapshot restore': the restore rows are skipped"

mkdir -p "$BENCH_DIR"
TMP=$BENCH_DIR/tmp
REPO=$BENCH_DIR/repo
WORK=$BENCH_DIR/work
TARGET=$BENCH_DIR/restore
RESULTS=$BENCH_DIR/results-$(date +%Y%m%dT%H%M%S).tsv
export FERRY_PASSWORD=ferry-bench RESTIC_PASSWORD=ferry-bench
export FERRY_CONFIG_PATH=$TMP/ferry/repository.config
cleanup() { rm -rf "$REPO" "$TARGET" "$TMP" "$WORK"; }
trap cleanup EXIT
printf 'variant\trun\tkey\tvalue\n' > "$RESULTS"

load1() { cut -d' ' -f1 /proc/loadavg; }
# Machine-wide busy CPU time so far, in clock ticks (user nice system irq softirq steal).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
HZ=$(getconf CLK_TCK)
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RESULTS"; }

# timed VARIANT RUN STEP CMD...: CMD under /usr/bin/time -v; records STEP_wall (s), STEP_cpu
# (user+sys s), STEP_rss (KiB), STEP_load (1-minute load average when it ended) and STEP_others:
# the CPU the rest of the machine used meanwhile, in cores (the load average lags by a minute
# and counts the benchmark itself; this does neither).
timed() {
  local v=$1 run=$2 step=$3; shift 3
  local busy0; busy0=$(busy_ticks)
  if ! /usr/bin/time -v -o "$TMP/time.txt" "$@" > "$TMP/out.txt" 2> "$TMP/err.txt"; then
    echo "FAILED ($v run $run $step): $*" >&2; tail -20 "$TMP/err.txt" "$TMP/time.txt" >&2; return 1
  fi
  local busy1; busy1=$(busy_ticks)
  local wall cpu rss others
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
          for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$TMP/time.txt")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$TMP/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/time.txt")
  record "$v" "$run" "${step}_wall" "$wall"
  record "$v" "$run" "${step}_cpu" "$cpu"
  record "$v" "$run" "${step}_rss" "$rss"
  others=$(awk -v b="$((busy1 - busy0))" -v hz="$HZ" -v c="$cpu" -v w="$wall" \
           'BEGIN { o = (b / hz - c) / w; printf "%.2f", o < 0 ? 0 : o }')
  record "$v" "$run" "${step}_load" "$(load1)"
  record "$v" "$run" "${step}_others" "$others"
  printf '  %-8s run %s  %-8s %7.2f s wall  %7.2f s cpu  %5d MiB max RSS  (load %s, others %s cores)\n' \
    "$v" "$run" "$step" "$wall" "$cpu" $((rss / 1024)) "$(load1)" "$others"
}

repo_bytes() { du -sb "$REPO" | cut -f1; }
tree_sum() { "$GEN" checksum "$1" | cut -d' ' -f1; }

# fresh_repo VARIANT: an empty repository at $REPO for ferry or restic.
fresh_repo() {
  rm -rf "$REPO" "$TMP/ferry" "$TMP/restic-cache"
  if [ "$1" = restic ]; then
    restic init --repo "$REPO" > /dev/null
  else
    "$FERRY" repository create filesystem --path="$REPO" > /dev/null
  fi
}

# backup VARIANT LABEL RUN STEP DIR (LABEL names the row in the results)
backup() {
  if [ "$1" = restic ]; then
    timed "$2" "$3" "$4" restic --repo "$REPO" --cache-dir "$TMP/restic-cache" backup --compression=off --json "$5"
  else
    timed "$2" "$3" "$4" env FERRY_FILESYSTEM_SYNC="$1" "$FERRY" snapshot create "$5" --progress=none
  fi
}

# The disk ceiling: 1 GiB of zeros into the page cache, then to the disk (fdatasync).
disk_ceiling() {
  local f=$BENCH_DIR/dd.tmp mode
  for mode in page-cache fdatasync; do
    sync
    local flag=; [ $mode = fdatasync ] && flag=conv=fdatasync
    local rate; rate=$(dd if=/dev/zero of="$f" bs=4M count=256 $flag 2>&1 | awk -F', ' '/copied/ { print $NF }')
    record disk 0 "dd_${mode}" "$rate"
    echo "disk ceiling: dd 1 GiB ($mode): $rate (load $(load1))"
    rm -f "$f"
  done
  sync
}

dataset_run() {  # dataset_run VARIANT RUN
  local v=$1 run=$2 bytes1 id
  rm -rf "$WORK" "$TARGET"
  cp -a "$BENCH_DIR/dataset" "$WORK"  # an unmutated copy, in the page cache as peers.md has it
  fresh_repo "$v"
  sync
  backup "$v" "$v" "$run" first "$WORK"
  bytes1=$(repo_bytes)
  record "$v" "$run" repo_first "$bytes1"
  sync
  if [ $HAVE_RESTORE = 1 ]; then
    mkdir -p "$TARGET"
    if [ "$v" = restic ]; then
      timed "$v" "$run" restore restic --repo "$REPO" --cache-dir "$TMP/restic-cache" restore latest --target "$TARGET"
      local restored=$TARGET$WORK  # restic restores the absolute source path under the target
    else
      id=$(sed -n 's/.* and ID \([0-9a-f]*\) in .*/\1/p' "$TMP/out.txt")
      [ -n "$id" ] || { echo "no snapshot ID in: $(cat "$TMP/out.txt")" >&2; return 1; }
      timed "$v" "$run" restore env FERRY_FILESYSTEM_SYNC="$v" "$FERRY" snapshot restore "$id" "$TARGET" --progress=none
      local restored=$TARGET
    fi
    local sum; sum=$(tree_sum "$restored")
    record "$v" "$run" restore_ok "$([ "$sum" = "$DATASET_SUM" ] && echo 1 || echo 0)"
    [ "$sum" = "$DATASET_SUM" ] || echo "  RESTORED TREE DIFFERS ($v run $run): $sum" >&2
    rm -rf "$TARGET"
  fi
  "$GEN" mutate "$WORK" > /dev/null
  sync
  backup "$v" "$v" "$run" incr "$WORK"
  record "$v" "$run" repo_growth $(($(repo_bytes) - bytes1))
  rm -rf "$REPO" "$WORK"
}

files_run() {  # files_run VARIANT RUN N
  local v=$1 run=$2 n=$3 bytes1
  fresh_repo "$v"
  # Into the page and inode caches first (peers.md's data is freshly generated, hence cached).
  find "$BENCH_DIR/files-$n" -type f -print0 | xargs -0 cat > /dev/null
  sync
  backup "$v" "$v/$n" "$run" first "$BENCH_DIR/files-$n"
  bytes1=$(repo_bytes)
  record "$v/$n" "$run" repo_first "$bytes1"
  sync
  backup "$v" "$v/$n" "$run" incr "$BENCH_DIR/files-$n"
  record "$v/$n" "$run" repo_growth $(($(repo_bytes) - bytes1))
  rm -rf "$REPO"
}

# N files of 1 KiB of random bytes in 1000 directories (kept while $BENCH_DIR/files-N.done).
gen_files() {
  local n=$1 dir=$BENCH_DIR/files-$1
  [ -f "$dir.done" ] && return
  rm -rf "$dir"
  echo "generating $n files of 1 KiB in $dir"
  /usr/bin/python3 - "$dir" "$n" <<'EOF'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd, dirs = random.Random(n), 1000
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % dirs))
    if i < dirs:
        os.makedirs(d)
    fd = os.open(os.path.join(d, "f%07d" % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, rnd.randbytes(1024))
    os.close(fd)
EOF
  sync
  touch "$dir.done"
}

variants=()
IFS=, read -ra requested <<< "$VARIANTS"
for v in "${requested[@]}"; do
  case "$v" in
    none|flush|blob) variants+=("$v") ;;
    restic) [ $HAVE_RESTIC = 1 ] && variants+=(restic) ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
done
mkdir -p "$TMP"
echo "ferry: $FERRY ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo ?)); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
disk_ceiling
if [ $WARM = 1 ]; then
  rate=$(dd if=/dev/zero of="$BENCH_DIR/warm.tmp" bs=4M count=1024 2>&1 | awk -F', ' '/copied/ { print $NF }')
  rm -f "$BENCH_DIR/warm.tmp"
  record disk 0 warm_up "$rate"
  echo "memory warm-up: 4 GiB written and deleted at $rate"
fi

if [ -n "$FILES" ]; then
  IFS=, read -ra counts <<< "$FILES"
  for n in "${counts[@]}"; do gen_files "$n"; done
  for run in $(seq 1 "$RUNS"); do
    for n in "${counts[@]}"; do
      for v in "${variants[@]}"; do files_run "$v" "$run" "$n"; done
    done
  done
else
  if [ -d "$BENCH_DIR/dataset" ] && [ "$(tree_sum "$BENCH_DIR/dataset")" = "$DATASET_SUM" ]; then
    echo "dataset: reusing $BENCH_DIR/dataset (checksum matches)"
  else
    echo "dataset: generating $BENCH_DIR/dataset"
    "$GEN" generate "$BENCH_DIR/dataset" > /dev/null
    [ "$(tree_sum "$BENCH_DIR/dataset")" = "$DATASET_SUM" ] || { echo "generated dataset has the wrong checksum" >&2; exit 1; }
  fi
  for run in $(seq 1 "$RUNS"); do
    for v in "${variants[@]}"; do dataset_run "$v" "$run"; done  # variants interleaved
  done
fi

echo
echo "results: $RESULTS"
/usr/bin/python3 "$ROOT/bench/snapshot-report.py" "$RESULTS" $([ -n "$FILES" ] && echo --files)
