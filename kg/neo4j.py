"""Load a kg graph into Neo4j 5 through the official driver: idempotent and incremental.

The database model is the one ``kg export --format neo4j-csv`` gives after
``neo4j-admin database import full`` (:func:`kg.io.write_neo4j_csv`), property for
property, so the transactional path and the bulk path give the same database:

- ``(:Entity:<Type> {id, type, name, synonyms, synonym_counts, mentions, pmids})``, the
  type label being :func:`kg.normalize.safe_name` of the entity type, plus, on a graph
  named by :func:`kg.vocab.apply_names`, ``name_source``, ``symbol``, ``full_name`` and
  ``xrefs``;
- ``(:Article {pmid, title})`` and ``(:Article)-[:MENTIONS]->(:Entity)`` for each PMID
  of an entity that is an article of the graph (``articles=False`` leaves both out);
- one relationship type per canonical relation type, ``safe_name(key).upper()``
  (``ASSOCIATION``, ``CID``, ``POSITIVE_CORRELATION``, ``CO_MENTION``, …), with
  ``pmids``, ``count`` (``= size(pmids)``) and ``source_types``.

An empty list or an empty string is stored as *no property*, because that is what an
empty CSV field becomes in ``neo4j-admin import``.

The load runs ``cypher/schema.cypher`` first (uniqueness constraints on ``Entity.id``
and ``Article.pmid``, the full-text index ``entity_names``; a failed statement stops the
load), then entities, articles, entity relationships and ``MENTIONS``, in batches of
``batch_size`` rows, each batch one managed write transaction (``execute_write``,
retried by the driver on transient errors) over ``UNWIND $rows … MERGE``. ``MENTIONS``
go grouped by article (a batch is whole articles, about ``batch_size`` pairs): the batch
names each of its entities once and an article's row lists positions in that list, so
each entity is looked up once per batch, not once per pair. All Cypher
lives in ``kg/cypher/*.cypher``; values are always parameters; labels and relationship
types, which Cypher cannot take as parameters, are made safe with ``safe_name``,
checked against ``^[A-Za-z][A-Za-z0-9_]*$`` and only then written, backticked, into the
query text, one query per label or type.

Merge rules (what a second load does to what is already there)
--------------------------------------------------------------
Each batch reads what the database holds for its keys, merges in Python and writes only
the rows that change, all inside one transaction (so a retry recomputes from scratch).

- ``pmids`` (entities and relationships): the union, sorted like the builder sorts them
  (numeric PMIDs in numeric order, then other ids as text); relationship ``count`` is
  recomputed as the size of that union and ``source_types`` is the sorted union.
- Entity ``mentions`` and ``synonym_counts``: if every incoming PMID is already on the
  node, the graph is taken as a reload and both are left as they are; otherwise they
  are added (a new corpus). Synonyms are the union of forms, ordered by count (highest
  first), then form.
- Entity ``type`` (and so its label): the first load wins.
- Entity ``name``: on a new corpus, a name that is no mention form (a vocabulary's) stays;
  otherwise the builder's own rule (``kg.normalize.choose_name``: the most frequent form,
  an abbreviation yielding only to its own long form) over the merged synonym counts.
- Entity ``name`` from PubTator3 or a vocabulary (``name_source`` ``pubtator3``,
  ``vocabulary``, ``builtin``): the stronger source wins (in that order; the incoming one
  on a tie). ``symbol`` and ``full_name``: the incoming ones when given; ``xrefs``: the union.
- Article ``title``: ``kg.normalize.choose_title``, as the builder chooses.

So loading the same graph twice changes nothing, and loading corpora with disjoint
PMIDs one after the other gives the same ids, relationships, PMIDs, counts, mentions and
synonyms as loading them built together.

Limits: a corpus that *partly* overlaps what is loaded (some of its PMIDs already on a
node, some new) has its mentions and synonym counts added in full, so the documents in
both are counted twice. The name and type after an incremental load can differ from a
build of all corpora at once where the builder's tie-breaks use information the
database does not keep (how often each type was seen; which forms were in titles):
BC5CDR Training then Development gives 2 of 1,897 names in another letter case.
Two edge keys of the graph whose ``safe_name(key).upper()`` coincide are merged into
one relationship (their PMIDs united).

Faults and concurrency
----------------------
- Before anything is written the server's version is read (``CALL dbms.components()``)
  and servers older than Neo4j 5.0 are refused with one line (:func:`check_server_version`).
- A batch reads what is stored for its keys; if it would change anything, it locks
  what it changes (those entities or articles, or both endpoints of each relationship,
  in ascending id order, by writing and removing a scratch property ``_kg_lock``:
  nothing of it stays) and reads them again, so the merge is computed from a state no
  other transaction can change before this one commits. Two loads into the same
  database at once thus serialise on what they share, and neither overwrites the
  other's PMIDs. (A batch that changes nothing takes no lock: stored PMIDs only grow,
  so what it found already contains it.)
- A node another transaction is creating is waited for by the lock query (its
  unique-index seek waits for the uncommitted node). Should a node the batch read as
  absent still turn up at the write (the ``MERGE`` finds it instead of creating it, or
  the server reports ``ConstraintValidationFailed``), the batch is rolled back and
  retried, re-read and re-merged, up to ``RACE_RETRIES`` (20) times. Deadlocks and other
  transient errors are retried by the driver (``execute_write``). The uniqueness
  constraints keep nodes unique whatever happens; ``MERGE`` locks both endpoints before
  it creates a relationship, so relationships stay unique too.
- Each batch is one transaction: a load killed half-way (the process or the server)
  leaves whole batches, and loading the same graph again completes it exactly, because
  a reload changes nothing that is already there. When the server goes away during the
  load, the error says how far the load got and that loading again completes it.
- The driver's own log records (retries, dropped connections) go through the logger
  ``neo4j``; kg gives it a ``NullHandler`` so that an application that configures no
  logging does not get them on stderr (Python's last-resort handler); an application
  that does configure logging still receives them.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from .errors import Neo4jError
from .normalize import choose_name, choose_title, pmid_sort_key, safe_name

__all__ = [
    "LoadSummary",
    "load_graph",
    "load_query",
    "schema_statements",
    "cypher_name",
    "merge_entity",
    "merge_relationship",
    "merge_title",
    "CYPHER_DIR",
    "MIN_SERVER_VERSION",
    "parse_server_version",
    "check_server_version",
]

log = logging.getLogger(__name__)
# The driver logs retries and dropped connections as warnings; with no handler anywhere,
# Python's last-resort handler would print them under kg's one-line error. A NullHandler
# only stops that fallback: handlers an application configures still get the records.
_driver_log = logging.getLogger("neo4j")
if not any(isinstance(h, logging.NullHandler) for h in _driver_log.handlers):
    _driver_log.addHandler(logging.NullHandler())

#: Folder of the ``.cypher`` files shipped with kg (``cypher/`` at the repository root).
CYPHER_DIR = Path(__file__).with_name("cypher")

_VALID_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_QUERY_FILE = re.compile(r"[a-z][a-z0-9_]*")

ProgressFn = Callable[[int, int, int], None]

#: The oldest Neo4j the loader accepts: ``FOR … REQUIRE`` constraints, ``IF NOT EXISTS``,
#: ``db.awaitIndexes`` and Bolt 5 (what driver 6 and the notification filter need).
MIN_SERVER_VERSION = (5, 0)

_VERSION = re.compile(r"(?:Neo4j/)?(\d+(?:\.\d+)*)")

# Queries of the fault-tolerance layer. (They belong with the others in kg/cypher/ as
# server_version.cypher, load_lock_entities.cypher and load_lock_articles.cypher; kept
# here until those files are added.) The lock queries write and remove a scratch
# property: Neo4j takes a node's write lock on the first write and keeps it until the
# transaction ends, so what the batch reads next cannot change under it.
#: The password `scripts/neo4j` gives the local server unless NEO4J_PASSWORD says otherwise.
DEFAULT_PASSWORD = "kgpassword"

#: How often a batch that lost a race (a node created by another load between its read
#: and its write) is retried before the load gives up.
RACE_RETRIES = 20


# -- Cypher files -------------------------------------------------------------------------


@lru_cache(maxsize=None)
def load_query(name: str) -> str:
    """The text of ``kg/cypher/<name>.cypher``, comment lines included.

    >>> "MERGE (a:Article {pmid: row.pmid})" in load_query("load_merge_articles")
    True
    """
    if not _QUERY_FILE.fullmatch(name):
        raise ValueError(f"not a query name: {name!r}")
    return (CYPHER_DIR / f"{name}.cypher").read_text(encoding="utf-8")


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//")).strip()


def schema_statements() -> list[str]:
    """The statements of ``cypher/schema.cypher``, without comments, in order.

    >>> [s.split()[1] for s in schema_statements()]
    ['CONSTRAINT', 'CONSTRAINT', 'FULLTEXT']
    """
    body = _strip_comments(load_query("schema"))
    return [s.strip() for s in body.split(";") if s.strip()]


def cypher_name(text: str) -> str:
    """`text` as a label / relationship type that may be written into a query.

    ``safe_name`` first, then a check against ``^[A-Za-z][A-Za-z0-9_]*$`` (a second
    line of defence: nothing else ever reaches the query text).

    >>> cypher_name("Disease"), cypher_name("x`]->() DETACH DELETE n //")
    ('Disease', 'x_DETACH_DELETE_n')
    """
    name = safe_name(text)
    if not _VALID_NAME.fullmatch(name):  # pragma: no cover - safe_name guarantees it
        raise Neo4jError(f"refusing to use {text!r} as a Neo4j label or relationship type")
    return name


def _query(name: str, *, label: str | None = None, rel_type: str | None = None) -> str:
    """A load query with its placeholder (`` `{label}` `` / `` `{type}` ``) filled in."""
    text = _strip_comments(load_query(name))
    for placeholder, value in (("`{label}`", label), ("`{type}`", rel_type)):
        if placeholder in text:
            if value is None or not _VALID_NAME.fullmatch(value):
                raise Neo4jError(f"refusing to use {value!r} as a Neo4j label or relationship type")
            text = text.replace(placeholder, f"`{value}`")
    return text


# -- server version -----------------------------------------------------------------------


def parse_server_version(text: str | None) -> tuple[int, ...] | None:
    """The leading numbers of a Neo4j version or server agent string (``None``: none).

    Accepts what ``CALL dbms.components()`` reports (``5.26.30``, ``2025.10.1``,
    ``5.27-aura``) and the Bolt server agent (``Neo4j/4.4.30``).

    >>> parse_server_version("5.26.30"), parse_server_version("Neo4j/4.4.30")
    ((5, 26, 30), (4, 4, 30))
    >>> parse_server_version("2025.10.1"), parse_server_version("5.27-aura"), parse_server_version("dev")
    ((2025, 10, 1), (5, 27), None)
    """
    match = _VERSION.match((text or "").strip())
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def check_server_version(version: str | None, uri: str = "") -> tuple[int, ...] | None:
    """Refuse a Neo4j older than :data:`MIN_SERVER_VERSION` with one clear line.

    Returns the parsed version. A version that cannot be parsed is let through (the
    schema statements then say what the server cannot do).

    >>> check_server_version("5.26.30")
    (5, 26, 30)
    >>> check_server_version("4.4.30", "bolt://old:7687")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.errors.Neo4jError: cannot load into Neo4j at bolt://old:7687: the server is Neo4j 4.4.30; kg needs ...

    Notes
    -----
    Neo4j 4 cannot be run in kg's test environment; this function is tested on
    version strings, and :func:`load_graph` calls it with what the server reports.
    """
    parsed = parse_server_version(version)
    if parsed is not None and parsed < MIN_SERVER_VERSION:
        need = ".".join(map(str, MIN_SERVER_VERSION))
        raise Neo4jError(f"cannot load into Neo4j at {uri}: the server is Neo4j {version}; kg needs Neo4j "
                         f"{need} or later (FOR ... REQUIRE constraints, Bolt 5)")
    return parsed


def _agent_version(message: str) -> str | None:
    """The version in a driver message naming the server agent (``'Neo4j/4.4.30'``)."""
    match = re.search(r"Neo4j/(\d[0-9A-Za-z.\-]*)", message)
    return match.group(1) if match else None


# -- merge rules (pure functions, the same for both loads) ---------------------------------


def _none_if_empty(value: Any) -> Any:
    """An empty list or string is stored as no property (as neo4j-admin import does)."""
    return None if value == [] or value == "" else value


def _sorted_pmids(pmids: Iterable[str]) -> list[str]:
    return sorted(set(pmids), key=pmid_sort_key)


def _merged_name(old: str | None, new: str | None, synonyms: dict[str, int]) -> str | None:
    """The name after a merge: a name that is no mention form (a vocabulary's) stays;
    otherwise kg's own rule (:func:`~kg.normalize.choose_name`) over the merged counts
    (the database does not keep which forms were in titles)."""
    if not synonyms:
        return old or new
    for name in (new, old):
        if name and name not in synonyms:
            return name
    return choose_name({form: [count, count] for form, count in synonyms.items()})


#: Entity properties from the vocabularies (kg.vocab); in a merge's result only when a side has them.
NAME_KEYS = ("name_source", "symbol", "full_name", "xrefs")
_NAME_RANK = {"pubtator3": 0, "vocabulary": 1, "builtin": 2}  # "mentions": the vote of the synonyms


def _with_vocabulary_names(old: dict[str, Any] | None, new: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """A name from PubTator3 or a vocabulary beats the mentions' vote (the stronger source
    wins, the incoming one on a tie); ``symbol``/``full_name`` the incoming ones when
    given; ``xrefs`` the union, stored ones first."""
    old = old or {}
    if all(old.get(k) is None and new.get(k) is None for k in NAME_KEYS):
        return out
    best = min((new, old), key=lambda d: _NAME_RANK.get(d.get("name_source"), len(_NAME_RANK)))
    if best.get("name_source") in _NAME_RANK:
        out["name"], out["name_source"] = best.get("name"), best["name_source"]
    else:
        out["name_source"] = new.get("name_source") or old.get("name_source")
    out["symbol"] = new.get("symbol") or old.get("symbol")
    out["full_name"] = new.get("full_name") or old.get("full_name")
    out["xrefs"] = _none_if_empty(list(dict.fromkeys([*(old.get("xrefs") or []), *(new.get("xrefs") or [])])))
    return out


def merge_entity(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The properties an entity gets when `new` is loaded onto `old` (``None``: absent).

    Both are property dicts (``type, name, synonyms, synonym_counts, mentions, pmids``);
    the result has the same keys, empty values as ``None``. See the module docstring for
    the rules.

    >>> old = {"type": "Disease", "name": "lupus", "synonyms": ["lupus", "SLE"],
    ...        "synonym_counts": [2, 1], "mentions": 3, "pmids": ["2", "10"]}
    >>> merge_entity(old, dict(old, pmids=["10"])) == old  # a reload changes nothing
    True
    >>> m = merge_entity(old, {"type": "Gene", "name": "SLE", "synonyms": ["SLE"],
    ...                        "synonym_counts": [4], "mentions": 4, "pmids": ["9"]})
    >>> m["pmids"], m["mentions"], m["synonyms"], m["synonym_counts"], m["type"], m["name"]
    (['2', '9', '10'], 7, ['SLE', 'lupus'], [5, 2], 'Disease', 'SLE')
    """
    keys = ("type", "name", "synonyms", "synonym_counts", "mentions", "pmids")
    given_old, given_new = old, new
    new = {k: _none_if_empty(new.get(k)) for k in keys}
    if old is None:
        return _with_vocabulary_names(None, given_new, new)
    old = {k: old.get(k) for k in keys}
    old_pmids = old["pmids"] or []
    new_pmids = new["pmids"] or []
    if set(new_pmids) <= set(old_pmids):  # a reload: only fill what is missing
        out = dict(old)
        for k in ("type", "name"):
            if out[k] is None:
                out[k] = new[k]
        return _with_vocabulary_names(given_old, given_new, out)
    synonyms: dict[str, int] = {}
    for forms, counts in ((old["synonyms"], old["synonym_counts"]), (new["synonyms"], new["synonym_counts"])):
        for form, count in zip(forms or [], counts or []):
            synonyms[form] = synonyms.get(form, 0) + int(count)
    synonyms = dict(sorted(synonyms.items(), key=lambda fc: (-fc[1], fc[0])))
    return _with_vocabulary_names(given_old, given_new, {
        "type": old["type"] or new["type"],
        "name": _merged_name(old["name"], new["name"], synonyms),
        "synonyms": _none_if_empty(list(synonyms)),
        "synonym_counts": _none_if_empty(list(synonyms.values())),
        "mentions": (old["mentions"] or 0) + (new["mentions"] or 0),
        "pmids": _none_if_empty(_sorted_pmids([*old_pmids, *new_pmids])),
    })


def merge_relationship(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``pmids``, ``count`` and ``source_types`` of a relationship after loading `new`.

    >>> merge_relationship({"pmids": ["10", "2"], "source_types": ["CID"]},
    ...                    {"pmids": ["3"], "source_types": []})
    {'pmids': ['2', '3', '10'], 'count': 3, 'source_types': ['CID']}
    """
    pmids = _sorted_pmids([*((old or {}).get("pmids") or []), *(new.get("pmids") or [])])
    types = sorted({*((old or {}).get("source_types") or []), *(new.get("source_types") or [])})
    return {"pmids": _none_if_empty(pmids), "count": len(pmids), "source_types": _none_if_empty(types)}


def merge_title(old: str | None, new: str | None) -> str | None:
    """The title kept for an article: :func:`~kg.normalize.choose_title` (order-independent).

    >>> merge_title("Short.", "A longer title."), merge_title(None, ""), merge_title("B", "A")
    ('A longer title.', None, 'B')
    """
    return choose_title(old or None, new) if new else old or None


# -- summary ------------------------------------------------------------------------------


@dataclass(slots=True)
class LoadSummary:
    """What a load did. ``updated`` counts existing nodes / relationships whose
    properties changed; rows that changed nothing are not written at all."""

    nodes_created: int = 0
    nodes_updated: int = 0
    relationships_created: int = 0
    relationships_updated: int = 0
    articles: int = 0
    #: the whole load; of it, ``setup_seconds`` before the first row (connection, server
    #: version, schema statements, waiting for the indexes): a fixed cost, so
    #: ``rows_per_second`` is counted over the rest, the writing
    seconds: float = 0.0
    setup_seconds: float = 0.0
    rows_per_second: float = 0.0
    rows: int = 0
    uri: str = ""
    database: str = ""
    server: str = ""

    def __str__(self) -> str:
        server = f"{self.server}, " if self.server else ""
        return (
            f"neo4j {self.uri} ({server}database {self.database}): "
            f"nodes {self.nodes_created:,} created, {self.nodes_updated:,} updated; "
            f"relationships {self.relationships_created:,} created, {self.relationships_updated:,} updated; "
            f"articles {self.articles:,}\n"
            f"{self.rows:,} rows in {self.seconds - self.setup_seconds:.1f} s ({self.rows_per_second:,.0f} rows/s), "
            f"after {self.setup_seconds:.1f} s of set-up (connection, schema, indexes)"
        )


# -- rows from the graph ------------------------------------------------------------------


def _entity_rows(G: nx.MultiDiGraph) -> Iterator[dict[str, Any]]:
    for node_id, a in G.nodes(data=True):
        etype = a.get("type") or "Unknown"
        syn = a.get("synonyms") or {}
        yield {
            "id": str(node_id),
            "type": etype,
            "name": a.get("name", node_id),
            "synonyms": list(syn),
            "synonym_counts": [int(c) for c in syn.values()],
            "mentions": int(a.get("mentions", 0)),
            "pmids": [str(p) for p in a.get("pmids", [])],
            **{k: a[k] for k in NAME_KEYS if a.get(k)},  # names from the vocabularies (kg.vocab)
        }


def _relationship_rows(G: nx.MultiDiGraph) -> dict[str, list[dict[str, Any]]]:
    """Rows by relationship type; two keys with the same type between the same pair unite."""
    by_type: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for u, v, key, a in G.edges(keys=True, data=True):
        rel_type = cypher_name(str(key)).upper()
        rows = by_type.setdefault(rel_type, {})
        row = {"start": str(u), "end": str(v), "pmids": [str(p) for p in a.get("pmids", [])],
               "source_types": [str(s) for s in a.get("source_types", [])]}
        prev = rows.get((row["start"], row["end"]))
        if prev is not None:
            merged = merge_relationship(prev, row)
            row["pmids"], row["source_types"] = merged["pmids"] or [], merged["source_types"] or []
        rows[(row["start"], row["end"])] = row
    return {t: list(rows.values()) for t, rows in sorted(by_type.items())}


def _mention_rows(G: nx.MultiDiGraph, articles: dict[str, str]) -> dict[str, list[str]]:
    """The entity ids each article of `articles` mentions, by PMID (articles in graph order)."""
    by_article: dict[str, list[str]] = {}
    for node_id, a in G.nodes(data=True):
        node = str(node_id)
        for pmid in a.get("pmids", []):
            if pmid in articles:
                by_article.setdefault(str(pmid), []).append(node)
    return by_article


def _mention_batches(by_article: dict[str, list[str]], size: int) -> Iterator[dict[str, Any]]:
    """Parameters of ``load_merge_mentions``: whole articles, about `size` pairs a batch.

    Each batch names its entities once (``ids``); an article's row lists positions in
    ``ids``. ``pairs`` is the number of (article, entity) pairs the batch writes.
    """
    rows: list[dict[str, Any]] = []
    position: dict[str, int] = {}
    pairs = 0
    for pmid, ids in by_article.items():
        rows.append({"pmid": pmid, "entities": [position.setdefault(i, len(position)) for i in ids]})
        pairs += len(ids)
        if pairs >= size:
            yield {"ids": list(position), "rows": rows, "pairs": pairs}
            rows, position, pairs = [], {}, 0
    if rows:
        yield {"ids": list(position), "rows": rows, "pairs": pairs}


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- transaction functions (may run more than once: they only read, merge and MERGE) ------


def _write(tx, query: str, rows: list[dict[str, Any]], **params: Any) -> tuple[int, int, int]:
    """Run one write query; return (rows written, nodes created, relationships created)."""
    result = tx.run(query, rows=rows, **params)
    record = result.single()
    counters = result.consume().counters
    written = record["written"] if record is not None else 0
    return written, counters.nodes_created, counters.relationships_created


class _LostRace(Exception):
    """A batch read a node as absent that another transaction created before the batch
    wrote it: the batch is rolled back and retried (see :func:`_execute`)."""


def _lock(tx, name: str, key: str, values: Iterable[str]) -> None:
    """Write-lock the existing nodes of `values`, in ascending order (no lock cycles)."""
    tx.run(_query(name), {key: sorted(set(values))}).consume()


def _entity_changes(tx, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
    """(row, merged properties, absent?) for each row that would change the database."""
    found = {r["id"]: r.data() for r in tx.run(_query("load_read_entities"), ids=[r["id"] for r in rows])}
    changes = []
    for row in rows:
        old = found.get(row["id"])
        merged = merge_entity(old, row)
        label = cypher_name(merged["type"] or "Unknown")
        if old is not None and all(old.get(k) == v for k, v in merged.items()) and label in (old.get("labels") or []):
            continue
        changes.append((row, merged, old is None))
    return changes


def _tx_entities(tx, rows: list[dict[str, Any]]) -> tuple[int, int]:
    # Read, and if something changes, lock what changes and read it again: the merge is
    # computed from what no other transaction can change before this one commits. (A
    # row already contained in what is stored stays so: stored PMIDs only grow.)
    changes = _entity_changes(tx, rows)
    if not changes:
        return 0, 0
    if not all(absent for _, _, absent in changes):  # all new: nothing to lock, a race shows in `created`
        _lock(tx, "load_lock_entities", "ids", [row["id"] for row, _, _ in changes])
        changes = _entity_changes(tx, [row for row, _, _ in changes])
    by_label: dict[str, list[dict[str, Any]]] = {}
    for row, merged, _ in changes:
        by_label.setdefault(cypher_name(merged["type"] or "Unknown"), []).append({"id": row["id"], **merged})
    written = created = 0
    for label, batch in sorted(by_label.items()):
        w, c, _ = _write(tx, _query("load_merge_entities", label=label), batch)
        written += w
        created += c
    absent = sum(1 for _, _, was_absent in changes if was_absent)
    if created != absent:
        raise _LostRace(f"{absent - created} entities were created by another transaction meanwhile")
    return created, written - created


def _article_changes(tx, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    found = {r["pmid"]: r["title"] for r in tx.run(_query("load_read_articles"), pmids=[r["pmid"] for r in rows])}
    changes = []
    for row in rows:
        title = merge_title(found.get(row["pmid"]), row["title"])
        if row["pmid"] in found and found[row["pmid"]] == title:
            continue
        changes.append(({"pmid": row["pmid"], "title": title}, row["pmid"] not in found))
    return changes


def _tx_articles(tx, rows: list[dict[str, Any]]) -> tuple[int, int]:
    changes = _article_changes(tx, rows)
    if not changes:
        return 0, 0
    if not all(absent for _, absent in changes):  # all new: nothing to lock, a race shows in `created`
        _lock(tx, "load_lock_articles", "pmids", [row["pmid"] for row, _ in changes])
        wanted = {row["pmid"] for row, _ in changes}
        changes = _article_changes(tx, [row for row in rows if row["pmid"] in wanted])
        if not changes:
            return 0, 0
    written, created, _ = _write(tx, _query("load_merge_articles"), [row for row, _ in changes])
    absent = sum(1 for _, was_absent in changes if was_absent)
    if created != absent:
        raise _LostRace(f"{absent - created} articles were created by another transaction meanwhile")
    return created, written - created


def _relationship_changes(tx, rel_type: str, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    pairs = [{"start": r["start"], "end": r["end"]} for r in rows]
    for rec in tx.run(_query("load_read_relationships", rel_type=rel_type), rows=pairs):
        found.setdefault((rec["start"], rec["end"]), []).append(rec.data())
    changes = []
    for row in rows:
        olds = found.get((row["start"], row["end"]), [])
        old = olds[0] if len(olds) == 1 else None
        for extra in olds[1:] if len(olds) > 1 else ():  # duplicates made by someone else: all rewritten
            row = {**row, **merge_relationship(extra, row)}
        merged = merge_relationship(olds[0] if olds else None, row)
        if old is not None and all(old.get(k) == v for k, v in merged.items()):
            continue
        changes.append(({"start": row["start"], "end": row["end"], **merged}, not olds))
    return changes


def _tx_relationships(tx, rel_type: str, rows: list[dict[str, Any]]) -> tuple[int, int]:
    changes = _relationship_changes(tx, rel_type, rows)
    if not changes:
        return 0, 0
    # Both endpoints locked: no other load can create or change a relationship between
    # them until this transaction ends (MERGE locks them too before it creates one).
    if not all(absent for _, absent in changes):  # all new: a race shows in `created` and is retried
        wanted = {(row["start"], row["end"]) for row, _ in changes}
        _lock(tx, "load_lock_entities", "ids", [i for pair in wanted for i in pair])
        changes = _relationship_changes(tx, rel_type, [r for r in rows if (r["start"], r["end"]) in wanted])
        if not changes:
            return 0, 0
    batch = [row for row, _ in changes]
    written, _, created = _write(tx, _query("load_merge_relationships", rel_type=rel_type), batch)
    if written != len(batch):
        raise Neo4jError(f"{len(batch) - written} {rel_type} relationships have an endpoint missing from the database")
    absent = sum(1 for _, was_absent in changes if was_absent)
    if created != absent:
        raise _LostRace(f"{absent - created} {rel_type} relationships were created by another transaction meanwhile")
    return created, written - created


def _tx_mentions(tx, batch: dict[str, Any]) -> int:
    written, _, created = _write(tx, _query("load_merge_mentions"), batch["rows"], ids=batch["ids"])
    if written != batch["pairs"]:
        raise Neo4jError(f"{batch['pairs'] - written} MENTIONS have an article or entity missing from the database")
    return created


def _execute(session, fn: Callable[..., Any], *args: Any) -> Any:
    """``session.execute_write(fn, *args)``, also retried when the batch lost a race.

    The driver retries transient errors (deadlocks, a leader switch, a dropped
    connection) by itself; a unique-constraint failure is not transient for it, but
    here it only means that another load created the same node first, as does
    :class:`_LostRace`: the batch is rolled back, and its retry reads that node.
    """
    from neo4j import exceptions as nx4j

    for attempt in range(1, RACE_RETRIES + 1):
        try:
            return session.execute_write(fn, *args)
        except (_LostRace, nx4j.ConstraintError) as err:
            code = getattr(err, "code", None) or ""
            if isinstance(err, nx4j.ConstraintError) and not code.endswith("ConstraintValidationFailed"):
                raise
            if attempt == RACE_RETRIES:
                raise Neo4jError(f"a batch still conflicted with another load after {attempt} attempts "
                                 f"({_one_line(getattr(err, 'message', None) or str(err))})") from err
            delay = min(0.05 * 2 ** attempt, 2.0) * random.uniform(0.5, 1.5)
            log.info("batch conflicted with another load (%s); retry %d in %.2f s", err, attempt, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


# -- errors -------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cause(err: BaseException, database: str, user: str) -> str:
    from neo4j import exceptions as nx4j

    if isinstance(err, nx4j.AuthError):
        return f"authentication failed for user {user!r} (wrong user name or password): {_one_line(err.message)}"
    if isinstance(err, nx4j.ServiceUnavailable):
        return f"no Neo4j server answers: {_one_line(str(err))}"
    if isinstance(err, nx4j.Neo4jError):
        code = err.code or type(err).__name__
        if code.endswith("DatabaseNotFound"):
            return f"database {database!r} does not exist ({_one_line(err.message or '')})"
        return f"{code}: {_one_line(err.message or str(err))}"
    if isinstance(err, nx4j.UnsupportedServerProduct):
        return f"the server speaks no Bolt version this driver knows (kg needs Neo4j 5 or later): {_one_line(str(err))}"
    if isinstance(err, nx4j.ConfigurationError):
        return f"invalid URI or driver configuration: {_one_line(str(err))}"
    return f"{type(err).__name__}: {_one_line(str(err))}"


def _connect(uri: str, auth: tuple[str, str]):
    """A driver for `uri` whose connectivity is verified (the caller closes it).

    Server notifications are switched off (the read step names types and properties
    that may not exist yet, and the driver would log each notice as a warning). A server
    whose Bolt version cannot filter notifications says which Neo4j it is in the
    handshake: older than 5.0 is refused, Neo4j 5.0-5.6 gets a driver without the filter.
    """
    from neo4j import GraphDatabase
    from neo4j import exceptions as nx4j

    driver = GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
    try:
        driver.verify_connectivity()
        return driver
    except nx4j.ConfigurationError as err:
        driver.close()
        if "otification filtering is not supported" not in str(err):
            raise
        check_server_version(_agent_version(str(err)) or "unknown", uri)
    except BaseException:
        driver.close()
        raise
    driver = GraphDatabase.driver(uri, auth=auth)
    try:
        driver.verify_connectivity()
    except BaseException:
        driver.close()
        raise
    return driver


# -- the load -----------------------------------------------------------------------------


def load_graph(
    G: nx.MultiDiGraph,
    *,
    uri: str = "bolt://127.0.0.1:7687",
    auth: tuple[str, str] = ("neo4j", DEFAULT_PASSWORD),
    database: str = "neo4j",
    batch_size: int = 10_000,
    articles: bool = True,
    progress: ProgressFn | None = None,
) -> LoadSummary:
    """Load `G` into the Neo4j database `database` at `uri` (idempotent, incremental).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A graph from :func:`kg.build` or :func:`kg.read_graph`.
    uri : str
        A Bolt URI (``bolt://``, ``neo4j://`` and their ``+s`` / ``+ssc`` forms).
    auth : (user, password)
    database : str
        Always passed explicitly to the driver.
    batch_size : int
        Rows per write transaction.
    articles : bool
        Load ``:Article`` nodes and ``MENTIONS`` (needs ``G.graph["articles"]``).
    progress : callable, optional
        Called as ``progress(rows_done, rows_total, 0)`` after each batch.

    Returns
    -------
    LoadSummary

    Raises
    ------
    kg.errors.Neo4jError
        One line naming `uri` and the cause: no server, wrong password, unknown
        database, a server older than Neo4j 5.0, a failed schema statement, the server
        going away during the load (with how many rows were written), or anything else
        the server refuses.

    Notes
    -----
    The merge rules (union of PMIDs, when mentions and synonym counts are added, which
    name and type win) and their limits are in the module docstring, and so is what
    happens under faults and concurrent loads (locks, retries, resuming a broken load).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    from neo4j import exceptions as nx4j

    scheme = uri.partition("://")[0].lower()
    if scheme not in ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"):
        raise Neo4jError(f"cannot load into Neo4j at {uri}: not a Bolt URI (use bolt://host:7687 or neo4j://host)")

    started = time.monotonic()
    article_titles: dict[str, str] = dict(G.graph.get("articles") or {}) if articles else {}
    entity_rows = list(_entity_rows(G))
    rel_rows = _relationship_rows(G)
    mentions = _mention_rows(G, article_titles)
    total = (len(entity_rows) + len(article_titles) + sum(map(len, rel_rows.values()))
             + sum(map(len, mentions.values())))
    summary = LoadSummary(articles=len(article_titles), rows=total, uri=uri, database=database)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total, 0)

    stage = "connecting"
    try:
        with _connect(uri, auth) as driver:
            stage = "version"
            records = driver.execute_query(_query("server_version"), database_=database).records
            kernel = next((r for r in records if r["name"] == "Neo4j Kernel"), records[0] if records else None)
            version = str(kernel["versions"][0]) if kernel is not None and kernel["versions"] else None
            summary.server = f"Neo4j {version}" if version else ""
            check_server_version(version, uri)
            stage = "schema"
            for i, statement in enumerate(schema_statements(), 1):
                try:
                    driver.execute_query(statement, database_=database)
                except (nx4j.ClientError, nx4j.DatabaseError) as err:
                    if (err.code or "").endswith("DatabaseNotFound") or isinstance(err, nx4j.AuthError):
                        raise
                    if (err.code or "").endswith("EquivalentSchemaRuleAlreadyExists"):
                        # Another load created the same index or constraint between this
                        # statement's IF NOT EXISTS check and its commit: it exists, as wanted.
                        continue
                    raise Neo4jError(
                        f"cannot load into Neo4j at {uri}: statement {i} of cypher/schema.cypher failed "
                        f"({_cause(err, database, auth[0])})"
                    ) from err
            driver.execute_query(_query("await_indexes"), seconds=300, database_=database)
            stage = "load"
            summary.setup_seconds = time.monotonic() - started
            with driver.session(database=database) as session:
                for batch in _batches(entity_rows, batch_size):
                    created, updated = _execute(session, _tx_entities, batch)
                    summary.nodes_created += created
                    summary.nodes_updated += updated
                    advance(len(batch))
                article_list = [{"pmid": str(p), "title": t or ""} for p, t in article_titles.items()]
                for batch in _batches(article_list, batch_size):
                    created, updated = _execute(session, _tx_articles, batch)
                    summary.nodes_created += created
                    summary.nodes_updated += updated
                    advance(len(batch))
                for rel_type, rows in rel_rows.items():
                    for batch in _batches(rows, batch_size):
                        created, updated = _execute(session, _tx_relationships, rel_type, batch)
                        summary.relationships_created += created
                        summary.relationships_updated += updated
                        advance(len(batch))
                for batch in _mention_batches(mentions, batch_size):
                    summary.relationships_created += _execute(session, _tx_mentions, batch)
                    advance(batch["pairs"])
    except Neo4jError as err:
        if str(err).startswith("cannot load into Neo4j"):
            raise
        raise Neo4jError(f"cannot load into Neo4j at {uri}: {err}") from err
    except (nx4j.ServiceUnavailable, nx4j.SessionExpired) as err:
        if stage != "load":
            raise Neo4jError(f"cannot load into Neo4j at {uri}: {_cause(err, database, auth[0])}") from err
        # The server went away half-way: say how far the load got and that it can resume.
        raise Neo4jError(
            f"cannot load into Neo4j at {uri}: the server stopped answering after {done:,} of {total:,} rows "
            f"({_one_line(str(err), 200)}); the batches written are kept, and loading the graph again "
            f"completes the load"
        ) from err
    except (nx4j.Neo4jError, nx4j.DriverError) as err:
        raise Neo4jError(f"cannot load into Neo4j at {uri}: {_cause(err, database, auth[0])}") from err
    except ValueError as err:  # the driver's own check of a malformed URI or auth
        if stage != "connecting":
            raise
        raise Neo4jError(f"cannot load into Neo4j at {uri}: {_one_line(str(err))}") from err
    summary.seconds = time.monotonic() - started
    writing = summary.seconds - summary.setup_seconds
    summary.rows_per_second = total / writing if writing > 0 else 0.0
    return summary
