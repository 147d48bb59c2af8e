"""Bulk concept lines: kg's rules applied in the read task, the counting left to Spark.

A bulk concept file is most of PubTator3 (≈ 1 billion lines). Its lines are read by kg's
own reader (:func:`kg.spark.read.read_concepts`: the reader judges every line), and what
:class:`~kg.builder.GraphBuilder` does with an annotation without offsets depends on its
values and its document's PMID alone. So the read task applies kg's functions to each
line as the builder does — :func:`kg.normalize.resolve_annotation` (through :data:`resolve`,
once per distinct ``(type, id)`` while its cache holds it), :func:`kg.normalize.scoped_id` for
document-scoped ids, :func:`kg.normalize.mention_forms` (cached here) — and counts the
report's annotation tallies (in the graph, mentions without id, ids not of their type,
composite pieces without id) as the builder counts them. It emits one flat row per
entity a line names (:data:`ENTITY_FIELDS`); Spark turns them into node facts
(:func:`concept_node_facts`: type, PMID, xrefs, mention count, synonym forms), summed
with the other inputs' facts and finished by kg's functions (one merge, one finish:
:func:`kg.spark.engine.build_spark`).

No join back and no staging of resolved lines: the resolution travels with the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from ..builder import BuildReport
from ..normalize import mention_forms, resolve_annotation, scoped_id
from ..pubtator import Document

__all__ = ["ENTITY_FIELDS", "concept_entities", "concept_node_facts", "entity_fact_array", "resolve"]

#: One entity a concept line names: the line's PMID, the node id (scoped), its type, the
#: xrefs the line gives it, its mention count ``n`` and its synonym forms (kg's rules).
ENTITY_FIELDS = ("pmid", "id", "etype", "refs", "n", "forms")

#: :func:`~kg.normalize.mention_forms` of a listed mention, bounded cache (mention lists repeat).
_listed_forms = lru_cache(maxsize=1 << 16)(mention_forms)

#: kg's :func:`~kg.normalize.resolve_annotation` with a smaller cache of its own for Spark's
#: long-lived Python workers: kg's keeps 2**20 answers (≈ 0.8 KB each: ≈ 0.85 GB per worker
#: once full); 2**18 hold ≈ 0.2 GB at no CPU cost on 10% of PubTator3 (one worker reading 30
#: chunks: 491 → 305 MB, 47.8 vs 48.5 CPU s; 2**16: 152 MB but +20% CPU).
resolve = lru_cache(maxsize=1 << 18)(resolve_annotation.__wrapped__)


def concept_entities(docs: Iterable[Document], report: BuildReport,
                     batch: int = 1 << 16) -> Iterator[tuple[dict[str, list], list[str]]]:
    """``(entity columns, document PMIDs)`` of bulk concept documents, at most about
    `batch` entity rows at a time; the annotation tallies go to `report`, as
    :meth:`GraphBuilder.add <kg.builder.GraphBuilder.add>` counts them."""
    mentions_without_id, ids_not_of_type = report.mentions_without_id, report.ids_not_of_type
    pieces_without_id = report.pieces_without_id
    in_graph = 0

    def fresh():
        return {name: [] for name in ENTITY_FIELDS}, []

    cols, pmids = fresh()
    c_pmid, c_id, c_type, c_refs, c_n, c_forms = (cols[name] for name in ENTITY_FIELDS)
    for doc in docs:
        pmid = doc.pmid
        pmids.append(pmid)
        for ann in doc.annotations:
            resolved = resolve(ann.type, ann.identifier, ann.parts)
            etype, ids = resolved.type, resolved.ids
            if not ids:
                mentions_without_id[etype] += 1
                if resolved.unusable:
                    ids_not_of_type[etype] += 1
                continue
            in_graph += 1
            if resolved.scoped:
                ids = [scoped_id(i, pmid) for i in ids]
            pieces = resolved.pieces
            if pieces and None in pieces:
                pieces_without_id[etype] += pieces.count(None)
            k, forms = _listed_forms(ann.text) if ann.start < 0 else mention_forms(ann.text, listed=False)
            for node_id, refs in zip(ids, resolved.xrefs):
                c_pmid.append(pmid)
                c_id.append(node_id)
                c_type.append(etype)
                c_refs.append(refs)
                c_n.append(k)
                c_forms.append(forms)
        if len(c_id) >= batch:
            yield cols, pmids
            cols, pmids = fresh()
            c_pmid, c_id, c_type, c_refs, c_n, c_forms = (cols[name] for name in ENTITY_FIELDS)
    if c_id or pmids:
        yield cols, pmids
    report.annotations_in_graph += in_graph


def _fact(name: str, a, n, o):
    """One node fact ``(fact, a, b, n, o)`` as a Spark struct (``b`` is unused here)."""
    from pyspark.sql import functions as F

    return F.struct(F.lit(name).alias("fact"), a.cast("string").alias("a"), F.lit(None).cast("string").alias("b"),
                    n.cast("long").alias("n"), o.cast("long").alias("o"))


def entity_fact_array():
    """The node facts every entity row ``(id, pmid, etype, refs)`` gives, as the builder
    counts them, as an array column: its type (one), its PMID, each xref."""
    from pyspark.sql import functions as F

    zero, one = F.lit(0), F.lit(1)
    refs = F.coalesce(F.col("refs"), F.array().cast("array<string>"))
    return F.concat(F.array(_fact("type", F.col("etype"), one, zero), _fact("pmid", F.col("pmid"), zero, zero)),
                    F.transform(refs, lambda x: _fact("xref", x, zero, zero)))


def concept_node_facts(rows):
    """Node facts ``(id, fact, a, b, n, o)`` of the entity rows (:data:`ENTITY_FIELDS`), as
    the builder counts them: :func:`entity_fact_array`, its mentions and each synonym form
    (one, outside the title). One pass over the rows (``inline`` of an array)."""
    from pyspark.sql import functions as F

    zero, one = F.lit(0), F.lit(1)
    facts = F.concat(entity_fact_array(), F.array(_fact("mentions", F.lit(None), F.col("n"), zero)),
                     F.transform("forms", lambda f: _fact("form", f, one, one)))
    return rows.select("id", F.inline(facts))
