"""Bulk relation lines aggregated by Spark, with kg's rules applied by kg's functions.

A bulk relation file's documents hold relations only, so a line's fate depends on its
own values: each id names its entities by itself (a typed id, :func:`kg.normalize.typed_ref`,
resolved by :func:`kg.normalize.resolve_annotation`, scoped to the line's PMID by
:func:`kg.normalize.scoped_id`) or names nothing. Then:

1. in the read task, each line's ids and relation type go through kg's functions
   (their answers cached: once per distinct id and type of a task), and
   :func:`kg.normalize.relation_pairs` gives its edges and :func:`kg.normalize.relation_note`
   its note (:func:`resolve_relations`): no join back;
2. every entity a line names gets its node facts (type, PMID, xrefs), as the builder
   creates them whether the relation is kept or not; each edge its edge facts (the
   line's PMID, count, source type, novelty or score): merged with the other inputs'
   facts and finished by kg's functions (:mod:`kg.spark.records`);
3. the lines that give no edge (an id that names nothing, both sides one entity) are
   few and are read again by kg's :class:`~kg.builder.GraphBuilder` on the driver, which
   writes their report entries; the other counts are sums.
"""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa

from ..builder import BuildReport, GraphBuilder
from ..normalize import (canonical_relation, relation_directed, relation_note, relation_pairs,
                         scoped_id, typed_ref)
from ..pubtator import Document, Relation
from .concepts import entity_fact_array, resolve

__all__ = ["LINE_SCHEMA", "resolve_relations", "relation_node_facts", "relation_edge_facts", "add_relation_tallies"]

_strs = pa.list_(pa.string())
_PAIR = pa.struct([("u", pa.string()), ("v", pa.string())])
#: A line with its sides' ids scoped to its PMID, its edges and its note.
LINE_SCHEMA = pa.schema([
    ("file", pa.int32()), ("line", pa.int64()), ("pmid", pa.string()), ("rel", pa.string()), ("id1", pa.string()),
    ("id2", pa.string()), ("novel", pa.string()), ("key", pa.string()), ("known", pa.bool_()),
    ("etype1", pa.string()), ("ids1", _strs), ("xrefs1", pa.list_(_strs)),
    ("etype2", pa.string()), ("ids2", _strs), ("xrefs2", pa.list_(_strs)),
    ("pairs", pa.list_(_PAIR)), ("is_novel", pa.bool_()), ("score", pa.float64()),
])


@lru_cache(maxsize=1 << 16)
def _side(ref: str) -> tuple[str | None, tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """What a relation id names by itself (kg's :func:`~kg.normalize.typed_ref` and
    :func:`~kg.normalize.resolve_annotation`): type, ids (not yet scoped), xrefs."""
    typed = typed_ref(ref)
    r = resolve(*typed) if typed else None
    return (r.type, r.ids, r.xrefs) if r else (None, (), ())


@lru_cache(maxsize=1 << 10)
def _relation_type(rel: str) -> tuple[str, bool, bool]:
    """A relation type's edge key, whether kg knows it, whether its edges are directed."""
    key, known = canonical_relation(rel)
    return key, known, relation_directed(key)


def resolve_relations(cols: dict[str, list], file: int) -> dict[str, list]:
    """:data:`LINE_SCHEMA` columns of relation lines (:func:`kg.spark.read.read_relations`
    columns) of input file number `file`: each side's entities (ids scoped to the line's
    PMID as the builder scopes a typed id's), the edges by :func:`~kg.normalize.relation_pairs`
    when both sides name something, the note by :func:`~kg.normalize.relation_note`.
    Applied in the read task (the rules' answers for the ids and types are cached)."""
    out: dict[str, list] = {name: [] for name in LINE_SCHEMA.names}
    out.update({name: cols[name] for name in ("pmid", "rel", "id1", "id2", "novel", "line")})
    out["file"] = [file] * len(cols["pmid"])
    keys, known, etype1, ids1, xrefs1 = out["key"], out["known"], out["etype1"], out["ids1"], out["xrefs1"]
    etype2, ids2, xrefs2, pairs, is_novel, score = (out[n] for n in ("etype2", "ids2", "xrefs2", "pairs", "is_novel",
                                                                     "score"))
    for pmid, rel, a, b, note in zip(cols["pmid"], cols["rel"], cols["id1"], cols["id2"], cols["novel"]):
        key, k, directed = _relation_type(rel)
        keys.append(key)
        known.append(k)
        t1, i1, x1 = _side(a)
        t2, i2, x2 = _side(b)
        left = [scoped_id(i, pmid) for i in i1]
        right = [scoped_id(i, pmid) for i in i2]
        etype1.append(t1)
        ids1.append(left)
        xrefs1.append(x1)
        etype2.append(t2)
        ids2.append(right)
        xrefs2.append(x2)
        pairs.append([{"u": u, "v": v} for u, v in relation_pairs(set(left), set(right), directed)]
                     if left and right else [])
        got = relation_note(note) if note else (False, None)
        is_novel.append(got[0])
        score.append(got[1])
    return out


def exploded_entities(lines, etype: str, ids: str, xrefs: str):
    """One row per entity a line's side names, ``(id, pmid, etype, refs)``: the columns
    `ids` and `xrefs` (lists, one xref list per id) exploded together."""
    from pyspark.sql import functions as F

    return lines.select("pmid", F.col(etype).alias("etype"), F.col(xrefs).alias("xrefs"),
                        F.posexplode(ids).alias("pos", "id")) \
        .select("id", "pmid", "etype", F.col("xrefs")[F.col("pos")].alias("refs"))


def entity_facts(nodes):
    """The node facts ``(id, fact, a, b, n, o)`` every entity row of :func:`exploded_entities`
    gives (:func:`kg.spark.concepts.entity_fact_array`)."""
    from pyspark.sql import functions as F

    return nodes.select("id", F.inline(entity_fact_array()))


def relation_node_facts(lines):
    """Node facts ``(id, fact, a, b, n, o)`` of the entities the lines name (both sides)."""
    left, right = (entity_facts(exploded_entities(lines, f"etype{n}", f"ids{n}", f"xrefs{n}")) for n in (1, 2))
    return left.unionByName(right)


def relation_edge_facts(lines):
    """Edge facts ``(u, v, key, fact, a, n, score)`` of the lines' edges (as the builder's ``_edge``)."""
    from pyspark.sql import functions as F

    null = F.lit(None).cast("string")
    zero, none = F.lit(0).cast("long"), F.lit(None).cast("double")
    edges = lines.where(F.size("pairs") > 0).select("pmid", "rel", "key", "novel", "is_novel", "score",
                                                    F.explode("pairs").alias("p")) \
        .select(F.col("p.u").alias("u"), F.col("p.v").alias("v"), "key", "pmid", "rel", "novel", "is_novel", "score")

    def facts(df, fact, a, n=zero, score=none):
        return df.select("u", "v", "key", F.lit(fact).alias("fact"), a.alias("a"), n.alias("n"), score.alias("score"))

    noted = edges.where(F.col("novel") != "")
    return facts(edges, "count", null, F.lit(1).cast("long")) \
        .unionByName(facts(edges, "pmid", F.col("pmid"))) \
        .unionByName(facts(edges, "source", F.col("rel"))) \
        .unionByName(facts(noted.where(F.col("score").isNotNull()), "score", null, zero, F.col("score"))) \
        .unionByName(facts(noted.where(F.col("score").isNull()), "novel", null)) \
        .unionByName(facts(noted.where(F.col("score").isNull() & F.col("is_novel")), "novel", F.col("pmid")))


def add_relation_tallies(report: BuildReport, lines, paths: list[str]) -> None:
    """Add the lines' counts to `report`; the lines without an edge are read by kg's builder
    (one document each, as in their file: nothing else of the document matters), which
    writes their report entries."""
    from pyspark.sql import functions as F

    kept = F.size("pairs") > 0
    rows = lines.where(kept).groupBy("rel", "known").agg(F.count(F.lit(1)).alias("n")).collect()
    for r in rows:
        report.relations_in_graph += r["n"]
        if not r["known"]:
            report.unknown_relation_types[r["rel"]] += r["n"]
    odd = lines.where(~kept).select("file", "line", "pmid", "rel", "id1", "id2", "novel").orderBy("file", "line")
    for r in odd.toLocalIterator():
        path = paths[r["file"]]
        builder = GraphBuilder(BuildReport())
        builder.add(Document(r["pmid"], path, r["line"],
                             relations=[Relation(r["pmid"], r["rel"], r["id1"], r["id2"], r["line"], r["novel"])]))
        report.unresolved_relations += builder.report.unresolved_relations
        report.self_relations += builder.report.self_relations
