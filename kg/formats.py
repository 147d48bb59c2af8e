"""Which reader reads which file: formats are told by content (not only by name), and
each format has one reader yielding :class:`~kg.pubtator.Document` records.

A reader is called as ``reader(stream, path=..., on_reject=..., counts=...)`` with the
file's binary stream (already gunzipped) and yields documents; it updates ``counts`` so
that the build report reconciles, and hands malformed records to ``on_reject``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from .pubtator import Document, open_lines, parse_pubtator

__all__ = ["READERS", "sniff_format"]

Reader = Callable[..., Iterator[Document]]

#: format name -> reader; formats not listed here are skipped with a reason in the report.
READERS: dict[str, Reader] = {
    "pubtator": parse_pubtator,
}

_SKIP_NAMES = ("readme", "license", "licence", "copying", "notice", "sources")


def sniff_format(path: str | os.PathLike) -> tuple[str, str]:
    """Tell the format of a file from its first meaningful line: ``(format, why)``.

    Formats are keys of :data:`READERS`; anything else is a file kg does not read (yet),
    with the reason.
    """
    name = Path(path).name.lower()
    try:
        with open_lines(path) as (fh, _):
            head = fh.read(4096)
    except (OSError, EOFError) as err:
        return "unreadable", f"cannot read: {err}"
    if not head.strip():
        return "empty", "empty file"
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "bioc-xml", "XML (BioC XML is not read by this version)"
    if text.startswith(("{", "[")):
        return "bioc-json", "JSON (BioC JSON is not read by this version)"
    for line in text.splitlines():
        line = line.strip("\ufeff\r")
        if not line.strip() or line.startswith("#"):
            continue
        bar = line.find("|")
        if 0 < bar and line[bar + 1 : bar + 3] in ("t|", "a|") and "\t" not in line[:bar]:
            return "pubtator", "PubTator text"
        cols = line.split("\t")
        if cols[0] in ("PMID", "pmid"):
            return "bulk-concepts", "PubTator bulk concept file (not read by this version)"
        if len(cols) >= 4 and cols[0].strip() and " " not in cols[0].strip():
            if name.startswith(_SKIP_NAMES):
                break
            return "pubtator", "PubTator text (annotations only)"
        break
    return "unknown", "not PubTator text"


