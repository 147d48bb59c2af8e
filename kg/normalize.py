"""Normalization: canonical entity types, CURIE node ids, one relation vocabulary.

Everything that decides *which node* or *which edge key* a record maps to lives here,
in tables, so that every corpus is read the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "ENTITY_TYPES",
    "RELATION_TYPES",
    "RelationType",
    "RELATIONS_BY_NAME",
    "relation_directed",
    "canonical_type",
    "entity_ids",
    "variant_aliases",
    "canonical_relation",
    "safe_name",
    "is_abbreviation",
    "NO_ID",
    "pmid_sort_key",
    "sort_pmids",
    "choose_name",
    "choose_title",
    "is_expansion",
    "abbreviation_pair",
    "is_ascii_digits",
    "type_column_problem",
    "resolve_annotation",
    "Resolved",
    "scoped_id",
    "namespace",
    "DOC_SCOPE",
    "KEY_PRIORITY",
    "relation_pairs",
    "relation_ref_keys",
    "typed_ref",
    "mention_forms",
    "relation_note",
]

#: Type as written in a corpus → canonical type. Types not listed are kept as written.
ENTITY_TYPES: dict[str, str] = {
    "Gene": "Gene",
    "GeneOrGeneProduct": "Gene",
    "Disease": "Disease",
    "DiseaseOrPhenotypicFeature": "Disease",
    "SpecificDisease": "Disease",
    "DiseaseClass": "Disease",
    "Modifier": "Disease",
    "CompositeMention": "Disease",
    "Chemical": "Chemical",
    "ChemicalEntity": "Chemical",
    "Drug": "Chemical",
    "Species": "Species",
    "OrganismTaxon": "Species",
    "Variant": "Variant",
    "SequenceVariant": "Variant",
    "Mutation": "Variant",
    "DNAMutation": "Variant",
    "ProteinMutation": "Variant",
    "SNP": "Variant",
    "DNAAcidChange": "Variant",
    "ProteinAcidChange": "Variant",
    "AcidChange": "Variant",
    "CellLine": "CellLine",
    "Cellline": "CellLine",
    "Cell_Line": "CellLine",
    "DNAAllele": "Variant",
    "ProteinAllele": "Variant",
    "OtherMutation": "Variant",
    "Allele": "Variant",
    "CopyNumberVariant": "Variant",
    "ChemMet": "Chemical",
}
_TYPES_FOLDED = {k.lower(): v for k, v in ENTITY_TYPES.items()}

#: Identifiers that mean "no identifier".
NO_ID = frozenset({"", "-", "-1", "None", "none", "NA", "N/A", "null"})


class RelationType(NamedTuple):
    """One row of the relation vocabulary."""

    name: str  # edge key in the graph; upper-cased, the Neo4j relationship type
    directed: bool  # False: (a, b) and (b, a) are one edge
    predicate: str  # Biolink predicate for KGX export
    sources: tuple[str, ...]  # spellings in corpora (compared case-insensitively)
    meaning: str


#: The relation vocabulary: one edge key per meaning, whichever corpus it came from.
RELATION_TYPES: tuple[RelationType, ...] = (
    RelationType("Association", False, "biolink:associated_with", ("Association", "associate"),
                 "associated, no direction or sign stated"),
    RelationType("Positive_Correlation", False, "biolink:positively_correlated_with",
                 ("Positive_Correlation", "positive_correlate"), "one rises with the other"),
    RelationType("Negative_Correlation", False, "biolink:negatively_correlated_with",
                 ("Negative_Correlation", "negative_correlate"), "one falls as the other rises"),
    RelationType("Bind", False, "biolink:physically_interacts_with", ("Bind", "interact"),
                 "physical binding / interaction"),
    RelationType("Cotreatment", False, "biolink:related_to", ("Cotreatment", "cotreat"),
                 "given together as a treatment"),
    RelationType("Comparison", False, "biolink:related_to", ("Comparison", "compare"),
                 "compared with each other"),
    RelationType("Drug_Interaction", False, "biolink:interacts_with", ("Drug_Interaction", "drug_interact"),
                 "drug-drug interaction"),
    RelationType("Conversion", True, "biolink:related_to", ("Conversion", "convert"),
                 "first is converted into second"),
    RelationType("Treat", True, "biolink:treats", ("treat", "Treatment"), "chemical treats disease"),
    RelationType("Cause", True, "biolink:causes", ("cause",), "first causes second"),
    RelationType("Prevent", True, "biolink:preventative_for_condition", ("prevent",),
                 "first prevents second"),
    RelationType("Inhibit", True, "biolink:negatively_regulates", ("inhibit",), "first inhibits second"),
    RelationType("Stimulate", True, "biolink:positively_regulates", ("stimulate",), "first stimulates second"),
    RelationType("CID", True, "biolink:causes", ("CID",),
                 "chemical induces disease (BC5CDR; kept apart from Cause as a curated judgement)"),
    RelationType("Co_Mention", False, "biolink:occurs_together_in_literature_with", (),
                 "mentioned in the same document (only with --co-mentions)"),
)
_RELATIONS_BY_SOURCE = {s.lower(): r for r in RELATION_TYPES for s in (r.name, *r.sources)}
RELATIONS_BY_NAME = {r.name: r for r in RELATION_TYPES}

_SAFE = re.compile(r"[^0-9A-Za-z_]+")


def safe_name(text: str) -> str:
    """Make `text` a safe Neo4j label / relationship type: ``[A-Za-z][A-Za-z0-9_]*``.

    >>> safe_name("x`]->() DETACH DELETE n //")
    'x_DETACH_DELETE_n'
    """
    name = _SAFE.sub("_", text).strip("_")
    if not name:
        return "Unknown"
    return name if name[0].isalpha() else "T_" + name


def canonical_relation(raw: str) -> tuple[str, bool]:
    """Return ``(edge key, known)`` for a relation type as written in a file.

    >>> canonical_relation("positive_correlate")
    ('Positive_Correlation', True)
    >>> canonical_relation("Regulates?")
    ('Regulates', False)
    """
    row = _RELATIONS_BY_SOURCE.get(raw.lower())
    if row is not None:
        return row.name, True
    return safe_name(raw), False


def relation_directed(name: str) -> bool:
    """Unknown relation types keep the order the file gives."""
    row = RELATIONS_BY_NAME.get(name)
    return True if row is None else row.directed


def canonical_type(raw: str) -> str:
    """Canonical entity type (``GeneOrGeneProduct`` → ``Gene``); unknown types are kept.

    >>> canonical_type("DiseaseOrPhenotypicFeature"), canonical_type("Pathway")
    ('Disease', 'Pathway')
    """
    t = ENTITY_TYPES.get(raw)
    if t is None:
        t = _TYPES_FOLDED.get(raw.lower(), raw)
    return t


# --- identifiers -------------------------------------------------------------------------

#: Prefixes as corpora write them (lower case) → the Bioregistry/Biolink spelling kg keys by.
_PREFIXES = {
    "mesh": "MESH",
    "omim": "OMIM",
    "mim": "OMIM",
    "chebi": "CHEBI",
    "tax": "NCBITaxon",
    "taxonomy": "NCBITaxon",
    "ncbitaxon": "NCBITaxon",
    "ncbitaxonomy": "NCBITaxon",
    "gene": "NCBIGene",
    "ncbigene": "NCBIGene",
    "entrez": "NCBIGene",
    "hgnc": "HGNC",
    "drugbank": "DRUGBANK",
    "hmdb": "HMDB",
    "mondo": "MONDO",
    "doid": "DOID",
    "hp": "HP",
    "go": "GO",
    "dbsnp": "dbSNP",
}

#: When one composite id names one entity in several databases
#: (``HMDB:HMDB01397|CHEBI:17345``), the namespace listed first keys the node and the other
#: ids become its ``xrefs``; namespaces not listed come after these, alphabetically.
KEY_PRIORITY: tuple[str, ...] = (
    "NCBIGene", "NCBITaxon", "MESH", "CHEBI", "OMIM", "CVCL", "dbSNP", "DRUGBANK", "HMDB",
    "HGNC", "MONDO", "DOID", "HP", "GO",
)
_PRIORITY = {ns: i for i, ns in enumerate(KEY_PRIORITY)}

#: A node id that ends with this is scoped to its document: the engine appends the PMID
#: (see :func:`scoped_id`). Used for variant keys that do not pin one variant.
DOC_SCOPE = ";PMID:"

_MESH = re.compile(r"[CDcd]\d{6,9}")
_COMPOSITE = re.compile(r"[|;,+]")
_RSID = re.compile(r"(?:rs|RS#:|RSID:|dbSNP:rs)\s*(\d+)", re.I)


def is_ascii_digits(text: str) -> bool:
    """PMIDs and offsets are ASCII ``[0-9]+`` (``str.isdigit`` also accepts ``²``).

    >>> is_ascii_digits("123"), is_ascii_digits("²"), is_ascii_digits("")
    (True, False, False)
    """
    return text.isascii() and text.isdigit()


def scoped_id(node_id: str, pmid: str) -> str:
    """A node id completed with its document's PMID when it is document-scoped.

    >>> scoped_id("tmVar:c|SUB|G||A;PMID:", "123"), scoped_id("MESH:D008180", "123")
    ('tmVar:c|SUB|G||A;PMID:123', 'MESH:D008180')
    """
    return node_id + pmid if node_id.endswith(DOC_SCOPE) else node_id


def namespace(curie: str) -> str:
    """The namespace of a node id: ``MESH:D1`` → ``MESH``, ``CVCL_0062`` → ``CVCL``."""
    if curie.startswith("CVCL_"):
        return "CVCL"
    prefix, colon, _ = curie.partition(":")
    return prefix if colon else ""


def type_column_problem(raw: str) -> str | None:
    """Why an annotation's type column is not a type, or ``None`` when it may be one.

    A line whose type column is missing shifts the identifier into it
    (``p|SUB|P|29|S``, ``RSID:2075789``, ``9606``): such a line is rejected, never a label.

    >>> type_column_problem("Gene") is None, type_column_problem("p|SUB|P|29|S")
    (True, "type column 'p|SUB|P|29|S' looks like an identifier (is the type column missing?)")
    """
    t = raw.strip()
    if "|" in t or ":" in t or is_ascii_digits(t):
        return f"type column {t!r} looks like an identifier (is the type column missing?)"
    return None


def _curie(raw: str, etype: str) -> str | None:
    """One identifier (not composite) → node id, or ``None`` for "no usable identifier".

    Bare numbers are read by type: Gene → ``NCBIGene:``, Species → ``NCBITaxon:``; other
    types keep their type in the key (``FamilyName:10111``), so that a family and a cell
    line with the same number never collide.
    """
    ident = raw.strip()
    if ident in NO_ID:
        return None
    paren = ident.find("(")  # `83817(Tax:10116)`: gene id with its species
    if paren == 0:
        return None  # `(Tax:9606)`: the species alone, no id of the entity
    if paren > 0:
        ident = ident[:paren].strip()
    if is_ascii_digits(ident):
        if etype == "Gene":
            return "NCBIGene:" + ident
        if etype == "Species":
            return "NCBITaxon:" + ident
        return f"{etype}:{ident}" if etype else ident
    prefix, colon, local = ident.partition(":")
    if colon:
        local = local.strip()
        if not local:
            return None
        low = prefix.strip().lower()
        if low in ("cvcl", "cellosaurus"):
            return "CVCL_" + local.removeprefix("CVCL_")
        if low in ("rs#", "rsid"):
            return "dbSNP:rs" + local.removeprefix("rs") if is_ascii_digits(local.removeprefix("rs")) else None
        return _PREFIXES.get(low, prefix.strip()) + ":" + local
    if _MESH.fullmatch(ident):
        return "MESH:" + ident.upper()
    return ident


def _variant_parts(raw: str, extra: str = "") -> dict[str, str]:
    """Split a tmVar / PubTator3 variant id (and an extra ``RSID:`` column) into named parts.

    ``tmVar:p|SUB|L|858|R;HGVS:p.L858R;CorrespondingGene:1956;RS#:121434568`` →
    ``{"tmVar": "p|SUB|L|858|R", "HGVS": "p.L858R", "CorrespondingGene": "1956", "RS#": "121434568"}``.
    Unnamed parts are classified: ``rs…`` → RS#, ``x|…`` → tmVar, ``p.…`` → HGVS,
    anything else → ``other`` (a corpus's own id, kept as written). tmVar3's ``Gene:`` part
    is its CorrespondingGene; ``RSID:`` is an rsID.
    """
    parts: dict[str, str] = {}
    for piece in raw.strip().split(";"):
        piece = piece.strip()
        if not piece or piece in NO_ID:
            continue
        key, colon, value = piece.partition(":")
        if colon and "|" not in key and key and not key[0].isdigit() and key not in ("c", "p", "g", "m", "n", "r"):
            key = {"Gene": "CorrespondingGene", "RSID": "RS#"}.get(key, key)
            parts.setdefault(key, value.strip())
        elif piece[:2].lower() == "rs" and is_ascii_digits(piece[2:]):
            parts.setdefault("RS#", piece[2:])
        elif "|" in piece:
            if any(ch.isalnum() for ch in piece):  # `|` alone is no key
                parts.setdefault("tmVar", piece)
        elif piece[1:2] == "." and piece[0] in "cgmnpr":
            parts.setdefault("HGVS", piece)
        else:
            parts.setdefault("other", piece)
    m = _RSID.fullmatch(extra.strip()) if extra else None
    if m:
        parts.setdefault("RS#", m.group(1))
    rs = parts.get("RS#", "").removeprefix("rs")
    if rs and not is_ascii_digits(rs):
        del parts["RS#"]
    elif rs:
        parts["RS#"] = rs
    return parts


#: Which field of a tmVar key ``type|kind|...`` holds the position, by kind: ``c|SUB|G|215|A``
#: (wild type, position, mutant), ``c|DEL|215|G`` (position, sequence); others: any field.
_TMVAR_POSITION = {"SUB": 3, "FS": 3, "ALLELE": 3, "EXT": 3, "DEL": 2, "INS": 2, "INDEL": 2, "DUP": 2}
_PLAIN_POSITION = re.compile(r"[-*]?\d+")


def _pins(key: str, gene: bool) -> bool:
    """A tmVar or HGVS key names one variant across papers only when it gives a position:
    ``c|SUB|G||A`` (none) and ``c|DEL||32`` (32 is a length) do not. Without a gene, the
    position must be a plain number: ``IVS3+1`` (an intron of which gene?) does not pin.

    >>> _pins("c|SUB|G|215|A", False), _pins("c|DEL||32", False), _pins("c|SUB|G|IVS3+1|A", False)
    (True, False, False)
    >>> _pins("c|SUB|G|IVS3+1|A", True), _pins("p.L858R", False), _pins("c.G>A", True)
    (True, True, False)
    """
    if "|" in key:
        fields = key.split("|")
        at = _TMVAR_POSITION.get(fields[1].upper()) if len(fields) > 1 else None
        positions = fields[at:at + 1] if at is not None else fields[2:]
    else:  # HGVS: p.L858R, c.215G>A, c.IVS3+1G>A
        positions = re.findall(r"[-*]?\d+|IVS\d+[-+]\d+", key[2:])[:1]
    if not any(ch.isdigit() for field in positions for ch in field):
        return False
    return gene or all(_PLAIN_POSITION.fullmatch(field.strip()) for field in positions if field)


def _variant_keys(parts: dict[str, str]) -> tuple[str | None, tuple[str, ...]]:
    """``(node id, xrefs)`` of a variant from its parts."""
    gene = parts.get("CorrespondingGene")
    suffix = f";CorrespondingGene:{gene}" if gene else ""
    names = []
    if parts.get("tmVar"):
        names.append(("tmVar:" + parts["tmVar"], _pins(parts["tmVar"], bool(gene))))
    if parts.get("HGVS"):
        names.append(("HGVS:" + parts["HGVS"], _pins(parts["HGVS"], bool(gene))))
    rs = parts.get("RS#")
    if rs:
        return "dbSNP:rs" + rs, tuple(n + suffix for n, pins in names if pins)
    if names:
        first, pins = names[0]
        node_id = first + suffix + ("" if pins else DOC_SCOPE)
        return node_id, tuple(n + suffix for n, p in names[1:] if p and pins)
    other = parts.get("other")
    if other is None or is_ascii_digits(other) or not any(ch.isdigit() for ch in other):
        return None, ()  # a bare number is a gene's, not a variant's id; `rs` alone is none
    return other, ()


def variant_aliases(raw: str, extra: str = "") -> list[str]:
    """Keys under which a variant can be named in a relation line of the same document.

    >>> variant_aliases("tmVar:p|SUB|L|858|R;HGVS:p.L858R;RS#:121434568")
    ['tmVar:p|SUB|L|858|R', 'p|SUB|L|858|R', 'HGVS:p.L858R', 'p.L858R', 'RS#:121434568', 'rs121434568', 'dbSNP:rs121434568', 'RSID:121434568']
    """
    parts = _variant_parts(raw, extra)
    out = []
    if "tmVar" in parts:
        out += ["tmVar:" + parts["tmVar"], parts["tmVar"]]
    if "HGVS" in parts:
        out += ["HGVS:" + parts["HGVS"], parts["HGVS"]]
    if "RS#" in parts:
        rs = parts["RS#"]
        out += ["RS#:" + rs, "rs" + rs, "dbSNP:rs" + rs, "RSID:" + rs]
    return out


class Resolved(NamedTuple):
    """What an annotation's type, identifier and extra column mean: the identity rule
    that every engine applies (the native reader and Spark call this function on each
    distinct ``(type, identifier, extra)``)."""

    #: canonical entity type
    type: str
    #: node ids, distinct, in the order written; one ending in :data:`DOC_SCOPE` is
    #: completed with the document's PMID (:func:`scoped_id`)
    ids: tuple[str, ...]
    #: for a composite id: the node id of each piece as written (``None`` for a piece
    #: without identifier, e.g. the ``-1`` of ``D002544|-1``), to pair BC5CDR's
    #: sub-mentions with their entity; ``()`` when the id is not composite
    pieces: tuple[str | None, ...]
    #: for each of ``ids``: the other identifiers of the same entity
    xrefs: tuple[tuple[str, ...], ...]
    #: ``(key, ids)``: the keys under which a relation line of the same document may
    #: name these entities (raw id, pieces, xrefs, variant parts, rsIDs)
    aliases: tuple[tuple[str, tuple[str, ...]], ...]
    #: why an identifier was given but is not one of the type ("" when usable or absent)
    unusable: str
    #: some id is document-scoped (ends in :data:`DOC_SCOPE`)
    scoped: bool = False


@lru_cache(maxsize=1 << 20)
def resolve_annotation(raw_type: str, raw_id: str, extra: str = "") -> Resolved:
    """Identity of an annotation: its canonical type and node ids (see ``Resolved``).

    - A composite id whose parts are in one namespace (``D001|D002``, ``1234;5678``,
      BioRED's ``1,2``, NCBI-disease's ``D1+D2``) names several entities: one id each.
    - Parts in different namespaces (``HMDB:HMDB01397|CHEBI:17345``) are one entity in
      several databases: one id, chosen by :data:`KEY_PRIORITY`, the rest its xrefs.
    - A variant is ``dbSNP:rs…`` when an rsID is known (``RS#:`` part, ``rs…`` id, or an
      ``RSID:`` extra column), else its tmVar/HGVS key (qualified by CorrespondingGene);
      a key without a position is scoped to its document.
    - An id that is not an id of the type does not merge entities: a cell line given a
      bare number (its species' taxon) or a variant given a gene number has no usable id.

    >>> resolve_annotation("Chemical", "HMDB:HMDB01397|CHEBI:17345")[:2]
    ('Chemical', ('CHEBI:17345',))
    >>> resolve_annotation("DNAMutation", "c|SUB|G|Ex2+860|C", "RSID:2234671").ids
    ('dbSNP:rs2234671',)
    >>> resolve_annotation("Variant", "c|SUB|G||A").ids
    ('tmVar:c|SUB|G||A;PMID:',)
    >>> resolve_annotation("CellLine", "9606")[1:2], resolve_annotation("CellLine", "9606").unusable != ""
    (((),), True)
    """
    etype = canonical_type(raw_type.strip())
    ident = raw_id.strip()
    if ident in NO_ID:
        return Resolved(etype, (), (), (), (), "")
    aliases: dict[str, list[str]] = {}

    def alias(key: str, node_id: str) -> None:
        key = key.strip()
        if key:
            ids = aliases.setdefault(key, [])
            if node_id not in ids:
                ids.append(node_id)

    if etype == "Variant":
        parts = _variant_parts(ident, extra)
        node_id, xrefs = _variant_keys(parts)
        if node_id is None:
            return Resolved(etype, (), (), (), (), f"{ident!r} is not an id of a variant")
        for key in (ident, node_id, *xrefs, *variant_aliases(ident, extra)):
            alias(key, node_id)
        return Resolved(etype, (node_id,), (), (xrefs,), _frozen(aliases), "", node_id.endswith(DOC_SCOPE))

    pieces_raw = _COMPOSITE.split(ident) if _COMPOSITE.search(ident) else [ident]
    pieces: list[str | None] = []
    for piece in pieces_raw:
        curie = _curie(piece, etype)
        if curie is not None and etype == "CellLine" and (
                is_ascii_digits(piece.strip()) or namespace(curie) == "NCBITaxon"):
            curie = None  # tmVar3 gives a cell line its species' taxon
            if len(pieces_raw) == 1:
                return Resolved(etype, (), (), (), (), f"{ident!r} is a taxon, not an id of a cell line")
        pieces.append(curie)
    found = [p for p in pieces if p is not None]
    distinct = list(dict.fromkeys(found))
    spaces = {}
    for curie in distinct:
        spaces.setdefault(namespace(curie), []).append(curie)
    xrefs: tuple[tuple[str, ...], ...]
    if len(spaces) > 1 and all(len(v) == 1 for v in spaces.values()):
        key = min(distinct, key=lambda c: (_PRIORITY.get(namespace(c), len(_PRIORITY)), namespace(c), c))
        ids = (key,)
        xrefs = (tuple(c for c in distinct if c != key),)
        pieces = [key if p is not None else None for p in pieces]
    else:
        ids = tuple(distinct)
        xrefs = tuple(() for _ in ids)
    aliases[ident] = list(ids)  # the raw id names every entity of the annotation
    for node_id, refs in zip(ids, xrefs):
        alias(node_id, node_id)
        for ref in refs:
            alias(ref, node_id)
    if len(pieces_raw) > 1:
        for piece, node_id in zip(pieces_raw, pieces):
            if node_id is not None:
                alias(piece, node_id)
                alias(_curie(piece, "") or "", node_id)
    return Resolved(etype, ids, tuple(pieces) if len(pieces_raw) > 1 else (), xrefs, _frozen(aliases), "")


def _frozen(aliases: dict[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((k, tuple(v)) for k, v in aliases.items() if v)


def entity_ids(raw: str, etype: str) -> tuple[str, ...]:
    """Node ids for an identifier as written, given its type (see :func:`resolve_annotation`).

    >>> entity_ids("D014786|D006311", "Disease")
    ('MESH:D014786', 'MESH:D006311')
    >>> entity_ids("9970", "Gene"), entity_ids("CVCL:0062", "CellLine")
    (('NCBIGene:9970',), ('CVCL_0062',))
    >>> entity_ids("p|SUB|D|506|G", "Variant")
    ('tmVar:p|SUB|D|506|G',)
    """
    return resolve_annotation(etype, raw).ids


def is_abbreviation(form: str) -> bool:
    """A short form with no lower-case run, such as ``SLE``, ``CAR`` or ``IL-6``.

    >>> is_abbreviation("SLE"), is_abbreviation("lupus"), is_abbreviation("Systemic lupus erythematosus")
    (True, False, False)
    """
    if len(form) > 10 or " " in form.strip():
        return False
    letters = [ch for ch in form if ch.isalpha()]
    if not letters:
        return True
    upper = sum(ch.isupper() for ch in letters)
    return upper * 2 >= len(letters)


# --- choices: PMID order, names -----------------------------------------------------

def pmid_sort_key(pmid: str) -> tuple[int, int, str]:
    """Numeric PMIDs in numeric order, then any other document ids as text."""
    return (0, int(pmid), pmid) if is_ascii_digits(pmid) else (1, 0, pmid)


def sort_pmids(pmids: Iterable[str]) -> list[str]:
    """``sorted(pmids, key=pmid_sort_key)``, 2-3x faster when every id is a number (the
    usual case): the inner sort breaks ties between ids such as ``01`` and ``1``."""
    pmids = list(pmids)
    if is_ascii_digits("".join(pmids)) and "" not in pmids:
        return sorted(sorted(pmids), key=int)
    return sorted(pmids, key=pmid_sort_key)


@lru_cache(maxsize=1 << 16)
def is_expansion(short: str, long: str) -> bool:
    """True when `long` spells out the abbreviation `short` (Schwartz & Hearst, 2003).

    Each letter and digit of `short`, right to left, is found in `long` right to left, the
    first one at the start of a word; `long` has at most ``min(n + 5, 2n)`` words for an
    ``n``-character short form, and does not contain `short` as a word ("COVID-19
    infection" uses the abbreviation, it does not expand it).

    >>> is_expansion("SLE", "Systemic lupus erythematosus"), is_expansion("IL-17F", "inflammatory cytokine")
    (True, False)
    >>> is_expansion("COVID-19", "COVID-19 infection"), is_expansion("COVID-19", "coronavirus disease 2019")
    (False, True)
    """
    chars = [c for c in short.lower() if c.isalnum()]
    low = long.lower()
    if not chars or len(low) <= len(short) or len(long.split()) > min(len(chars) + 5, 2 * len(chars)):
        return False
    sf = short.lower()
    at = low.find(sf)
    while at >= 0:  # the short form as a word of the long one
        end = at + len(sf)
        if (at == 0 or not low[at - 1].isalnum()) and (end == len(low) or not low[end].isalnum()):
            return False
        at = low.find(sf, at + 1)
    li = len(low) - 1
    for si in range(len(chars) - 1, -1, -1):
        c = chars[si]
        while li >= 0 and (low[li] != c or (si == 0 and li > 0 and low[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return False
        li -= 1
    return True


def abbreviation_pair(text: str, prev_end: int, prev_form: str, start: int, end: int, form: str) -> tuple[str, str] | None:
    """``(short, long)`` when two consecutive mentions of one entity are written
    ``long (short)`` or ``short (long)`` in the text and the long one spells out the short
    one (:func:`is_expansion`): the pairing of Schwartz & Hearst, which only the text can
    attest ("IL-17F is an inflammatory cytokine" pairs nothing).

    >>> t = "Systemic lupus erythematosus (SLE) is"
    >>> abbreviation_pair(t, 28, "Systemic lupus erythematosus", 30, 33, "SLE")
    ('SLE', 'Systemic lupus erythematosus')
    >>> abbreviation_pair("IL-17F is an inflammatory cytokine", 6, "IL-17F", 13, 34, "inflammatory cytokine") is None
    True
    """
    gap = text[prev_end:start]
    if (gap != " (" and gap != "(") or text[end:end + 1] != ")":
        return None
    for short, long in ((form, prev_form), (prev_form, form)):
        if is_abbreviation(short) and not is_abbreviation(long) and is_expansion(short, long):
            return short, long
    return None


def mention_forms(text: str, listed: bool = True) -> tuple[int, list[str]]:
    """What a mention gives its entity: the number of mentions, and the forms that become
    synonyms (stripped, empty ones dropped, repeats kept).

    A document-level annotation (no offsets; a bulk concept line's ``Mentions``) lists
    its forms, ``a|b``: each ``|``-separated form is one mention, empty ones included.
    With ``listed=False`` the text is one mention as written in the document. The rule of
    :class:`~kg.builder.GraphBuilder`; the Spark engine applies it to each distinct list.

    >>> mention_forms("BRAF| B-raf |BRAF"), mention_forms(""), mention_forms("a||")
    ((3, ['BRAF', 'B-raf', 'BRAF']), (1, []), (3, ['a']))
    >>> mention_forms("A|B ", listed=False)
    (1, ['A|B'])
    """
    forms = text.split("|") if listed else (text,)
    return len(forms), [f for f in (form.strip() for form in forms) if f]


def choose_name(forms: dict[str, list[int]], pairs: Iterable[tuple[str, str]] = ()) -> str | None:
    """The readable name of an entity from its mention forms ``{form: [count, outside title]}``.

    The most frequent form, compared case-insensitively; an abbreviation yields only to
    **its own** long form — one the texts pair with it (`pairs`, ``(short, long)``, from
    :func:`abbreviation_pair`: "Systemic lupus erythematosus (SLE)") — the most frequent
    of those; never to another phrase (IL-17F is not renamed "inflammatory cytokine").
    Within a spelling, the form used outside the title (titles are often Title Case),
    then the most frequent, then the first alphabetically.

    >>> forms = {"SLE": [11, 11], "Systemic Lupus Erythematosus": [1, 0], "Systemic lupus erythematosus": [1, 1]}
    >>> choose_name(forms, [("SLE", "Systemic lupus erythematosus")])
    'Systemic lupus erythematosus'
    >>> choose_name(forms)  # no text paired them
    'SLE'
    >>> choose_name({"IL-17F": [7, 7], "inflammatory cytokine": [1, 1]})
    'IL-17F'
    """
    if not forms:
        return None
    groups: dict[str, list[str]] = {}
    totals: dict[str, int] = {}
    for f, c in forms.items():
        k = f.lower()
        groups.setdefault(k, []).append(f)
        totals[k] = totals.get(k, 0) + c[0]

    def spelling(k: str) -> str:
        return min(groups[k], key=lambda f: (-forms[f][1], -forms[f][0], f))

    best = min(totals, key=lambda k: (-totals[k], k))
    name = spelling(best)
    if pairs and is_abbreviation(name):
        longs = {long.lower() for short, long in pairs if short.lower() == best} & totals.keys()
        if longs:
            name = spelling(min(longs, key=lambda k: (-totals[k], k)))
    return name


def choose_title(old: str | None, new: str) -> str:
    """The title kept for a PMID read in several documents (files): the longer, then the
    greater, so that the choice does not depend on reading order. (Consecutive blocks of
    one document keep their first block's title: the builder does not ask then.)

    >>> choose_title(None, "A"), choose_title("Aspirin", "A")
    ('A', 'Aspirin')
    """
    if old is None or (len(new), new) > (len(old), old):
        return new
    return old


# --- relations ---------------------------------------------------------------------------

def relation_pairs(left: Iterable[str], right: Iterable[str], directed: bool) -> list[tuple[str, str]]:
    """The edges ``(u, v)`` one relation line makes between the entities of its two sides.

    Every entity of one side with every entity of the other, never an entity with itself;
    a symmetric type joins each unordered pair once, in sorted order.

    >>> relation_pairs({"300"}, {"100", "200"}, directed=False)
    [('100', '300'), ('200', '300')]
    >>> relation_pairs({"a"}, {"a"}, directed=True)
    []
    """
    if len(left) == 1 and len(right) == 1:  # the usual case, without sorting
        (u,), (v,) = left, right
        return [] if u == v else [(u, v) if directed or u < v else (v, u)]
    out: dict[tuple[str, str], None] = {}
    for u in sorted(left):
        for v in sorted(right):
            if u == v:
                continue
            out[(u, v) if directed or u < v else (v, u)] = None
    return list(out)


def typed_ref(ref: str) -> tuple[str, str] | None:
    """The ``(type, id)`` a typed relation id names by itself (``Disease|MESH:D017566``,
    as in PubTator3's bulk relation file and BioC ``role`` infons), or None.

    >>> typed_ref("Disease|MESH:D017566"), typed_ref("tmVar:c|SUB|A|1|G")
    (('Disease', 'MESH:D017566'), None)
    """
    etype, bar, ident = ref.partition("|")
    return (etype, ident) if bar and etype in ENTITY_TYPES else None


def relation_ref_keys(ref: str) -> tuple[tuple[str, ...], ...]:
    """Groups of keys under which a relation id may name its document's entities, tried
    in order when the id is not itself a key (the first group with a hit wins, its hits
    united): a variant's parts first when the id looks like a variant, then the pieces of
    a composite id (as written and as CURIEs), then variant parts.

    >>> relation_ref_keys("D007859,CHEBI:17345")
    (('D007859', 'MESH:D007859', 'CHEBI:17345'), ())
    """
    variant = variant_aliases(ref)
    pieces: list[str] = []
    for piece in ref.replace(";", "|").replace(",", "|").split("|"):
        piece = piece.strip()
        if piece:
            pieces.append(piece)
            curie = _curie(piece, "")
            if curie and curie != piece:
                pieces.append(curie)
    if variant and ("tmVar:" in ref or "HGVS:" in ref or "RS#:" in ref or "CorrespondingGene:" in ref):
        return (tuple(variant), tuple(pieces))
    return (tuple(pieces), tuple(variant))


def relation_note(text: str) -> tuple[bool, float | None]:
    """A relation line's 5th column: BioRED's novelty (``Novel``/``No``) or, in BC5CDR
    prediction files, a confidence score.

    >>> relation_note("Novel"), relation_note("No"), relation_note("0.87")
    ((True, None), (False, None), (False, 0.87))
    """
    t = text.strip()
    try:
        return False, float(t)
    except ValueError:
        return t.lower().startswith("novel"), None
