"""One Spark task's work: kg's own reader and a :class:`~kg.builder.GraphBuilder` over one chunk.

The result is the builder's partial records (:meth:`~kg.builder.GraphBuilder.partial`)
and its report, in the input file's line numbers: what the in-memory engine would have
built from those lines, to be merged with the other chunks' by kg's merge functions.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

from ..builder import BuildReport, GraphBuilder
from ..formats import READERS
from ..pubtator import LineCounts, Rejected
from .chunks import Chunk, chunk_stream

__all__ = ["ChunkResult", "read_chunk"]


class ChunkResult(NamedTuple):
    """A chunk's builder (report included) and what its file's report entry needs."""

    chunk: Chunk
    builder: GraphBuilder
    lines: int
    documents: int


def read_chunk(chunk: Chunk, *, co_mentions: bool = False, articles: bool = True) -> ChunkResult:
    """Read one chunk as :func:`kg.build` reads a file (never strict: the driver raises
    for the first rejected record, in file order, when the build is strict)."""
    report = BuildReport()
    builder = GraphBuilder(report, strict=False, co_mentions=co_mentions, articles=articles)
    shift = chunk.first_line - (2 if chunk.prefix else 1)  # reader's line number -> the file's
    counts = LineCounts()
    rejected = report.rejected

    def on_reject(r: Rejected) -> None:
        rejected.append({"path": r.path, "line": r.lineno + shift, "reason": r.reason, "text": r.line})

    docs = 0
    try:
        with chunk_stream(chunk) as fh:
            for doc in READERS[chunk.fmt](fh, path=chunk.path, on_reject=on_reject, counts=counts):
                builder.add(doc)
                docs += 1
    except (OSError, EOFError, zlib.error) as err:  # as kg.build: what was read before is kept
        counts.lines += 1
        counts.rejected += 1
        on_reject(Rejected(chunk.path, counts.lines,
                           f"cannot read further ({type(err).__name__}: {err}); the documents before were kept", ""))
    if chunk.prefix:  # the prefix line was read as a header: not a line of this chunk
        counts.lines -= 1
        counts.comment -= 1
    if shift:
        for entry in (*report.unresolved_relations, *report.self_relations):
            entry["line"] += shift
    report.lines.add(counts)
    return ChunkResult(chunk, builder, counts.lines, docs)
