import csv
import json

import networkx as nx
import pytest

import kg
from kg.errors import InputError
from kg.io import ARRAY_DELIMITER, export_graph, write_kgx, write_neo4j_csv

from conftest import SEEDS


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


def test_kgx_headers_and_rows(graph, tmp_path):
    nodes, edges = write_kgx(graph, tmp_path)
    with open(nodes, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == graph.number_of_nodes()
    assert {"id", "category", "name", "synonym", "publications"} <= set(rows[0])
    lupus = next(r for r in rows if r["id"] == "MESH:D008180")
    assert lupus["category"] == "biolink:Disease"
    assert lupus["publications"] == "|".join("PMID:" + p for p in graph.nodes["MESH:D008180"]["pmids"])
    with open(edges, newline="") as fh:
        erows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(erows) == graph.number_of_edges()
    assert {"subject", "predicate", "object", "publications"} <= set(erows[0])
    assert all(r["predicate"].startswith("biolink:") for r in erows)
    assert all(p.startswith("PMID:") for r in erows for p in r["publications"].split("|"))


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
