#!/usr/bin/env python3
"""Markdown tables from a results-*.tsv of bench/snapshot-bench.sh: the median of each column
separately (as peers.md does), next to kopia 0.12.1's figures and the ratios.

Usage: snapshot-report.py RESULTS.tsv [--files]
"""
import collections
import statistics
import sys

DATASET_BYTES = 1_078_962_716  # gen-dataset.sh generate (peers.md, "Dataset")

# kopia 0.12.1 default, medians of 3, from /work/shared/bench/peers.md ("Backup, restore,
# memory, repository size" and the CPU time table). Not measured here: kopia is not installed.
KOPIA = {
    "first_wall": 2.99, "first_cpu": 5.5, "first_rss": 141 * 1024,
    "incr_wall": 1.68, "incr_cpu": 2.5, "incr_rss": 135 * 1024,
    "restore_wall": 7.55, "restore_cpu": 11.0, "restore_rss": 172 * 1024,
    "repo_first": 1080.0e6, "repo_growth": 35.5e6,
}

# restic 0.14 `--compression=off` wall times in peers.md: comparing them with restic measured in
# the same series shows how much slower the machine was than peers.md's.
RESTIC_PEERS = {"first_wall": 4.94, "incr_wall": 2.09, "restore_wall": 3.90}

ROWS = [
    ("first backup, wall", "first_wall"), ("first backup, user+sys", "first_cpu"),
    ("first backup, max RSS", "first_rss"),
    ("incremental backup, wall", "incr_wall"), ("incremental backup, user+sys", "incr_cpu"),
    ("incremental backup, max RSS", "incr_rss"),
    ("restore of snapshot 1, wall", "restore_wall"), ("restore, user+sys", "restore_cpu"),
    ("restore, max RSS", "restore_rss"),
    ("repository after first backup", "repo_first"), ("growth from incremental backup", "repo_growth"),
]


def load(path):
    data = collections.defaultdict(lambda: collections.defaultdict(list))
    with open(path) as f:
        next(f)
        for line in f:
            variant, _run, key, value = line.rstrip("\n").split("\t")
            data[variant][key].append(value)
    return data


def median(values):
    return statistics.median(float(v) for v in values) if values else None


def fmt(key, v, nbytes, files=0):
    if v is None:
        return "–"
    if key.endswith("_wall") and files:
        return f"{v:.2f} s ({files / v:,.0f} files/s)"
    if key.endswith("_wall"):
        return f"{v:.2f} s ({nbytes / v / 1e6:.0f} MB/s)"
    if key.endswith("_cpu"):
        return f"{v:.1f} s"
    if key.endswith("_rss"):
        return f"{v / 1024:.0f} MiB"
    if key == "repo_growth":
        return f"+{v / 1e6:.1f} MB"
    return f"{v / 1e6:.1f} MB"


def ratio(key, ferry, kopia):
    if ferry is None or not kopia:
        return "–"
    if key.endswith("_wall") or key.endswith("_cpu"):
        return f"{kopia / ferry:.2f}×"  # > 1: ferry is faster
    return f"{ferry / kopia:.2f}"       # < 1: ferry uses less


def disk_lines(data):
    for key, label in (("dd_page-cache", "into the page cache"), ("dd_fdatasync", "with fdatasync")):
        vals = data.get("disk", {}).get(key)
        if vals:
            print(f"- disk ceiling, `dd bs=4M count=256` {label}: {', '.join(vals)}")
    vals = data.get("disk", {}).get("warm_up")
    if vals:
        print(f"- memory warm-up before the runs, 4 GiB written and deleted: {', '.join(vals)}")


def load_line(data, variants):
    for suffix, what in (("_load", "1-minute load average at the end of each timed step"),
                         ("_others", "CPU used by the rest of the machine during each timed step, in cores "
                                     "(of 2; includes the kernel's writeback)")):
        parts = []
        for v in variants:
            vals = [float(x) for k, xs in data[v].items() if k.endswith(suffix) for x in xs]
            if vals:
                parts.append(f"{v}: {min(vals):.1f}–{max(vals):.1f} (median {statistics.median(vals):.1f})")
        if parts:
            print(f"- {what}: " + "; ".join(parts))


def dataset_report(data):
    ferry = [v for v in ("none", "flush", "blob") if v in data]
    restic = "restic" in data
    runs = max((len(data[v]["first_wall"]) for v in ferry), default=0)
    head = [f"ferry sync={v}" for v in ferry] + ["kopia 0.12.1 (peers.md)"]
    if restic:
        head.append("restic 0.14 `--compression=off` (measured)")
    head.append("kopia/ferry time, ferry/kopia RSS+size (" + ", ".join(ferry) + ")")
    if restic:
        head.append("restic/ferry time, ferry/restic RSS+size, same series (" + ", ".join(ferry) + ")")
    print(f"Medians of {runs} runs, each column separately.\n")
    print("| | " + " | ".join(head) + " |")
    print("|---" * (len(head) + 1) + "|")
    for label, key in ROWS:
        med = {v: median(data[v].get(key, [])) for v in ferry}
        if all(m is None for m in med.values()):
            continue
        cells = [fmt(key, med[v], DATASET_BYTES) for v in ferry] + [fmt(key, KOPIA[key], DATASET_BYTES)]
        if restic:
            cells.append(fmt(key, median(data["restic"].get(key, [])), DATASET_BYTES))
        cells.append(" / ".join(ratio(key, med[v], KOPIA[key]) for v in ferry))
        if restic:
            r = median(data["restic"].get(key, []))
            cells.append(" / ".join(ratio(key, med[v], r) for v in ferry))
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    for v in ferry + (["restic"] if restic else []):
        ok = data[v].get("restore_ok", [])
        if ok:
            print(f"- restored tree checksum ({v}): {sum(int(x) for x in ok)}/{len(ok)} runs match")
    if restic:
        slow = [(k, median(data["restic"].get(k, [])), RESTIC_PEERS[k]) for k in RESTIC_PEERS]
        slow = [f"{k.split('_')[0]} {m / p:.2f}" for k, m, p in slow if m]
        print("- restic wall time here / in peers.md (1.00: as fast as on peers.md's machine, above: "
              "this series was slowed by other jobs): " + ", ".join(slow))
    load_line(data, ferry + (["restic"] if restic else []))
    disk_lines(data)


def files_report(data):
    labels = sorted((v for v in data if "/" in v), key=lambda v: (v.split("/")[0], int(v.split("/")[1])))
    print("| variant / files | first backup, wall | first, max RSS | unchanged second backup, wall | second, max RSS | repository |")
    print("|---|---|---|---|---|---|")
    for v in labels:
        files = int(v.split("/")[1])
        d = data[v]
        print(f"| {v} | {fmt('first_wall', median(d['first_wall']), 0, files)} | {fmt('first_rss', median(d['first_rss']), 0)}"
              f" | {fmt('incr_wall', median(d['incr_wall']), 0, files)} | {fmt('incr_rss', median(d['incr_rss']), 0)}"
              f" | {fmt('repo_first', median(d['repo_first']), 0)} |")
    print()
    # Flatness (issue 4: within ±20 % from the fewest files to the most), per variant, in KiB.
    for variant in sorted({v.split("/")[0] for v in labels}):
        counts = sorted(int(v.split("/")[1]) for v in labels if v.startswith(variant + "/"))
        if len(counts) < 2:
            continue
        lo, hi = data[f"{variant}/{counts[0]}"], data[f"{variant}/{counts[-1]}"]
        for key, what in (("first_rss", "first backup"), ("incr_rss", "unchanged second backup")):
            a, b = median(lo[key]), median(hi[key])
            if a and b:
                print(f"- {variant}, {what}: max RSS {a / 1024:.1f} MiB at {counts[0]:,} files, "
                      f"{b / 1024:.1f} MiB at {counts[-1]:,} files: {b / a:.2f}x "
                      f"({'within' if abs(b / a - 1) <= 0.2 else 'outside'} ±20 %)")
    print()
    load_line(data, labels)
    disk_lines(data)


def main():
    data = load(sys.argv[1])
    if "--files" in sys.argv[2:]:
        files_report(data)
    else:
        dataset_report(data)


if __name__ == "__main__":
    main()
