"""Saving, loading and exporting the graph.

- node-link JSON (default ``graph.json``): exact round trip, readable by plain
  ``networkx.node_link_graph(json.load(f))`` without kg installed;
- GraphML: list and dict attributes JSON-encoded into strings (GraphML has no lists),
  so yEd, Gephi and ``networkx.read_graphml`` open it;
- KGX TSV: ``nodes.tsv`` / ``edges.tsv`` with Biolink categories and predicates;
- neo4j-admin import CSV: headers with ``:ID``, ``:LABEL``, ``:START_ID``, ``:END_ID``,
  ``:TYPE`` and typed arrays, for ``neo4j-admin database import full``.

Files are written to a temporary name and renamed, so an interrupted write never
leaves a half-written file in place of a good one.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
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
def _atomic(path: str | os.PathLike, mode: str = "w") -> Iterator[IO[Any]]:
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
    with _atomic(path) as fh:
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
        raise InputError(f"{path}: no such graph file")
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
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
    """GraphML with list/dict attributes as JSON strings; the graph's articles are left out."""
    H = nx.MultiDiGraph()
    H.add_nodes_from((n, {k: _flat(v) for k, v in d.items()}) for n, d in G.nodes(data=True))
    H.add_edges_from(
        (u, v, k, {"relation": k, **{a: _flat(b) for a, b in d.items()}}) for u, v, k, d in G.edges(keys=True, data=True)
    )
    with _atomic(path, "wb") as fh:
        nx.write_graphml(H, fh, encoding="utf-8")


def _pmid_curies(pmids: list[str]) -> str:
    return "|".join(p if ":" in p else "PMID:" + p for p in pmids)


def _clean(text: str) -> str:
    """TSV cells hold no tabs, line ends or the KGX list separator `|`."""
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ").replace("|", "/")


def write_kgx(G: nx.MultiDiGraph, directory: str | os.PathLike) -> tuple[Path, Path]:
    """Write KGX TSV ``nodes.tsv`` and ``edges.tsv`` into `directory`.

    Multi-valued columns use ``|``; publications are ``PMID:…`` CURIEs.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    nodes_path, edges_path = directory / "nodes.tsv", directory / "edges.tsv"
    with _atomic(nodes_path) as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar=None)
        w.writerow(["id", "category", "name", "synonym", "publications", "mentions", "provided_by"])
        for n, d in G.nodes(data=True):
            w.writerow([
                n,
                BIOLINK_CATEGORIES.get(d.get("type", ""), "biolink:NamedThing"),
                _clean(d.get("name", n)),
                "|".join(_clean(s) for s in d.get("synonyms", {})),
                _pmid_curies(d.get("pmids", [])),
                d.get("mentions", 0),
                "kg",
            ])
    with _atomic(edges_path) as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar=None)
        w.writerow(["id", "subject", "predicate", "object", "relation", "original_predicate",
                    "publications", "count", "knowledge_level", "agent_type"])
        for u, v, k, d in G.edges(keys=True, data=True):
            row = RELATIONS_BY_NAME.get(k)
            w.writerow([
                f"{u}--{k}--{v}",
                u,
                row.predicate if row else "biolink:related_to",
                v,
                k,
                "|".join(_clean(s) for s in d.get("source_types", [])),
                _pmid_curies(d.get("pmids", [])),
                d.get("count", len(d.get("pmids", []))),
                "statistical_association" if k == "Co_Mention" else "knowledge_assertion",
                "text_mining_agent",
            ])
    return nodes_path, edges_path


def neo4j_labels(entity_type: str) -> str:
    """The labels of an entity node: ``Entity`` plus its type made safe as a label."""
    return "Entity" + ARRAY_DELIMITER + safe_name(entity_type)  # neo4j-admin splits :LABEL on it too


def write_neo4j_csv(G: nx.MultiDiGraph, directory: str | os.PathLike) -> list[Path]:
    """Write neo4j-admin import CSVs into `directory` and return their paths.

    ``nodes_entities.csv`` (``id:ID(Entity)``), ``nodes_articles.csv`` (``pmid:ID(Article)``),
    ``relationships_entities.csv`` between entities and ``relationships_mentions.csv``
    (Article → Entity): the ``nodes*`` / ``relationships*`` names ``scripts/neo4j import DIR`` takes.
    Arrays are joined with :data:`ARRAY_DELIMITER`. The properties are exactly the ones
    the driver loader writes, so both paths give the same database.
    """
    d = ARRAY_DELIMITER
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = ("nodes_entities.csv", "nodes_articles.csv", "relationships_entities.csv", "relationships_mentions.csv")
    paths = [directory / n for n in names]
    with _atomic(paths[0]) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id:ID(Entity)", ":LABEL", "type", "name", "synonyms:string[]", "synonym_counts:long[]",
                    "mentions:long", "pmids:string[]"])
        for n, a in G.nodes(data=True):
            syn = a.get("synonyms", {})
            w.writerow([n, neo4j_labels(a["type"]), a["type"], a.get("name", n), d.join(syn),
                        d.join(str(c) for c in syn.values()), a.get("mentions", 0), d.join(a.get("pmids", []))])
    articles = G.graph.get("articles", {})
    with _atomic(paths[1]) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["pmid:ID(Article)", ":LABEL", "title"])
        for pmid, title in articles.items():
            w.writerow([pmid, "Article", title])
    with _atomic(paths[2]) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([":START_ID(Entity)", ":END_ID(Entity)", ":TYPE", "pmids:string[]", "count:long",
                    "source_types:string[]"])
        for u, v, k, a in G.edges(keys=True, data=True):
            w.writerow([u, v, safe_name(k).upper(), d.join(a["pmids"]), len(a["pmids"]),
                        d.join(a.get("source_types", []))])
    with _atomic(paths[3]) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([":START_ID(Article)", ":END_ID(Entity)", ":TYPE"])
        if articles:
            for n, a in G.nodes(data=True):
                for pmid in a.get("pmids", []):
                    if pmid in articles:
                        w.writerow([pmid, n, "MENTIONS"])
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
