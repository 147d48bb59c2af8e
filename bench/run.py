"""``python -m bench``: kg against other PubTator parsers and graph builders, and Neo4j.

Every measurement runs in a fresh process (``bench/child.py``), so peak RSS is per
measurement; competitors run interleaved, round by round (the order rotates each round),
on the same corpus, and the best time of the rounds is kept (the machine is shared).

Competitors
-----------
- the floor: a bare Python loop splitting every line on tabs (bytes, and decoded str);
- ``bioc`` (PyPI) ``bioc.pubtator.iterparse``: parse only, no graph;
- NetMedEx (PyPI ``netmedex``) ``PubTatorIO.parse`` + ``PubTatorGraphBuilder.build``,
  in its relation mode (``node_type="relation"``) and co-mention mode (``"all"``);
- kg: ``kg.build`` in memory (default workers, 1 and 2 workers when ``kg.build`` takes
  ``workers=``), ``kg.build`` + ``kg.write_graph``, ``kg.build(co_mentions=True)``.

Peers live in their own virtualenv (``<cache>/venv-peers``, from
``bench/requirements-peers.txt``); kg runs in the project's Python.

Neo4j (unless ``--skip-neo4j``, or no ``kg.neo4j``/Java): a separate server
(``KG_NEO4J_HOME=<cache>/neo4j-bench``, Bolt 7689, HTTP 7476, via ``scripts/neo4j``)
gets the largest graph through ``kg.neo4j.load_graph`` at batch sizes 1k, 10k, 50k (a
fresh database each), a reload (idempotent path), a per-row-transaction baseline on a
small slice, and ``neo4j-admin database import`` of ``kg export --format neo4j-csv``.

Writes ``bench/RESULTS.md``, ``bench/results.json`` and ``bench/benchmark.png`` (a
``--quick`` run writes them into the cache folder instead, so the committed full-run
results stay).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import io
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import generate

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
CHILD = BENCH / "child.py"
REQUIREMENTS = BENCH / "requirements-peers.txt"
MB = generate.MB

NEO4J_BOLT_PORT = 7689
NEO4J_HTTP_PORT = 7476
NEO4J_PASSWORD = "kgpassword"
ARRAY_DELIMITER = "\x1f"

# Targets of issue 4.
TARGET_VS_BIOC = 3.0
TARGET_VS_NETMEDEX = 15.0
TARGET_VS_FLOOR = 2.0
TARGET_RSS_VS_NETMEDEX = 5.0
TARGET_DRIVER_RELS = 50_000
TARGET_ADMIN_RELS = 500_000


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- environment --------------------------------------------------------------------------


def ensure_venv(venv: Path) -> Path:
    """The peers' virtualenv (made and filled once; re-filled when the requirements change)."""
    py = venv / "bin" / "python"
    stamp = venv / ".kg-bench-requirements"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if py.exists() and stamp.is_file() and stamp.read_text() == want:
        return py
    log(f"making the peers' virtualenv {venv} ({REQUIREMENTS.name})")
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(want)
    return py


def _peer_versions(py: Path) -> dict:
    code = ("import json; from importlib.metadata import version as v; "
            "print(json.dumps({p: v(p) for p in ('bioc', 'netmedex', 'networkx')}))")
    try:
        out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=True).stdout
        return json.loads(out)
    except (subprocess.CalledProcessError, ValueError):
        return {}


def machine_info(peers_py: Path | None) -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    import networkx

    import kg

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "kg"], capture_output=True,
                           text=True).stdout.strip()
    info = {
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "ram_gb": round(mem_gb, 1),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "kg": f"{kg.__version__} ({commit}{', kg/ modified' if dirty else ''})",
        "networkx": networkx.__version__,
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if peers_py is not None:
        info["peers"] = _peer_versions(peers_py)
    return info


# -- measurements -------------------------------------------------------------------------


def run_child(python: str, args: list[str], *, timeout: float = 1800, env: dict | None = None) -> dict:
    t0 = time.perf_counter()
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO)
    e.pop("PYTHONSTARTUP", None)
    if env:
        e.update(env)
    try:
        proc = subprocess.run([python, str(CHILD), *args], capture_output=True, text=True, timeout=timeout,
                              cwd=str(REPO), env=e)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)[:300]}"}
    out = json.loads(lines[-1])
    out["process_seconds"] = wall
    return out


class Competitor:
    def __init__(self, tool: str, args: list[str], peer: bool = False, workers: int | None = None,
                 group: str = "build"):
        self.tool, self.args, self.peer, self.workers, self.group = tool, args, peer, workers, group


def competitors(corpus: Path, graph_out: Path, has_workers: bool, variant: str | None = None) -> list[Competitor]:
    c = str(corpus)
    floor = [Competitor("split loop (bytes)", ["split-bytes", c], group="floor"),
             Competitor("split loop (str)", ["split-str", c], group="floor")]
    bioc = Competitor("bioc parse", ["bioc", c], peer=True, group="parse")
    nm_rel = Competitor("NetMedEx relation", ["netmedex", c, "--mode", "relation"], peer=True)
    nm_all = Competitor("NetMedEx co-mention", ["netmedex", c, "--mode", "all"], peer=True, group="co-mention")
    kg_parse = Competitor("kg reader only", ["kg-parse", c], group="parse")
    kg = Competitor("kg build", ["kg", c])
    kg1 = Competitor("kg build, 1 worker", ["kg", c, "--workers", "1"], workers=1)
    kg2 = Competitor("kg build, 2 workers", ["kg", c, "--workers", "2"], workers=2)
    kg_py = Competitor("kg build, Python engine", ["kg", c, "--engine", "python"])
    kg_save = Competitor("kg build + save", ["kg", c, "--save", str(graph_out)])
    kg_co = Competitor("kg build --co-mentions", ["kg", c, "--co-mentions"], group="co-mention")
    kg_co1 = Competitor("kg build --co-mentions, 1 worker", ["kg", c, "--co-mentions", "--workers", "1"], workers=1,
                        group="co-mention")
    if variant == "relations":
        return [floor[0], bioc, nm_rel, kg, kg1, kg_py]
    if variant == "annotations":
        return [floor[0], bioc, nm_all, kg, kg1, kg_co] + ([kg_co1] if has_workers else [])
    out = [*floor, bioc, kg_parse, nm_rel, nm_all, kg]
    if has_workers:
        out += [kg1, kg2]
    out += [kg_py, kg_save, kg_co]
    if has_workers:
        out.append(kg_co1)
    return out


def measure(corpus_name: str, corpus: Path, comps: list[Competitor], rounds: int, py_kg: str, py_peer: str,
            results: list[dict]) -> None:
    mb = generate.read_manifest(corpus)["bytes"] / MB
    runs: dict[str, list[dict]] = {c.tool: [] for c in comps}
    for r in range(rounds):
        order = comps[r % len(comps):] + comps[:r % len(comps)]
        for comp in order:
            out = run_child(py_peer if comp.peer else py_kg, comp.args)
            if "error" in out:
                log(f"{corpus_name} round {r + 1}: {comp.tool}: {out['error']}")
            elif out.get("skipped"):
                log(f"{corpus_name}: {comp.tool}: {out['skipped']}")
            else:
                log(f"{corpus_name} round {r + 1}: {comp.tool:26s} {out['seconds']:8.2f} s  "
                    f"{mb / out['seconds']:7.1f} MB/s  peak {out['rss_peak_mb']:7.0f} MB"
                    + (f" (+ workers {out['rss_peak_children_mb']:.0f} MB)" if out["rss_peak_children_mb"] > 1 else ""))
            runs[comp.tool].append(out)
            if out.get("skipped"):
                break
    for comp in comps:
        good = [o for o in runs[comp.tool] if "seconds" in o]
        row = {"corpus": corpus_name, "tool": comp.tool, "group": comp.group, "mb": mb, "runs": len(good)}
        if not good:
            bad = runs[comp.tool][0] if runs[comp.tool] else {}
            row["note"] = bad.get("skipped") or bad.get("error") or "no run"
            results.append(row)
            continue
        best = min(good, key=lambda o: o["seconds"])
        row.update({k: v for k, v in best.items() if not isinstance(v, (list, dict))})
        row["all_seconds"] = [round(o["seconds"], 3) for o in good]
        row["rss_peak_mb"] = max(o["rss_peak_mb"] for o in good)
        children = max(o.get("rss_peak_children_mb", 0) for o in good)
        row["rss_peak_children_mb"] = children
        tree = max(o.get("tree_pss_peak_mb", 0) for o in good)
        row["tree_pss_peak_mb"] = tree
        # With worker processes: the sampled peak PSS of the whole process tree (shared
        # pages counted once), or the main process's own peak if that is larger.
        row["rss_peak_total_mb"] = max(row["rss_peak_mb"], tree) if children > 1 else row["rss_peak_mb"]
        row["mb_per_s"] = mb / row["seconds"]
        results.append(row)


def profile_kg(corpus: Path, py_kg: str, out_dir: Path) -> dict:
    prof = out_dir / "kg-build.prof"
    res = run_child(py_kg, ["kg", str(corpus), "--workers", "1", "--profile", str(prof)])
    if "error" in res or "skipped" in res:
        res = run_child(py_kg, ["kg", str(corpus), "--profile", str(prof)])
    if "error" in res:
        return {"error": res["error"]}
    texts = {}
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        st = pstats.Stats(str(prof), stream=buf)
        st.strip_dirs().sort_stats(key).print_stats(22)
        lines = buf.getvalue().splitlines()
        start = next((i for i, ln in enumerate(lines) if "ncalls" in ln), 0)
        texts[key] = "\n".join(ln.rstrip() for ln in lines[start:] if ln.strip())
    total = pstats.Stats(str(prof)).total_tt
    breakdown = [b for b in (run_child(py_kg, ["kg-breakdown", str(corpus)]) for _ in range(2)) if "error" not in b]
    best = min(breakdown, key=lambda b: b["seconds"]) if breakdown else {}
    return {"corpus": corpus.name, "seconds_profiled": total, "seconds_run": res.get("seconds"), "breakdown": best,
            **texts}


# -- Neo4j --------------------------------------------------------------------------------


class BenchNeo4j:
    """The separate benchmark server, driven through scripts/neo4j."""

    def __init__(self, home: Path):
        self.home = home
        self.script = REPO / "scripts" / "neo4j"
        self.env = dict(os.environ, KG_NEO4J_HOME=str(home), KG_NEO4J_BOLT_PORT=str(NEO4J_BOLT_PORT),
                        KG_NEO4J_HTTP_PORT=str(NEO4J_HTTP_PORT), NEO4J_PASSWORD=NEO4J_PASSWORD,
                        KG_NEO4J_HEAP=os.environ.get("KG_BENCH_NEO4J_HEAP", "2g"),
                        KG_NEO4J_PAGECACHE=os.environ.get("KG_BENCH_NEO4J_PAGECACHE", "1g"),
                        KG_NEO4J_IMPORT_HEAP="1g", KG_NEO4J_PYTHON=sys.executable)
        self.uri = f"bolt://127.0.0.1:{NEO4J_BOLT_PORT}"

    def cmd(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(self.script), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def start(self) -> None:
        p = self.cmd("start")
        if p.returncode != 0:
            raise RuntimeError(f"scripts/neo4j start failed: {(p.stderr or p.stdout).strip()[-500:]}")

    def stop(self) -> None:
        self.cmd("stop")

    def wipe(self) -> None:
        """A fresh, empty `neo4j` database (users and the system database are kept)."""
        self.stop()
        for sub in ("databases/neo4j", "transactions/neo4j"):
            shutil.rmtree(self.home / "data" / sub, ignore_errors=True)
        self.start()

    def counts(self) -> dict:
        from neo4j import GraphDatabase

        with GraphDatabase.driver(self.uri, auth=("neo4j", NEO4J_PASSWORD)) as d:
            n = d.execute_query("MATCH (n) RETURN count(n) AS c", database_="neo4j").records[0]["c"]
            r = d.execute_query("MATCH ()-[r]->() RETURN count(r) AS c", database_="neo4j").records[0]["c"]
        return {"nodes": n, "relationships": r}

    def wait_queryable(self, timeout: float = 300) -> float:
        from neo4j import GraphDatabase

        t0 = time.perf_counter()
        while True:
            try:
                with GraphDatabase.driver(self.uri, auth=("neo4j", NEO4J_PASSWORD), connection_timeout=3) as d:
                    d.execute_query("MATCH (e:Entity) RETURN e.id LIMIT 1", database_="neo4j")
                return time.perf_counter()
            except Exception:  # noqa: BLE001 - still starting: any failure means not yet
                if time.perf_counter() - t0 > timeout:
                    raise
                time.sleep(0.2)


def load_rates(r: dict) -> tuple[float | None, float | None]:
    """(nodes/s, relationships/s) of a load, complete or stopped at its time budget."""
    if "error" in r:
        return None, None
    if "stopped_after_budget" not in r:
        return r["nodes_total"] / r["node_phase_seconds"], r["relationships_total"] / r["relationship_phase_seconds"]
    if "relationship_phase_seconds" in r:
        # Too few relationships done before the stop say nothing about a rate.
        enough = r["relationships_done"] >= 1000 and r["relationship_phase_seconds"] >= 5
        rel = r["relationships_done"] / r["relationship_phase_seconds"] if enough else None
        return r["nodes_total"] / r["node_phase_seconds"], rel
    return (r["nodes_done"] / r["node_phase_seconds_partial"] if r["node_phase_seconds_partial"] > 0 else None), None


def neo4j_part(big: Path, small: Path, cache: Path, py_kg: str, batches: list[int], slice_k: int,
               budget: float) -> dict:
    """Driver loads (first load per batch size, reload, per-row slice) and the admin import.

    The driver loads run on the largest graph when a first load at batch 10k finishes
    within `budget` seconds; otherwise that probe is reported as stopped (with the rates
    it reached) and the batch-size series, reload and slice run on the 1× graph. The
    admin import always takes the largest graph.
    """
    out: dict = {"graph": str(big), "loads": [], "budget_seconds": budget}
    if not (REPO / "kg" / "neo4j.py").is_file():
        return {"skipped": "kg/neo4j.py does not exist yet"}
    try:
        import kg.neo4j  # noqa: F401
        import neo4j  # noqa: F401
    except ImportError as err:
        return {"skipped": f"cannot import the loader or the driver: {err}"}
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return {"skipped": "no Java for the Neo4j server"}
    server = BenchNeo4j(cache / "neo4j-bench")
    try:
        log("neo4j: starting the benchmark server (scripts/neo4j, port 7689)")
        server.wipe()
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        return {"skipped": f"no benchmark server: {err}"}
    common = ["--uri", server.uri, "--password", NEO4J_PASSWORD]
    loader = REPO / "kg" / "neo4j.py"
    out["loader_sha256_start"] = hashlib.sha256(loader.read_bytes()).hexdigest()[:12]

    def load(graph: Path, batch: int, kind: str, extra=()) -> dict:
        res = run_child(py_kg, ["neo4j-load", str(graph), "--batch", str(batch), "--budget", str(budget),
                                *extra, *common], timeout=budget * 4 + 600)
        res["kind"] = kind
        res["graph"] = graph.stem
        res.setdefault("batch_size", batch)
        if "error" in res:
            log(f"neo4j: {kind} {graph.stem} batch {batch}: {res['error']}")
            return res
        if "stopped_after_budget" not in res:
            res.update(server.counts())
        n, r = load_rates(res)
        log(f"neo4j: {kind} {graph.stem} batch {batch}: "
            + (f"stopped at {res['rows_done']:,}/{res['rows_total']:,} rows after {budget:.0f} s"
               if "stopped_after_budget" in res else f"{res['load_seconds']:.1f} s")
            + f", {_f(n, 0)} nodes/s, {_f(r, 0)} rels/s")
        return res

    try:
        probe = load(big, 10_000, "first load")
        if "error" not in probe and "stopped_after_budget" not in probe:
            plan_graph = big
            out["loads"].append(probe)
            rest = [b for b in batches if b != 10_000]
        else:
            out["probe"] = probe
            plan_graph = small
            rest = list(batches)
        out["plan_graph"] = str(plan_graph)
        for b in rest:
            server.wipe()
            out["loads"].append(load(plan_graph, b, "first load"))
        last = out["loads"][-1] if out["loads"] else None
        if last and "error" not in last and "stopped_after_budget" not in last:
            # The database holds exactly this graph now: loading it again is the reload.
            out["reload_first"] = last
            out["reload"] = load(plan_graph, last["batch_size"], "reload")
        # Per-row transactions vs batched, on the same small slice, each into an empty database.
        for b in (1, 10_000):
            server.wipe()
            out.setdefault("slice", []).append(
                load(plan_graph, b, f"slice: {slice_k:,} entity relationships, no articles",
                     ("--slice", str(slice_k), "--no-articles")))
        # Bulk: export CSV, then neo4j-admin import into the (stopped) benchmark server.
        csv_dir = cache / "neo4j-csv" / big.stem
        shutil.rmtree(csv_dir, ignore_errors=True)
        exp = run_child(py_kg, ["kg-export", str(big), str(csv_dir)])
        out["export"] = exp
        if "error" in exp:
            out["admin"] = {"error": f"export failed: {exp['error']}"}
        else:
            t0 = time.perf_counter()
            p = server.cmd("import", str(csv_dir), f"--array-delimiter={ARRAY_DELIMITER}")
            t_script = time.perf_counter()
            if p.returncode != 0:
                out["admin"] = {"error": (p.stderr or p.stdout).strip()[-600:]}
            else:
                t_ready = server.wait_queryable()
                text = p.stderr + p.stdout
                m = re.search(r"IMPORT DONE in ([^.]+)\.\s*Imported:\s*([\d,]+) nodes?,?\s*([\d,]+) relationships?", text)
                admin = {"seconds_to_queryable": t_ready - t0, "script_seconds": t_script - t0}
                for stage in ("Node import", "Relationship import", "Relationship linking", "Post processing"):
                    ms = re.search(stage + r" COMPLETED in ([^\n]+)", text)
                    if ms:
                        admin.setdefault("stages", {})[stage] = _duration(ms.group(1))
                if m:
                    admin["import_seconds"] = _duration(m.group(1))
                    admin["nodes"] = int(m.group(2).replace(",", ""))
                    admin["relationships"] = int(m.group(3).replace(",", ""))
                admin.update({f"db_{k}": v for k, v in server.counts().items()})
                out["admin"] = admin
                log(f"neo4j: admin import {admin.get('import_seconds', '?')} s, queryable after "
                    f"{admin['seconds_to_queryable']:.1f} s")
        shutil.rmtree(csv_dir, ignore_errors=True)
    finally:
        server.stop()
        out["loader_sha256_end"] = hashlib.sha256(loader.read_bytes()).hexdigest()[:12]
    return out


def _duration(text: str) -> float:
    """'1m 2s 345ms' / '12s 345ms' / '850ms' -> seconds."""
    total = 0.0
    for num, unit in re.findall(r"(\d+)\s*(ms|h|m|s)", text):
        total += int(num) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return total


# -- report -------------------------------------------------------------------------------


def _f(x, nd=1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}"


def _row(results, corpus, tool):
    for r in results:
        if r["corpus"] == corpus and r["tool"] == tool and "seconds" in r:
            return r
    return None


def table(results: list[dict], corpus: str) -> list[str]:
    rows = [r for r in results if r["corpus"] == corpus]
    kg = _row(results, corpus, "kg build")
    lines = ["| tool | seconds (best) | MB/s | time ÷ kg build | peak memory MB | graph nodes / edges | runs (s) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if "seconds" not in r:
            lines.append(f"| {r['tool']} | n/a | | | | | {r.get('note', '')} |")
            continue
        ratio = r["seconds"] / kg["seconds"] if kg else None
        rss = _f(r["rss_peak_mb"], 0)
        if r.get("rss_peak_children_mb", 0) > 1:
            rss = f"{r['rss_peak_total_mb']:,.0f} (main {r['rss_peak_mb']:,.0f}; with workers)"
        graph = f"{_f(r['nodes'])} / {_f(r['edges'])}" if "nodes" in r else ""
        lines.append(f"| {r['tool']} | {r['seconds']:.2f} | {r['mb_per_s']:.1f} | {_f(ratio, 2)}× | {rss} | {graph} | "
                     f"{', '.join(f'{s:.2f}' for s in r['all_seconds'])} |")
    return lines


def evaluate(results, sizes, neo) -> list[dict]:
    """Each target of issue 4 with the measured value, at the largest size measured."""
    big = f"{max(sizes)}x"
    kg = _row(results, big, "kg build")
    kg1 = _row(results, big, "kg build, 1 worker")
    checks = []

    def add(name, value, ok, how):
        checks.append({"target": name, "value": value, "met": ok, "how": how})

    if kg:
        for tool, target, name in (("bioc parse", TARGET_VS_BIOC, f"kg build ≥ {TARGET_VS_BIOC:g}× faster than bioc parse"),
                                   ("NetMedEx relation", TARGET_VS_NETMEDEX, f"kg build ≥ {TARGET_VS_NETMEDEX:g}× faster than NetMedEx (relation mode)")):
            peer = _row(results, big, tool)
            if peer:
                x = peer["seconds"] / kg["seconds"]
                x1 = peer["seconds"] / kg1["seconds"] if kg1 else None
                add(name, f"{x:.2f}× (1 worker: {_f(x1, 2)}×)", x >= target, f"{tool} s ÷ kg build s, {big}")
        co, nmco = _row(results, big, "kg build --co-mentions"), _row(results, big, "NetMedEx co-mention")
        co1 = _row(results, big, "kg build --co-mentions, 1 worker")
        if co and nmco:
            x = nmco["seconds"] / co["seconds"]
            x1 = f" (1 worker: {nmco['seconds'] / co1['seconds']:.2f}×)" if co1 else ""
            add(f"kg --co-mentions ≥ {TARGET_VS_NETMEDEX:g}× faster than NetMedEx co-mention", f"{x:.2f}×{x1}",
                x >= TARGET_VS_NETMEDEX, f"{big}")
            m = nmco["rss_peak_total_mb"] / co["rss_peak_total_mb"]
            m1 = (f"; 1 worker {co1['rss_peak_total_mb']:,.0f} MB (1/{nmco['rss_peak_total_mb'] / co1['rss_peak_total_mb']:.2f})"
                  if co1 else "")
            add(f"peak RSS co-mention ≤ 1/{TARGET_RSS_VS_NETMEDEX:g} of NetMedEx's", f"kg {co['rss_peak_total_mb']:,.0f} MB vs "
                f"NetMedEx {nmco['rss_peak_total_mb']:,.0f} MB (1/{m:.2f}){m1}",
                max(m, nmco["rss_peak_total_mb"] / co1["rss_peak_total_mb"] if co1 else 0) >= TARGET_RSS_VS_NETMEDEX, big)
        fl = _row(results, big, "split loop (bytes)")
        if fl:
            x = kg["seconds"] / fl["seconds"]
            fs = _row(results, big, "split loop (str)")
            xs = kg["seconds"] / fs["seconds"] if fs else None
            add(f"kg build within {TARGET_VS_FLOOR:g}× of the bare split loop", f"{x:.1f}× slower (vs str loop {_f(xs, 1)}×)",
                x <= TARGET_VS_FLOOR, f"kg build s ÷ split loop s, {big}")
    mem = memory_rows(results, sizes)
    if mem:
        last = mem[-1]
        add("peak RSS no more than the final graph needs", f"peak {last['peak_mb']:,.0f} MB above base vs graph "
            f"{last['graph_mb']:,.0f} MB held ({last['peak_over_graph']:.2f}×)", last["peak_over_graph"] <= 1.25,
            f"kg build, 1 worker, {last['corpus']}; met when ≤ 1.25×")
    if neo and "loads" in neo:
        cand = [r for r in neo["loads"] + ([neo["probe"]] if neo.get("probe") else []) if load_rates(r)[1]]
        if cand:
            best = max(cand, key=lambda r: load_rates(r)[1])
            rate = load_rates(best)[1]
            add(f"Neo4j driver load ≥ {TARGET_DRIVER_RELS:,} relationships/s", f"{rate:,.0f} rels/s",
                rate >= TARGET_DRIVER_RELS, f"best batch size ({best['batch_size']:,}, graph {best['graph']})")
        rl, first = neo.get("reload"), neo.get("reload_first")
        if rl and first and "error" not in rl and "load_seconds" in rl:
            add("reload no slower than the first load", f"{rl['load_seconds']:.1f} s vs {first['load_seconds']:.1f} s",
                rl["load_seconds"] <= first["load_seconds"] * 1.05, "same batch size; 5% noise allowed")
        adm = neo.get("admin", {})
        if adm.get("import_seconds"):
            rate = adm["relationships"] / adm["import_seconds"]
            st = adm.get("stages", {})
            stage = st.get("Relationship import")
            extra = f"; its relationship-import stage alone {adm['relationships'] / stage:,.0f} rels/s" if stage else ""
            add(f"admin import ≥ {TARGET_ADMIN_RELS:,} relationships/s", f"{rate:,.0f} rels/s over the whole import{extra}",
                rate >= TARGET_ADMIN_RELS, "neo4j-admin's own total time (JVM start and fixed stages included)")
    return checks


def memory_rows(results, sizes) -> list[dict]:
    out = []
    for k in sorted(sizes):
        c = f"{k}x"
        r = _row(results, c, "kg build, 1 worker") or _row(results, c, "kg build")
        if not r or "rss_after_mb" not in r:
            continue
        graph_mb = r["rss_after_mb"] - r["rss_base_mb"]
        peak_mb = r["rss_peak_mb"] - r["rss_base_mb"]
        out.append({
            "corpus": c, "tool": r["tool"], "corpus_mb": r["mb"], "nodes": r["nodes"], "edges": r["edges"],
            "node_pmid_pairs": r["node_pmid_pairs"], "edge_pmid_pairs": r["edge_pmid_pairs"], "articles": r["articles"],
            "base_mb": r["rss_base_mb"], "graph_mb": graph_mb, "peak_mb": peak_mb, "rss_peak_mb": r["rss_peak_mb"],
            "peak_over_graph": peak_mb / graph_mb if graph_mb > 0 else float("nan"),
            "bytes_per_node": graph_mb * MB / r["nodes"] if r["nodes"] else 0,
            "bytes_per_edge_pmid": graph_mb * MB / r["edge_pmid_pairs"] if r["edge_pmid_pairs"] else 0,
            "bytes_per_pmid_pair": graph_mb * MB / (r["edge_pmid_pairs"] + r["node_pmid_pairs"] + r["articles"]),
        })
    return out


def write_report(path: Path, data: dict) -> str:
    m, results, sizes = data["machine"], data["rows"], data["sizes"]
    L = ["# kg benchmark results", "",
         f"`{data['command']}` — {m['date']}, {data['wall_minutes']:.1f} min in all. Raw numbers: "
         f"`{data.get('json_name', 'results.json')}`; plot: `{data.get('png_name', 'benchmark.png')}`.", "",
         "## Machine", "",
         "| | |", "|---|---|",
         f"| CPU | {m['cpu']} — {m['cores']} cores |", f"| RAM | {m['ram_gb']} GB |", f"| OS | {m['os']} |",
         f"| Python | {m['python']} (kg and peers alike) |", f"| kg | {m['kg']}, networkx {m['networkx']} |",
         "| peers | " + ", ".join(f"{k} {v}" for k, v in m.get("peers", {}).items()) + " (own virtualenv) |",
         f"| load average at start | {m['loadavg']} (shared machine: other engineers' tests ran meanwhile) |", "",
         "Each number is the best of the rounds (competitors interleaved, order rotated each round, "
         "each run a fresh process); peak RSS is the largest of the rounds. Times are the work only "
         "(interpreter start-up and imports excluded). MB = 10⁶ bytes of PubTator text.", ""]
    checks = data.get("checks", [])
    if checks:
        L += ["## Targets (issue 4)", "", "| target | measured | met | how |", "|---|---|---|---|"]
        for c in checks:
            L.append(f"| {c['target']} | {c['value']} | {'yes' if c['met'] else '**no**'} | {c['how']} |")
        L.append("")
    L += ["## Parse + build, side by side", ""]
    for corpus in data["corpora"]:
        man = data["manifests"].get(corpus, {})
        L += [f"### {corpus} — {man.get('bytes', 0) / MB:.1f} MB, {man.get('documents', 0):,} documents, "
              f"{len(man.get('files', {}))} files", ""]
        L += table(results, corpus)
        L.append("")
    w1 = [(c, _row(results, c, "kg build, 1 worker"), _row(results, c, "kg build, 2 workers")) for c in data["corpora"]]
    w1 = [(c, a, b) for c, a, b in w1 if a and b]
    L += ["## Workers (files parsed in parallel processes)", ""]
    if w1:
        L += ["| corpus | 1 worker s | 2 workers s | speed-up |", "|---|---:|---:|---:|"]
        for c, a, b in w1:
            L.append(f"| {c} | {a['seconds']:.2f} | {b['seconds']:.2f} | {a['seconds'] / b['seconds']:.2f}× |")
    else:
        L.append("n/a: `kg.build` has no `workers=` parameter in this version.")
    L.append("")
    mem = memory_rows(results, sizes)
    if mem:
        L += ["## Memory: growth with the graph, not the corpus", "",
              "`kg build, 1 worker`. *base* = RSS after imports; *graph held* = RSS right after the build with the "
              "graph still referenced and freed heap pages given back (`malloc_trim`), minus base; *peak* = peak RSS minus base. Every copy of the corpus renumbers "
              "PMIDs but keeps the entity ids, so nodes and edges stay while the PMID lists (node–PMID, edge–PMID "
              "pairs, article titles) grow with the corpus: that is the graph growing.", "",
              "| corpus | corpus MB | nodes | edges | node–PMID pairs | edge–PMID pairs | articles | graph held MB | peak MB | peak ÷ graph | bytes / node | bytes / edge–PMID pair | bytes / PMID entry (all) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in mem:
            L.append(f"| {r['corpus']} | {r['corpus_mb']:.0f} | {r['nodes']:,} | {r['edges']:,} | {r['node_pmid_pairs']:,} | "
                     f"{r['edge_pmid_pairs']:,} | {r['articles']:,} | {r['graph_mb']:.0f} | {r['peak_mb']:.0f} | "
                     f"{r['peak_over_graph']:.2f} | {r['bytes_per_node']:,.0f} | {r['bytes_per_edge_pmid']:,.0f} | "
                     f"{r['bytes_per_pmid_pair']:,.0f} |")
        if len(mem) > 1:
            a, b = mem[0], mem[-1]
            L += ["", f"From {a['corpus']} to {b['corpus']}: corpus ×{b['corpus_mb'] / a['corpus_mb']:.1f}, PMID entries "
                  f"×{(b['edge_pmid_pairs'] + b['node_pmid_pairs'] + b['articles']) / (a['edge_pmid_pairs'] + a['node_pmid_pairs'] + a['articles']):.1f}, "
                  f"graph held ×{b['graph_mb'] / max(a['graph_mb'], 1e-9):.1f}, peak ×{b['peak_mb'] / max(a['peak_mb'], 1e-9):.1f}. "
                  f"Marginal cost: {(b['graph_mb'] - a['graph_mb']) * MB / max(1, (b['edge_pmid_pairs'] + b['node_pmid_pairs'] + b['articles']) - (a['edge_pmid_pairs'] + a['node_pmid_pairs'] + a['articles'])):,.0f} "
                  f"bytes per added PMID entry."]
        L.append("")
    neo = data.get("neo4j")
    L += ["## Neo4j", ""]
    if not neo:
        L.append("Not run (`--skip-neo4j`).")
    elif neo.get("skipped"):
        L.append(f"Skipped: {neo['skipped']}.")
    else:
        L += [f"Server: Neo4j Community 5.26 from `scripts/neo4j`, its own home `<cache>/neo4j-bench`, Bolt "
              f"{NEO4J_BOLT_PORT}, heap 2g, page cache 1g; every first load starts from an empty database. Node phase = "
              "schema + entities + articles; relationship phase = entity relationships + `MENTIONS` (Article→Entity). "
              f"A load still running after {neo.get('budget_seconds', 0):.0f} s is stopped and its rates so far reported."
              + (f" This part was re-run on its own at {neo['rerun']} (`python -m bench --only-neo4j`), on the graph file "
                 "of the full run." if neo.get("rerun") else "")
              + (f" `kg/neo4j.py` {neo.get('loader_sha256_start', '?')}"
                 + (" (unchanged during the part)." if neo.get("loader_sha256_start") == neo.get("loader_sha256_end")
                    else f" → {neo.get('loader_sha256_end')}: **the loader was edited while this part ran**."))
              , ""]
        probe = neo.get("probe")
        if probe and "error" not in probe:
            n, r = load_rates(probe)
            L += [f"**The {probe['graph']} graph did not load within the budget**: a first load at batch "
                  f"{probe['batch_size']:,} had done {probe['rows_done']:,} of {probe['rows_total']:,} rows after "
                  f"{probe['seconds_run']:.0f} s ({_f(n, 0)} nodes/s" + (f", {_f(r, 0)} relationships/s" if r else ", still in the node phase")
                  + f"), so the batch-size series, reload and slice below ran on the `{Path(neo.get('plan_graph', '')).stem}` graph.", ""]
        L += ["| load | graph | batch | nodes | relationships | total s | node phase s | nodes/s | relationship phase s | relationships/s | in database (nodes / rels) |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        rows = ([probe] if probe else []) + list(neo.get("loads", []))
        if neo.get("reload"):
            rows.append(neo["reload"])
        rows += neo.get("slice", [])
        for r in rows:
            if "error" in r:
                L.append(f"| {r.get('kind', '')} | {r.get('graph', '')} | {r.get('batch_size', '')} | | | error: {r['error'][:200]} | | | | | |")
                continue
            n, rel = load_rates(r)
            if "stopped_after_budget" in r:
                L.append(f"| {r['kind']} (stopped) | {r['graph']} | {r['batch_size']:,} | {r['nodes_total']:,} | {r['relationships_total']:,} | "
                         f"> {r['seconds_run']:.0f} ({r['rows_done']:,} of {r['rows_total']:,} rows) | "
                         f"{_f(r.get('node_phase_seconds', r.get('node_phase_seconds_partial')), 1)} | {_f(n, 0)} | "
                         f"{_f(r.get('relationship_phase_seconds'), 1)} | {_f(rel, 0)} | |")
                continue
            L.append(f"| {r['kind']} | {r['graph']} | {r['batch_size']:,} | {r['nodes_total']:,} | {r['relationships_total']:,} | "
                     f"{r['load_seconds']:.1f} | {r['node_phase_seconds']:.1f} | {_f(n, 0)} | "
                     f"{r['relationship_phase_seconds']:.1f} | {_f(rel, 0)} | "
                     f"{_f(r.get('nodes'))} / {_f(r.get('relationships'))} |")
        exp, adm = neo.get("export", {}), neo.get("admin", {})
        L.append("")
        if "error" in adm:
            L.append(f"neo4j-admin import: error: {adm['error']}")
        elif adm:
            rate = adm["relationships"] / adm["import_seconds"] if adm.get("import_seconds") else None
            L += ["| bulk path | seconds | |", "|---|---:|---|",
                  f"| `kg export --format neo4j-csv` (library call) | {_f(exp.get('seconds'), 1)} | {exp.get('bytes_written', 0) / MB:,.0f} MB of CSV |",
                  f"| neo4j-admin database import (its own time) | {_f(adm.get('import_seconds'), 1)} | "
                  f"{_f(adm.get('nodes'))} nodes, {_f(adm.get('relationships'))} relationships → {_f(rate, 0)} rels/s |",
                  *[f"| — stage: {k} | {v:.2f} | " + (f"{adm['relationships'] / v:,.0f} rels/s" if k.startswith("Relationship") and v else "") + " |"
                    for k, v in adm.get("stages", {}).items()],
                  f"| `scripts/neo4j import DIR` → first query answered (stop, import, start, login) | {adm['seconds_to_queryable']:.1f} | "
                  f"database then holds {_f(adm.get('db_nodes'))} nodes / {_f(adm.get('db_relationships'))} relationships |"]
    L.append("")
    prof = data.get("profile")
    if prof:
        L += ["## Profile of `kg build` (cProfile, 1 worker)", ""]
        if "error" in prof:
            L.append(f"Profile failed: {prof['error']}")
        else:
            plain = _row(data["rows"], prof["corpus"], "kg build, 1 worker")
            bd = prof.get("breakdown") or {}
            reader = _row(data["rows"], prof["corpus"], "kg reader only")
            kgb, kgs = _row(data["rows"], prof["corpus"], "kg build"), _row(data["rows"], prof["corpus"], "kg build + save")
            if bd.get("engine") == "native":
                steps = bd["steps"]
                tot = sum(steps.values())
                what = {"read": "native reader, 1 thread: parse, normalize, aggregate (+ titles to Python)",
                        "merge": "merging the threads' states", "finish": "native finish: sort PMIDs, choose types "
                        "and names, Python objects", "assemble": "`_assemble`: NetworkX dicts (Python)"}
                L += [f"Where the time of a 1-thread build goes ({prof['corpus']}, the native reader's own clock, "
                      f"best of 2, {bd['seconds']:.2f} s in all):", "", "| step | seconds | share |", "|---|---:|---:|"]
                L += [f"| {what.get(k, k)} | {v:.2f} | {v / tot:.0%} |" for k, v in steps.items()]
                if kgb and kgs:
                    L.append(f"| `kg.write_graph` (extra time of `kg build + save` over `kg build`) | {kgs['seconds'] - kgb['seconds']:.2f} | |")
                L.append("")
            elif bd and reader:
                add_s = bd["read_and_add_seconds"] - reader["seconds"]
                tot = bd["seconds"]
                L += [f"Where the time of a 1-process build goes, without a profiler ({prof['corpus']}, best of 2; "
                      "the reader's share is the `kg reader only` row above):", "",
                      "| step | seconds | share |", "|---|---:|---:|",
                      f"| reading: `parse_pubtator` → `Document`s | {reader['seconds']:.2f} | {reader['seconds'] / tot:.0%} |",
                      f"| `GraphBuilder.add` (normalize, index, aggregate) | {add_s:.2f} | {add_s / tot:.0%} |",
                      f"| `GraphBuilder.graph()` (sort, choose names, NetworkX graph) | {bd['graph_seconds']:.2f} | {bd['graph_seconds'] / tot:.0%} |",
                      f"| total (reader + add + graph) | {tot:.2f} | |"]
                if kgb and kgs:
                    L.append(f"| `kg.write_graph` (extra time of `kg build + save` over `kg build`) | {kgs['seconds'] - kgb['seconds']:.2f} | |")
                L.append("")
            L += [f"Corpus {prof['corpus']}: {_f(plain['seconds'] if plain else None, 2)} s without the profiler "
                  f"(best of the rounds above), {prof['seconds_run']:.2f} s under cProfile. Top functions by own time:",
                  "", "```", prof["tottime"], "```", "",
                  "By cumulative time:", "", "```", prof["cumulative"], "```", ""]
            if data.get("profile_reading"):
                L += ["Reading:", "", data["profile_reading"], ""]
    L += ["## Method notes", "",
          "- Corpora: `python -m bench.generate` scales the shared real corpora (BC5CDR, BioRED, NCBI-disease, tmVar, "
          "PubTator3 exports, PubTator bulk offset files, the seed) by copying them with every PMID renumbered "
          "(+10⁸ per copy, on every line of the document); annotation and relation ids are kept. `relations` = BioRED "
          "only (relation-heavy); `annotations` = the whole mix with relation lines removed (annotation-only, like "
          "NCBI-disease). Cached under `~/.cache/kg-bench/corpora`, written once.",
          "- bioc: `bioc.pubtator.iterparse` over each file (the streaming reader; `load()` reads whole files); its "
          "'Cannot parse' prints go to a buffer. It builds no graph, normalizes nothing and reports nothing.",
          "- NetMedEx: `PubTatorIO.parse(file)` (whole file into memory) → `PubTatorGraphBuilder(node_type).add_collection` "
          "for every file into one builder → `build(weighting_method='freq', edge_weight_cutoff=0, community=False)`; its "
          "warnings are disabled (they would print one line per unmatched variant). It only takes 6-column annotations "
          "and 4-column relations, keeps 8 entity types and drops annotations without an id in relation mode, so its "
          "graph is smaller than kg's.",
          "- kg: `kg.build(folder)` with full normalization, the build report (every line accounted for) and article "
          "titles; `+ save` adds `kg.write_graph` (node-link JSON). Default workers = kg's own choice.",
          "- The floor: `for line in open(f, 'rb'): line.split(b'\\t')` (and the same on decoded text).",
          ""]
    text = "\n".join(L)
    path.write_text(text)
    return text


# -- main ---------------------------------------------------------------------------------


def report_only(src: Path, out_md: Path | None) -> int:
    data = json.loads(src.read_text())
    out_md = out_md or src.with_name("RESULTS.md")
    data["checks"] = evaluate(data["rows"], data["sizes"], data.get("neo4j"))
    reading = BENCH / "profile-reading.md"
    if reading.is_file() and data.get("profile") and "error" not in data["profile"]:
        data["profile_reading"] = reading.read_text().strip()
    write_report(out_md, data)
    src.write_text(json.dumps(data, indent=1, default=str))
    py = generate.default_cache() / "venv-peers" / "bin" / "python"
    subprocess.run([str(py if py.exists() else sys.executable), str(BENCH / "plot.py"), str(src),
                    str(out_md.with_name(data.get("png_name", "benchmark.png")))], check=False)
    print(f"wrote {out_md}")
    return 0



def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description="kg against peers; Neo4j load rates.")
    ap.add_argument("--quick", action="store_true", help="1× only, fewer rounds, a small Neo4j part (< 5 min)")
    ap.add_argument("--sizes", default=None, help="corpus sizes, e.g. 1,4,16 (default 1,4,16; --quick: 1)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per corpus (default 3; --quick 2, variants 1)")
    ap.add_argument("--skip-neo4j", action="store_true")
    ap.add_argument("--skip-variants", action="store_true")
    ap.add_argument("--neo4j-budget", type=float, default=None,
                    help="seconds a driver load may take before it is stopped and its rates reported "
                         "(default 150; --quick 60)")
    ap.add_argument("--skip-profile", action="store_true")
    ap.add_argument("--cache", type=Path, default=generate.default_cache())
    ap.add_argument("--venv", type=Path, default=None, help="peers' virtualenv (default <cache>/venv-peers)")
    ap.add_argument("--out", type=Path, default=None, help="RESULTS.md path (default bench/RESULTS.md; --quick: <cache>)")
    ap.add_argument("--only-neo4j", type=Path, default=None, metavar="RESULTS_JSON",
                    help="re-run only the Neo4j part and re-write the report of an earlier full run")
    ap.add_argument("--report-only", type=Path, default=None, metavar="RESULTS_JSON",
                    help="only re-write RESULTS.md and the plot from a results.json of an earlier run")
    args = ap.parse_args(argv)
    if args.report_only:
        return report_only(args.report_only, args.out)
    if args.only_neo4j:
        data = json.loads(args.only_neo4j.read_text())
        cache = args.cache.expanduser()
        big = cache / "graphs" / f"{generate.size_name(max(data['sizes']))}.json"
        small = cache / "graphs" / f"{generate.size_name(min(data['sizes']))}.json"
        t0 = time.perf_counter()
        data["neo4j"] = neo4j_part(big, small, cache, os.path.realpath(sys.executable), [1_000, 10_000, 50_000],
                                   slice_k=2000, budget=args.neo4j_budget or 150.0)
        data["neo4j"]["rerun"] = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        data["wall_minutes_neo4j_rerun"] = (time.perf_counter() - t0) / 60
        args.only_neo4j.write_text(json.dumps(data, indent=1, default=str))
        return report_only(args.only_neo4j, args.out)
    t_start = time.perf_counter()
    sizes = [int(s) for s in (args.sizes or ("1" if args.quick else "1,4,16")).split(",") if s]
    cache = args.cache.expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    out_md = args.out or ((cache / "RESULTS-quick.md") if args.quick else BENCH / "RESULTS.md")
    out_json = out_md.with_name("results-quick.json" if args.quick else "results.json")
    out_png = out_md.with_name("benchmark-quick.png" if args.quick else "benchmark.png")

    peers_py = ensure_venv((args.venv or cache / "venv-peers").expanduser())
    py_kg = os.path.realpath(sys.executable)  # the interpreter itself, not a shim script
    import inspect

    import kg

    has_workers = "workers" in inspect.signature(kg.build).parameters
    log(f"kg.build workers= parameter: {'yes' if has_workers else 'no (n/a)'}")
    corpora = generate.ensure_all(cache, sizes, variants=not args.skip_variants, log=log)
    manifests = {name: generate.read_manifest(p) for name, p in corpora.items()}
    machine = machine_info(peers_py)
    results: list[dict] = []
    graphs = cache / "graphs"
    graphs.mkdir(exist_ok=True)
    names = []
    for k in sizes:
        name = generate.size_name(k)
        rounds = args.rounds or (2 if args.quick else 3)
        log(f"{name}: {manifests[name]['bytes'] / MB:.0f} MB, {rounds} rounds")
        measure(name, corpora[name], competitors(corpora[name], graphs / f"{name}.json", has_workers), rounds,
                py_kg, str(peers_py), results)
        names.append(name)
    if not args.skip_variants:
        for v in generate.VARIANTS:
            rounds = args.rounds or (1 if args.quick else 3)
            log(f"{v}: {manifests[v]['bytes'] / MB:.0f} MB, {rounds} rounds")
            measure(v, corpora[v], competitors(corpora[v], graphs / f"{v}.json", has_workers, variant=v), rounds,
                    py_kg, str(peers_py), results)
            names.append(v)
    profile = None
    if not args.skip_profile:
        pk = 4 if 4 in sizes else min(sizes)
        log(f"profiling kg build on {pk}x (cProfile, 1 worker)")
        profile = profile_kg(corpora[generate.size_name(pk)], py_kg, cache)
    neo = None
    if not args.skip_neo4j:
        big = generate.size_name(max(sizes))
        graph = graphs / f"{big}.json"
        if not graph.is_file():
            neo = {"skipped": f"no saved graph {graph} (kg build + save failed?)"}
        else:
            batches = [10_000] if args.quick else [1_000, 10_000, 50_000]
            small = graphs / f"{generate.size_name(min(sizes))}.json"
            budget = args.neo4j_budget or (60.0 if args.quick else 150.0)
            neo = neo4j_part(graph, small, cache, py_kg, batches, slice_k=300 if args.quick else 2000, budget=budget)
            if neo.get("skipped"):
                log(f"neo4j: skipped: {neo['skipped']}")
    data = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine, "sizes": sizes, "corpora": names, "manifests": {k: {kk: vv for kk, vv in v.items() if kk != "plan"} for k, v in manifests.items()},
        "rows": results, "neo4j": neo, "profile": profile,
        "wall_minutes": (time.perf_counter() - t_start) / 60,
        "json_name": out_json.name, "png_name": out_png.name,
    }
    data["checks"] = evaluate(results, sizes, neo)
    reading = BENCH / "profile-reading.md"
    if reading.is_file() and profile and "error" not in profile:
        data["profile_reading"] = reading.read_text().strip()
    out_json.write_text(json.dumps(data, indent=1, default=str))
    p = subprocess.run([str(peers_py), str(BENCH / "plot.py"), str(out_json), str(out_png)], capture_output=True, text=True)
    if p.returncode != 0:
        log(f"plot failed: {p.stderr.strip()[-300:]}")
    data["wall_minutes"] = (time.perf_counter() - t_start) / 60
    write_report(out_md, data)
    out_json.write_text(json.dumps(data, indent=1, default=str))
    # The table on the terminal.
    for corpus in names:
        print(f"\n{corpus}")
        for line in table(results, corpus):
            print(line)
    print("\nTargets:")
    for c in data["checks"]:
        print(f"  [{'met' if c['met'] else 'MISSED'}] {c['target']}: {c['value']}")
    print(f"\nwrote {out_md}, {out_json.name}, {out_png.name} in {data['wall_minutes']:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
