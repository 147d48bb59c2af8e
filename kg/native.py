"""Native (Rust, PyO3) reading of PubTator text files into a :class:`~kg.build.GraphBuilder`.

:func:`read_files` gives the same builder state (nodes, edges, articles, report) as
:func:`kg.build._read_files` for PubTator text files (plain or gzip), several times
faster and on every core. The Python path stays the reference; see ``docs/native.md``.
The extension (``kg._native``) is optional: :func:`available` says whether it was built.
"""

from __future__ import annotations

import functools
import os
import sys
from collections import Counter
from collections.abc import Callable

from . import normalize

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


def _relation_type(raw: str) -> tuple[str, bool, bool]:
    """``(edge key, known, directed)`` of a relation type as written."""
    key, known = normalize.canonical_relation(raw)
    return key, known, normalize.relation_directed(key)


def _relation_ref(ref: str) -> tuple[tuple[str, str] | None, tuple[tuple[str, ...], ...]]:
    """How :class:`kg.builder._DocIndex` looks up a relation id its document's annotations do
    not name as written: a typed id's ``(type, id)``, else the key groups."""
    return normalize.typed_ref(ref), normalize.relation_ref_keys(ref)


def _rules() -> dict:
    """kg's rules, as the native reader calls them (once per distinct value)."""
    from . import pubtator

    return {
        "resolve_annotation": normalize.resolve_annotation,
        "relation_type": functools.lru_cache(maxsize=None)(_relation_type),
        "relation_note": normalize.relation_note,
        "relation_pairs": normalize.relation_pairs,
        "relation_ref": _relation_ref,
        "scoped_id": normalize.scoped_id,
        "type_column_problem": normalize.type_column_problem,
        "offset_problem": pubtator.offset_problem,
        "abbreviation_pair": normalize.abbreviation_pair,
        "choose_name": normalize.choose_name,
        "choose_title": normalize.choose_title,
        "doc_scope": normalize.DOC_SCOPE,
        "doc_level": sorted(pubtator.DOC_LEVEL_TYPES),
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
    from .pubtator import LineCounts

    for path, fmt in files:
        if fmt != "pubtator":
            raise ValueError(f"{path}: the native reader reads only PubTator text, not {fmt}")
    paths = [str(p) for p, _ in files]
    with gc_paused():  # the result is many new containers, none cyclic
        res = _native.read_files(  # raises ParseError / InputError as the Python reader does
            paths, _rules(), bool(strict), bool(co_mentions), bool(articles),
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
    report.ids_not_of_type = Counter(res.ids_not_of_type)
    report.pieces_without_id = Counter(res.pieces_without_id)
    report.mention_mismatches = res.mention_mismatches
    report.relations_in_graph = res.relations_in_graph
    report.rejected = res.rejected
    report.unresolved_relations = res.unresolved_relations
    report.self_relations = res.self_relations
    report.unknown_relation_types = Counter(res.unknown_relation_types)
    builder = GraphBuilder(report, strict=strict, co_mentions=co_mentions, articles=articles)
    read_s, merge_s, finish_s = res.seconds
    builder.seconds = {"read": read_s, "merge": merge_s, ("finish" if res.finished else "convert"): finish_s}
    if res.finished:
        builder.finished = res.graph
    else:
        builder.nodes, builder.edges, arts = res.graph
        builder.articles = arts if articles else {}
    return builder
