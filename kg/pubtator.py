"""Streaming reader (and writer) of PubTator text.

One document at a time, one line at a time: memory stays with the current document,
never with the file. Every line ends in a record, counts as blank/comment, or is handed
to ``on_reject`` with file, line and reason; nothing is dropped silently.

Layout read (PubTator3, BioRED, BC5CDR, NCBI-disease, tmVar, GNormPlus, PubTator Central)::

    PMID|t|title
    PMID|a|abstract
    PMID<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>identifier[<TAB>extra...]
    PMID<TAB>type<TAB>identifier                       (document-level annotation)
    PMID<TAB>relation<TAB>id1<TAB>id2[<TAB>Novel|No]
"""

from __future__ import annotations

import gzip
from contextlib import contextmanager
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

from .errors import InputError, ParseError
from .normalize import ENTITY_TYPES, canonical_relation, type_column_problem

__all__ = [
    "Annotation",
    "Relation",
    "Document",
    "LineCounts",
    "Rejected",
    "parse_pubtator",
    "read_pubtator",
    "iter_input_files",
    "open_lines",
    "format_pubtator",
    "raise_rejected",
    "text_lines",
    "offset_problem",
    "DOC_LEVEL_TYPES",
]

# Entity types a document-level annotation (`PMID\ttype\tid`) may carry (those of
# kg.normalize, one table); anything else in that position is read as a relation type.
DOC_LEVEL_TYPES = frozenset(ENTITY_TYPES)


class Annotation(NamedTuple):
    """One entity mention. ``start``/``end`` are -1 for a document-level annotation."""

    pmid: str
    start: int
    end: int
    text: str
    type: str
    identifier: str
    lineno: int
    parts: str = ""  # the 7th column: BC5CDR's sub-mentions of a composite id (`|`-joined), tmVar's `RSID:n`
    name: str = ""  # the entity's own name where the source gives one (PubTator3 BioC `name` infon)


class Relation(NamedTuple):
    """One relation line; ``novel`` is BioRED's 5th column (``Novel``/``No``) or ``""``."""

    pmid: str
    type: str
    id1: str
    id2: str
    lineno: int
    novel: str = ""


class Rejected(NamedTuple):
    """A line that did not become a record, and why."""

    path: str
    lineno: int
    reason: str
    line: str


@dataclass(slots=True)
class Document:
    """One PubTator document. ``title``/``abstract`` are ``None`` when the file has no such line."""

    pmid: str
    path: str
    lineno: int
    title: str | None = None
    abstract: str | None = None
    annotations: list[Annotation] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)


@dataclass(slots=True)
class LineCounts:
    """What every line read became; ``records + blank + comment + rejected == lines``."""

    lines: int = 0
    blank: int = 0
    comment: int = 0
    text: int = 0
    annotations: int = 0
    relations: int = 0
    rejected: int = 0

    @property
    def records(self) -> int:
        return self.text + self.annotations + self.relations

    def add(self, other: LineCounts) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


OnReject = Callable[[Rejected], None]


def raise_rejected(rejected: Rejected) -> None:
    raise ParseError(rejected.reason, rejected.path, rejected.lineno, rejected.line)


def offset_problem(second: str) -> str | None:
    """Why a line whose second column is not an ASCII-digit offset, yet digits to
    ``str.isdigit``, is rejected (``-5``; ``²``, ``٠``): offsets are ASCII digits. The
    native reader asks this function (it has no Unicode tables).

    >>> offset_problem("-5"), offset_problem("٠"), offset_problem("Disease")
    ('negative offset -5', "offset '٠' is not ASCII digits", None)
    """
    if second.lstrip("-").isdigit():
        return f"negative offset {second}" if second.isascii() else f"offset {second!r} is not ASCII digits"
    return None


def parse_pubtator(
    lines: Iterable[str | bytes],
    *,
    path: str = "<lines>",
    on_reject: OnReject | None = None,
    counts: LineCounts | None = None,
    encoding: str = "utf-8",
) -> Iterator[Document]:
    """Yield the documents in PubTator `lines`, one at a time.

    Parameters
    ----------
    lines : iterable of str or bytes
        Lines with or without their line ends (LF, CRLF); bytes are decoded per line so
        that one undecodable line is rejected alone.
    path : str
        Name used in errors and reports.
    on_reject : callable, optional
        Called with a :class:`Rejected` for each malformed line. By default the first
        one raises :class:`~kg.errors.ParseError` (strict).
    counts : LineCounts, optional
        Updated in place with what each line became.

    Examples
    --------
    >>> doc = next(parse_pubtator(["1|t|Aspirin and pain", "1\\t0\\t7\\tAspirin\\tChemical\\tD001241"]))
    >>> doc.title, doc.annotations[0].identifier
    ('Aspirin and pain', 'D001241')
    """
    reject = on_reject or raise_rejected
    c = counts if counts is not None else LineCounts()
    bad: dict[int, str] = {}  # line number -> why its bytes could not be decoded
    n_lines = n_blank = n_comment = n_text = n_ann = n_rel = n_rej = 0

    def sync() -> None:  # counters live in locals on the hot path; publish them at each yield
        nonlocal n_lines, n_blank, n_comment, n_text, n_ann, n_rel, n_rej
        c.lines += n_lines
        c.blank += n_blank
        c.comment += n_comment
        c.text += n_text
        c.annotations += n_ann
        c.relations += n_rel
        c.rejected += n_rej
        n_lines = n_blank = n_comment = n_text = n_ann = n_rel = n_rej = 0

    doc: Document | None = None
    lineno = 0
    type_problems: dict[str, str | None] = {}
    for line in text_lines(lines, encoding, bad):
        lineno += 1
        n_lines += 1
        if bad and lineno in bad:
            n_rej += 1
            reject(Rejected(path, lineno, bad.pop(lineno), line.rstrip("\r\n")))
            continue
        line = line.rstrip("\r\n")
        if line and line[0] == "\ufeff":
            line = line.lstrip("\ufeff")
        if not line or line.isspace():
            n_blank += 1
            if doc is not None:
                sync()
                yield doc
                doc = None
            continue
        if line[0] == "#":
            n_comment += 1
            continue

        # Title / abstract: `PMID|t|text`. Checked before the tab split: text may hold tabs.
        bar = line.find("|")
        if 0 < bar and line[bar + 2 : bar + 3] == "|" and line[bar + 1] in "ta" and "\t" not in line[:bar]:
            pmid = line[:bar].strip()
            if not pmid:
                n_rej += 1
                reject(Rejected(path, lineno, "title or abstract line without a PMID", line))
                continue
            kind = line[bar + 1]
            text = line[bar + 3 :]
            if line[bar - 1] == " " and text[:1] == " ":  # `PMID |t| title`: spaced separators
                text = text[1:]
            if doc is not None and (pmid != doc.pmid or (doc.title if kind == "t" else doc.abstract) is not None):
                # A new document starts without a blank line before it.
                sync()
                yield doc
                doc = None
            if doc is None:
                doc = Document(pmid, path, lineno)
            if kind == "t":
                doc.title = text
            else:
                doc.abstract = text
            n_text += 1
            continue

        cols = line.split("\t")
        pmid = cols[0].strip()
        n = len(cols)
        if n < 3 or not pmid or " " in pmid:
            n_rej += 1
            reject(Rejected(path, lineno, f"not a PubTator line ({n} tab-separated columns)", line))
            continue
        if doc is not None and pmid != doc.pmid:
            if doc.title is not None or doc.abstract is not None:
                n_rej += 1
                reject(Rejected(path, lineno, f"PMID {pmid} inside the block of document {doc.pmid}", line))
                continue
            # annotation-only blocks may follow each other without a blank line
            n_lines -= 1  # this line belongs to the next document's counts
            sync()
            n_lines = 1
            yield doc
            doc = None
        if doc is None:
            doc = Document(pmid, path, lineno)

        second = cols[1].strip()
        if second.isdigit() and second.isascii():  # offset annotation (is_ascii_digits, inlined: hot path)
            if n < 5:
                n_rej += 1
                reject(Rejected(path, lineno, f"annotation with {n} columns, needs at least 5", line))
                continue
            end_s = cols[2].strip()
            if not (end_s.isdigit() and end_s.isascii()):
                n_rej += 1
                reject(Rejected(path, lineno, f"non-numeric end offset {cols[2]!r}", line))
                continue
            try:
                start, end = int(second), int(end_s)
            except ValueError:  # digits int() refuses (superscripts, over the digit limit)
                n_rej += 1
                reject(Rejected(path, lineno, "offset is not a usable number", line))
                continue
            if end < start:
                n_rej += 1
                reject(Rejected(path, lineno, f"end offset {end} before start {start}", line))
                continue
            problem = type_problems.get(cols[4], False)
            if problem is False:  # each distinct type column is checked once
                problem = type_problems[cols[4]] = type_column_problem(cols[4])
            if problem is not None:
                n_rej += 1
                reject(Rejected(path, lineno, problem, line))
                continue
            doc.annotations.append(
                Annotation(pmid, start, end, cols[3], cols[4].strip(), cols[5].strip() if n > 5 else "",
                           lineno, cols[6].strip() if n > 6 else "")
            )
            n_ann += 1
            continue
        why = offset_problem(second)
        if why:
            n_rej += 1
            reject(Rejected(path, lineno, why, line))
            continue

        if n == 3 and " " in second and canonical_relation(second.partition(" ")[0])[1]:
            # A relation line with a space for a tab: `PMID\tAssociation Osteoporosis\tMAPK1`
            # (only when the first word is a known relation type: `Translation 7488T/C` is not).
            rel_type, _, first_id = second.partition(" ")
            cols = [pmid, rel_type, first_id, cols[2]]
            second, n = rel_type, 4
        if second in DOC_LEVEL_TYPES and n <= 5:
            doc.annotations.append(
                Annotation(pmid, -1, -1, cols[3] if n > 3 else "", second, cols[2].strip(), lineno)
            )
            n_ann += 1
            continue
        if n < 4:
            n_rej += 1
            reject(Rejected(path, lineno, f"relation with {n} columns, needs 4", line))
            continue
        if n > 5:  # a relation has at most 5 columns: an annotation whose start offset is no number
            n_rej += 1
            reject(Rejected(path, lineno, f"annotation with a non-numeric start offset {cols[1]!r}", line))
            continue
        if not second:
            n_rej += 1
            reject(Rejected(path, lineno, "relation with an empty type", line))
            continue
        doc.relations.append(
            Relation(pmid, second, cols[2].strip(), cols[3].strip(), lineno, cols[4].strip() if n > 4 else "")
        )
        n_rel += 1
    sync()
    if doc is not None:
        yield doc


_BLOCK = 1 << 20


def text_lines(source: Iterable[str | bytes], encoding: str, bad: dict[int, str]) -> Iterator[str]:
    """Lines of `source` as text. A binary stream is decoded a megabyte at a time (much
    faster than line by line); a block that fails is decoded line by line, and each line
    that still fails is yielded replaced and its number put in `bad` with the reason."""
    lineno = 0
    if hasattr(source, "read"):
        read = getattr(source, "read1", source.read)  # read1: a truncated gzip still gives what precedes the cut
        blocks = iter(lambda: read(_BLOCK), b"")
        tail = b""
        for block in blocks:
            if tail:
                block = tail + block
            cut = block.rfind(b"\n")
            if cut < 0:
                tail = block
                continue
            tail = block[cut + 1 :]
            try:
                lines = block[:cut].decode(encoding).split("\n")
            except UnicodeDecodeError:
                for raw in block[:cut].split(b"\n"):
                    lineno += 1
                    yield _decode(raw, encoding, lineno, bad)
                continue
            lineno += len(lines)
            yield from lines
        if tail:
            yield _decode(tail, encoding, lineno + 1, bad)
        return
    for raw in source:
        lineno += 1
        yield _decode(raw, encoding, lineno, bad) if isinstance(raw, bytes) else raw


def _decode(raw: bytes, encoding: str, lineno: int, bad: dict[int, str]) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        bad[lineno] = f"undecodable bytes ({err.reason} at byte {err.start})"
        return raw.decode(encoding, "replace")


# --- files ------------------------------------------------------------------------------

def iter_input_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Yield the files under `paths` (folders recursively, sorted, hidden files left out).

    Raises :class:`~kg.errors.InputError` for a path that does not exist.
    """
    seen: set[Path] = set()
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(
                f for f in path.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(path).parts)
            )
        else:
            found = [path]
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                yield f


@contextmanager
def open_lines(path: str | os.PathLike) -> Iterator[tuple[BinaryIO, Callable[[], int]]]:
    """Open `path` for reading lines as bytes, gunzipping when its content is gzip.

    Yields the stream and a function giving the bytes consumed of the file on disk
    (compressed bytes for gzip), for progress reports.
    """
    with open(path, "rb", buffering=1 << 20) as raw:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield gz, raw.tell
        else:
            yield raw, raw.tell


def read_pubtator(path: str | os.PathLike, **kwargs) -> Iterator[Document]:
    """Yield the documents of one PubTator file (plain or gzip); see :func:`parse_pubtator`."""
    with open_lines(path) as (fh, _):
        yield from parse_pubtator(fh, path=str(path), **kwargs)


# --- writing (for tests, fixtures and round trips) ---------------------------------------


def format_pubtator(doc: Document) -> str:
    """Write one document back as PubTator text, ending in a blank line."""
    out = []
    if doc.title is not None:
        out.append(f"{doc.pmid}|t|{doc.title}")
    if doc.abstract is not None:
        out.append(f"{doc.pmid}|a|{doc.abstract}")
    for a in doc.annotations:
        if a.start < 0:
            out.append(f"{a.pmid}\t{a.type}\t{a.identifier}")
        else:
            extra = f"\t{a.parts}" if a.parts else ""
            out.append(f"{a.pmid}\t{a.start}\t{a.end}\t{a.text}\t{a.type}\t{a.identifier}{extra}")
    for r in doc.relations:
        novel = f"\t{r.novel}" if r.novel else ""
        out.append(f"{r.pmid}\t{r.type}\t{r.id1}\t{r.id2}{novel}")
    return "\n".join(out) + "\n\n"
