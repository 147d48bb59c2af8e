"""Entity names and cross-references from the vocabularies (NCBI, NLM, SIB, EBI).

A node's ``name`` from mentions can be an annotation's accident ("patients" for
``NCBITaxon:9606``, "Chimeric antigen receptor" for ``NCBIGene:9970``). The vocabularies
that the identifiers come from say what each one is called. :func:`apply_names` names
a graph in place from:

- vocabulary files the user downloaded (``kg vocab fetch``), plain or gzipped, told apart
  by their published names or, failing that, by content (:func:`vocab_kind`):

  ============================  ===================================  ==============================
  file                          what kg takes                        node ids
  ============================  ===================================  ==============================
  NCBI Taxonomy ``names.dmp``   the ``scientific name`` row          ``NCBITaxon:9606``
  (or ``taxdump.tar.gz``)
  NCBI Gene ``gene_info``,      ``Symbol`` (name and ``symbol``),    ``NCBIGene:9970``
  ``Homo_sapiens.gene_info``    ``description`` (``full_name``),
                                ``dbXrefs`` HGNC/Ensembl/MIM/… →
                                ``xrefs``
  MeSH ``desc20XX.xml``,        the heading (``DescriptorName``,     ``MESH:D008180``,
  ``supp20XX.xml``,             ``SupplementalRecordName``,          ``MESH:C000657245``
  ``d20XX.bin``, ``c20XX.bin``  ``MH``, ``NM``)
  Cellosaurus                   ``ID`` of each ``AC`` (and ``AS``)   ``CVCL_0062``
  ``cellosaurus.txt``
  ChEBI ``compounds.tsv``       the ChEBI name                       ``CHEBI:17345``
  ============================  ===================================  ==============================

- PubTator3's own ``name`` infons, set by the reader with ``name_source = "pubtator3"``
  (they win: kg keeps them);
- a built-in table of frequent species (``kg/data/species.tsv``, NCBI Taxonomy), used
  when no vocabulary file names the taxon, so human is never "patients".

Every reader streams and keeps only the ids asked for (the graph's node ids and their
``xrefs``): memory follows the graph, not the file (``gene_info`` is over 1 GB). A
malformed line is reported with file, line and reason and does not stop the run.

Notes
-----
Gene ``Synonyms`` are not stored: ``synonyms`` holds the graph's own mention forms with
their counts, and ``xrefs`` holds identifiers. ChEBI's ``names.tsv`` holds synonyms, not
the ChEBI name, so it is listed as skipped; ``compounds.tsv`` names ChEBI ids.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import socket
import tarfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

import networkx as nx

from .errors import KgError, ParseError
from .normalize import entity_ids
from .pubtator import iter_input_files, open_lines

__all__ = [
    "NAME_SOURCES",
    "VocabKind",
    "Term",
    "NamesReport",
    "VocabError",
    "apply_names",
    "builtin_species",
    "vocab_kind",
    "read_vocab",
    "parse_names_dmp",
    "parse_gene_info",
    "parse_mesh_xml",
    "parse_mesh_ascii",
    "parse_cellosaurus",
    "parse_chebi_compounds",
    "Download",
    "DOWNLOADS",
    "fetch_vocab",
]

#: Where a node's ``name`` came from, strongest first.
NAME_SOURCES = ("pubtator3", "vocabulary", "builtin", "mentions")

#: The built-in species table (shipped in the wheel as package data).
SPECIES_TABLE = Path(__file__).with_name("data") / "species.tsv"

#: How many malformed lines a report lists (the rest are counted).
MAX_ISSUES = 1000


class VocabKind(str, Enum):
    """The vocabularies kg reads (also the choices of ``kg vocab fetch --only``)."""

    taxonomy = "taxonomy"
    gene = "gene"
    mesh = "mesh"
    cellosaurus = "cellosaurus"
    chebi = "chebi"


class VocabError(KgError):
    """A vocabulary that cannot be used or fetched (one line: file or URL, and why)."""


class Term(NamedTuple):
    """What a vocabulary says about one identifier (``id`` is kg's node id)."""

    id: str
    name: str
    symbol: str | None = None
    full_name: str | None = None
    xrefs: tuple[str, ...] = ()


@dataclass
class NamesReport:
    """What :func:`apply_names` did.

    Attributes
    ----------
    files : list of dict
        Each vocabulary file read: ``path``, ``kind``, ``lines`` read and ``terms`` kept
        (ids of the graph found in it).
    skipped : list of dict
        Files of the folder that are no vocabulary kg reads (``path``, ``reason``).
    names : dict
        Nodes by type, then by ``name_source`` (after naming).
    renamed : int
        Nodes whose ``name`` changed.
    issues : list of dict
        Malformed lines (``path``, ``line``, ``reason``), the first :data:`MAX_ISSUES`.
    issues_total : int
        All malformed lines, listed or not.
    """

    files: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    names: dict[str, dict[str, int]] = field(default_factory=dict)
    renamed: int = 0
    issues: list[dict[str, Any]] = field(default_factory=list)
    issues_total: int = 0

    def issue(self, path: str, line: int, reason: str) -> None:
        self.issues_total += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append({"path": path, "line": line, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "skipped": self.skipped, "names": self.names, "renamed": self.renamed,
                "issues": self.issues, "issues_total": self.issues_total}

    def __str__(self) -> str:
        out = [f"names: {self.renamed:,} nodes renamed; by type and source:"]
        for etype, by_source in sorted(self.names.items()):
            counts = ", ".join(f"{s} {by_source[s]:,}" for s in NAME_SOURCES if by_source.get(s))
            out.append(f"  {etype}: {counts}")
        for f in self.files:
            out.append(f"  {f['path']} ({f['kind']}): {f['lines']:,} lines, {f['terms']:,} ids of the graph")
        if self.issues_total:
            out.append(f"malformed vocabulary lines: {self.issues_total:,}")
            out += [f"  {i['path']}:{i['line']}: {i['reason']}" for i in self.issues[:5]]
        return "\n".join(out)


Issue = Callable[[int, str], None]


def _raise(path: str) -> Issue:
    """The default for a malformed line: stop with :class:`~kg.errors.ParseError` (file, line)."""

    def issue(lineno: int, reason: str) -> None:
        raise ParseError(reason, path, lineno)
    return issue


# --- readers: parse_*(lines, wanted, issue) yield Terms; issue(lineno, reason) hears of a
# malformed line (by default it raises ParseError). Only wanted ids are kept (None: all).


def parse_names_dmp(lines: Iterable[str], wanted: Container[str] | None = None,
                    issue: Issue | None = None) -> Iterator[Term]:
    """Scientific names from NCBI Taxonomy ``names.dmp`` (``tax_id\\t|\\tname\\t|\\tunique\\t|\\tclass\\t|``).

    >>> list(parse_names_dmp(["9606\\t|\\tHomo sapiens\\t|\\t\\t|\\tscientific name\\t|\\n",
    ...                       "9606\\t|\\thuman\\t|\\t\\t|\\tgenbank common name\\t|\\n"]))
    [Term(id='NCBITaxon:9606', name='Homo sapiens', symbol=None, full_name=None, xrefs=())]
    """
    issue = issue or _raise("<lines>")
    for lineno, line in enumerate(lines, 1):
        if line.count("\t|") != 4:
            if line.strip():
                issue(lineno, "not a names.dmp row (4 fields, each ending in '\\t|')")
            continue
        if "\t|\tscientific name\t|" not in line:
            continue
        tax_id, name = line.split("\t|\t", 2)[:2]
        if not tax_id.isdigit() or not name:
            issue(lineno, "tax id is not a number or the name is empty")
            continue
        curie = "NCBITaxon:" + tax_id
        if wanted is None or curie in wanted:
            yield Term(curie, name)


#: ``dbXrefs`` prefixes of ``gene_info`` kept as ``xrefs`` (HGNC, Ensembl and MIM, and the
#: model-organism databases that play HGNC's part for their species).
GENE_XREFS = frozenset({"HGNC", "Ensembl", "MIM", "MGI", "RGD", "ZFIN", "FLYBASE", "SGD", "WormBase", "VGNC"})
_GENE_COLUMNS = ("tax_id", "GeneID", "Symbol", "LocusTag", "Synonyms", "dbXrefs", "chromosome",
                 "map_location", "description", "type_of_gene", "Symbol_from_nomenclature_authority",
                 "Full_name_from_nomenclature_authority")


def _gene_xref(raw: str) -> str | None:
    prefix, _, local = raw.partition(":")
    if prefix not in GENE_XREFS or not local:
        return None
    local = local.removeprefix(prefix + ":")  # gene_info writes HGNC:HGNC:7969, MGI:MGI:1346342
    ids = entity_ids(f"{prefix}:{local}", "Gene")
    return ids[0] if len(ids) == 1 else None


def parse_gene_info(lines: Iterable[str], wanted: Container[str] | None = None,
                    issue: Issue | None = None) -> Iterator[Term]:
    """Genes from NCBI ``gene_info`` (all species, or one species' file).

    The name is the ``Symbol``; ``full_name`` the ``description`` (else the nomenclature
    authority's full name); ``xrefs`` the ``dbXrefs`` of :data:`GENE_XREFS` as CURIEs. Only
    the lines of wanted genes are split in full (a million lines take seconds).

    >>> row = ("9606\\t9970\\tNR1I3\\t-\\tCAR|CAR1|MB67\\tMIM:603881|HGNC:HGNC:7969\\t1\\t1q23.3\\t"
    ...        "nuclear receptor subfamily 1 group I member 3\\tprotein-coding\\tNR1I3\\t"
    ...        "nuclear receptor subfamily 1 group I member 3\\tO\\t-\\t20240101\\t-\\n")
    >>> t = next(parse_gene_info([row]))
    >>> t.id, t.name, t.full_name, t.xrefs
    ('NCBIGene:9970', 'NR1I3', 'nuclear receptor subfamily 1 group I member 3', ('OMIM:603881', 'HGNC:7969'))
    """
    issue = issue or _raise("<lines>")
    col = {name: i for i, name in enumerate(_GENE_COLUMNS)}
    for lineno, line in enumerate(lines, 1):
        if line.startswith("#"):
            header = line.lstrip("#").rstrip("\r\n").split("\t")
            if "GeneID" in header and "Symbol" in header:
                col = {name: i for i, name in enumerate(header)}
            continue
        head = line.split("\t", 2)
        if len(head) < 3 or not head[1].isdigit() or line.count("\t") < col["description"]:
            if line.strip():
                issue(lineno, f"not a gene_info row (tab-separated, GeneID a number, at least "
                              f"{col['description'] + 1} columns)")
            continue
        curie = "NCBIGene:" + head[1]
        if wanted is not None and curie not in wanted:
            continue
        f = line.rstrip("\r\n").split("\t")
        symbol = f[col["Symbol"]]
        if not symbol or symbol == "-":
            issue(lineno, "no Symbol")
            continue
        full = f[col["description"]]
        alt = col.get("Full_name_from_nomenclature_authority")
        if full in ("", "-") and alt is not None and alt < len(f):
            full = f[alt]
        xrefs = tuple(x for x in map(_gene_xref, f[col["dbXrefs"]].split("|")) if x)
        yield Term(curie, symbol, symbol, None if full in ("", "-") else full, xrefs)


_MESH_RECORDS = {"DescriptorRecord": ("DescriptorUI", "DescriptorName/String"),
                 "SupplementalRecord": ("SupplementalRecordUI", "SupplementalRecordName/String")}


def parse_mesh_xml(lines: Iterable[bytes | str], wanted: Container[str] | None = None,
                   issue: Issue | None = None) -> Iterator[Term]:
    """Headings from MeSH XML (``desc20XX.xml`` descriptors, ``supp20XX.xml`` supplementary
    concept records), read incrementally: each record is cleared once read.

    The line fed last is the line a record ends on, which is what an issue names. Broken
    XML stops the file (what came before is kept) with the parser's line.

    >>> xml = ['<DescriptorRecordSet LanguageCode="eng">', '<DescriptorRecord DescriptorClass="1">',
    ...        '<DescriptorUI>D008180</DescriptorUI>',
    ...        '<DescriptorName><String>Lupus Erythematosus, Systemic</String></DescriptorName>',
    ...        '</DescriptorRecord>', '</DescriptorRecordSet>']
    >>> [(t.id, t.name) for t in parse_mesh_xml(xml)]
    [('MESH:D008180', 'Lupus Erythematosus, Systemic')]
    """
    issue = issue or _raise("<lines>")
    parser = ET.XMLPullParser(events=("start", "end"))
    root = None
    lineno = 0
    try:
        for lineno, line in enumerate(lines, 1):
            parser.feed(line)
            for event, elem in parser.read_events():
                if event == "start":
                    if root is None:
                        root = elem
                    continue
                paths = _MESH_RECORDS.get(elem.tag)
                if paths is None:
                    continue
                ui, name = (elem.findtext(paths[0]) or "").strip(), (elem.findtext(paths[1]) or "").strip()
                root.clear()  # drop the records read so far (the file has hundreds of thousands)
                if not ui or not name:
                    issue(lineno, f"{elem.tag} without {paths[0] if not ui else paths[1]}")
                    continue
                curie = "MESH:" + ui
                if wanted is None or curie in wanted:
                    yield Term(curie, name)
        parser.close()
    except ET.ParseError as err:
        issue(err.position[0] or lineno, f"broken XML ({err}); the rest of the file is not read")


def parse_mesh_ascii(lines: Iterable[str], wanted: Container[str] | None = None,
                     issue: Issue | None = None) -> Iterator[Term]:
    """Headings from ASCII MeSH (``d20XX.bin``: ``MH``, ``c20XX.bin``: ``NM``; ``UI`` ends a record).

    >>> recs = ["*NEWRECORD\\n", "RECTYPE = D\\n", "MH = Lupus Erythematosus, Systemic\\n",
    ...         "ENTRY = SLE|T047|EQV|NLM (1978)|771231|abbcdef|\\n", "UI = D008180\\n", "\\n"]
    >>> [(t.id, t.name) for t in parse_mesh_ascii(recs)]
    [('MESH:D008180', 'Lupus Erythematosus, Systemic')]
    """
    issue = issue or _raise("<lines>")
    name = ui = None
    start = 0

    def record() -> Iterator[Term]:
        if name and ui:
            curie = "MESH:" + ui
            if wanted is None or curie in wanted:
                yield Term(curie, name)
        elif start and (name or ui):
            issue(start, f"MeSH record without {'UI' if name else 'MH/NM heading'}")

    for lineno, line in enumerate(lines, 1):
        if line.startswith("*NEWRECORD"):
            yield from record()
            name = ui = None
            start = lineno
            continue
        key, sep, value = line.partition(" = ")
        if not sep:
            if line.strip():
                issue(lineno, "not a 'KEY = value' line of ASCII MeSH")
            continue
        if key in ("MH", "NM"):
            name = value.strip()
        elif key == "UI":
            ui = value.strip()
    yield from record()


_CELLOSAURUS_LINE = re.compile(r"[A-Z][A-Z0-9]   ")


def parse_cellosaurus(lines: Iterable[str], wanted: Container[str] | None = None,
                      issue: Issue | None = None) -> Iterator[Term]:
    """Cell line names from Cellosaurus ``cellosaurus.txt``: the ``ID`` of each ``AC`` (and
    of its secondary accessions, ``AS``, which older annotations may use).

    >>> entry = ["ID   MDA-MB-231\\n", "AC   CVCL_0062\\n", "AS   CVCL_1H52\\n", "//\\n"]
    >>> [(t.id, t.name) for t in parse_cellosaurus(entry)]
    [('CVCL_0062', 'MDA-MB-231'), ('CVCL_1H52', 'MDA-MB-231')]
    """
    issue = issue or _raise("<lines>")
    name = None
    in_entries = False
    for lineno, line in enumerate(lines, 1):
        if line.startswith("ID   "):
            name = line[5:].strip()
            in_entries = True
            continue
        if not in_entries:  # the free-text header before the first entry
            continue
        if line.startswith("//"):
            name = None
            continue
        if line.startswith(("AC   ", "AS   ")):
            if name is None:
                issue(lineno, "accession outside an entry (no ID line before it)")
                continue
            for acc in line[5:].strip().rstrip(";").split(";"):
                acc = acc.strip()
                if acc and (wanted is None or acc in wanted):
                    yield Term(acc, name)
        elif not _CELLOSAURUS_LINE.match(line) and line.strip():
            issue(lineno, "not a Cellosaurus line ('XX   value' or '//')")


def parse_chebi_compounds(lines: Iterable[str], wanted: Container[str] | None = None,
                          issue: Issue | None = None) -> Iterator[Term]:
    """ChEBI names from ``compounds.tsv``; columns found by the header, so both the
    long-standing layout (``ID  STATUS  CHEBI_ACCESSION  SOURCE  PARENT_ID  NAME …``) and
    the ChEBI 2.0 one (lower-case ``id … name … chebi_accession``) read.

    >>> rows = ["ID\\tSTATUS\\tCHEBI_ACCESSION\\tSOURCE\\tPARENT_ID\\tNAME\\tDEFINITION\\n",
    ...         "15365\\tC\\tCHEBI:15365\\tKEGG COMPOUND\\tnull\\tacetylsalicylic acid\\tnull\\n"]
    >>> [(t.id, t.name) for t in parse_chebi_compounds(rows)]
    [('CHEBI:15365', 'acetylsalicylic acid')]
    """
    issue = issue or _raise("<lines>")
    acc_col = name_col = id_col = None
    width = 0
    for lineno, line in enumerate(lines, 1):
        f = line.rstrip("\r\n").split("\t")
        if acc_col is None and name_col is None:
            low = [c.strip().lower() for c in f]
            if "name" not in low or not ({"chebi_accession", "id"} & set(low)):
                issue(lineno, "no header naming the columns (NAME and CHEBI_ACCESSION or ID)")
                return
            name_col = low.index("name")
            acc_col = low.index("chebi_accession") if "chebi_accession" in low else None
            id_col = low.index("id") if "id" in low else None
            width = len(f)
            continue
        if len(f) < width:
            if line.strip():
                issue(lineno, f"{len(f)} tab-separated fields, the header has {width}")
            continue
        acc = f[acc_col] if acc_col is not None else ""
        if not acc.startswith("CHEBI:"):
            acc = "CHEBI:" + (f[id_col] if id_col is not None else acc)
        name = f[name_col].strip()
        if not acc[6:].isdigit():
            issue(lineno, "not a ChEBI accession")
            continue
        if name and name != "null" and (wanted is None or acc in wanted):
            yield Term(acc, name)


_PARSERS = {
    "taxonomy": parse_names_dmp,
    "gene": parse_gene_info,
    "mesh_xml": parse_mesh_xml,
    "mesh_ascii": parse_mesh_ascii,
    "cellosaurus": parse_cellosaurus,
    "chebi": parse_chebi_compounds,
}

_BY_NAME = (
    (re.compile(r"names\.dmp"), "taxonomy"),
    (re.compile(r"(new_)?taxdump\.tar\.gz|taxdmp\.zip"), "taxdump"),
    (re.compile(r".*gene_info"), "gene"),
    (re.compile(r"(desc|supp)\d{4}\.xml"), "mesh_xml"),
    (re.compile(r"[dc]\d{4}\.bin"), "mesh_ascii"),
    (re.compile(r"cellosaurus\.txt"), "cellosaurus"),
    (re.compile(r"compounds\.tsv"), "chebi"),
    (re.compile(r"names\.tsv"), "chebi_names"),
)
_DMP_ROW = re.compile(r"\d+\t\|\t")


def vocab_kind(path: str | os.PathLike) -> tuple[str | None, str]:
    """``(kind, why)`` of a file: by its published name (``.gz`` or not), else by content.

    Kinds are the keys of the readers (``taxonomy``, ``gene``, ``mesh_xml``, ``mesh_ascii``,
    ``cellosaurus``, ``chebi``) plus ``taxdump`` (names.dmp inside the archive); ``None``
    means kg does not read it (``why`` says why).
    """
    base = Path(path).name.removesuffix(".gz")
    if base.endswith(".part"):
        return None, "an unfinished download (kg vocab fetch resumes it)"
    for pattern, kind in _BY_NAME:
        if pattern.fullmatch(base) or pattern.fullmatch(Path(path).name):
            if kind == "chebi_names":
                return None, "ChEBI names.tsv holds synonyms, not the ChEBI name: give compounds.tsv"
            return kind, f"published name {base}"
    try:
        with open_lines(path) as (fh, _):
            head = fh.read(8192).decode("utf-8", "replace")
    except (OSError, EOFError) as err:
        return None, f"unreadable: {err}"
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    if head.startswith("<?xml") or head.startswith("<"):
        if "<DescriptorRecordSet" in head or "<SupplementalRecordSet" in head:
            return "mesh_xml", "MeSH XML content"
    elif first.startswith("*NEWRECORD"):
        return "mesh_ascii", "ASCII MeSH content"
    elif first.startswith(("#tax_id\tGeneID", "#Format: tax_id GeneID")):
        return "gene", "gene_info header"
    elif _DMP_ROW.match(first) and first.count("\t|") == 4:
        return "taxonomy", "names.dmp rows"
    elif "CELLOSAURUS" in head or re.search(r"^ID   .+\nAC   CVCL_", head, re.M):
        return "cellosaurus", "Cellosaurus content"
    elif "chebi_accession" in first.lower() and "name" in first.lower().split("\t"):
        return "chebi", "ChEBI compounds header"
    return None, "not a vocabulary file kg reads"


@contextmanager
def _text(path: str, kind: str) -> Iterator[Iterable[Any]]:
    """Lines of a vocabulary file (gzip by content); MeSH XML stays bytes for the XML parser."""
    if kind == "taxdump":
        with tarfile.open(path, "r|*") as tar:
            for member in tar:
                if member.name.rsplit("/", 1)[-1] == "names.dmp":
                    # a streamed archive is not seekable, which io.TextIOWrapper wants
                    yield (line.decode("utf-8", "replace") for line in tar.extractfile(member))
                    return
        raise VocabError(f"{path}: no names.dmp in the archive")
    with open_lines(path) as (fh, _):
        if kind == "mesh_xml":
            yield fh
        else:
            yield io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")


def read_vocab(path: str | os.PathLike, kind: str | None = None, wanted: Container[str] | None = None,
               issue: Issue | None = None) -> Iterator[Term]:
    """Terms of one vocabulary file (kind from :func:`vocab_kind` when not given).

    `issue(lineno, reason)` hears of each malformed line; by default the first one raises
    :class:`~kg.errors.ParseError` with file and line.
    """
    path = str(path)
    if kind is None:
        kind, why = vocab_kind(path)
        if kind is None:
            raise VocabError(f"{path}: {why}")
    issue = issue or _raise(path)
    try:
        with _text(path, kind) as lines:
            yield from _PARSERS["taxonomy" if kind == "taxdump" else kind](lines, wanted, issue)
    except (OSError, EOFError, tarfile.TarError) as err:
        raise VocabError(f"{path}: cannot read ({type(err).__name__}: {err})") from err


# --- naming a graph -----------------------------------------------------------------------


def builtin_species() -> dict[str, str]:
    """``{"NCBITaxon:9606": "Homo sapiens", …}`` from the table shipped with kg.

    >>> builtin_species()["NCBITaxon:9606"], builtin_species()["NCBITaxon:2697049"]
    ('Homo sapiens', 'Severe acute respiratory syndrome coronavirus 2')
    """
    text = SPECIES_TABLE.read_text(encoding="utf-8")
    return {t.id: t.name for t in _builtin_terms(text)}


def _builtin_terms(text: str) -> Iterator[Term]:
    for line in text.splitlines():
        if line and not line.startswith("#"):
            tax_id, name = line.split("\t")[:2]
            yield Term("NCBITaxon:" + tax_id, name)


def _vocab_files(vocab: str | os.PathLike, report: NamesReport) -> list[tuple[str, str]]:
    if not os.path.exists(vocab):
        raise VocabError(f"{vocab}: no such file or folder")
    files = []
    for path in sorted(iter_input_files([vocab]), key=lambda p: str(p)):
        kind, why = vocab_kind(path)
        if kind is None:
            report.skipped.append({"path": str(path), "reason": why})
        else:
            files.append((str(path), kind))
    return files


class _Lines:
    """Count the lines a reader takes (for the report)."""

    def __init__(self, lines: Iterable[Any]) -> None:
        self.lines = lines
        self.n = 0

    def __iter__(self) -> Iterator[Any]:
        for self.n, line in enumerate(self.lines, 1):
            yield line


def _read_terms(vocab: str | os.PathLike, wanted: set[str], report: NamesReport,
                progress: Callable[[str], None] | None) -> dict[str, Term]:
    terms: dict[str, Term] = {}
    for path, kind in _vocab_files(vocab, report):
        if progress is not None:
            progress(path)
        counted = 0
        found = 0

        def issue(lineno: int, reason: str, path: str = path) -> None:
            report.issue(path, lineno, reason)

        try:
            with _text(path, kind) as raw:
                lines = _Lines(raw)
                for term in _PARSERS["taxonomy" if kind == "taxdump" else kind](lines, wanted, issue):
                    terms[term.id] = term  # files in name order: desc2025 after desc2024 wins
                    found += 1
                counted = lines.n
        except (OSError, EOFError, tarfile.TarError, VocabError) as err:
            report.issue(path, counted, f"cannot read the rest of the file ({type(err).__name__}: {err})")
        report.files.append({"path": path, "kind": kind, "lines": counted, "terms": found})
    return terms


def _bare_id(node: str, name: Any) -> bool:
    """PubTator3 "names" species and cell lines by their number (``9606``, ``0062``):
    no name, so a vocabulary or the built-in table may replace it.

    >>> _bare_id("NCBITaxon:9606", "9606"), _bare_id("CVCL_0062", "0062"), _bare_id("MESH:D1", "Lupus")
    (True, True, False)
    """
    return name in (node, node.partition(":")[2], node.removeprefix("CVCL_"))


def apply_names(G: nx.MultiDiGraph, vocab: str | os.PathLike | None = None, *, builtin: bool = True,
                progress: Callable[[str], None] | None = None) -> NamesReport:
    """Name the nodes of `G` in place from the vocabularies; return what was done.

    Each node gets ``name_source`` (one of :data:`NAME_SOURCES`) and, when a vocabulary
    knows its id (or one of its ``xrefs``): ``name`` the vocabulary's preferred name,
    ``xrefs`` merged with those it already has, and for genes ``symbol`` and
    ``full_name``. A node named by PubTator3 (``name_source == "pubtator3"``) keeps its
    name. Taxa no vocabulary file names take the built-in table's name. Other nodes keep
    their mention-derived name (``name_source = "mentions"``). Mention forms stay in
    ``synonyms``. Naming twice gives the same graph. (PubTator3 names species and cell
    lines by their bare number, ``9606``: that is not kept against a better name.)

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A kg graph (node ids such as ``NCBIGene:9970``, ``MESH:D008180``).
    vocab : path, optional
        A folder (read recursively) or one file of vocabulary files, plain or gzipped.
    builtin : bool
        Use the built-in species table.
    progress : callable, optional
        Called with each file's path as it starts being read.

    Returns
    -------
    NamesReport
        Counts per type and name source, files read, malformed lines with file and line.

    Raises
    ------
    VocabError
        `vocab` does not exist. (A malformed line is reported, never raised.)

    Examples
    --------
    >>> import kg
    >>> G = kg.build("seeds/PMID39937001.pubtator", builtin_names=False).graph
    >>> G.nodes["NCBITaxon:9606"]["name"]
    'patients'
    >>> report = apply_names(G)
    >>> G.nodes["NCBITaxon:9606"]["name"], G.nodes["NCBITaxon:9606"]["name_source"]
    ('Homo sapiens', 'builtin')
    """
    report = NamesReport()
    terms: dict[str, Term] = {}
    if vocab is not None:
        wanted = {str(n) for n in G.nodes}
        for _, a in G.nodes(data=True):
            wanted.update(a.get("xrefs") or ())
        terms = _read_terms(vocab, wanted, report, progress)
    species = builtin_species() if builtin else {}
    by: Counter[tuple[str, str]] = Counter()
    for node, a in G.nodes(data=True):
        term = terms.get(node) or next((terms[x] for x in a.get("xrefs") or () if x in terms), None)
        source = a.get("name_source")
        before = a.get("name")
        if term is not None:
            if term.symbol:
                a["symbol"] = term.symbol
            if term.full_name:
                a["full_name"] = term.full_name
            extra = [x for x in (term.id, *term.xrefs) if x != node]
            if extra:
                old = list(a.get("xrefs") or ())
                a["xrefs"] = old + [x for x in dict.fromkeys(extra) if x not in old]
        if source == "pubtator3" and not _bare_id(str(node), before):
            pass
        elif term is not None:
            a["name"], source = term.name, "vocabulary"
        elif node in species and source != "vocabulary":
            a["name"], source = species[node], "builtin"
        elif source not in ("vocabulary", "builtin", "pubtator3") and "name" in a:
            source = "mentions"
        if source:
            a["name_source"] = source
            by[(a.get("type") or "?", source)] += 1
        report.renamed += a.get("name") != before
    for (etype, source), n in sorted(by.items()):
        report.names.setdefault(etype, {})[source] = n
    return report


# --- fetching the files -------------------------------------------------------------------


class Download(NamedTuple):
    """One file to fetch: its official URL, the name it is saved under, and where it was
    before a reorganisation of the server (tried when the URL gives HTTP 404)."""

    url: str
    name: str
    old_url: str | None = None


_NCBI = "https://ftp.ncbi.nlm.nih.gov"
_NLM = "https://nlmpubs.nlm.nih.gov"

#: Official locations. ``{year}`` is the MeSH year (NLM publishes next year's files in the
#: autumn; kg tries the current year, then the one before).
DOWNLOADS: dict[str, tuple[Download, ...]] = {
    "taxonomy": (Download(f"{_NCBI}/pub/taxonomy/taxdump.tar.gz", "taxdump.tar.gz"),),
    "gene": (Download(f"{_NCBI}/gene/DATA/gene_info.gz", "gene_info.gz"),),
    "mesh": (Download(f"{_NLM}/projects/mesh/MESH_FILES/asciimesh/d{{year}}.bin", "d{year}.bin"),
             Download(f"{_NLM}/projects/mesh/MESH_FILES/asciimesh/c{{year}}.bin", "c{year}.bin")),
    "cellosaurus": (Download("https://ftp.expasy.org/databases/cellosaurus/cellosaurus.txt", "cellosaurus.txt"),),
    "chebi": (Download("https://ftp.ebi.ac.uk/pub/databases/chebi/flat_files/compounds.tsv.gz", "compounds.tsv.gz",
                       "https://ftp.ebi.ac.uk/pub/databases/chebi/Flat_file_tab_delimited/compounds.tsv.gz"),),
}

FetchProgress = Callable[[str, int, int | None], None]


def _with_base(url: str, base_url: str | None) -> str:
    if not base_url:
        return url
    path = url.split("://", 1)[1].partition("/")[2]
    return base_url.rstrip("/") + "/" + path


def _offline(url: str, err: BaseException) -> bool:
    reason = getattr(err, "reason", err)
    return isinstance(reason, (socket.gaierror, ConnectionRefusedError)) or "Name or service not known" in str(reason)


def _download(url: str, dest: Path, progress: FetchProgress | None, retries: int, timeout: float) -> None:
    """`url` → `dest` through ``dest.part``, resuming with an HTTP Range request after a cut."""
    part = dest.with_name(dest.name + ".part")
    last: BaseException | None = None
    for _ in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": "kg-vocab-fetch/1 (python urllib)"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
                length = resp.headers.get("Content-Length")
                if have and resp.status == 206:
                    mode, done = "ab", have
                else:
                    mode, done = "wb", 0
                total = done + int(length) if length and length.isdigit() else None
                with open(part, mode) as out:
                    while chunk := resp.read(1 << 20):
                        out.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(dest.name, done, total)
                if total is not None and done < total:
                    raise ConnectionError(f"transfer cut at {done:,} of {total:,} bytes")
            part.replace(dest)
            return
        except urllib.error.HTTPError as err:
            if err.code == 416 and have:  # the part is already whole
                part.replace(dest)
                return
            raise VocabError(f"{url}: HTTP {err.code} {err.reason}") from None
        except urllib.error.URLError as err:
            if _offline(url, err):
                host = url.split("://", 1)[-1].split("/", 1)[0]
                raise VocabError(f"cannot reach {host} ({err.reason}): offline? "
                                 f"Run again when connected; what was downloaded is kept") from None
            last = err
        except (OSError, http.client.HTTPException, EOFError) as err:  # cut transfers, resets, timeouts
            last = err
        time.sleep(0.2)
    kept = part.stat().st_size if part.exists() else 0
    raise VocabError(f"{url}: download interrupted ({type(last).__name__}: {last}); {kept:,} bytes kept in "
                     f"{part}, run again to resume") from None


def fetch_vocab(directory: str | os.PathLike, only: Iterable[str] | None = None, *, base_url: str | None = None,
                mesh_year: int | None = None, force: bool = False, retries: int = 3, timeout: float = 60.0,
                progress: FetchProgress | None = None) -> list[Path]:
    """Download the vocabulary files into `directory` (the folder ``--vocab`` takes).

    Each file goes to ``NAME.part`` first and is renamed when whole; a cut transfer is
    resumed with an HTTP Range request (up to `retries` times, and on the next run).
    Files already there are kept unless `force`.

    Parameters
    ----------
    directory : path
        Where the files go (created).
    only : iterable of str, optional
        Some of :class:`VocabKind` (default: all).
    base_url : str, optional
        Replaces ``scheme://host`` of every official URL (the path is kept): a mirror, or
        a local server in tests.
    mesh_year : int, optional
        MeSH files of this year (default: this year, then the one before if absent).

    Returns
    -------
    list of Path
        The files, downloaded or already there.

    Raises
    ------
    VocabError
        Offline, an HTTP error, or a transfer still cut after the retries (one line).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    kinds = [VocabKind(k).value for k in (only or [k.value for k in VocabKind])]
    written = []
    for kind in kinds:
        years = [mesh_year] if mesh_year else [time.gmtime().tm_year, time.gmtime().tm_year - 1]
        for year in years if kind == "mesh" else [None]:
            try:
                for d in DOWNLOADS[kind]:
                    dest = out / d.name.format(year=year)
                    if force or not dest.exists():
                        try:
                            _download(_with_base(d.url.format(year=year), base_url), dest, progress, retries, timeout)
                        except VocabError as err:
                            if d.old_url is None or "HTTP 404" not in str(err):
                                raise
                            _download(_with_base(d.old_url, base_url), dest, progress, retries, timeout)
                    written.append(dest)
                break
            except VocabError as err:
                if kind != "mesh" or year == years[-1] or "HTTP 404" not in str(err):
                    raise
    return written
