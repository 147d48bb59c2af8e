"""Streaming readers of BioC XML and BioC JSON (corpora, PubTator3 API exports).

Both readers yield one :class:`~kg.pubtator.Document` per BioC ``document`` and hold one
document in memory at a time: the XML reader feeds an ``XMLPullParser`` in 64 KB chunks
and clears each document (and the collection element) once read; the JSON reader walks
the top-level structure by hand and decodes one document at a time with
``json.JSONDecoder.raw_decode`` from a bounded buffer. A 10 GB file costs the memory of
its largest document, not of the file.

Layouts read::

    <collection><document><id/><infon/><passage><infon key="type"/><offset/><text/>
        <sentence/>* <annotation/>* <relation/>*</passage>* <annotation/>* <relation/>*
    </document>*</collection>                                          (BioC XML)
    {"source": …, "documents": [document, …]}                          (BioC JSON collection)
    {"PubTator3": [document, …]}                                       (PubTator3 API biocjson)
    document | [document, …] | one document per line                   (API exports, NDJSON)

How a BioC document becomes a :class:`~kg.pubtator.Document`:

- **pmid**: the document's ``pmid`` key (PubTator3 JSON), else a ``pmid`` or
  ``article-id_pmid`` infon of the document or of its first passage (PubTator3 full
  texts, whose ``id`` is the PMC id), else the part of ``_id`` before ``|``, else ``id``.
- **title**: the text of the first passage whose ``type`` infon is ``title``/``front``
  (or ``section_type`` ``TITLE``); the first passage when no passage has a type.
  **abstract**: the other passages in order, each placed at its offset relative to the
  end of the title (``len(title) + 1``, as in PubTator text), gaps filled with spaces,
  so that the document-global BioC offsets of annotations stay comparable with the
  text. Out-of-order passages or gaps over 10,000 characters are joined with one space.
- **annotations** (from documents, passages and sentences): type from the ``type``
  infon; identifier from the ``identifier`` infon or, failing that, ``Identifier``,
  ``NCBI Gene``, ``MESH``, ``CHEBI``, ``OMIM``, ``NCBI Taxonomy``…; span from the
  smallest location offset to the largest offset + length; no location gives a
  document-level annotation (start = end = -1).
- **relations** (document, passage or sentence level): type from the ``type`` infon;
  the two ids from the infons ``entity1``/``entity2`` (BioRED: identifiers) or
  ``role1``/``role2`` (PubTator3: ``Type|ID`` strings in XML, objects with ``type`` and
  ``identifier`` in JSON, both passed on as the typed id ``Type|ID``), any case; failing
  those, from two ``node`` elements whose ``refid`` names annotations of the document.
  ``novel`` from a ``novel`` (or ``novelty``) infon.

Counting (the build report reconciles as for PubTator text): BioC has no meaningful
lines (BioRED's XML is one line), so ``counts.lines`` counts *records*: each passage is
one ``text`` record, each annotation one ``annotations`` record, each relation one
``relations`` record, each malformed one (or a syntax error that ends the file) one
``rejected`` record. ``lineno`` of records and rejections is the record's ordinal number
in the file; the reason of a syntax error gives the real line and column.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from .pubtator import Annotation, Document, LineCounts, OnReject, Rejected, Relation, raise_rejected, open_lines

__all__ = ["parse_bioc_xml", "parse_bioc_json", "read_bioc_xml", "read_bioc_json"]

CHUNK = 1 << 18  # JSON: characters read at a time (the buffer holds about this much)
XML_CHUNK = 1 << 16  # XML: bytes fed to the parser at a time (its events for them are held at once)
_MAX_GAP = 10_000  # widest gap between passages filled with spaces
_MAX_DOCUMENT = 1 << 30  # characters; a JSON value larger than this is not a document
_SLACK = 64  # a JSON syntax error this close to the end of the buffer may be a cut value

_TITLE_TYPES = frozenset({"title", "front"})
#: infon keys that hold an annotation's identifier, in order of preference, with the
#: prefix a bare value gets (as written by PubTator, tmVar, GNormPlus, tmChem, DNorm).
#: Infon keys (compared case-insensitively: BioCreative VI writes ``NCBI GENE``) that hold
#: an annotation's identifier, with the prefix a bare value gains.
_ID_KEYS = (
    ("identifier", ""), ("ncbi gene", ""), ("ncbi_gene", ""), ("ncbigene", ""), ("gene", ""),
    ("mesh", "MESH:"), ("chebi", "CHEBI:"), ("omim", "OMIM:"),
    ("ncbi taxonomy", ""), ("ncbi_taxonomy", ""), ("taxonomy", ""),
)
#: Infon key pairs naming a relation's two entities (lower case): BioRED, PubTator3,
#: BioCreative VI PPI (``Gene1``/``Gene2``), BioCreative V CDR (``Chemical``/``Disease``).
_ENTITY_KEYS = (("entity1", "entity2"), ("role1", "role2"), ("arg1", "arg2"), ("gene1", "gene2"),
                ("chemical", "disease"))
#: Infon keys holding a relation's type (lower case); BioCreative writes ``relation``.
_RELATION_TYPE_KEYS = ("type", "relation_type", "relation type", "relation")


def _chunks(source: BinaryIO | Iterable[bytes | str] | bytes | str, size: int) -> Iterator[bytes | str]:
    """The content of `source` in pieces of `size` (a file) or as given (never a whole line)."""
    if isinstance(source, (bytes, str)):
        yield source
        return
    read = getattr(source, "read", None)
    if read is not None:
        while True:
            chunk = read(size)
            if not chunk:
                return
            yield chunk
    else:
        yield from source


def _str(value: Any) -> str:
    """An infon value as text: JSON infons may be numbers, null or lists."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return ",".join(_str(v) for v in value)
    return str(value)


def _snippet(obj: Any) -> str:
    if isinstance(obj, str):
        return obj if len(obj) <= 300 else obj[:297] + "..."
    try:
        text = json.dumps(obj, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(obj)
    return text if len(text) <= 300 else text[:297] + "..."


# --- one BioC document (a dict in the BioC JSON shape) → Document ------------------------


class _Converter:
    """Turns BioC documents in the JSON shape into Documents, counting every record."""

    __slots__ = ("path", "reject", "c")

    def __init__(self, path: str, reject: OnReject, counts: LineCounts) -> None:
        self.path = path
        self.reject = reject
        self.c = counts

    def _rejected(self, reason: str, obj: Any) -> None:
        c = self.c
        c.lines += 1
        c.rejected += 1
        self.reject(Rejected(self.path, c.lines, reason, _snippet(obj)))

    def top(self, value: Any, where: str) -> Iterator[Document]:
        """The documents in one JSON value: a document, a collection, a wrapper or a list."""
        if isinstance(value, dict):
            if "passages" in value or ("id" in value and not ({"documents", "PubTator3"} & value.keys())):
                doc = self.document(value)
                if doc is not None:
                    yield doc
                return
            for key in ("documents", "PubTator3"):
                if key in value:
                    yield from self.top(value[key], f"{where}.{key}")
                    return
            if not value:
                return
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from self.top(item, f"{where}[{i}]")
            return
        self._rejected(f"{where}: a JSON {type(value).__name__} that is not a BioC document or collection", value)

    def document(self, d: dict) -> Document | None:
        c = self.c
        passages = d.get("passages") or []
        if not isinstance(passages, list) or not all(isinstance(p, dict) for p in passages):
            self._rejected(f"document {_str(d.get('id'))!r}: 'passages' is not a list of objects", d)
            return None
        pmid = _pmid(d, passages)
        if not pmid or any(ch.isspace() for ch in pmid):
            self._rejected(f"document without a usable id ({pmid!r})", {k: d.get(k) for k in ("id", "_id", "pmid")})
            return None
        doc = Document(pmid, self.path, c.lines + 1)

        # Passages: one text record each; sentences stand in for a passage's text.
        texts: list[tuple[int | None, str]] = []  # (offset, text)
        annotations: list[dict] = []
        relations: list[dict] = []
        typed = False
        title_at = None
        for i, p in enumerate(passages):
            c.lines += 1
            c.text += 1
            infons = p.get("infons") or {}
            ptype = _str(infons.get("type")).lower() if isinstance(infons, dict) else ""
            section = _str(infons.get("section_type")).lower() if isinstance(infons, dict) else ""
            if ptype or section:
                typed = True
            if title_at is None and (ptype in _TITLE_TYPES or section == "title"):
                title_at = i
            offset = _int(p.get("offset"))
            text = p.get("text")
            sentences = p.get("sentences") or []
            if not isinstance(sentences, list):
                sentences = []
            if not isinstance(text, str) or (not text and sentences):
                text = _join_sentences(offset or 0, sentences)
            texts.append((offset, text))
            annotations.extend(_records(p.get("annotations")))
            relations.extend(_records(p.get("relations")))
            for s in sentences:
                if isinstance(s, dict):
                    annotations.extend(_records(s.get("annotations")))
                    relations.extend(_records(s.get("relations")))
        annotations.extend(_records(d.get("annotations")))
        relations.extend(_records(d.get("relations")))
        if title_at is None and texts and not typed:
            title_at = 0
        if title_at is not None:
            t_offset, doc.title = texts[title_at]
            base = (t_offset or 0) + len(doc.title) + 1
        else:
            base = 0
        rest = [ot for i, ot in enumerate(texts) if i != title_at]
        if rest:
            doc.abstract = _place(rest, base)

        by_id: dict[str, tuple[str, str]] = {}
        for a in annotations:
            ann = self.annotation(pmid, a)
            if ann is not None:
                doc.annotations.append(ann)
                aid = a.get("id")
                if aid is not None:
                    by_id[_str(aid)] = (ann.type, ann.identifier)
        for r in relations:
            rel = self.relation(pmid, r, by_id)
            if rel is not None:
                doc.relations.append(rel)
        return doc

    def annotation(self, pmid: str, a: dict) -> Annotation | None:
        c = self.c
        infons = a.get("infons") or {}
        if not isinstance(infons, dict):
            self._rejected(f"document {pmid}: annotation infons are not an object", a)
            return None
        locations = a.get("locations")
        if locations is None:
            locations = a.get("location") or []
        if isinstance(locations, dict):
            locations = [locations]
        start = end = -1
        try:
            for loc in locations:
                o, n = int(loc["offset"]), int(loc["length"])
                if o < 0 or n < 0:
                    raise ValueError(f"negative offset or length {o}/{n}")
                start = o if start < 0 else min(start, o)
                end = max(end, o + n)
        except (KeyError, TypeError, ValueError) as err:
            self._rejected(f"document {pmid}: annotation {_str(a.get('id'))!r} has a bad location ({err})", a)
            return None
        text = a.get("text")
        c.lines += 1
        c.annotations += 1
        low = {str(k).lower(): v for k, v in infons.items()}
        ident = _identifier(low)
        name = _str(low.get("name"))
        if name and name in (ident, ident.rpartition(":")[2], ident.removeprefix("CVCL_")):
            name = ""  # PubTator3 "names" species and cell lines by their number: no name
        return Annotation(pmid, start, end, text if isinstance(text, str) else _str(text),
                          _str(low.get("type")), ident, c.lines, name=name)

    def relation(self, pmid: str, r: dict, by_id: dict[str, tuple[str, str]]) -> Relation | None:
        infons = r.get("infons") or {}
        if not isinstance(infons, dict):
            self._rejected(f"document {pmid}: relation infons are not an object", r)
            return None
        low = {str(k).lower(): v for k, v in infons.items()}
        rtype = next((_str(low[k]) for k in _RELATION_TYPE_KEYS if _str(low.get(k))), "")
        if not rtype:
            self._rejected(f"document {pmid}: relation {_str(r.get('id'))!r} without a type infon", r)
            return None
        ids = None
        for k1, k2 in _ENTITY_KEYS:
            if k1 in low and k2 in low:
                ids = (_entity(low[k1]), _entity(low[k2]))
                break
        if ids is None:
            nodes = r.get("nodes") or []
            refs = [by_id.get(_str(n.get("refid"))) for n in nodes if isinstance(n, dict)]
            if len(refs) == 2 and all(refs):
                ids = (refs[0][1], refs[1][1])
            else:
                self._rejected(f"document {pmid}: relation {_str(r.get('id'))!r} names no entities "
                               "(no entity1/entity2 or role1/role2 infons, nor two nodes naming annotations)", r)
                return None
        c = self.c
        c.lines += 1
        c.relations += 1
        note = low.get("novel") or low.get("novelty") or low.get("score")  # see kg.normalize.relation_note
        return Relation(pmid, rtype, ids[0], ids[1], c.lines, _str(note))


def _records(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pmid(d: dict, passages: list[dict]) -> str:
    pmid = _str(d.get("pmid"))
    if pmid:
        return pmid
    for infons in (d.get("infons"), passages[0].get("infons") if passages else None):
        if isinstance(infons, dict):
            for key in ("pmid", "article-id_pmid"):
                pmid = _str(infons.get(key))
                if pmid:
                    return pmid
    uid = _str(d.get("_id"))
    if uid:
        return uid.partition("|")[0].strip()
    return _str(d.get("id"))


def _identifier(infons: dict) -> str:
    """The identifier in an annotation's infons (keys lower-cased by the caller)."""
    for key, prefix in _ID_KEYS:
        value = infons.get(key)
        if value is not None:
            ident = _str(value)
            if prefix and ident and ":" not in ident:
                ident = prefix + ident
            return ident
    return ""


def _entity(value: Any) -> str:
    """A relation's entity infon: an id, a ``Type|ID`` string or a PubTator3 role object."""
    if isinstance(value, dict):
        etype = _str(value.get("type"))
        ident = _str(value.get("identifier"))
        return f"{etype}|{ident}" if etype else ident
    return _str(value)


def _join_sentences(offset: int, sentences: list) -> str:
    parts = [(_int(s.get("offset")), s.get("text") if isinstance(s.get("text"), str) else "")
             for s in sentences if isinstance(s, dict)]
    return _place(parts, offset)


def _place(parts: list[tuple[int | None, str]], base: int) -> str:
    """Join texts so that each starts at its offset minus `base` where it can."""
    out: list[str] = []
    length = 0
    for offset, text in parts:
        if length:
            gap = (offset - base - length) if offset is not None else -1
            sep = " " * gap if 0 < gap <= _MAX_GAP else ("" if gap == 0 else " ")
            out.append(sep)
            length += len(sep)
        elif offset is not None and 0 < offset - base <= _MAX_GAP:
            out.append(" " * (offset - base))
            length += offset - base
        out.append(text)
        length += len(text)
    return "".join(out)


# --- BioC XML ----------------------------------------------------------------------------


def _xml_infons(elem: ET.Element, into: dict) -> None:
    into[elem.get("key", "")] = elem.text or ""


def _xml_annotation(elem: ET.Element) -> dict:
    infons: dict[str, str] = {}
    locations = []
    text = ""
    for child in elem:
        tag = child.tag
        if tag == "infon":
            infons[child.get("key", "")] = child.text or ""
        elif tag == "location":
            locations.append({"offset": child.get("offset"), "length": child.get("length")})
        elif tag == "text":
            text = child.text or ""
    return {"id": elem.get("id"), "infons": infons, "locations": locations, "text": text}


def _xml_relation(elem: ET.Element) -> dict:
    infons: dict[str, str] = {}
    nodes = []
    for child in elem:
        if child.tag == "infon":
            infons[child.get("key", "")] = child.text or ""
        elif child.tag == "node":
            nodes.append({"refid": child.get("refid"), "role": child.get("role")})
    return {"id": elem.get("id"), "infons": infons, "nodes": nodes}


def _xml_passage(elem: ET.Element) -> dict:
    p: dict[str, Any] = {"infons": {}, "annotations": [], "relations": [], "sentences": []}
    for child in elem:
        tag = child.tag
        if tag == "annotation":
            p["annotations"].append(_xml_annotation(child))
        elif tag == "infon":
            p["infons"][child.get("key", "")] = child.text or ""
        elif tag == "text":
            p["text"] = child.text or ""
        elif tag == "offset":
            p["offset"] = child.text
        elif tag == "relation":
            p["relations"].append(_xml_relation(child))
        elif tag == "sentence":
            p["sentences"].append(_xml_passage(child))
    return p


def _xml_document(elem: ET.Element) -> dict:
    d: dict[str, Any] = {"id": "", "infons": {}, "passages": [], "annotations": [], "relations": []}
    for child in elem:
        tag = child.tag
        if tag == "passage":
            d["passages"].append(_xml_passage(child))
        elif tag == "id":
            d["id"] = child.text or ""
        elif tag == "infon":
            d["infons"][child.get("key", "")] = child.text or ""
        elif tag == "annotation":
            d["annotations"].append(_xml_annotation(child))
        elif tag == "relation":
            d["relations"].append(_xml_relation(child))
    return d


def parse_bioc_xml(
    source: BinaryIO | Iterable[bytes | str] | bytes | str,
    *,
    path: str = "<xml>",
    on_reject: OnReject | None = None,
    counts: LineCounts | None = None,
) -> Iterator[Document]:
    """Yield the documents of a BioC XML collection, one at a time.

    Parameters
    ----------
    source : binary file, bytes, str or iterable of bytes/str pieces
        Read in 64 KB chunks: a file that is one long line is never read whole.
    path : str
        Name used in errors and reports.
    on_reject : callable, optional
        Called with a :class:`~kg.pubtator.Rejected` for each malformed record and for a
        syntax error (which ends the file: the documents before it are kept). By default
        the first one raises :class:`~kg.errors.ParseError` (strict).
    counts : LineCounts, optional
        Updated in place; ``lines`` counts records (see the module docstring).

    Notes
    -----
    Each ``<document>`` element is cleared and detached once converted, so memory holds
    one document at a time. External DTDs (``BioC.dtd``) are not fetched.

    Examples
    --------
    >>> xml = ('<collection><document><id>1</id><passage><infon key="type">title</infon>'
    ...        '<offset>0</offset><text>Aspirin and pain</text><annotation id="a">'
    ...        '<infon key="type">Chemical</infon><infon key="identifier">MESH:D001241</infon>'
    ...        '<location offset="0" length="7"/><text>Aspirin</text></annotation></passage>'
    ...        '</document></collection>')
    >>> doc = next(parse_bioc_xml(xml))
    >>> doc.pmid, doc.title, doc.annotations[0][1:6]
    ('1', 'Aspirin and pain', (0, 7, 'Aspirin', 'Chemical', 'MESH:D001241'))
    """
    reject = on_reject or raise_rejected
    c = counts if counts is not None else LineCounts()
    conv = _Converter(path, reject, c)
    parser = ET.XMLPullParser(events=("start", "end"))
    root: ET.Element | None = None
    done = False
    chunks = _chunks(source, XML_CHUNK)
    while not done:
        try:
            chunk = next(chunks, None)
        except (EOFError, OSError) as err:  # a truncated or corrupt .gz
            conv._rejected(f"cannot read the file to its end ({err}); the rest of the file is not read", "")
            return
        try:
            if chunk is None:
                done = True
                parser.close()
            else:
                parser.feed(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            events = parser.read_events()
        except ET.ParseError as err:
            conv._rejected(f"XML syntax error ({err}); the rest of the file is not read", "")
            return
        for event, elem in events:
            if event == "start":
                if root is None:
                    root = elem
                    if elem.tag not in ("collection", "document"):
                        conv._rejected(f"XML root element <{elem.tag}> is not a BioC <collection>", "")
                        return
                continue
            if elem.tag == "document":
                doc = conv.document(_xml_document(elem))
                elem.clear()
                if root is not None and root is not elem:
                    root.clear()  # drop the finished documents from the collection element
                if doc is not None:
                    yield doc
    if root is None:
        conv._rejected("no XML element found", "")


def read_bioc_xml(path: str | os.PathLike, **kwargs) -> Iterator[Document]:
    """Yield the documents of one BioC XML file (plain or gzip); see :func:`parse_bioc_xml`."""
    with open_lines(path) as (fh, _):
        yield from parse_bioc_xml(fh, path=str(path), **kwargs)


# --- BioC JSON ---------------------------------------------------------------------------

_WS = re.compile(r"[ \t\r\n]*")


class _JsonSyntaxError(Exception):
    def __init__(self, msg: str, pos: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.pos = pos


class _JsonStream:
    """A text buffer over a byte stream, decoded one JSON value at a time.

    The buffer holds what is not yet decoded (about 256 KB, more only while one value is
    larger); a value cut by the end of the buffer is decoded again after reading more,
    reading at least as much again each time so the work stays linear.
    """

    def __init__(self, source: Any) -> None:
        self._chunks = _chunks(source, CHUNK)
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._json = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.dropped = 0  # characters dropped from the front of buf
        self.dropped_lines = 0  # ... and the line ends among them
        self.line_start = 0  # where the line at the front of buf starts, in characters

    def _read(self, at_least: int) -> None:
        """Append at least `at_least` characters (or up to the end) to the buffer."""
        if self.pos > CHUNK or (self.pos and self.pos * 2 > len(self.buf)):
            last = self.buf.rfind("\n", 0, self.pos)
            if last >= 0:
                self.line_start = self.dropped + last + 1
                self.dropped_lines += self.buf.count("\n", 0, self.pos)
            self.dropped += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        parts = [self.buf]
        got = 0
        while got < at_least:
            chunk = next(self._chunks, None)
            if chunk is None:
                text = self._decoder.decode(b"", final=True)
                self.eof = True
            elif isinstance(chunk, str):
                text = chunk[1:] if chunk[:1] == "\ufeff" and not self.dropped and not self.buf and not got else chunk
            else:
                text = self._decoder.decode(chunk)
            parts.append(text)
            got += len(text)
            if self.eof:
                break
        self.buf = "".join(parts)

    def where(self, pos: int) -> str:
        """Line and column of buffer position `pos` in the file."""
        line = self.dropped_lines + self.buf.count("\n", 0, pos) + 1
        last = self.buf.rfind("\n", 0, pos)
        start = self.dropped + last + 1 if last >= 0 else self.line_start
        at = self.dropped + pos
        return f"line {line}, column {at - start + 1} (character {at + 1})"

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""
            self._read(1)

    def expect(self, ch: str) -> None:
        got = self.peek()
        if got != ch:
            raise _JsonSyntaxError(f"expecting {ch!r}, found {got or 'the end of the file'!r}", self.pos)
        self.pos += 1

    def value(self) -> Any:
        """Decode the next JSON value, reading more while it is cut by the buffer's end."""
        self.peek()
        while True:
            try:
                obj, end = self._json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as err:
                if self.eof or (err.pos < len(self.buf) - _SLACK and not err.msg.startswith("Unterminated string")):
                    raise _JsonSyntaxError(err.msg, err.pos) from err
                if len(self.buf) - self.pos > _MAX_DOCUMENT:
                    raise _JsonSyntaxError(f"a value longer than {_MAX_DOCUMENT} characters", self.pos) from err
                self._read(max(CHUNK, len(self.buf) - self.pos))
                continue
            if end >= len(self.buf) - 1 and not self.eof and not isinstance(obj, (dict, list, str)):
                self._read(CHUNK)  # a number or literal at the very end may go on
                continue
            self.pos = end
            return obj


def _json_documents(js: _JsonStream, conv: _Converter) -> Iterator[Document]:
    """Walk the top-level JSON values; stream the arrays of documents element by element."""
    while True:
        ch = js.peek()
        if not ch:
            return
        if ch == "[":
            js.pos += 1
            yield from _json_array(js, conv, "$")
        elif ch == "{":
            yield from _json_object(js, conv)
        else:
            raise _JsonSyntaxError(f"expecting a JSON object or array, found {ch!r}", js.pos)


def _json_array(js: _JsonStream, conv: _Converter, where: str) -> Iterator[Document]:
    if js.peek() == "]":
        js.pos += 1
        return
    i = 0
    while True:
        yield from conv.top(js.value(), f"{where}[{i}]")
        i += 1
        ch = js.peek()
        js.pos += 1
        if ch == "]":
            return
        if ch != ",":
            js.pos -= 1
            raise _JsonSyntaxError(f"expecting ',' or ']' in an array, found {ch or 'the end of the file'!r}", js.pos)


def _json_object(js: _JsonStream, conv: _Converter) -> Iterator[Document]:
    """A top-level object: a collection or wrapper (its documents streamed) or a document."""
    js.expect("{")
    obj: dict[str, Any] = {}
    streamed = False
    if js.peek() == "}":
        js.pos += 1
    else:
        while True:
            if js.peek() != '"':
                raise _JsonSyntaxError("expecting a property name in double quotes", js.pos)
            key = js.value()
            js.expect(":")
            if key in ("documents", "PubTator3") and js.peek() == "[" and "passages" not in obj:
                js.pos += 1
                yield from _json_array(js, conv, f"$.{key}")
                streamed = True
            else:
                obj[key] = js.value()
            ch = js.peek()
            js.pos += 1
            if ch == "}":
                break
            if ch != ",":
                js.pos -= 1
                raise _JsonSyntaxError(f"expecting ',' or '}}' in an object, found {ch or 'the end of the file'!r}",
                                       js.pos)
    if not streamed:
        yield from conv.top(obj, "$")


def parse_bioc_json(
    source: BinaryIO | Iterable[bytes | str] | bytes | str,
    *,
    path: str = "<json>",
    on_reject: OnReject | None = None,
    counts: LineCounts | None = None,
) -> Iterator[Document]:
    """Yield the documents of BioC JSON: a collection, PubTator3's ``{"PubTator3": [...]}``,
    one document, a list of documents, or several of these one after the other (NDJSON).

    Parameters are those of :func:`parse_bioc_xml`. Whitespace (CRLF included) and a BOM
    are allowed anywhere JSON allows whitespace.

    Notes
    -----
    The arrays ``documents``/``PubTator3`` are read element by element; any other value
    (a bare document, the collection's ``source``/``date``) is decoded whole. A syntax
    error ends the file with one rejected record naming line and column; the documents
    decoded before it are kept.

    Examples
    --------
    >>> text = ('{"PubTator3": [{"id": "7", "passages": [{"offset": 0, "text": "BRAF", '
    ...         '"infons": {"type": "title"}, "annotations": [{"id": "1", "text": "BRAF", '
    ...         '"infons": {"type": "Gene", "identifier": "673"}, '
    ...         '"locations": [{"offset": 0, "length": 4}]}]}], "relations": []}]}')
    >>> [(d.pmid, d.title, d.annotations[0].identifier) for d in parse_bioc_json(text)]
    [('7', 'BRAF', '673')]
    """
    reject = on_reject or raise_rejected
    c = counts if counts is not None else LineCounts()
    conv = _Converter(path, reject, c)
    js = _JsonStream(source)
    try:
        yield from _json_documents(js, conv)
    except _JsonSyntaxError as err:
        conv._rejected(f"invalid JSON at {js.where(err.pos)}: {err.msg}; the rest of the file is not read",
                       js.buf[err.pos : err.pos + 80])
    except UnicodeDecodeError as err:
        conv._rejected(f"undecodable bytes ({err.reason}) after character {js.dropped + len(js.buf)}; "
                       "the rest of the file is not read", "")
    except (EOFError, OSError) as err:  # a truncated or corrupt .gz
        conv._rejected(f"cannot read the file to its end ({err}); the rest of the file is not read", "")


def read_bioc_json(path: str | os.PathLike, **kwargs) -> Iterator[Document]:
    """Yield the documents of one BioC JSON file (plain or gzip); see :func:`parse_bioc_json`."""
    with open_lines(path) as (fh, _):
        yield from parse_bioc_json(fh, path=str(path), **kwargs)
