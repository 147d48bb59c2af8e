"""Load a kg graph into Neo4j 5 through the official driver: idempotent and incremental.

The database model is the one ``kg export --format neo4j-csv`` gives after
``neo4j-admin database import full`` (:func:`kg.io.write_neo4j_csv`), property for
property, so the transactional path and the bulk path give the same database:

- ``(:Entity:<Type> {id, type, name, synonyms, synonym_counts, mentions, pmids})``, the
  type label being :func:`kg.normalize.safe_name` of the entity type;
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
retried by the driver on transient errors) over ``UNWIND $rows … MERGE``. All Cypher
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
- Entity ``name``: on a new corpus, the winning name is the most frequent one over the
  merged synonym counts, compared case-insensitively, full forms before abbreviations
  (as the builder does); its spelling is the stored or the incoming name when either is
  of that group (the more frequent form, then the first alphabetically), else the most
  frequent form of the group.
- Article ``title``: the longer one (then the greater), as the builder chooses.

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
one relationship (their PMIDs united). Concurrent loads into the same database are not
coordinated.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from .build import pmid_sort_key
from .errors import Neo4jError
from .normalize import is_abbreviation, safe_name

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
]

#: Folder of the ``.cypher`` files shipped with kg (``cypher/`` at the repository root).
CYPHER_DIR = Path(__file__).with_name("cypher")

_VALID_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_QUERY_FILE = re.compile(r"[a-z][a-z0-9_]*")

ProgressFn = Callable[[int, int, int], None]


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


# -- merge rules (pure functions, the same for both loads) ---------------------------------


def _none_if_empty(value: Any) -> Any:
    """An empty list or string is stored as no property (as neo4j-admin import does)."""
    return None if value == [] or value == "" else value


def _sorted_pmids(pmids: Iterable[str]) -> list[str]:
    return sorted(set(pmids), key=pmid_sort_key)


def _merged_name(old: str | None, new: str | None, synonyms: dict[str, int]) -> str | None:
    if not synonyms:
        return old or new
    full = [f for f in synonyms if not is_abbreviation(f)] or list(synonyms)
    groups: dict[str, int] = {}
    for form in full:
        groups[form.lower()] = groups.get(form.lower(), 0) + synonyms[form]
    best = min(groups, key=lambda k: (-groups[k], k))
    candidates = [c for c in (old, new) if c and c.lower() == best] or [f for f in full if f.lower() == best]
    return min(candidates, key=lambda f: (-synonyms.get(f, 0), f))


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
    (['2', '9', '10'], 7, ['SLE', 'lupus'], [5, 2], 'Disease', 'lupus')
    """
    keys = ("type", "name", "synonyms", "synonym_counts", "mentions", "pmids")
    new = {k: _none_if_empty(new.get(k)) for k in keys}
    if old is None:
        return new
    old = {k: old.get(k) for k in keys}
    old_pmids = old["pmids"] or []
    new_pmids = new["pmids"] or []
    if set(new_pmids) <= set(old_pmids):  # a reload: only fill what is missing
        out = dict(old)
        for k in ("type", "name"):
            if out[k] is None:
                out[k] = new[k]
        return out
    synonyms: dict[str, int] = {}
    for forms, counts in ((old["synonyms"], old["synonym_counts"]), (new["synonyms"], new["synonym_counts"])):
        for form, count in zip(forms or [], counts or []):
            synonyms[form] = synonyms.get(form, 0) + int(count)
    synonyms = dict(sorted(synonyms.items(), key=lambda fc: (-fc[1], fc[0])))
    return {
        "type": old["type"] or new["type"],
        "name": _merged_name(old["name"], new["name"], synonyms),
        "synonyms": _none_if_empty(list(synonyms)),
        "synonym_counts": _none_if_empty(list(synonyms.values())),
        "mentions": (old["mentions"] or 0) + (new["mentions"] or 0),
        "pmids": _none_if_empty(_sorted_pmids([*old_pmids, *new_pmids])),
    }


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
    """The title kept for an article: the longer one, then the greater (order-independent).

    >>> merge_title("Short.", "A longer title."), merge_title(None, ""), merge_title("B", "A")
    ('A longer title.', None, 'B')
    """
    best = max((t for t in (old, new) if t), key=lambda t: (len(t), t), default=None)
    return best


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
    seconds: float = 0.0
    rows_per_second: float = 0.0
    rows: int = 0
    uri: str = ""
    database: str = ""

    def __str__(self) -> str:
        return (
            f"neo4j {self.uri} (database {self.database}): "
            f"nodes {self.nodes_created:,} created, {self.nodes_updated:,} updated; "
            f"relationships {self.relationships_created:,} created, {self.relationships_updated:,} updated; "
            f"articles {self.articles:,}\n"
            f"{self.rows:,} rows in {self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s)"
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


def _mention_rows(G: nx.MultiDiGraph, articles: dict[str, str]) -> Iterator[dict[str, str]]:
    for node_id, a in G.nodes(data=True):
        for pmid in a.get("pmids", []):
            if pmid in articles:
                yield {"pmid": str(pmid), "id": str(node_id)}


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


def _write(tx, query: str, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Run one write query; return (rows written, nodes created, relationships created)."""
    result = tx.run(query, rows=rows)
    record = result.single()
    counters = result.consume().counters
    written = record["written"] if record is not None else 0
    return written, counters.nodes_created, counters.relationships_created


def _tx_entities(tx, rows: list[dict[str, Any]]) -> tuple[int, int]:
    found = {r["id"]: r.data() for r in tx.run(_query("load_read_entities"), ids=[r["id"] for r in rows])}
    by_label: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        old = found.get(row["id"])
        merged = merge_entity(old, row)
        label = cypher_name(merged["type"] or "Unknown")
        if old is not None:
            unchanged = all(old.get(k) == v for k, v in merged.items()) and label in (old.get("labels") or [])
            if unchanged:
                continue
        by_label.setdefault(label, []).append({"id": row["id"], **merged})
    written = created = 0
    for label, batch in sorted(by_label.items()):
        w, c, _ = _write(tx, _query("load_merge_entities", label=label), batch)
        written += w
        created += c
    return created, written - created


def _tx_articles(tx, rows: list[dict[str, Any]]) -> tuple[int, int]:
    found = {r["pmid"]: r["title"] for r in tx.run(_query("load_read_articles"), pmids=[r["pmid"] for r in rows])}
    batch = []
    for row in rows:
        title = merge_title(found.get(row["pmid"]), row["title"])
        if row["pmid"] in found and found[row["pmid"]] == title:
            continue
        batch.append({"pmid": row["pmid"], "title": title})
    if not batch:
        return 0, 0
    written, created, _ = _write(tx, _query("load_merge_articles"), batch)
    return created, written - created


def _tx_relationships(tx, rel_type: str, rows: list[dict[str, Any]]) -> tuple[int, int]:
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    pairs = [{"start": r["start"], "end": r["end"]} for r in rows]
    for rec in tx.run(_query("load_read_relationships", rel_type=rel_type), rows=pairs):
        found.setdefault((rec["start"], rec["end"]), []).append(rec.data())
    batch = []
    for row in rows:
        olds = found.get((row["start"], row["end"]), [])
        old = olds[0] if len(olds) == 1 else None
        for extra in olds[1:] if len(olds) > 1 else ():  # duplicates made by someone else: all rewritten
            row = {**row, **merge_relationship(extra, row)}
        merged = merge_relationship(olds[0] if olds else None, row)
        if old is not None and all(old.get(k) == v for k, v in merged.items()):
            continue
        batch.append({"start": row["start"], "end": row["end"], **merged})
    if not batch:
        return 0, 0
    written, _, created = _write(tx, _query("load_merge_relationships", rel_type=rel_type), batch)
    if written != len(batch):
        raise Neo4jError(f"{len(batch) - written} {rel_type} relationships have an endpoint missing from the database")
    return created, written - created


def _tx_mentions(tx, rows: list[dict[str, str]]) -> int:
    written, _, created = _write(tx, _query("load_merge_mentions"), rows)
    if written != len(rows):
        raise Neo4jError(f"{len(rows) - written} MENTIONS have an article or entity missing from the database")
    return created


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
    if isinstance(err, nx4j.ConfigurationError):
        return f"invalid URI or driver configuration: {_one_line(str(err))}"
    return f"{type(err).__name__}: {_one_line(str(err))}"


# -- the load -----------------------------------------------------------------------------


def load_graph(
    G: nx.MultiDiGraph,
    *,
    uri: str = "bolt://127.0.0.1:7687",
    auth: tuple[str, str] = ("neo4j", "kgpassword"),
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
        database, a failed schema statement, or anything else the server refuses.

    Notes
    -----
    The merge rules (union of PMIDs, when mentions and synonym counts are added, which
    name and type win) and their limits are in the module docstring.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    from neo4j import GraphDatabase
    from neo4j import exceptions as nx4j

    scheme = uri.partition("://")[0].lower()
    if scheme not in ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"):
        raise Neo4jError(f"cannot load into Neo4j at {uri}: not a Bolt URI (use bolt://host:7687 or neo4j://host)")

    started = time.monotonic()
    article_titles: dict[str, str] = dict(G.graph.get("articles") or {}) if articles else {}
    entity_rows = list(_entity_rows(G))
    rel_rows = _relationship_rows(G)
    mention_rows = list(_mention_rows(G, article_titles))
    total = len(entity_rows) + len(article_titles) + sum(map(len, rel_rows.values())) + len(mention_rows)
    summary = LoadSummary(articles=len(article_titles), rows=total, uri=uri, database=database)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total, 0)

    stage = "connecting"
    try:
        # No server notifications: the read step names types and properties that may not
        # exist yet, and the driver logs each such notice as a warning.
        with GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF") as driver:
            driver.verify_connectivity()
            stage = "schema"
            for i, statement in enumerate(schema_statements(), 1):
                try:
                    driver.execute_query(statement, database_=database)
                except (nx4j.ClientError, nx4j.DatabaseError) as err:
                    if (err.code or "").endswith("DatabaseNotFound") or isinstance(err, nx4j.AuthError):
                        raise
                    raise Neo4jError(
                        f"cannot load into Neo4j at {uri}: statement {i} of cypher/schema.cypher failed "
                        f"({_cause(err, database, auth[0])})"
                    ) from err
            driver.execute_query(_query("await_indexes"), seconds=300, database_=database)
            stage = "load"
            with driver.session(database=database) as session:
                for batch in _batches(entity_rows, batch_size):
                    created, updated = session.execute_write(_tx_entities, batch)
                    summary.nodes_created += created
                    summary.nodes_updated += updated
                    advance(len(batch))
                article_list = [{"pmid": str(p), "title": t or ""} for p, t in article_titles.items()]
                for batch in _batches(article_list, batch_size):
                    created, updated = session.execute_write(_tx_articles, batch)
                    summary.nodes_created += created
                    summary.nodes_updated += updated
                    advance(len(batch))
                for rel_type, rows in rel_rows.items():
                    for batch in _batches(rows, batch_size):
                        created, updated = session.execute_write(_tx_relationships, rel_type, batch)
                        summary.relationships_created += created
                        summary.relationships_updated += updated
                        advance(len(batch))
                for batch in _batches(mention_rows, batch_size):
                    summary.relationships_created += session.execute_write(_tx_mentions, batch)
                    advance(len(batch))
    except Neo4jError as err:
        if str(err).startswith("cannot load into Neo4j"):
            raise
        raise Neo4jError(f"cannot load into Neo4j at {uri}: {err}") from err
    except (nx4j.Neo4jError, nx4j.DriverError) as err:
        raise Neo4jError(f"cannot load into Neo4j at {uri}: {_cause(err, database, auth[0])}") from err
    except ValueError as err:  # the driver's own check of a malformed URI or auth
        if stage != "connecting":
            raise
        raise Neo4jError(f"cannot load into Neo4j at {uri}: {_one_line(str(err))}") from err
    summary.seconds = time.monotonic() - started
    summary.rows_per_second = total / summary.seconds if summary.seconds > 0 else 0.0
    return summary
