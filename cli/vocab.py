"""`kg vocab fetch` and `kg names`: get the vocabulary files, name a saved graph from them.

`register(app)` adds both to the Typer app of :mod:`cli.main`. As there: results go to
stdout, progress and errors to stderr (one line), exit 1 on a data or network error
(:class:`kg.errors.KgError`), 2 on a usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

import kg
from kg.errors import KgError
from kg.vocab import NamesReport, VocabKind, apply_names, fetch_vocab

__all__ = ["register"]

vocab_app = typer.Typer(no_args_is_help=True, help="Vocabulary files that name entities (NCBI, MeSH, Cellosaurus, ChEBI).")


def _fail(err: Exception) -> typer.Exit:
    typer.secho(f"kg: error: {err}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


class _Bars:
    """One rich download bar per file on stderr (only on a terminal)."""

    def __init__(self) -> None:
        self.bar = None
        self.tasks: dict[str, int] = {}

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                                       TransferSpeedColumn)

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
            self.bar.start()
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(name, total=total)
        self.bar.update(self.tasks[name], completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _split_only(values: Optional[list[str]]) -> Optional[list[str]]:
    """`--only taxonomy,gene` as well as `--only taxonomy --only gene`."""
    if not values:
        return values
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _only_callback(values: Optional[list[str]]) -> Optional[list[str]]:
    values = _split_only(values)
    for v in values or []:
        if v not in VocabKind.__members__:
            raise typer.BadParameter(f"{v!r}: choose from {', '.join(VocabKind.__members__)}")
    return values


@vocab_app.command("fetch")
def fetch(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to download into (give it to --vocab).")],
    only: Annotated[Optional[list[str]], typer.Option("--only", callback=_only_callback, help="Only these vocabularies, comma-separated or repeated: taxonomy, gene, mesh, cellosaurus, chebi (default: all).", show_default=False)] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Replace scheme://host of every official URL (a mirror; tests use a local server).", show_default=False)] = None,
    mesh_year: Annotated[Optional[int], typer.Option("--mesh-year", help="MeSH files of this year (default: this year, else the one before).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Download again files that are already there.")] = False,
) -> None:
    """Download the vocabulary files from NCBI, NLM, Expasy and EBI (resumes cut downloads)."""
    bars = _Bars()
    try:
        written = fetch_vocab(output, only or None, base_url=base_url,
                              mesh_year=mesh_year, force=force, progress=bars)
    except KgError as err:
        raise _fail(err) from None
    finally:
        bars.close()
    for path in written:
        typer.echo(f"{path} ({path.stat().st_size:,} bytes)")


def _summary(report: NamesReport, report_path: Optional[Path] = None) -> str:
    """The report as text (and written as JSON to `report_path`)."""
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return str(report)


def names(
    graph: Annotated[Path, typer.Argument(help="Graph file written by `kg build`.")],
    vocab: Annotated[Optional[Path], typer.Option("--vocab", help="Folder (or file) of vocabulary files, plain or gzipped (`kg vocab fetch`).", show_default=False)] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Graph file to write (may be GRAPH itself).")] = Path("graph.json"),
    report: Annotated[Optional[Path], typer.Option("--report", help="Write the naming report (counts, malformed lines) as JSON here.", show_default=False)] = None,
    no_builtin: Annotated[bool, typer.Option("--no-builtin", help="Do not use kg's built-in species names.")] = False,
) -> None:
    """Name the entities of a saved graph from vocabulary files (and kg's species table)."""
    try:
        G = kg.read_graph(graph)
        rep = apply_names(G, vocab, builtin=not no_builtin,
                          progress=lambda path: typer.echo(f"reading {path}", err=True) if sys.stderr.isatty() else None)
        kg.write_graph(G, output)
    except KgError as err:
        raise _fail(err) from None
    typer.echo(_summary(rep, report))
    typer.echo(f"graph: {G.number_of_nodes():,} nodes -> {output}")


def register(app: typer.Typer) -> None:
    """Add `kg vocab fetch` and `kg names` to `app`."""
    app.add_typer(vocab_app, name="vocab")
    app.command("names")(names)
