"""Every format PubTator data comes in gives the same graph: BioC XML/JSON, PubTator3 API
exports, NCBI bulk concept and relation files; detection by content; broken files are
reported, not fatal; big files stream."""

import gzip
import json
import shutil
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import kg
import kg.bioc
from kg.bioc import parse_bioc_json, parse_bioc_xml, read_bioc_json, read_bioc_xml
from kg.bulk import parse_bulk_concepts, parse_bulk_relations
from kg.errors import ParseError
from kg.formats import READERS, sniff_format
from kg.pubtator import LineCounts, read_pubtator

from conftest import DATA as TEST_DATA, SEED, require_corpora

DATA = TEST_DATA / "bulk"
BIOC = TEST_DATA / "bioc"  # excerpts of the corpora's bioc/ (tests/data/README.md)
API_XML = BIOC / "pubtator3_api_bioin401" / "pubtator3.33333140.xml"
API_TXT = BIOC / "pubtator3_api_bioin401" / "pubtator3.33333140.txt"


def graph_facts(G):
    """What must agree between formats: nodes, their pmids, edges with their pmids."""
    nodes = {n: d["pmids"] for n, d in G.nodes(data=True)}
    edges = {(u, v, k, tuple(d["pmids"])) for u, v, k, d in G.edges(keys=True, data=True)}
    return nodes, edges


def full(G):
    return (sorted(G.nodes(data=True)), sorted(G.edges(keys=True, data=True)), G.graph.get("articles"))


def lenient(reader, source, **kw):
    rejected, counts = [], LineCounts()
    docs = list(reader(source, on_reject=rejected.append, counts=counts, **kw))
    return docs, rejected, counts


def reconciled(counts, docs):
    return (counts.lines == counts.blank + counts.comment + counts.records + counts.rejected
            and counts.annotations == sum(len(d.annotations) for d in docs)
            and counts.relations == sum(len(d.relations) for d in docs))


# --- the same documents in three formats --------------------------------------------------


# BioRED Dev in three formats: the 4-document excerpt in tests/data and the whole file
# (100 documents) in the big corpora. Annotation and relation lines counted with awk.
BIORED_DEV = {"data": (lambda: TEST_DATA, 4, 141, 26, 25), "corpora": (require_corpora, 100, 3533, 1162, 900)}


@pytest.fixture(scope="module", params=["data", pytest.param("corpora", marks=pytest.mark.corpora)])
def biored_dev(request):
    root, *expected = BIORED_DEV[request.param]
    root = root()
    return expected, {
        "pubtator": kg.build(root / "biored" / "Dev.PubTator"),
        "bioc-xml": kg.build(root / "bioc" / "biored" / "Dev.BioC.XML"),
        "bioc-json": kg.build(root / "bioc" / "biored" / "Dev.BioC.JSON"),
    }


def test_biored_dev_gives_the_same_graph_in_pubtator_bioc_xml_and_bioc_json(biored_dev):
    (documents, annotations, relations, min_edges), biored_dev = biored_dev
    text = biored_dev["pubtator"]
    nodes, edges = graph_facts(text.graph)
    assert len({p for ps in nodes.values() for p in ps}) == documents and len(edges) > min_edges
    for fmt in ("bioc-xml", "bioc-json"):
        G, report = biored_dev[fmt]
        assert report.files[0]["format"] == fmt
        assert graph_facts(G) == (nodes, edges), fmt
        # Names, synonyms, mention counts, novelty and article titles agree too: the
        # BioC readers give the very same documents (offsets included).
        assert full(G) == full(text.graph), fmt
        assert report.reconciles() and report.rejected == []
        assert (report.lines.annotations, report.lines.relations) == (annotations, relations)
        assert report.unresolved_relations == text.report.unresolved_relations == []


def test_bioc_documents_equal_the_pubtator_documents_record_for_record():
    def key(d):
        return (d.pmid, d.title, d.abstract, [a[:6] for a in d.annotations], [r[:4] + (r.novel,) for r in d.relations])

    text = [key(d) for d in read_pubtator(TEST_DATA / "biored" / "Dev.PubTator")]
    assert [key(d) for d in read_bioc_xml(BIOC / "biored" / "Dev.BioC.XML")] == text
    assert [key(d) for d in read_bioc_json(BIOC / "biored" / "Dev.BioC.JSON")] == text


@pytest.mark.parametrize("path, reader", [
    (BIOC / "biored" / "Dev.BioC.XML", read_bioc_xml),
    pytest.param("bioc/pubtator3_api_netmedex/22429397_full_240916.json", read_bioc_json, marks=pytest.mark.corpora),
    (API_XML, read_bioc_xml),
], ids=["biored-dev", "full-text-corpora", "api-xml"])
def test_bioc_offsets_stay_document_global(path, reader):
    # title + " " + abstract, with the passages placed at their offsets, is the text
    # that PubTator offsets point into, for abstracts and for a 151-passage full text
    # (845 KB: in the big corpora only).
    if isinstance(path, str):
        path = require_corpora(path)
    n = 0
    for d in reader(path):
        text = d.title + " " + (d.abstract or "")
        for a in d.annotations:
            assert text[a.start:a.end] == a.text, (d.pmid, a)
            n += 1
    assert n >= 25


def _xml_to_pubtator3_json(path):
    """BioC XML → PubTator3-shaped BioC JSON (roles as objects), element for element."""
    def infons(e):
        return {i.get("key"): i.text or "" for i in e.findall("infon")}

    def annotation(a):
        loc = a.find("location")
        return {"id": a.get("id"), "infons": infons(a), "text": a.findtext("text"),
                "locations": [{"offset": int(loc.get("offset")), "length": int(loc.get("length"))}]}

    def role(value):
        etype, _, ident = value.partition("|")
        return {"identifier": ident, "type": etype, "valid": True}

    docs = []
    for d in ET.parse(path).getroot().iter("document"):
        docs.append({
            "_id": d.findtext("id") + "|None", "id": d.findtext("id"), "infons": infons(d),
            "passages": [{"infons": infons(p), "offset": int(p.findtext("offset")), "text": p.findtext("text"),
                          "sentences": [], "annotations": [annotation(a) for a in p.findall("annotation")],
                          "relations": []} for p in d.findall("passage")],
            "relations": [{"id": r.get("id"), "infons": {**infons(r), "role1": role(infons(r)["role1"]),
                                                         "role2": role(infons(r)["role2"])},
                           "nodes": [{"refid": "0", "role": "17,13"}]} for r in d.findall("relation")],
        })
    return json.dumps({"PubTator3": docs}, indent=4)


# Pairs that really are one PubTator3 API export in two formats (checked: same title,
# same annotation spans, types and relations). The NetMedEx text 37026113.pubtator has
# no abstract line, its JSON has the abstract: the graph does not depend on it.
API_PAIRS = [
    (API_TXT, API_XML),
    (TEST_DATA / "pubtator3_netmedex" / "pubtator3.37026113.pubtator",
     BIOC / "pubtator3_api_netmedex" / "pubtator3.37026113.json"),
    (TEST_DATA / "pubtator3_netmedex" / "pubtator3.37026113_240614.pubtator",
     BIOC / "pubtator3_api_netmedex" / "pubtator3.37026113_240614.json"),
    (TEST_DATA / "pubtator3_netmedex" / "22429397_abstract_240916.pubtator",
     BIOC / "pubtator3_api_netmedex" / "22439397_abstract_240916.json"),  # sic: the JSON's name has a typo
    pytest.param("pubtator3_netmedex/22429397_full_240916.pubtator",  # the JSON is 845 KB: big corpora only
                 "bioc/pubtator3_api_netmedex/22429397_full_240916.json", marks=pytest.mark.corpora),
]


@pytest.mark.parametrize("text, bioc", API_PAIRS, ids=lambda p: Path(p).name)
def test_pubtator3_api_exports_give_the_same_graph(text, bioc):
    if isinstance(text, str):
        text, bioc = require_corpora(text), require_corpora(bioc)
    G_text, r_text = kg.build(text)
    G_bioc, r_bioc = kg.build(bioc)
    assert graph_facts(G_bioc) == graph_facts(G_text)
    # Nodes agree but for the names: PubTator3's BioC carries its own (`name` infons), its
    # text does not; where it gave one, the name is taken (name_source pubtator3).
    unnamed = lambda G: sorted((n, {k: v for k, v in d.items() if k not in ("name", "name_source")})
                               for n, d in G.nodes(data=True))
    assert unnamed(G_bioc) == unnamed(G_text)
    named = [d for _, d in G_bioc.nodes(data=True) if d.get("name_source") == "pubtator3"]
    assert all(d["name"] for d in named)
    # Edges differ only in the ids as written: PubTator3's BioC roles are typed
    # (`Disease|MESH:D017566`), its text is not (`MESH:D017566`); both resolve to one node.
    strip = lambda G: sorted((u, v, k, d["pmids"], d["source_types"]) for u, v, k, d in G.edges(keys=True, data=True))
    assert strip(G_bioc) == strip(G_text) and G_text.number_of_edges() >= 1
    assert r_bioc.reconciles() and r_bioc.unresolved_relations == r_text.unresolved_relations == []
    assert r_bioc.lines.annotations == r_text.lines.annotations
    assert r_bioc.lines.relations == r_text.lines.relations


def test_one_pmid_in_pubtator_text_biocxml_and_biocjson_gives_one_graph(tmp_path):
    # PMID 33333140: the API's pubtator and biocxml exports are real; its biocjson is
    # made here from the XML, element for element, in the PubTator3 JSON shape.
    (tmp_path / "33333140.json").write_text(_xml_to_pubtator3_json(API_XML))
    assert sniff_format(tmp_path / "33333140.json")[0] == "bioc-json"
    graphs = [kg.build(p).graph for p in (API_TXT, API_XML, tmp_path / "33333140.json")]
    assert graph_facts(graphs[1]) == graph_facts(graphs[0]) == graph_facts(graphs[2])
    assert full(graphs[1]) == full(graphs[2])
    assert graphs[0].number_of_nodes() == 17 and graphs[0].number_of_edges() == 10


def test_bulk_concepts_and_relations_give_the_graph_of_the_pubtator_export(tmp_path):
    # tests/data/bulk/*.sample hold PMID 33333140 written in the documented bulk
    # layouts (one concept line per entity listing every mention; relations with typed
    # ids and lowercase relation2pubtator3 verbs) plus a PMID 34000001 of quirks.
    text = kg.build(API_TXT).graph
    bulk, report = kg.build([DATA / "bioconcepts2pubtator3.sample", DATA / "relation2pubtator3.sample"])
    assert [f["format"] for f in report.files] == ["bulk-concepts", "bulk-relations"]
    sub = bulk.subgraph([n for n, d in bulk.nodes(data=True) if "33333140" in d["pmids"]])
    assert graph_facts(sub) == graph_facts(text)
    for n, d in text.nodes(data=True):
        assert (sub.nodes[n]["type"], sub.nodes[n]["mentions"], sub.nodes[n]["synonyms"]) == (
            d["type"], d["mentions"], d["synonyms"]), n
    # The only difference is the relation names as written in each file.
    assert {k: set(d["source_types"]) for _, _, k, d in sub.edges(keys=True, data=True)} == {
        "Association": {"associate"}, "Positive_Correlation": {"positive_correlate"}}
    assert report.reconciles() and report.rejected == [] and report.unresolved_relations == []


# --- bulk files -----------------------------------------------------------------------------


def test_bulk_quirks_from_the_documented_layouts():
    G, report = kg.build([DATA / "bioconcepts2pubtator3.sample", DATA / "relation2pubtator3.sample",
                          DATA / "gene2pubtator.sample"])
    assert G.nodes["CVCL_0062"]["type"] == "CellLine"
    assert G.nodes["NCBIGene:7248"]["pmids"] == G.nodes["NCBIGene:7249"]["pmids"] == ["34000001"]  # `7248;7249`
    assert G.nodes["dbSNP:rs113488022"]["type"] == "Variant"  # tmVar concept id, typed relation id alike
    assert G.has_edge("MESH:D008545", "dbSNP:rs113488022", "Association")
    assert G.nodes["NCBIGene:673"]["synonyms"] == {"BRAF": 2, "B-Raf": 1}  # each listed form is one mention
    assert G.nodes["NCBIGene:673"]["mentions"] == 3
    # A typed relation id names its entity without any concept line.
    assert G.nodes["MESH:D000970"]["mentions"] == 0 and G.has_edge("MESH:D000970", "NCBIGene:673", "Inhibit")
    # PubTator 1 gene2pubtator: header line, no Type column, CRLF, no final newline.
    assert G.nodes["NCBIGene:3569"]["pmids"] == ["10022392", "33333140"]
    assert G.nodes["NCBIGene:83817"]["type"] == "Gene"  # `83817(Tax:10116)`
    assert report.mentions_without_id == {"Chemical": 2, "Disease": 1, "Gene": 1}  # `-` and empty ids
    assert report.lines.comment == 1 and report.reconciles()


@pytest.mark.parametrize("transform", [
    lambda t: t.replace("\n", "\r\n"),
    lambda t: "\ufeff" + t,
    lambda t: t.replace("\n", "\t \n"),
    lambda t: "PMID\tType\tConceptID\tMentions\tResource\n" + t,
    lambda t: t.rstrip("\n"),
], ids=["crlf", "bom", "trailing-tab-space", "header", "no-final-newline"])
def test_bulk_concept_quirks_give_the_same_documents(transform):
    raw = (DATA / "bioconcepts2pubtator3.sample").read_text()
    key = lambda docs: [(d.pmid, [a[:6] for a in d.annotations]) for d in docs]
    expected, _, _ = lenient(parse_bulk_concepts, raw.splitlines(True))
    docs, rejected, counts = lenient(parse_bulk_concepts, transform(raw).encode().splitlines(True))
    assert key(docs) == key(expected) and rejected == [] and reconciled(counts, docs)


def test_bulk_groups_runs_of_one_pmid_and_a_returning_pmid_is_merged_by_the_builder(tmp_path):
    lines = ["1\tGene\t673\tBRAF\tPubTator3", "1\tDisease\tMESH:D008545\tmelanoma\tMeSH",
             "2\tGene\t673\tBRAF\tPubTator3", "1\tGene\t673\tB-Raf\tPubTator3"]
    docs, rejected, counts = lenient(parse_bulk_concepts, lines)
    assert [(d.pmid, len(d.annotations), d.lineno) for d in docs] == [("1", 2, 1), ("2", 1, 3), ("1", 1, 4)]
    assert docs[0].annotations[0].start == docs[0].annotations[0].end == -1
    (tmp_path / "c.tsv").write_text("\n".join(lines) + "\n")
    G, report = kg.build(tmp_path)
    assert G.nodes["NCBIGene:673"]["pmids"] == ["1", "2"] and G.nodes["NCBIGene:673"]["mentions"] == 3
    assert report.documents == 3 and report.reconciles()


def test_pubtator1_concept_file_takes_its_type_from_name_or_header():
    lines = ["PMID\tMeshID\tMentions\tResource", "7\tMESH:D001241\taspirin|ASA\tMeSH"]
    for path, etype in (("chemical2pubtator", "Chemical"), ("disease2pubtator.gz", "Disease")):
        (doc,), rejected, _ = lenient(parse_bulk_concepts, lines, path=path)
        assert doc.annotations[0][:6] == ("7", -1, -1, "aspirin|ASA", etype, "MESH:D001241") and not rejected
    # A MeshID column in a file whose name does not tell Disease from Chemical: every line
    # is rejected with a reason saying what to do, nothing is guessed.
    docs, rejected, counts = lenient(parse_bulk_concepts, lines, path="concepts.txt")
    assert docs == [] and len(rejected) == 1 and "disease2pubtator" in rejected[0].reason
    assert reconciled(counts, docs)
    (doc,), _, _ = lenient(parse_bulk_concepts, ["PMID\tTaxID\tMentions\tResource", "7\t9606\thuman\tSR4GN"],
                           path="x.txt")
    assert doc.annotations[0].type == "Species"
    (doc,), _, _ = lenient(parse_bulk_concepts, ["7\t9606\thuman\tSR4GN"], path="species2pubtator")
    assert doc.annotations[0][4:6] == ("Species", "9606")


def test_the_real_disease2pubtator_excerpt_reads_every_line():
    path = TEST_DATA / "pubtator3_bulk" / "pubtator1_disease2pubtator" / "disease2pubtator.txt"
    assert sniff_format(path)[0] == "bulk-concepts"
    G, report = kg.build(path)
    assert report.lines.annotations == 696 and report.lines.comment == 1 and report.rejected == []
    # The excerpt is not grouped by PMID (1000018 is on lines 3 and 229): 473 runs of one
    # PMID give 473 documents, which the builder merges into the 379 PMIDs of the file.
    assert report.documents == 473 and report.reconciles()
    assert len({p for _, d in G.nodes(data=True) for p in d["pmids"]}) == 379
    assert set(report.nodes_by_type) == {"Disease"}
    # `pancreatitis|carcinoma of the pancreas|pancreatitis`: each listed form is one mention.
    assert G.nodes["MESH:D010190"]["synonyms"]["pancreatitis"] >= 2


@pytest.mark.parametrize("path, reasons", [
    ("bioconcepts2pubtator3.malformed",
     ["concept line with 2 columns", "number '673' in the Type column", "without a PMID", "empty type"]),
    ("relation2pubtator3.malformed", ["relation line with 3 columns", "relation line with an empty type"]),
])
def test_malformed_bulk_lines_are_rejected_with_line_and_reason(path, reasons):
    G, report = kg.build(DATA / "malformed" / path)
    assert [r["line"] for r in report.rejected] == [2, 3, 4, 5][: len(reasons)]
    for got, want in zip(report.rejected, reasons):
        assert want in got["reason"] and got["path"].endswith(path)
    assert report.reconciles()
    with pytest.raises(ParseError, match=rf"{path}:2: "):
        kg.build(DATA / "malformed" / path, strict=True)


def test_relation_file_ids_without_type_go_to_the_report():
    _, report = kg.build(DATA / "malformed" / "relation2pubtator3.malformed")
    assert [(u["line"], u["id1"]) for u in report.unresolved_relations] == [(4, "MESH:D009369")]


def test_bulk_relations_keep_novelty_and_ignore_other_extra_columns():
    docs, rejected, _ = lenient(parse_bulk_relations, [
        "PMID\ttype\tentity1\tentity2", "5\tassociate\tGene|1\tGene|2\tNovel", "5\ttreat\tChemical|D1\tDisease|D2\t0.9"])
    assert [(r.type, r.novel) for r in docs[0].relations] == [("associate", "Novel"), ("treat", "")]
    assert rejected == []


# --- BioC details ---------------------------------------------------------------------------


def test_everything_bioc_element_is_read_and_relations_without_type_are_rejected():
    for path, reader in ((BIOC / "bioc_python_tests" / "everything.xml", read_bioc_xml),
                         (BIOC / "bioc_python_tests" / "everything.json", read_bioc_json)):
        rejected, counts = [], LineCounts()
        docs = list(reader(path, on_reject=rejected.append, counts=counts))
        assert [d.pmid for d in docs] == ["1", "2"]
        assert docs[0].title == "abcdefghijklmnopqrstuvwxyz"
        assert docs[1].title == "abcdefg测试Non-ASCII"  # sentences placed at their offsets (27, 34)
        # passage-, sentence- and document-level annotations
        assert [(a.start, a.end, a.text) for d in docs for a in d.annotations] == [
            (1, 3, "bc"), (5, 7, "fg"), (5, 7, "fg"), (28, 30, "bc"), (34, 36, "测试")]
        assert [r.lineno for r in rejected] == [5, 6, 10] and all("without a type" in r.reason for r in rejected)
        assert counts.text == 2 and counts.annotations == 5 and reconciled(counts, docs)


def test_relations_from_annotation_nodes_and_role_objects():
    doc = {"id": "9", "passages": [{"offset": 0, "text": "BRAF causes melanoma", "annotations": [
        {"id": "a1", "infons": {"type": "Gene", "NCBI Gene": "673"}, "text": "BRAF", "locations": [{"offset": 0, "length": 4}]},
        {"id": "a2", "infons": {"type": "Disease", "MESH": "D008545"}, "text": "melanoma",
         "locations": [{"offset": 12, "length": 8}]}]}],
        "relations": [
            {"id": "R1", "infons": {"type": "Association"}, "nodes": [{"refid": "a1", "role": "x"}, {"refid": "a2", "role": "y"}]},
            {"id": "R2", "infons": {"Type": "Bind", "Entity1": "673", "Entity2": "D008545", "novel": "Novel"}},
            {"id": "R3", "infons": {"type": "Association", "role1": {"type": "Gene", "identifier": "673"},
                                    "role2": {"type": "Disease", "identifier": "MESH:D008545"}}},
            {"id": "R4", "infons": {"type": "Association"}, "nodes": [{"refid": "a1"}, {"refid": "zz"}]}]}
    (d,), rejected, counts = lenient(parse_bioc_json, json.dumps(doc))
    assert [a.identifier for a in d.annotations] == ["673", "MESH:D008545"]
    assert [(r.type, r.id1, r.id2, r.novel) for r in d.relations] == [
        ("Association", "673", "MESH:D008545", ""), ("Bind", "673", "D008545", "Novel"),
        ("Association", "Gene|673", "Disease|MESH:D008545", "")]
    assert [r.lineno for r in rejected] == [7] and "names no entities" in rejected[0].reason
    assert reconciled(counts, [d])


@pytest.mark.parametrize("doc, pmid", [
    ({"_id": "22429397|PMC3446384", "id": "3446384", "pmid": 22429397, "passages": []}, "22429397"),
    ({"id": "3446384", "passages": [{"infons": {"article-id_pmid": "22429397", "type": "front"}, "text": "t"}]},
     "22429397"),
    ({"_id": "37026113|None", "id": "37026113", "passages": []}, "37026113"),
    ({"id": "PMC1", "infons": {"pmid": "5"}, "passages": []}, "5"),
    ({"id": "abc", "passages": []}, "abc"),
])
def test_pmid_of_a_bioc_document(doc, pmid):
    assert [d.pmid for d in parse_bioc_json(json.dumps(doc))] == [pmid]


def test_title_is_the_title_passage_and_other_passages_keep_their_offsets():
    doc = {"id": "1", "passages": [
        {"infons": {"type": "abstract"}, "offset": 6, "text": "Second."},
        {"infons": {"type": "title"}, "offset": 0, "text": "First"},
        {"infons": {"type": "paragraph"}, "offset": 16, "text": "Third."}]}
    (d,) = parse_bioc_json(json.dumps(doc))
    assert (d.title, d.abstract) == ("First", "Second.   Third.")
    doc["passages"] = [p for p in doc["passages"] if p["infons"]["type"] != "title"]
    (d,) = parse_bioc_json(json.dumps(doc))
    assert (d.title, d.abstract) == (None, "      Second.   Third.")


@pytest.mark.parametrize("text", [
    '{"documents": [{"id": "1", "passages": []}, {"id": "2", "passages": []}]}',
    '{"source": "s", "documents": [{"id": "1", "passages": []}, {"id": "2", "passages": []}], "key": "k"}',
    '{"PubTator3": [{"id": "1", "passages": []}, {"id": "2", "passages": []}]}',
    '[{"id": "1", "passages": []}, {"id": "2", "passages": []}]',
    '{"id": "1", "passages": []}\n{"id": "2", "passages": []}\n',
    '\ufeff{"id": "1", "passages": []}\r\n[{"PubTator3": [{"id": "2"}]}]',
], ids=["collection", "collection-keys-around", "pubtator3", "list", "ndjson", "bom-crlf-nested"])
def test_every_json_shape(text):
    docs, rejected, _ = lenient(parse_bioc_json, text.encode())
    assert [d.pmid for d in docs] == ["1", "2"] and rejected == []


@pytest.mark.parametrize("text, where", [
    ('{"PubTator3": [{"id": "1", "passages": []}, {"id": "2" "passages": []}]}', "line 1, column 56 (character 56)"),
    ('{"documents": [{"id": "1", "passages": []},\n', "line 2"),
    ('[{"id": "1", "passages": []}, 7]', None),
    ('{"id": "1", "passages": []}\n{"id": ', "line 2, column 8"),
    ('\ufeff{"id": "1", "passages": []} x', "line 1, column 29"),
])
def test_broken_json_keeps_the_documents_before_and_says_where(text, where):
    docs, rejected, counts = lenient(parse_bioc_json, text)
    assert [d.pmid for d in docs] == ["1"] and len(rejected) == 1
    if where:
        assert where in rejected[0].reason and "invalid JSON" in rejected[0].reason
    assert reconciled(counts, docs)
    with pytest.raises(ParseError):
        list(parse_bioc_json(text, path="x.json"))


def test_json_and_xml_read_in_tiny_pieces_give_the_same_documents(monkeypatch):
    # Values cut anywhere by the buffer (inside strings, numbers, UTF-8 sequences, CRLF)
    # are decoded again once more has been read.
    path = BIOC / "bioc_python_tests" / "everything.json"
    raw = path.read_bytes().replace(b"\n", b"\r\n")
    key = lambda docs: [(d.pmid, d.title, d.abstract, d.annotations, d.relations) for d in docs]
    whole, _, _ = lenient(parse_bioc_json, raw)
    monkeypatch.setattr(kg.bioc, "CHUNK", 16)
    for size in (1, 7, 50):
        pieces = [raw[i:i + size] for i in range(0, len(raw), size)]
        docs, _, _ = lenient(parse_bioc_json, pieces)
        assert key(docs) == key(whole), size
    xml = (BIOC / "bioc_python_tests" / "everything.xml").read_bytes()
    whole, _, _ = lenient(parse_bioc_xml, xml)
    docs, _, _ = lenient(parse_bioc_xml, [xml[i:i + 7] for i in range(0, len(xml), 7)])
    assert key(docs) == key(whole) and len(docs) == 2


def test_bad_annotation_locations_are_rejected_alone():
    xml = ('<collection><document><id>1</id><passage><offset>0</offset><text>abc</text>'
           '<annotation id="1"><infon key="type">Gene</infon><location offset="x" length="2"/></annotation>'
           '<annotation id="2"><infon key="type">Gene</infon><location offset="-1" length="2"/></annotation>'
           '<annotation id="3"><infon key="type">Gene</infon><infon key="identifier">1</infon></annotation>'
           '</passage></document></collection>')
    (d,), rejected, counts = lenient(parse_bioc_xml, xml)
    assert [r.lineno for r in rejected] == [2, 3] and all("bad location" in r.reason for r in rejected)
    assert [a[:6] for a in d.annotations] == [("1", -1, -1, "", "Gene", "1")]  # no location: document-level
    assert reconciled(counts, [d])


def test_xml_that_is_not_bioc_is_named():
    docs, rejected, _ = lenient(parse_bioc_xml, b"<PubmedArticleSet><PubmedArticle/></PubmedArticleSet>")
    assert docs == [] and "<PubmedArticleSet> is not a BioC" in rejected[0].reason


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize("content, fmt", [
    ("<?xml version='1.0'?><!DOCTYPE collection SYSTEM 'BioC.dtd'><collection>", "bioc-xml"),
    ("<!-- c --><document><id>1</id>", "bioc-xml"),
    ('<?xml version="1.0"?>\n<PubmedArticleSet>', "xml"),
    ("<!DOCTYPE html><html><body>Too many requests</body></html>", "html"),
    ('{"PubTator3": [', "bioc-json"),
    ('\r\n [ {"id": "1"', "bioc-json"),
    ("[![build](x)](y) readme", "unknown"),
    ("1|t|Title\n1\t0\t5\tTitle\tGene\t1\n", "pubtator"),
    ("1\t0\t5\tTitle\tGene\t1\n", "pubtator"),
    ("1\tGene\t673\n", "pubtator"),  # document-level PubTator annotation
    ("1\tAssociation\t673\tD008545\tNovel\n", "pubtator"),
    ("PMID\tMeshID\tMentions\tResource\r\n1\tMESH:D1\tx\tDNorm\r\n", "bulk-concepts"),
    ("1\tGene\t673\tBRAF|B-raf\tPubTator3\n1\tDisease\tMESH:D1\tx\tMeSH\n", "bulk-concepts"),
    ("1\tassociate\tGene|673\tDisease|MESH:D1\n", "bulk-relations"),
    ("1\tGene\t673\tBRAF\tPubTator3\n1\tAssociation\t673\tD1\n1\tBind\t673\tD2\n", "pubtator"),  # mixed: text
    ("just some prose\n", "unknown"),
], ids=lambda v: v if v in READERS or v in ("xml", "html", "unknown") else None)
def test_sniff_tells_formats_by_content(tmp_path, content, fmt):
    (tmp_path / "f").write_bytes(content.encode())
    (tmp_path / "f.gz").write_bytes(gzip.compress(content.encode()))
    assert sniff_format(tmp_path / "f")[0] == fmt
    assert sniff_format(tmp_path / "f.gz")[0] == fmt


@pytest.mark.parametrize("root, json_files", [(lambda: TEST_DATA, 5),
                                              pytest.param(require_corpora, 6, marks=pytest.mark.corpora)],
                         ids=["data", "corpora"])
def test_sniff_on_the_shared_bioc_and_bulk_files(root, json_files):
    root = root()
    got = {p.name: sniff_format(p)[0] for p in sorted((root / "bioc").rglob("*")) if p.is_file()}
    assert {n for n, f in got.items() if f == "bioc-xml"} == {"Dev.BioC.XML", "everything.xml", "pubtator3.33333140.xml"}
    assert len([f for f in got.values() if f == "bioc-json"]) == json_files
    assert got["pubtator3.33333140.txt"] == "pubtator"
    bulk = root / "pubtator3_bulk"
    assert sniff_format(bulk / "ptc_offset_marea" / "bioconcepts2pubtatorcentral.offset")[0] == "pubtator"
    assert sniff_format(bulk / "pubtator1_offsets_sample" / "bioconcepts2pubtator_offsets.sample")[0] == "pubtator"
    assert {sniff_format(p)[0] for p in DATA.rglob("*.sample")} == {"bulk-concepts", "bulk-relations"}


# --- a mixed folder -------------------------------------------------------------------------


def test_a_mixed_folder_builds_in_one_call_and_broken_files_are_named(tmp_path):
    shutil.copy(SEED, tmp_path / "seed.txt")
    shutil.copy(API_XML, tmp_path / "api.xml")
    (tmp_path / "api.json.gz").write_bytes(
        gzip.compress((BIOC / "pubtator3_api_netmedex" / "pubtator3.37026113_240614.json").read_bytes()))
    shutil.copy(DATA / "bioconcepts2pubtator3.sample", tmp_path / "concepts.tsv")
    (tmp_path / "relations").write_bytes(gzip.compress((DATA / "relation2pubtator3.sample").read_bytes()))
    shutil.copy(DATA / "malformed" / "truncated.xml", tmp_path / "truncated.xml")
    shutil.copy(DATA / "malformed" / "invalid.json", tmp_path / "invalid.json")
    (tmp_path / "notes.md").write_text("# My notes\nnothing to read here\n")
    G, report = kg.build(tmp_path)
    formats = {Path(f["path"]).name: f["format"] for f in report.files}
    assert formats == {"seed.txt": "pubtator", "api.xml": "bioc-xml", "api.json.gz": "bioc-json",
                       "concepts.tsv": "bulk-concepts", "relations": "bulk-relations",
                       "truncated.xml": "bioc-xml", "invalid.json": "bioc-json"}
    assert [(Path(s["path"]).name, s["format"]) for s in report.skipped_files] == [("notes.md", "unknown")]
    broken = {Path(r["path"]).name: r["reason"] for r in report.rejected}
    assert broken.keys() == {"truncated.xml", "invalid.json"}
    assert "XML syntax error" in broken["truncated.xml"] and "invalid JSON at line 2" in broken["invalid.json"]
    pmids = {p for _, d in G.nodes(data=True) for p in d["pmids"]}
    # every good file, and the documents before the break in the broken ones
    assert {"39937001", "33333140", "37026113", "34000001", "1", "5"} <= pmids
    assert G.has_edge("MESH:D017566", "NCBIGene:3569", "Positive_Correlation")
    assert G["MESH:D017566"]["NCBIGene:3569"]["Positive_Correlation"]["source_types"] == [
        "Positive_Correlation", "positive_correlate"]
    assert report.reconciles()
    with pytest.raises(ParseError, match="invalid.json:3: invalid JSON at line 2, column 53"):
        kg.build(tmp_path, strict=True)  # files are read in name order: invalid.json is the first broken one


# --- streaming ------------------------------------------------------------------------------

_DOC_XML = (
    '<document><id>{pmid}</id><passage><infon key="type">title</infon><offset>0</offset>'
    '<text>BRAF V600E in melanoma and the response to vemurafenib in {pmid}.</text>'
    '<annotation id="1"><infon key="identifier">673</infon><infon key="type">Gene</infon>'
    '<location offset="0" length="4"/><text>BRAF</text></annotation>'
    '<annotation id="2"><infon key="identifier">MESH:D008545</infon><infon key="type">Disease</infon>'
    '<location offset="14" length="8"/><text>melanoma</text></annotation></passage>'
    '<passage><infon key="type">abstract</infon><offset>70</offset><text>{abstract}</text></passage>'
    '<relation id="R1"><infon key="role1">Gene|673</infon><infon key="role2">Disease|MESH:D008545</infon>'
    '<infon key="type">Association</infon></relation></document>'
)


def _big_xml(path, size):
    abstract = "Patients with melanoma were treated. " * 40
    with open(path, "w") as fh:  # one line, like BioRED's XML: reading by line would read it whole
        fh.write("<?xml version='1.0' encoding='UTF-8'?><collection><source>test</source>")
        n = 0
        while fh.tell() < size:
            n += 1
            fh.write(_DOC_XML.format(pmid=n, abstract=abstract))
        fh.write("</collection>")
    return n


def test_a_big_bioc_xml_file_streams_in_bounded_memory(tmp_path):
    path = tmp_path / "big.xml"
    n = _big_xml(path, 10_500_000)
    size = path.stat().st_size
    counts = LineCounts()
    tracemalloc.start()
    try:
        docs = 0
        for doc in read_bioc_xml(path, counts=counts):
            docs += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert docs == n and counts.relations == n and counts.annotations == 2 * n
    assert size > 10_000_000 and peak < size / 3, (peak, size)


def test_a_big_bioc_json_file_streams_in_bounded_memory(tmp_path):
    path = tmp_path / "big.json"
    doc = next(parse_bioc_xml("<collection>" + _DOC_XML.format(pmid=1, abstract="x " * 600) + "</collection>"))
    one = {"id": "0", "passages": [{"offset": 0, "text": doc.title, "infons": {"type": "title"}, "annotations": [
        {"id": str(i), "infons": {"type": a.type, "identifier": a.identifier}, "text": a.text,
         "locations": [{"offset": a.start, "length": a.end - a.start}]} for i, a in enumerate(doc.annotations)]},
        {"offset": 70, "text": doc.abstract}], "relations": []}
    with open(path, "w") as fh:
        fh.write('{"PubTator3": [')
        n = 0
        while fh.tell() < 10_500_000:
            n += 1
            one["id"] = str(n)
            fh.write(("," if n > 1 else "") + json.dumps(one, indent=1))
        fh.write("]}")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        docs = sum(1 for _ in read_bioc_json(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert docs == n and peak < size / 3, (peak, size)


def test_a_truncated_gzip_keeps_what_was_read_and_is_named(tmp_path):
    lines = "".join(f"{1000 + i // 3}\tGene\t{i}\tG{i}|g{i}\tPubTator3\n" for i in range(30000)).encode()
    doc = {"id": "1", "passages": [{"offset": 0, "text": "t " * 40000}]}
    bioc = ('{"PubTator3": [' + ",".join(json.dumps({**doc, "id": str(i)}) for i in range(1, 40)) + "]}").encode()
    xml = ("<collection>" + "".join(f"<document><id>{i}</id><passage><offset>0</offset><text>{'t ' * 40000}</text>"
                                     "</passage></document>" for i in range(1, 40)) + "</collection>").encode()
    for name, raw in (("concepts", lines), ("docs.json", bioc), ("docs.xml", xml)):
        packed = gzip.compress(raw)
        (tmp_path / f"{name}.gz").write_bytes(packed[: len(packed) // 2])
    G, report = kg.build(tmp_path)
    assert sorted(f["format"] for f in report.files) == ["bioc-json", "bioc-xml", "bulk-concepts"]
    reasons = {Path(r["path"]).name: r["reason"] for r in report.rejected}
    assert reasons.keys() == {"concepts.gz", "docs.json.gz", "docs.xml.gz"}
    assert all("Compressed file ended" in r for r in reasons.values()), reasons
    assert all(f["documents"] > 0 for f in report.files) and report.reconciles()
