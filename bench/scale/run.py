"""The scale benchmark: in-memory ``kg build`` vs Spark (local[2], standalone 2 workers) vs Neo4j import.

For each fraction of PubTator3 (``bench.scale.generate``), side by side in one run:

1. ``kg build C R -o graph.json`` (the in-memory engine; bulk files are read by the
   Python readers in worker processes);
2. ``kg build C R --engine spark --master local[2] -o OUT``;
3. ``kg build C R --engine spark --master spark://127.0.0.1:PORT -o OUT`` on the
   standalone cluster of ``scripts/spark`` (master + 2 workers, 1 core and 2 GB each);
4. ``scripts/neo4j import OUT/neo4j-csv`` of the cluster's output into a Neo4j of its own
   (``KG_NEO4J_HOME``/ports from the environment), then a count of its nodes and
   relationships against the Spark tables.

Each command runs in a fresh process; its wall time and the peak of the summed resident
memory of its whole process tree (driver JVM, Python workers) and, for the cluster, of
every process under the worker daemons (executor JVMs and their Python workers) are
sampled from ``/proc`` every 0.2 s. Results go to ``bench/scale/results.json`` (merged
with earlier runs by fraction) and the plot to ``bench/scale/scale.png``.

Usage: ``python -m bench.scale.run 0.01 0.02 [--master spark://127.0.0.1:47077] [--spark-home DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from .generate import generate

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "scale" / "results.json"
PAGE = os.sysconf("SC_PAGE_SIZE")


TICK = os.sysconf("SC_CLK_TCK")


def _tree() -> tuple[dict[int, list[int]], dict[int, int], dict[int, float]]:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
            with open(f"/proc/{name}/statm", "rb") as fh:
                resident = int(fh.read().split()[1]) * PAGE
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        ppid = int(fields[1])
        children.setdefault(ppid, []).append(int(name))
        rss[int(name)] = resident
        cpu[int(name)] = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    return children, rss, cpu


def _members(roots: list[int], children, include_roots: bool) -> set[int]:
    out, stack = set(), list(roots)
    while stack:
        pid = stack.pop()
        if pid in out:
            continue
        out.add(pid)
        stack += children.get(pid, [])
    return out if include_roots else out - set(roots)


def _sum(roots: list[int], children, rss, include_roots: bool) -> int:
    total, stack = 0, list(roots)
    seen = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        if include_roots or pid not in roots:
            total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None, executors: list[int] = (), log: Path | None = None):
    """Run `cmd`; wall seconds, peak resident bytes of its tree, of the executors
    (descendants of the `executors` pids) and of both at once, the CPU seconds (user +
    system) of all those processes (each process's last sample: a process that lives
    less than 0.2 s may be missed), and the load average while it ran (1-minute, sampled)."""
    out = open(log, "wb") if log else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    peak = {"driver": 0, "executors": 0, "total": 0}
    cpu_seen: dict[int, float] = {}  # CPU seconds of every process of the tree, last seen
    done = threading.Event()
    loads = [os.getloadavg()[0]]

    def sample() -> None:
        while not done.is_set():
            children, rss, cpu = _tree()
            for pid in _members([proc.pid], children, True) | _members(list(executors), children, False):
                if pid in cpu:
                    cpu_seen[pid] = cpu[pid]
            d = _sum([proc.pid], children, rss, True)
            e = _sum(list(executors), children, rss, False) if executors else 0
            peak["driver"] = max(peak["driver"], d)
            peak["executors"] = max(peak["executors"], e)
            peak["total"] = max(peak["total"], d + e)
            loads.append(os.getloadavg()[0])
            done.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    rc = proc.wait()
    seconds = time.perf_counter() - t0
    done.set()
    thread.join()
    if log:
        out.close()
    return {"seconds": round(seconds, 1), "rc": rc, **{f"peak_{k}_mb": round(v / 2**20) for k, v in peak.items()},
            "cpu_seconds": round(sum(cpu_seen.values()), 1),
            "load": {"min": min(loads), "mean": round(sum(loads) / len(loads), 2), "max": max(loads)}}


def _neo4j_counts(env: dict[str, str]) -> dict[str, int]:
    from neo4j import GraphDatabase

    uri = f"bolt://127.0.0.1:{env['KG_NEO4J_BOLT_PORT']}"
    with GraphDatabase.driver(uri, auth=("neo4j", env.get("NEO4J_PASSWORD", "kgpassword"))) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n) WITH count(n) AS nodes MATCH ()-[r]->() RETURN nodes, count(r) AS rels", database_="neo4j")
        return {"nodes": records[0]["nodes"], "relationships": records[0]["rels"]}


def run_fraction(fraction: float, data: Path, work: Path, master: str, spark_home: Path, steps: set[str],
                 memory_cap: int | None = None) -> dict:
    concepts, relations = generate(fraction, data / f"f{fraction:g}")
    size = concepts.stat().st_size + relations.stat().st_size
    lines = sum(1 for _ in open(concepts, "rb")) + sum(1 for _ in open(relations, "rb"))
    res = {"fraction": fraction, "input_mb": round(size / 1e6, 1), "lines": lines}
    py = sys.executable
    inputs = [str(concepts), str(relations)]
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    tag = f"f{fraction:g}"
    if "memory" in steps:
        cap = ["prlimit", f"--as={memory_cap}", "--"] if memory_cap else []  # never swap or OOM-kill others
        res["in_memory"] = measure([*cap, py, "-m", "cli", "build", *inputs, "-o", str(work / f"{tag}.graph.json")],
                                   log=logs / f"{tag}.memory.log")
        res["in_memory"]["address_space_cap_bytes"] = memory_cap
        (work / f"{tag}.graph.json").unlink(missing_ok=True)
    if "local" in steps:
        res["spark_local2"] = measure([py, "-m", "cli", "build", *inputs, "--engine", "spark", "--master", "local[2]",
                                       "-o", str(work / f"{tag}.local")], log=logs / f"{tag}.local.log")
    if "cluster" in steps:
        workers = [int((spark_home / "run" / f"worker{i}.pid").read_text()) for i in (1, 2)]
        out = work / f"{tag}.cluster"
        res["spark_standalone2"] = measure([py, "-m", "cli", "build", *inputs, "--engine", "spark", "--master", master,
                                            "-o", str(out)], executors=workers, log=logs / f"{tag}.cluster.log")
        report = json.loads((out / "report.json").read_text())
        res["spark_standalone2"]["stages"] = json.loads((logs / f"{tag}.cluster.log").read_text().rsplit(
            "stage seconds: ", 1)[1].split("\n", 1)[0])
        res["graph"] = {"nodes": sum(report["nodes_by_type"].values()), "edges": sum(report["edges_by_type"].values()),
                        "documents": report["documents"], "rejected": report["lines"]["rejected"]}
        res["output_mb"] = {name: round(sum(f.stat().st_size for f in (out / name).rglob("*") if f.is_file()) / 1e6, 1)
                            for name in ("entities", "relations", "articles", "mentions", "neo4j-csv", "kgx")}
        if "neo4j" in steps:
            env = {"KG_NEO4J_IMPORT_HEAP": "4g", **os.environ}  # as the README suggests for big imports
            res["neo4j_import"] = measure([str(ROOT / "scripts" / "neo4j"), "import", str(out / "neo4j-csv")],
                                          env=env, log=logs / f"{tag}.neo4j.log")
            if res["neo4j_import"]["rc"] != 0:  # keep the build's figures; the import's log says why
                return res
            res["neo4j_counts"] = _neo4j_counts(env)
            res["neo4j_expected"] = {"nodes": res["graph"]["nodes"] + _lines(out / "neo4j-csv" / "nodes_articles.csv") - 1,
                                     "relationships": res["graph"]["edges"] + _lines(out / "neo4j-csv" /
                                                                                     "relationships_mentions.csv") - 1}
            subprocess.run([str(ROOT / "scripts" / "neo4j"), "stop"], env=env, capture_output=True)
    return res


def _lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fractions", type=float, nargs="+")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("KG_SCALE_DATA", "/tmp/kg-scale")))
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("KG_SCALE_WORK", "/tmp/kg-scale/work")))
    ap.add_argument("--master", default=os.environ.get("KG_SPARK_MASTER", "spark://127.0.0.1:7077"))
    ap.add_argument("--spark-home", type=Path, default=Path(os.environ.get("KG_SPARK_HOME", ROOT / ".spark")))
    ap.add_argument("--steps", default="memory,local,cluster,neo4j")
    ap.add_argument("--memory-cap", type=float, default=12.0,
                    help="address-space cap (GB, prlimit --as) of each in-memory build process; 0: none")
    args = ap.parse_args(argv)
    steps = set(args.steps.split(","))
    old = {r["fraction"]: r for r in json.loads(RESULTS.read_text())["runs"]} if RESULTS.exists() else {}
    for fraction in args.fractions:
        res = run_fraction(fraction, args.data, args.work, args.master, args.spark_home, steps,
                           int(args.memory_cap * 2**30) or None)
        res["machine"] = {"cores": os.cpu_count(), "load_before": os.getloadavg()[0]}
        for step in ("in_memory", "spark_local2", "spark_standalone2", "neo4j_import"):
            if step in res:
                res[step]["commit"] = os.environ.get("KG_BENCH_COMMIT", "")  # the code measured
        old[fraction] = {**old.get(fraction, {}), **res}  # steps not run this time are kept
        RESULTS.write_text(json.dumps({"runs": [old[f] for f in sorted(old)]}, indent=1) + "\n")
        print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
