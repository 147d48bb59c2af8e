import pytest

from kg.normalize import (RELATION_TYPES, canonical_relation, canonical_type, entity_ids, is_abbreviation,
                          relation_directed, safe_name, variant_aliases)


@pytest.mark.parametrize("raw, expected", [
    ("GeneOrGeneProduct", "Gene"), ("DiseaseOrPhenotypicFeature", "Disease"), ("ChemicalEntity", "Chemical"),
    ("OrganismTaxon", "Species"), ("SequenceVariant", "Variant"), ("SpecificDisease", "Disease"),
    ("DiseaseClass", "Disease"), ("Modifier", "Disease"), ("CompositeMention", "Disease"),
    ("DNAMutation", "Variant"), ("ProteinMutation", "Variant"), ("SNP", "Variant"), ("Mutation", "Variant"),
    ("CellLine", "CellLine"), ("cellline", "CellLine"), ("Pathway", "Pathway"),
])
def test_canonical_types(raw, expected):
    assert canonical_type(raw) == expected


@pytest.mark.parametrize("raw, etype, expected", [
    ("D008180", "Disease", ("MESH:D008180",)),
    ("MESH:D008180", "Disease", ("MESH:D008180",)),
    ("mesh:D008180", "Chemical", ("MESH:D008180",)),
    ("9970", "Gene", ("NCBIGene:9970",)),
    ("9606", "Species", ("NCBITaxon:9606",)),
    ("Tax:10116", "Species", ("NCBITaxon:10116",)),
    ("83817(Tax:10116)", "Gene", ("NCBIGene:83817",)),
    ("D001|D002", "Disease", ("D001", "D002")),
    ("D014786|D006311", "Disease", ("MESH:D014786", "MESH:D006311")),
    ("1234;5678", "Gene", ("NCBIGene:1234", "NCBIGene:5678")),
    ("3172,3651,6927", "Gene", ("NCBIGene:3172", "NCBIGene:3651", "NCBIGene:6927")),
    ("D007674+D006222", "Disease", ("MESH:D007674", "MESH:D006222")),
    ("OMIM:300322+OMIM:102600", "Disease", ("OMIM:300322", "OMIM:102600")),
    (" D012878 ", "Disease", ("MESH:D012878",)),
    ("CVCL:0062", "CellLine", ("CVCL_0062",)),
    (" CVCL_1452", "CellLine", ("CVCL_1452",)),
    ("CHEBI:15889", "Chemical", ("CHEBI:15889",)),
    ("-", "Chemical", ()), ("-1", "Chemical", ()), ("", "Disease", ()),
    ("rs74805019", "Variant", ("dbSNP:rs74805019",)),
    ("c|INS|5382|C", "Variant", ("tmVar:c|INS|5382|C",)),
    ("p|SUB|D|506|G", "Variant", ("tmVar:p|SUB|D|506|G",)),
    ("tmVar:p|SUB|L|858|R;HGVS:p.L858R;VariantGroup:0;CorrespondingGene:1956;RS#:121434568;CA#:1",
     "Variant", ("dbSNP:rs121434568",)),
    ("tmVar:p|SUB|H|1975|R;HGVS:p.H1975R;VariantGroup:1;CorrespondingGene:1956", "Variant",
     ("tmVar:p|SUB|H|1975|R;CorrespondingGene:1956",)),
    ("c.1108C>T;RS#:45517159", "Variant", ("dbSNP:rs45517159",)),
    ("p.Q370*;CorrespondingGene:7249", "Variant", ("HGVS:p.Q370*;CorrespondingGene:7249",)),
    ("10510452_139", "Variant", ("10510452_139",)),
])
def test_entity_ids(raw, etype, expected):
    assert entity_ids(raw, etype) == expected


def test_variant_aliases_cover_every_way_a_relation_names_it():
    aliases = variant_aliases("tmVar:p|SUB|L|858|R;HGVS:p.L858R;CorrespondingGene:1956;RS#:121434568")
    assert {"tmVar:p|SUB|L|858|R", "HGVS:p.L858R", "RS#:121434568", "rs121434568"} <= set(aliases)


def test_relation_vocabulary_has_one_key_per_meaning():
    for bulk, api in [("associate", "Association"), ("positive_correlate", "Positive_Correlation"),
                      ("negative_correlate", "Negative_Correlation"), ("interact", "Bind"),
                      ("cotreat", "Cotreatment"), ("compare", "Comparison"),
                      ("drug_interact", "Drug_Interaction"), ("convert", "Conversion")]:
        assert canonical_relation(bulk) == canonical_relation(api) == (api, True)
    for name in ("treat", "cause", "prevent", "inhibit", "stimulate", "CID"):
        key, known = canonical_relation(name)
        assert known and relation_directed(key)
    assert not relation_directed("Association")
    names = [r.name for r in RELATION_TYPES]
    assert len(names) == len(set(names))
    assert all(safe_name(n) == n for n in names)


def test_unknown_relation_types_are_made_safe():
    key, known = canonical_relation("x`]->() DETACH DELETE n //")
    assert not known and key == "x_DETACH_DELETE_n"
    assert safe_name("123") == "T_123" and safe_name("``") == "Unknown"


def test_abbreviations():
    assert is_abbreviation("SLE") and is_abbreviation("IL-6") and is_abbreviation("CAR")
    assert not is_abbreviation("lupus") and not is_abbreviation("Systemic lupus erythematosus")
