"""Load a kg graph into Neo4j 5 (``kg.neo4j.load_graph``): idempotent and incremental.

The package: :mod:`~kg.neo4j.queries` (the ``kg/cypher/*.cypher`` files, labels and
types validated), :mod:`~kg.neo4j.merge` (the merge rules, pure functions),
:mod:`~kg.neo4j.server` (version check, connection, one-line causes) and
:mod:`~kg.neo4j.load` (rows, transaction functions, :func:`load_graph`). The database
model, the merge rules, their limits and the behaviour under faults and concurrent
loads are described in docs/neo4j.md.
"""

import logging

from .load import RACE_RETRIES, LoadSummary, load_graph
from .merge import NAME_KEYS, merge_entity, merge_relationship, merge_title
from .queries import CYPHER_DIR, cypher_name, load_query, schema_statements
from .server import (DEFAULT_PASSWORD, DYNAMIC_LABELS_VERSION, MIN_SERVER_VERSION, check_server_version,
                     parse_server_version)

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
    "DYNAMIC_LABELS_VERSION",
    "parse_server_version",
    "check_server_version",
    "DEFAULT_PASSWORD",
    "NAME_KEYS",
    "RACE_RETRIES",
]

# The driver logs retries and dropped connections as warnings; with no handler anywhere,
# Python's last-resort handler would print them under kg's one-line error. A NullHandler
# only stops that fallback: handlers an application configures still get the records.
_driver_log = logging.getLogger("neo4j")
if not any(isinstance(h, logging.NullHandler) for h in _driver_log.handlers):
    _driver_log.addHandler(logging.NullHandler())
