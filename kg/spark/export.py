"""Export rows by kg's own row functions (:mod:`kg.io`: ``neo4j_*_row``, ``kgx_*_row``).

The finish pass makes each node's and edge's lines by kg's row functions
(:func:`node_lines`, :func:`edge_lines`, the rows ``kg export`` writes for the same node
or edge); Spark writes them and the driver concatenates the parts under the header.
The rows are kg's by construction; the CSV dialects are :mod:`kg.io`'s (the parity
tests compare whole files). The one exception is the biggest file, MENTIONS (one row per
entity and PMID): Spark writes a row itself when neither value needs CSV quoting
(:func:`mention_lines`), the others go through :func:`kg.io.neo4j_mention_rows`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow as pa

from .. import io as kgio

__all__ = ["OUTPUTS", "TEXT_SCHEMA", "entity_rows", "article_rows", "headers", "optional_columns",
           "mention_rows", "mention_lines", "article_lines", "NODE_LINE_COLUMNS", "node_lines", "edge_lines",
           "EDGE_KEYS", "node_attrs", "edge_attrs"]

#: the relation attributes that have a column of their own in the relations table
EDGE_KEYS = ("pmids", "count", "mentions", "source_types", "novel", "score")

#: partition value -> file under OUTDIR, in the layout of ``kg export --format neo4j-csv`` / ``kgx``
OUTPUTS = {
    "nodes_entities": "neo4j-csv/nodes_entities.csv",
    "nodes_articles": "neo4j-csv/nodes_articles.csv",
    "relationships_entities": "neo4j-csv/relationships_entities.csv",
    "relationships_mentions": "neo4j-csv/relationships_mentions.csv",
    "kgx_nodes": "kgx/nodes.tsv",
    "kgx_edges": "kgx/edges.tsv",
}
TEXT_SCHEMA = pa.schema([("file", pa.string()), ("text", pa.string())])


def _csv(rows) -> str:
    buf = io.StringIO()
    csv.writer(buf, **kgio.NEO4J_CSV).writerows(rows)
    return buf.getvalue()


def _tsv(rows) -> str:
    buf = io.StringIO()
    csv.writer(buf, **kgio.KGX_TSV).writerows(rows)
    return buf.getvalue()


class _Line:
    """One row as the csv module writes it in `dialect`, without its line end."""

    def __init__(self, dialect: dict) -> None:
        self.buf = io.StringIO()
        self.writer = csv.writer(self.buf, **dialect)

    def __call__(self, row) -> str:
        buf = self.buf
        buf.seek(0)
        buf.truncate()
        self.writer.writerow(row)
        return buf.getvalue()[:-1]  # both dialects end a line with "\n"


#: The optional columns of ``nodes_entities.csv`` that :func:`node_lines` writes: those a
#: PubTator3 build has (``name_source`` on every named node, ``xrefs`` from composite ids).
#: The finish writes a node's rows in the same pass; if the graph's optional columns turn
#: out otherwise, the entity rows are made again by :func:`entity_rows`.
NODE_LINE_COLUMNS = tuple(a for a in kgio.NEO4J_OPTIONAL_COLUMNS if a in ("xrefs", "name_source"))


def node_lines():
    """``lines(node, attrs)`` → its ``nodes_entities.csv`` line (optional columns
    :data:`NODE_LINE_COLUMNS`) and its KGX ``nodes.tsv`` line, by kg's row functions."""
    neo4j, kgx = _Line(kgio.NEO4J_CSV), _Line(kgio.KGX_TSV)

    def lines(node: str, attrs: dict) -> tuple[str, str]:
        return neo4j(kgio.neo4j_entity_row(node, attrs, NODE_LINE_COLUMNS)), kgx(kgio.kgx_node_row(node, attrs))

    return lines


def edge_lines():
    """``lines(u, v, key, attrs)`` → the edge's ``relationships_entities.csv`` line and its
    KGX ``edges.tsv`` line, by kg's row functions."""
    neo4j, kgx = _Line(kgio.NEO4J_CSV), _Line(kgio.KGX_TSV)

    def lines(u: str, v: str, key: str, attrs: dict) -> tuple[str, str]:
        return neo4j(kgio.neo4j_relationship_row(u, v, key, attrs)), kgx(kgio.kgx_edge_row(u, v, key, attrs))

    return lines


def _emit(parts: dict[str, str]) -> pa.RecordBatch:
    parts = {k: t[:-1] for k, t in parts.items() if t}  # Spark's text writer adds the line end
    return pa.RecordBatch.from_pydict({"file": list(parts), "text": list(parts.values())}, schema=TEXT_SCHEMA)


def optional_columns(batches):
    """``mapInArrow`` over entities: the node attributes present (one row per batch); the
    optional columns of ``nodes_entities.csv`` are those any node has."""
    for batch in batches:
        present = set()
        for row in batch.to_pylist():
            present.update(node_attrs(row))
        yield pa.RecordBatch.from_pydict({"name": sorted(present)}, schema=pa.schema([("name", pa.string())]))


def entity_rows(batches, optional: tuple[str, ...]):
    """``mapInArrow``: entity rows → neo4j-csv node rows, KGX node rows."""
    for batch in batches:
        nodes, kgx = [], []
        for row in batch.to_pylist():
            node, attrs = row["id"], node_attrs(row)
            nodes.append(kgio.neo4j_entity_row(node, attrs, optional))
            kgx.append(kgio.kgx_node_row(node, attrs))
        yield _emit({"nodes_entities": _csv(nodes), "kgx_nodes": _tsv(kgx)})


class _Every:
    """Every PMID of a node is an article's: the builder adds a document's article and its
    entities' PMIDs together (the parity tests check the MENTIONS file)."""

    def __contains__(self, pmid: str) -> bool:
        return True


def mention_rows(batches):
    """``mapInArrow``: ``(pmid, id)`` rows → MENTIONS rows by :func:`kg.io.neo4j_mention_rows`."""
    every = _Every()
    for batch in batches:
        rows = [row for pmid, node in zip(batch.column("pmid").to_pylist(), batch.column("id").to_pylist())
                for row in kgio.neo4j_mention_rows(node, {"pmids": [pmid]}, every)]
        yield _emit({"relationships_mentions": _csv(rows)})


#: A value the csv module writes as it is (QUOTE_MINIMAL, in a row of several values: no
#: delimiter, quote or line end).
_PLAIN = '^[^,"\r\n]*$'


def _plain_lines(df, file: str, values, fallback):
    """``(file, text)`` rows of `df`: Spark joins `values` (columns) with commas where no
    value needs quoting, `fallback` (a ``mapInArrow`` function of kg's row function) makes
    the other rows."""
    from functools import reduce as fold

    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    plain = fold(lambda a, b: a & b, (F.coalesce(v.rlike(_PLAIN), F.lit(False)) for v in values))
    fast = df.where(plain).select(F.lit(file).alias("file"), F.concat_ws(",", *values).alias("text"))
    return fast.unionByName(df.where(~plain).mapInArrow(fallback, from_arrow_schema(TEXT_SCHEMA)))


def mention_lines(mentions):
    """The MENTIONS rows of the ``mentions`` table ``(pmid, id)`` (``pmid,id,MENTIONS``,
    the bytes :func:`kg.io.write_neo4j_csv` writes for plain values; the rest by :func:`mention_rows`)."""
    from pyspark.sql import functions as F

    return _plain_lines(mentions, "relationships_mentions", [F.col("pmid"), F.col("id"), F.lit("MENTIONS")],
                        mention_rows)


def article_lines(articles):
    """The Article rows of the ``articles`` table ``(pmid, title)`` (``pmid,Article,title``
    for plain values, as :func:`kg.io.neo4j_article_row`; the rest by :func:`article_rows`)."""
    from pyspark.sql import functions as F

    return _plain_lines(articles, "nodes_articles", [F.col("pmid"), F.lit("Article"), F.col("title")], article_rows)


def article_rows(batches):
    """``mapInArrow``: article rows → neo4j-csv Article node rows."""
    for batch in batches:
        rows = [kgio.neo4j_article_row(p, t) for p, t in
                zip(batch.column("pmid").to_pylist(), batch.column("title").to_pylist())]
        yield _emit({"nodes_articles": _csv(rows)})


def headers(optional: tuple[str, ...]) -> dict[str, str]:
    """The header line of every output (kg.io's header tables)."""
    return {
        "nodes_entities": _csv([kgio.NEO4J_ENTITY_HEADER + tuple(kgio.NEO4J_OPTIONAL_COLUMNS[a] for a in optional)]),
        "nodes_articles": _csv([kgio.NEO4J_ARTICLE_HEADER]),
        "relationships_entities": _csv([kgio.NEO4J_RELATIONSHIP_HEADER]),
        "relationships_mentions": _csv([kgio.NEO4J_MENTION_HEADER]),
        "kgx_nodes": _tsv([kgio.KGX_NODE_COLUMNS]),
        "kgx_edges": _tsv([kgio.KGX_EDGE_COLUMNS]),
    }


def node_attrs(row: dict[str, Any]) -> dict[str, Any]:
    """The in-memory graph's attribute dict of an entity row (keys in finish_node's order)."""
    attrs = {"type": row["type"], "name": row["name"],
             "synonyms": dict(zip(row["synonyms"], row["synonym_counts"])),
             "mentions": row["mentions"], "pmids": row["pmids"]}
    for name in ("xrefs", "name_source"):
        if row[name] is not None:
            attrs[name] = row[name]
    if row["extra"]:
        attrs.update(json.loads(row["extra"]))
    return attrs


def edge_attrs(row: dict[str, Any]) -> dict[str, Any]:
    """The in-memory graph's attribute dict of a relation row."""
    attrs = {name: row[name] for name in EDGE_KEYS if row[name] is not None}
    if row["extra"]:
        attrs.update(json.loads(row["extra"]))
    return attrs
