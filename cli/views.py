"""`kg view | plot`: pictures of a saved graph (an interactive HTML page, a summary PNG).

`register(app)` adds both commands to the Typer app of :mod:`cli.main`. As there: results
go to stdout, errors to stderr as one line, exit 1 on a data error
(:class:`kg.errors.KgError`) or a missing optional package, 2 on a usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

import kg
from .common import fail, file_output, write_failed
from kg.errors import KgError

__all__ = ["register"]


def view(
    graph: Annotated[Path, typer.Argument(help="Graph file written by `kg build`.")],
    output: Annotated[Path, typer.Option("-o", "--output", callback=file_output, help="HTML file to write (self-contained, opens offline).")] = Path("view.html"),
    entity: Annotated[Optional[str], typer.Option("--entity", "-e", help="Draw only the neighbourhood of this entity (node id, name or synonym).", show_default=False)] = None,
    depth: Annotated[int, typer.Option("--depth", min=0, help="How many relations away from --entity to go.")] = 1,
    max_nodes: Annotated[int, typer.Option("--max-nodes", min=1, help="Draw at most this many entities (nearest / most articles first).")] = 300,
    min_pmids: Annotated[int, typer.Option("--min-pmids", min=1, help="Only links supported by at least this many articles.")] = 1,
    isolated: Annotated[bool, typer.Option("--isolated", help="Whole graph: also draw entities without any relation (left out by default).")] = False,
) -> None:
    """Write an interactive HTML view of the graph or of one entity's neighbourhood."""
    from kg.view import write_view

    try:
        summary = write_view(kg.read_graph(graph), output, entity, depth, max_nodes=max_nodes, min_pmids=min_pmids,
                             isolated=isolated)
    except KgError as err:
        raise fail(err) from None
    except OSError as err:
        raise write_failed(output, err) from None
    left_out = f" (of {summary.total:,}; raise --max-nodes to draw more)" if summary.nodes < summary.total else ""
    alone = "" if entity or isolated else " (entities without any relation left out; --isolated draws them)"
    typer.echo(f"drew {summary.nodes:,} entities{left_out} and {summary.edges:,} links -> {summary.path}{alone}")


def plot(
    graph: Annotated[Path, typer.Argument(help="Graph file written by `kg build`.")],
    output: Annotated[Path, typer.Option("-o", "--output", callback=file_output, help="PNG file to write.")] = Path("summary.png"),
    top: Annotated[int, typer.Option("--top", min=1, help="How many entities the top-entities panel lists.")] = 15,
) -> None:
    """Plot entity and relation type counts, the degree distribution and the top entities (PNG)."""
    from kg.view import write_plot

    try:
        import matplotlib  # noqa: F401  (optional: the `analysis` extra)
    except ImportError:
        raise fail("kg plot needs matplotlib, which is not installed: pip install 'pubtator-kg[analysis]'") from None
    try:
        path = write_plot(kg.read_graph(graph), output, top_n=top)
    except KgError as err:
        raise fail(err) from None
    except OSError as err:
        raise write_failed(output, err) from None
    typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add the `view` and `plot` commands to `app`."""
    app.command("view")(view)
    app.command("plot")(plot)
