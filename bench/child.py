"""One measurement, run in a fresh process: ``python bench/child.py TASK [options]``.

Run by file path (not ``-m``) so that the peers' virtualenv, which has no ``kg``, can
run it too. Prints one JSON object on the last line of stdout:

``seconds``       wall time of the work itself (files read → result in memory / on disk),
                  without interpreter start-up and imports (``import_seconds``);
``rss_base_mb``   resident memory after the imports, before the work;
``rss_peak_mb``   peak resident memory of this process (``ru_maxrss``); worker processes
                  are in ``rss_peak_children_mb`` (the largest one);
``rss_after_mb``  resident memory right after the work, result still held, once glibc has
                  given freed pages back (``malloc_trim``): for builders, what the finished
                  graph needs plus the interpreter, not the high-water mark of the heap.

Tasks
-----
split-bytes DIR / split-str DIR   the floor: every line split on tabs (bytes / decoded str)
bioc DIR                           bioc.pubtator.iterparse over every file (parse only)
netmedex DIR --mode relation|all   NetMedEx PubTatorIO.parse + PubTatorGraphBuilder.build
kg DIR [--co-mentions] [--save F] [--workers N] [--profile F]   kg.build (+ kg.write_graph)
kg-parse DIR                       kg.pubtator.read_pubtator over every file (the reader alone)
kg-breakdown DIR                   GraphBuilder.add over the reader, then GraphBuilder.graph() (timed apart)
kg-export GRAPH OUT                kg.read_graph + kg.export_graph(.., "neo4j-csv", OUT)
neo4j-load GRAPH --batch N [--slice K] --uri U --password P   kg.neo4j.load_graph
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

T_START = time.perf_counter()


def _rss_now_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _malloc_trim() -> None:
    """Give freed heap pages back to the system (glibc), so that RSS shows live memory."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _peak_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
                out += kids
                todo += kids
        except OSError:
            pass
    return out


class TreeSampler:
    """Peak proportional set size (PSS) of this process and its workers, sampled.

    PSS splits pages shared after a fork between the processes that share them, so the
    sum over the tree is what the tree really occupies (RSS would count them twice).
    """

    def __init__(self, interval: float = 0.05):
        import threading

        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            total = _pss_kb(me) + sum(_pss_kb(p) for p in _descendants(me))
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _files(d: str) -> list[Path]:
    root = Path(d)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))


def _bytes(files) -> int:
    return sum(f.stat().st_size for f in files)


# -- tasks: each returns (result dict); timing and memory are added by main() ------------


def task_split_bytes(args, clock):
    files = _files(args.path)
    clock.start()
    n = cols = 0
    for f in files:
        with open(f, "rb", buffering=1 << 20) as fh:
            for line in fh:
                n += 1
                cols += len(line.split(b"\t"))
    clock.stop()
    return {"lines": n, "columns": cols, "bytes": _bytes(files), "files": len(files)}


def task_split_str(args, clock):
    files = _files(args.path)
    clock.start()
    n = cols = 0
    for f in files:
        with open(f, encoding="utf-8", errors="replace", buffering=1 << 20) as fh:
            for line in fh:
                n += 1
                cols += len(line.split("\t"))
    clock.stop()
    return {"lines": n, "columns": cols, "bytes": _bytes(files), "files": len(files)}


def task_bioc(args, clock):
    import contextlib
    import io

    import bioc
    import bioc.pubtator

    files = _files(args.path)
    docs = anns = rels = 0
    sink = io.StringIO()  # bioc prints 'Cannot parse' lines; keep them off the terminal
    clock.start()
    with contextlib.redirect_stdout(sink):
        for f in files:
            with open(f, encoding="utf-8") as fh:
                for doc in bioc.pubtator.iterparse(fh):
                    docs += 1
                    anns += len(doc.annotations)
                    rels += len(doc.relations)
            sink.seek(0)
            sink.truncate()
    clock.stop()
    return {"documents": docs, "annotations": anns, "relations": rels, "bytes": _bytes(files),
            "version": getattr(bioc, "__version__", "")}


def task_netmedex(args, clock):
    import logging
    from importlib.metadata import version

    logging.disable(logging.WARNING)  # its per-relation warnings would dominate otherwise
    from netmedex.graph import PubTatorGraphBuilder
    from netmedex.pubtator_parser import PubTatorIO

    files = _files(args.path)
    clock.start()
    builder = PubTatorGraphBuilder(node_type=args.mode)
    for f in files:
        builder.add_collection(PubTatorIO.parse(f))  # one file's collection at a time
    G = builder.build(weighting_method="freq", edge_weight_cutoff=0, community=False, max_edges=0)
    clock.stop()
    pairs = sum(len(d.get("relations", ())) for _, _, d in G.edges(data=True))
    return {"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "edge_pmid_pairs": pairs,
            "articles": builder.num_articles, "bytes": _bytes(files), "version": version("netmedex")}


def _graph_stats(G) -> dict:
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "node_pmid_pairs": sum(len(d.get("pmids", ())) for _, d in G.nodes(data=True)),
        "edge_pmid_pairs": sum(len(d.get("pmids", ())) for _, _, d in G.edges(data=True)),
        "articles": len(G.graph.get("articles", {})),
    }


def task_kg(args, clock):
    import inspect

    import kg

    files = [args.path]
    kwargs = {"co_mentions": args.co_mentions}
    if args.engine:
        kwargs["engine"] = args.engine
    if args.workers is not None:
        if "workers" not in inspect.signature(kg.build).parameters:
            return {"skipped": "kg.build has no workers= parameter"}
        kwargs["workers"] = args.workers
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
    sampler = TreeSampler() if args.workers != 1 else None
    clock.start()
    if sampler is not None:
        sampler.__enter__()
    if prof is not None:
        prof.enable()
    result = kg.build(files, **kwargs)
    if args.save:
        kg.write_graph(result.graph, args.save)
    if prof is not None:
        prof.disable()
    clock.stop()
    if sampler is not None:
        sampler.__exit__()
    out = _graph_stats(result.graph)
    if sampler is not None:
        out["tree_pss_peak_mb"] = sampler.peak_kb / 1024
    out.update(documents=result.report.documents, reconciles=result.report.reconciles(),
               bytes=_bytes(_files(args.path)), version=kg.__version__)
    if args.save:
        out["saved_bytes"] = os.path.getsize(args.save)
    if prof is not None:
        prof.dump_stats(args.profile)
    return out


def task_kg_parse(args, clock):
    from kg.pubtator import LineCounts, read_pubtator

    files = _files(args.path)
    docs = anns = rels = 0
    counts = LineCounts()
    clock.start()
    for f in files:
        for doc in read_pubtator(f, on_reject=lambda r: None, counts=counts):
            docs += 1
            anns += len(doc.annotations)
            rels += len(doc.relations)
    clock.stop()
    return {"documents": docs, "annotations": anns, "relations": rels, "lines": counts.lines, "bytes": _bytes(files)}


def task_kg_breakdown(args, clock):
    """Unprofiled split of a 1-process build: reading+adding documents, then graph().

    With the native reader (1 thread): its own clock of reading, merging and finishing,
    then the Python assembly; otherwise the Python reader and builder, timed apart."""
    from kg import native
    from kg.builder import BuildReport, GraphBuilder, gc_paused as _gc_paused
    from kg.pubtator import read_pubtator

    files = _files(args.path)
    if native.available() and args.engine != "python":
        clock.start()
        with _gc_paused():
            builder = native.read_files([(str(f), "pubtator") for f in files], False, args.co_mentions, True,
                                        threads=1, finish=True)
            G = builder.graph()
        clock.stop()
        return {"engine": "native", "steps": builder.seconds, "nodes": G.number_of_nodes(),
                "edges": G.number_of_edges(), "bytes": _bytes(files)}
    clock.start()
    t0 = time.perf_counter()
    builder = GraphBuilder(BuildReport(), co_mentions=args.co_mentions)
    for f in files:
        for doc in read_pubtator(f, on_reject=lambda r: None):
            builder.add(doc)
    t1 = time.perf_counter()
    G = builder.graph()
    t2 = time.perf_counter()
    clock.stop()
    return {"engine": "python", "read_and_add_seconds": t1 - t0, "graph_seconds": t2 - t1, "nodes": G.number_of_nodes(),
            "edges": G.number_of_edges(), "bytes": _bytes(files)}


def task_kg_export(args, clock):
    import kg

    G = kg.read_graph(args.path)
    clock.start()
    written = kg.export_graph(G, "neo4j-csv", args.out)
    clock.stop()
    return {"files": [str(p) for p in written], "bytes_written": sum(Path(p).stat().st_size for p in written)}


def _slice(G, k: int):
    """The first `k` entity relationships (sorted), their entities and their articles."""
    import networkx as nx

    edges = sorted(G.edges(keys=True))[:k]
    nodes = {u for u, _, _ in edges} | {v for _, v, _ in edges}
    H = nx.MultiDiGraph()
    H.add_nodes_from((n, G.nodes[n]) for n in sorted(nodes))
    H.add_edges_from((u, v, key, G.edges[u, v, key]) for u, v, key in edges)
    arts = G.graph.get("articles", {})
    pmids = {p for n in nodes for p in G.nodes[n].get("pmids", ())}
    H.graph["articles"] = {p: t for p, t in arts.items() if p in pmids}
    return H


def task_neo4j_load(args, clock):
    import kg
    from kg.neo4j import load_graph

    G = kg.read_graph(args.path)
    if args.slice:
        G = _slice(G, args.slice)
    articles = {} if args.no_articles else G.graph.get("articles", {})
    n_entities = G.number_of_nodes()
    n_articles = len(articles)
    n_rels = G.number_of_edges()
    art = set(articles)
    n_mentions = sum(1 for _, d in G.nodes(data=True) for p in d.get("pmids", ()) if p in art)
    node_rows = n_entities + n_articles
    marks: dict[str, float] = {}
    last = {"done": 0, "t": 0.0}

    class OverBudget(Exception):
        pass

    def progress(done, total, _):
        now = time.perf_counter()
        last["done"], last["t"] = done, now
        if done >= node_rows and "nodes_done" not in marks:
            marks["nodes_done"] = now
        if args.budget and now - t0 > args.budget and done < total:
            raise OverBudget

    t0 = time.perf_counter()
    clock.start()
    try:
        summary = load_graph(G, uri=args.uri, auth=("neo4j", args.password), database="neo4j",
                             batch_size=args.batch, progress=progress, articles=not args.no_articles)
    except OverBudget:
        clock.stop()
        done, t = last["done"], last["t"]
        out = {"batch_size": args.batch, "stopped_after_budget": args.budget,
               "nodes_total": node_rows, "relationships_total": n_rels + n_mentions,
               "rows_done": done, "rows_total": node_rows + n_rels + n_mentions, "seconds_run": t - t0}
        if "nodes_done" in marks:
            out["node_phase_seconds"] = marks["nodes_done"] - t0
            out["relationships_done"] = done - node_rows
            out["relationship_phase_seconds"] = t - marks["nodes_done"]
        else:
            out["nodes_done"] = done
            out["node_phase_seconds_partial"] = t - t0
        return out
    clock.stop()
    t1 = time.perf_counter()
    t_nodes_end = marks.get("nodes_done", t1)
    return {
        "batch_size": args.batch,
        "entities": n_entities, "articles": n_articles, "entity_relationships": n_rels,
        "mentions": n_mentions,
        "nodes_total": node_rows, "relationships_total": n_rels + n_mentions,
        "nodes_created": summary.nodes_created, "nodes_updated": summary.nodes_updated,
        "relationships_created": summary.relationships_created,
        "relationships_updated": summary.relationships_updated,
        "load_seconds": summary.seconds,
        "node_phase_seconds": t_nodes_end - t0,
        "relationship_phase_seconds": t1 - t_nodes_end,
    }


class Clock:
    def __init__(self):
        self.t0 = self.t1 = None
        self.rss_base = None

    def start(self):
        gc.collect()
        self.rss_base = _rss_now_mb()
        self.t0 = time.perf_counter()

    def stop(self):
        self.t1 = time.perf_counter()
        _malloc_trim()
        self.rss_after = _rss_now_mb()  # the result is still held by the task


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench/child.py")
    ap.add_argument("task")
    ap.add_argument("path")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--mode", default="all")
    ap.add_argument("--co-mentions", action="store_true")
    ap.add_argument("--save")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--engine", help="kg: auto | native | python")
    ap.add_argument("--profile")
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--slice", type=int, default=0)
    ap.add_argument("--no-articles", action="store_true", help="neo4j-load: articles=False")
    ap.add_argument("--budget", type=float, default=0, help="neo4j-load: stop after this many seconds")
    ap.add_argument("--uri", default="bolt://127.0.0.1:7689")
    ap.add_argument("--password", default="kgpassword")
    args = ap.parse_args(argv)
    tasks = {"split-bytes": task_split_bytes, "split-str": task_split_str, "bioc": task_bioc,
             "netmedex": task_netmedex, "kg": task_kg, "kg-parse": task_kg_parse, "kg-breakdown": task_kg_breakdown, "kg-export": task_kg_export,
             "neo4j-load": task_neo4j_load}
    clock = Clock()
    t_imports = time.perf_counter()
    out = tasks[args.task](args, clock)
    if clock.t0 is not None and clock.t1 is not None:
        out["seconds"] = clock.t1 - clock.t0
        out["import_seconds"] = clock.t0 - t_imports
        out["rss_base_mb"] = clock.rss_base
        out["rss_after_mb"] = clock.rss_after
    out["rss_peak_mb"] = _peak_mb()
    out["rss_peak_children_mb"] = _peak_mb(resource.RUSAGE_CHILDREN)
    out["python"] = sys.version.split()[0]
    out["task"] = args.task
    sys.stdout.flush()
    print("\n" + json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
