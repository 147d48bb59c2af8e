"""Saving, loading and exporting the graph.

- node-link JSON (default ``graph.json``): exact round trip, readable by plain
  ``networkx.node_link_graph(json.load(f))`` without kg installed;
- GraphML: list and dict attributes JSON-encoded into strings (GraphML has no lists),
  so yEd, Gephi and ``networkx.read_graphml`` open it;
- KGX TSV: ``nodes.tsv`` / ``edges.tsv`` with Biolink categories and predicates, ids
  as CURIEs the KGX validator accepts (:func:`kgx_curie`);
- neo4j-admin import CSV: headers with ``:ID``, ``:LABEL``, ``:START_ID``, ``:END_ID``,
  ``:TYPE`` and typed arrays, for ``neo4j-admin database import full``.

The row of each format is made by a public function of one node or one edge
(``kgx_node_row``, ``neo4j_entity_row``, …) so that a distributed engine writes the same
rows part by part. Files are written to a temporary name and renamed, so an interrupted write never
leaves a half-written file in place of a good one.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any

import networkx as nx

from .errors import InputError
from .normalize import RELATIONS_BY_NAME, safe_name

__all__ = [
    "write_graph",
    "read_graph",
    "write_graphml",
    "write_kgx",
    "write_neo4j_csv",
    "export_graph",
    "FORMATS",
    "BIOLINK_CATEGORIES",
    "ARRAY_DELIMITER",
    "neo4j_labels",
    "kgx_curie",
    "kgx_node_row",
    "kgx_edge_row",
    "KGX_NODE_COLUMNS",
    "KGX_EDGE_COLUMNS",
    "KGX_PREFIXES",
    "KGX_BANANAS",
    "KGX_LOCAL_PREFIX",
    "KGX_EXTRA_PREFIXES",
    "KGX_QUALIFIED_PREDICATES",
    "neo4j_entity_row",
    "neo4j_article_row",
    "neo4j_relationship_row",
    "neo4j_mention_rows",
    "NEO4J_ENTITY_HEADER",
    "NEO4J_OPTIONAL_COLUMNS",
    "NEO4J_ARTICLE_HEADER",
    "NEO4J_RELATIONSHIP_HEADER",
    "NEO4J_MENTION_HEADER",
    "atomic_write",
]

#: Canonical entity type → Biolink category.
BIOLINK_CATEGORIES = {
    "Gene": "biolink:Gene",
    "Disease": "biolink:Disease",
    "Chemical": "biolink:ChemicalEntity",
    "Species": "biolink:OrganismTaxon",
    "Variant": "biolink:SequenceVariant",
    "CellLine": "biolink:CellLine",
}

#: Array delimiter of the neo4j-admin CSV: the ASCII unit separator, which never occurs in
#: PubTator text, so no synonym or PMID is ever split wrongly. Pass it to neo4j-admin as
#: ``--array-delimiter`` (``scripts/neo4j import`` does).
ARRAY_DELIMITER = "\x1f"


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside `path` (text unless `mode` is ``"wb"``; gzip for
    ``.gz``); rename it over `path` only once everything is written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved graph is an ordinary file
    try:
        with os.fdopen(fd, "wb") as raw, (
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if path.suffix == ".gz" else nullcontext(raw)
        ) as binary:
            if mode == "wb":
                yield binary
            else:
                text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
                yield text
                text.flush()
                text.detach()
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_graph(G: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Save `G` as node-link JSON (``.json`` or ``.json.gz``).

    Examples
    --------
    >>> import kg, tempfile, os
    >>> G = kg.build("seeds/PMID39937001.pubtator").graph
    >>> path = os.path.join(tempfile.mkdtemp(), "g.json")
    >>> kg.write_graph(G, path)
    >>> H = kg.read_graph(path)
    >>> nx.utils.graphs_equal(G, H)
    True
    """
    data = nx.node_link_data(G, edges="edges")
    with atomic_write(path) as fh:
        _dump_json(data, fh.write)
        fh.write("\n")


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

#: Elements encoded at a time by :func:`_dump_json`.
JSON_PIECE = 4096


def _dump_json(value: Any, write, depth: int = 0) -> None:
    """``write(json.dumps(value, ensure_ascii=False, separators=(",", ":")))``, the same text,
    made by the C encoder a piece at a time: ``json.dump`` to a file takes the pure-Python
    encoder (2x slower), ``json.dumps`` holds the whole text (27 MB for a 325 MB corpus)."""
    if depth < 2 and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        write("{")
        for i, (key, item) in enumerate(value.items()):
            write(("," if i else "") + _encode(key) + ":")
            _dump_json(item, write, depth + 1)
        write("}")
    elif isinstance(value, (list, dict)) and len(value) > JSON_PIECE:
        is_list = isinstance(value, list)
        items = value if is_list else list(value.items())
        write("[" if is_list else "{")
        for i in range(0, len(items), JSON_PIECE):
            piece = items[i : i + JSON_PIECE]
            write(("," if i else "") + _encode(piece if is_list else dict(piece))[1:-1])
        write("]" if is_list else "}")
    else:
        write(_encode(value))


def read_graph(path: str | os.PathLike) -> nx.MultiDiGraph:
    """Read a graph saved by :func:`write_graph`."""
    path = Path(path)
    if not path.is_file():
        if not path.exists():
            raise InputError(f"{path}: no such graph file")
        what = "a folder" if path.is_dir() else "not a regular file"
        raise InputError(f"{path}: {what}, not a graph file (give the file `kg build` wrote)")
    with open(path, "rb") as fh:
        opener = gzip.open if fh.read(2) == b"\x1f\x8b" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        key = "edges" if "edges" in data else "links"
        G = nx.node_link_graph(data, directed=True, multigraph=True, edges=key)
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a kg graph file (node-link JSON): {err}") from err
    return G


def _flat(value: Any) -> Any:
    """GraphML values must be scalars: lists and dicts become JSON text."""
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def write_graphml(G: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """GraphML with list/dict attributes as JSON strings.

    Edge ids are ``e0``, ``e1``, … (GraphML requires them unique; Gephi drops an edge whose
    id it has seen), the relation type is the edge attribute ``relation``. Graph-level
    data (``articles``, ``{pmid: title}``) is a graph ``<data>`` element holding JSON text.
    """
    H = nx.MultiDiGraph()
    H.graph.update((k, _flat(v)) for k, v in G.graph.items())
    H.add_nodes_from((n, {k: _flat(v) for k, v in d.items()}) for n, d in G.nodes(data=True))
    H.add_edges_from(
        (u, v, f"e{i}", {"relation": k, **{a: _flat(b) for a, b in d.items()}})
        for i, (u, v, k, d) in enumerate(G.edges(keys=True, data=True))
    )
    with atomic_write(path, "wb") as fh:
        nx.write_graphml(H, fh, encoding="utf-8")


#: Our CURIE prefixes → the spelling of Biolink's JSON-LD context, where the two differ.
KGX_PREFIXES: dict[str, str] = {
    "dbSNP": "DBSNP",
}

#: Ids written without a prefix, by the start of the id ("banana") → the prefix they get:
#: Cellosaurus ids ``CVCL_0224`` become ``CVCL:0224`` (``CVCL`` is Bioregistry's synonym
#: of its ``cellosaurus`` prefix).
KGX_BANANAS: dict[str, str] = {
    "CVCL_": "CVCL",
}

#: Prefix of an id that has none and no known banana (a corpus's own id, e.g. BioRED's
#: ``10510452_139``): ``kg:10510452_139``.
KGX_LOCAL_PREFIX = "kg"

#: Prefixes kg's KGX ids can have that Biolink's JSON-LD context does not list, with the
#: IRI each stands for. KGX's validator reports these ids as "not represented in Biolink
#: Model JSON-LD context" unless the prefixes are added to its context (the tests do).
KGX_EXTRA_PREFIXES: dict[str, str] = {
    "CVCL": "https://www.cellosaurus.org/CVCL_",
    "tmVar": "https://www.ncbi.nlm.nih.gov/research/pubtator3/tmvar#",
    "HGVS": "https://varnomen.hgvs.org/#",
    KGX_LOCAL_PREFIX: "https://github.com/kg/local-id#",
}

_PLAIN_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
#: Characters a CURIE's local part cannot hold in KGX (``|`` is its list delimiter; ``:``,
#: ``/`` and white space fail its CURIE pattern) and ``%`` itself, so the escape reverses.
_UNSAFE_LOCAL = re.compile(r"[%|:/\s]")


def kgx_curie(identifier: str) -> str:
    """The CURIE that stands for kg's node id `identifier` in KGX files.

    The prefix is spelled as Biolink's JSON-LD context spells it (:data:`KGX_PREFIXES`),
    an id without one gets one (:data:`KGX_BANANAS`, else :data:`KGX_LOCAL_PREFIX`), and
    in the local part ``%``, ``|``, ``:``, ``/`` and white space are percent-encoded as
    UTF-8 (RFC 3986), so every id is one CURIE that KGX neither splits nor rejects, and
    ``urllib.parse.unquote`` of the local part gives back the original.

    Examples
    --------
    >>> kgx_curie("dbSNP:rs113488022"), kgx_curie("CVCL_0224"), kgx_curie("MESH:D008180")
    ('DBSNP:rs113488022', 'CVCL:0224', 'MESH:D008180')
    >>> kgx_curie("tmVar:p|SUB|V|600|E;CorrespondingGene:673")
    'tmVar:p%7CSUB%7CV%7C600%7CE;CorrespondingGene%3A673'
    >>> kgx_curie("10510452_139")
    'kg:10510452_139'
    """
    prefix, sep, local = identifier.partition(":")
    if not sep or not _PLAIN_PREFIX.fullmatch(prefix):
        prefix, local = KGX_LOCAL_PREFIX, identifier
        for banana, banana_prefix in KGX_BANANAS.items():
            if identifier.startswith(banana) and len(identifier) > len(banana):
                prefix, local = banana_prefix, identifier[len(banana):]
                break
    return KGX_PREFIXES.get(prefix, prefix) + ":" + _UNSAFE_LOCAL.sub(_percent, local)


def _percent(match: re.Match) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode("utf-8"))


def _pmid_curies(pmids: list[str]) -> str:
    return "|".join(p if ":" in p else "PMID:" + p for p in pmids)


def _clean(text: str) -> str:
    """TSV cells hold no tabs, line ends or the KGX list separator `|`."""
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ").replace("|", "/")


#: Columns of KGX ``nodes.tsv``, in order (:func:`kgx_node_row`).
KGX_NODE_COLUMNS = ("id", "category", "name", "full_name", "symbol", "synonym", "xref",
                    "publications", "mention_count", "name_source", "provided_by")

#: Columns of KGX ``edges.tsv``, in order (:func:`kgx_edge_row`).
KGX_EDGE_COLUMNS = ("id", "subject", "predicate", "object", "qualified_predicate", "object_direction_qualifier",
                    "relation", "source_types", "publications", "count", "knowledge_level", "agent_type",
                    "primary_knowledge_source")

#: Predicates of the relation vocabulary that Biolink 4 no longer has → the predicate and
#: qualifiers that say the same in Biolink 4 (``affects`` + a direction of the object).
KGX_QUALIFIED_PREDICATES: dict[str, tuple[str, str, str]] = {
    "biolink:negatively_regulates": ("biolink:affects", "biolink:causes", "decreased"),
    "biolink:positively_regulates": ("biolink:affects", "biolink:causes", "increased"),
}


def kgx_node_row(node: str, attrs: dict) -> list[str]:
    """One row of KGX ``nodes.tsv`` (:data:`KGX_NODE_COLUMNS`) for node `node` with `attrs`.

    The id and the xrefs go through :func:`kgx_curie` (an xref equal to the id is left
    out); lists are joined with KGX's ``|`` after removing it from the values; numbers are
    written as text (KGX reads columns outside Biolink as strings); ``mentions`` is
    written as ``mention_count``, as Biolink's ``mentions`` is a predicate.
    """
    curie = kgx_curie(node)
    xrefs = [kgx_curie(x) for x in attrs.get("xrefs", ())]
    return [
        curie,
        BIOLINK_CATEGORIES.get(attrs.get("type", ""), "biolink:NamedThing"),
        _clean(attrs.get("name", node)),
        _clean(attrs.get("full_name", "")),
        _clean(attrs.get("symbol", "")),
        "|".join(_clean(s) for s in attrs.get("synonyms", {})),
        "|".join(x for x in dict.fromkeys(xrefs) if x != curie),
        _pmid_curies(attrs.get("pmids", [])),
        str(attrs.get("mentions", 0)),
        _clean(attrs.get("name_source", "")),
        "infores:kg",
    ]


def kgx_edge_row(u: str, v: str, key: str, attrs: dict) -> list[str]:
    """One row of KGX ``edges.tsv`` (:data:`KGX_EDGE_COLUMNS`) for the edge `u` → `v` of type `key`.

    The edge id is ``subject--key--object`` (kg's node ids, unique per edge as the graph
    holds one edge per relation type between two entities), escaped like a CURIE's local
    part under :data:`KGX_LOCAL_PREFIX`.
    """
    row = RELATIONS_BY_NAME.get(key)
    predicate = row.predicate if row else "biolink:related_to"
    predicate, qualified, direction = KGX_QUALIFIED_PREDICATES.get(predicate, (predicate, "", ""))
    return [
        kgx_curie(f"{KGX_LOCAL_PREFIX}:{u}--{key}--{v}"),
        kgx_curie(u),
        predicate,
        kgx_curie(v),
        qualified,
        direction,
        key,
        "|".join(_clean(s) for s in attrs.get("source_types", [])),
        _pmid_curies(attrs.get("pmids", [])),
        str(attrs.get("count", len(attrs.get("pmids", [])))),
        "statistical_association" if key == "Co_Mention" else "knowledge_assertion",
        "text_mining_agent",
        "infores:kg",
    ]


#: How KGX TSV is written: tab-separated, no quoting (KGX reads with ``quoting=3``, so a
#: ``"`` in a name is kept as it is); the cells hold no tab or line end (:func:`_clean`).
KGX_TSV = {"delimiter": "\t", "lineterminator": "\n", "quoting": csv.QUOTE_NONE, "quotechar": None,
           "escapechar": None}
#: How the neo4j-admin CSV files are written: the csv module's default (minimal quoting).
NEO4J_CSV = {"lineterminator": "\n"}


def _write_tsv(path: Path, header, rows) -> None:
    with atomic_write(path) as fh:
        w = csv.writer(fh, **KGX_TSV)
        w.writerow(header)
        w.writerows(rows)


def write_kgx(G: nx.MultiDiGraph, directory: str | os.PathLike) -> tuple[Path, Path]:
    """Write KGX TSV ``nodes.tsv`` and ``edges.tsv`` into `directory`.

    Rows come from :func:`kgx_node_row` and :func:`kgx_edge_row`: ids are CURIEs KGX
    accepts (:func:`kgx_curie`), multi-valued columns use ``|``, publications are
    ``PMID:…`` CURIEs. The graph's article titles are not written (KGX has no place for
    them; the PMIDs are in ``publications``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    nodes_path, edges_path = directory / "nodes.tsv", directory / "edges.tsv"
    _write_tsv(nodes_path, KGX_NODE_COLUMNS, (kgx_node_row(n, d) for n, d in G.nodes(data=True)))
    _write_tsv(edges_path, KGX_EDGE_COLUMNS, (kgx_edge_row(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True)))
    return nodes_path, edges_path


def neo4j_labels(entity_type: str) -> str:
    """The labels of an entity node: ``Entity`` plus its type made safe as a label."""
    return "Entity" + ARRAY_DELIMITER + safe_name(entity_type)  # neo4j-admin splits :LABEL on it too


#: Header of ``nodes_entities.csv`` (:func:`neo4j_entity_row`).
NEO4J_ENTITY_HEADER = ("id:ID(Entity)", ":LABEL", "type", "name", "synonyms:string[]", "synonym_counts:long[]",
                       "mentions:long", "pmids:string[]")
#: Optional node attributes written to ``nodes_entities.csv`` as extra columns when some node has them.
NEO4J_OPTIONAL_COLUMNS = {"xrefs": "xrefs:string[]", "symbol": "symbol", "full_name": "full_name",
                          "name_source": "name_source"}
#: Header of ``nodes_articles.csv`` (:func:`neo4j_article_row`).
NEO4J_ARTICLE_HEADER = ("pmid:ID(Article)", ":LABEL", "title")
#: Header of ``relationships_entities.csv`` (:func:`neo4j_relationship_row`).
NEO4J_RELATIONSHIP_HEADER = (":START_ID(Entity)", ":END_ID(Entity)", ":TYPE", "pmids:string[]", "count:long",
                             "source_types:string[]")
#: Header of ``relationships_mentions.csv`` (:func:`neo4j_mention_rows`).
NEO4J_MENTION_HEADER = (":START_ID(Article)", ":END_ID(Entity)", ":TYPE")


def neo4j_entity_row(node: str, attrs: dict, optional: tuple[str, ...] = ()) -> list:
    """One row of ``nodes_entities.csv`` (:data:`NEO4J_ENTITY_HEADER`, then the `optional`
    attributes named, keys of :data:`NEO4J_OPTIONAL_COLUMNS`); arrays joined with
    :data:`ARRAY_DELIMITER`."""
    d = ARRAY_DELIMITER
    syn = attrs.get("synonyms", {})
    row = [node, neo4j_labels(attrs["type"]), attrs["type"], attrs.get("name", node), d.join(syn),
           d.join(str(c) for c in syn.values()), attrs.get("mentions", 0), d.join(attrs.get("pmids", []))]
    for name in optional:
        value = attrs.get(name, "")
        row.append(d.join(value) if isinstance(value, (list, tuple)) else value)
    return row


def neo4j_article_row(pmid: str, title: str) -> list:
    """One row of ``nodes_articles.csv`` (:data:`NEO4J_ARTICLE_HEADER`)."""
    return [pmid, "Article", title]


def neo4j_relationship_row(u: str, v: str, key: str, attrs: dict) -> list:
    """One row of ``relationships_entities.csv`` (:data:`NEO4J_RELATIONSHIP_HEADER`)."""
    d = ARRAY_DELIMITER
    return [u, v, safe_name(key).upper(), d.join(attrs["pmids"]), len(attrs["pmids"]),
            d.join(attrs.get("source_types", []))]


def neo4j_mention_rows(node: str, attrs: dict, articles) -> list[list]:
    """The rows of ``relationships_mentions.csv`` (:data:`NEO4J_MENTION_HEADER`) for one
    entity: one per PMID of the node that is among `articles` (a container of PMIDs)."""
    return [[pmid, node, "MENTIONS"] for pmid in attrs.get("pmids", []) if pmid in articles]


def _write_csv(path: Path, header, rows) -> None:
    with atomic_write(path) as fh:
        w = csv.writer(fh, **NEO4J_CSV)
        w.writerow(header)
        w.writerows(rows)


def write_neo4j_csv(G: nx.MultiDiGraph, directory: str | os.PathLike) -> list[Path]:
    """Write neo4j-admin import CSVs into `directory` and return their paths.

    ``nodes_entities.csv`` (``id:ID(Entity)``), ``nodes_articles.csv`` (``pmid:ID(Article)``),
    ``relationships_entities.csv`` between entities and ``relationships_mentions.csv``
    (Article → Entity): the ``nodes*`` / ``relationships*`` names ``scripts/neo4j import DIR`` takes.
    Rows come from the ``neo4j_*_row`` functions (a distributed engine applies them row by
    row). Arrays are joined with :data:`ARRAY_DELIMITER`. The properties are exactly the
    ones the driver loader writes, so both paths give the same database; the attributes of
    :data:`NEO4J_OPTIONAL_COLUMNS` become columns only when some node has them.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = ("nodes_entities.csv", "nodes_articles.csv", "relationships_entities.csv", "relationships_mentions.csv")
    paths = [directory / n for n in names]
    optional = tuple(a for a in NEO4J_OPTIONAL_COLUMNS if any(a in d for _, d in G.nodes(data=True)))
    _write_csv(paths[0], NEO4J_ENTITY_HEADER + tuple(NEO4J_OPTIONAL_COLUMNS[a] for a in optional),
               (neo4j_entity_row(n, a, optional) for n, a in G.nodes(data=True)))
    articles = G.graph.get("articles", {})
    _write_csv(paths[1], NEO4J_ARTICLE_HEADER, (neo4j_article_row(p, t) for p, t in articles.items()))
    _write_csv(paths[2], NEO4J_RELATIONSHIP_HEADER,
               (neo4j_relationship_row(u, v, k, a) for u, v, k, a in G.edges(keys=True, data=True)))
    _write_csv(paths[3], NEO4J_MENTION_HEADER,
               (row for n, a in G.nodes(data=True) for row in neo4j_mention_rows(n, a, articles)))
    return paths


def _write_node_link(G: nx.MultiDiGraph, out: str | os.PathLike) -> list[Path]:
    write_graph(G, out)
    return [Path(out)]


def _write_graphml(G: nx.MultiDiGraph, out: str | os.PathLike) -> list[Path]:
    write_graphml(G, out)
    return [Path(out)]


FORMATS = {
    "node-link": _write_node_link,
    "graphml": _write_graphml,
    "kgx": lambda G, out: list(write_kgx(G, out)),
    "neo4j-csv": write_neo4j_csv,
}


def export_graph(G: nx.MultiDiGraph, fmt: str, out: str | os.PathLike) -> list[Path]:
    """Export `G` as `fmt` (one of :data:`FORMATS`) to `out` (a file, or a folder for
    ``kgx`` and ``neo4j-csv``); returns the files written."""
    try:
        writer = FORMATS[fmt]
    except KeyError:
        raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return writer(G, out)
