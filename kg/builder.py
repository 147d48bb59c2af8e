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
from dataclasses import asdict, dataclass, field, fields
from typing import Any, NamedTuple

import networkx as nx

from .errors import ParseError
from .normalize import (
    abbreviation_pair,
    Resolved,
    canonical_relation,
    choose_name,
    choose_title,
    mention_forms,
    relation_directed,
    relation_note,
    relation_pairs,
    relation_ref_keys,
    typed_ref,
    resolve_annotation,
    scoped_id,
    sort_pmids,
)
from .pubtator import Document, LineCounts

__all__ = ["BuildReport", "BuildResult", "GraphBuilder", "CO_MENTION", "gc_paused", "NodeRecord", "EdgeRecord",
           "merge_node_records", "merge_edge_records", "finish_node", "finish_edge"]

CO_MENTION = "Co_Mention"


@dataclass
class BuildReport:
    """What the build read and what became of every record.

    ``lines == blank + comment + text + annotations + relations + rejected`` (see
    :meth:`reconciles`); annotations split into those in the graph and those without a
    usable identifier, relations into those in the graph, those whose ids could not be
    resolved in their document and those whose two sides are one entity.
    """

    files: list[dict[str, Any]] = field(default_factory=list)
    skipped_files: list[dict[str, str]] = field(default_factory=list)
    documents: int = 0
    lines: LineCounts = field(default_factory=LineCounts)
    annotations_in_graph: int = 0
    #: annotations without a usable identifier, by type (empty, ``-``, ``-1``, or not an id of the type)
    mentions_without_id: Counter = field(default_factory=Counter)
    #: of those: an identifier was given but is not one of the type (a cell line's taxon), by type
    ids_not_of_type: Counter = field(default_factory=Counter)
    #: pieces of composite ids without identifier (the ``-1`` of ``D002544|-1``), by type
    pieces_without_id: Counter = field(default_factory=Counter)
    #: annotations whose mention differs from the document text at its offsets (not made synonyms)
    mention_mismatches: int = 0
    relations_in_graph: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unresolved_relations: list[dict[str, Any]] = field(default_factory=list)
    #: relations whose two sides are one entity (no self-loop is made)
    self_relations: list[dict[str, Any]] = field(default_factory=list)
    unknown_relation_types: Counter = field(default_factory=Counter)
    type_conflicts: list[dict[str, Any]] = field(default_factory=list)
    nodes_by_type: dict[str, int] = field(default_factory=dict)
    edges_by_type: dict[str, int] = field(default_factory=dict)
    #: what naming from vocabularies did (:meth:`kg.vocab.NamesReport.to_dict`)
    names: dict[str, Any] = field(default_factory=dict)
    #: said before the build (e.g. it may not fit in memory: use ``--engine spark``)
    warnings: list[str] = field(default_factory=list)

    #: fields that describe the finished graph, not what was read (not merged)
    _TALLIES = ("skipped_files", "type_conflicts", "nodes_by_type", "edges_by_type", "names", "warnings")

    def reconciles(self) -> bool:
        """True when every line read is accounted for exactly once."""
        c = self.lines
        return (
            c.lines == c.blank + c.comment + c.records + c.rejected
            and c.rejected == len(self.rejected)
            and c.annotations == self.annotations_in_graph + sum(self.mentions_without_id.values())
            and c.relations == self.relations_in_graph + len(self.unresolved_relations) + len(self.self_relations)
        )

    def merge(self, other: BuildReport) -> None:
        """Add what another reader's report counted (lists extend, counts add)."""
        for f in fields(self):
            if f.name in self._TALLIES:
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, LineCounts):
                mine.add(theirs)
            elif isinstance(mine, Counter):
                mine.update(theirs)
            elif isinstance(mine, list):
                mine += theirs
            else:
                setattr(self, f.name, mine + theirs)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lines"] = {name: getattr(self.lines, name) for name in LineCounts.__slots__}
        for f in fields(self):
            if isinstance(getattr(self, f.name), Counter):
                d[f.name] = dict(sorted(getattr(self, f.name).items()))
        d["reconciles"] = self.reconciles()
        return d


class BuildResult(NamedTuple):
    graph: nx.MultiDiGraph
    report: BuildReport


class _Node:
    __slots__ = ("types", "forms", "mentions", "pmids", "xrefs", "names", "pairs")

    def __init__(self) -> None:
        self.types: dict[str, int] = {}
        self.forms: dict[str, list[int]] = {}  # mention form -> [count, count outside the title]
        self.mentions = 0
        self.pmids: set[str] = set()
        self.xrefs: set[str] | None = None
        self.names: dict[str, int] | None = None  # PubTator3's own names (BioC `name` infons) -> count
        self.pairs: set[tuple[str, str]] | None = None  # (short, long) forms paired in a text


class _Edge:
    __slots__ = ("pmids", "source_types", "novel", "count", "score")

    def __init__(self) -> None:
        self.pmids: set[str] = set()
        self.source_types: set[str] = set()
        self.novel: set[str] | None = None
        self.count = 0
        self.score: float | None = None


def _scoped(resolved: Resolved, pmid: str) -> tuple[str, ...]:
    """An annotation's node ids in document `pmid` (:func:`~kg.normalize.scoped_id`)."""
    return tuple(scoped_id(i, pmid) for i in resolved.ids) if resolved.scoped else resolved.ids


def _relation_record(doc: Document, rel, reason: str) -> dict[str, Any]:
    """A relation line as the report lists it."""
    return {"path": doc.path, "line": rel.lineno, "pmid": rel.pmid, "type": rel.type,
            "id1": rel.id1, "id2": rel.id2, "reason": reason}


def _count_forms(node: _Node, got: tuple[int, list[str]], matches: bool, in_title: bool) -> None:
    """Count a node's mentions and forms (:func:`~kg.normalize.mention_forms`); the forms
    become synonyms unless the mention is not the document's text at its offsets
    (``matches`` false)."""
    count, forms = got
    node.mentions += count
    if not matches:
        return
    node_forms = node.forms
    for form in forms:
        counts = node_forms.get(form)
        if counts is None:
            node_forms[form] = [1, 0 if in_title else 1]
        else:
            counts[0] += 1
            if not in_title:
                counts[1] += 1


class _DocIndex:
    """The names under which a relation line may refer to its document's entities.

    Most relation ids are written exactly as an annotation's identifier, so only that
    map is kept while annotations stream by; the full alias index (the keys
    :func:`~kg.normalize.resolve_annotation` gives: composite pieces, xrefs, variant parts,
    rsIDs; and mention text) is built on the first id that misses it.
    """

    __slots__ = ("builder", "pmid", "raw", "annotations", "aliases", "by_text")

    def __init__(self, builder: GraphBuilder, pmid: str) -> None:
        self.builder = builder
        self.pmid = pmid
        self.raw: dict[str, set[str]] = {}
        self.annotations: list[tuple[Resolved, str, tuple[str, ...]]] = []  # (rule's answer, text, node ids)
        self.aliases: dict[str, set[str]] | None = None
        self.by_text: dict[str, set[str]] = {}

    def add(self, ann, resolved: Resolved, ids: tuple[str, ...]) -> None:
        """One annotation, with its node ids already scoped to the document."""
        raw = ann.identifier
        hit = self.raw.get(raw)
        if hit is None:
            self.raw[raw] = set(ids)
        else:
            hit.update(ids)
        self.annotations.append((resolved, ann.text, ids))

    def _build_aliases(self) -> dict[str, set[str]]:
        aliases: dict[str, set[str]] = {}
        by_text = self.by_text
        pmid = self.pmid
        for resolved, text, node_ids in self.annotations:
            for key, ids in resolved.aliases:
                if resolved.scoped:
                    ids = [scoped_id(i, pmid) for i in ids]
                aliases.setdefault(key, set()).update(ids)
            by_text.setdefault(text.strip().lower(), set()).update(node_ids)
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
        typed = typed_ref(ref)
        if typed:
            return self.builder._typed_entity(*typed, self.pmid, aliases)
        out: set[str] = set()
        for keys in relation_ref_keys(ref):
            for key in keys:
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
        self._last: tuple[str, str] | None = None  # (path, PMID) of the last document added
        self._blocks: list[Document] = []  # the blocks of the article being read (see add)
        self._article_ids: set[str] = set()  # its entities so far (co-mentions)
        #: where the time went, in seconds (for benchmarks; the native reader fills it)
        self.seconds: dict[str, float] = {}

    # -- adding --------------------------------------------------------------------------

    def add(self, doc: Document) -> None:
        """Add one document's entities and relations.

        Consecutive blocks of one PMID in one file (a full text written one passage a
        block) are one article: counted once, titled by the first block; a relation line
        resolves against the annotations of every block read so far, and co-mentions join
        entities of different blocks.
        """
        report = self.report
        pmid = doc.pmid
        continued = self._last == (doc.path, pmid)
        self._last = (doc.path, pmid)
        if not continued:
            report.documents += 1
            self._blocks = []
            self._article_ids = set()
        if self.keep_articles:
            old = self.articles.get(pmid)
            if old is None or not continued:
                self.articles[pmid] = choose_title(old, doc.title or "")
        title = doc.title or ""
        title_len = len(title)
        text = None if doc.title is None and doc.abstract is None else title + " " + (doc.abstract or "")
        index = None
        if doc.relations:
            index = _DocIndex(self, pmid)
            for block in self._blocks:  # the article's earlier blocks
                for ann in block.annotations:
                    resolved = resolve_annotation(ann.type, ann.identifier, ann.parts)
                    if resolved.ids:
                        index.add(ann, resolved, _scoped(resolved, pmid))
        self._blocks.append(doc)
        doc_ids: set[str] = set()
        nodes = self.nodes
        prev_ids: tuple[str, ...] = ()  # the previous mention (with offsets) and its entities
        prev_end, prev_form = 0, ""
        for ann in doc.annotations:
            resolved = resolve_annotation(ann.type, ann.identifier, ann.parts)
            etype = resolved.type
            ids = resolved.ids
            if not ids:
                report.mentions_without_id[etype] += 1
                if resolved.unusable:
                    report.ids_not_of_type[etype] += 1
                continue
            if resolved.scoped:
                ids = _scoped(resolved, pmid)
            report.annotations_in_graph += 1
            start = ann.start
            mention = ann.text
            matches = text is None or not 0 <= start < ann.end <= len(text) or text[start:ann.end] == mention
            if not matches:
                report.mention_mismatches += 1
            in_title = 0 <= start < title_len
            pieces = resolved.pieces
            # mention forms per node: the annotation's text (a document-level one lists
            # every form, `a|b`), or, for a composite id with BC5CDR sub-mentions, one each
            forms = mention_forms(mention, listed=start < 0)
            pairs = None
            if pieces:
                if None in pieces:
                    report.pieces_without_id[etype] += pieces.count(None)
                subs = ann.parts.split("|") if ann.parts else ()
                if len(subs) == len(pieces):
                    pairs = [(node_id, mention_forms(form, listed=False)) for node_id, form in zip(pieces, subs)
                             if node_id is not None]
            for node_id, refs in zip(ids, resolved.xrefs):
                node = nodes.get(node_id)
                if node is None:
                    node = nodes[node_id] = _Node()
                node.types[etype] = node.types.get(etype, 0) + 1
                node.pmids.add(pmid)
                if refs:
                    node.xrefs = (node.xrefs or set()) | set(refs)
                if pairs is None:
                    _count_forms(node, forms, matches, in_title)
            if pairs is not None:
                for node_id, sub in pairs:
                    _count_forms(nodes[node_id], sub, matches, in_title)
            if matches and start >= 0:  # `long form (SF)` next to the previous mention of the entity?
                if prev_ids == ids:
                    pair = abbreviation_pair(text or "", prev_end, prev_form, start, ann.end, mention)
                    if pair is not None:
                        for node_id in ids:
                            node = nodes[node_id]
                            node.pairs = (node.pairs or set()) | {pair}
                prev_ids, prev_end, prev_form = ids, ann.end, mention
            if ann.name and len(ids) == 1:  # PubTator3 names the entity itself
                node = nodes[ids[0]]
                if node.names is None:
                    node.names = {}
                node.names[ann.name] = node.names.get(ann.name, 0) + 1
            if self.co_mentions:
                doc_ids.update(ids)
            if index is not None:
                index.add(ann, resolved, ids)
        for rel in doc.relations:
            self._add_relation(doc, rel, index)
        if self.co_mentions:  # each pair of the article once: new entities with all, old ones and new
            seen = self._article_ids
            new = sorted(doc_ids - seen)
            for a, u in enumerate(new):
                for v in (*new[a + 1:], *seen):
                    self._edge(*sorted((u, v)), CO_MENTION, pmid, None, "")
            seen.update(new)

    def _typed_entity(self, raw_type: str, ident: str, pmid: str, aliases: dict[str, set[str]]) -> set[str]:
        """Nodes for a typed relation id, created when no annotation of the document names them."""
        resolved = resolve_annotation(raw_type, ident)
        ids = [scoped_id(i, pmid) for i in resolved.ids]
        for node_id, refs in zip(ids, resolved.xrefs):
            node = self.nodes.get(node_id)
            if node is None:
                node = self.nodes[node_id] = _Node()
            if node_id not in aliases:  # not annotated in this document: count its type once
                node.types[resolved.type] = node.types.get(resolved.type, 0) + 1
            node.pmids.add(pmid)
            if refs:
                node.xrefs = (node.xrefs or set()) | set(refs)
        return set(ids)

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
            report.unresolved_relations.append(_relation_record(doc, rel, reason))
            return
        pairs = relation_pairs(left, right, relation_directed(key))
        if not pairs:
            reason = "both sides are one entity: " + ", ".join(sorted(left))
            report.self_relations.append(_relation_record(doc, rel, reason))
            return
        if not known:
            report.unknown_relation_types[rel.type] += 1
        report.relations_in_graph += 1
        for u, v in pairs:
            self._edge(u, v, key, doc.pmid, rel.type, rel.novel)

    def _edge(self, u: str, v: str, key: str, pmid: str, source_type: str | None, note: str) -> None:
        edge = self.edges.get((u, v, key))
        if edge is None:
            edge = self.edges[(u, v, key)] = _Edge()
        edge.pmids.add(pmid)
        edge.count += 1
        if source_type is not None:
            edge.source_types.add(source_type)
        if note:
            novel, score = relation_note(note)
            if score is not None:
                edge.score = score if edge.score is None else max(edge.score, score)
            else:
                if edge.novel is None:
                    edge.novel = set()
                if novel:
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
            if theirs.xrefs:
                mine.xrefs = (mine.xrefs or set()) | theirs.xrefs
            if theirs.names:
                mine.names = _add_counts(mine.names or {}, theirs.names)
            if theirs.pairs:
                mine.pairs = (mine.pairs or set()) | theirs.pairs
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
            if theirs.score is not None:
                mine.score = theirs.score if mine.score is None else max(mine.score, theirs.score)
        for pmid, title in other.articles.items():
            self.articles[pmid] = choose_title(self.articles.get(pmid), title)
        self.report.merge(other.report)

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
        conflicts and the articles: what :meth:`graph` assembles, by :func:`finish_node`
        and :func:`finish_edge` over the sorted :meth:`partial` records."""
        node_rows, conflicts = [], []
        nodes, edges, articles = self.partial()
        for record in sorted(nodes):
            node_id, attrs, conflict = finish_node(record)
            node_rows.append((node_id, attrs))
            if conflict is not None:
                conflicts.append(conflict)
        edge_rows = [finish_edge(record) for record in sorted(edges)]
        articles = {p: articles[p] for p in sort_pmids(articles)} if self.keep_articles else None
        return node_rows, conflicts, edge_rows, articles

    def partial(self) -> tuple[list[NodeRecord], list[EdgeRecord], dict[str, str]]:
        """The builder's state as mergeable records (for engines that merge partial graphs
        themselves, such as Spark): merge with :func:`merge_node_records` /
        :func:`merge_edge_records` and :func:`~kg.normalize.choose_title`, then finish."""
        nodes = [NodeRecord(node_id, n.types, n.forms, n.mentions, n.pmids, n.xrefs or set(), n.names or {},
                            n.pairs or set())
                 for node_id, n in self.nodes.items()]
        edges = [EdgeRecord(u, v, key, e.pmids, e.source_types, e.novel, e.count, e.score)
                 for (u, v, key), e in self.edges.items()]
        return nodes, edges, self.articles


class NodeRecord(NamedTuple):
    """A node's mergeable state: type counts, mention forms ``{form: [count, outside title]}``."""

    id: str
    types: dict[str, int]
    forms: dict[str, list[int]]
    mentions: int
    pmids: set[str]
    xrefs: set[str]
    #: PubTator3's own names of the entity (BioC ``name`` infons) -> count
    names: dict[str, int] = {}
    #: ``(short, long)`` forms that a text pairs (``long (short)``), for the name
    pairs: set[tuple[str, str]] = set()


def _add_counts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, n in b.items():
        out[k] = out.get(k, 0) + n
    return out


class EdgeRecord(NamedTuple):
    """An edge's mergeable state; ``count`` is the number of relation lines read."""

    u: str
    v: str
    key: str
    pmids: set[str]
    source_types: set[str]
    novel: set[str] | None
    count: int
    score: float | None


def merge_node_records(a: NodeRecord, b: NodeRecord) -> NodeRecord:
    """One node's records from two partial graphs, merged (sums and unions)."""
    forms = {f: list(c) for f, c in a.forms.items()}
    for f, (n, outside) in b.forms.items():
        c = forms.setdefault(f, [0, 0])
        c[0] += n
        c[1] += outside
    return NodeRecord(a.id, _add_counts(a.types, b.types), forms, a.mentions + b.mentions, a.pmids | b.pmids,
                      a.xrefs | b.xrefs, _add_counts(a.names, b.names), a.pairs | b.pairs)


def merge_edge_records(a: EdgeRecord, b: EdgeRecord) -> EdgeRecord:
    """One edge's records from two partial graphs, merged (sums, unions, the higher score)."""
    novel = a.novel if b.novel is None else b.novel if a.novel is None else a.novel | b.novel
    scores = [s for s in (a.score, b.score) if s is not None]
    return EdgeRecord(a.u, a.v, a.key, a.pmids | b.pmids, a.source_types | b.source_types, novel,
                      a.count + b.count, max(scores) if scores else None)


def finish_node(record: NodeRecord) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """``(id, attributes, type conflict or None)`` of a node: its type is the most frequent
    one (ties: the greatest name); its name PubTator3's own when it gave one (the most
    frequent, ``name_source = "pubtator3"``), else by :func:`~kg.normalize.choose_name`."""
    types = record.types
    etype = max(types.items(), key=lambda kv: (kv[1], kv[0]))[0]
    conflict = None
    if len(types) > 1:
        conflict = {"id": record.id, "types": dict(sorted(types.items())), "chosen": etype}
    synonyms = dict(sorted(((f, c[0]) for f, c in record.forms.items()), key=lambda fc: (-fc[1], fc[0])))
    attrs = {"type": etype, "name": choose_name(record.forms, record.pairs) or record.id, "synonyms": synonyms,
             "mentions": record.mentions, "pmids": sort_pmids(record.pmids)}
    if record.names:
        attrs["name"] = min(record.names, key=lambda n: (-record.names[n], n))
        attrs["name_source"] = "pubtator3"
    if record.xrefs:
        attrs["xrefs"] = sorted(record.xrefs)
    return record.id, attrs, conflict


def finish_edge(record: EdgeRecord) -> tuple[str, str, str, dict[str, Any]]:
    """``(u, v, key, attributes)`` of an edge."""
    attrs: dict[str, Any] = {
        "pmids": sort_pmids(record.pmids),
        "count": len(record.pmids),
        "mentions": record.count,
        "source_types": sorted(record.source_types),
    }
    if record.novel is not None:
        attrs["novel"] = sort_pmids(record.novel)
    if record.score is not None:
        attrs["score"] = record.score
    return record.u, record.v, record.key, attrs


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
