"""Time and peak memory against corpus size: ``python bench/plot.py results.json out.png``.

Standalone (run with the peers' virtualenv, which has matplotlib, or any Python with it).
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    src, out = argv
    with open(src) as fh:
        data = json.load(fh)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in data["rows"] if r.get("corpus", "").endswith("x") and r.get("seconds")]
    tools = []
    for r in rows:
        if r["tool"] not in tools:
            tools.append(r["tool"])
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(13, 5.2))
    markers = "os^vD<>ph*xP+X"
    colors = plt.get_cmap("tab20").colors
    for i, tool in enumerate(tools):
        pts = sorted((r["mb"], r["seconds"], r["rss_peak_total_mb"]) for r in rows if r["tool"] == tool)
        if not pts:
            continue
        xs = [p[0] for p in pts]
        style = dict(marker=markers[i % len(markers)], label=tool, color=colors[(2 * i) % 20 + (i // 10)],
                     linestyle="-" if tool.startswith("kg") else "--", linewidth=2 if tool.startswith("kg") else 1.2)
        ax_t.plot(xs, [p[1] for p in pts], **style)
        ax_m.plot(xs, [p[2] for p in pts], **style)
    for ax, title, ylabel in ((ax_t, "Wall time (best of runs)", "seconds"),
                              (ax_m, "Peak memory (RSS; with workers: PSS of the process tree)", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("corpus size (MB of PubTator text)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        sizes = sorted({r["mb"] for r in rows})
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{x:.0f}" for x in sizes])
        ax.minorticks_off()
    ax_t.legend(fontsize=8, loc="upper left")
    m = data.get("machine", {})
    fig.suptitle(f"kg {m.get('kg', '')} vs peers - {m.get('cores', '?')} cores, {m.get('cpu', '')}, {m.get('date', '')}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
