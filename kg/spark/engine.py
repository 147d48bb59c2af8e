"""The Spark job: files → chunks → kg's reader per chunk → facts merged by Spark → kg's finish → tables and exports.

Stages (each a Spark job; nothing big is collected to the driver):

1. **split** (one task per input file): cut files into chunks that kg's readers read
   exactly as the whole file (:mod:`kg.spark.chunks`); gzip is gunzipped here, streaming.
2. **read** (one task per chunk, ``mapInArrow``): kg's reader over the chunk. A bulk
   concept or relation chunk (most of PubTator3) gives flat rows with kg's rules already
   applied to each line by kg's functions, their answers cached per distinct value
   (:mod:`kg.spark.concepts`, :mod:`kg.spark.relations`), and its documents as articles;
   any other chunk goes through a :class:`~kg.builder.GraphBuilder` whose partial graph
   is written as facts (:mod:`kg.spark.records`). All with the reader's report, to one
   staging Parquet table.
3. **merge and finish**: the node and edge facts of all inputs are merged by Spark (equal
   facts summed: a shuffle that spills to disk), and each node, edge and PMID is
   finished by kg's functions (:func:`~kg.builder.finish_node`,
   :func:`~kg.builder.finish_edge`, :func:`~kg.normalize.choose_title`, ``mapInArrow``):
   one merge and one finish for every input. The same Python pass makes each node's and
   edge's export lines (kg's row functions, :func:`kg.spark.export.node_lines`).
4. **write**: Parquet tables ``entities``, ``relations``, ``articles``, ``mentions``; the
   neo4j-admin CSV folder and KGX (the lines of the finish; MENTIONS and Article rows that
   need no CSV quoting joined by Spark, the others by kg's row functions), concatenated
   under one header per file; ``report.json``.

The driver holds the chunk list, the per-chunk reports (merged into one
:class:`~kg.builder.BuildReport`: what the in-memory engine reports) and the small
tallies (nodes and edges by type, type conflicts).
Memory: a read task holds at most one batch of rows (bulk concepts) or one chunk's
builder (chunks are at most 16 MB whatever the input); the merge holds one node's or
edge's facts at a time.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

from ..build import input_files
from ..builder import BuildReport
from ..errors import InputError, ParseError
from .chunks import Chunk, split_file
from ..io import NEO4J_OPTIONAL_COLUMNS
from .export import (NODE_LINE_COLUMNS, OUTPUTS, TEXT_SCHEMA, article_lines, entity_rows, headers, mention_lines,
                     optional_columns)
from .concepts import concept_node_facts
from .read import read_chunk, read_concepts, read_relations
from .records import (ARTICLE_SCHEMA, FINISHED_EDGE_SCHEMA, FINISHED_SCHEMA, PARTIAL_SCHEMA, article_batch,
                      concept_batch, finish_articles, finish_edges, finish_nodes, partial_batches, relation_batch,
                      report_batch)
from .relations import (LINE_SCHEMA, add_relation_tallies, relation_edge_facts, relation_node_facts,
                        resolve_relations)

__all__ = ["build_spark", "SparkBuildResult", "spark_session", "TABLES"]

log = logging.getLogger(__name__)

#: Parquet tables written under OUTDIR.
TABLES = ("entities", "relations", "articles", "mentions")
#: Chunk size bounds: big enough that a task's start-up is noise, small enough that a
#: task's builder stays a few hundred MB.
MIN_CHUNK, MAX_CHUNK = 1 << 20, 16 << 20


class SparkBuildResult(NamedTuple):
    """What :func:`build_spark` wrote: the report, the output folder, its files and timings."""

    report: BuildReport
    outdir: Path
    outputs: dict[str, Path]
    seconds: dict[str, float]


def _loopback(master: str) -> bool:
    return master.startswith("local") or any(h in master for h in ("//127.0.0.1", "//localhost"))


def spark_session(master: str | None = "local[*]", *, app: str = "kg build", local_dir: str | None = None,
                  driver_memory: str | None = None, conf: dict[str, str] | None = None):
    """A SparkSession for kg (getOrCreate: an active session is reused as it is).

    On a local master or a cluster on this machine every port binds to 127.0.0.1 and the
    web UI is off; executors run this Python (``PYSPARK_PYTHON``), which must have kg.
    `master` None keeps the one ``spark-submit --master`` gave.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise InputError("the Spark engine needs PySpark: pip install 'kg[spark]'") from err
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app)
    if master is not None:
        builder = builder.master(master)
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "5000",
        "spark.sql.adaptive.enabled": "true",
        "spark.python.worker.reuse": "true",
        "spark.executorEnv.PYSPARK_PYTHON": sys.executable,
    }
    if master is not None and _loopback(master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        settings.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"})
    if local_dir:
        settings["spark.local.dir"] = local_dir
    if driver_memory:
        settings["spark.driver.memory"] = driver_memory
    settings.update(conf or {})
    for k, v in settings.items():
        builder = builder.config(k, v)
    return builder.getOrCreate()


def build_spark(
    paths,
    outdir: str | os.PathLike,
    *,
    master: str | None = None,
    partitions: int | None = None,
    strict: bool = False,
    co_mentions: bool = False,
    articles: bool = True,
    chunk_bytes: int | None = None,
    spark=None,
    vocab: str | os.PathLike | None = None,
    builtin_names: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SparkBuildResult:
    """Build the graph of `paths` on Spark into tables and export files under `outdir`.

    Parameters
    ----------
    paths : path or list of paths
        Files and folders, as for :func:`kg.build`; every executor must see them at the
        same path (one machine, or a shared file system).
    outdir : path
        Written: ``entities/``, ``relations/``, ``articles/``, ``mentions/`` (Parquet),
        ``neo4j-csv/`` (as ``kg export --format neo4j-csv``), ``kgx/`` (as ``--format kgx``)
        and ``report.json``. Replaced if it exists. Must be on a file system the executors
        share with the driver.
    master : str, optional
        Spark master URL (``local[*]`` by default; ``spark://host:7077``, ``yarn``, ``k8s://…``).
    partitions : int, optional
        Partitions of the merge shuffles (default: 3 per core, at least one per 64 MB of input).
    strict, co_mentions, articles
        As for :func:`kg.build`. With `strict` the whole input is read, then the first
        rejected record in file and line order raises, as the in-memory engine would
        have, and nothing is written.
    chunk_bytes : int, optional
        Target size of one read task (default: the input over 4 tasks per core, 1–16 MB).
    spark : SparkSession, optional
        Use this session instead of making one from `master`.
    vocab, builtin_names
        As for :func:`kg.build`; vocabulary files are not read by the Spark engine yet
        (an :class:`~kg.errors.InputError` says so), the built-in names are applied.
    progress : callable, optional
        Called with a line of text as each stage ends, and every half minute with the
        running Spark stage's tasks done (a whole-PubTator3 build runs for hours).

    Returns
    -------
    SparkBuildResult
        The merged :class:`~kg.builder.BuildReport` (the in-memory engine's report for the
        same input), the output folder, its files and the seconds per stage.

    Notes
    -----
    Memory: a read task holds one batch of concept rows or one chunk's builder (chunks of
    at most 16 MB); the merge holds one group (a node's or an edge's facts) at a time and
    spills the shuffle to disk; the driver holds the chunk list and the report (rejected
    lines included, as the in-memory report does).
    """
    t_start = time.perf_counter()
    if vocab is not None:
        raise InputError("the Spark engine does not read vocabulary files yet (--vocab): build without it, "
                         "or with the in-memory engine")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [str(p) for p in paths]
    files, skipped = input_files(paths, strict)
    out = Path(outdir).resolve()
    staging = out / "_staging"
    if out.exists():
        shutil.rmtree(out)
    (staging / "chunks").mkdir(parents=True)
    if spark is None:
        submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # run by spark-submit: its --master holds
        spark = spark_session(master or (None if submitted else "local[*]"), local_dir=str(staging / "spark-local"))
    sc = spark.sparkContext
    cores = max(1, sc.defaultParallelism)
    total = sum(os.path.getsize(p) for p, _ in files)
    if chunk_bytes is None:
        chunk_bytes = min(MAX_CHUNK, max(MIN_CHUNK, total // (4 * cores) + 1))
    if partitions is None:
        partitions = max(3 * cores, total // MAX_CHUNK + 1)
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    # a task writes its rows of each kind to a file of its own as they come (no sort of
    # the whole task's rows by kind before the partitioned write)
    spark.conf.set("spark.sql.maxConcurrentOutputFileWriters", "16")
    # no join is broadcast by size (the distinct ids and mention lists grow with the input:
    # a broadcast of them is memory that grows); the tiny ones are hinted where they are made
    for key in ("spark.sql.autoBroadcastJoinThreshold", "spark.sql.adaptive.autoBroadcastJoinThreshold"):
        spark.conf.set(key, "-1")
    clock = _Clock(progress)
    seconds = clock.seconds
    watcher = _TaskWatcher(sc, clock) if progress is not None else None
    try:
        return _stages(spark, sc, clock, files, skipped, paths, out, staging, chunk_bytes, strict, co_mentions,
                       articles, builtin_names, t_start)
    finally:
        if watcher is not None:
            watcher.stop()


def _stages(spark, sc, clock, files, skipped, paths, out, staging, chunk_bytes, strict, co_mentions, articles,
            builtin_names, t_start) -> SparkBuildResult:
    """The stages of :func:`build_spark`, each timed by `clock`."""
    seconds = clock.seconds
    # 1. split
    clock.begin("split")
    jobs = [(i, p, fmt) for i, (p, fmt) in enumerate(files)]
    jobs.sort(key=lambda j: -os.path.getsize(j[1]))
    chunk_dir = str(staging / "chunks")
    chunks: list[Chunk] = []
    if files:
        chunks = sc.parallelize(jobs, len(jobs)).flatMap(
            lambda j: split_file(j[1], j[2], j[0], chunk_bytes, chunk_dir)).collect()
    chunks.sort(key=lambda c: -c.size)  # largest first: the last tasks are short
    clock.end(f"{len(files)} files, {sum(c.size for c in chunks) / 1e6:,.0f} MB in {len(chunks):,} chunks")

    # 2. read
    clock.begin("read")
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    descriptors = spark.createDataFrame(
        sc.parallelize([(pickle.dumps(c),) for c in chunks], max(1, len(chunks))), "chunk binary")

    def read_tasks(batches):
        for batch in batches:
            for blob in batch.column("chunk").to_pylist():
                chunk = pickle.loads(blob)
                info = {"file": chunk.file_index, "chunk": chunk.index}
                if chunk.fmt == "bulk-concepts" and not co_mentions:  # aggregated by Spark (kg.spark.concepts)
                    part = BuildReport()
                    for cols, pmids in read_concepts(chunk, part):
                        if cols["pmid"]:
                            yield concept_batch(cols)
                        if articles and pmids:  # every document is an article without a title
                            yield article_batch(pmids)
                    yield report_batch({**info, "lines": part.lines.lines, "documents": part.documents,
                                        "report": part})
                    continue
                if chunk.fmt == "bulk-relations":  # aggregated by Spark (kg.spark.relations)
                    part = BuildReport()
                    for cols in read_relations(chunk, part):
                        yield relation_batch(resolve_relations(cols, chunk.file_index))
                        if articles:
                            yield article_batch(list(dict.fromkeys(cols["pmid"])))
                    yield report_batch({**info, "lines": part.lines.lines, "documents": part.documents,
                                        "report": part})
                    continue
                result = read_chunk(chunk, co_mentions=co_mentions, articles=articles)
                yield from partial_batches(result, {**info, "lines": result.lines, "documents": result.documents,
                                                    "report": result.builder.report})

    partial_path = str(staging / "partials")
    descriptors.mapInArrow(read_tasks, from_arrow_schema(PARTIAL_SCHEMA)) \
        .write.mode("overwrite").partitionBy("kind").parquet(partial_path)
    report = _merged_report(spark, partial_path, files)
    clock.end(f"{report.lines.lines:,} lines, {report.documents:,} documents, {report.lines.rejected:,} rejected")
    report.skipped_files = skipped
    partials = spark.read.parquet(partial_path)
    kind = F.col("kind")
    clock.begin("relations")
    relation_lines = partials.where(kind == "relation").select(*LINE_SCHEMA.names)
    add_relation_tallies(report, relation_lines, [p for p, _ in files])
    order = {p: i for i, (p, _) in enumerate(files)}  # the in-memory engine's order: by file, then line
    for entries in (report.unresolved_relations, report.self_relations):
        entries.sort(key=lambda r: (order[r["path"]], r["line"]))
    clock.end()
    if strict:
        _raise_first(report, files)
    if report.documents == 0:
        why = "; ".join(f"{s['path']}: {s['reason']}" for s in skipped[:5])
        raise InputError(f"no PubTator documents found in {', '.join(paths)}" + (f" ({why})" if why else ""))

    # 3. merge and finish: the builders' facts and the concept lines' facts, merged by Spark
    # (sums of equal facts), each node's and edge's finished by kg's functions
    clock.begin("merge")
    lap = clock.lap
    concepts = partials.where(kind == "concept").select("pmid", "id", "etype", "refs", "n", "forms")
    node_facts = partials.where(kind == "node").select("id", "fact", "a", "b", "n", "o") \
        .unionByName(concept_node_facts(concepts)).unionByName(relation_node_facts(relation_lines))
    # a node's PMIDs reach Python as one list (its largest fact), repeats and all (node_record
    # makes a set of them): they skip the sums, one shuffle instead of two
    is_pmid = F.col("fact") == "pmid"
    null_fact = F.lit(None).cast("struct<fact:string,a:string,b:string,n:bigint,o:bigint>")
    summed = node_facts.where(~is_pmid).groupBy("id", "fact", "a", "b") \
        .agg(F.sum("n").alias("n"), F.sum("o").alias("o")) \
        .select("id", F.struct("fact", "a", "b", "n", "o").alias("f"), F.lit(None).cast("string").alias("pmid"))
    pmids = node_facts.where(is_pmid).select("id", null_fact.alias("f"), F.col("a").alias("pmid"))
    nodes = summed.unionByName(pmids) \
        .groupBy("id").agg(F.collect_list("f").alias("facts"), F.collect_list("pmid").alias("pmids"))
    finished = str(staging / "entities")
    nodes.mapInArrow(lambda b: finish_nodes(b, builtin_names), from_arrow_schema(FINISHED_SCHEMA)) \
        .write.parquet(finished)
    lap("nodes")
    finished_df = spark.read.parquet(finished)
    report.names = _merged_names(r["names_report"] for r in finished_df.where(F.col("names_report").isNotNull())
                                 .select("names_report").collect())
    finished_df.drop("names_report", "neo4j", "kgx").write.parquet(str(out / "entities"))
    edges = partials.where(kind == "edge").select("u", "v", "key", "fact", "a", "n", "score") \
        .unionByName(relation_edge_facts(relation_lines)) \
        .groupBy("u", "v", "key", "fact", "a").agg(F.sum("n").alias("n"), F.max("score").alias("score")) \
        .groupBy("u", "v", "key").agg(F.collect_list(F.struct("fact", "a", "n", "score")).alias("facts"))
    lap("names")
    finished_edges = str(staging / "relations")
    edges.mapInArrow(finish_edges, from_arrow_schema(FINISHED_EDGE_SCHEMA)).write.parquet(finished_edges)
    finished_edges_df = spark.read.parquet(finished_edges)
    finished_edges_df.drop("neo4j", "kgx").write.parquet(str(out / "relations"))
    lap("edges")
    titles = partials.where(kind == "article").select("id", "title") \
        .groupBy("id").agg(F.collect_set("title").alias("titles"))
    one = F.size("titles") == 1  # choose_title(None, t) is t: only PMIDs with several titles need kg's choice
    titles.where(one).select(F.col("id").alias("pmid"), F.col("titles")[0].alias("title")) \
        .unionByName(titles.where(~one).mapInArrow(finish_articles, from_arrow_schema(ARTICLE_SCHEMA))) \
        .write.parquet(str(out / "articles"))
    lap("articles")
    entities = spark.read.parquet(str(out / "entities"))
    mentions = entities.select(F.explode("pmids").alias("pmid"), "id") if articles else \
        spark.createDataFrame([], "pmid string, id string")
    mentions.write.parquet(str(out / "mentions"))
    clock.end()

    # tallies of the finished graph, as GraphBuilder.graph() fills them (small results)
    clock.begin("write")
    relations = spark.read.parquet(str(out / "relations"))
    report.nodes_by_type = dict(sorted((r["type"], r["count"]) for r in entities.groupBy("type").count().collect()))
    report.edges_by_type = dict(sorted((r["key"], r["count"]) for r in relations.groupBy("key").count().collect()))
    report.type_conflicts = [json.loads(r["conflict"]) for r in entities.where(F.col("conflict").isNotNull())
                             .select("id", "conflict").orderBy("id").collect()]

    # 4. exports, rows by kg's row functions
    some = entities.agg(*(F.max(F.col(c).isNotNull().cast("int")).alias(c) for c in ("xrefs", "name_source"))).first()
    present = {c for c in ("xrefs", "name_source") if some[c]} | {r["name"] for r in entities.where(
        F.col("extra").isNotNull()).mapInArrow(optional_columns, "name string").distinct().collect()}
    optional = tuple(a for a in NEO4J_OPTIONAL_COLUMNS if a in present)
    text_schema = from_arrow_schema(TEXT_SCHEMA)
    text_path = str(staging / "text")

    def lines(df, neo4j: str, kgx: str):  # the export lines the finish made
        return df.select(F.lit(neo4j).alias("file"), F.col("neo4j").alias("text")) \
            .unionByName(df.select(F.lit(kgx).alias("file"), F.col("kgx").alias("text")))

    if optional == NODE_LINE_COLUMNS:
        exports = lines(finished_df, "nodes_entities", "kgx_nodes")
    else:  # the graph's optional columns are not those the finish wrote: kg's rows again
        exports = entities.mapInArrow(lambda b: entity_rows(b, optional), text_schema)
    exports = exports.unionByName(lines(finished_edges_df, "relationships_entities", "kgx_edges"))
    if articles:
        exports = exports.unionByName(article_lines(spark.read.parquet(str(out / "articles")))) \
            .unionByName(mention_lines(spark.read.parquet(str(out / "mentions"))))
    lap("tallies")
    exports.write.partitionBy("file").text(text_path)
    lap("rows")
    outputs = _concatenate(text_path, out, headers(optional))
    lap("concatenate")
    clock.end(f"{sum(report.nodes_by_type.values()):,} nodes, {sum(report.edges_by_type.values()):,} edges")

    for table in TABLES:
        outputs[table] = out / table
    (out / "report.json").write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
    outputs["report"] = out / "report.json"
    shutil.rmtree(staging, ignore_errors=True)
    seconds["total"] = time.perf_counter() - t_start
    return SparkBuildResult(report, out, outputs, seconds)


class _Clock:
    """Seconds per stage and step (``seconds["merge"]``, ``seconds["merge.nodes"]``: the
    benchmarks read them) and a progress line as each stage ends."""

    def __init__(self, progress: Callable[[str], None] | None):
        self.seconds: dict[str, float] = {}
        self.progress = progress
        self.stage = ""
        self.started = self.last = time.perf_counter()

    def begin(self, stage: str) -> None:
        self.stage, self.started = stage, time.perf_counter()
        self.last = self.started

    def lap(self, step: str) -> None:
        """A step of the current stage is done."""
        now = time.perf_counter()
        self.seconds[f"{self.stage}.{step}"] = now - self.last
        self.last = now

    def end(self, detail: str = "") -> None:
        self.seconds[self.stage] = time.perf_counter() - self.started
        if self.progress is not None:
            self.progress(f"{self.stage} done in {_duration(self.seconds[self.stage])}" + (f": {detail}" if detail else ""))


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


class _TaskWatcher:
    """Every `every` seconds, the tasks done of the running Spark stages, through `clock`'s
    progress (Spark's own console bar is off: it interleaves with kg's lines)."""

    def __init__(self, sc, clock: _Clock, every: float = 30.0):
        import threading

        self.tracker, self.clock, self.every = sc.statusTracker(), clock, every
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kg-spark-progress", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(self.every):
            try:
                infos = [self.tracker.getStageInfo(i) for i in self.tracker.getActiveStageIds()]
            except Exception:  # noqa: BLE001 (the session is stopping)
                return
            infos = [i for i in infos if i is not None and i.numTasks]
            if infos and not self.done.is_set():
                tasks = ", ".join(f"{i.numCompletedTasks:,}/{i.numTasks:,}" for i in infos)
                self.clock.progress(f"{self.clock.stage}: tasks done {tasks} "
                                    f"({_duration(time.perf_counter() - self.clock.started)} in)")

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=5)


def _merged_report(spark, partial_path: str, files: list[tuple[str, str]]) -> BuildReport:
    """The chunks' reports merged in file and line order, with one ``files`` entry per file."""
    from pyspark.sql import functions as F

    rows = spark.read.parquet(partial_path).where(F.col("kind") == "report").select("blob").collect()
    parts = sorted((pickle.loads(r["blob"]) for r in rows), key=lambda b: (b["file"], b["chunk"]))
    report = BuildReport()
    per_file = [[0, 0] for _ in files]
    for part in parts:
        report.merge(part["report"])
        per_file[part["file"]][0] += part["lines"]
        per_file[part["file"]][1] += part["documents"]
    report.files = [{"path": p, "format": fmt, "lines": n, "documents": d}
                    for (p, fmt), (n, d) in zip(files, per_file)]
    return report


def _merged_names(blobs) -> dict[str, Any]:
    """The batches' :class:`~kg.vocab.NamesReport` s as one (counts added)."""
    from ..vocab import NamesReport

    merged = NamesReport()
    for blob in blobs:
        part = pickle.loads(blob)
        merged.renamed += part.renamed
        for etype, by_source in part.names.items():
            mine = merged.names.setdefault(etype, {})
            for source, n in by_source.items():
                mine[source] = mine.get(source, 0) + n
    merged.names = {t: dict(sorted(s.items())) for t, s in sorted(merged.names.items())}
    return merged.to_dict()


def _raise_first(report: BuildReport, files: list[tuple[str, str]]) -> None:
    """The error a strict in-memory build stops with: the first bad record in file and line order."""
    order = {p: i for i, (p, _) in enumerate(files)}
    found: list[tuple[tuple[int, int], Exception]] = []
    for r in report.rejected:
        if r["reason"].startswith("cannot read further"):
            err: Exception = InputError(f"{r['path']}: {r['reason']}")
        else:
            err = ParseError(r["reason"], r["path"], r["line"], r["text"])
        found.append(((order[r["path"]], r["line"]), err))
    for r in report.unresolved_relations:
        text = "\t".join(r.get(k, "") for k in ("pmid", "type", "id1", "id2"))
        found.append(((order[r["path"]], r["line"]), ParseError(r["reason"], r["path"], r["line"], text)))
    if found:
        raise min(found, key=lambda f: f[0])[1]


def _concatenate(text_path: str, out: Path, heads: dict[str, str]) -> dict[str, Path]:
    """One file per output: its header, then every part Spark wrote (streamed)."""
    outputs = {}
    for name, rel in OUTPUTS.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(text_path) / f"file={name}"
        tmp = target.with_name(f".{target.name}.tmp")
        with open(tmp, "wb") as dst:
            dst.write(heads[name].encode("utf-8"))
            for part in sorted(folder.glob("part-*")) if folder.is_dir() else ():
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, target)
        outputs[rel] = target
    return outputs
