#!/bin/bash
# Data mover control-plane overhead: a DataUpload of the standard dataset through
# `ferry node-agent` against `ferry snapshot create` of the same directory, and a queue of small
# DataUploads with loadConcurrency 2 (starvation check). Benchmark figures, not timed tests.
#
# Usage:
#   bench/datamover-bench.sh [--runs=3] [--small=200] [--ferry=build/ferry]   (DATASET=DIR: an existing dataset)
#
# Both sides write a fresh filesystem repository (sync mode as ferry's default) on the same disk,
# with the same algorithms; the repository is created before the clock starts (the node agent's
# by a first tiny DataUpload). The DataUpload uses the ferry.local/live driver, so both read the
# same directory: the difference is what the control plane adds (store, claim, status, progress).
# Everything lives under $BENCH_DIR (default /tmp/ferry-dm-bench).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GEN=${GEN_DATASET:-$ROOT/../shared/bench/gen-dataset.sh}
[ -x "$GEN" ] || GEN=/work/shared/bench/gen-dataset.sh
BENCH_DIR=${BENCH_DIR:-/tmp/ferry-dm-bench}
FERRY=$ROOT/build/ferry
RUNS=3
SMALL=200
for arg in "$@"; do
  case "$arg" in
    --runs=*) RUNS=${arg#*=} ;;
    --small=*) SMALL=${arg#*=} ;;
    --ferry=*) FERRY=$(realpath "${arg#*=}") ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$FERRY" ] || { echo "no ferry binary at $FERRY" >&2; exit 1; }

mkdir -p "$BENCH_DIR"
DATA=${DATASET:-$BENCH_DIR/dataset}
if [ ! -f "$DATA/big/random-512m.bin" ]; then
  echo "generating the dataset in $DATA ..."
  "$GEN" generate "$DATA" >/dev/null
fi
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

manifests() { # manifests STORE_ROOT VOLUME_NAME PATH DU_NAME
  cat <<YAML
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-$2}
spec: {capacity: {storage: 2Gi}, volumeMode: Filesystem, local: {path: $3}, accessModes: [ReadWriteOnce], claimRef: {namespace: bench, name: $2}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: $2, namespace: bench}
spec: {volumeName: pv-$2, volumeMode: Filesystem, storageClassName: local, accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: {name: vs-$4, namespace: bench}
spec: {volumeSnapshotClassName: ferry-live, source: {persistentVolumeClaimName: $2}}
---
apiVersion: velero.io/v2alpha1
kind: DataUpload
metadata: {name: $4, namespace: velero, labels: {velero.io/async-operation-id: du-$4}}
spec:
  snapshotType: CSI
  csiSnapshot: {volumeSnapshot: vs-$4, storageClass: local, snapshotClass: ferry-live}
  sourcePVC: $2
  sourceNamespace: bench
  backupStorageLocation: default
  operationTimeout: 10m0s
YAML
}

base() { # base DIR
  cat <<YAML
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: default, namespace: velero}
spec: {provider: aws, objectStorage: {bucket: bench, prefix: velero}, config: {fspath: $1/bsl}}
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: {name: ferry-live, labels: {velero.io/csi-volumesnapshot-class: "true"}}
driver: ferry.local/live
deletionPolicy: Delete
YAML
}

printf "run\tsnapshot create (s)\tDataUpload via node agent (s)\toverhead\tCPU-s snapshot create\tCPU-s node agent\n"
run_cli() {
  export FERRY_CONFIG_PATH=$W/cli/repository.config FERRY_PASSWORD=static-passw0rd
  "$FERRY" repository create filesystem --path="$W/cli-repo" >/dev/null
  local t0 t1; t0=$(now); /usr/bin/time -f "%U %S" -o "$W/cpu" "$FERRY" snapshot create "$DATA" >/dev/null 2>&1; t1=$(now)
  cli=$(secs "$t0" "$t1"); cli_cpu=$(awk '{printf "%.2f", $1+$2}' "$W/cpu")
  rm -rf "$W/cli-repo"
}
run_agent() {
  # the repository is created by a first tiny DataUpload, then the timed one
  local S=$W/store.db t0 t1 phase
  { base "$W"; manifests "$W" tiny "$W/tiny" warmup; } | "$FERRY" apply -f - --store "$S" >/dev/null
  "$FERRY" node-agent --node bench --store "$S" --once --no-maintenance 2>/dev/null
  manifests "$W" data "$DATA" big | "$FERRY" apply -f - --store "$S" >/dev/null
  t0=$(now); /usr/bin/time -f "%U %S" -o "$W/cpu" "$FERRY" node-agent --node bench --store "$S" --once --no-maintenance 2>/dev/null; t1=$(now)
  agent=$(secs "$t0" "$t1"); agent_cpu=$(awk '{printf "%.2f", $1+$2}' "$W/cpu")
  phase=$("$FERRY" get dataupload big -n velero -o json --store "$S" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["phase"])')
  [ "$phase" = Completed ] || { echo "DataUpload big ended $phase" >&2; exit 1; }
  rm -rf "$W/bsl"
}
CLIS=; AGENTS=
cat "$DATA"/big/* > /dev/null  # warm the page cache once for both sides
for run in $(seq 1 "$RUNS"); do
  W=$BENCH_DIR/run; rm -rf "$W"; mkdir -p "$W/tiny"; echo tiny > "$W/tiny/f"
  # alternate which side goes first, so neither always gets the warmer cache
  if [ $((run % 2)) = 1 ]; then run_cli; run_agent; else run_agent; run_cli; fi
  printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$run" "$cli" "$agent" "$(python3 -c "print(f'{($agent/$cli-1)*100:+.1f}%')")" "$cli_cpu" "$agent_cpu"
  CLIS="$CLIS $cli"; AGENTS="$AGENTS $agent"
  rm -rf "$W"
done
if [ "$RUNS" -gt 0 ]; then
  python3 -c "
import statistics, sys
c = [float(x) for x in '$CLIS'.split()]; a = [float(x) for x in '$AGENTS'.split()]
mc, ma = statistics.median(c), statistics.median(a)
print(f'median\t{mc:.2f}\t{ma:.2f}\t{(ma/mc-1)*100:+.1f}%')"
fi

[ "$SMALL" -gt 0 ] || exit 0
echo
echo "$SMALL small DataUploads, loadConcurrency 2:"
W=$BENCH_DIR/small; rm -rf "$W"; mkdir -p "$W"
S=$W/store.db
{
  base "$W"
  cat <<YAML
---
apiVersion: v1
kind: ConfigMap
metadata: {name: node-agent-config, namespace: velero}
data:
  node-agent-config: '{"loadConcurrency":{"globalConfig":2}}'
YAML
  for i in $(seq 1 "$SMALL"); do
    mkdir -p "$W/vol/v$i"; head -c 4096 /dev/urandom > "$W/vol/v$i/f"
    manifests "$W" "v$i" "$W/vol/v$i" "du-$i"
  done
} > "$W/all.yaml"
"$FERRY" apply -f "$W/all.yaml" --store "$S" >/dev/null
t0=$(now)
"$FERRY" node-agent --node bench --store "$S" --once --no-maintenance --progress-interval 1s 2>/dev/null
t1=$(now)
"$FERRY" get datauploads -n velero -o json --store "$S" | python3 -c '
import json, sys, datetime
items = json.load(sys.stdin)["items"]
def t(s): return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
phases = {}
for i in items: phases[i["status"]["phase"]] = phases.get(i["status"]["phase"], 0) + 1
waits = sorted(t(i["status"]["startTimestamp"]) - t(i["metadata"]["creationTimestamp"]) for i in items)
print("  phases:", phases)
print("  wait before InProgress (s): median %.0f, max %.0f" % (waits[len(waits)//2], waits[-1]))
'
echo "  total: $(secs "$t0" "$t1") s ($(python3 -c "print(f'{$SMALL/($t1-$t0):.1f}')") DataUploads/s)"
rm -rf "$W"
