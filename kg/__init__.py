"""kg: PubTator literature annotations → a knowledge graph (NetworkX, files, Neo4j)."""

from .build import BuildReport, BuildResult, build
from .errors import InputError, KgError, Neo4jError, ParseError
from .io import read_graph, write_graph, export_graph
from .analysis import communities, evidence, find, neighbors, paths, project, resolve, subgraph, to_dataframes, top
from .view import write_plot, write_view
from .fetch import fetch
from .vocab import apply_names
from .version import __version__

__all__ = [
    "build",
    "fetch",
    "apply_names",
    "read_tables",
    "BuildResult",
    "BuildReport",
    "read_graph",
    "write_graph",
    "export_graph",
    "to_neo4j",
    "find",
    "resolve",
    "neighbors",
    "evidence",
    "subgraph",
    "paths",
    "top",
    "communities",
    "project",
    "to_dataframes",
    "write_view",
    "write_plot",
    "KgError",
    "ParseError",
    "InputError",
    "Neo4jError",
    "__version__",
]


def to_neo4j(G, **kwargs):
    """Load graph `G` into Neo4j; see :func:`kg.neo4j.load_graph`."""
    from .neo4j import load_graph

    return load_graph(G, **kwargs)


def read_tables(outdir, **kwargs):
    """A filtered part of a ``kg build --engine spark`` output as a graph; see
    :func:`kg.spark.read_tables` (needs pyarrow: ``pip install 'pubtator-kg[spark]'``)."""
    from .spark import read_tables as read

    return read(outdir, **kwargs)
