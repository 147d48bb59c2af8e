"""Helpers for people who analyse the graph in Python (a notebook, a script).

Every function takes the ``nx.MultiDiGraph`` that :func:`kg.build` returns (or
:func:`kg.read_graph` reads) and gives back plain Python values (lists of small named
tuples) or NetworkX graphs. The table-like ones (:func:`find`, :func:`neighbors`,
:func:`evidence`, :func:`top`) return a ``pandas.DataFrame`` instead when called with
``as_frame=True``; :func:`to_dataframes` gives the whole graph as two tables. pandas is
optional (``pip install pandas``, or ``pip install 'pubtator-kg[analysis]'``) and imported only
then.

Entities can be named by node id (``"MESH:D008180"``) or by name or synonym
(``"systemic lupus erythematosus"``, ``"SLE"``); :func:`resolve` says which node that is,
or raises :class:`~kg.errors.KgError` when nothing or more than one thing matches.

Symmetric relation types (``Association``, the correlations, ``Bind``, …) are stored once
per pair of entities, with the two ids in sorted order; the order means nothing, so here
they are undirected (``direction="undirected"``). Directed types (``CID``, ``Treat``,
``Cause``, …) keep their direction (``"out"``: from the entity asked about, ``"in"``: to
it). Paths, rankings by degree or PageRank, communities and projections all use the
undirected projection of the graph: one link per pair of entities whatever the relation
types, weighted by the number of distinct articles (PMIDs) behind any of them.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain, islice
from typing import Any, NamedTuple

import networkx as nx

from .normalize import pmid_sort_key
from .errors import KgError
from .normalize import canonical_relation, canonical_type, relation_directed

__all__ = [
    "find",
    "resolve",
    "neighbors",
    "evidence",
    "subgraph",
    "paths",
    "top",
    "communities",
    "project",
    "to_dataframes",
    "Entity",
    "Neighbor",
    "Evidence",
    "EvidencePath",
    "Ranked",
    "Frames",
    "type_filter",
    "article_count",
    "undirected_projection",
]

#: How many shortest paths :func:`paths` looks at before ranking them (there can be
#: very many between two well-connected entities).
MAX_PATHS_EXAMINED = 1000


# --- records -----------------------------------------------------------------------------


class Entity(NamedTuple):
    """One entity found by :func:`find`."""

    id: str
    name: str
    type: str
    articles: int
    matched: str  #: the id, name or synonym that matched the text


class Neighbor(NamedTuple):
    """One relation of an entity to another, from :func:`neighbors`."""

    id: str
    name: str
    type: str
    relation: str
    direction: str  #: "undirected", "out" (entity → neighbour) or "in" (neighbour → entity)
    count: int  #: number of distinct supporting articles
    pmids: list[str]


class Evidence(NamedTuple):
    """One edge with the articles behind it, from :func:`evidence` and :func:`paths`."""

    source: str
    target: str
    relation: str
    directed: bool
    count: int
    pmids: list[str]
    novel: list[str] | None  #: PMIDs whose annotators marked the relation novel (BioRED)
    titles: list[str]  #: article titles, in the order of ``pmids`` ("" when not kept)


class EvidencePath(NamedTuple):
    """A shortest path between two entities, with the edges behind every hop."""

    nodes: list[str]
    hops: list[list[Evidence]]  #: hops[i]: the edges between nodes[i] and nodes[i + 1]

    @property
    def strength(self) -> int:
        """Distinct articles behind the weakest hop (0 for a path of one node)."""
        if not self.hops:
            return 0
        return min(len({p for e in hop for p in e.pmids}) for hop in self.hops)

    @property
    def pmids(self) -> list[list[str]]:
        """The distinct PMIDs behind each hop."""
        return [sorted({p for e in hop for p in e.pmids}, key=pmid_sort_key) for hop in self.hops]


class Ranked(NamedTuple):
    """One entity of a ranking from :func:`top`."""

    id: str
    name: str
    type: str
    score: float  #: articles (by="pmids"), related entities (by="degree") or PageRank


class Frames(NamedTuple):
    """The graph as two ``pandas.DataFrame`` tables, from :func:`to_dataframes`."""

    nodes: Any
    edges: Any


# --- small helpers -----------------------------------------------------------------------


def _pandas(what: str):
    try:
        import pandas
    except ImportError as err:
        raise ImportError(
            f"{what} needs pandas, which is not installed: pip install pandas "
            "(or pip install 'pubtator-kg[analysis]')"
        ) from err
    return pandas


def _frame(rows: list, record: type, what: str):
    pd = _pandas(what)
    return pd.DataFrame([tuple(r) for r in rows], columns=list(record._fields))


def _fold(text: str) -> str:
    return " ".join(str(text).casefold().split())


def _names(value: str | Iterable[str] | None, canonical) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return {canonical(v) for v in value}


def _relations(relation: str | Iterable[str] | None) -> set[str] | None:
    """Edge keys for relation types as a user may spell them (``associate`` → ``Association``)."""
    return _names(relation, lambda r: canonical_relation(r)[0])


def type_filter(entity_type: str | Iterable[str] | None) -> set[str] | None:
    return _names(entity_type, canonical_type)


def article_count(d: dict) -> int:
    return len(d.get("pmids", ()))


def undirected_projection(G: nx.MultiDiGraph, relations: set[str] | None = None, min_pmids: int = 1) -> nx.Graph:
    """One undirected link per pair of entities: ``pmids`` (a set) and ``weight`` (its size)."""
    H = nx.Graph()
    H.add_nodes_from(G)
    for u, v, key, d in G.edges(keys=True, data=True):
        if relations is not None and key not in relations:
            continue
        pmids = d.get("pmids", ())
        if len(pmids) < min_pmids:
            continue
        if H.has_edge(u, v):
            H[u][v]["pmids"].update(pmids)
        else:
            H.add_edge(u, v, pmids=set(pmids))
    for _, _, d in H.edges(data=True):
        d["weight"] = len(d["pmids"])
    return H


def _evidence_rows(G: nx.MultiDiGraph, a: str, b: str, relations: set[str] | None = None,
                   min_pmids: int = 1) -> list[Evidence]:
    articles = G.graph.get("articles", {})
    rows = []
    for s, t in ((a, b), (b, a)) if a != b else ((a, a),):
        if not G.has_edge(s, t):
            continue
        for key, d in G[s][t].items():
            if relations is not None and key not in relations:
                continue
            pmids = list(d.get("pmids", ()))
            if len(pmids) < min_pmids:
                continue
            novel = d.get("novel")
            rows.append(Evidence(s, t, key, relation_directed(key), len(pmids), pmids,
                                 list(novel) if novel is not None else None,
                                 [articles.get(p, "") for p in pmids]))
    rows.sort(key=lambda e: (-e.count, e.relation, e.source))
    return rows


def _describe(G: nx.MultiDiGraph, node: str) -> str:
    d = G.nodes[node]
    n = article_count(d)
    return f"{node} ({d.get('name', node)}, {d.get('type', '?')}, {n} article{'' if n == 1 else 's'})"


# --- looking entities up -----------------------------------------------------------------


def _matches(G: nx.MultiDiGraph, text: str, types: set[str] | None, exact: bool) -> list[tuple[int, Entity]]:
    q = _fold(text)
    if not q:
        raise KgError("no entity can match an empty text")
    found = []
    for node, d in G.nodes(data=True):
        if types is not None and d.get("type") not in types:
            continue
        name = d.get("name") or node
        best: tuple[int, str] | None = None
        for form in chain((name, node), d.get("synonyms", ())):
            f = _fold(form)
            if f == q:
                best = (0, form)
                break
            if best is None and not exact and q in f:
                best = (1, form)
        if best is not None:
            found.append((best[0], Entity(node, name, d.get("type", ""), article_count(d), best[1]),
                          d.get("mentions", 0)))
    found.sort(key=lambda m: (m[0], -m[1].articles, -m[2], m[1].id))
    return [(tier, entity) for tier, entity, _ in found]


def find(G: nx.MultiDiGraph, text: str, *, type: str | Iterable[str] | None = None,
         exact: bool = False, limit: int | None = None, as_frame: bool = False):
    """Entities whose id, name or synonyms match `text`, best first.

    Parameters
    ----------
    G : nx.MultiDiGraph
        A graph built by :func:`kg.build`.
    text : str
        Compared without regard to case or runs of white space.
    type : str or list of str, optional
        Only entities of these types (``"Disease"``, ``"Gene"``, …; corpus spellings such
        as ``"GeneOrGeneProduct"`` are understood).
    exact : bool
        Only entities with an id, name or synonym equal to `text`; by default `text` may
        also be part of one.
    limit : int, optional
        At most this many.
    as_frame : bool
        Return a ``pandas.DataFrame`` with the same columns.

    Returns
    -------
    list of Entity
        ``Entity(id, name, type, articles, matched)``: exact matches first, then the
        others, each group by number of articles (then mentions, then id).

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> kg.analysis.find(G, "systemic lupus erythematosus")[0]
    Entity(id='MESH:D008180', name='systemic lupus erythematosus', type='Disease', articles=5, matched='systemic lupus erythematosus')
    >>> [e.id for e in kg.analysis.find(G, "sle", exact=True)]
    ['MESH:D008180']
    >>> [e.id for e in kg.analysis.find(G, "lupus", type="Gene")]
    []
    """
    rows = [e for _, e in _matches(G, text, type_filter(type), exact)][:limit]
    return _frame(rows, Entity, "find(as_frame=True)") if as_frame else rows


def resolve(G: nx.MultiDiGraph, entity: str, *, type: str | Iterable[str] | None = None) -> str:
    """The node id an entity names: a node id as is, else one unique name or synonym.

    An exact match (ignoring case) of id, name or synonym wins; when several entities
    have that synonym, one whose name it is wins. Otherwise the text must be part of the
    name or a synonym of exactly one entity.

    Raises
    ------
    KgError
        When nothing matches, or more than one entity does (the message lists them, so
        that one can be chosen by id).

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> kg.analysis.resolve(G, "SLE"), kg.analysis.resolve(G, "MESH:D008180")
    ('MESH:D008180', 'MESH:D008180')
    >>> kg.analysis.resolve(G, "no such disease")
    Traceback (most recent call last):
    ...
    kg.errors.KgError: no entity matches 'no such disease' (by id, name or synonym)
    """
    if not isinstance(entity, str):
        raise KgError(f"an entity is named by a node id or a name, not {entity!r}")
    types = type_filter(type)
    if entity in G and (types is None or G.nodes[entity].get("type") in types):
        return entity
    found = _matches(G, entity, types, exact=False)
    exact = [e for tier, e in found if tier == 0]
    if len(exact) > 1:
        named = [e for e in exact if _fold(e.name) == _fold(entity) or _fold(e.id) == _fold(entity)]
        if len(named) == 1:
            return named[0].id
    candidates = exact or [e for _, e in found]
    if len(candidates) == 1:
        return candidates[0].id
    kind = f" of type {'/'.join(sorted(types))}" if types else ""
    if not candidates:
        raise KgError(f"no entity{kind} matches {entity!r} (by id, name or synonym)")
    shown = "; ".join(_describe(G, e.id) for e in candidates[:5])
    more = f"; and {len(candidates) - 5} more" if len(candidates) > 5 else ""
    raise KgError(f"{entity!r} matches {len(candidates)} entities{kind}: {shown}{more}; "
                  "name one by its id")


# --- around one entity -------------------------------------------------------------------


def neighbors(G: nx.MultiDiGraph, entity: str, relation: str | Iterable[str] | None = None,
              type: str | Iterable[str] | None = None, *, min_pmids: int = 1, as_frame: bool = False):
    """Entities related to `entity`, one row per relation, strongest evidence first.

    Parameters
    ----------
    G : nx.MultiDiGraph
    entity : str
        Node id, name or synonym (see :func:`resolve`).
    relation : str or list of str, optional
        Only these relation types (edge keys such as ``"Association"``, or a corpus
        spelling such as ``"associate"``).
    type : str or list of str, optional
        Only neighbours of these entity types.
    min_pmids : int
        Only relations supported by at least this many articles.
    as_frame : bool
        Return a ``pandas.DataFrame`` with the same columns.

    Returns
    -------
    list of Neighbor
        ``Neighbor(id, name, type, relation, direction, count, pmids)`` sorted by number
        of articles (most first), then id.

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> rows = kg.analysis.neighbors(G, "systemic lupus erythematosus", relation="Association")
    >>> rows[0][:6]
    ('NCBIGene:3663', 'Interferon regulatory factor 5', 'Gene', 'Association', 'undirected', 2)
    >>> [(r.id, r.pmids) for r in rows if r.id == "NCBIGene:9970"]
    [('NCBIGene:9970', ['39937001'])]
    >>> sorted(r.id for r in kg.analysis.neighbors(G, "SLE", type="Variant"))
    ['dbSNP:rs1050501', 'dbSNP:rs10954213', 'dbSNP:rs25487']
    """
    node = resolve(G, entity)
    relations, types = _relations(relation), type_filter(type)
    rows: list[Neighbor] = []
    seen: set[tuple[str, str, str]] = set()
    for u, v, key, d in chain(G.out_edges(node, keys=True, data=True), G.in_edges(node, keys=True, data=True)):
        if (u, v, key) in seen or (relations is not None and key not in relations):
            continue
        seen.add((u, v, key))
        pmids = list(d.get("pmids", ()))
        if len(pmids) < min_pmids:
            continue
        other = v if u == node else u
        od = G.nodes[other]
        if types is not None and od.get("type") not in types:
            continue
        direction = "out" if u == node else "in"
        rows.append(Neighbor(other, od.get("name", other), od.get("type", ""), key,
                             direction if relation_directed(key) else "undirected", len(pmids), pmids))
    rows.sort(key=lambda r: (-r.count, r.id, r.relation))
    return _frame(rows, Neighbor, "neighbors(as_frame=True)") if as_frame else rows


def evidence(G: nx.MultiDiGraph, a: str, b: str, *, relation: str | Iterable[str] | None = None,
             as_frame: bool = False):
    """Every edge between two entities (either direction), with the articles behind it.

    Parameters
    ----------
    G : nx.MultiDiGraph
    a, b : str
        Node ids, names or synonyms (see :func:`resolve`).
    relation : str or list of str, optional
        Only these relation types.
    as_frame : bool
        Return a ``pandas.DataFrame`` with the same columns.

    Returns
    -------
    list of Evidence
        ``Evidence(source, target, relation, directed, count, pmids, novel, titles)``,
        most articles first; empty when the two are not related. ``titles`` come from
        ``G.graph["articles"]`` (empty strings when the graph was built without them).

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> [e] = kg.analysis.evidence(G, "NCBIGene:9970", "systemic lupus erythematosus")
    >>> e.source, e.target, e.relation, e.directed, e.pmids
    ('MESH:D008180', 'NCBIGene:9970', 'Association', False, ['39937001'])
    >>> "lupus" in e.titles[0].lower()
    True
    >>> kg.analysis.evidence(G, "MESH:D008180", "MESH:D003042")
    []
    """
    u, v = resolve(G, a), resolve(G, b)
    rows = _evidence_rows(G, u, v, _relations(relation))
    return _frame(rows, Evidence, "evidence(as_frame=True)") if as_frame else rows


def subgraph(G: nx.MultiDiGraph, entities: str | Iterable[str], depth: int = 1,
             types: str | Iterable[str] | None = None, min_pmids: int = 1, *,
             relation: str | Iterable[str] | None = None) -> nx.MultiDiGraph:
    """The neighbourhood of some entities: everything within `depth` relations of them.

    Parameters
    ----------
    G : nx.MultiDiGraph
    entities : str or list of str
        Node ids, names or synonyms (see :func:`resolve`); always kept.
    depth : int
        How many relations away (in either direction) to go; 0 keeps just `entities`.
    types : str or list of str, optional
        Only reach entities of these types (and go on only through them).
    min_pmids : int
        Only follow and keep edges supported by at least this many articles.
    relation : str or list of str, optional
        Only follow and keep edges of these relation types.

    Returns
    -------
    nx.MultiDiGraph
        A new graph with copies of the attributes: the entities reached and every edge
        among them that passes the filters; ``graph["articles"]`` keeps the titles of the
        articles its nodes and edges cite.

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> H = kg.analysis.subgraph(G, "systemic lupus erythematosus", depth=1)
    >>> H.number_of_nodes(), H.number_of_edges()  # SLE, its 9 neighbours, 10 edges among them
    (10, 10)
    >>> sorted(kg.analysis.subgraph(G, "SLE", min_pmids=2))
    ['MESH:D008180', 'NCBIGene:3663']
    >>> sorted(kg.analysis.subgraph(G, "SLE", depth=2, types="Gene"))[:3]
    ['MESH:D008180', 'NCBIGene:12517', 'NCBIGene:2213']
    """
    if isinstance(entities, str):
        entities = [entities]
    seeds = {resolve(G, e) for e in entities}
    if depth < 0:
        raise ValueError(f"depth must be 0 or more, not {depth}")
    relations, wanted = _relations(relation), type_filter(types)

    def passes(key: str, d: dict) -> bool:
        return (relations is None or key in relations) and len(d.get("pmids", ())) >= min_pmids

    keep = set(seeds)
    frontier = set(seeds)
    for _ in range(depth):
        reached = set()
        for n in frontier:
            for u, v, key, d in chain(G.out_edges(n, keys=True, data=True), G.in_edges(n, keys=True, data=True)):
                other = v if u == n else u
                if other in keep or other in reached or not passes(key, d):
                    continue
                if wanted is None or G.nodes[other].get("type") in wanted:
                    reached.add(other)
        if not reached:
            break
        keep |= reached
        frontier = reached
    H = nx.MultiDiGraph()
    H.graph.update({k: copy.deepcopy(v) for k, v in G.graph.items() if k != "articles"})
    cited: set[str] = set()
    for n, d in G.nodes(data=True):
        if n in keep:
            H.add_node(n, **copy.deepcopy(d))
            cited.update(d.get("pmids", ()))
    for u, v, key, d in G.out_edges(keep, keys=True, data=True):
        if v in keep and passes(key, d):
            H.add_edge(u, v, key=key, **copy.deepcopy(d))
            cited.update(d.get("pmids", ()))
    if "articles" in G.graph:
        H.graph["articles"] = {p: t for p, t in G.graph["articles"].items() if p in cited}
    return H


def paths(G: nx.MultiDiGraph, a: str, b: str, max_len: int = 3, *, limit: int = 10,
          relation: str | Iterable[str] | None = None, min_pmids: int = 1) -> list[EvidencePath]:
    """The shortest chains of relations between two entities, with the articles per hop.

    Parameters
    ----------
    G : nx.MultiDiGraph
    a, b : str
        Node ids, names or synonyms (see :func:`resolve`).
    max_len : int
        Give up (return ``[]``) when the shortest path has more hops than this.
    limit : int
        Return at most this many paths.
    relation : str or list of str, optional
        Only go through these relation types.
    min_pmids : int
        Only go through edges supported by at least this many articles.

    Returns
    -------
    list of EvidencePath
        ``EvidencePath(nodes, hops)``, each hop the list of :class:`Evidence` edges
        between two consecutive nodes; strongest first (most articles behind the weakest
        hop, then most in all, then by ids). Empty when there is no path short enough.

    Notes
    -----
    Paths are shortest by number of hops in the undirected projection: a directed
    relation can be walked either way (its :class:`Evidence` keeps the direction). Only
    the first ``MAX_PATHS_EXAMINED`` (1000) shortest paths are ranked, so between two
    hubs of a big graph the best one may be missed.

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> [p] = kg.analysis.paths(G, "NCBIGene:9970", "Interferon regulatory factor 5")
    >>> p.nodes
    ['NCBIGene:9970', 'MESH:D008180', 'NCBIGene:3663']
    >>> p.pmids, p.strength
    ([['39937001'], ['18408250', '20080916']], 1)
    >>> kg.analysis.paths(G, "NCBIGene:9970", "MESH:D003042")
    []
    """
    u, v = resolve(G, a), resolve(G, b)
    if u == v:
        return [EvidencePath([u], [])]
    relations = _relations(relation)
    H = undirected_projection(G, relations, min_pmids)
    try:
        length = nx.shortest_path_length(H, u, v)
    except nx.NetworkXNoPath:
        return []
    if length > max_len:
        return []
    found = []
    for nodes in islice(nx.all_shortest_paths(H, u, v), MAX_PATHS_EXAMINED):
        hops = [_evidence_rows(G, s, t, relations, min_pmids) for s, t in zip(nodes, nodes[1:])]
        found.append(EvidencePath(list(nodes), hops))
    found.sort(key=lambda p: (-p.strength, -sum(len(h) for h in p.pmids), p.nodes))
    return found[:limit]


# --- the whole graph ---------------------------------------------------------------------


def _pagerank(H: nx.Graph, alpha: float = 0.85, tol: float = 1.0e-6, max_iter: int = 100) -> dict[str, float]:
    """Weighted PageRank by power iteration, as ``nx.pagerank`` computes it with its
    defaults (which needs scipy; this does not)."""
    nodes = list(H)
    n = len(nodes)
    if n == 0:
        return {}
    index = {u: i for i, u in enumerate(nodes)}
    links = []  # per node: [(neighbour index, share of its weight)]
    for u in nodes:
        total = sum(d["weight"] for d in H[u].values())
        links.append([(index[w], d["weight"] / total) for w, d in H[u].items()] if total else [])
    dangling = [i for i, out in enumerate(links) if not out]
    x = [1.0 / n] * n
    for _ in range(max_iter):
        base = (1.0 - alpha) / n + alpha * sum(x[i] for i in dangling) / n
        new = [base] * n
        for i, out in enumerate(links):
            xi = alpha * x[i]
            for j, share in out:
                new[j] += xi * share
        err = sum(abs(a - b) for a, b in zip(new, x))
        x = new
        if err < n * tol:
            break
    return dict(zip(nodes, x))


def top(G: nx.MultiDiGraph, by: str = "pmids", type: str | Iterable[str] | None = None, n: int = 20,
        *, as_frame: bool = False):
    """The most prominent entities.

    Parameters
    ----------
    G : nx.MultiDiGraph
    by : {"pmids", "degree", "pagerank"}
        ``"pmids"``: number of articles that mention the entity; ``"degree"``: number of
        distinct entities it is related to; ``"pagerank"``: PageRank on the undirected
        projection weighted by articles.
    type : str or list of str, optional
        Only entities of these types.
    n : int
        How many.
    as_frame : bool
        Return a ``pandas.DataFrame`` with the same columns.

    Returns
    -------
    list of Ranked
        ``Ranked(id, name, type, score)``, highest score first, then by id.

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> kg.analysis.top(G, type="Disease", n=1)
    [Ranked(id='MESH:D008180', name='systemic lupus erythematosus', type='Disease', score=5)]
    >>> [(r.name, r.score) for r in kg.analysis.top(G, by="degree", n=2)]
    [('alprazolam', 11), ('paroxetine', 11)]
    >>> kg.analysis.top(G, by="pagerank", n=1)[0].id
    'MESH:D008180'
    """
    if by not in ("pmids", "degree", "pagerank"):
        raise ValueError(f"by must be 'pmids', 'degree' or 'pagerank', not {by!r}")
    types = type_filter(type)
    if by == "pmids":
        score: dict[str, float] = {u: article_count(d) for u, d in G.nodes(data=True)}
    else:
        H = undirected_projection(G)
        if by == "degree":
            score = {u: len(H[u]) - (u in H[u]) for u in H}
        else:
            score = _pagerank(H)
    candidates = [u for u, d in G.nodes(data=True) if types is None or d.get("type") in types]
    candidates.sort(key=lambda u: (-score[u], u))
    rows = [Ranked(u, G.nodes[u].get("name", u), G.nodes[u].get("type", ""), score[u]) for u in candidates[:n]]
    return _frame(rows, Ranked, "top(as_frame=True)") if as_frame else rows


def communities(G: nx.MultiDiGraph, *, resolution: float = 1.0, seed: int = 0,
                relation: str | Iterable[str] | None = None) -> list[set[str]]:
    """Groups of closely related entities (Louvain), largest first.

    Parameters
    ----------
    G : nx.MultiDiGraph
    resolution : float
        Louvain's resolution: above 1 favours smaller communities.
    seed : int
        Louvain is randomized; the same seed gives the same communities.
    relation : str or list of str, optional
        Only use these relation types.

    Returns
    -------
    list of set of str
        A partition of all the entities (an entity with no relation is a community of
        its own), largest first, then by smallest id.

    Notes
    -----
    ``networkx.community.louvain_communities`` on the undirected projection, each link
    weighted by the number of distinct articles behind the relations of the pair.

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> parts = kg.analysis.communities(G)
    >>> sum(len(c) for c in parts) == G.number_of_nodes()
    True
    >>> [c for c in parts if "MESH:D008180" in c][0] >= {"NCBIGene:9970", "NCBIGene:3663"}
    True
    """
    H = undirected_projection(G, _relations(relation))
    parts = nx.community.louvain_communities(H, weight="weight", resolution=resolution, seed=seed)
    return sorted((set(p) for p in parts), key=lambda c: (-len(c), min(c)))


def project(G: nx.MultiDiGraph, type: str, via: str | Iterable[str] | None = None, *,
            min_shared: int = 1, relation: str | Iterable[str] | None = None) -> nx.Graph:
    """Entities of one type linked through the entities they share (e.g. diseases by genes).

    Parameters
    ----------
    G : nx.MultiDiGraph
    type : str
        The entities to keep (``"Disease"``).
    via : str or list of str, optional
        The types of the shared entities (``"Gene"``); by default any other type.
    min_shared : int
        Link two entities only when they share at least this many.
    relation : str or list of str, optional
        Only count relations of these types.

    Returns
    -------
    nx.Graph
        Every entity of `type` (with its attributes); an edge between two that share
        entities, with ``weight`` (how many), ``shared`` (their ids) and ``pmids`` (the
        articles behind the relations to them). Direct relations between two entities of
        `type` do not count.

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> P = kg.analysis.project(G, "Disease", via="Gene")
    >>> P.number_of_nodes() == len([n for n, t in G.nodes(data="type") if t == "Disease"])
    True
    >>> sorted(P["MESH:D008180"])
    ['MESH:D001172', 'MESH:D005076', 'MESH:D009393']
    >>> P["MESH:D008180"]["MESH:D001172"]["shared"]  # both associated with IRF5
    ['NCBIGene:3663']
    """
    kept = canonical_type(type)
    through = type_filter(via)
    P = nx.Graph(projection={"type": kept, "via": sorted(through) if through else None})
    for u, d in G.nodes(data=True):
        if d.get("type") == kept:
            P.add_node(u, **copy.deepcopy(d))
    H = undirected_projection(G, _relations(relation))
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    pmids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in H:
        mtype = G.nodes[m].get("type")
        if (through is None and mtype == kept) or (through is not None and mtype not in through):
            continue
        ends = sorted(x for x in H[m] if x != m and x in P)
        for i, a in enumerate(ends):
            for b in ends[i + 1:]:
                shared[(a, b)].add(m)
                pmids[(a, b)].update(H[m][a]["pmids"], H[m][b]["pmids"])
    for (a, b), via_nodes in sorted(shared.items()):
        if len(via_nodes) >= min_shared:
            P.add_edge(a, b, weight=len(via_nodes), shared=sorted(via_nodes),
                       pmids=sorted(pmids[(a, b)], key=pmid_sort_key))
    return P


def to_dataframes(G: nx.MultiDiGraph) -> Frames:
    """The graph as a nodes table and an edges table (needs pandas).

    Returns
    -------
    Frames
        ``(nodes, edges)``: ``nodes`` has columns id, type, name, articles, mentions,
        synonyms (dict form → count), pmids; ``edges`` has source, target, relation,
        directed, count, pmids, mentions, source_types, novel (``None`` where the corpus
        does not say).

    Raises
    ------
    ImportError
        When pandas is not installed (the message says ``pip install pandas``).

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds").graph
    >>> nodes, edges = kg.analysis.to_dataframes(G)
    >>> len(nodes) == G.number_of_nodes(), len(edges) == G.number_of_edges()
    (True, True)
    >>> int(nodes.set_index("id").loc["MESH:D008180", "articles"])
    5
    >>> int((edges["relation"] == "CID").sum()), int(edges["count"].sum()) >= len(edges)
    (11, True)
    """
    pd = _pandas("to_dataframes")
    node_rows = [
        (u, d.get("type", ""), d.get("name", u), article_count(d), d.get("mentions", 0),
         dict(d.get("synonyms", {})), list(d.get("pmids", ())))
        for u, d in G.nodes(data=True)
    ]
    edge_rows = [
        (u, v, key, relation_directed(key), len(d.get("pmids", ())), list(d.get("pmids", ())),
         d.get("mentions", 0), list(d.get("source_types", ())),
         list(d["novel"]) if d.get("novel") is not None else None)
        for u, v, key, d in G.edges(keys=True, data=True)
    ]
    nodes = pd.DataFrame(node_rows, columns=["id", "type", "name", "articles", "mentions", "synonyms", "pmids"])
    edges = pd.DataFrame(edge_rows, columns=["source", "target", "relation", "directed", "count", "pmids",
                                             "mentions", "source_types", "novel"])
    return Frames(nodes, edges)
