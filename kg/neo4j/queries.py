"""The Cypher of the loader: ``kg/cypher/*.cypher`` loaded by name, labels and types validated."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..errors import Neo4jError
from ..normalize import safe_name

__all__ = ["CYPHER_DIR", "VALID_NAME", "DYNAMIC", "load_query", "schema_statements", "cypher_name", "query_text"]

#: Folder of the ``.cypher`` files shipped with kg (``cypher/`` at the repository root).
CYPHER_DIR = Path(__file__).parent.parent / "cypher"

#: What a label or relationship type written into a query text must look like.
VALID_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_QUERY_FILE = re.compile(r"[a-z][a-z0-9_]*")


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
    if not VALID_NAME.fullmatch(name):  # pragma: no cover - safe_name guarantees it
        raise Neo4jError(f"refusing to use {text!r} as a Neo4j label or relationship type")
    return name


#: What a placeholder becomes when the server takes labels and types as values: a
#: field of the row (``label`` of an entity row, ``type`` of a relationship row).
DYNAMIC = {"`{label}`": "$(row.label)", "`{type}`": "$(row.type)"}


def query_text(name: str, *, label: str | None = None, rel_type: str | None = None, dynamic: bool = False) -> str:
    """A load query without comments, its placeholder (`` `{label}` `` / `` `{type}` ``) filled in.

    With ``dynamic`` (Neo4j 5.26 and later) the placeholder becomes a value
    (:data:`DYNAMIC`) and one text serves every label; otherwise `label` / `rel_type`,
    checked against :data:`VALID_NAME`, is written into the text, backticked.

    >>> query_text("load_merge_relationships", rel_type="CID").count("[r:`CID`]")
    1
    >>> query_text("load_create_relationships", dynamic=True).count("[r:$(row.type)]")
    1
    """
    text = _strip_comments(load_query(name))
    for placeholder, value in (("`{label}`", label), ("`{type}`", rel_type)):
        if placeholder not in text:
            continue
        if dynamic:
            text = text.replace(placeholder, DYNAMIC[placeholder])
            continue
        if value is None or not VALID_NAME.fullmatch(value):
            raise Neo4jError(f"refusing to use {value!r} as a Neo4j label or relationship type")
        text = text.replace(placeholder, f"`{value}`")
    return text
