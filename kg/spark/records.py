"""Partial graphs as flat *facts* ↔ Arrow rows, and the finish of merged facts by kg's own functions.

Runs inside Spark's Python workers (``mapInArrow``); needs pyarrow, not pyspark. A node's
or an edge's mergeable state (:class:`~kg.builder.NodeRecord`, :class:`~kg.builder.EdgeRecord`)
travels as facts, one row each: a type and its count, a mention form and its counts, a
PMID, an xref… Spark merges them itself (sums of the counts of equal facts, and so
unions), and the finish turns each node's or edge's merged facts back into its record
and applies :func:`~kg.builder.finish_node` / :func:`~kg.builder.finish_edge` /
:func:`~kg.normalize.choose_title`: every choice (type, name, title, PMID order) is
kg's, this module only moves inputs and outputs between Arrow and Python.
"""

from __future__ import annotations

import json
import pickle
from functools import reduce
from typing import Any

import pyarrow as pa

from ..builder import EdgeRecord, NodeRecord, finish_edge, finish_node
from ..normalize import choose_title
from .export import EDGE_KEYS, edge_lines, node_lines
from .relations import LINE_SCHEMA

__all__ = ["PARTIAL_SCHEMA", "ENTITY_SCHEMA", "RELATION_SCHEMA", "ARTICLE_SCHEMA", "partial_batches",
           "FINISHED_SCHEMA", "FINISHED_EDGE_SCHEMA", "finish_nodes", "finish_edges", "finish_articles",
           "node_facts", "edge_facts", "node_record", "edge_record", "concept_batch", "article_batch",
           "relation_batch", "report_batch"]

_strs = pa.list_(pa.string())
_longs = pa.list_(pa.int64())

#: One Spark task's output, all kinds in one table (``kind``): ``node`` facts
#: ``(id, fact, a, b, n, o)``, ``edge`` facts ``(u, v, key, fact, a, n, score)``,
#: ``article`` ``(id, title)``, ``concept`` entities ``(pmid, id, etype, refs, n, forms)`` (bulk
#: concept files, :mod:`kg.spark.concepts`), ``relation`` lines (bulk relation
#: files, the columns of :data:`kg.spark.relations.LINE_SCHEMA`) and one
#: ``report`` row (``blob``).
PARTIAL_SCHEMA = pa.schema([
    ("kind", pa.string()), ("id", pa.string()), ("u", pa.string()), ("v", pa.string()), ("key", pa.string()),
    ("fact", pa.string()), ("a", pa.string()), ("b", pa.string()), ("n", pa.int64()), ("o", pa.int64()),
    ("score", pa.float64()), ("title", pa.string()), ("blob", pa.binary()),
    ("pmid", pa.string()), ("etype", pa.string()), ("refs", _strs), ("forms", _strs),
    ("rel", pa.string()), ("id1", pa.string()), ("id2", pa.string()), ("novel", pa.string()), ("file", pa.int32()),
    ("line", pa.int64()),
    *(f for f in LINE_SCHEMA if f.name not in ("file", "line", "pmid", "rel", "id1", "id2", "novel", "key", "score")),
])

#: Finished entities: the node attributes of the in-memory graph, as columns (``extra``: JSON
#: of any attribute not listed here, so that a new one is never lost on the way).
ENTITY_SCHEMA = pa.schema([
    ("id", pa.string()), ("type", pa.string()), ("name", pa.string()), ("synonyms", _strs),
    ("synonym_counts", _longs), ("mentions", pa.int64()), ("pmids", _strs), ("xrefs", _strs),
    ("name_source", pa.string()), ("extra", pa.string()), ("conflict", pa.string()),
])
#: The two export lines of a finished node or edge (neo4j-csv, KGX), made in the finish pass.
_LINES = (pa.field("neo4j", pa.string()), pa.field("kgx", pa.string()))
#: The finish stage's entities: one pickled :class:`~kg.vocab.NamesReport` per batch, the export lines.
FINISHED_SCHEMA = pa.schema([*ENTITY_SCHEMA, pa.field("names_report", pa.binary()), *_LINES])
RELATION_SCHEMA = pa.schema([
    ("u", pa.string()), ("v", pa.string()), ("key", pa.string()), ("pmids", _strs), ("count", pa.int64()),
    ("mentions", pa.int64()), ("source_types", _strs), ("novel", _strs), ("score", pa.float64()),
    ("extra", pa.string()),
])
#: The finish stage's relations: with their export lines.
FINISHED_EDGE_SCHEMA = pa.schema([*RELATION_SCHEMA, *_LINES])
ARTICLE_SCHEMA = pa.schema([("pmid", pa.string()), ("title", pa.string())])

_NODE_KEYS = ("type", "name", "synonyms", "mentions", "pmids", "xrefs", "name_source")
_BATCH = 50_000


def node_facts(r: NodeRecord):
    """A node record as facts ``(fact, a, b, n, o)``: equal facts merge by adding ``n``
    and ``o``, as :func:`~kg.builder.merge_node_records` adds counts and unites sets."""
    yield "mentions", None, None, r.mentions, 0
    for t, n in r.types.items():
        yield "type", t, None, n, 0
    for f, (n, outside) in r.forms.items():
        yield "form", f, None, n, outside
    for p in r.pmids:
        yield "pmid", p, None, 0, 0
    for x in r.xrefs:
        yield "xref", x, None, 0, 0
    for name, n in r.names.items():
        yield "name", name, None, n, 0
    for short, long in r.pairs:
        yield "pair", short, long, 0, 0


def node_record(node_id: str, facts, pmids=()) -> NodeRecord:
    """The record of a node's merged facts (inverse of :func:`node_facts`); its PMIDs
    may come apart, as `pmids`."""
    types: dict[str, int] = {}
    forms: dict[str, list[int]] = {}
    names: dict[str, int] = {}
    pmids = set(pmids)
    xrefs: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    mentions = 0
    for fact, a, b, n, o in facts:
        if fact == "pmid":
            pmids.add(a)
        elif fact == "form":
            forms[a] = [n, o]
        elif fact == "type":
            types[a] = n
        elif fact == "mentions":
            mentions += n
        elif fact == "xref":
            xrefs.add(a)
        elif fact == "name":
            names[a] = n
        elif fact == "pair":
            pairs.add((a, b))
        else:
            raise ValueError(f"unknown node fact {fact!r}")
    return NodeRecord(node_id, types, forms, mentions, pmids, xrefs, names, pairs)


def edge_facts(r: EdgeRecord):
    """An edge record as facts ``(fact, a, n, score)`` (``novel`` with ``a`` None: the
    edge has a novelty set, maybe empty); equal facts merge by adding ``n``, the higher score."""
    yield "count", None, r.count, None
    for p in r.pmids:
        yield "pmid", p, 0, None
    for s in r.source_types:
        yield "source", s, 0, None
    if r.novel is not None:
        yield "novel", None, 0, None
        for p in r.novel:
            yield "novel", p, 0, None
    if r.score is not None:
        yield "score", None, 0, r.score


def edge_record(u: str, v: str, key: str, facts) -> EdgeRecord:
    """The record of an edge's merged facts (inverse of :func:`edge_facts`)."""
    pmids: set[str] = set()
    sources: set[str] = set()
    novel: set[str] | None = None
    count, score = 0, None
    for fact, a, n, s in facts:
        if fact == "pmid":
            pmids.add(a)
        elif fact == "count":
            count += n
        elif fact == "source":
            sources.add(a)
        elif fact == "novel":
            novel = novel if novel is not None else set()
            if a is not None:
                novel.add(a)
        elif fact == "score":
            score = s if score is None else max(score, s)
        else:
            raise ValueError(f"unknown edge fact {fact!r}")
    return EdgeRecord(u, v, key, pmids, sources, novel, count, score)


def _table(columns: dict[str, list], n: int) -> pa.RecordBatch:
    full = {name: columns.get(name, [None] * n) for name in PARTIAL_SCHEMA.names}
    return pa.RecordBatch.from_pydict(full, schema=PARTIAL_SCHEMA)


def _fact_batches(kind: str, keys: tuple[str, ...], fields: tuple[str, ...], rows):
    """Batches of `kind` rows from ``(key values, fact)`` pairs."""
    names = keys + fields
    cols: dict[str, list] = {name: [] for name in names}
    out = [cols[name] for name in names]
    count = 0
    for key, fact in rows:
        for col, value in zip(out, key + fact):
            col.append(value)
        count += 1
        if count == _BATCH:
            yield _table({"kind": [kind] * count, **cols}, count)
            cols = {name: [] for name in names}
            out = [cols[name] for name in names]
            count = 0
    if count:
        yield _table({"kind": [kind] * count, **cols}, count)


def report_batch(blob: dict[str, Any]) -> pa.RecordBatch:
    """The one ``report`` row of a task (`blob` pickled: its report and counts)."""
    return _table({"kind": ["report"], "blob": [pickle.dumps(blob)]}, 1)


def concept_batch(cols: dict[str, list]) -> pa.RecordBatch:
    """``concept`` rows from :func:`kg.spark.read.read_concepts` entity columns."""
    n = len(cols["pmid"])
    return _table({"kind": ["concept"] * n, **cols}, n)


def article_batch(pmids: list[str]) -> pa.RecordBatch:
    """``article`` rows without a title for documents `pmids` (as the builder keeps a bulk
    file's document: an article without a title)."""
    n = len(pmids)
    return _table({"kind": ["article"] * n, "id": pmids, "title": [""] * n}, n)


def relation_batch(cols: dict[str, list]) -> pa.RecordBatch:
    """``relation`` rows from :func:`kg.spark.relations.resolve_relations` columns."""
    n = len(cols["pmid"])
    return _table({"kind": ["relation"] * n, **cols}, n)


def partial_batches(result, blob: dict[str, Any]):
    """Arrow batches of one chunk's partial graph (:meth:`GraphBuilder.partial`) as facts
    and, last, one ``report`` row carrying `blob`."""
    nodes, edges, articles = result.builder.partial()
    yield from _fact_batches("node", ("id",), ("fact", "a", "b", "n", "o"),
                             (((r.id,), f) for r in nodes for f in node_facts(r)))
    yield from _fact_batches("edge", ("u", "v", "key"), ("fact", "a", "n", "score"),
                             (((r.u, r.v, r.key), f) for r in edges for f in edge_facts(r)))
    yield from _fact_batches("article", ("id",), ("title",), (((p,), (t,)) for p, t in articles.items()))
    yield report_batch(blob)


def _grouped(batch: pa.RecordBatch, fields: tuple[str, ...]):
    """The ``facts`` list column of a batch as one list of tuples per row (columnar, fast)."""
    facts = batch.column("facts")
    flat = facts.flatten()
    cols = [flat.field(name).to_pylist() for name in fields]
    rows = list(zip(*cols))
    offsets = facts.offsets.to_pylist()
    return [rows[offsets[i] - offsets[0] : offsets[i + 1] - offsets[0]] for i in range(len(facts))]


def _extra(attrs: dict[str, Any], known: tuple[str, ...]) -> str | None:
    rest = {k: v for k, v in attrs.items() if k not in known}
    return json.dumps(rest, ensure_ascii=False, sort_keys=True) if rest else None


def finish_nodes(batches, builtin_names: bool = True):
    """``mapInArrow``: rows ``(id, facts, pmids)`` → entity rows, by :func:`node_record`,
    :func:`~kg.builder.finish_node` and :func:`kg.vocab.apply_names` (built-in names; it
    names each node by itself alone, so a batch at a time gives the whole graph's names),
    with the node's export lines (:func:`kg.spark.export.node_lines`) from the same pass."""
    import networkx as nx

    from ..vocab import apply_names

    lines = node_lines()

    for batch in batches:
        G = nx.MultiDiGraph()
        conflicts = []
        rows = zip(batch.column("id").to_pylist(), _grouped(batch, ("fact", "a", "b", "n", "o")),
                   batch.column("pmids").to_pylist())
        for node_id, facts, pmids in rows:
            node_id, attrs, conflict = finish_node(node_record(node_id, facts, pmids))
            G.add_node(node_id, **attrs)
            conflicts.append(None if conflict is None else json.dumps(conflict, ensure_ascii=False))
        names = apply_names(G, None, builtin=builtin_names)
        out: dict[str, list] = {name: [] for name in FINISHED_SCHEMA.names}
        for node_id, attrs in G.nodes(data=True):
            syn = attrs["synonyms"]
            out["id"].append(node_id)
            out["synonyms"].append(list(syn))
            out["synonym_counts"].append(list(syn.values()))
            for name in _NODE_KEYS:
                if name != "synonyms":
                    out[name].append(attrs.get(name))
            out["extra"].append(_extra(attrs, _NODE_KEYS))
            neo4j, kgx = lines(node_id, attrs)
            out["neo4j"].append(neo4j)
            out["kgx"].append(kgx)
        out["conflict"] = conflicts
        out["names_report"] = [pickle.dumps(names)] + [None] * (len(conflicts) - 1)
        if conflicts:
            yield pa.RecordBatch.from_pydict(out, schema=FINISHED_SCHEMA)


def finish_edges(batches):
    """``mapInArrow``: rows ``(u, v, key, facts)`` → relation rows, by :func:`edge_record`
    and :func:`~kg.builder.finish_edge`, with the edge's export lines
    (:func:`kg.spark.export.edge_lines`) from the same pass."""

    lines = edge_lines()
    for batch in batches:
        out: dict[str, list] = {name: [] for name in FINISHED_EDGE_SCHEMA.names}
        ends = zip(*(batch.column(c).to_pylist() for c in ("u", "v", "key")))
        for (u, v, key), facts in zip(ends, _grouped(batch, ("fact", "a", "n", "score"))):
            u, v, key, attrs = finish_edge(edge_record(u, v, key, facts))
            for name, value in (("u", u), ("v", v), ("key", key)):
                out[name].append(value)
            for name in EDGE_KEYS:
                out[name].append(attrs.get(name))
            out["extra"].append(_extra(attrs, EDGE_KEYS))
            neo4j, kgx = lines(u, v, key, attrs)
            out["neo4j"].append(neo4j)
            out["kgx"].append(kgx)
        yield pa.RecordBatch.from_pydict(out, schema=FINISHED_EDGE_SCHEMA)


def finish_articles(batches):
    """``mapInArrow``: rows ``(pmid, titles)`` → ``(pmid, title)`` by :func:`~kg.normalize.choose_title`."""
    for batch in batches:
        pmids = batch.column("id").to_pylist()
        titles = [reduce(choose_title, ts, None) for ts in batch.column("titles").to_pylist()]
        yield pa.RecordBatch.from_pydict({"pmid": pmids, "title": titles}, schema=ARTICLE_SCHEMA)
