"""Partial records ↔ Arrow rows, and the finish of merged records by kg's own functions.

Runs inside Spark's Python workers (``mapInArrow``); needs pyarrow, not pyspark. Every
choice (type, name, title, PMID order) is made by :mod:`kg.builder` / :mod:`kg.normalize`
functions; this module only moves their inputs and outputs between Arrow and Python.
"""

from __future__ import annotations

import json
import pickle
from functools import reduce
from typing import Any

import pyarrow as pa

from ..builder import finish_edge, finish_node, merge_edge_records, merge_node_records
from ..normalize import choose_title

__all__ = ["PARTIAL_SCHEMA", "ENTITY_SCHEMA", "RELATION_SCHEMA", "ARTICLE_SCHEMA", "partial_batches",
           "FINISHED_SCHEMA", "finish_nodes", "finish_edges", "finish_articles", "node_attrs", "edge_attrs"]

_strs = pa.list_(pa.string())
_longs = pa.list_(pa.int64())

#: One Spark task's output: node, edge, article and report rows in one table (``kind``).
#: Node and edge records travel pickled (``rec``): Spark only groups them by key, kg's
#: functions merge them, so a field kg adds to the records needs no change here.
PARTIAL_SCHEMA = pa.schema([
    ("kind", pa.string()), ("id", pa.string()), ("u", pa.string()), ("v", pa.string()), ("key", pa.string()),
    ("rec", pa.binary()), ("title", pa.string()), ("blob", pa.binary()),
])

#: Finished entities: the node attributes of the in-memory graph, as columns (``extra``: JSON
#: of any attribute not listed here, so that a new one is never lost on the way).
ENTITY_SCHEMA = pa.schema([
    ("id", pa.string()), ("type", pa.string()), ("name", pa.string()), ("synonyms", _strs),
    ("synonym_counts", _longs), ("mentions", pa.int64()), ("pmids", _strs), ("xrefs", _strs),
    ("name_source", pa.string()), ("extra", pa.string()), ("conflict", pa.string()),
])
#: The finish stage's entities: one pickled :class:`~kg.vocab.NamesReport` per batch.
FINISHED_SCHEMA = ENTITY_SCHEMA.append(pa.field("names_report", pa.binary()))
RELATION_SCHEMA = pa.schema([
    ("u", pa.string()), ("v", pa.string()), ("key", pa.string()), ("pmids", _strs), ("count", pa.int64()),
    ("mentions", pa.int64()), ("source_types", _strs), ("novel", _strs), ("score", pa.float64()),
    ("extra", pa.string()),
])
ARTICLE_SCHEMA = pa.schema([("pmid", pa.string()), ("title", pa.string())])

_NODE_KEYS = ("type", "name", "synonyms", "mentions", "pmids", "xrefs", "name_source")
_EDGE_KEYS = ("pmids", "count", "mentions", "source_types", "novel", "score")
_BATCH = 20_000


def _table(columns: dict[str, list], n: int) -> pa.RecordBatch:
    full = {name: columns.get(name, [None] * n) for name in PARTIAL_SCHEMA.names}
    return pa.RecordBatch.from_pydict(full, schema=PARTIAL_SCHEMA)


def partial_batches(result, blob: dict[str, Any]):
    """Arrow batches of one chunk's partial graph (:meth:`GraphBuilder.partial`) and, last,
    one ``report`` row carrying `blob` (pickled: the chunk's report and counts)."""
    nodes, edges, articles = result.builder.partial()
    dumps = pickle.dumps
    for i in range(0, len(nodes), _BATCH):
        part = nodes[i : i + _BATCH]
        yield _table({"kind": ["node"] * len(part), "id": [r.id for r in part], "rec": [dumps(r) for r in part]},
                     len(part))
    for i in range(0, len(edges), _BATCH):
        part = edges[i : i + _BATCH]
        yield _table({"kind": ["edge"] * len(part), "u": [r.u for r in part], "v": [r.v for r in part],
                      "key": [r.key for r in part], "rec": [dumps(r) for r in part]}, len(part))
    items = list(articles.items())
    for i in range(0, len(items), _BATCH):
        part = items[i : i + _BATCH]
        yield _table({"kind": ["article"] * len(part), "id": [p for p, _ in part], "title": [t for _, t in part]},
                     len(part))
    yield _table({"kind": ["report"], "blob": [pickle.dumps(blob)]}, 1)


def _merged(recs: list[bytes], merge):
    return reduce(merge, map(pickle.loads, recs))


def _extra(attrs: dict[str, Any], known: tuple[str, ...]) -> str | None:
    rest = {k: v for k, v in attrs.items() if k not in known}
    return json.dumps(rest, ensure_ascii=False, sort_keys=True) if rest else None


def finish_nodes(batches, builtin_names: bool = True):
    """``mapInArrow``: rows ``(id, parts)`` → entity rows, by :func:`~kg.builder.merge_node_records`,
    :func:`~kg.builder.finish_node` and :func:`kg.vocab.apply_names` (built-in names; it
    names each node by itself alone, so a batch at a time gives the whole graph's names)."""
    import networkx as nx

    from ..vocab import apply_names

    for batch in batches:
        G = nx.MultiDiGraph()
        conflicts = []
        for row in batch.to_pylist():
            record = _merged(row["parts"], merge_node_records)
            node_id, attrs, conflict = finish_node(record)
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
        out["conflict"] = conflicts
        out["names_report"] = [pickle.dumps(names)] + [None] * (len(conflicts) - 1)
        if conflicts:
            yield pa.RecordBatch.from_pydict(out, schema=FINISHED_SCHEMA)


def finish_edges(batches):
    """``mapInArrow``: rows ``(u, v, key, parts)`` → relation rows, by
    :func:`~kg.builder.merge_edge_records` and :func:`~kg.builder.finish_edge`."""
    for batch in batches:
        out: dict[str, list] = {name: [] for name in RELATION_SCHEMA.names}
        for row in batch.to_pylist():
            record = _merged(row["parts"], merge_edge_records)
            u, v, key, attrs = finish_edge(record)
            for name, value in (("u", u), ("v", v), ("key", key)):
                out[name].append(value)
            for name in _EDGE_KEYS:
                out[name].append(attrs.get(name))
            out["extra"].append(_extra(attrs, _EDGE_KEYS))
        yield pa.RecordBatch.from_pydict(out, schema=RELATION_SCHEMA)


def finish_articles(batches):
    """``mapInArrow``: rows ``(pmid, titles)`` → ``(pmid, title)`` by :func:`~kg.normalize.choose_title`."""
    for batch in batches:
        pmids = batch.column("id").to_pylist()
        titles = [reduce(choose_title, ts, None) for ts in batch.column("titles").to_pylist()]
        yield pa.RecordBatch.from_pydict({"pmid": pmids, "title": titles}, schema=ARTICLE_SCHEMA)


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
    attrs = {name: row[name] for name in _EDGE_KEYS if row[name] is not None}
    if row["extra"]:
        attrs.update(json.loads(row["extra"]))
    return attrs
