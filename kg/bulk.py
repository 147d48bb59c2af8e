"""Readers of NCBI's bulk PubTator files: concept files and relation files.

Layouts read (tab-separated, one record a line, plain or gzip, LF or CRLF)::

    PMID  Type  ConceptID  Mentions  Resource     bioconcepts2pubtator3, {type}2pubtator3,
                                                  bioconcepts2pubtatorcentral
    PMID  ConceptID  Mentions  Resource           PubTator 1 {type}2pubtator, with a header
                                                  line (disease2pubtator: PMID MeshID …)
    PMID  type  Type|ID  Type|ID                  relation2pubtator3

Concept lines become document-level annotations (no offsets: ``start = end = -1``) whose
``text`` is the ``|``-separated mention list (each form counts as one mention in the
graph); relation lines become relations whose ids are typed (``Gene|3569``) and so resolve
without annotations. Consecutive lines of one PMID make one
:class:`~kg.pubtator.Document`; a PMID that comes back later gives another document,
which the graph builder merges. A concept file and a relation file for the same PMIDs
build one graph. The ``.offset`` dumps are PubTator text and read by
:func:`kg.pubtator.parse_pubtator`.

Counting is by line, as for PubTator text: a header line counts as ``comment``, each
concept line as ``annotations``, each relation line as ``relations``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator

from .normalize import ENTITY_TYPES
from .pubtator import Annotation, Document, LineCounts, OnReject, Rejected, Relation, raise_rejected, text_lines, open_lines

__all__ = [
    "parse_bulk_concepts",
    "parse_bulk_relations",
    "read_bulk_concepts",
    "read_bulk_relations",
    "concept_type_from_name",
]

#: The entity type of a PubTator 1 per-concept file, from its name.
_FILE_TYPES = {
    "disease": "Disease", "gene": "Gene", "chemical": "Chemical", "species": "Species",
    "mutation": "Variant", "variant": "Variant", "cellline": "CellLine",
}
_FILE_TYPE = re.compile(r"(disease|gene|chemical|species|mutation|variant|cellline)2pubtator", re.I)
#: The entity type of a PubTator 1 concept column, from the header (MeshID is Disease or
#: Chemical: only the file name tells).
_HEADER_TYPES = {
    "ncbi_gene": "Gene", "ncbigene": "Gene", "geneid": "Gene", "gene": "Gene",
    "taxid": "Species", "tax_id": "Species", "ncbi_taxonomy": "Species", "species": "Species",
    "components": "Variant", "mutation": "Variant", "tmvar": "Variant",
    "cellosaurus": "CellLine", "cellline": "CellLine",
}
#: Words accepted in the Type column of a headerless concept file.
CONCEPT_TYPES = frozenset(t.lower() for t in ENTITY_TYPES) | {"chromosome", "genus", "strain", "cellline"}


def concept_type_from_name(name: str) -> str | None:
    """The entity type a bulk file's name gives (``disease2pubtator`` → ``Disease``).

    >>> concept_type_from_name("gene2pubtator.gz"), concept_type_from_name("notes.txt")
    ('Gene', None)
    """
    m = _FILE_TYPE.search(os.path.basename(name))
    return _FILE_TYPES[m.group(1).lower()] if m else None


def _tsv(lines: Iterable[str | bytes], path: str, reject: OnReject, c: LineCounts,
         encoding: str) -> Iterator[tuple[int, str, list[str]]]:
    """Decoded data lines as ``(lineno, line, columns)``; blank and ``#`` lines counted here."""
    lineno = 0
    bad: dict[int, str] = {}  # line number -> why its bytes could not be decoded
    try:
        for line in text_lines(lines, encoding, bad):
            lineno += 1
            c.lines += 1
            if bad and lineno in bad:
                c.rejected += 1
                reject(Rejected(path, lineno, bad.pop(lineno), line.rstrip("\r\n")))
                continue
            line = line.rstrip("\r\n")
            if line and line[0] == "\ufeff":
                line = line.lstrip("\ufeff")
            if not line or line.isspace():
                c.blank += 1
                continue
            if line[0] == "#":
                c.comment += 1
                continue
            yield lineno, line, line.split("\t")
    except (EOFError, OSError) as err:  # a truncated or corrupt .gz: keep what was read
        c.lines += 1
        c.rejected += 1
        reject(Rejected(path, lineno + 1, f"cannot read the file past line {lineno} ({err})", ""))


def parse_bulk_concepts(
    lines: Iterable[str | bytes],
    *,
    path: str = "<lines>",
    on_reject: OnReject | None = None,
    counts: LineCounts | None = None,
    encoding: str = "utf-8",
    entity_type: str | None = None,
) -> Iterator[Document]:
    """Yield one document per run of concept lines with the same PMID.

    Parameters
    ----------
    lines : iterable of str or bytes
        ``PMID\\tType\\tConceptID\\tMentions\\tResource`` lines, or the PubTator 1 layout
        ``PMID\\tConceptID\\tMentions\\tResource`` after a header line.
    path : str
        Name used in errors and reports; a name like ``disease2pubtator`` also gives the
        entity type of a PubTator 1 file.
    on_reject, counts, encoding
        As for :func:`kg.pubtator.parse_pubtator`.
    entity_type : str, optional
        The type of every concept of a file without a Type column, when neither its name
        nor its header tells it.

    Notes
    -----
    Tolerated: a header line (``PMID\\t…``, counted as a comment), CRLF, a BOM, trailing
    tabs and spaces, missing Mentions or Resource columns, empty or ``-`` concept ids
    (they reach the report as mentions without an identifier), duplicated mention
    forms, columns after Resource (ignored). Rejected with a reason: fewer than 3 (2 in
    the PubTator 1 layout) columns, an empty PMID or type, a number in the Type column
    (an offset line of PubTator text), and every line of a file without a Type column
    whose type cannot be told (a ``MeshID`` column in a file not named
    ``disease2pubtator``/``chemical2pubtator``).

    Examples
    --------
    >>> docs = list(parse_bulk_concepts(["PMID\\tType\\tConceptID\\tMentions\\tResource",
    ...     "10\\tGene\\t673\\tBRAF|B-raf\\tPubTator3", "10\\tDisease\\tMESH:D008545\\tmelanoma\\tMeSH"]))
    >>> [(a.type, a.identifier, a.text) for a in docs[0].annotations]
    [('Gene', '673', 'BRAF|B-raf'), ('Disease', 'MESH:D008545', 'melanoma')]
    """
    reject = on_reject or raise_rejected
    c = counts if counts is not None else LineCounts()
    typed: bool | None = None  # layout: with a Type column or not (decided by header or first line)
    fixed = entity_type or concept_type_from_name(path)
    untyped_problem = ""
    doc: Document | None = None
    for lineno, line, cols in _tsv(lines, path, reject, c, encoding):
        n = len(cols)
        pmid = cols[0].strip()
        if typed is None:
            if pmid.lower() == "pmid":  # header
                c.comment += 1
                head = [h.strip().lower() for h in cols]
                typed = n > 1 and head[1] in ("type", "concept_type", "concepttype", "bioconcept")
                if not typed and fixed is None and n > 1:
                    fixed = _HEADER_TYPES.get(head[1])
                    if fixed is None:
                        untyped_problem = (f"the entity type of column {cols[1].strip()!r} is not known: name the "
                                           "file like disease2pubtator or chemical2pubtator")
                continue
            typed = n > 1 and cols[1].strip().lower() in CONCEPT_TYPES or fixed is None
        if not pmid or " " in pmid:
            c.rejected += 1
            reject(Rejected(path, lineno, "concept line without a PMID", line))
            continue
        if typed:
            if n < 3:
                c.rejected += 1
                reject(Rejected(path, lineno, f"concept line with {n} columns, needs PMID, Type and ConceptID", line))
                continue
            etype = cols[1].strip()
            if not etype or etype.isdigit() or ":" in etype:
                c.rejected += 1
                reject(Rejected(path, lineno, "empty type" if not etype else
                                f"number {etype!r} in the Type column (PubTator text with offsets?)"
                                if etype.isdigit() else f"{etype!r} in the Type column is an id, not a type "
                                "(a file without a Type column: name it like disease2pubtator)", line))
                continue
            ident = cols[2].strip()
            mentions = cols[3].strip() if n > 3 else ""
        else:
            if untyped_problem:
                c.rejected += 1
                reject(Rejected(path, lineno, untyped_problem, line))
                continue
            if n < 2:
                c.rejected += 1
                reject(Rejected(path, lineno, f"concept line with {n} columns, needs PMID and ConceptID", line))
                continue
            etype = fixed or ""
            ident = cols[1].strip()
            mentions = cols[2].strip() if n > 2 else ""
        if doc is None or pmid != doc.pmid:
            if doc is not None:
                yield doc
            doc = Document(pmid, path, lineno)
        doc.annotations.append(Annotation(pmid, -1, -1, mentions, etype, ident, lineno))
        c.annotations += 1
    if doc is not None:
        yield doc


def parse_bulk_relations(
    lines: Iterable[str | bytes],
    *,
    path: str = "<lines>",
    on_reject: OnReject | None = None,
    counts: LineCounts | None = None,
    encoding: str = "utf-8",
) -> Iterator[Document]:
    """Yield one document of relations per run of lines with the same PMID.

    ``PMID\\ttype\\tType|ID\\tType|ID`` (relation2pubtator3); the typed ids name their
    entities without annotations, so the relations reach the graph alone or beside a
    concept file of the same PMIDs.

    Notes
    -----
    Tolerated: a header line, CRLF, a BOM, trailing whitespace, a 5th column
    (``Novel``/``No`` is kept as novelty, anything else ignored). An id without its
    ``Type|`` is kept as written and resolved against annotations of the same PMID in
    the same file, failing which the builder reports it unresolved. Rejected: fewer
    than 4 columns, an empty PMID or relation type.

    Examples
    --------
    >>> (doc,) = parse_bulk_relations(["33333140\\tassociate\\tDisease|MESH:D017566\\tGene|3569"])
    >>> doc.relations[0][:4]
    ('33333140', 'associate', 'Disease|MESH:D017566', 'Gene|3569')
    """
    reject = on_reject or raise_rejected
    c = counts if counts is not None else LineCounts()
    doc: Document | None = None
    first = True
    for lineno, line, cols in _tsv(lines, path, reject, c, encoding):
        n = len(cols)
        pmid = cols[0].strip()
        if first:
            first = False
            if pmid.lower() == "pmid":
                c.comment += 1
                continue
        if n < 4:
            c.rejected += 1
            reject(Rejected(path, lineno, f"relation line with {n} columns, needs 4", line))
            continue
        rtype = cols[1].strip()
        if not pmid or " " in pmid or not rtype:
            c.rejected += 1
            reject(Rejected(path, lineno, "relation line without a PMID" if not pmid or " " in pmid
                            else "relation line with an empty type", line))
            continue
        novel = cols[4].strip() if n > 4 else ""
        if novel not in ("Novel", "No"):
            novel = ""
        if doc is None or pmid != doc.pmid:
            if doc is not None:
                yield doc
            doc = Document(pmid, path, lineno)
        doc.relations.append(Relation(pmid, rtype, cols[2].strip(), cols[3].strip(), lineno, novel))
        c.relations += 1
    if doc is not None:
        yield doc


def read_bulk_concepts(path: str | os.PathLike, **kwargs) -> Iterator[Document]:
    """Yield the documents of one concept file (plain or gzip); see :func:`parse_bulk_concepts`."""
    with open_lines(path) as (fh, _):
        yield from parse_bulk_concepts(fh, path=str(path), **kwargs)


def read_bulk_relations(path: str | os.PathLike, **kwargs) -> Iterator[Document]:
    """Yield the documents of one relation file (plain or gzip); see :func:`parse_bulk_relations`."""
    with open_lines(path) as (fh, _):
        yield from parse_bulk_relations(fh, path=str(path), **kwargs)
