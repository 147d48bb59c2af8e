"""Load a kg graph into Neo4j 5 through the official driver: idempotent and incremental.

The database model, the batching, the merge rules and what happens under faults and
concurrent loads are described in docs/neo4j.md.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..errors import Neo4jError, Neo4jLoadError
from .merge import NAME_KEYS, merge_entity, merge_relationship, merge_title
from .queries import cypher_name, query_text, schema_statements
from .server import (DEFAULT_PASSWORD, DYNAMIC_LABELS_VERSION, cause, check_server_version, connect, one_line,
                     supports_dynamic_labels)

__all__ = ["LoadSummary", "load_graph", "RACE_RETRIES"]

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, int], None]

#: How often a batch that lost a race (a node created by another load between its read
#: and its write) is retried before the load gives up.
RACE_RETRIES = 20


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
    #: labels and relationship types went as values (one query text each; Neo4j 5.26+)
    dynamic_labels: bool = False

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
    """Rows (with their ``type``) by relationship type; two keys with the same type
    between the same pair unite."""
    by_type: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for u, v, key, a in G.edges(keys=True, data=True):
        rel_type = cypher_name(str(key)).upper()
        rows = by_type.setdefault(rel_type, {})
        row = {"type": rel_type, "start": str(u), "end": str(v), "pmids": [str(p) for p in a.get("pmids", [])],
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
    tx.run(query_text(name), {key: sorted(set(values))}).consume()


def _entity_changes(tx, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
    """(row, merged properties, absent?) for each row that would change the database."""
    found = {r["id"]: r.data() for r in tx.run(query_text("load_read_entities"), ids=[r["id"] for r in rows])}
    changes = []
    for row in rows:
        old = found.get(row["id"])
        merged = merge_entity(old, row)
        label = cypher_name(merged["type"] or "Unknown")
        if old is not None and all(old.get(k) == v for k, v in merged.items()) and label in (old.get("labels") or []):
            continue
        changes.append((row, merged, old is None))
    return changes


def _tx_entities(tx, rows: list[dict[str, Any]], dynamic: bool = False) -> tuple[int, int]:
    # Read, and if something changes, lock what changes and read it again: the merge is
    # computed from what no other transaction can change before this one commits. (A
    # row already contained in what is stored stays so: stored PMIDs only grow.)
    changes = _entity_changes(tx, rows)
    if not changes:
        return 0, 0
    if not all(absent for _, _, absent in changes):  # all new: nothing to lock, a race shows in `created`
        _lock(tx, "load_lock_entities", "ids", [row["id"] for row, _, _ in changes])
        changes = _entity_changes(tx, [row for row, _, _ in changes])
    # One statement for the batch when the label is a value (`dynamic`), else one per label.
    by_label: dict[str, list[dict[str, Any]]] = {}
    for row, merged, _ in changes:
        label = cypher_name(merged["type"] or "Unknown")
        by_label.setdefault("" if dynamic else label, []).append({"id": row["id"], "label": label, **merged})
    written = created = 0
    for label, batch in sorted(by_label.items()):
        w, c, _ = _write(tx, query_text("load_merge_entities", label=label, dynamic=dynamic), batch)
        written += w
        created += c
    absent = sum(1 for _, _, was_absent in changes if was_absent)
    if created != absent:
        raise _LostRace(f"{absent - created} entities were created by another transaction meanwhile")
    return created, written - created


def _article_changes(tx, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    found = {r["pmid"]: r["title"] for r in tx.run(query_text("load_read_articles"), pmids=[r["pmid"] for r in rows])}
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
    written, created, _ = _write(tx, query_text("load_merge_articles"), [row for row, _ in changes])
    absent = sum(1 for _, was_absent in changes if was_absent)
    if created != absent:
        raise _LostRace(f"{absent - created} articles were created by another transaction meanwhile")
    return created, written - created


def _relationship_changes(tx, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[str]]]:
    """(row with merged properties, element ids of the stored ones) for each row that
    would change the database; no ids: absent. Rows of any types."""
    found: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    pairs = [{"start": s, "end": e} for s, e in dict.fromkeys((r["start"], r["end"]) for r in rows)]
    for rec in tx.run(query_text("load_read_relationships"), rows=pairs):
        found.setdefault((rec["type"], rec["start"], rec["end"]), []).append(rec.data())
    changes = []
    for row in rows:
        olds = found.get((row["type"], row["start"], row["end"]), [])
        old = olds[0] if len(olds) == 1 else None
        for extra in olds[1:] if len(olds) > 1 else ():  # duplicates made by someone else: all rewritten
            row = {**row, **merge_relationship(extra, row)}
        merged = merge_relationship(olds[0] if olds else None, row)
        if old is not None and all(old.get(k) == v for k, v in merged.items()):
            continue
        changes.append(({"type": row["type"], "start": row["start"], "end": row["end"], **merged},
                        [o["rid"] for o in olds]))
    return changes


def _tx_relationships(tx, rel_type: str, rows: list[dict[str, Any]], dynamic: bool = False) -> tuple[int, int]:
    """:func:`_tx_relationship_batch` for rows of one type `rel_type`."""
    return _tx_relationship_batch(tx, [dict(row, type=rel_type) for row in rows], dynamic)


def _tx_relationship_batch(tx, rows: list[dict[str, Any]], dynamic: bool = False) -> tuple[int, int]:
    """Write a batch of relationship rows of any types; (created, updated)."""
    changes = _relationship_changes(tx, rows)
    if not changes:
        return 0, 0
    # Both endpoints locked: no other load can create or change a relationship between
    # them until this transaction ends (MERGE locks them too before it creates one).
    # Without locks (all rows new, per-type texts) a race shows in MERGE's `created`; the
    # dynamic texts CREATE what they read as absent, so they always lock first.
    if dynamic or not all(not rids for _, rids in changes):
        wanted = {(row["type"], row["start"], row["end"]) for row, _ in changes}
        _lock(tx, "load_lock_entities", "ids", [i for _, start, end in wanted for i in (start, end)])
        changes = _relationship_changes(tx, [r for r in rows if (r["type"], r["start"], r["end"]) in wanted])
        if not changes:
            return 0, 0
    absent = sum(1 for _, rids in changes if not rids)
    if dynamic:
        new = [row for row, rids in changes if not rids]
        stored = [dict(row, rid=rid) for row, rids in changes for rid in rids]
        written = created = 0
        if new:  # (an empty batch is not sent: on a server just started every new text costs ~1 s)
            written, _, created = _write(tx, query_text("load_create_relationships", dynamic=True), new)
        if stored:
            updated, _, _ = _write(tx, query_text("load_update_relationships"), stored)
            if updated != len(stored):  # pragma: no cover - the rows are locked
                raise _LostRace(f"{len(stored) - updated} relationships were deleted meanwhile")
        written += len(changes) - len(new)
    else:  # one MERGE per type
        by_type: dict[str, list[dict[str, Any]]] = {}
        for row, _ in changes:
            by_type.setdefault(row["type"], []).append(row)
        written = created = 0
        for rel_type, batch in sorted(by_type.items()):
            w, _, c = _write(tx, query_text("load_merge_relationships", rel_type=rel_type), batch)
            written += w
            created += c
    if written != len(changes):
        raise Neo4jError(f"{len(changes) - written} relationships have an endpoint missing from the database")
    if created != absent:
        raise _LostRace(f"{absent - created} relationships were created by another transaction meanwhile")
    return created, written - created


def _tx_mentions(tx, batch: dict[str, Any]) -> int:
    written, _, created = _write(tx, query_text("load_merge_mentions"), batch["rows"], ids=batch["ids"])
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
                                 f"({one_line(getattr(err, 'message', None) or str(err))})") from err
            delay = min(0.05 * 2 ** attempt, 2.0) * random.uniform(0.5, 1.5)
            log.info("batch conflicted with another load (%s); retry %d in %.2f s", err, attempt, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


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
    dynamic_labels: bool | None = None,
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
    dynamic_labels : bool, optional
        Pass labels and relationship types as values (``SET n:$(row.label)``), so one
        query text serves every label and type (a small load's time went to planning
        one or two texts per label and type; docs/neo4j.md, "Query texts and plans").
        ``None`` (default): when the server supports it
        (Neo4j 5.26 or later); ``False``: the per-label texts older servers get (the
        database written is the same); ``True`` on an older server is refused.

    Returns
    -------
    LoadSummary

    Raises
    ------
    kg.errors.Neo4jLoadError
        One line naming `uri` and the cause: no server, wrong password, unknown
        database, a server older than Neo4j 5.0 (or than 5.26 with
        ``dynamic_labels=True``), a failed schema statement, the server going away
        during the load (with how many rows were written), or anything else the
        server refuses.

    Notes
    -----
    The merge rules (union of PMIDs, when mentions and synonym counts are added, which
    name and type win) and their limits are in docs/neo4j.md, and so is what
    happens under faults and concurrent loads (locks, retries, resuming a broken load).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    from neo4j import exceptions as nx4j

    scheme = uri.partition("://")[0].lower()
    if scheme not in ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"):
        raise Neo4jLoadError(f"cannot load into Neo4j at {uri}: not a Bolt URI (use bolt://host:7687 or neo4j://host)")

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
        with connect(uri, auth) as driver:
            stage = "version"
            records = driver.execute_query(query_text("server_version"), database_=database).records
            kernel = next((r for r in records if r["name"] == "Neo4j Kernel"), records[0] if records else None)
            version = str(kernel["versions"][0]) if kernel is not None and kernel["versions"] else None
            summary.server = f"Neo4j {version}" if version else ""
            parsed = check_server_version(version, uri)
            if dynamic_labels and not supports_dynamic_labels(parsed):
                need = ".".join(map(str, DYNAMIC_LABELS_VERSION))
                raise Neo4jLoadError(f"cannot load into Neo4j at {uri}: dynamic labels need Neo4j {need} or later; "
                                     f"the server is {summary.server or 'of an unknown version'}")
            dynamic = supports_dynamic_labels(parsed) if dynamic_labels is None else dynamic_labels
            summary.dynamic_labels = dynamic
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
                    raise Neo4jLoadError(
                        f"cannot load into Neo4j at {uri}: statement {i} of cypher/schema.cypher failed "
                        f"({cause(err, database, auth[0])})"
                    ) from err
            driver.execute_query(query_text("await_indexes"), seconds=300, database_=database)
            stage = "load"
            summary.setup_seconds = time.monotonic() - started
            with driver.session(database=database) as session:
                for batch in _batches(entity_rows, batch_size):
                    created, updated = _execute(session, _tx_entities, batch, dynamic)
                    summary.nodes_created += created
                    summary.nodes_updated += updated
                    advance(len(batch))
                article_list = [{"pmid": str(p), "title": t or ""} for p, t in article_titles.items()]
                for batch in _batches(article_list, batch_size):
                    created, updated = _execute(session, _tx_articles, batch)
                    summary.nodes_created += created
                    summary.nodes_updated += updated
                    advance(len(batch))
                # all types in one stream (sorted by type): a small graph is one batch
                for batch in _batches((row for rows in rel_rows.values() for row in rows), batch_size):
                    created, updated = _execute(session, _tx_relationship_batch, batch, dynamic)
                    summary.relationships_created += created
                    summary.relationships_updated += updated
                    advance(len(batch))
                for batch in _mention_batches(mentions, batch_size):
                    summary.relationships_created += _execute(session, _tx_mentions, batch)
                    advance(batch["pairs"])
    except Neo4jLoadError:
        raise
    except Neo4jError as err:  # raised by kg without the server in the message
        raise Neo4jLoadError(f"cannot load into Neo4j at {uri}: {err}") from err
    except (nx4j.ServiceUnavailable, nx4j.SessionExpired) as err:
        if stage != "load":
            raise Neo4jLoadError(f"cannot load into Neo4j at {uri}: {cause(err, database, auth[0])}") from err
        # The server went away half-way: say how far the load got and that it can resume.
        raise Neo4jLoadError(
            f"cannot load into Neo4j at {uri}: the server stopped answering after {done:,} of {total:,} rows "
            f"({one_line(str(err), 200)}); the batches written are kept, and loading the graph again "
            f"completes the load"
        ) from err
    except (nx4j.Neo4jError, nx4j.DriverError) as err:
        raise Neo4jLoadError(f"cannot load into Neo4j at {uri}: {cause(err, database, auth[0])}") from err
    except ValueError as err:  # the driver's own check of a malformed URI or auth
        if stage != "connecting":
            raise
        raise Neo4jLoadError(f"cannot load into Neo4j at {uri}: {one_line(str(err))}") from err
    summary.seconds = time.monotonic() - started
    writing = summary.seconds - summary.setup_seconds
    summary.rows_per_second = total / writing if writing > 0 else 0.0
    return summary
