"""`kg build | export | info | load`: options in, one library call, a summary out.

Results go to stdout, progress and errors to stderr. Exit 0 on success, 1 on a data or
server error (:class:`kg.errors.KgError`) or an output path the system refuses (one line
naming the path and the cause), 2 on a usage error (Typer's own, and the checks here: a
folder given for a file, a file for a folder, a URI that is no Neo4j URI). Help is plain
click help (``rich_markup_mode=None``): flags without a value placeholder, defaults shown.
"""

from __future__ import annotations

import json
import signal
import warnings
import sys
import time
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional
from urllib.parse import urlsplit

import typer

import kg
from .common import fail, file_output, not_writable_as, write_failed
from kg.errors import KgError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Turn PubTator literature annotations into a knowledge graph (NetworkX file, exports, Neo4j).",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kg {kg.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print kg's version and exit.")] = False,
) -> None:
    """Options before the command (the app's help is Typer(help=...))."""


class Engine(str, Enum):
    """Who reads PubTator text (``kg.build(engine=...)``)."""

    auto = "auto"
    native = "native"
    python = "python"
    spark = "spark"  # the whole build on Apache Spark (kg.spark): tables and exports, no graph file


class ExportFormat(str, Enum):
    """``kg export --format``: the keys of :data:`kg.io.FORMATS`."""

    node_link = "node-link"
    graphml = "graphml"
    kgx = "kgx"
    neo4j_csv = "neo4j-csv"


#: URI schemes the Neo4j driver takes (``+s``: TLS, ``+ssc``: TLS with a self-signed certificate).
NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def _neo4j_uri(value: Optional[str]) -> Optional[str]:
    """Typer callback: a Neo4j URI or a usage error (exit 2) before any work is done."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        ok = parts.scheme in NEO4J_SCHEMES and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        ok = False
    if not ok:
        raise typer.BadParameter(f"{value!r} is not a Neo4j URI: give SCHEME://HOST[:PORT] with SCHEME one of "
                                 + ", ".join(NEO4J_SCHEMES))
    return value


class _Progress:
    """A progress bar on stderr, shown only on a terminal and only once work passes a second.

    `unit` is "bytes" (reading files) or "rows" (loading Neo4j).
    """

    def __init__(self, description: str, unit: str = "bytes") -> None:
        self.description = description
        self.unit = unit
        self.started = time.monotonic()
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int, documents: int) -> None:
        if self.bar is None:
            if not sys.stderr.isatty() or time.monotonic() - self.started < 1.0:
                return
            from rich.console import Console
            from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn, TransferSpeedColumn)

            if self.unit == "bytes":
                columns = [DownloadColumn(), TransferSpeedColumn(), TextColumn("{task.fields[docs]:,} docs")]
            else:
                columns = [MofNCompleteColumn(), TextColumn(self.unit)]
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), *columns, TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=total, docs=0)
        self.bar.update(self.task, completed=done, docs=documents)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _table(title: str, counts: dict[str, int]) -> str:
    if not counts:
        return f"{title}: none"
    width = max(len(k) for k in counts)
    rows = "\n".join(f"  {k:<{width}}  {v:>10,}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{title} ({sum(counts.values()):,}):\n{rows}"


#: Rejected lines shown in the build summary (all of them are in --report).
EXAMPLES = 5


def _write_report(rep, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rep.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _problems(rep, report: Optional[Path]) -> list[str]:
    """The summary's lines about input kg could not use: broken files (read up to the
    break, the documents before it kept), skipped files, examples of rejected lines.

    A file is broken when the reader could not go on (a truncated gzip, a cut XML or
    JSON): the library records that as a rejected "line" without text, at the break.
    """
    out = []
    broken = [r for r in rep.rejected if not r.get("text")]
    if broken:
        out.append(f"broken files ({len(broken):,}; the documents before the break are kept):")
        out += [f"  {r['path']}: {r['reason']}" for r in broken]
    if rep.skipped_files:
        out.append(f"skipped files (no format kg reads): {len(rep.skipped_files):,}")
    lines = [r for r in rep.rejected if r.get("text")]
    see = f"all in {report}" if report is not None else "see --report FILE for every one"
    if lines:
        out.append(f"examples of rejected lines ({min(EXAMPLES, len(lines))} of {len(lines):,}; {see}):")
        out += [f"  {r['path']}:{r['line']}: {r['reason']}" for r in lines[:EXAMPLES]]
    if rep.unresolved_relations and report is None:
        out.append(f"unresolved relations: {len(rep.unresolved_relations):,} (see --report FILE for each)")
    return out


def _build_output(ctx: typer.Context, path: Path) -> Path:
    """``-o``: a file to write, or with ``--engine spark`` (an eager option) a folder."""
    if ctx.params.get("engine") is Engine.spark:
        import click

        if ctx.get_parameter_source("output") is click.core.ParameterSource.DEFAULT:
            path = Path("spark-out")
        problem = not_writable_as(path, folder=True)
        if problem:
            raise typer.BadParameter(problem)
        return path
    return file_output(path)


def _build_spark(paths, output, report, strict, co_mentions, no_articles, vocab, master, partitions, started) -> None:
    """`kg build --engine spark`: :func:`kg.spark.build_spark`, then the summary."""
    from kg.spark import build_spark

    try:
        result = build_spark(paths, output, master=master, partitions=partitions, strict=strict,
                             co_mentions=co_mentions, articles=not no_articles, vocab=vocab,
                             progress=lambda line: typer.echo(f"kg: {line}", err=True))
    except KgError as err:
        raise fail(err) from None
    out = [
        *_report_and_summary(result.report, report, time.monotonic() - started, " on Spark"),
        f"tables (Parquet): {', '.join(str(result.outputs[t]) for t in ('entities', 'relations', 'articles', 'mentions'))}",
        f"neo4j-admin CSV: {result.outdir / 'neo4j-csv'} (scripts/neo4j import {result.outdir / 'neo4j-csv'}); "
        f"KGX: {result.outdir / 'kgx'}; report: {result.outputs['report']}",
        "stage seconds: " + json.dumps({k: round(v, 1) for k, v in result.seconds.items()}),
    ]
    typer.echo("\n".join(out))


def _of_which(n: int, what: str) -> str:
    return f", of which {n:,} {what}" if n else ""


def _report_and_summary(rep, report: Optional[Path], seconds: float, where: str = "") -> list[str]:
    """Write ``--report`` (a refused path: exit 1) and return the summary lines both
    engines print: what was read, the tables by type, rejected lines and problems."""
    if report is not None:
        try:
            _write_report(rep, report)
        except OSError as err:
            raise write_failed(report, err) from None
    c = rep.lines
    out = [
        f"read {len(rep.files):,} files, {c.lines:,} lines, {rep.documents:,} documents{where} in {seconds:.1f} s",
        f"annotations: {c.annotations:,} ({rep.annotations_in_graph:,} in the graph, "
        f"{sum(rep.mentions_without_id.values()):,} without an identifier"
        + _of_which(sum(rep.ids_not_of_type.values()), "with an id not of their type") + ")",
        f"relations: {c.relations:,} ({rep.relations_in_graph:,} in the graph, "
        f"{len(rep.unresolved_relations):,} unresolved"
        + (f", {len(rep.self_relations):,} between an entity and itself (no loop made)" if rep.self_relations else "")
        + ")",
        _table("entities by type", rep.nodes_by_type),
        _table("edges by type", rep.edges_by_type),
        f"rejected lines: {c.rejected:,}",
    ]
    if sum(rep.pieces_without_id.values()):
        out.append(f"pieces of composite ids without an identifier (the -1 of D002544|-1): "
                   f"{sum(rep.pieces_without_id.values()):,}")
    if rep.mention_mismatches:
        out.append(f"mentions that differ from the text at their offsets (not made synonyms): {rep.mention_mismatches:,}")
    if rep.type_conflicts:
        out.append(f"identifiers with more than one type (the most frequent kept): {len(rep.type_conflicts):,}")
    if rep.unknown_relation_types:
        out.append("unknown relation types (kept): " + ", ".join(f"{k} ({v})" for k, v in rep.unknown_relation_types.items()))
    return out + _problems(rep, report)


@app.command()
def build(
    paths: Annotated[list[Path], typer.Argument(help="PubTator files, folders (read recursively) or .gz files.")],
    output: Annotated[Path, typer.Option("-o", "--output", callback=_build_output, help="Graph file to write (node-link JSON; .gz to compress); with --engine spark the output folder.", show_default="graph.json; spark-out with --engine spark")] = Path("graph.json"),
    report: Annotated[Optional[Path], typer.Option("--report", callback=file_output, help="Write the build report (rejected lines, counts) as JSON here.", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first malformed line (file and line in the message).")] = False,
    co_mentions: Annotated[bool, typer.Option("--co-mentions", help="Also link entities mentioned in the same document.")] = False,
    no_articles: Annotated[bool, typer.Option("--no-articles", help="Do not keep article titles (no Article nodes in Neo4j).")] = False,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Threads / processes reading in parallel.", show_default="one per core")] = None,
    engine: Annotated[Engine, typer.Option("--engine", is_eager=True, help="Who reads PubTator text: the native reader when built (auto), or the Python reference; the graph is the same. spark: the whole build on Apache Spark into OUTPUT/ (Parquet tables, neo4j-csv/, kgx/; pip install 'kg[spark]').")] = Engine.auto,
    neo4j: Annotated[Optional[str], typer.Option("--neo4j", callback=_neo4j_uri, help="Also load the graph into the Neo4j server at this URI (bolt://HOST:PORT, neo4j+s://...).", show_default=False)] = None,
    user: Annotated[str, typer.Option("--user", envvar="NEO4J_USER", help="Neo4j user (with --neo4j).")] = "neo4j",
    password: Annotated[Optional[str], typer.Option("--password", envvar="NEO4J_PASSWORD", help="Neo4j password (with --neo4j).", show_default="kgpassword, scripts/neo4j's local default")] = None,
    database: Annotated[str, typer.Option("--database", envvar="NEO4J_DATABASE", help="Neo4j database (with --neo4j).")] = "neo4j",
    vocab: Annotated[Optional[Path], typer.Option("--vocab", help="Name entities from the vocabulary files in this folder (`kg vocab fetch`).", show_default=False)] = None,
    master: Annotated[Optional[str], typer.Option("--master", help="Spark master URL with --engine spark (spark://HOST:7077, yarn, k8s://...).", show_default="local[*]")] = None,
    partitions: Annotated[Optional[int], typer.Option("--partitions", min=1, help="Partitions of the Spark merge (with --engine spark).", show_default="3 per core, one per 64 MB at least")] = None,
) -> None:
    """Build the knowledge graph from PubTator files and save it."""
    started = time.monotonic()
    if engine is Engine.spark:
        if neo4j:
            raise typer.BadParameter("--engine spark writes OUTPUT/neo4j-csv: load it with `scripts/neo4j import "
                                     "OUTPUT/neo4j-csv`", param_hint="'--neo4j'")
        return _build_spark(paths, output, report, strict, co_mentions, no_articles, vocab, master, partitions, started)
    if master is not None or partitions is not None:
        raise typer.BadParameter("only with --engine spark", param_hint="'--master' / '--partitions'")
    progress = _Progress("reading")
    try:
        result = kg.build(paths, strict=strict, co_mentions=co_mentions, articles=not no_articles,
                          workers=workers, engine=engine.value, progress=progress, vocab=vocab)
    except KgError as err:
        raise fail(err) from None
    finally:
        progress.close()
    rep = result.report
    try:
        kg.write_graph(result.graph, output)
    except OSError as err:
        raise write_failed(output, err) from None
    G = result.graph
    out = _report_and_summary(rep, report, time.monotonic() - started)
    out.append(f"graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges -> {output}")
    if report is not None:
        out.append(f"report: {report}")
    typer.echo("\n".join(out))
    if vocab is not None:
        from kg.vocab import NamesReport

        typer.echo(str(NamesReport(**rep.names)))
    if neo4j:
        _load(G, neo4j, user, password, database, batch_size=10_000)


@app.command()
def export(
    graph: Annotated[Path, typer.Argument(help="Graph file written by `kg build`.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="The format (README, Exports).", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file (graphml, node-link) or folder (kgx, neo4j-csv).", show_default=False)],
) -> None:
    """Export a saved graph to a format other tools read."""
    problem = not_writable_as(output, folder=fmt in (ExportFormat.kgx, ExportFormat.neo4j_csv))
    if problem:
        raise typer.BadParameter(problem, param_hint="'-o' / '--output'")
    try:
        G = kg.read_graph(graph)
    except KgError as err:
        raise fail(err) from None
    try:
        written = kg.export_graph(G, fmt.value, output)
    except OSError as err:
        raise write_failed(output, err) from None
    for path in written:
        typer.echo(f"wrote {path}")


@app.command()
def info(
    graph: Annotated[Path, typer.Argument(help="Graph file written by `kg build`.")],
    top: Annotated[int, typer.Option("--top", min=1, help="How many top entities to list.")] = 10,
) -> None:
    """Summarize a saved graph: counts by type, top entities by articles and by degree."""
    try:
        G = kg.read_graph(graph)
    except KgError as err:
        raise fail(err) from None
    types = Counter(d.get("type", "?") for _, d in G.nodes(data=True))
    rels = Counter(k for _, _, k in G.edges(keys=True))
    pmids = {p for _, _, d in G.edges(data=True) for p in d.get("pmids", [])}
    out = [
        f"{graph}: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges, "
        f"{len(G.graph.get('articles', {})):,} articles, {len(pmids):,} articles with relations",
        _table("entities by type", dict(types)),
        _table("edges by type", dict(rels)),
    ]
    from kg.analysis import top as ranked  # the same figures as kg.analysis.top in a notebook

    for by, what in (("pmids", "articles"), ("degree", "degree (distinct related entities)")):
        out.append(f"top {top} entities by {what}:")
        out += [f"  {r.score:>7,}  {r.id}  {r.name} ({r.type})" for r in ranked(G, by=by, n=top)]
    typer.echo("\n".join(out))


def _load(G, uri: str, user: str, password: Optional[str], database: str, batch_size: int,
          articles: bool = True) -> None:
    from kg.neo4j import DEFAULT_PASSWORD, load_graph

    progress = _Progress("loading", unit="rows")
    try:
        summary = load_graph(G, uri=uri, auth=(user, password or DEFAULT_PASSWORD), database=database,
                             batch_size=batch_size, articles=articles, progress=progress)
    except KgError as err:
        raise fail(err) from None
    finally:
        progress.close()
    typer.echo(str(summary))


@app.command()
def load(
    graph: Annotated[Path, typer.Argument(help="Graph file written by `kg build`.")],
    uri: Annotated[str, typer.Option("--uri", envvar="NEO4J_URI", callback=_neo4j_uri, help="Neo4j server (bolt://HOST:PORT, neo4j://, +s / +ssc for TLS).")] = "bolt://127.0.0.1:7687",
    user: Annotated[str, typer.Option("--user", envvar="NEO4J_USER", help="Neo4j user.")] = "neo4j",
    password: Annotated[Optional[str], typer.Option("--password", envvar="NEO4J_PASSWORD", help="Neo4j password.",
                                                    show_default="kgpassword, scripts/neo4j's local default")] = None,
    database: Annotated[str, typer.Option("--database", envvar="NEO4J_DATABASE", help="Neo4j database.")] = "neo4j",
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per transaction.")] = 10_000,
    no_articles: Annotated[bool, typer.Option("--no-articles", help="Leave Article nodes and MENTIONS out.")] = False,
) -> None:
    """Load a saved graph into Neo4j (idempotent: loading twice changes nothing)."""
    try:
        G = kg.read_graph(graph)
    except KgError as err:
        raise fail(err) from None
    _load(G, uri, user, password, database, batch_size, articles=not no_articles)


from . import views  # noqa: E402  (after the core commands, so they list first)

views.register(app)
from . import fetch as fetch_cli  # noqa: E402

fetch_cli.register(app)
from . import vocab as vocab_cli  # noqa: E402

vocab_cli.register(app)


def _terminate(signum, frame):  # SIGTERM unwinds like Ctrl-C: temporary files are removed
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    # the library's warnings (e.g. "may run out of memory: use --engine spark") as one line
    warnings.formatwarning = lambda message, *_args, **_kw: f"kg: warning: {message}\n"
    app(prog_name="kg")
