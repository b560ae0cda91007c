#!/usr/bin/env bash
# `make demo`: ferry's main job end to end on the embedded default (a local filesystem
# repository): back up a Filesystem volume and a Block volume into a Kopia-format repository,
# back up again incrementally, restore both, prove the data is identical, then show what the
# repository looks like and how fast the algorithms run on this machine.
set -euo pipefail
BUILD=${1:-build}
FERRY="$(cd "$BUILD" && pwd)/ferry"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-demo.XXXXXX")
export FERRY_CONFIG_PATH="$WORK/config/repository.config"
export FERRY_PASSWORD=demo-passw0rd
NS=demo

section() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }

section "Generating volumes in $WORK"
python3 - "$WORK" <<'PY'
import os, random, sys
work = sys.argv[1]
r = random.Random(42)
vol = os.path.join(work, "volumes", "pvc-data")
words = ["".join(r.choice("etaoinshrdlucmfwypvbgk") for _ in range(r.randint(2, 9))) for _ in range(4000)]
for t in range(8):                     # database-like tables: compressible rows
    d = os.path.join(vol, "mysql", "db%d" % (t % 2))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "table%d.ibd" % t), "w") as f:
        for i in range(40000):
            f.write("%d,%s,%s,%d\n" % (i, r.choice(words), " ".join(r.choices(words, k=6)), r.randint(0, 1 << 30)))
os.makedirs(os.path.join(vol, "blobs"), exist_ok=True)
with open(os.path.join(vol, "blobs", "random.bin"), "wb") as f:
    f.write(r.randbytes(48 << 20))
os.makedirs(os.path.join(vol, "empty"), exist_ok=True)
os.symlink("mysql/db0", os.path.join(vol, "current"))
img = os.path.join(work, "volumes", "pvc-block.img")   # a sparse 256 MiB disk image
with open(img, "wb") as f:
    f.truncate(256 << 20)
    for off in (0, 100 << 20, 255 << 20):
        f.seek(off); f.write(r.randbytes(1 << 20))
PY
du -sh --apparent-size "$WORK/volumes/pvc-data" "$WORK/volumes/pvc-block.img"

section "Create a Kopia-format repository"
run "$FERRY" repository create filesystem --path="$WORK/repository" --override-hostname=default --override-username=default

section "Back up the Filesystem volume (source named as Velero's data mover names it)"
TAGS=(--tags=snapshot-requester:snapshot-data-upload-download --tags=snapshot-uploader:kopia)
run "$FERRY" snapshot create "$WORK/volumes/pvc-data" --source-path=/snapshot-data-upload-download/kopia/$NS/pvc-data \
  "${TAGS[@]}" --description="Kopia Uploader" --progress=none
echo "changing one table and adding a file..."
echo "42,new,row,1" >> "$WORK/volumes/pvc-data/mysql/db0/table0.ibd"
echo "added" > "$WORK/volumes/pvc-data/added.txt"
run "$FERRY" snapshot create "$WORK/volumes/pvc-data" --source-path=/snapshot-data-upload-download/kopia/$NS/pvc-data \
  "${TAGS[@]}" --description="Kopia Uploader" --progress=none --json | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
m = json.loads(lines[0]); print(lines[1])
print("incremental: %d files reused from the parent without reading, %d read" % (m["stats"]["cachedFiles"], m["stats"]["nonCachedFiles"]))'

section "Back up the Block volume (sparse image: holes are not read)"
run "$FERRY" snapshot create --block "$WORK/volumes/pvc-block.img" --source-path=/snapshot-data-upload-download/kopia/$NS/pvc-block \
  "${TAGS[@]}" --description="Kopia Uploader" --progress=none

section "Snapshots"
run "$FERRY" snapshot list --all --manifest-id
FS_ID=$("$FERRY" snapshot list --all --json | python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin) if x["source"]["path"].endswith("pvc-data")]; print(s[-1]["id"])')
BLK_ID=$("$FERRY" snapshot list --all --json | python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin) if x["source"]["path"].endswith("pvc-block")]; print(s[-1]["id"])')

section "Restore both volumes and compare"
run "$FERRY" snapshot restore "$FS_ID" "$WORK/restored/pvc-data" --progress=none
run "$FERRY" snapshot restore "$BLK_ID" "$WORK/restored/pvc-block.img" --write-sparse-files --progress=none
diff -r --no-dereference "$WORK/volumes/pvc-data" "$WORK/restored/pvc-data" && echo "pvc-data: restored tree identical"
cmp "$WORK/volumes/pvc-block.img" "$WORK/restored/pvc-block.img" && echo "pvc-block: restored image identical"
run "$FERRY" snapshot verify --verify-files-percent=100

section "The repository (what kopia repository status prints)"
run "$FERRY" repository status | sed -n '/Unique ID/,$p'

section "Algorithms on this machine (ferry benchmark, 1 MiB blocks, one thread)"
"$FERRY" benchmark hashing --repeat=100 2>/dev/null | tail -13
"$FERRY" benchmark encryption --repeat=500 2>/dev/null | tail -4

section "Done"
echo "Volumes, repository, restored copies and the ferry config are in $WORK"
echo "(connect with: FERRY_CONFIG_PATH=$FERRY_CONFIG_PATH FERRY_PASSWORD=$FERRY_PASSWORD $FERRY snapshot list --all)"
