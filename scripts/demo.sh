#!/usr/bin/env bash
# `make demo`: ferry's main job end to end on the embedded default. Until the repository and
# data-mover layers land, it runs ferry's algorithm benchmarks (the same ones kopia users know).
set -euo pipefail
BUILD=${1:-build}
FERRY="$BUILD/ferry"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

section() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

section "ferry benchmark hashing (1 MiB blocks, single thread)"
"$FERRY" benchmark hashing --repeat=200 2>/dev/null
section "ferry benchmark encryption (1 MiB blocks, single thread)"
"$FERRY" benchmark encryption --repeat=1000 2>/dev/null
section "ferry benchmark splitter (4 x 32 MiB of random data)"
"$FERRY" benchmark splitter --block-count=4 --print-options 2>/dev/null
section "ferry benchmark compression (16 MiB of generated text)"
GEN="$(dirname "$0")/../../shared/bench/gen-dataset.sh"
if [ -x "$GEN" ] || [ -f "$GEN" ]; then
  bash "$GEN" benchfile "$WORK/bench.txt" >/dev/null
  head -c $((16 << 20)) "$WORK/bench.txt" > "$WORK/bench16.txt"
else
  python3 - "$WORK/bench16.txt" <<'PY'
import random, sys
r = random.Random(7)
words = ["".join(r.choice("etaoinshrdlu") for _ in range(r.randint(2, 9))) for _ in range(3000)]
with open(sys.argv[1], "w") as f:
    size = 0
    while size < 16 << 20:
        line = " ".join(r.choices(words, k=12)) + ".\n"
        f.write(line); size += len(line)
PY
fi
"$FERRY" benchmark compression --data-file="$WORK/bench16.txt" --repeat=2 --operations=compress 2>/dev/null

section "done"
echo "All figures above were measured just now on this machine; see docs/ for the kopia figures they compare with."
