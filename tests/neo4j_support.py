"""Helpers and fixtures for the tests that need a real Neo4j server.

The tests use a server of their own, never the one the CLI's ``NEO4J_*`` variables name
(a user's Neo4j Desktop listens on 7687): ``KG_TEST_NEO4J_URI`` (default
``bolt://127.0.0.1:17687``), ``KG_TEST_NEO4J_USER`` / ``KG_TEST_NEO4J_PASSWORD``
(defaults ``neo4j`` / ``kgpassword``) and ``KG_TEST_NEO4J_DATABASE`` (``neo4j``).
``scripts/test`` starts that server (``scripts/neo4j`` with home ``<repo>/.neo4j-test``
on Bolt 17687 / HTTP 17474) and, right after the start, writes the marker node
``(:KgTestServer)`` into it (``python tests/neo4j_support.py mark``). When no server
answers the tests skip, unless ``KG_REQUIRE_NEO4J=1`` (CI), where they fail.

The fixtures wipe the database, and refuse to (the test fails with the reason) unless
it carries the marker: a test run pointed at a real database by mistake changes nothing.
The marker node survives the wipes and is left out of :func:`dump` and :func:`db_totals`.

A test module imports the fixtures it uses by name (``from neo4j_support import
neo4j_driver, empty_db``).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from conftest import CORPORA, skip_or_fail
from kg.io import NEO4J_OPTIONAL_COLUMNS
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
    "kg_command",
    "db_totals",
    "dump_totals",
    "drop_schema",
    "port_open",
    "Neo4jInstance",
    "MARKER",
    "mark_test_server",
    "cli_env",
]

# The test server (never the NEO4J_* variables: those are the CLI's, for real databases)
NEO4J_URI = os.environ.get("KG_TEST_NEO4J_URI", "bolt://127.0.0.1:17687")
NEO4J_AUTH = (os.environ.get("KG_TEST_NEO4J_USER", "neo4j"), os.environ.get("KG_TEST_NEO4J_PASSWORD", "kgpassword"))
NEO4J_DATABASE = os.environ.get("KG_TEST_NEO4J_DATABASE", "neo4j")
REPO = Path(__file__).resolve().parents[1]
MARKER = "KgTestServer"  # label of the node scripts/test writes into the server it started

_PARAM = re.compile(r"^//\s*:param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=>\s*(.+?)\s*$", re.M)


def require_server(reason: str) -> None:
    """Skip with `reason`, or fail when ``KG_REQUIRE_NEO4J=1``."""
    skip_or_fail("KG_REQUIRE_NEO4J", reason)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a ``kg`` subprocess: the test server's credentials in the CLI's
    ``NEO4J_*`` variables (whatever the user's shell set them to), colours off."""
    return {**os.environ, "NEO4J_URI": NEO4J_URI, "NEO4J_USER": NEO4J_AUTH[0], "NEO4J_PASSWORD": NEO4J_AUTH[1],
            "NEO4J_DATABASE": NEO4J_DATABASE, "NO_COLOR": "1", **extra}


def mark_test_server(driver, database: str = NEO4J_DATABASE) -> None:
    """Write the marker node that lets the fixtures wipe this server's database. Only for
    a server made for the tests (scripts/test, :class:`Neo4jInstance`)."""
    driver.execute_query(f"MERGE (:{MARKER} {{created_by: 'kg tests'}})", database_=database)


def _check_marker(driver) -> None:
    """Fail unless the database carries the marker: never wipe a database we did not make."""
    found = driver.execute_query(f"MATCH (m:{MARKER}) RETURN count(m) AS n", database_=NEO4J_DATABASE).records[0]["n"]
    if not found:
        pytest.fail(f"refusing to wipe database '{NEO4J_DATABASE}' at {NEO4J_URI}: it has no (:{MARKER}) marker "
                    "node, so it is not a server that scripts/test started for the tests. Point KG_TEST_NEO4J_URI "
                    "at a test server (scripts/test starts one on bolt://127.0.0.1:17687).", pytrace=False)


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
    """Delete every node and relationship but the marker, in batches (the test server only)."""
    _check_marker(driver)
    while True:
        records = driver.execute_query(
            f"MATCH (n) WHERE NOT n:{MARKER} WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted",
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
    for r in query(driver, f"MATCH (n) WHERE NOT n:{MARKER} RETURN labels(n) AS labels, properties(n) AS props"):
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
                       pmids=list(a.get("pmids", [])),
                       **{k: list(v) if isinstance(v, (list, tuple)) else v
                          for k in NEO4J_OPTIONAL_COLUMNS if (v := a.get(k))})
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


# -- additions for tests/test_neo4j_faults.py ---------------------------------------------


def kg_command() -> list[str]:
    """The installed ``kg`` console script, else ``python -m kg``."""
    exe = shutil.which("kg")
    return [exe] if exe else [sys.executable, "-m", "kg"]


def db_totals(driver) -> dict[str, int]:
    """Counts of the whole database: nodes, relationships, labels, properties (every
    key of every node and relationship) and PMIDs (sum of the sizes of all ``pmids``)."""
    nodes = query(driver, f"MATCH (n) WHERE NOT n:{MARKER} RETURN count(n) AS nodes, sum(size(labels(n))) AS labels, "
                          "sum(size(keys(n))) AS props, sum(size(coalesce(n.pmids, []))) AS pmids")[0]
    rels = query(driver, "MATCH ()-[r]->() RETURN count(r) AS rels, sum(size(keys(r))) AS props, "
                         "sum(size(coalesce(r.pmids, []))) AS pmids")[0]
    return {"nodes": nodes["nodes"], "relationships": rels["rels"], "labels": nodes["labels"] or 0,
            "properties": (nodes["props"] or 0) + (rels["props"] or 0),
            "pmids": (nodes["pmids"] or 0) + (rels["pmids"] or 0)}


def dump_totals(snapshot: dict[str, Any]) -> dict[str, int]:
    """:func:`db_totals` computed from a :func:`dump` or :func:`expected_dump`."""
    nodes = snapshot["nodes"].values()
    rels = snapshot["relationships"]
    return {"nodes": len(nodes), "relationships": len(rels), "labels": sum(len(labels) for labels, _ in nodes),
            "properties": sum(len(props) for _, props in nodes) + sum(len(props) for *_, props in rels),
            "pmids": sum(len(props.get("pmids", [])) for _, props in nodes)
            + sum(len(ast.literal_eval(dict(props).get("pmids", "[]"))) for *_, props in rels)}


def drop_schema(driver) -> None:
    """Drop every constraint and index but the built-in token lookups (the next load
    creates them again, racing with any other load that starts at the same time)."""
    _check_marker(driver)
    for r in query(driver, "SHOW CONSTRAINTS YIELD name"):
        query(driver, f"DROP CONSTRAINT `{r['name']}` IF EXISTS")
    for r in query(driver, "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'"):
        query(driver, f"DROP INDEX `{r['name']}` IF EXISTS")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Neo4jInstance:
    """A Neo4j server of its own (``scripts/neo4j`` with a temporary ``KG_NEO4J_HOME``
    and other ports), for tests that kill the server. Never the shared test server.

    The jars are linked from ``<repo>/.neo4j/lib`` or the test server's ``lib`` when one
    is installed (no second 140 MB copy); otherwise the script assembles them. Use as a context manager: the
    server is stopped on the way out, whatever happened.
    """

    def __init__(self, home: Path, bolt_port: int, http_port: int, *, heap: str = "512m",
                 pagecache: str = "256m", mark: bool = True) -> None:
        self.home = Path(home)
        self.mark = mark
        self.bolt_port = bolt_port
        self.http_port = http_port
        self.uri = f"bolt://127.0.0.1:{bolt_port}"
        self.script = REPO / "scripts" / "neo4j"
        self.env = {**cli_env(), "KG_NEO4J_HOME": str(self.home), "KG_NEO4J_BOLT_PORT": str(bolt_port),
                    "KG_NEO4J_HTTP_PORT": str(http_port), "KG_NEO4J_HEAP": heap, "KG_NEO4J_PAGECACHE": pagecache,
                    "NEO4J_PASSWORD": NEO4J_AUTH[1]}
        self.seconds: dict[str, list[float]] = {"start": []}

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """``scripts/neo4j ARGS...`` on this server's home and ports."""
        return subprocess.run(["bash", str(self.script), *args], capture_output=True, text=True,
                              timeout=timeout, env=self.env)

    def start(self) -> None:
        import time

        if not self.script.exists():
            require_server(f"{self.script} is missing")
        self.home.mkdir(parents=True, exist_ok=True)
        test_home = Path(os.environ.get("KG_TEST_NEO4J_HOME") or REPO / ".neo4j-test")
        for shared_lib in (REPO / ".neo4j" / "lib", test_home / "lib"):
            if (shared_lib / ".kg-install-stamp").exists() and not (self.home / "lib").exists():
                (self.home / "lib").symlink_to(shared_lib.resolve(), target_is_directory=True)
        t0 = time.monotonic()
        proc = self.run("start", timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"could not start a separate Neo4j in {self.home}: {proc.stderr[-3000:]}", pytrace=False)
        self.seconds["start"].append(time.monotonic() - t0)
        if self.mark:
            with self.driver() as driver:
                mark_test_server(driver)

    def pid(self) -> int:
        return int((self.home / "run" / "neo4j.pid").read_text().strip())

    def kill(self) -> int:
        """SIGKILL the server's JVM (no shutdown, no checkpoint); return its pid."""
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        self.run("stop", timeout=300)

    def driver(self):
        from neo4j import GraphDatabase

        return GraphDatabase.driver(self.uri, auth=NEO4J_AUTH, connection_timeout=5,
                                    notifications_min_severity="OFF")

    def __enter__(self) -> "Neo4jInstance":
        for port in (self.bolt_port, self.http_port):
            if port_open(port):
                pytest.fail(f"port {port} is taken; this test starts a Neo4j of its own there (ports: the "
                            "KG_TEST_*_BOLT_PORT / KG_TEST_*_HTTP_PORT variables of tests/test_neo4j*.py)",
                            pytrace=False)
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


if __name__ == "__main__":  # scripts/test: `python tests/neo4j_support.py mark`
    from neo4j import GraphDatabase

    if sys.argv[1:] != ["mark"]:
        sys.exit("usage: python tests/neo4j_support.py mark  (marks the server at KG_TEST_NEO4J_URI as a test server)")
    with GraphDatabase.driver(NEO4J_URI, auth=NEO4J_AUTH) as marked:
        mark_test_server(marked)
    print(f"marked {NEO4J_URI} (database {NEO4J_DATABASE}) as a test server")
