"""Pictures of the graph: an interactive HTML page and a summary PNG for reports.

:func:`write_view` writes one self-contained HTML file: the network library
(vis-network, vendored in ``kg/static/``, see its README for version and licence), the
page's own HTML, CSS and JavaScript (``kg/static/view.html``, ``view.css``, ``view.js``) and
the data are inside the page, so it opens offline, from an e-mail attachment or a shared
folder, with no server and no CDN. :func:`write_plot` draws counts and distributions with
matplotlib (optional: ``pip install matplotlib``).
"""

from __future__ import annotations

import html
import json
import math
import os
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import networkx as nx

from .analysis import article_count, undirected_projection, type_filter, resolve, subgraph
from .normalize import pmid_sort_key
from .io import atomic_write
from .normalize import relation_directed

__all__ = ["write_view", "write_plot", "ViewSummary", "TYPE_COLORS", "RELATION_COLORS", "PUBMED_URL"]

#: Where a PMID links to: ``PUBMED_URL.format(pmid=...)``.
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"

#: Node colour by entity type (Tableau 10); other types take :data:`OTHER_COLORS` in turn.
TYPE_COLORS = {
    "Disease": "#e15759",
    "Gene": "#4e79a7",
    "Chemical": "#59a14f",
    "Variant": "#b07aa1",
    "Species": "#f28e2b",
    "CellLine": "#76b7b2",
}
OTHER_COLORS = ("#9c755f", "#edc948", "#ff9da7", "#bab0ac")

#: Edge colour by relation type (the relation with the most articles colours a link).
RELATION_COLORS = {
    "Association": "#9a9a9a",
    "Positive_Correlation": "#3a923a",
    "Negative_Correlation": "#c03d3e",
    "Bind": "#3c6e9f",
    "Cotreatment": "#17becf",
    "Comparison": "#b8860b",
    "Drug_Interaction": "#d62798",
    "Conversion": "#6b6ecf",
    "CID": "#e07b00",
    "Cause": "#e07b00",
    "Treat": "#1b9e9e",
    "Prevent": "#1b9e9e",
    "Inhibit": "#8b5ca8",
    "Stimulate": "#8b5ca8",
    "Co_Mention": "#cccccc",
}
OTHER_RELATION_COLOR = "#777777"

#: At most this many PMIDs per relation are written into the page (the count is exact).
MAX_PMIDS_PER_RELATION = 50

_LIBRARY = "vis-network.min.js"


class ViewSummary(NamedTuple):
    """What :func:`write_view` drew."""

    path: Path
    nodes: int  #: entities drawn
    edges: int  #: links drawn (one per related pair of drawn entities)
    total: int  #: entities that could have been drawn before the cap


def type_colors(types: Iterable[str]) -> dict[str, str]:
    """A colour for each entity type: the fixed ones, then the spare palette in turn."""
    out, spare = {}, 0
    for t in sorted(set(types)):
        if t in TYPE_COLORS:
            out[t] = TYPE_COLORS[t]
        else:
            out[t] = OTHER_COLORS[spare % len(OTHER_COLORS)]
            spare += 1
    return out


@lru_cache(maxsize=None)
def _static(name: str) -> str:
    """A file of ``kg/static/``: the page (``view.html``, ``view.css``, ``view.js``) and the
    vendored library, shipped as package data."""
    return resources.files("kg").joinpath("static", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _library() -> str:
    js = _static(_LIBRARY)
    lines = js.rstrip().splitlines()
    if lines and lines[-1].startswith("//# sourceMappingURL="):  # the map is not shipped
        js = "\n".join(lines[:-1]) + "\n"
    if "</script" in js.lower():  # would end the inline <script> early
        raise RuntimeError(f"kg/static/{_LIBRARY} contains '</script' and cannot be inlined")
    return js


def _select(G: nx.MultiDiGraph, entity, depth: int, types, min_pmids: int, max_nodes: int, isolated: bool = True):
    """The graph to draw, the seeds, how many entities were candidates, how the cap chose,
    and how many entities without a relation were left out (`isolated` False, whole graph only)."""
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be 1 or more, not {max_nodes}")
    if entity is not None:
        entities = [entity] if isinstance(entity, str) else list(entity)
        seeds = [resolve(G, e) for e in entities]
        H = subgraph(G, seeds, depth=depth, types=types, min_pmids=min_pmids)
        distance = nx.multi_source_dijkstra_path_length(nx.Graph(H.to_undirected(as_view=True)), set(seeds))
        rank = lambda n: (n not in seeds, distance.get(n, math.inf), -article_count(H.nodes[n]), n)  # noqa: E731
        how = "those nearest to it, then those in the most articles"
    else:
        seeds = []
        wanted = type_filter(types)
        keep = [n for n, t in G.nodes(data="type") if wanted is None or t in wanted]
        H = G.subgraph(keep)
        if min_pmids > 1:
            H = nx.restricted_view(H, [], [(u, v, k) for u, v, k, p in H.edges(keys=True, data="pmids")
                                           if len(p or ()) < min_pmids])
        rank = lambda n: (-article_count(H.nodes[n]), n)  # noqa: E731
        how = "those mentioned in the most articles"
    alone = [] if isolated or seeds else [n for n in H if H.degree(n) == 0]
    if alone:
        H = H.subgraph(set(H) - set(alone))
    total = H.number_of_nodes()
    if total > max_nodes:
        H = H.subgraph(sorted(H, key=rank)[:max_nodes])
    return H, seeds, total, how, len(alone)


def _page_data(H: nx.MultiDiGraph, seeds: list[str], articles: dict[str, str]) -> dict:
    colors = type_colors(t or "" for _, t in H.nodes(data="type"))
    nodes = []
    for n, d in H.nodes(data=True):
        name = d.get("name") or n
        synonyms = [s for s in d.get("synonyms", {}) if s != name][:8]
        nodes.append({"id": n, "name": name, "type": d.get("type", ""), "articles": article_count(d),
                      "synonyms": synonyms, "seed": n in seeds})
    pairs: dict[tuple[str, str], list] = {}
    for u, v, key, d in H.edges(keys=True, data=True):
        pair = (u, v) if u <= v else (v, u)
        pmids = list(d.get("pmids", ()))
        directed = relation_directed(key)
        pairs.setdefault(pair, []).append({
            "relation": key,
            "from": u, "to": v, "directed": directed,
            "count": len(pmids),
            "pmids": pmids[:MAX_PMIDS_PER_RELATION],
        })
    edges, cited = [], set()
    for (a, b), rels in pairs.items():
        rels.sort(key=lambda r: (-r["count"], r["relation"]))
        distinct = set().union(*(H[r["from"]][r["to"]][r["relation"]].get("pmids", ()) for r in rels))
        cited.update(p for r in rels for p in r["pmids"])
        heads = {(r["from"], r["to"]) for r in rels if r["directed"]}
        arrow = len(heads) == 1 and all(r["directed"] for r in rels)
        frm, to = next(iter(heads)) if arrow else (a, b)
        edges.append({"from": frm, "to": to, "arrow": arrow, "count": max(len(distinct), 1),
                      "color": RELATION_COLORS.get(rels[0]["relation"], OTHER_RELATION_COLOR),
                      "relations": rels})
    edges.sort(key=lambda e: (e["from"], e["to"]))
    relation_colors = {r["relation"]: RELATION_COLORS.get(r["relation"], OTHER_RELATION_COLOR)
                       for e in edges for r in e["relations"][:1]}
    return {
        "nodes": nodes,
        "edges": edges,
        "colors": colors,
        "relationColors": dict(sorted(relation_colors.items())),
        "articles": {p: articles[p] for p in sorted(cited, key=pmid_sort_key) if articles.get(p)},
        "pubmed": PUBMED_URL,
    }


def write_view(G: nx.MultiDiGraph, path: str | os.PathLike, entity: str | Iterable[str] | None = None,
               depth: int = 1, *, max_nodes: int = 300, types: str | Iterable[str] | None = None,
               min_pmids: int = 1, title: str | None = None, isolated: bool = True) -> ViewSummary:
    """Write an interactive, self-contained HTML view of the graph or of a neighbourhood.

    Nodes are coloured by entity type and sized by the number of articles that mention
    them; links are as wide as the number of articles behind them, coloured by their
    main relation type and arrowed when directed. Hovering shows details, clicking a node
    or link lists its relations with their PMIDs as PubMed links, and a search box finds
    an entity by name, synonym or id. ``view.html#MESH:D008180`` opens with that entity
    selected.

    Parameters
    ----------
    G : nx.MultiDiGraph
    path : str or path
        The HTML file to write (about 0.7 MB plus the data; nothing else is needed).
    entity : str or list of str, optional
        Draw only the neighbourhood of this entity (node id, name or synonym; see
        :func:`kg.analysis.resolve`); by default the whole graph.
    depth : int
        How many relations away from `entity` to go.
    max_nodes : int
        Draw at most this many entities: for a neighbourhood the nearest ones first,
        for the whole graph those in the most articles. The page says when it left some out.
    types : str or list of str, optional
        Only entities of these types (`entity` itself is always drawn).
    min_pmids : int
        Only links supported by at least this many articles.
    title : str, optional
        Page title; by default says what is drawn.
    isolated : bool
        Whole graph only: also draw entities without any relation (they float around
        the network and crowd it; ``kg view`` leaves them out unless ``--isolated``).
        The page says how many were left out.

    Returns
    -------
    ViewSummary
        ``(path, nodes, edges, total)``: entities and links drawn, entities before the cap.

    Examples
    --------
    >>> import kg, tempfile, os
    >>> from kg.view import write_view
    >>> G = kg.build("seeds").graph
    >>> out = os.path.join(tempfile.mkdtemp(), "sle.html")
    >>> write_view(G, out, "systemic lupus erythematosus")[1:]  # SLE + 9 neighbours; 10 links
    (10, 10, 10)
    >>> page = open(out, encoding="utf-8").read()
    >>> "<script src" in page, "vis-network" in page, "39937001" in page
    (False, True, True)
    >>> summary = write_view(G, out, max_nodes=20)
    >>> summary.nodes, summary.total, "Showing 20 of 139 entities" in open(out, encoding="utf-8").read()
    (20, 139, True)
    >>> write_view(G, out, isolated=False).total  # 57 of the seed's entities have no relation
    82
    """
    H, seeds, total, how, alone = _select(G, entity, depth, types, min_pmids, max_nodes, isolated)
    data = _page_data(H, seeds, G.graph.get("articles", {}))
    drawn, links = len(data["nodes"]), len(data["edges"])
    if title is None:
        if seeds:
            names = ", ".join(G.nodes[s].get("name", s) for s in seeds)
            title = f"kg: {names} and what is related to it (depth {depth})"
        else:
            title = f"kg: {G.number_of_nodes():,} entities, {G.number_of_edges():,} relations"
    if drawn < total:
        note = (f"Showing {drawn:,} of {total:,} entities: {how} (raise --max-nodes / max_nodes "
                "to draw more, or pick a neighbourhood with --entity).")
    else:
        note = f"Showing all {total:,} entities."
    if alone:
        note += f" {alone:,} entities without any relation are not drawn (--isolated draws them)."
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    page = (_static("view.html")
            .replace("@STYLE@", _static("view.css"))
            .replace("@TITLE@", html.escape(title))
            .replace("@NOTE@", html.escape(note))
            .replace("@LIBRARY@", _library())
            .replace("@APP@", _static("view.js"))
            .replace("@DATA@", payload))
    with atomic_write(path) as fh:
        fh.write(page)
    return ViewSummary(Path(path), drawn, links, total)


# --- summary plot ------------------------------------------------------------------------


def _matplotlib():
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("write_plot needs matplotlib, which is not installed: pip install matplotlib "
                          "(or pip install 'pubtator-kg[analysis]')") from err
    return Figure


def write_plot(G: nx.MultiDiGraph, path: str | os.PathLike, *, top_n: int = 15, title: str | None = None,
               dpi: int = 100) -> Path:
    """Write a PNG summary of the graph for reports (needs matplotlib).

    Four panels: entities by type, edges by relation type, the degree distribution
    (number of distinct related entities, log-log) and the `top_n` entities by articles.

    Parameters
    ----------
    G : nx.MultiDiGraph
    path : str or path
        The PNG file to write.
    top_n : int
        How many entities the last panel lists.
    title : str, optional
        Figure title; by default the graph's counts.
    dpi : int
        Resolution (the figure is 13 × 9 inches).

    Returns
    -------
    Path
        `path`.

    Examples
    --------
    >>> import kg, tempfile, os
    >>> from kg.view import write_plot
    >>> out = write_plot(kg.build("seeds").graph, os.path.join(tempfile.mkdtemp(), "summary.png"))
    >>> out.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    Figure = _matplotlib()
    types = Counter(t or "?" for _, t in G.nodes(data="type"))
    relations = Counter(k for _, _, k in G.edges(keys=True))
    H = undirected_projection(G)
    degrees = Counter(len(H[n]) - (n in H[n]) for n in H)
    isolated = degrees.pop(0, 0)
    articles = len(G.graph.get("articles", {})) or len({p for _, d in G.nodes(data=True) for p in d.get("pmids", ())})
    colors = type_colors(types)

    fig = Figure(figsize=(13, 9), layout="constrained")
    fig.suptitle(title or f"{G.number_of_nodes():,} entities, {G.number_of_edges():,} edges, {articles:,} articles",
                 fontsize=14)
    (ax_types, ax_rels), (ax_deg, ax_top) = fig.subplots(2, 2)

    def bars(ax, counts: Counter, colors_for, heading: str, xlabel: str) -> None:
        items = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
        ax.set_title(heading)
        ax.set_xlabel(xlabel)
        if not items:
            ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
            return
        labels = [k for k, _ in items]
        values = [v for _, v in items]
        ax.barh(labels, values, color=[colors_for(k) for k in labels])
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:,}", va="center", fontsize=9)
        ax.set_xlim(0, max(values) * 1.15)

    bars(ax_types, types, lambda t: colors.get(t, OTHER_COLORS[0]), "Entities by type", "entities")
    bars(ax_rels, relations, lambda r: RELATION_COLORS.get(r, OTHER_RELATION_COLOR), "Edges by relation type", "edges")

    ax_deg.set_title("Degree distribution" + (f" ({isolated:,} entities with no relation not shown)" if isolated else ""))
    if degrees:
        ks = sorted(degrees)
        ax_deg.loglog(ks, [degrees[k] for k in ks], "o", color="#4e79a7", alpha=0.8)
        ax_deg.set_xlabel("related entities (degree)")
        ax_deg.set_ylabel("entities")
        ax_deg.grid(True, which="major", alpha=0.3)
    else:
        ax_deg.text(0.5, 0.5, "no relations", ha="center", va="center", transform=ax_deg.transAxes)

    ranked = sorted(G.nodes(data=True), key=lambda nd: (-article_count(nd[1]), nd[0]))[:top_n]
    ax_top.set_title(f"Top {len(ranked)} entities by articles")
    ax_top.set_xlabel("articles")
    if ranked:
        ranked.reverse()
        labels = []
        for n, d in ranked:
            name = d.get("name") or n
            labels.append(f"{name[:34] + '…' if len(name) > 35 else name} ({d.get('type', '?')})")
        values = [article_count(d) for _, d in ranked]
        ax_top.barh(range(len(ranked)), values, color=[colors.get(d.get("type") or "?", OTHER_COLORS[0]) for _, d in ranked])
        ax_top.set_yticks(range(len(ranked)), labels, fontsize=9)
        ax_top.set_xlim(0, max(max(values), 1) * 1.1)
    else:
        ax_top.text(0.5, 0.5, "no entities", ha="center", va="center", transform=ax_top.transAxes)

    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return Path(path)
