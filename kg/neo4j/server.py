"""The server side of a load: which Neo4j it is, connecting, and one-line error causes."""

from __future__ import annotations

import re

from ..errors import Neo4jLoadError

__all__ = ["MIN_SERVER_VERSION", "DYNAMIC_LABELS_VERSION", "DEFAULT_PASSWORD", "parse_server_version",
           "check_server_version", "supports_dynamic_labels", "agent_version", "connect", "cause", "one_line"]

#: The oldest Neo4j the loader accepts: ``FOR … REQUIRE`` constraints, ``IF NOT EXISTS``,
#: ``db.awaitIndexes`` and Bolt 5 (what driver 6 and the notification filter need).
MIN_SERVER_VERSION = (5, 0)

#: The first Neo4j whose Cypher takes labels and relationship types as values
#: (``SET n:$(expr)``, ``MERGE (a)-[r:$(expr)]->(b)``): one query text serves every
#: label, so a load plans a dozen texts instead of two or three per label and type.
DYNAMIC_LABELS_VERSION = (5, 26)

#: The password `scripts/neo4j` gives the local server unless NEO4J_PASSWORD says otherwise.
DEFAULT_PASSWORD = "kgpassword"

_VERSION = re.compile(r"(?:Neo4j/)?(\d+(?:\.\d+)*)")


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
    kg.errors.Neo4jLoadError: cannot load into Neo4j at bolt://old:7687: the server is Neo4j 4.4.30; kg needs ...

    Notes
    -----
    Neo4j 4 cannot be run in kg's test environment; this function is tested on
    version strings, and :func:`load_graph` calls it with what the server reports.
    """
    parsed = parse_server_version(version)
    if parsed is not None and parsed < MIN_SERVER_VERSION:
        need = ".".join(map(str, MIN_SERVER_VERSION))
        raise Neo4jLoadError(f"cannot load into Neo4j at {uri}: the server is Neo4j {version}; kg needs Neo4j "
                         f"{need} or later (FOR ... REQUIRE constraints, Bolt 5)")
    return parsed


def supports_dynamic_labels(version: tuple[int, ...] | None) -> bool:
    """Does a server of `version` (from :func:`parse_server_version`) take labels and
    types as values? An unknown version gets the per-label texts, which every Neo4j 5 runs.

    >>> [supports_dynamic_labels(v) for v in [(5, 26, 30), (2025, 10, 1), (5, 25, 1), None]]
    [True, True, False, False]
    """
    return version is not None and version >= DYNAMIC_LABELS_VERSION


def agent_version(message: str) -> str | None:
    """The version in a driver message naming the server agent (``'Neo4j/4.4.30'``)."""
    match = re.search(r"Neo4j/(\d[0-9A-Za-z.\-]*)", message)
    return match.group(1) if match else None


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cause(err: BaseException, database: str, user: str) -> str:
    from neo4j import exceptions as nx4j

    if isinstance(err, nx4j.AuthError):
        return f"authentication failed for user {user!r} (wrong user name or password): {one_line(err.message)}"
    if isinstance(err, nx4j.ServiceUnavailable):
        return f"no Neo4j server answers: {one_line(str(err))}"
    if isinstance(err, nx4j.Neo4jError):
        code = err.code or type(err).__name__
        if code.endswith("DatabaseNotFound"):
            return f"database {database!r} does not exist ({one_line(err.message or '')})"
        return f"{code}: {one_line(err.message or str(err))}"
    if isinstance(err, nx4j.UnsupportedServerProduct):
        return f"the server speaks no Bolt version this driver knows (kg needs Neo4j 5 or later): {one_line(str(err))}"
    if isinstance(err, nx4j.ConfigurationError):
        return f"invalid URI or driver configuration: {one_line(str(err))}"
    return f"{type(err).__name__}: {one_line(str(err))}"


def connect(uri: str, auth: tuple[str, str]):
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
        check_server_version(agent_version(str(err)) or "unknown", uri)
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
