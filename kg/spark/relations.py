"""Bulk relation lines aggregated by Spark, with kg's rules applied by kg's functions.

A bulk relation file's documents hold relations only, so a line's fate depends on its
own values: each id names its entities by itself (a typed id, :func:`kg.normalize.typed_ref`,
resolved by :func:`kg.normalize.resolve_annotation`, scoped to the line's PMID by
:func:`kg.normalize.scoped_id`) or names nothing. Then:

1. the distinct ids and relation types go through kg's functions (``mapInArrow``) and
   are joined back to the lines; per line, :func:`kg.normalize.relation_pairs` gives its
   edges and :func:`kg.normalize.relation_note` its note (cheap, in the same pass);
2. every entity a line names gets its node facts (type, PMID, xrefs), as the builder
   creates them whether the relation is kept or not; each edge its edge facts (the
   line's PMID, count, source type, novelty or score): merged with the other inputs'
   facts and finished by kg's functions (:mod:`kg.spark.records`);
3. the lines that give no edge (an id that names nothing, both sides one entity) are
   few and are read again by kg's :class:`~kg.builder.GraphBuilder` on the driver, which
   writes their report entries; the other counts are sums.
"""

from __future__ import annotations

import pyarrow as pa

from ..builder import BuildReport, GraphBuilder
from ..normalize import (canonical_relation, relation_directed, relation_note, relation_pairs, resolve_annotation,
                         scoped_id, typed_ref)
from ..pubtator import Document, Relation
from .concepts import entity_facts, exploded_entities

__all__ = ["REF_SCHEMA", "TYPE_SCHEMA", "LINE_SCHEMA", "ref_rows", "type_rows", "line_rows", "resolved_relations",
           "relation_node_facts", "relation_edge_facts", "add_relation_tallies"]

_strs = pa.list_(pa.string())
#: What a relation id names by itself: the entities' type, ids (not yet scoped) and xrefs.
REF_SCHEMA = pa.schema([("ref", pa.string()), ("etype", pa.string()), ("ids", _strs), ("xrefs", pa.list_(_strs))])
#: A relation type: its edge key, whether kg knows it, whether its edges are directed.
TYPE_SCHEMA = pa.schema([("rel", pa.string()), ("key", pa.string()), ("known", pa.bool_()), ("directed", pa.bool_())])
_PAIR = pa.struct([("u", pa.string()), ("v", pa.string())])
#: A line with its sides' ids scoped to its PMID, its edges and its note.
LINE_SCHEMA = pa.schema([
    ("file", pa.int32()), ("line", pa.int64()), ("pmid", pa.string()), ("rel", pa.string()), ("id1", pa.string()),
    ("id2", pa.string()), ("novel", pa.string()), ("key", pa.string()), ("known", pa.bool_()),
    ("etype1", pa.string()), ("ids1", _strs), ("xrefs1", pa.list_(_strs)),
    ("etype2", pa.string()), ("ids2", _strs), ("xrefs2", pa.list_(_strs)),
    ("pairs", pa.list_(_PAIR)), ("is_novel", pa.bool_()), ("score", pa.float64()),
])


def ref_rows(batches):
    """``mapInArrow``: distinct relation ids → what they name by themselves (nothing: no ids)."""
    for batch in batches:
        out: dict[str, list] = {name: [] for name in REF_SCHEMA.names}
        for ref in batch.column("ref").to_pylist():
            typed = typed_ref(ref)
            r = resolve_annotation(*typed) if typed else None
            out["ref"].append(ref)
            out["etype"].append(r.type if r else None)
            out["ids"].append(list(r.ids) if r else [])
            out["xrefs"].append([list(x) for x in r.xrefs] if r else [])
        yield pa.RecordBatch.from_pydict(out, schema=REF_SCHEMA)


def type_rows(batches):
    """``mapInArrow``: distinct relation types → edge key, known, directed (kg's vocabulary)."""
    for batch in batches:
        rels = batch.column("rel").to_pylist()
        keys = [canonical_relation(r) for r in rels]
        yield pa.RecordBatch.from_pydict({"rel": rels, "key": [k for k, _ in keys], "known": [k for _, k in keys],
                                          "directed": [relation_directed(k) for k, _ in keys]}, schema=TYPE_SCHEMA)


def line_rows(batches):
    """``mapInArrow``: joined lines → :data:`LINE_SCHEMA` (ids scoped to the line's PMID as
    the builder scopes a typed id's, the edges by :func:`~kg.normalize.relation_pairs`
    when both sides name something, the note by :func:`~kg.normalize.relation_note`)."""
    for batch in batches:
        cols = {name: batch.column(name).to_pylist() for name in batch.schema.names}
        ids1, ids2, pairs, novel, score = [], [], [], [], []
        for pmid, a, b, directed, note in zip(cols["pmid"], cols["ids1"], cols["ids2"], cols["directed"],
                                              cols["novel"]):
            left = [scoped_id(i, pmid) for i in a]
            right = [scoped_id(i, pmid) for i in b]
            ids1.append(left)
            ids2.append(right)
            pairs.append([{"u": u, "v": v} for u, v in relation_pairs(set(left), set(right), directed)]
                         if left and right else [])
            got = relation_note(note) if note else (False, None)
            novel.append(got[0])
            score.append(got[1])
        cols.update(ids1=ids1, ids2=ids2, pairs=pairs, is_novel=novel, score=score)
        yield pa.RecordBatch.from_pydict({name: cols[name] for name in LINE_SCHEMA.names}, schema=LINE_SCHEMA)


def resolved_relations(relations):
    """The relation lines ``(pmid, rel, id1, id2, novel, file, line)`` as :data:`LINE_SCHEMA` rows."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    refs = relations.select(F.col("id1").alias("ref")).unionByName(relations.select(F.col("id2").alias("ref"))) \
        .distinct().mapInArrow(ref_rows, from_arrow_schema(REF_SCHEMA))
    types = relations.select("rel").distinct().mapInArrow(type_rows, from_arrow_schema(TYPE_SCHEMA))

    def side(n: int):
        return refs.select(F.col("ref").alias(f"id{n}"), F.col("etype").alias(f"etype{n}"),
                           F.col("ids").alias(f"ids{n}"), F.col("xrefs").alias(f"xrefs{n}"))

    joined = relations.join(side(1), "id1").join(side(2), "id2").join(F.broadcast(types), "rel")  # a few dozen types
    return joined.mapInArrow(line_rows, from_arrow_schema(LINE_SCHEMA))


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
