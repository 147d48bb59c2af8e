"""`kg build | export | info | load`: options in, one library call, a summary out.

Results go to stdout, progress and errors to stderr. Exit 0 on success, 1 on a data or
server error (:class:`kg.errors.KgError`), 2 on a usage error (Typer's own).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer

import kg
from kg.errors import KgError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn PubTator literature annotations into a knowledge graph (NetworkX file, exports, Neo4j).",
)


def _fail(err: Exception) -> typer.Exit:
    typer.secho(f"kg: error: {err}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


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


@app.command()
def build(
    paths: Annotated[list[Path], typer.Argument(help="PubTator files, folders (read recursively) or .gz files.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Graph file to write (node-link JSON; .gz to compress).")] = Path("graph.json"),
    report: Annotated[Optional[Path], typer.Option("--report", help="Write the build report (rejected lines, counts) as JSON here.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first malformed line (file and line in the message).")] = False,
    co_mentions: Annotated[bool, typer.Option("--co-mentions", help="Also link entities mentioned in the same document.")] = False,
    no_articles: Annotated[bool, typer.Option("--no-articles", help="Do not keep article titles (no Article nodes in Neo4j).")] = False,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Threads / processes reading in parallel [default: one per core].", show_default=False)] = None,
    engine: Annotated[str, typer.Option("--engine", help="auto | native | python: who reads PubTator text (same graph either way).")] = "auto",
    neo4j: Annotated[Optional[str], typer.Option("--neo4j", help="Also load the graph into the Neo4j server at this URI.", show_default=False)] = None,
    user: Annotated[str, typer.Option("--user", envvar="NEO4J_USER")] = "neo4j",
    password: Annotated[Optional[str], typer.Option("--password", envvar="NEO4J_PASSWORD", show_default=False)] = None,
    database: Annotated[str, typer.Option("--database", envvar="NEO4J_DATABASE")] = "neo4j",
    vocab: Annotated[Optional[Path], typer.Option("--vocab", help="Name entities from the vocabulary files in this folder (`kg vocab fetch`).", show_default=False)] = None,
) -> None:
    """Build the knowledge graph from PubTator files and save it."""
    if engine not in ("auto", "native", "python"):
        raise typer.BadParameter("choose auto, native or python", param_hint="--engine")
    started = time.monotonic()
    progress = _Progress("reading")
    try:
        result = kg.build(paths, strict=strict, co_mentions=co_mentions, articles=not no_articles,
                          workers=workers, engine=engine, progress=progress, vocab=vocab)
        progress.close()
        kg.write_graph(result.graph, output)
    except KgError as err:
        progress.close()
        raise _fail(err) from None
    rep = result.report
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(rep.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    G = result.graph
    c = rep.lines
    out = [
        f"read {len(rep.files):,} files, {c.lines:,} lines, {rep.documents:,} documents in {time.monotonic() - started:.1f} s",
        f"annotations: {c.annotations:,} ({rep.annotations_in_graph:,} in the graph, "
        f"{sum(rep.mentions_without_id.values()):,} without an identifier)",
        f"relations: {c.relations:,} ({rep.relations_in_graph:,} in the graph, "
        f"{len(rep.unresolved_relations):,} unresolved)",
        _table("entities by type", rep.nodes_by_type),
        _table("edges by type", rep.edges_by_type),
        f"rejected lines: {c.rejected:,}",
    ]
    if rep.skipped_files:
        out.append(f"skipped files (no format kg reads): {len(rep.skipped_files):,}")
    if rep.unknown_relation_types:
        out.append("unknown relation types (kept): " + ", ".join(f"{k} ({v})" for k, v in rep.unknown_relation_types.items()))
    for r in rep.rejected[:5]:
        out.append(f"  {r['path']}:{r['line']}: {r['reason']}")
    if (c.rejected > 5 or rep.unresolved_relations) and report is None:
        out.append("  (see --report FILE for every rejected line and unresolved relation)")
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
    fmt: Annotated[str, typer.Option("--format", "-f", help="graphml | node-link | kgx | neo4j-csv")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file (graphml, node-link) or folder (kgx, neo4j-csv).")],
) -> None:
    """Export a saved graph to a format other tools read."""
    from kg.io import FORMATS

    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    try:
        written = kg.export_graph(kg.read_graph(graph), fmt, output)
    except KgError as err:
        raise _fail(err) from None
    for path in written:
        typer.echo(f"wrote {path}")


@app.command()
def info(
    graph: Annotated[Path, typer.Argument(help="Graph file written by `kg build`.")],
    top: Annotated[int, typer.Option("--top", help="How many top entities to list.")] = 10,
) -> None:
    """Summarize a saved graph: counts by type, top entities by articles and by degree."""
    try:
        G = kg.read_graph(graph)
    except KgError as err:
        raise _fail(err) from None
    types = Counter(d.get("type", "?") for _, d in G.nodes(data=True))
    rels = Counter(k for _, _, k in G.edges(keys=True))
    pmids = {p for _, _, d in G.edges(data=True) for p in d.get("pmids", [])}
    out = [
        f"{graph}: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges, "
        f"{len(G.graph.get('articles', {})):,} articles, {len(pmids):,} articles with relations",
        _table("entities by type", dict(types)),
        _table("edges by type", dict(rels)),
        f"top {top} entities by articles:",
    ]
    by_articles = sorted(G.nodes(data=True), key=lambda nd: (-len(nd[1].get("pmids", [])), nd[0]))[:top]
    out += [f"  {len(d.get('pmids', [])):>7,}  {n}  {d.get('name', '')} ({d.get('type', '')})" for n, d in by_articles]
    out.append(f"top {top} entities by degree:")
    by_degree = sorted(G.degree(), key=lambda nd: (-nd[1], nd[0]))[:top]
    out += [f"  {deg:>7,}  {n}  {G.nodes[n].get('name', '')} ({G.nodes[n].get('type', '')})" for n, deg in by_degree]
    typer.echo("\n".join(out))


def _load(G, uri: str, user: str, password: Optional[str], database: str, batch_size: int,
          articles: bool = True) -> None:
    from kg.neo4j import DEFAULT_PASSWORD, load_graph

    progress = _Progress("loading", unit="rows")
    try:
        summary = load_graph(G, uri=uri, auth=(user, password or DEFAULT_PASSWORD), database=database,
                             batch_size=batch_size, articles=articles, progress=progress)
    except KgError as err:
        raise _fail(err) from None
    finally:
        progress.close()
    typer.echo(str(summary))


@app.command()
def load(
    graph: Annotated[Path, typer.Argument(help="Graph file written by `kg build`.")],
    uri: Annotated[str, typer.Option("--uri", envvar="NEO4J_URI")] = "bolt://127.0.0.1:7687",
    user: Annotated[str, typer.Option("--user", envvar="NEO4J_USER")] = "neo4j",
    password: Annotated[Optional[str], typer.Option("--password", envvar="NEO4J_PASSWORD", show_default=False,
                                                    help="Default: kgpassword (scripts/neo4j's local default).")] = None,
    database: Annotated[str, typer.Option("--database", envvar="NEO4J_DATABASE")] = "neo4j",
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per transaction.")] = 10_000,
    no_articles: Annotated[bool, typer.Option("--no-articles", help="Leave Article nodes and MENTIONS out.")] = False,
) -> None:
    """Load a saved graph into Neo4j (idempotent: loading twice changes nothing)."""
    try:
        G = kg.read_graph(graph)
    except KgError as err:
        raise _fail(err) from None
    _load(G, uri, user, password, database, batch_size, articles=not no_articles)


from cli import views  # noqa: E402  (after the core commands, so they list first)

views.register(app)
from cli import fetch as fetch_cli  # noqa: E402

fetch_cli.register(app)
from cli import vocab as vocab_cli  # noqa: E402

vocab_cli.register(app)


def _terminate(signum, frame):  # SIGTERM unwinds like Ctrl-C: temporary files are removed
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    app(prog_name="kg")
