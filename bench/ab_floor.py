"""A/B of fastredis before and after a change, with each one's ratio to the floor, on a
shared machine: ``bench/run.py`` and ``bench/cluster_bench.py`` of both trees, one
repetition each, alternating (base, new, new, base, ...) for ``--rounds`` rounds.

    python bench/ab_floor.py --base /tmp/base-checkout --rounds 5
    python bench/ab_floor.py --base DIR --part cluster --rounds 4

``--base``: a checkout of the code before (``git worktree add`` or ``git archive | tar``);
the new code is this tree. Each invocation measures fastredis and the floor back to back
(fresh processes, the order rotating), so a round's ratio fastredis / floor is taken from
cells seconds apart: drift on a shared machine (other processes on the benchmark's CPU)
moves both alike. Reported: the median over rounds of fastredis's rate (base, new, new /
base) and the median over rounds of each round's ratio to its floor. Writes
bench/results/floor_ab.md and floor_ab.json (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SINGLE = "seq_get,tasks50,pipeline100"
CLUSTER = "seq_get,tasks50,pipe100,mget100"
CLUSTER_FLOORED = ("seq_get", "mget100")


def _single(tree: str, out: str) -> dict[tuple[str, str], dict[str, float]]:
    subprocess.run([sys.executable, os.path.join(tree, "bench", "run.py"), "--workloads", SINGLE,
                    "--clients", "fastredis,floor", "--reps", "1", "--out", out],
                   check=True, capture_output=True, timeout=900)
    with open(os.path.join(out, "results.json")) as fh:
        rows = json.load(fh)["rows"]
    return {(r["workload"], r["loop"]): {c: v["median"] for c, v in r["clients"].items()
                                         if v.get("median")} for r in rows}


def _cluster(tree: str, out: str) -> dict[tuple[str, str], dict[str, float]]:
    subprocess.run([sys.executable, os.path.join(tree, "bench", "cluster_bench.py"), "--workloads",
                    CLUSTER, "--clients", "fastredis,floor", "--reps", "1", "--out", out],
                   check=True, capture_output=True, timeout=900)
    with open(os.path.join(out, "cluster.json")) as fh:
        rows = json.load(fh)["rows"]
    return {("cluster " + r["workload"], r["loop"]): {c: r[c] for c in ("fastredis", "floor") if r.get(c)}
            for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="a checkout of the code before")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--part", choices=("single", "cluster", "both"), default="both")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    trees = {"base": os.path.abspath(args.base), "new": ROOT}
    runs = ([_single] if args.part != "cluster" else []) + ([_cluster] if args.part != "single" else [])
    cells: dict[tuple[str, str, str], list[dict[str, float]]] = {}  # (tree, workload, loop)
    with tempfile.TemporaryDirectory() as tmp:
        for rnd in range(args.rounds):
            order = ["base", "new"] if rnd % 2 == 0 else ["new", "base"]
            for run in runs:
                for name in order:
                    got = run(trees[name], os.path.join(tmp, f"{name}{rnd}"))
                    for (wl, loop), rates in got.items():
                        cells.setdefault((name, wl, loop), []).append(rates)
                    print(f"round {rnd + 1}/{args.rounds} {run.__name__[1:]} {name}: " + ", ".join(
                        f"{wl}/{lp} {r.get('fastredis', 0):,.0f}" for (wl, lp), r in got.items()),
                        flush=True)
    rows = []
    seen = list(dict.fromkeys((w, lp) for (_, w, lp) in cells))
    for wl, loop in seen:
        base, new = cells[("base", wl, loop)], cells[("new", wl, loop)]
        row: dict[str, object] = {
            "workload": wl, "loop": loop,
            "base": statistics.median(r["fastredis"] for r in base),
            "new": statistics.median(r["fastredis"] for r in new),
        }
        if all("floor" in r for r in base + new):
            row["base_vs_floor"] = statistics.median(r["fastredis"] / r["floor"] for r in base)
            row["new_vs_floor"] = statistics.median(r["fastredis"] / r["floor"] for r in new)
            row["floor"] = statistics.median(r["floor"] for r in base + new)
        rows.append(row)
    md = ["# fastredis before / after, with the ratio to the floor", "",
          f"{args.rounds} rounds, each: bench/run.py and bench/cluster_bench.py of the base tree "
          "and of the new one, one repetition, alternating; medians over rounds; ratio to the "
          "floor = median of each round's fastredis / floor (same invocation).", "",
          "| workload | loop | before | after | after / before | floor | before / floor | after / floor |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        fl = f"{r['floor']:,.0f}" if "floor" in r else "-"
        bf = f"{r['base_vs_floor']:.2f}" if "floor" in r else "-"
        nf = f"{r['new_vs_floor']:.2f}" if "floor" in r else "-"
        md.append(f"| {r['workload']} | {r['loop']} | {r['base']:,.0f} | {r['new']:,.0f} | "
                  f"{r['new'] / r['base']:.3f} | {fl} | {bf} | {nf} |")  # type: ignore[operator]
    print("\n".join(md))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "floor_ab.json"), "w") as fh:
        json.dump({"rounds": args.rounds, "rows": rows,
                   "cells": [{"tree": t, "workload": w, "loop": lp, "rounds": v}
                             for (t, w, lp), v in cells.items()]}, fh, indent=1)
    with open(os.path.join(args.out, "floor_ab.md"), "w") as fh:
        fh.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
