"""Which reader reads which file: formats are told by content (not only by name), and
each format has one reader yielding :class:`~kg.pubtator.Document` records.

A reader is called as ``reader(stream, path=..., on_reject=..., counts=...)`` with the
file's binary stream (already gunzipped) and yields documents; it updates ``counts`` so
that the build report reconciles, and hands malformed records to ``on_reject``.

==================  =========================================  ==========================
format              told by (first 4 KB, gunzipped)            reader
==================  =========================================  ==========================
``pubtator``        a ``PMID|t|``/``PMID|a|`` line, or          :func:`~kg.pubtator.parse_pubtator`
                    annotation/relation lines
``bioc-xml``        ``<`` first, root ``<collection>``          :func:`~kg.bioc.parse_bioc_xml`
                    (or ``<document>``)
``bioc-json``       ``{"`` or ``[{`` first                       :func:`~kg.bioc.parse_bioc_json`
``bulk-concepts``   a ``PMID`` header with a Mentions column,   :func:`~kg.bulk.parse_bulk_concepts`
                    or ``PMID\tType\tID\tMentions[\tResource]``
``bulk-relations``  ``PMID\ttype\tType|ID\tType|ID``            :func:`~kg.bulk.parse_bulk_relations`
==================  =========================================  ==========================
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from .bioc import parse_bioc_json, parse_bioc_xml
from .bulk import CONCEPT_TYPES, parse_bulk_concepts, parse_bulk_relations
from .pubtator import Document, open_lines, parse_pubtator

__all__ = ["READERS", "sniff_format"]

Reader = Callable[..., Iterator[Document]]

#: format name -> reader; formats not listed here are skipped with a reason in the report.
READERS: dict[str, Reader] = {
    "pubtator": parse_pubtator,
    "bioc-xml": parse_bioc_xml,
    "bioc-json": parse_bioc_json,
    "bulk-concepts": parse_bulk_concepts,
    "bulk-relations": parse_bulk_relations,
}

_SKIP_NAMES = ("readme", "license", "licence", "copying", "notice", "sources")
_XML_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_TYPED_ID = re.compile(r"[A-Za-z][A-Za-z_]*\|\S")
_DATA_LINES = 20  # lines of the head looked at to tell bulk files from PubTator text


def _sniff_xml(text: str) -> tuple[str, str]:
    body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", "", text, flags=re.S)
    m = _XML_ROOT.search(body)
    if m is None:
        return "bioc-xml", "XML (root element not in the first 4 KB; read as BioC)"
    root = m.group(1)
    if root in ("collection", "document"):
        return "bioc-xml", "BioC XML"
    return "xml", f"XML whose root element is <{root}>, not a BioC <collection>"


def _line_kind(cols: list[str]) -> str:
    """What one tab-separated data line looks like: offsets, concepts, relations, other or ''."""
    n = len(cols)
    pmid = cols[0].strip()
    if not pmid or " " in pmid:
        return ""
    second = cols[1].strip() if n > 1 else ""
    if second.isdigit():
        return "offsets" if n >= 5 else "other"
    if n in (4, 5) and _TYPED_ID.match(cols[2].strip()) and _TYPED_ID.match(cols[3].strip()) \
            and cols[2].split("|", 1)[0].lower() in CONCEPT_TYPES and cols[3].split("|", 1)[0].lower() in CONCEPT_TYPES:
        return "relations"
    if n in (4, 5) and second.lower() in CONCEPT_TYPES and (n == 5 or "|" in cols[3] or not cols[3].strip()):
        return "concepts"
    return "other" if n >= 3 else ""


def sniff_format(path: str | os.PathLike) -> tuple[str, str]:
    """Tell the format of a file from its first meaningful lines: ``(format, why)``.

    Formats are keys of :data:`READERS`; anything else is a file kg does not read, with
    the reason.
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
        low = text[:200].lower()
        if "<html" in low or "<!doctype html" in low:
            return "html", "HTML, not BioC XML"
        return _sniff_xml(text)
    if text.startswith(("{", "[")):
        rest = text[1:].lstrip(" \t\r\n")
        if text[0] == "{" and rest[:1] in ('"', "}", ""):
            return "bioc-json", "BioC JSON (collection, document or PubTator3 export)"
        if text[0] == "[" and rest[:1] in ("{", "[", "]", ""):
            return "bioc-json", "BioC JSON (list of documents)"
        return "unknown", "starts like JSON but is not a JSON object or array of objects"
    kinds: Counter = Counter()
    lines = text.splitlines()
    if len(head) == 4096 and len(lines) > 1:
        lines.pop()  # maybe cut
    for line in lines:
        line = line.strip("\ufeff\r")
        if not line.strip() or line.startswith("#"):
            continue
        bar = line.find("|")
        if 0 < bar and line[bar + 1 : bar + 3] in ("t|", "a|") and "\t" not in line[:bar]:
            return "pubtator", "PubTator text"
        cols = line.split("\t")
        if not kinds and cols[0].strip().lower() == "pmid":
            head_cols = [c.strip().lower() for c in cols]
            if "mentions" in head_cols:
                return "bulk-concepts", "PubTator bulk concept file (header line)"
            if len(cols) == 4:
                return "bulk-relations", "PubTator bulk relation file (header line)"
            return "unknown", f"a header line {line[:80]!r} of no known bulk layout"
        kind = _line_kind(cols)
        if not kind and not kinds:
            break  # the first data line is not tab-separated PubTator-like: not ours
        if kind == "offsets":
            return "pubtator", "PubTator text (annotations only)"
        kinds[kind or "other"] += 1
        if sum(kinds.values()) >= _DATA_LINES:
            break
    # Bulk files are uniform; a stray malformed line does not make them PubTator text.
    other = kinds["other"]
    if kinds["concepts"] > other and not kinds["relations"]:
        return "bulk-concepts", "PubTator bulk concept file (PMID, Type, ConceptID, Mentions, Resource)"
    if kinds["relations"] > other and not kinds["concepts"]:
        return "bulk-relations", "PubTator bulk relation file (PMID, type, Type|ID, Type|ID)"
    if kinds and not name.startswith(_SKIP_NAMES):
        return "pubtator", "PubTator text (annotations only)"
    return "unknown", "not PubTator text"
