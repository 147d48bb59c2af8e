"""One Spark task's work: kg's own reader over one chunk, then either a
:class:`~kg.builder.GraphBuilder` (:func:`read_chunk`) or, for bulk concept and relation
files, flat rows (:func:`read_concepts`, :func:`read_relations`) that Spark aggregates itself.

Either way kg's reader is the one judge of a line: the rejected lines, their reasons and
the line counts are the reader's, in the input file's line numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import NamedTuple

from ..builder import BuildReport, GraphBuilder
from ..formats import READERS
from ..pubtator import Document, LineCounts, Rejected
from .chunks import Chunk, chunk_stream
from .concepts import concept_entities

__all__ = ["ChunkResult", "read_chunk", "read_concepts", "read_relations", "RELATION_FIELDS"]

#: The columns of one relation line (:func:`read_relations`): the relation kg's reader made
#: of it, and its line number in the file.
RELATION_FIELDS = ("pmid", "rel", "id1", "id2", "novel", "line")


class ChunkResult(NamedTuple):
    """A chunk's builder (report included) and what its file's report entry needs."""

    chunk: Chunk
    builder: GraphBuilder
    lines: int
    documents: int


def _line_shift(chunk: Chunk) -> int:
    """What turns the reader's line number in `chunk` into the file's (a prefix line, the
    file's header, is read first)."""
    return chunk.first_line - (2 if chunk.prefix else 1)


def _documents(chunk: Chunk, report: BuildReport, counts: LineCounts) -> Iterator[Document]:
    """kg's reader over `chunk`: its documents; rejected lines go to `report` in the file's
    line numbers, and `counts` ends as the counts of the chunk's own lines."""
    shift = _line_shift(chunk)
    rejected = report.rejected

    def on_reject(r: Rejected) -> None:
        rejected.append({"path": r.path, "line": r.lineno + shift, "reason": r.reason, "text": r.line})

    try:
        with chunk_stream(chunk) as fh:
            yield from READERS[chunk.fmt](fh, path=chunk.path, on_reject=on_reject, counts=counts)
    except (OSError, EOFError, zlib.error) as err:  # as kg.build: what was read before is kept
        counts.lines += 1
        counts.rejected += 1
        on_reject(Rejected(chunk.path, counts.lines,
                           f"cannot read further ({type(err).__name__}: {err}); the documents before were kept", ""))
    if chunk.prefix:  # the prefix line was read as a header: not a line of this chunk
        counts.lines -= 1
        counts.comment -= 1


def read_chunk(chunk: Chunk, *, co_mentions: bool = False, articles: bool = True) -> ChunkResult:
    """Read one chunk as :func:`kg.build` reads a file (never strict: the driver raises
    for the first rejected record, in file order, when the build is strict)."""
    report = BuildReport()
    builder = GraphBuilder(report, strict=False, co_mentions=co_mentions, articles=articles)
    counts = LineCounts()
    docs = 0
    for doc in _documents(chunk, report, counts):
        builder.add(doc)
        docs += 1
    shift = _line_shift(chunk)
    if shift:
        for entry in (*report.unresolved_relations, *report.self_relations):
            entry["line"] += shift
    report.lines.add(counts)
    return ChunkResult(chunk, builder, counts.lines, docs)


def read_concepts(chunk: Chunk, report: BuildReport,
                  batch: int = 1 << 16) -> Iterator[tuple[dict[str, list], list[str]]]:
    """The entities of a bulk concept chunk as columns (:data:`kg.spark.concepts.ENTITY_FIELDS`,
    kg's rules applied by :func:`kg.spark.concepts.concept_entities`) and its documents'
    PMIDs, at most about `batch` rows at a time; `report` gets the reader's line counts,
    rejections and documents (``report.documents``) and the annotation tallies once the
    chunk is read.

    Every annotation of a bulk concept file is document-level (no offsets, no text, no
    relations in its document): what the builder makes of it depends on its values and
    the document's PMID only.
    """
    counts = LineCounts()
    docs = [0]

    def counted():
        for doc in _documents(chunk, report, counts):
            docs[0] += 1
            yield doc

    yield from concept_entities(counted(), report, batch)
    report.documents = docs[0]
    report.lines.add(counts)


def read_relations(chunk: Chunk, report: BuildReport, batch: int = 1 << 16) -> Iterator[dict[str, list]]:
    """The relations of a bulk relation chunk as columns (:data:`RELATION_FIELDS`), at most
    `batch` rows at a time; `report` as for :func:`read_concepts`.

    A bulk relation file's documents hold relations only, so what the builder makes of a
    line depends on its own values alone (its ids name their entities by themselves or
    name nothing): the Spark engine aggregates them itself (:mod:`kg.spark.relations`).
    """
    counts = LineCounts()
    shift = _line_shift(chunk)
    cols: dict[str, list] = {name: [] for name in RELATION_FIELDS}
    docs = 0
    for doc in _documents(chunk, report, counts):
        docs += 1
        pmid = doc.pmid
        for rel in doc.relations:
            for name, value in zip(RELATION_FIELDS, (pmid, rel.type, rel.id1, rel.id2, rel.novel, rel.lineno + shift)):
                cols[name].append(value)
        if len(cols["pmid"]) >= batch:
            yield cols
            cols = {name: [] for name in RELATION_FIELDS}
    if cols["pmid"]:
        yield cols
    report.documents = docs
    report.lines.add(counts)
