"""Helpers and fixtures for the tests that need a real Neo4j server.

The server is the one at ``NEO4J_URI`` (default ``bolt://127.0.0.1:7687``, user
``NEO4J_USER`` / password ``NEO4J_PASSWORD``, defaults ``neo4j`` / ``kgpassword``),
e.g. started with ``scripts/neo4j start``. When none answers the tests skip, unless
``KG_REQUIRE_NEO4J=1`` (CI), where they fail with the reason.

The fixtures wipe the database of that server: point ``NEO4J_URI`` at a test server.
A test module imports the fixtures it uses by name (``from neo4j_support import
neo4j_driver, empty_db``); tests/conftest.py is not involved.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kg.normalize import safe_name

__all__ = [
    "NEO4J_URI",
    "NEO4J_AUTH",
    "NEO4J_DATABASE",
    "REPO",
    "CORPORA",
    "neo4j_driver",
    "empty_db",
    "require_server",
    "clear_database",
    "counts",
    "dump",
    "expected_dump",
    "query",
    "example_params",
]

NEO4J_URI = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
NEO4J_AUTH = (os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "kgpassword"))
NEO4J_DATABASE = os.environ.get("NEO4J_DATABASE", "neo4j")
REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

_PARAM = re.compile(r"^//\s*:param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=>\s*(.+?)\s*$", re.M)


def require_server(reason: str) -> None:
    """Skip with `reason`, or fail when ``KG_REQUIRE_NEO4J=1``."""
    if os.environ.get("KG_REQUIRE_NEO4J") == "1":
        pytest.fail(f"KG_REQUIRE_NEO4J=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _connect():
    from neo4j import GraphDatabase
    from neo4j.exceptions import DriverError, Neo4jError

    driver = GraphDatabase.driver(NEO4J_URI, auth=NEO4J_AUTH, connection_timeout=5,
                                  notifications_min_severity="OFF")
    try:
        driver.verify_connectivity()
        driver.execute_query("RETURN 1", database_=NEO4J_DATABASE)
    except (DriverError, Neo4jError) as err:
        driver.close()
        return None, f"no Neo4j server usable at {NEO4J_URI}: {type(err).__name__}: {' '.join(str(err).split())[:300]}"
    return driver, None


@pytest.fixture(scope="session")
def neo4j_driver():
    """A driver for the test server (skips or fails when none answers)."""
    try:
        import neo4j  # noqa: F401
    except ImportError:
        require_server("the neo4j driver is not installed (pip install neo4j)")
    driver, reason = _connect()
    if driver is None:
        require_server(reason)
    with driver:
        yield driver


def clear_database(driver) -> None:
    """Delete every node and relationship, in batches (the test server only)."""
    while True:
        records = driver.execute_query(
            "MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted",
            database_=NEO4J_DATABASE,
        ).records
        if records[0]["deleted"] == 0:
            return


@pytest.fixture
def empty_db(neo4j_driver):
    """The test server's database, emptied."""
    clear_database(neo4j_driver)
    return neo4j_driver


def query(driver, text: str, **params: Any) -> list[dict[str, Any]]:
    return [r.data() for r in driver.execute_query(text, params, database_=NEO4J_DATABASE).records]


def _key(labels: list[str], props: dict[str, Any]) -> str:
    return "Article:" + str(props.get("pmid")) if "Article" in labels else str(props.get("id"))


def dump(driver) -> dict[str, Any]:
    """Everything in the database: nodes by key, relationships as sorted tuples."""
    nodes = {}
    for r in query(driver, "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"):
        key = _key(r["labels"], r["props"])
        assert key not in nodes, f"two nodes with key {key!r}"
        nodes[key] = (tuple(sorted(r["labels"])), r["props"])
    key = "CASE WHEN {0}:Article THEN 'Article:' + {0}.pmid ELSE {0}.id END"
    rels = sorted(
        (r["a"], r["type"], r["b"], tuple(sorted((k, repr(v)) for k, v in r["props"].items())))
        for r in query(driver, f"MATCH (a)-[r]->(b) RETURN {key.format('a')} AS a, type(r) AS type, "
                               f"{key.format('b')} AS b, properties(r) AS props")
    )
    return {"nodes": nodes, "relationships": rels}


def _props(**values: Any) -> dict[str, Any]:
    """What neo4j-admin import keeps of a CSV row: empty strings and arrays vanish."""
    return {k: v for k, v in values.items() if v not in ("", [], None)}


def expected_dump(G: nx.MultiDiGraph, *, articles: bool = True) -> dict[str, Any]:
    """The dump a load of `G` into an empty database must give (the CSV model)."""
    nodes = {}
    for n, a in G.nodes(data=True):
        syn = a.get("synonyms", {})
        props = _props(id=n, type=a["type"], name=a.get("name", n), synonyms=list(syn),
                       synonym_counts=list(syn.values()), mentions=a.get("mentions", 0),
                       pmids=list(a.get("pmids", [])))
        nodes[n] = (tuple(sorted(["Entity", safe_name(a["type"])])), props)
    titles = G.graph.get("articles", {}) if articles else {}
    for pmid, title in titles.items():
        nodes["Article:" + pmid] = (("Article",), _props(pmid=pmid, title=title))
    rels = []
    for u, v, k, a in G.edges(keys=True, data=True):
        props = _props(pmids=list(a["pmids"]), count=len(a["pmids"]), source_types=list(a.get("source_types", [])))
        rels.append((u, safe_name(k).upper(), v, tuple(sorted((x, repr(y)) for x, y in props.items()))))
    for n, a in G.nodes(data=True):
        for pmid in a.get("pmids", []):
            if pmid in titles:
                rels.append(("Article:" + pmid, "MENTIONS", n, ()))
    return {"nodes": nodes, "relationships": sorted(rels)}


def counts(G: nx.MultiDiGraph) -> dict[str, Counter]:
    """Entities by label, relationships by type, articles, MENTIONS, as `G` gives them."""
    titles = G.graph.get("articles", {})
    return {
        "labels": Counter(safe_name(a["type"]) for _, a in G.nodes(data=True)),
        "relationships": Counter(safe_name(k).upper() for _, _, k in G.edges(keys=True)),
        "articles": Counter({"Article": len(titles)}),
        "mentions": Counter({"MENTIONS": sum(p in titles for _, a in G.nodes(data=True) for p in a.get("pmids", []))}),
    }


def example_params(driver, text: str) -> dict[str, Any]:
    """The ``// :param name => expression`` lines of a query file, evaluated by the
    server as the Neo4j Browser does."""
    params = {}
    for name, expression in _PARAM.findall(text):
        params[name] = query(driver, f"RETURN {expression} AS value")[0]["value"]
    return params
