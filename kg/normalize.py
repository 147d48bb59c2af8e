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
    "mondo": "MONDO",
    "doid": "DOID",
    "hp": "HP",
    "go": "GO",
}
_MESH = re.compile(r"[CDcd]\d{6,9}")
_COMPOSITE = re.compile(r"[|;,+]")


def _curie(raw: str, etype: str) -> str | None:
    """One identifier (not composite) → CURIE, or ``None`` for "no identifier"."""
    ident = raw.strip()
    if ident in NO_ID:
        return None
    paren = ident.find("(")  # `83817(Tax:10116)`: gene id with its species
    if paren > 0:
        ident = ident[:paren].strip()
    if ident.isdigit():
        if etype == "Gene":
            return "NCBIGene:" + ident
        if etype == "Species":
            return "NCBITaxon:" + ident
        return ident
    prefix, colon, local = ident.partition(":")
    if colon:
        local = local.strip()
        if not local:
            return None
        low = prefix.strip().lower()
        if low in ("cvcl", "cellosaurus"):
            return "CVCL_" + local.removeprefix("CVCL_")
        return _PREFIXES.get(low, prefix.strip()) + ":" + local
    if _MESH.fullmatch(ident):
        return "MESH:" + ident.upper()
    return ident


def _variant_parts(raw: str) -> dict[str, str]:
    """Split a tmVar / PubTator3 variant id into its named parts.

    ``tmVar:p|SUB|L|858|R;HGVS:p.L858R;CorrespondingGene:1956;RS#:121434568`` →
    ``{"tmVar": "p|SUB|L|858|R", "HGVS": "p.L858R", "CorrespondingGene": "1956", "RS#": "121434568"}``.
    Unnamed parts are classified: ``rs…`` → RS#, ``x|…`` → tmVar, ``p.…`` → HGVS,
    anything else → ``other`` (a corpus's own id, kept as written).
    """
    parts: dict[str, str] = {}
    for piece in raw.strip().split(";"):
        piece = piece.strip()
        if not piece or piece in NO_ID:
            continue
        key, colon, value = piece.partition(":")
        if colon and "|" not in key and key and not key[0].isdigit() and key not in ("c", "p", "g", "m", "n", "r"):
            parts.setdefault(key, value.strip())
        elif piece[:2].lower() == "rs" and piece[2:].isdigit():
            parts.setdefault("RS#", piece[2:])
        elif "|" in piece:
            parts.setdefault("tmVar", piece)
        elif piece[1:2] == "." and piece[0] in "cgmnpr":
            parts.setdefault("HGVS", piece)
        else:
            parts.setdefault("other", piece)
    return parts


def _variant_id(raw: str) -> str | None:
    parts = _variant_parts(raw)
    rs = parts.get("RS#", "").removeprefix("rs")
    if rs:
        return "dbSNP:rs" + rs
    gene = parts.get("CorrespondingGene")
    suffix = f";CorrespondingGene:{gene}" if gene else ""
    if parts.get("tmVar"):
        return "tmVar:" + parts["tmVar"] + suffix
    if parts.get("HGVS"):
        return "HGVS:" + parts["HGVS"] + suffix
    return parts.get("other")  # an id of the corpus's own, kept as written


def variant_aliases(raw: str) -> list[str]:
    """Keys under which a variant can be named in a relation line of the same document.

    >>> variant_aliases("tmVar:p|SUB|L|858|R;HGVS:p.L858R;RS#:121434568")
    ['tmVar:p|SUB|L|858|R', 'p|SUB|L|858|R', 'HGVS:p.L858R', 'p.L858R', 'RS#:121434568', 'rs121434568']
    """
    parts = _variant_parts(raw)
    out = []
    if "tmVar" in parts:
        out += ["tmVar:" + parts["tmVar"], parts["tmVar"]]
    if "HGVS" in parts:
        out += ["HGVS:" + parts["HGVS"], parts["HGVS"]]
    if "RS#" in parts:
        out += ["RS#:" + parts["RS#"], "rs" + parts["RS#"]]
    return out


@lru_cache(maxsize=1 << 20)
def entity_ids(raw: str, etype: str) -> tuple[str, ...]:
    """Node ids (CURIEs) for an identifier as written, given its canonical type.

    Composite ids (``D001|D002``, ``1234;5678``, BioRED's ``1,2``, NCBI-disease's
    ``D1+D2``) give one id each; variant ids are one id, read by :func:`_variant_id`.
    An empty / ``-`` / ``-1`` id gives ``()``.

    >>> entity_ids("D014786|D006311", "Disease")
    ('MESH:D014786', 'MESH:D006311')
    >>> entity_ids("9970", "Gene"), entity_ids("CVCL:0062", "CellLine")
    (('NCBIGene:9970',), ('CVCL_0062',))
    >>> entity_ids("p|SUB|D|506|G", "Variant")
    ('tmVar:p|SUB|D|506|G',)
    """
    ident = raw.strip()
    if ident in NO_ID:
        return ()
    if etype == "Variant":
        vid = _variant_id(ident)
        return (vid,) if vid else ()
    if _COMPOSITE.search(ident) is None:
        curie = _curie(ident, etype)
        return (curie,) if curie else ()
    out: list[str] = []
    for piece in _COMPOSITE.split(ident):
        curie = _curie(piece, etype)
        if curie and curie not in out:
            out.append(curie)
    return tuple(out)


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
    return (0, int(pmid), pmid) if pmid.isdigit() else (1, 0, pmid)


def sort_pmids(pmids: Iterable[str]) -> list[str]:
    """``sorted(pmids, key=pmid_sort_key)``, 2-3x faster when every id is a number (the
    usual case): the inner sort breaks ties between ids such as ``01`` and ``1``."""
    pmids = list(pmids)
    if "".join(pmids).isdigit():
        return sorted(sorted(pmids), key=int)
    return sorted(pmids, key=pmid_sort_key)


def choose_name(forms: dict[str, list[int]]) -> str | None:
    """The readable name of an entity from its mention forms.

    The most frequent full form, compared case-insensitively (an abbreviation only when
    there is nothing else); within that spelling, the form used outside the title (titles
    are often Title Case), then the most frequent, then the first alphabetically.

    >>> choose_name({"SLE": [11, 11], "Systemic Lupus Erythematosus": [1, 0],
    ...              "Systemic lupus erythematosus": [1, 1]})
    'Systemic lupus erythematosus'
    """
    if not forms:
        return None
    full = [f for f in forms if not is_abbreviation(f)] or list(forms)
    groups: dict[str, int] = {}
    for f in full:
        k = f.lower()
        groups[k] = groups.get(k, 0) + forms[f][0]
    best = min(groups, key=lambda k: (-groups[k], k))
    return min((f for f in full if f.lower() == best), key=lambda f: (-forms[f][1], -forms[f][0], f))
