"""Bulk concept lines aggregated by Spark, with kg's rules applied to distinct values only.

A bulk concept file is most of PubTator3 (≈ 1 billion lines). Its lines are read by kg's
own reader (:func:`kg.spark.read.read_concepts`: the reader judges every line), but
what :class:`~kg.builder.GraphBuilder` does with an annotation without offsets depends on
its four values alone, so Spark does that work itself, in the JVM:

1. the distinct raw ``(type, id)`` pairs go through :func:`kg.normalize.resolve_annotation`
   (``mapInArrow``) and are joined back to the lines; a document-scoped id is completed
   with the line's PMID by :func:`kg.normalize.scoped_id`;
2. each line gives, for each of its node ids, the node facts of
   :mod:`kg.spark.records` (its type, PMID, xrefs); the distinct mention lists go
   through :func:`kg.normalize.mention_forms` and, counted per node and list, give the node's
   mentions and synonym forms;
3. the report's counts (annotations in the graph, mentions without id, ids not of their
   type, composite pieces without id) are sums by type.

The facts are merged with those of the other inputs' builders and finished by kg's
functions (one merge, one finish: :func:`kg.spark.engine.build_spark`).
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from ..builder import BuildReport
from ..normalize import mention_forms, resolve_annotation, scoped_id

__all__ = ["RESOLVED_SCHEMA", "FORMS_SCHEMA", "resolve_rows", "scope_rows", "form_rows", "resolved_lines",
           "exploded_entities", "entity_facts", "concept_node_facts", "add_tallies"]

_strs = pa.list_(pa.string())
#: :func:`~kg.normalize.resolve_annotation` of one distinct ``(ctype, cid)``, as columns.
RESOLVED_SCHEMA = pa.schema([
    ("ctype", pa.string()), ("cid", pa.string()), ("rtype", pa.string()), ("ids", _strs),
    ("xrefs", pa.list_(_strs)), ("scoped", pa.bool_()), ("unusable", pa.bool_()), ("pieces_none", pa.int64()),
])
#: :func:`~kg.normalize.mention_forms` of one distinct mention list.
FORMS_SCHEMA = pa.schema([("mentions", pa.string()), ("k", pa.int64()), ("forms", _strs)])


def resolve_rows(batches):
    """``mapInArrow``: distinct ``(ctype, cid)`` → what kg's identity rule makes of them."""
    for batch in batches:
        out: dict[str, list] = {name: [] for name in RESOLVED_SCHEMA.names}
        for t, i in zip(batch.column("ctype").to_pylist(), batch.column("cid").to_pylist()):
            r = resolve_annotation(t, i)
            out["ctype"].append(t)
            out["cid"].append(i)
            out["rtype"].append(r.type)
            out["ids"].append(list(r.ids))
            out["xrefs"].append([list(x) for x in r.xrefs])
            out["scoped"].append(r.scoped)
            out["unusable"].append(bool(r.unusable))
            out["pieces_none"].append(r.pieces.count(None) if r.ids and r.pieces else 0)
        yield pa.RecordBatch.from_pydict(out, schema=RESOLVED_SCHEMA)


def scope_rows(batches):
    """``mapInArrow``: lines whose ids are document-scoped, their ids completed with the
    line's PMID (:func:`~kg.normalize.scoped_id`); the other columns as they are."""
    for batch in batches:
        ids = [[scoped_id(i, p) for i in row] for row, p in
               zip(batch.column("ids").to_pylist(), batch.column("pmid").to_pylist())]
        yield batch.set_column(batch.schema.get_field_index("ids"), "ids", pa.array(ids, type=_strs))


def form_rows(batches):
    """``mapInArrow``: distinct mention lists → ``(mentions, k, forms)`` by :func:`~kg.normalize.mention_forms`."""
    for batch in batches:
        texts = batch.column("mentions").to_pylist()
        got = [mention_forms(t) for t in texts]
        yield pa.RecordBatch.from_pydict({"mentions": texts, "k": [k for k, _ in got], "forms": [f for _, f in got]},
                                         schema=FORMS_SCHEMA)


def resolved_lines(concepts):
    """The concept lines ``(pmid, ctype, cid, mentions)`` joined with their resolution,
    ids already scoped: ``(pmid, mentions, rtype, ids, xrefs, unusable, pieces_none)``."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    resolved = concepts.select("ctype", "cid").distinct().mapInArrow(resolve_rows, from_arrow_schema(RESOLVED_SCHEMA))
    lines = concepts.join(resolved, ["ctype", "cid"]) \
        .select("pmid", "mentions", "rtype", "ids", "xrefs", "scoped", "unusable", "pieces_none")
    scoped = lines.where(F.col("scoped"))
    scoped = scoped.mapInArrow(scope_rows, scoped.schema)
    return lines.where(~F.col("scoped")).unionByName(scoped).drop("scoped")


def exploded_entities(lines, etype: str, ids: str, xrefs: str, *keep: str):
    """One row per entity a line names, ``(id, pmid, etype, refs, *keep)``: the columns
    `ids` and `xrefs` (lists, one xref list per id) exploded together."""
    from pyspark.sql import functions as F

    return lines.select("pmid", F.col(etype).alias("etype"), F.col(xrefs).alias("xrefs"), *keep,
                        F.posexplode(ids).alias("pos", "id")) \
        .select("id", "pmid", "etype", F.col("xrefs")[F.col("pos")].alias("refs"), *keep)


def entity_facts(nodes):
    """The node facts ``(id, fact, a, b, n, o)`` every entity row of :func:`exploded_entities`
    gives, as the builder counts them: its type (one), its PMID, its xrefs."""
    from pyspark.sql import functions as F

    null = F.lit(None).cast("string")
    zero, one = F.lit(0).cast("long"), F.lit(1).cast("long")
    types = nodes.select("id", F.lit("type").alias("fact"), F.col("etype").alias("a"), null.alias("b"),
                         one.alias("n"), zero.alias("o"))
    pmids = nodes.select("id", F.lit("pmid").alias("fact"), F.col("pmid").alias("a"), null.alias("b"),
                         zero.alias("n"), zero.alias("o"))
    xrefs = nodes.where(F.size("refs") > 0).select("id", F.lit("xref").alias("fact"), F.explode("refs").alias("a"),
                                                   null.alias("b"), zero.alias("n"), zero.alias("o"))
    return types.unionByName(pmids).unionByName(xrefs)


def concept_node_facts(lines):
    """Node facts ``(id, fact, a, b, n, o)`` of resolved concept lines (see the module docstring)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    null = F.lit(None).cast("string")
    zero = F.lit(0).cast("long")
    mapped = lines.where(F.size("ids") > 0)
    nodes = exploded_entities(mapped, "rtype", "ids", "xrefs", "mentions")
    forms = mapped.select("mentions").distinct().mapInArrow(form_rows, from_arrow_schema(FORMS_SCHEMA))
    texts = nodes.groupBy("id", "mentions").agg(F.count(F.lit(1)).alias("c")).join(forms, "mentions")
    counts = texts.select("id", F.lit("mentions").alias("fact"), null.alias("a"), null.alias("b"),
                          (F.col("c") * F.col("k")).alias("n"), zero.alias("o"))
    synonyms = texts.select("id", F.explode("forms").alias("a"), "c") \
        .select("id", F.lit("form").alias("fact"), "a", null.alias("b"), F.col("c").alias("n"), F.col("c").alias("o"))
    return entity_facts(nodes).unionByName(counts).unionByName(synonyms)


def add_tallies(report: BuildReport, lines) -> None:
    """Add the concept lines' annotation counts to `report`, as the builder counts them."""
    from pyspark.sql import functions as F

    rows = lines.groupBy("rtype", (F.size("ids") > 0).alias("mapped")).agg(
        F.count(F.lit(1)).alias("n"), F.sum(F.col("unusable").cast("long")).alias("unusable"),
        F.sum("pieces_none").alias("pieces_none")).collect()
    for r in rows:
        if r["mapped"]:
            report.annotations_in_graph += r["n"]
            _add(report.pieces_without_id, r["rtype"], r["pieces_none"])
        else:
            _add(report.mentions_without_id, r["rtype"], r["n"])
            _add(report.ids_not_of_type, r["rtype"], r["unusable"])


def _add(counter: Counter, key: str, n: int) -> None:
    if n:  # the builder counts only what happened: no zero entries
        counter[key] += n
