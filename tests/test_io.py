import csv
import json
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from importlib.resources import files
from unittest import mock
from urllib.parse import unquote

import networkx as nx
import pytest

import kg
from kg.errors import InputError
from kg.io import (ARRAY_DELIMITER, KGX_EDGE_COLUMNS, KGX_EXTRA_PREFIXES, KGX_NODE_COLUMNS, export_graph, kgx_curie,
                   kgx_edge_row, kgx_node_row, NEO4J_ENTITY_HEADER, NEO4J_OPTIONAL_COLUMNS, neo4j_entity_row, neo4j_relationship_row, write_kgx, write_neo4j_csv)

from conftest import DATA, SEEDS


@pytest.fixture(scope="module")
def graph():
    return kg.build(SEEDS).graph


def test_node_link_round_trips_exactly(graph, tmp_path):
    kg.write_graph(graph, tmp_path / "g.json")
    H = kg.read_graph(tmp_path / "g.json")
    assert nx.utils.graphs_equal(graph, H)
    assert dict(graph.nodes(data=True)) == dict(H.nodes(data=True))
    assert list(graph.edges(keys=True, data=True)) == list(H.edges(keys=True, data=True))
    assert H.graph == graph.graph


def test_plain_networkx_reads_the_saved_file(graph, tmp_path):
    kg.write_graph(graph, tmp_path / "g.json")
    H = nx.node_link_graph(json.loads((tmp_path / "g.json").read_text()))
    assert H.is_directed() and H.is_multigraph()
    assert H.number_of_edges() == graph.number_of_edges()
    assert H.nodes["MESH:D008180"]["synonyms"]["SLE"] == graph.nodes["MESH:D008180"]["synonyms"]["SLE"]


def test_gzip_graph_file(graph, tmp_path):
    kg.write_graph(graph, tmp_path / "g.json.gz")
    assert (tmp_path / "g.json.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert nx.utils.graphs_equal(kg.read_graph(tmp_path / "g.json.gz"), graph)


def test_failed_write_keeps_the_old_file(graph, tmp_path):
    path = tmp_path / "g.json"
    kg.write_graph(graph, path)
    before = path.read_bytes()
    bad = graph.copy()
    bad.nodes["MESH:D008180"]["oops"] = object()  # not JSON-serializable
    with pytest.raises(TypeError):
        kg.write_graph(bad, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]


def test_read_graph_errors(tmp_path):
    with pytest.raises(InputError, match="no such graph"):
        kg.read_graph(tmp_path / "none.json")
    (tmp_path / "x.json").write_text("not json")
    with pytest.raises(InputError, match="not a kg graph"):
        kg.read_graph(tmp_path / "x.json")


def test_graphml_opens_in_networkx(graph, tmp_path):
    export_graph(graph, "graphml", tmp_path / "g.graphml")
    H = nx.read_graphml(tmp_path / "g.graphml")
    assert H.number_of_nodes() == graph.number_of_nodes()
    assert H.number_of_edges() == graph.number_of_edges()
    assert json.loads(H.nodes["MESH:D008180"]["pmids"]) == graph.nodes["MESH:D008180"]["pmids"]
    assert json.loads(H.nodes["MESH:D008180"]["synonyms"]) == graph.nodes["MESH:D008180"]["synonyms"]
    assert json.loads(H.graph["articles"]) == graph.graph["articles"]  # titles as graph-level JSON text


def _graphml_edge_ids(path):
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    return [e.get("id") for e in ET.parse(path).getroot().iterfind("g:graph/g:edge", ns)]


def _graph_of(source, graph, request):
    """The seed graph, tests/data's, BioRED's or the big corpora's (marked ``corpora``)."""
    if source == "seeds":
        return graph
    if source == "tests/data":
        return kg.build(DATA).graph
    if source == "biored":
        return request.getfixturevalue("biored")
    return kg.build(request.getfixturevalue("corpora")).graph


SOURCES = ["seeds", "tests/data", pytest.param("biored", marks=pytest.mark.corpora),
           pytest.param("corpora", marks=pytest.mark.corpora)]


@pytest.mark.parametrize("source", SOURCES)
def test_graphml_edge_ids_unique_and_igraph_reads_every_edge(graph, source, request, tmp_path):
    """Gephi drops an edge whose id it has seen: ids must be unique. python-igraph's own
    GraphML reader is the second, independent reader."""
    import igraph  # test extra: python-igraph

    G = _graph_of(source, graph, request)
    export_graph(G, "graphml", tmp_path / "g.graphml")
    ids = _graphml_edge_ids(tmp_path / "g.graphml")
    assert len(ids) == G.number_of_edges() and len(set(ids)) == len(ids)
    g = igraph.Graph.Read_GraphML(str(tmp_path / "g.graphml"))
    assert g.is_directed()
    assert (g.vcount(), g.ecount()) == (G.number_of_nodes(), G.number_of_edges())
    assert sorted(g.es["relation"]) == sorted(k for _, _, k in G.edges(keys=True))


def test_kgx_headers_and_rows(graph, tmp_path):
    nodes, edges = write_kgx(graph, tmp_path)
    with open(nodes, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == graph.number_of_nodes()
    assert tuple(rows[0]) == KGX_NODE_COLUMNS
    lupus = next(r for r in rows if r["id"] == "MESH:D008180")
    assert lupus["category"] == "biolink:Disease"
    assert lupus["publications"] == "|".join("PMID:" + p for p in graph.nodes["MESH:D008180"]["pmids"])
    assert lupus["mention_count"] == str(graph.nodes["MESH:D008180"]["mentions"])
    with open(edges, newline="") as fh:
        erows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(erows) == graph.number_of_edges()
    assert tuple(erows[0]) == KGX_EDGE_COLUMNS
    assert len({r["id"] for r in erows}) == len(erows)
    assert all(r["predicate"].startswith("biolink:") for r in erows)
    assert all(p.startswith("PMID:") for r in erows for p in r["publications"].split("|"))
    # every id is one CURIE: no list delimiter, and the original comes back
    ids = {r["id"] for r in rows}
    assert not any("|" in i for i in ids)
    assert {"DBSNP:rs2004640", "CVCL:0224", "tmVar:c%7CSUB%7CA%7C1517%7CG"} <= ids
    assert {unquote(r["subject"]) for r in erows} <= {unquote(i) for i in ids}


@pytest.mark.parametrize(("ours", "kgx"), [
    ("MESH:D008180", "MESH:D008180"),
    ("NCBIGene:9970", "NCBIGene:9970"),
    ("dbSNP:rs113488022", "DBSNP:rs113488022"),  # Biolink spells it DBSNP
    ("CVCL_0224", "CVCL:0224"),  # Cellosaurus, Bioregistry's synonym prefix
    ("CVCL_", "kg:CVCL_"),
    ("tmVar:c|SUB|A|1517|G", "tmVar:c%7CSUB%7CA%7C1517%7CG"),
    ("tmVar:c|DUP||CAG|;PMID:17962394", "tmVar:c%7CDUP%7C%7CCAG%7C;PMID%3A17962394"),
    ("HGVS:p.Q370*;CorrespondingGene:7249", "HGVS:p.Q370*;CorrespondingGene%3A7249"),
    ("10510452_139", "kg:10510452_139"),
    ("a b:c/d%", "kg:a%20b%3Ac%2Fd%25"),  # not a prefix: the whole id is the local part
    ("X:é y", "X:é%E2%80%83y"),  # non-ASCII white space as its UTF-8 bytes
])
def test_kgx_curie(ours, kgx):
    assert kgx_curie(ours) == kgx
    prefix, local = kgx.split(":", 1)
    assert ":" not in local and "|" not in local and "/" not in local and not any(c.isspace() for c in local)
    if prefix not in ("CVCL", "DBSNP", "kg"):
        assert f"{prefix}:{unquote(local)}" == ours


def test_kgx_rows_carry_names_and_xrefs_when_present():
    attrs = {"type": "Gene", "name": "PTPN22", "symbol": "PTPN22", "full_name": "protein tyrosine phosphatase 22",
             "name_source": "NCBI Gene", "xrefs": ["HGNC:9652", "dbSNP:rs1", "NCBIGene:26191"],
             "synonyms": {"PTPN22": 3, "LYP|PEP": 1}, "mentions": 4, "pmids": ["1", "2"]}
    row = dict(zip(KGX_NODE_COLUMNS, kgx_node_row("NCBIGene:26191", attrs)))
    assert row == {
        "id": "NCBIGene:26191", "category": "biolink:Gene", "name": "PTPN22",
        "full_name": "protein tyrosine phosphatase 22", "symbol": "PTPN22",
        "synonym": "PTPN22|LYP/PEP",
        "xref": "HGNC:9652|DBSNP:rs1", "publications": "PMID:1|PMID:2", "mention_count": "4",
        "name_source": "NCBI Gene", "provided_by": "infores:kg",
    }
    edge = dict(zip(KGX_EDGE_COLUMNS, kgx_edge_row("MESH:C1", "NCBIGene:26191", "Inhibit",
                                                    {"pmids": ["7"], "source_types": ["inhibit"]})))
    assert (edge["predicate"], edge["qualified_predicate"], edge["object_direction_qualifier"]) == (
        "biolink:affects", "biolink:causes", "decreased")
    assert (edge["subject"], edge["count"], edge["publications"]) == ("MESH:C1", "1", "PMID:7")


def test_neo4j_rows_add_optional_columns_only_when_present(graph, tmp_path):
    attrs = graph.nodes["MESH:D008180"]
    assert neo4j_entity_row("MESH:D008180", attrs)[:4] == ["MESH:D008180", "Entity\x1fDisease", "Disease",
                                                           attrs["name"]]
    assert neo4j_entity_row("X:1", {"type": "Gene", "xrefs": ["A:1", "B:2"], "symbol": "S"},
                            ("xrefs", "symbol"))[-2:] == ["A:1\x1fB:2", "S"]
    assert neo4j_relationship_row("A:1", "B:2", "Positive_Correlation", {"pmids": ["3", "1"]}) == [
        "A:1", "B:2", "POSITIVE_CORRELATION", "3\x1f1", 2, ""]
    H = graph.copy()
    for _, d in H.nodes(data=True):
        for name in NEO4J_OPTIONAL_COLUMNS:
            d.pop(name, None)
    with open(write_neo4j_csv(H, tmp_path / "without")[0], newline="") as fh:
        assert tuple(next(csv.reader(fh))) == NEO4J_ENTITY_HEADER  # the layout of a graph without them
    H.nodes["MESH:D008180"]["xrefs"] = ["DOID:9074"]
    entities = write_neo4j_csv(H, tmp_path)[0]
    with open(entities, newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header[-1] == "xrefs:string[]" and len(header) == 9
    assert next(r for r in rows if r[0] == "MESH:D008180")[-1] == "DOID:9074"


# -- the real KGX validator (kgx, test extra), offline --------------------------------

@contextmanager
def _offline_kgx(extra_prefixes):
    """kgx with the Biolink model of the `biolink-model` package instead of GitHub: bmt's
    Toolkit reads the packaged schema (its predicate map, not packaged, is left empty; the
    validator does not use it), the JSON-LD context is the packaged Biolink prefix map plus
    `extra_prefixes`. Any other download fails the test."""
    import requests
    from bmt import toolkit

    schema = str(files("biolink_model") / "schema" / "biolink_model.yaml")
    context = json.loads((files("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json").read_text())

    def get(url, *args, **kwargs):
        if url == toolkit.PREDICATE_MAP:
            return mock.Mock(text="{}")
        raise AssertionError(f"kgx tried to download {url}")

    with mock.patch.object(requests, "get", get), \
            mock.patch.object(toolkit.Toolkit.__init__, "__defaults__", (schema, toolkit.PREDICATE_MAP)):
        import kgx.config
        from kgx.cli.cli_utils import validate
        from kgx.validator import Validator

        with mock.patch.dict(kgx.config.jsonld_context_map, {"biolink": {**context, **extra_prefixes}}):
            Validator._currently_active_toolkit = None
            yield validate


def kgx_errors(directory, tmp_path, extra_prefixes=KGX_EXTRA_PREFIXES):
    """What ``kgx validate -i tsv nodes.tsv edges.tsv`` reports: {message: entities}."""
    with _offline_kgx(extra_prefixes) as validate:
        found = validate([str(directory / "nodes.tsv"), str(directory / "edges.tsv")], "tsv", None,
                         str(tmp_path / "kgx-report.json"))
    return {msg: ents for level in found.values() for kind in level.values() for msg, ents in kind.items()}


def test_kgx_validator_catches_a_bad_id(tmp_path):
    """The oracle can fail: the old spelling of a prefix and a bare id are reported."""
    (tmp_path / "nodes.tsv").write_text("id\tcategory\nMESH:D1\tbiolink:Disease\ndbSNP:rs1\tbiolink:SequenceVariant\n"
                                        "CVCL_1\tbiolink:CellLine\n")
    (tmp_path / "edges.tsv").write_text("id\tsubject\tpredicate\tobject\nkg:e\tdbSNP:rs1\tbiolink:related_to\tMESH:D1\n")
    errors = kgx_errors(tmp_path, tmp_path)
    assert any("'dbSNP'" in m for m in errors) and any("CVCL_1" in m or "CVCL_1" in str(e) for m, e in errors.items())


@pytest.mark.parametrize("source", SOURCES)
def test_kgx_validator_finds_no_error(source, graph, request, tmp_path):
    write_kgx(_graph_of(source, graph, request), tmp_path / "kgx")
    assert kgx_errors(tmp_path / "kgx", tmp_path) == {}


def test_kgx_ids_outside_biolinks_context_are_the_documented_ones(graph, tmp_path):
    """With Biolink's context alone, the only complaints are ids under KGX_EXTRA_PREFIXES
    (cell lines, variants without an rsID); CVCL is Bioregistry's synonym of cellosaurus."""
    write_kgx(graph, tmp_path / "kgx")
    errors = kgx_errors(tmp_path / "kgx", tmp_path, extra_prefixes={})
    assert errors
    prefixes = {m.split("CURIE prefix '")[1].split("'")[0] for m in errors}
    assert prefixes == {"CVCL", "tmVar"} and prefixes <= set(KGX_EXTRA_PREFIXES)
    bioregistry = (files("prefixmaps") / "data" / "bioregistry.csv").read_text()
    assert "bioregistry,cellosaurus,http://bioregistry.io/CVCL:,prefix_alias" in bioregistry


def test_neo4j_csv_headers_and_rows(graph, tmp_path):
    entities, articles, rels, mentions = write_neo4j_csv(graph, tmp_path)
    with open(entities, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["id:ID(Entity)", ":LABEL"] and "pmids:string[]" in rows[0]
    assert len(rows) - 1 == graph.number_of_nodes()
    lupus = dict(zip(rows[0], next(r for r in rows if r[0] == "MESH:D008180")))
    assert lupus[":LABEL"].split(ARRAY_DELIMITER) == ["Entity", "Disease"]
    assert lupus["synonyms:string[]"].split(ARRAY_DELIMITER)[0] == "SLE"
    with open(rels, newline="") as fh:
        rrows = list(csv.reader(fh))
    assert rrows[0][:3] == [":START_ID(Entity)", ":END_ID(Entity)", ":TYPE"] and "pmids:string[]" in rrows[0]
    assert len(rrows) - 1 == graph.number_of_edges()
    assert {r[2] for r in rrows[1:]} <= {k.upper() for _, _, k in graph.edges(keys=True)}
    with open(articles, newline="") as fh:
        assert len(list(csv.reader(fh))) - 1 == len(graph.graph["articles"])
    with open(mentions, newline="") as fh:
        assert len(list(csv.reader(fh))) - 1 == sum(len(d["pmids"]) for _, d in graph.nodes(data=True))


def test_unknown_export_format(graph, tmp_path):
    with pytest.raises(InputError, match="unknown export format"):
        export_graph(graph, "xlsx", tmp_path / "x")


@pytest.mark.parametrize("value", [
    "kg-graph",  # the seed graph's node-link data, replaced below
    {}, [], {"a": []}, {"a": {}}, [1, "é\u2028", None, True, 1.5, float("nan")],
    {"x": {1: "int key", None: "none", True: "bool", 2.5: "float", "s": [1, 2, 3]}},
    {"graph": {"articles": {str(i): f"title {i} \\u00e9" for i in range(7)}}, "nodes": [{"id": i} for i in range(9)]},
])
def test_json_in_pieces_is_json_dumps(monkeypatch, value):
    import io as _io

    from kg import io as kg_io

    if value == "kg-graph":
        value = nx.node_link_data(kg.build(SEEDS).graph, edges="edges")
    monkeypatch.setattr(kg_io, "JSON_PIECE", 2)  # every list and dict of more than 2 goes in pieces
    out = _io.StringIO()
    kg_io._dump_json(value, out.write)
    assert out.getvalue() == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_quotes_in_names_reach_every_export(tmp_path):
    """A `"` in a name or synonym (chemical names have them: 2'-O-"methyl"…) is written as it
    is to KGX (which reads with quoting off) and quoted as CSV wants for neo4j-admin; no
    writer refuses it."""
    import pandas as pd

    name = 'N-"methyl" aspirin'
    G = nx.MultiDiGraph()
    G.add_node("MESH:C1", type="Chemical", name=name, synonyms={name: 2, '"quoted"': 1}, mentions=3, pmids=["1"])
    G.add_node("NCBIGene:1", type="Gene", name="A1BG", synonyms={"A1BG": 1}, mentions=1, pmids=["1"])
    G.add_edge("MESH:C1", "NCBIGene:1", key="Association", pmids=["1"], count=1)
    write_kgx(G, tmp_path / "kgx")
    nodes = pd.read_csv(tmp_path / "kgx" / "nodes.tsv", sep="\t", quoting=3, dtype=str)  # as KGX reads it
    row = nodes.set_index("id").loc["MESH:C1"]
    assert row["name"] == name and row["synonym"].split("|") == [name, '"quoted"']
    write_neo4j_csv(G, tmp_path / "csv")
    with open(tmp_path / "csv" / "nodes_entities.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert name in next(r for r in rows if r[0] == "MESH:C1")
