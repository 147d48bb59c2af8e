"""The graph model: documents → a :class:`GraphBuilder`'s state → one ``nx.MultiDiGraph``.

The builder accumulates plain dicts and sets while documents stream by (memory grows
with the graph, not the corpus) and turns them into a NetworkX graph once, at the end,
in sorted order so that the same corpus always gives the same graph. Every choice it
makes (ids, types, names, titles, PMID order) is a function of :mod:`kg.normalize`.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import networkx as nx

from .errors import ParseError
from .normalize import (
    ENTITY_TYPES,
    _COMPOSITE,
    _curie,
    canonical_relation,
    canonical_type,
    choose_name,
    entity_ids,
    relation_directed,
    sort_pmids,
    variant_aliases,
)
from .pubtator import Document, LineCounts

__all__ = ["BuildReport", "BuildResult", "GraphBuilder", "CO_MENTION", "gc_paused"]

CO_MENTION = "Co_Mention"


@dataclass
class BuildReport:
    """What the build read and what became of every record.

    ``lines == blank + comment + text + annotations + relations + rejected`` (see
    :meth:`reconciles`); annotations split into those in the graph and those without an
    identifier, relations into those in the graph and those whose ids could not be
    resolved in their document.
    """

    files: list[dict[str, Any]] = field(default_factory=list)
    skipped_files: list[dict[str, str]] = field(default_factory=list)
    documents: int = 0
    lines: LineCounts = field(default_factory=LineCounts)
    annotations_in_graph: int = 0
    mentions_without_id: Counter = field(default_factory=Counter)
    relations_in_graph: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unresolved_relations: list[dict[str, Any]] = field(default_factory=list)
    unknown_relation_types: Counter = field(default_factory=Counter)
    type_conflicts: list[dict[str, Any]] = field(default_factory=list)
    nodes_by_type: dict[str, int] = field(default_factory=dict)
    edges_by_type: dict[str, int] = field(default_factory=dict)

    def reconciles(self) -> bool:
        """True when every line read is accounted for exactly once."""
        c = self.lines
        return (
            c.lines == c.blank + c.comment + c.records + c.rejected
            and c.rejected == len(self.rejected)
            and c.annotations == self.annotations_in_graph + sum(self.mentions_without_id.values())
            and c.relations == self.relations_in_graph + len(self.unresolved_relations)
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lines"] = {name: getattr(self.lines, name) for name in LineCounts.__slots__}
        d["mentions_without_id"] = dict(sorted(self.mentions_without_id.items()))
        d["unknown_relation_types"] = dict(sorted(self.unknown_relation_types.items()))
        d["reconciles"] = self.reconciles()
        return d


class BuildResult(NamedTuple):
    graph: nx.MultiDiGraph
    report: BuildReport


class _Node:
    __slots__ = ("types", "forms", "mentions", "pmids")

    def __init__(self) -> None:
        self.types: dict[str, int] = {}
        self.forms: dict[str, list[int]] = {}  # mention form -> [count, count outside the title]
        self.mentions = 0
        self.pmids: set[str] = set()


class _Edge:
    __slots__ = ("pmids", "source_types", "novel", "count")

    def __init__(self) -> None:
        self.pmids: set[str] = set()
        self.source_types: set[str] = set()
        self.novel: set[str] | None = None
        self.count = 0


class _DocIndex:
    """The names under which a relation line may refer to its document's entities.

    Most relation ids are written exactly as an annotation's identifier, so only that
    map is kept while annotations stream by; the full alias index (composite parts,
    variant parts, mention text) is built on the first id that misses it.
    """

    __slots__ = ("builder", "pmid", "raw", "annotations", "aliases", "by_text")

    def __init__(self, builder: GraphBuilder, pmid: str) -> None:
        self.builder = builder
        self.pmid = pmid
        self.raw: dict[str, set[str]] = {}
        self.annotations: dict[tuple[str, str, str], tuple[str, ...]] = {}
        self.aliases: dict[str, set[str]] | None = None
        self.by_text: dict[str, set[str]] = {}

    def add(self, ann, etype: str, ids: tuple[str, ...]) -> None:
        raw = ann.identifier
        hit = self.raw.get(raw)
        if hit is None:
            self.raw[raw] = set(ids)
        elif not hit.issuperset(ids):
            hit.update(ids)
        self.annotations[(raw, ann.text, etype)] = ids

    def _build_aliases(self) -> dict[str, set[str]]:
        aliases: dict[str, set[str]] = {}
        by_text = self.by_text
        for (raw, text, etype), ids in self.annotations.items():
            aliases.setdefault(raw.strip(), set()).update(ids)
            for node_id in ids:
                aliases.setdefault(node_id, set()).add(node_id)
            if etype == "Variant":
                for key in variant_aliases(raw):
                    aliases.setdefault(key, set()).update(ids)
            elif len(ids) > 1:  # a relation may name one part of a composite id
                for piece in _COMPOSITE.split(raw):
                    aliases.setdefault(piece.strip(), set()).update(entity_ids(piece, etype))
            by_text.setdefault(text.strip().lower(), set()).update(ids)
        return aliases

    def resolve(self, ref: str) -> set[str]:
        """The nodes a relation id names, looked up in its document's annotations.

        A typed id (``Disease|MESH:D017566``, as in PubTator3's bulk relation file and
        BioC ``role`` infons) names its entity itself and needs no annotation.
        """
        found = self.raw.get(ref)
        if found:
            return found
        aliases = self.aliases
        if aliases is None:
            aliases = self.aliases = self._build_aliases()
        found = aliases.get(ref)
        if found:
            return found
        etype, bar, ident = ref.partition("|")
        if bar and etype in ENTITY_TYPES:
            return self.builder._typed_entity(canonical_type(etype), ident, self.pmid, aliases)
        out: set[str] = set()
        for piece in ref.replace(";", "|").replace(",", "|").split("|"):
            piece = piece.strip()
            hit = aliases.get(piece) or aliases.get(_curie(piece, "") or "")
            if hit:
                out |= hit
        if out:
            return out
        for key in variant_aliases(ref):
            hit = aliases.get(key)
            if hit:
                out |= hit
        if out:
            return out
        return self.by_text.get(ref.lower(), out)  # NetMedEx's "standardized" files name entities


class GraphBuilder:
    """A sink for documents: :meth:`add` each one, then :meth:`graph` once.

    Parameters
    ----------
    report : BuildReport
        Filled in as documents are added.
    strict : bool
        Raise :class:`~kg.errors.ParseError` on the first relation that cannot be resolved.
    co_mentions : bool
        Also add a ``Co_Mention`` edge between every two entities of a document.
    articles : bool
        Keep each document's title in ``G.graph["articles"]`` (for Article nodes in Neo4j).
    """

    def __init__(self, report: BuildReport | None = None, *, strict: bool = False,
                 co_mentions: bool = False, articles: bool = True) -> None:
        self.report = report if report is not None else BuildReport()
        self.strict = strict
        self.co_mentions = co_mentions
        self.keep_articles = articles
        self.nodes: dict[str, _Node] = {}
        self.edges: dict[tuple[str, str, str], _Edge] = {}
        self.articles: dict[str, str] = {}
        #: (node rows, type conflicts, edge rows, articles) once finished (see _finish)
        self.finished: tuple[list, list, list, dict | None] | None = None
        self._handed_out = False  # a graph() already holds the finished rows' dicts
        #: where the time went, in seconds (for benchmarks; the native reader fills it)
        self.seconds: dict[str, float] = {}

    # -- adding --------------------------------------------------------------------------

    def add(self, doc: Document) -> None:
        """Add one document's entities and relations."""
        report = self.report
        report.documents += 1
        pmid = doc.pmid
        if self.keep_articles:
            title = doc.title or ""
            old = self.articles.get(pmid)
            if old is None or (len(title), title) > (len(old), old):  # order-independent choice
                self.articles[pmid] = title
        title_len = len(doc.title) if doc.title is not None else 0
        index = _DocIndex(self, pmid) if doc.relations else None
        doc_ids: set[str] = set()
        nodes = self.nodes
        for ann in doc.annotations:
            etype = canonical_type(ann.type)
            ids = entity_ids(ann.identifier, etype)
            if not ids:
                report.mentions_without_id[etype] += 1
                continue
            report.annotations_in_graph += 1
            parts = ann.parts.split("|") if ann.parts and len(ids) > 1 else ()
            in_title = 0 <= ann.start < title_len
            for i, node_id in enumerate(ids):
                node = nodes.get(node_id)
                if node is None:
                    node = nodes[node_id] = _Node()
                node.types[etype] = node.types.get(etype, 0) + 1
                node.pmids.add(pmid)
                if len(parts) == len(ids):
                    forms = (parts[i],)
                elif ann.start < 0:  # document-level: `form1|form2` lists every mention
                    forms = ann.text.split("|")
                else:
                    forms = (ann.text,)
                for form in forms:
                    node.mentions += 1
                    form = form.strip()
                    if form:
                        counts = node.forms.get(form)
                        if counts is None:
                            counts = node.forms[form] = [0, 0]
                        counts[0] += 1
                        if not in_title:
                            counts[1] += 1
            if self.co_mentions:
                doc_ids.update(ids)
            if index is not None:
                index.add(ann, etype, ids)
        for rel in doc.relations:
            self._add_relation(doc, rel, index)
        if self.co_mentions:
            ids = sorted(doc_ids)
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    self._edge(ids[a], ids[b], CO_MENTION, pmid, None, "")

    def _typed_entity(self, etype: str, ident: str, pmid: str, aliases: dict[str, set[str]]) -> set[str]:
        """Nodes for a typed relation id, created when no annotation of the document names them."""
        ids = set(entity_ids(ident, etype))
        for node_id in ids:
            node = self.nodes.get(node_id)
            if node is None:
                node = self.nodes[node_id] = _Node()
            if node_id not in aliases:  # not annotated in this document: count its type once
                node.types[etype] = node.types.get(etype, 0) + 1
            node.pmids.add(pmid)
        return ids

    def _add_relation(self, doc: Document, rel, index: _DocIndex) -> None:
        report = self.report
        key, known = canonical_relation(rel.type)
        left = index.resolve(rel.id1)
        right = index.resolve(rel.id2)
        if not left or not right:
            missing = " and ".join(repr(r) for r, s in ((rel.id1, left), (rel.id2, right)) if not s)
            reason = f"relation id {missing} matches no annotation of document {doc.pmid}"
            if self.strict:
                raise ParseError(reason, doc.path, rel.lineno, f"{rel.pmid}\t{rel.type}\t{rel.id1}\t{rel.id2}")
            report.unresolved_relations.append(
                {"path": doc.path, "line": rel.lineno, "pmid": rel.pmid, "type": rel.type,
                 "id1": rel.id1, "id2": rel.id2, "reason": reason}
            )
            return
        if not known:
            report.unknown_relation_types[rel.type] += 1
        report.relations_in_graph += 1
        directed = relation_directed(key)
        novel = rel.novel
        for u in sorted(left):
            for v in sorted(right):
                if not directed and v < u:
                    u, v = v, u
                self._edge(u, v, key, doc.pmid, rel.type, novel)

    def _edge(self, u: str, v: str, key: str, pmid: str, source_type: str | None, novel: str) -> None:
        edge = self.edges.get((u, v, key))
        if edge is None:
            edge = self.edges[(u, v, key)] = _Edge()
        edge.pmids.add(pmid)
        edge.count += 1
        if source_type is not None:
            edge.source_types.add(source_type)
        if novel:
            if edge.novel is None:
                edge.novel = set()
            if novel.lower().startswith("novel"):
                edge.novel.add(pmid)

    def merge(self, other: GraphBuilder) -> None:
        """Add another builder's partial graph and report (from a worker process)."""
        if self.finished is not None or other.finished is not None:
            raise ValueError("a finished builder cannot be merged")
        for node_id, theirs in other.nodes.items():
            mine = self.nodes.get(node_id)
            if mine is None:
                self.nodes[node_id] = theirs
                continue
            for t, n in theirs.types.items():
                mine.types[t] = mine.types.get(t, 0) + n
            for form, (n, outside) in theirs.forms.items():
                counts = mine.forms.setdefault(form, [0, 0])
                counts[0] += n
                counts[1] += outside
            mine.mentions += theirs.mentions
            mine.pmids |= theirs.pmids
        for key, theirs in other.edges.items():
            mine = self.edges.get(key)
            if mine is None:
                self.edges[key] = theirs
                continue
            mine.pmids |= theirs.pmids
            mine.source_types |= theirs.source_types
            mine.count += theirs.count
            if theirs.novel is not None:
                mine.novel = (mine.novel or set()) | theirs.novel
        for pmid, title in other.articles.items():
            old = self.articles.get(pmid)
            if old is None or (len(title), title) > (len(old), old):
                self.articles[pmid] = title
        a, b = self.report, other.report
        a.files += b.files
        a.documents += b.documents
        a.lines.add(b.lines)
        a.annotations_in_graph += b.annotations_in_graph
        a.mentions_without_id.update(b.mentions_without_id)
        a.relations_in_graph += b.relations_in_graph
        a.rejected += b.rejected
        a.unresolved_relations += b.unresolved_relations
        a.unknown_relation_types.update(b.unknown_relation_types)

    # -- finishing -----------------------------------------------------------------------

    def graph(self) -> nx.MultiDiGraph:
        """The graph, nodes and edges in sorted order; fills the report's tallies."""
        if self.finished is None:
            t0 = time.perf_counter()
            self.finished = self._finish()
            self.seconds["finish"] = time.perf_counter() - t0
        elif self._handed_out:  # a second graph gets its own attribute dicts and lists
            self.finished = _copy_rows(self.finished)
        self._handed_out = True
        node_rows, conflicts, edge_rows, articles = self.finished
        t0 = time.perf_counter()
        G = _assemble(node_rows, edge_rows)
        self.seconds["assemble"] = time.perf_counter() - t0
        if articles is not None:
            G.graph["articles"] = articles
        self.report.type_conflicts = list(conflicts)
        self.report.nodes_by_type = dict(sorted(Counter(attrs["type"] for _, attrs in node_rows).items()))
        self.report.edges_by_type = dict(sorted(Counter(row[2] for row in edge_rows).items()))
        return G

    def _finish(self) -> tuple[list, list, list, dict | None]:
        """Nodes ``(id, attrs)`` and edges ``(u, v, key, attrs)`` in sorted order, the type
        conflicts and the articles: what :meth:`graph` assembles (``kg._native`` makes the
        same rows natively)."""
        node_rows, conflicts = [], []
        for node_id in sorted(self.nodes):
            node = self.nodes[node_id]
            etype = max(node.types.items(), key=lambda kv: (kv[1], kv[0]))[0]
            if len(node.types) > 1:
                conflicts.append({"id": node_id, "types": dict(sorted(node.types.items())), "chosen": etype})
            synonyms = dict(sorted(((f, c[0]) for f, c in node.forms.items()), key=lambda fc: (-fc[1], fc[0])))
            node_rows.append((node_id, {"type": etype, "name": choose_name(node.forms) or node_id,
                                        "synonyms": synonyms, "mentions": node.mentions,
                                        "pmids": sort_pmids(node.pmids)}))
        edge_rows = []
        for (u, v, key) in sorted(self.edges):
            edge = self.edges[(u, v, key)]
            attrs: dict[str, Any] = {
                "pmids": sort_pmids(edge.pmids),
                "count": len(edge.pmids),
                "mentions": edge.count,
                "source_types": sorted(edge.source_types),
            }
            if edge.novel is not None:
                attrs["novel"] = sort_pmids(edge.novel)
            edge_rows.append((u, v, key, attrs))
        articles = {p: self.articles[p] for p in sort_pmids(self.articles)} if self.keep_articles else None
        return node_rows, conflicts, edge_rows, articles


def _copy_rows(finished: tuple[list, list, list, dict | None]) -> tuple[list, list, list, dict | None]:
    """Finished rows with fresh attribute dicts (and fresh lists and dicts in them)."""
    def fresh(attrs: dict[str, Any]) -> dict[str, Any]:
        return {k: v.copy() if isinstance(v, (list, dict)) else v for k, v in attrs.items()}

    node_rows, conflicts, edge_rows, articles = finished
    return ([(n, fresh(a)) for n, a in node_rows], conflicts, [(u, v, k, fresh(a)) for u, v, k, a in edge_rows],
            None if articles is None else dict(articles))


def _assemble(node_rows: list, edge_rows: list) -> nx.MultiDiGraph:
    """A MultiDiGraph from ready attribute dicts, written straight into NetworkX's adjacency
    dicts: the same graph as ``add_node``/``add_edge`` one by one (an edge's unknown end
    becomes a bare node, as there), at a fraction of their ≈ 10 µs an edge."""
    G = nx.MultiDiGraph()
    nodes, succ, pred = G._node, G._succ, G._pred

    def add_node(node_id: str, attrs: dict[str, Any]) -> None:
        nodes[node_id] = attrs
        succ[node_id] = {}
        pred[node_id] = {}

    for node_id, attrs in node_rows:
        add_node(node_id, attrs)
    for u, v, key, attrs in edge_rows:
        for end in (u, v):
            if end not in nodes:
                add_node(end, {})
        keys = succ[u].get(v)
        if keys is None:
            keys = succ[u][v] = pred[v][u] = {}
        keys[key] = attrs
    return G




@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while millions of acyclic objects (sets, dicts,
    lists) are made: its full passes over them cost a third of finishing a big graph."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
