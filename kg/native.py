"""Native (Rust, PyO3) reading of PubTator text files into a :class:`~kg.build.GraphBuilder`.

:func:`read_files` gives the same builder state (nodes, edges, articles, report) as
:func:`kg.build._read_files` for PubTator text files (plain or gzip), several times
faster and on every core. The Python path stays the reference; see ``docs/native.md``.
The extension (``kg._native``) is optional: :func:`available` says whether it was built.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable

__all__ = ["available", "read_files"]

try:  # built by setuptools-rust from native/ (optional)
    from . import _native
except ImportError:  # pragma: no cover - depends on the install
    _native = None

#: Bytes handed to a worker at a time (cut at a blank line, so at a document boundary).
CHUNK_SIZE = 1 << 18


def available() -> bool:
    """True when the native extension is importable."""
    return _native is not None


def _tables() -> dict:
    """The normalization tables, from their Python source of truth."""
    from . import normalize, pubtator

    return {
        "entity_types": dict(normalize.ENTITY_TYPES),
        "types_folded": dict(normalize._TYPES_FOLDED),
        "no_id": sorted(normalize.NO_ID),
        "rel_sources": {k: r.name for k, r in normalize._RELATIONS_BY_SOURCE.items()},
        "rel_directed": {name: r.directed for name, r in normalize.RELATIONS_BY_NAME.items()},
        "prefixes": dict(normalize._PREFIXES),
        "doc_level": sorted(pubtator._DOC_LEVEL_TYPES),
        "int_max_digits": sys.get_int_max_str_digits(),
    }


def read_files(files: list[tuple[str, str]], strict: bool, co_mentions: bool, articles: bool,
               threads: int | None = None, chunk_size: int | None = None, finish: bool = False,
               progress: Callable[[int, int], None] | None = None):
    """Read PubTator `files` ``(path, "pubtator")`` into a new GraphBuilder, natively.

    Same result and errors as :func:`kg.build._read_files` with the same arguments:
    :class:`~kg.errors.ParseError` (strict) for the first problem in file/line order,
    :class:`~kg.errors.InputError` for a file that cannot be read to its end (strict).

    Parameters
    ----------
    threads : int, optional
        Worker threads (default: one per core). Files and big files' chunks are shared out.
    chunk_size : int, optional
        Bytes per work item (tests use tiny ones); cut at blank lines.
    finish : bool
        Also do :meth:`GraphBuilder.graph`'s sorting and choosing natively (about half of
        a build's time in Python); the builder then holds the finished rows, not its
        ``nodes``/``edges`` state, and cannot :meth:`~GraphBuilder.merge` more.
    progress : callable, optional
        Called as ``progress(bytes_read, documents)`` about 5 times a second while the
        workers read (bytes as stored on disk). Ctrl-C stops the workers at once.
    """
    if _native is None:
        raise RuntimeError("kg._native is not built (pip install -e . with cargo available)")
    from .builder import BuildReport, GraphBuilder, _Edge, _Node, gc_paused
    from .normalize import choose_name
    from .pubtator import LineCounts

    for path, fmt in files:
        if fmt != "pubtator":
            raise ValueError(f"{path}: the native reader reads only PubTator text, not {fmt}")
    paths = [str(p) for p, _ in files]
    with gc_paused():  # the result is many new containers, none cyclic
        res = _native.read_files(  # raises ParseError / InputError as the Python reader does
            paths, _tables(), bool(strict), bool(co_mentions), bool(articles),
            max(1, threads or os.cpu_count() or 1), max(1, chunk_size or CHUNK_SIZE), _Node, _Edge,
            bool(finish), progress,
        )
    for p in paths:  # as _read_files: a file gone missing raises here
        os.path.getsize(p)
    report = BuildReport()
    report.files = [{"path": p, "format": "pubtator", "lines": lines, "documents": docs}
                    for p, (lines, docs) in zip(paths, res.files)]
    report.documents = res.documents
    report.lines = LineCounts(*res.lines)
    report.annotations_in_graph = res.annotations_in_graph
    report.mentions_without_id = Counter(res.mentions_without_id)
    report.relations_in_graph = res.relations_in_graph
    report.rejected = res.rejected
    report.unresolved_relations = res.unresolved_relations
    report.unknown_relation_types = Counter(res.unknown_relation_types)
    builder = GraphBuilder(report, strict=strict, co_mentions=co_mentions, articles=articles)
    read_s, merge_s, finish_s = res.seconds
    builder.seconds = {"read": read_s, "merge": merge_s, ("finish" if res.finished else "convert"): finish_s}
    if res.finished:
        node_rows, conflicts, pending, edge_rows, arts = res.graph
        for attrs, forms, node_id in pending:  # names that need Python's Unicode rules
            attrs["name"] = choose_name(forms) or node_id
        builder.finished = (node_rows, conflicts, edge_rows, arts)
    else:
        builder.nodes, builder.edges, arts = res.graph
        builder.articles = arts if articles else {}
    return builder
