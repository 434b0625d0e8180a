"""``make bench``: fastredis against redis-py (redis.asyncio + hiredis), coredis and the
floor (``bench/floor.py``: Protocol -> hiredis -> deque, the least a client can do).

    python bench/run.py            # full run (~6 minutes on 2 cores)
    python bench/run.py --quick    # fewer repetitions, shorter windows (~2 minutes)
    python bench/run.py --workloads seq_get,tasks50 --loops uvloop --reps 3

Every measurement is a fresh process (``bench/workloads.py``), so no client warms caches,
imports or the allocator for another. Repetitions are interleaved: each round runs every
(workload, loop) for all clients back to back, rotating the client order from round to
round, so drift on a shared machine hits every client alike. Reported figures are medians.

A throw-away redis-server is started (``fastredis.testing.RedisServer``) unless REDIS_URL
is set (``redis://host:port``, no password). Placement with ``taskset``: the server on the
first CPU; request/response clients on the same CPU as the server; Pub/Sub throughput
subscribers on the other CPU, with the publisher process beside the server.

Writes bench/results/results.md, results.json, chart.png; raw per-run JSON lines go to
bench/results/raw/ (not committed). A client that fails a cell is recorded and the run goes
on.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any
from urllib.parse import urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(1, ROOT)

import workloads as W  # noqa: E402  (bench/ is not a package)

BASELINE = "redis-py"
FLOOR = "floor"
# fastredis's speed as a fraction of the floor's (1.0 = as fast as the floor) at or above
# which a row is met; rows without one are reported only (issue 8: the get_message drain)
FLOOR_TARGETS: dict[str, float] = {"pubsub_get_message": 0.8}
# fastredis / redis-py; for the "lower" workloads the ratio must stay at or under the target
TARGETS: dict[str, tuple[float, str]] = {
    "seq_get": (3.5, "higher"),
    "tasks50": (8.0, "higher"),
    "pipeline100": (8.0, "higher"),
    "pubsub_get_message": (10.0, "higher"),
    "pubsub_best": (6.0, "higher"),
    "pubsub_roundtrip": (0.3, "lower"),
    "import": (0.5, "lower"),
}
TITLES = {
    "seq_get": "sequential GET (1 task)",
    "tasks50": "50 tasks × SET/GET, one client",
    "pipeline100": "pipeline of 100 SET (no MULTI)",
    "pubsub_get_message": "Pub/Sub 100k backlog, get_message(ignore…=True, timeout=1.0)",
    "pubsub_best": "Pub/Sub 100k backlog, best style",
    "pubsub_roundtrip": "Pub/Sub round trip p50",
    "import": "import time",
}
BEST_STYLE = {
    "fastredis": "`await p.listen()` batch drain",
    "redis-py": "`async for m in p.listen()`",
    "coredis": "`async for m in pubsub`",
    "floor": "a batch per await, like `await p.listen()`",
}
REQUEST_RESPONSE = {"seq_get", "tasks50", "pipeline100", "pubsub_roundtrip"}
PUBSUB_THROUGHPUT = {"pubsub_get_message", "pubsub_best"}


@dataclass
class Profile:
    reps: int
    duration: float
    warmup: float
    backlog: int
    roundtrips: int
    imports: int
    timeout: float = 180.0


FULL = Profile(reps=7, duration=1.0, warmup=0.25, backlog=100_000, roundtrips=3000, imports=7)
QUICK = Profile(reps=2, duration=0.5, warmup=0.15, backlog=100_000, roundtrips=1000, imports=5)


@dataclass
class Placement:
    server_cpu: str | None
    other_cpu: str | None
    pinned_server: bool
    notes: list[str] = field(default_factory=list)

    def client_cpu(self, workload: str) -> str | None:
        if workload in PUBSUB_THROUGHPUT or workload == "import":
            return self.other_cpu or self.server_cpu
        return self.server_cpu

    def describe(self) -> list[str]:
        if self.server_cpu is None:
            return ["no CPU pinning (taskset missing or pinning disabled)"] + self.notes
        srv = f"CPU {self.server_cpu}" if self.pinned_server else "not pinned (external REDIS_URL)"
        lines = [
            f"redis-server: {srv}",
            f"request/response (seq_get, tasks50, pipeline100, pubsub_roundtrip): client on CPU {self.server_cpu}, the server's CPU",
        ]
        if self.other_cpu is not None:
            lines.append(
                f"Pub/Sub throughput (pubsub_get_message, pubsub_best): subscriber on CPU {self.other_cpu}, "
                f"publisher process on CPU {self.server_cpu} with the server"
            )
            lines.append(f"import time: fresh interpreters on CPU {self.other_cpu}")
        else:
            lines.append("only one CPU available: every process shares it")
        return lines + self.notes


# ---------------------------------------------------------------------------- environment
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "fastredis"],
                               capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _redis_server_version(host: str, port: int) -> str:
    try:
        out = subprocess.run(["redis-cli", "-h", host, "-p", str(port), "INFO", "server"],
                             capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("redis_version:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def environment(host: str, port: int, placement: Placement, profile: Profile, quick: bool) -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 0
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "redis_server": _redis_server_version(host, port),
        "hiredis": _version("hiredis"),
        "uvloop": _version("uvloop"),
        "redis_py": _version("redis"),
        "coredis": _version("coredis"),
        "fastredis": f"{_version('fastredis')} ({_git_commit()})",
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "placement": placement.describe(),
        "profile": {"quick": quick, **profile.__dict__},
    }


# ---------------------------------------------------------------------------- server
def _pin(pid: int, cpu: str) -> bool:
    return subprocess.run(["taskset", "-pc", cpu, str(pid)], capture_output=True).returncode == 0


def start_server(args: argparse.Namespace) -> tuple[Any, str, int, Placement]:
    """(server or None, host, port, placement)"""
    can_pin = not args.no_pin and shutil.which("taskset") is not None
    cpus = sorted(os.sched_getaffinity(0)) if can_pin else []
    server_cpu = str(cpus[0]) if cpus else None
    other_cpu = str(cpus[1]) if len(cpus) > 1 else None
    url = os.environ.get("REDIS_URL")
    if url:
        u = urlparse(url)
        if u.password or (u.path not in ("", "/", "/0")):
            sys.exit("REDIS_URL: the benchmark needs redis://host:port (no password, db 0)")
        placement = Placement(server_cpu, other_cpu, pinned_server=False,
                              notes=[f"server: external REDIS_URL {u.hostname}:{u.port or 6379}"])
        return None, u.hostname or "127.0.0.1", u.port or 6379, placement
    from fastredis.testing import RedisServer

    # keep a large Pub/Sub backlog instead of disconnecting its subscriber (the publisher
    # also sets this at run time, for REDIS_URL servers)
    server = RedisServer(config={"client-output-buffer-limit": "pubsub 0 0 0"}).start()
    pinned = server_cpu is not None and server.proc is not None and _pin(server.proc.pid, server_cpu)
    placement = Placement(server_cpu, other_cpu, pinned_server=pinned)
    if server_cpu is not None and not pinned:
        placement.notes.append("pinning the server failed: it floats")
    return server, server.host, server.port, placement


# ---------------------------------------------------------------------------- runs
def plan(workloads: list[str], clients: list[str], loops: list[str], reps: int) -> list[tuple]:
    """Round-robin: rep -> workload -> loop -> every client (order rotated per rep)."""
    runs = []
    for rep in range(reps):
        for w in workloads:
            for loop in (loops[:1] if w == "import" else loops):
                k = rep % len(clients)
                for client in clients[k:] + clients[:k]:
                    runs.append((rep, w, "n/a" if w == "import" else loop, client))
    return runs


def one_run(w: str, client: str, loop: str, host: str, port: int, profile: Profile,
            placement: Placement) -> dict:
    cmd = [sys.executable, os.path.join(HERE, "workloads.py"), w, client,
           "asyncio" if loop == "n/a" else loop,
           "--host", host, "--port", str(port),
           "--duration", str(profile.duration), "--warmup", str(profile.warmup),
           "--backlog", str(profile.backlog), "--roundtrips", str(profile.roundtrips),
           "--imports", str(profile.imports)]
    if w in PUBSUB_THROUGHPUT and placement.server_cpu is not None:
        cmd += ["--pub-cpu", placement.server_cpu]
    cpu = placement.client_cpu(w)
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=profile.timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {profile.timeout:.0f}s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"error": f"exit {out.returncode}, no result: {out.stderr.strip()[-800:]}"}
    res = json.loads(lines[-1])
    if out.returncode != 0 and "error" not in res:
        res["error"] = f"exit {out.returncode}: {out.stderr.strip()[-800:]}"
    return res


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def fmt_value(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit.startswith("µs") or unit == "ms":
        return f"{v:,.1f}"
    return f"{v:,.0f}"


def execute(runs: list[tuple], host: str, port: int, profile: Profile, placement: Placement,
            raw_path: str) -> dict[tuple, dict]:
    cells: dict[tuple, dict] = {}
    spent: dict[str, list[float]] = {}
    t_start = time.perf_counter()
    total = len(runs)
    with open(raw_path, "w") as raw:
        for i, (rep, w, loop, client) in enumerate(runs, 1):
            cell = cells.setdefault((w, loop, client), {"values": [], "errors": []})
            if len(cell["errors"]) >= 2:  # failed twice: no more time on it
                res: dict = {"error": "skipped after two failures"}
                took = 0.0
            else:
                t0 = time.perf_counter()
                res = one_run(w, client, loop, host, port, profile, placement)
                took = time.perf_counter() - t0
                spent.setdefault(w, []).append(took)
                raw.write(json.dumps({"rep": rep, "seconds": took, **res}) + "\n")
                raw.flush()
            if "error" in res:
                if res["error"] != "skipped after two failures":
                    cell["errors"].append(res["error"])
                shown = "FAILED " + res["error"].splitlines()[0][:70]
            else:
                cell["values"].append(res["value"])
                cell["unit"] = res["unit"]
                shown = f"{fmt_value(res['value'], res['unit']):>12} {res['unit']}"
            # ETA: the mean time of each remaining run's workload so far (else the overall mean)
            all_spent = [s for v in spent.values() for s in v]
            mean_all = statistics.fmean(all_spent) if all_spent else 1.0
            eta = sum(statistics.fmean(spent[r[1]]) if r[1] in spent else mean_all
                      for r in runs[i:])
            elapsed = time.perf_counter() - t_start
            print(f"[{i:>{len(str(total))}}/{total}] rep {rep + 1} {w:<18} {loop:<7} {client:<9} "
                  f"{shown:<28} {took:5.1f}s  elapsed {_fmt_seconds(elapsed)}  ETA {_fmt_seconds(eta)}",
                  flush=True)
    return cells


# ---------------------------------------------------------------------------- report
def summarize(cells: dict[tuple, dict], workloads: list[str], clients: list[str],
              loops: list[str]) -> list[dict]:
    rows = []
    for loop in loops:
        for w in workloads:
            cl = "n/a" if w == "import" else loop
            target, better = TARGETS[w]
            row: dict[str, Any] = {"loop": loop, "workload": w, "unit": W.WORKLOADS[w]["unit"],
                                   "better": better, "target": target, "clients": {}}
            for c in clients:
                cell = cells.get((w, cl, c), {"values": [], "errors": []})
                vals = cell["values"]
                row["clients"][c] = {
                    "median": statistics.median(vals) if vals else None,
                    "min": min(vals) if vals else None,
                    "max": max(vals) if vals else None,
                    "samples": vals,
                    "errors": cell["errors"],
                }
            fr = row["clients"].get("fastredis", {}).get("median")
            base = row["clients"].get(BASELINE, {}).get("median")
            ratio = fr / base if fr is not None and base else None
            row["ratio"] = ratio
            row["met"] = None if ratio is None else (ratio >= target if better == "higher" else ratio <= target)
            # speed relative to the floor, higher is better on every row (1.0 = the floor)
            fl = row["clients"].get(FLOOR, {}).get("median")
            vs = None
            if fr and fl:
                vs = fr / fl if better == "higher" else fl / fr
            row["vs_floor"] = vs
            ft = FLOOR_TARGETS.get(w)
            row["floor_target"] = ft
            row["floor_met"] = None if vs is None or ft is None else vs >= ft
            rows.append(row)
    return rows


def _fmt_ratio(ratio: float, target: float) -> str:
    """Two decimals, or three when two would round onto the target and hide the verdict."""
    text = f"{ratio:.2f}"
    if float(text) == target and ratio != target:
        text = f"{ratio:.3f}"
    return text + "×"


def _cell_text(info: dict | None, unit: str) -> str:
    if info is None:
        return "—"
    if info["median"] is None:
        return "**failed**" if info["errors"] else "—"
    text = fmt_value(info["median"], unit)
    if info["errors"]:
        text += f" ({len(info['errors'])} failed)"
    return text


def markdown(env: dict, rows: list[dict], clients: list[str], loops: list[str]) -> str:
    p = env["profile"]
    out = [
        "# fastredis benchmark results",
        "",
        f"- date: {env['date']}",
        f"- Python: {env['python']} ({env['platform']})",
        f"- redis-server: {env['redis_server']}; hiredis {env['hiredis']}; uvloop {env['uvloop']}",
        f"- clients: fastredis {env['fastredis']}, redis-py {env['redis_py']} "
        f"(redis.asyncio with hiredis), coredis {env['coredis']}",
        f"- cores: {env['cpu_count']} ({env['cpus_usable']} usable)",
        "- placement: " + "; ".join(env["placement"]),
        f"- method: every figure is the median of {p['reps']} fresh-process runs, interleaved "
        f"round-robin across clients; rate windows {p['duration']}s after {p['warmup']}s warm-up; "
        f"Pub/Sub backlog {p['backlog']:,} messages of 64 bytes; round trip p50 over "
        f"{p['roundtrips']:,} publishes; import time median of {p['imports']} fresh interpreters"
        + (" (--quick)" if p["quick"] else ""),
        "- ratio = fastredis / redis-py on the same loop in the same run; the last two rows are "
        "lower-is-better (target is a ceiling)",
        "- vs floor = fastredis's speed as a fraction of the floor's (bench/floor.py: Protocol -> "
        "hiredis -> deque, no pool, no reconnect, no flow control), higher is better on every "
        "row (for the lower-is-better rows: floor / fastredis); 1.00 = as fast as the floor",
        "",
    ]
    for loop in loops:
        out += [f"## {loop}" + (" (the default event loop)" if loop == "asyncio" else ""), ""]
        shown = [c for c in ("redis-py", "coredis", "floor", "fastredis") if c in clients]
        header = ["workload", "unit"] + shown
        header += ["fastredis / redis-py", "target", "met?"]
        if FLOOR in clients:
            header += ["vs floor", "floor target"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|")
        for row in (r for r in rows if r["loop"] == loop):
            w, unit = row["workload"], row["unit"]
            name = TITLES[w] + (" (same on both loops)" if w == "import" else "")
            cols = [name, unit] + [_cell_text(row["clients"].get(c), unit) for c in shown]
            ratio = "—" if row["ratio"] is None else _fmt_ratio(row["ratio"], row["target"])
            sign = "≥" if row["better"] == "higher" else "≤"
            met = "—" if row["met"] is None else ("yes" if row["met"] else "**no**")
            cols += [ratio, f"{sign} {row['target']}×", met]
            if FLOOR in clients:
                vs = "—" if row["vs_floor"] is None else f"{row['vs_floor']:.2f}"
                ft = row["floor_target"]
                if ft is None:
                    fcol = "—"
                else:
                    fcol = f"≥ {ft} ({'yes' if row['floor_met'] else '**no**'})" if row["floor_met"] is not None else f"≥ {ft}"
                cols += [vs, fcol]
            out.append("| " + " | ".join(cols) + " |")
        out.append("")
    out += ["Best style: " + "; ".join(f"{c}: {s}" for c, s in BEST_STYLE.items()) + ".", ""]
    failures = [(r["loop"], r["workload"], c, e)
                for r in rows for c, info in r["clients"].items() for e in info["errors"][:1]]
    if failures:
        out += ["## Failures", ""]
        seen = set()
        for loop, w, c, e in failures:
            key = (w if w == "import" else (loop, w), c)
            if key in seen:
                continue
            seen.add(key)
            out.append(f"- {c}, {w}, {'n/a' if w == 'import' else loop}: `{e.splitlines()[0][:200]}`")
        out.append("")
    out += ["![ratios](chart.png)", "",
            "Reproduce: `make bench` (or `make bench-quick`); see docs/benchmarks.md.", ""]
    return "\n".join(out)


def chart(rows: list[dict], loops: list[str], path: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no chart"
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    fig, ax = plt.subplots(figsize=(11, 5.2), dpi=110)
    width = 0.8 / max(1, len(loops))
    colors = {"uvloop": "#2b6cb0", "asyncio": "#9f7aea"}
    for j, loop in enumerate(loops):
        xs, ys = [], []
        for i, w in enumerate(workloads):
            row = next(r for r in rows if r["loop"] == loop and r["workload"] == w)
            if row["ratio"] is not None:
                xs.append(i - 0.4 + width * (j + 0.5))
                ys.append(row["ratio"])
        bars = ax.bar(xs, ys, width * 0.92, label=f"fastredis / redis-py ({loop})",
                      color=colors.get(loop, None))
        for b, y in zip(bars, ys, strict=True):
            ax.annotate(f"{y:.2f}", (b.get_x() + b.get_width() / 2, y), ha="center",
                        va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
    for i, w in enumerate(workloads):
        target, better = TARGETS[w]
        ax.hlines(target, i - 0.45, i + 0.45, colors="#c53030", linestyles="--", linewidth=1.6,
                  label="target" if i == 0 else None)
        for j, loop in enumerate(loops):
            row = next(r for r in rows if r["loop"] == loop and r["workload"] == w)
            if row["ratio"] is None:
                ax.annotate("failed", (i - 0.4 + width * (j + 0.5), 1.0), ha="center",
                            fontsize=7, color="#c53030", rotation=90)
    ax.axhline(1.0, color="#555", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels([TITLES[w].replace(", ", ",\n").replace(" (", "\n(")
                        + ("\n(lower is better)" if TARGETS[w][1] == "lower" else "")
                        for w in workloads], fontsize=7.5)
    ax.set_ylabel("fastredis / redis-py (log scale)")
    ax.set_title("fastredis vs redis-py (redis.asyncio + hiredis): ratio of medians, same run")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return None


# ---------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="fastredis vs redis-py vs coredis vs the floor, fresh processes.")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, shorter windows")
    ap.add_argument("--reps", type=int, help="repetitions per cell (default 7, quick 2)")
    ap.add_argument("--workloads", default=",".join(W.WORKLOADS), help="comma-separated")
    ap.add_argument("--clients", default=",".join(W.CLIENTS), help="comma-separated")
    ap.add_argument("--loops", default="uvloop,asyncio", help="comma-separated")
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="output directory")
    ap.add_argument("--no-pin", action="store_true", help="do not use taskset")
    args = ap.parse_args(argv)

    profile = QUICK if args.quick else FULL
    if args.reps:
        profile.reps = args.reps
    workloads = [w for w in args.workloads.split(",") if w]
    clients = [c for c in args.clients.split(",") if c]
    loops = [lo for lo in args.loops.split(",") if lo]
    for name, got, known in (("workload", workloads, W.WORKLOADS), ("client", clients, W.CLIENTS),
                             ("loop", loops, W.LOOPS)):
        bad = [g for g in got if g not in known]
        if bad:
            ap.error(f"unknown {name}(s) {bad}; known: {list(known)}")

    for w in workloads:  # a missing workload function is a bug here, not a client failure
        for c in clients:
            if w != "import":
                W.function_for(w, c)

    os.makedirs(os.path.join(args.out, "raw"), exist_ok=True)
    server, host, port, placement = start_server(args)
    try:
        env = environment(host, port, placement, profile, args.quick)
        runs = plan(workloads, clients, loops, profile.reps)
        print(f"fastredis bench: {len(runs)} runs ({profile.reps} reps), server {host}:{port}, "
              f"redis {env['redis_server']}, Python {env['python']}", flush=True)
        for line in placement.describe():
            print("  placement: " + line, flush=True)
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        raw_path = os.path.join(args.out, "raw", f"runs-{stamp}.jsonl")
        t0 = time.perf_counter()
        cells = execute(runs, host, port, profile, placement, raw_path)
        env["wall_seconds"] = round(time.perf_counter() - t0, 1)
    finally:
        if server is not None:
            server.stop()

    rows = summarize(cells, workloads, clients, loops)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"environment": env, "targets": TARGETS, "rows": rows}, f, indent=1,
                  ensure_ascii=False)
    md = markdown(env, rows, clients, loops)
    note = chart(rows, loops, os.path.join(args.out, "chart.png"))
    if note:
        md += f"\n{note}\n"
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    print()
    print(md)
    print(f"wrote {os.path.relpath(args.out, ROOT)}/results.md, results.json, chart.png "
          f"(raw runs: {os.path.relpath(raw_path, ROOT)}) in {_fmt_seconds(env['wall_seconds'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
