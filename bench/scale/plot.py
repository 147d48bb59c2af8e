"""Plot ``bench/scale/results.json`` (time and peak memory against input size) and print the
measured table and the extrapolation to the whole of PubTator3 as Markdown (for SCALE.md).

Extrapolation: for each engine, a straight line ``t = a + b·MB`` through the measured
points (least squares; with one point, through it and the origin) gives the time at 100%
(100 × the 1% input); on N workers the size-proportional part ``b·MB`` is divided by N/2
(the measured cluster had 2 one-core workers), the fixed part ``a`` is kept. The same fit
of the CPU seconds (every process of the command's tree) gives the time on an idle
2-core machine (CPU seconds / 2: both engines keep two cores busy for most of a build),
which the load of the shared machine does not distort as it distorts wall time. Memory: the
in-memory engine's peak grows with the input (a line again); Spark's per-executor peak is
taken as flat when it does not grow with the input, which the table shows.

Usage: ``python -m bench.scale.plot``
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGINES = [("in_memory", "in-memory kg build"), ("spark_local2", "Spark local[2]"),
           ("spark_standalone2", "Spark standalone, 2 workers"), ("neo4j_import", "neo4j-admin import (+ start, schema)")]


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    if len(xs) == 1:
        return 0.0, ys[0] / xs[0]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def load() -> list[dict]:
    return json.loads((HERE / "results.json").read_text())["runs"]


def table(runs: list[dict]) -> str:
    out = ["| % of PubTator3 | input | lines | nodes | edges | " + " | ".join(n for _, n in ENGINES) + " |",
           "|---:|---:|---:|---:|---:|" + "---:|" * len(ENGINES)]
    for r in runs:
        cells = []
        for key, _ in ENGINES:
            m = r.get(key)
            if not m:
                cells.append("–")
                continue
            mem = f"{m['peak_total_mb']:,} MB"
            if m.get("peak_executors_mb"):
                mem = f"{m['peak_driver_mb']:,} + {m['peak_executors_mb']:,} MB"
            cpu = f", {m['cpu_seconds']:,.0f} CPU s" if "cpu_seconds" in m else ""
            load = f", load {m['load']['mean']:.1f}" if "load" in m else ""
            cells.append(f"{m['seconds']:,.0f} s{cpu}, {mem}{load}")
        g = r.get("graph", {})
        out.append(f"| {r['fraction'] * 100:g}% | {r['input_mb']:,.0f} MB | {r['lines']:,} | {g.get('nodes', 0):,} | "
                   f"{g.get('edges', 0):,} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def extrapolation(runs: list[dict], workers: tuple[int, ...] = (2, 8, 32)) -> str:
    full_mb = 100 * next(r["input_mb"] / r["fraction"] / 100 for r in runs)
    out = [f"Whole PubTator3 ≈ {full_mb / 1000:,.1f} GB of bulk files (100 × the 1% input).", "",
           "| engine | fit (s) | 100% on this machine | " + " | ".join(f"{n} workers" for n in workers[1:]) + " |",
           "|---|---|---:|" + "---:|" * (len(workers) - 1)]
    for key, name in ENGINES:
        pts = [(r["input_mb"], r[key]["seconds"]) for r in runs if r.get(key) and r[key].get("rc") == 0]
        if not pts:
            continue
        a, b = _fit([p[0] for p in pts], [p[1] for p in pts])
        here = a + b * full_mb
        cells = [f"{(a + b * full_mb * 2 / n) / 3600:,.1f} h" if key == "spark_standalone2" else "–"
                 for n in workers[1:]]
        out.append(f"| {name} | {a:,.0f} + {b:,.2f}·MB | {here / 3600:,.1f} h | " + " | ".join(cells) + " |")
    out += ["", "| engine | CPU fit (CPU s) | CPU s per MB | 100%: CPU hours | 100% on an idle 2-core machine |",
            "|---|---|---:|---:|---:|"]
    for key, name in ENGINES:
        pts = [(r["input_mb"], r[key]["cpu_seconds"]) for r in runs
               if r.get(key) and r[key].get("rc") == 0 and "cpu_seconds" in r[key]]
        if not pts:
            continue
        a, b = _fit([p[0] for p in pts], [p[1] for p in pts])
        cpu = a + b * full_mb
        out.append(f"| {name} | {a:,.0f} + {b:,.2f}·MB | {b:,.2f} | {cpu / 3600:,.1f} h | {cpu / 2 / 3600:,.1f} h |")
    mem = [(r["input_mb"], r["in_memory"]["peak_total_mb"]) for r in runs
           if r.get("in_memory") and r["in_memory"].get("rc") == 0]
    if mem:
        a, b = _fit([p[0] for p in mem], [p[1] for p in mem])
        out += ["", f"In-memory peak at 100%: {(a + b * full_mb) / 1024:,.0f} GB ({a:,.0f} + {b:,.2f}·MB MB)."]
    return "\n".join(out)


def plot(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax3, ax2) = plt.subplots(1, 3, figsize=(15, 4.2))
    for key, name in ENGINES:
        pts = [(r["input_mb"], r[key]) for r in runs if r.get(key) and r[key].get("rc") == 0]
        if not pts:
            continue
        xs = [p[0] for p in pts]
        ax1.plot(xs, [p[1]["seconds"] for p in pts], "o-", label=name)
        cpu = [(x, p["cpu_seconds"]) for x, p in zip(xs, (q[1] for q in pts)) if "cpu_seconds" in p]
        if cpu:
            ax3.plot([c[0] for c in cpu], [c[1] for c in cpu], "o-", label=name)
        ax2.plot(xs, [p[1]["peak_total_mb"] for p in pts], "o-", label=name + " (total)")
        if key == "spark_standalone2":
            ax2.plot(xs, [p[1]["peak_executors_mb"] / 2 for p in pts], "s--", label="… per executor")
    ax1.set(xlabel="input (MB of bulk files)", ylabel="wall time (s)", title="time (shared, loaded machine)")
    ax3.set(xlabel="input (MB of bulk files)", ylabel="CPU seconds (all processes)", title="CPU time")
    ax2.set(xlabel="input (MB of bulk files)", ylabel="peak resident memory (MB)", title="peak memory")
    for ax in (ax1, ax3, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("kg on PubTator3-shaped bulk files (2 cores, shared machine)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    runs = load()
    plot(runs, HERE / "scale.png")
    print(table(runs))
    print()
    print(extrapolation(runs))


if __name__ == "__main__":
    main()
