#!/usr/bin/env bash
# `make demo`: the OADP data mover walkthrough on one machine, without root and without
# Kubernetes — ferry's embedded store stands in for the API server, a directory for the bucket.
#   1. a DataProtectionApplication (the OADP documentation's, with a local backup location)
#   2. a namespace mysql-persistent with a Filesystem PVC of database-like files, and a namespace
#      block-disk with a Block PVC (a disk image)
#   3. `ferry server` (Velero's server role) and `ferry node-agent` (the data mover) in the background
#   4. the documentation's Backup (snapshotMoveData: true, ttl: 720h0m0s) → DataUploads Completed
#   5. the volumes wiped, the documentation's Restore → DataDownloads Completed, data identical
#   6. `ferry repository status` of one namespace repository: Kopia format version 3
#   7. `ferry benchmark hashing|encryption`: the fastest KOPIA_*_ALGORITHM for this machine
set -euo pipefail
BUILD=${1:-build}
FERRY="$(cd "$BUILD" && pwd)/ferry"
EXAMPLES="$(cd "$(dirname "$0")/../examples/oadp" && pwd)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-demo.XXXXXX")
export FERRY_STORE="$WORK/store.db"
NS=openshift-adp
START=$(date +%s.%N)

section() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }
ferry() { "$FERRY" "$@"; }

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# phase KIND NAME [NS]: the object's status.phase ("" while it has none).
phase() {
  ferry get "$1" "$2" -n "${3:-$NS}" -o json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("status",{}).get("phase",""))' 2>/dev/null || true
}
# wait_terminal KIND NAME: until Completed / PartiallyFailed / Failed (60 s at most).
wait_terminal() {
  local p=""
  for _ in $(seq 600); do
    p=$(phase "$1" "$2")
    case "$p" in Completed|PartiallyFailed|Failed|FailedValidation) echo "$1 $2: $p"; [ "$p" = Completed ]; return;; esac
    sleep 0.1
  done
  echo "$1 $2 did not finish (phase: ${p:-none}); logs in $WORK/*.log" >&2
  return 1
}
# volume_path NS PVC: the directory or image file now bound to the claim.
volume_path() {
  local pv
  pv=$(ferry get pvc "$2" -n "$1" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["volumeName"])')
  ferry get pv "$pv" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["local"]["path"])'
}

section "Generating volumes in $WORK/volumes"
python3 - "$WORK" <<'PY'
import os, random, sys
work = sys.argv[1]
r = random.Random(42)
vol = os.path.join(work, "volumes", "mysql")
words = ["".join(r.choice("etaoinshrdlucmfwypvbgk") for _ in range(r.randint(2, 9))) for _ in range(4000)]
for t in range(6):                     # database-like tables: rows of text and numbers
    d = os.path.join(vol, "mysql", "db%d" % (t % 2))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "table%d.ibd" % t), "w") as f:
        for i in range(40000):
            f.write("%d,%s,%s,%d\n" % (i, r.choice(words), " ".join(r.choices(words, k=6)), r.randint(0, 1 << 30)))
    with open(os.path.join(d, "table%d.frm" % t), "wb") as f:
        f.write(r.randbytes(8192))
os.makedirs(os.path.join(vol, "binlog"), exist_ok=True)
with open(os.path.join(vol, "binlog", "mysql-bin.000001"), "wb") as f:
    f.write(r.randbytes(16 << 20))
os.symlink("mysql/db0", os.path.join(vol, "current"))
img = os.path.join(work, "volumes", "disk.img")   # a 128 MiB disk image, mostly holes
with open(img, "wb") as f:
    f.truncate(128 << 20)
    for off in (0, 40 << 20, 127 << 20):
        f.seek(off); f.write(r.randbytes(1 << 20))
PY
du -sh --apparent-size "$WORK/volumes/mysql" "$WORK/volumes/disk.img"

section "The cluster: DataProtectionApplication, VolumeSnapshotClass, PVCs and their volumes"
sed "s#/var/lib/ferry/bsl#$WORK/bsl#" "$EXAMPLES/dpa.yaml" > "$WORK/dpa.yaml"
cat > "$WORK/volumes.yaml" <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-mysql}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  volumeMode: Filesystem
  storageClassName: local
  persistentVolumeReclaimPolicy: Retain
  local: {path: $WORK/volumes/mysql}
  claimRef: {namespace: mysql-persistent, name: mysql}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: mysql, namespace: mysql-persistent, labels: {app: mysql}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  storageClassName: local
  volumeMode: Filesystem
  volumeName: pv-mysql
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-disk}
spec:
  capacity: {storage: 128Mi}
  accessModes: [ReadWriteOnce]
  volumeMode: Block
  storageClassName: local
  persistentVolumeReclaimPolicy: Retain
  local: {path: $WORK/volumes/disk.img}
  claimRef: {namespace: block-disk, name: disk}
status: {phase: Bound}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: disk, namespace: block-disk}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 128Mi}}
  storageClassName: local
  volumeMode: Block
  volumeName: pv-disk
status: {phase: Bound}
EOF
run ferry apply -f "$WORK/dpa.yaml"
run ferry apply -f "$EXAMPLES/volumesnapshotclass.yaml"
run ferry apply -f "$WORK/volumes.yaml"

section "Starting ferry server and ferry node-agent (logs: $WORK/server.log, $WORK/node-agent.log)"
"$FERRY" server --poll-interval=200ms --volume-root="$WORK/restored" > "$WORK/server.log" 2>&1 &
PIDS+=($!)
"$FERRY" node-agent --node node-1 --namespace "$NS" --progress-interval=1s --resync-period=2s \
  > "$WORK/node-agent.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  [ -n "$(ferry get bsl default -n $NS -o json 2>/dev/null)" ] && break
  sleep 0.1
done
run ferry get dpa -n $NS
run ferry get bsl -n $NS

section "Backup (snapshotMoveData: true, ttl: 720h0m0s)"
run ferry apply -f "$EXAMPLES/backup.yaml"
wait_terminal backup backup
run ferry get datauploads -A
ls "$WORK/bsl/velero/backups/backup"

section "Disaster: the volumes are wiped"
cp -a "$WORK/volumes" "$WORK/original"
run ferry delete pvc mysql -n mysql-persistent
run ferry delete pvc disk -n block-disk
run ferry delete pv pv-mysql
run ferry delete pv pv-disk
rm -rf "$WORK/volumes"

section "Restore"
run ferry apply -f "$EXAMPLES/restore.yaml"
wait_terminal restore restore
run ferry get datadownloads -A
run ferry get pvc -A
MYSQL=$(volume_path mysql-persistent mysql)
DISK=$(volume_path block-disk disk)
diff -r --no-dereference "$WORK/original/mysql" "$MYSQL" && echo "mysql-persistent/mysql: restored tree identical ($MYSQL)"
cmp "$WORK/original/disk.img" "$DISK" && echo "block-disk/disk: restored image identical ($DISK)"

section "The namespace repository is a Kopia repository (format version 3)"
export FERRY_CONFIG_PATH="$WORK/kopia-config/repository.config"
run ferry repository connect filesystem --path="$WORK/bsl/velero/kopia/mysql-persistent/" --password static-passw0rd \
  --override-hostname=default --override-username=default > /dev/null
run ferry repository status | grep -E "Hash|Encryption|Splitter|Format version|Storage type|Config file"
run ferry snapshot list --all --password static-passw0rd

section "Which algorithms to put in KOPIA_*_ALGORITHM on this machine (ferry benchmark, as kopia benchmark)"
"$FERRY" benchmark hashing --repeat=100 2>/dev/null | sed -n "/^  0\./,/^  2\./p;/Fastest/p"
"$FERRY" benchmark encryption --repeat=500 2>/dev/null | sed -n "/^  0\./,/^  1\./p;/Fastest/p"

END=$(date +%s.%N)
section "Done in $(python3 -c "print('%.1f' % ($END - $START))") s"
cat <<EOF
What happened: ferry server turned the Backup into one VolumeSnapshot and one DataUpload per PVC;
the node agent snapshotted each volume (ferry.local/copy), moved it into the Kopia repository of
its namespace (created with the DPA's BLAKE3-256 / CHACHA20-POLY1305-HMAC-SHA256 /
DYNAMIC-8M-RABINKARP) and the server wrote the backup's metadata beside the repositories. The
Restore recreated the PVCs, the node agent provisioned new volumes (StorageClass ferry-hostpath)
and wrote the snapshots into them.
Where things are:
  store (the resources)      $FERRY_STORE      (ferry get backups,datauploads -A)
  backup storage location    $WORK/bsl/velero/    (backups/<name>/ metadata, kopia/<namespace>/ repositories)
  original / restored data   $WORK/original/   $WORK/restored/
  logs                       $WORK/server.log  $WORK/node-agent.log
  manifests                  $EXAMPLES/
EOF
