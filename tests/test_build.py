import random
from collections import defaultdict

import networkx as nx
import pytest

import kg
from kg.errors import InputError, ParseError

from conftest import SEED, SEEDS


@pytest.fixture(scope="module")
def seed():
    return kg.build(SEED)


def test_seed_facts(seed):
    G, report = seed
    lupus = G.nodes["MESH:D008180"]
    assert lupus["type"] == "Disease"
    assert lupus["name"] == "Systemic lupus erythematosus"
    # The seed has 12 annotation lines for MESH:D008180 (the 13th line naming it is the relation).
    assert lupus["mentions"] == 12
    assert lupus["synonyms"]["SLE"] == 10
    assert lupus["pmids"] == ["39937001"]
    assert G.nodes["NCBIGene:9970"]["type"] == "Gene"
    assert G.nodes["NCBITaxon:9606"]["type"] == "Species"
    edges = G.get_edge_data("MESH:D008180", "NCBIGene:9970") or G.get_edge_data("NCBIGene:9970", "MESH:D008180")
    assert list(edges) == ["Association"]
    assert edges["Association"]["pmids"] == ["39937001"]
    assert edges["Association"]["source_types"] == ["Association"]
    assert report.reconciles()
    assert G.graph["articles"]["39937001"].startswith("Targeted Cellular Treatment")


def test_bc5cdr_cid_pairs_match_an_independent_count(corpora):
    path = corpora / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"
    expected = defaultdict(set)
    for line in path.read_text().splitlines():
        cols = line.split("\t")
        if len(cols) >= 4 and cols[1] == "CID":
            expected[("MESH:" + cols[2].strip(), "MESH:" + cols[3].strip())].add(cols[0])
    G, report = kg.build(path)
    got = {(u, v): set(d["pmids"]) for u, v, k, d in G.edges(keys=True, data=True) if k == "CID"}
    assert got == dict(expected)
    assert len(got) > 500  # the equality above is the check; this guards an empty read
    assert report.reconciles() and report.unresolved_relations == []


def test_symmetric_relations_merge_directed_ones_keep_order(tmp_path):
    (tmp_path / "a.txt").write_text(
        "1|t|t\n1\t0\t1\ta\tGene\t1\n1\t2\t3\tb\tChemical\tD000001\n"
        "1\tAssociation\t1\tD000001\n1\ttreat\tD000001\t1\n\n"
        "2|t|t\n2\t0\t1\ta\tGene\t1\n2\t2\t3\tb\tChemical\tD000001\n"
        "2\tassociate\tD000001\t1\n2\ttreat\t1\tD000001\n"
    )
    G = kg.build(tmp_path).graph
    assoc = [(u, v, d["pmids"], d["source_types"]) for u, v, k, d in G.edges(keys=True, data=True) if k == "Association"]
    assert assoc == [("MESH:D000001", "NCBIGene:1", ["1", "2"], ["Association", "associate"])]
    treat = sorted((u, v, d["pmids"]) for u, v, k, d in G.edges(keys=True, data=True) if k == "Treat")
    assert treat == [("MESH:D000001", "NCBIGene:1", ["1"]), ("NCBIGene:1", "MESH:D000001", ["2"])]


def test_composite_ids_make_one_node_each_and_relations_resolve_parts(tmp_path):
    (tmp_path / "c.txt").write_text(
        "5|t|Ocular and auditory toxicity\n"
        "5\t0\t28\tOcular and auditory toxicity\tDisease\tD014786|D006311\tOcular toxicity|auditory toxicity\n"
        "5\t29\t33\tMODY\tGeneOrGeneProduct\t3172,3651\n"
        "5\tAssociation\t3172\tD006311\tNovel\n"
    )
    G, report = kg.build(tmp_path)
    assert G.nodes["MESH:D014786"]["synonyms"] == {"Ocular toxicity": 1}
    assert G.nodes["MESH:D006311"]["name"] == "auditory toxicity"
    assert {"NCBIGene:3172", "NCBIGene:3651"} <= set(G)
    data = G.get_edge_data("MESH:D006311", "NCBIGene:3172")
    assert data["Association"]["novel"] == ["5"]
    assert G.number_of_edges() == 1 and report.reconciles()


def test_variant_relations_resolve_through_any_named_part(corpora):
    G, report = kg.build(corpora / "pubtator3_netmedex" / "variant_relation_extraction.pubtator")
    assert report.reconciles()
    assert report.unresolved_relations == []
    assert G.has_node("dbSNP:rs121434568")
    assert any(G.has_edge(a, b) for a, b in [("MESH:D008175", "dbSNP:rs121434568"), ("dbSNP:rs121434568", "MESH:D008175")])


def test_unresolved_relation_is_reported_or_raises_in_strict_mode(tmp_path):
    (tmp_path / "u.txt").write_text("1|t|t\n1\t0\t1\ta\tGene\t1\n1\tBind\t1\t999\n")
    result = kg.build(tmp_path)
    (unresolved,) = result.report.unresolved_relations
    assert unresolved["line"] == 3 and "'999'" in unresolved["reason"]
    assert result.report.reconciles()
    with pytest.raises(ParseError) as err:
        kg.build(tmp_path, strict=True)
    assert err.value.lineno == 3 and err.value.path.endswith("u.txt")


def test_mentions_without_id_are_counted_not_nodes(tmp_path):
    (tmp_path / "m.txt").write_text("1|t|t\n1\t0\t1\ta\tChemical\t-\n1\t0\t1\ta\tChemical\t-1\n1\t0\t1\ta\tDisease\t\n"
                                    "1\t0\t1\ta\tChemical\n")
    G, report = kg.build(tmp_path)
    assert G.number_of_nodes() == 0
    assert report.mentions_without_id == {"Chemical": 3, "Disease": 1}
    assert report.reconciles()


def test_co_mentions_are_off_by_default_and_carry_pmids():
    assert not any(k == "Co_Mention" for _, _, k in kg.build(SEED).graph.edges(keys=True))
    G = kg.build(SEED, co_mentions=True).graph
    co = {(u, v): d["pmids"] for u, v, k, d in G.edges(keys=True, data=True) if k == "Co_Mention"}
    n = G.number_of_nodes()
    assert len(co) == n * (n - 1) // 2
    assert all(p == ["39937001"] for p in co.values())


def test_names_prefer_full_forms_and_abstract_spelling(tmp_path):
    (tmp_path / "n.txt").write_text(
        "1|t|Tumor Necrosis Factor in disease\n1|a|tumor necrosis factor (TNF) TNF TNF TNF\n"
        "1\t0\t21\tTumor Necrosis Factor\tGene\t7124\n1\t33\t54\ttumor necrosis factor\tGene\t7124\n"
        "1\t56\t59\tTNF\tGene\t7124\n1\t61\t64\tTNF\tGene\t7124\n"
    )
    node = kg.build(tmp_path).graph.nodes["NCBIGene:7124"]
    assert node["name"] == "tumor necrosis factor"
    assert node["synonyms"] == {"TNF": 2, "Tumor Necrosis Factor": 1, "tumor necrosis factor": 1}


def test_same_graph_whatever_the_file_order(tmp_path, corpora):
    names = ["biored/Dev.PubTator", "bc5cdr/CDR_sample.PubTator.txt", "ncbi_disease/NCBIdevelopset_corpus.txt",
             "pubtator3_netmedex/output.pubtator"]
    graphs = []
    for seed in (1, 2):
        order = names[:]
        random.Random(seed).shuffle(order)
        G = kg.build([corpora / n for n in order]).graph
        kg.write_graph(G, tmp_path / f"g{seed}.json")
        graphs.append((tmp_path / f"g{seed}.json").read_bytes())
    assert graphs[0] == graphs[1]


@pytest.mark.pubtator_files("path")
def test_report_reconciles_on_every_shared_corpus_file(path):
    G, report = kg.build(path)
    assert report.reconciles(), report.to_dict()["lines"]
    assert G.number_of_nodes() == sum(report.nodes_by_type.values())
    for n, d in G.nodes(data=True):
        assert d["pmids"] and d["mentions"] >= len(d["pmids"]) and d["name"]


def test_whole_shared_corpora_at_once(corpora):
    G, report = kg.build(corpora)
    assert report.reconciles()
    assert report.documents > 5000
    assert {f["format"] for f in report.files} >= {"pubtator", "bioc-xml", "bioc-json", "bulk-concepts"}
    assert {s["format"] for s in report.skipped_files} == {"unknown"}  # READMEs, licences
    assert {"Gene", "Disease", "Chemical", "Species", "Variant", "CellLine"} <= set(report.nodes_by_type)
    assert {"Association", "CID", "Positive_Correlation", "Bind"} <= set(report.edges_by_type)


def test_duplicate_pmids_are_merged_not_doubled(corpora):
    G, _ = kg.build(corpora / "ncbi_disease" / "NCBItrainset_corpus.txt")
    for _, d in G.nodes(data=True):
        assert len(d["pmids"]) == len(set(d["pmids"]))


def test_empty_inputs_give_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no files found"):
        kg.build(tmp_path)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(InputError, match="no PubTator documents"):
        kg.build(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        kg.build(tmp_path / "missing")


def test_gz_and_folders(tmp_path):
    import gzip

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "seed.pubtator.gz").write_bytes(gzip.compress(SEED.read_bytes()))
    G1 = kg.build(tmp_path).graph
    G2 = kg.build(SEED).graph
    assert nx.utils.graphs_equal(G1, G2) and G1.nodes(data=True) == G2.nodes(data=True)


def test_seeds_folder_is_a_meaningful_demo():
    G, report = kg.build(SEEDS)
    assert report.reconciles() and not report.rejected
    assert len(report.edges_by_type) >= 4
    assert len(report.nodes_by_type) >= 5


def test_typed_relation_ids_need_no_annotation_and_combine_with_concepts(tmp_path):
    # relation2pubtator3 layout: PMID, type, Type|ID, Type|ID; document-level annotations list forms.
    (tmp_path / "rel.txt").write_text("77\ttreat\tChemical|MESH:D000001\tDisease|MESH:D000002\n")
    (tmp_path / "con.txt").write_text("77|t|t\n77\tChemical\tMESH:D000001\taspirin|Aspirin|aspirin\n")
    G, report = kg.build(tmp_path)
    assert report.reconciles() and not report.unresolved_relations
    assert G.has_edge("MESH:D000001", "MESH:D000002", key="Treat")
    assert G.nodes["MESH:D000001"]["mentions"] == 3 and G.nodes["MESH:D000001"]["name"] == "aspirin"
    assert G.nodes["MESH:D000002"]["type"] == "Disease" and G.nodes["MESH:D000002"]["pmids"] == ["77"]


def test_worker_processes_give_the_same_graph_and_report(corpora, tmp_path):
    paths = [corpora / "biored", corpora / "bc5cdr", corpora / "tmvar"]
    one = kg.build(paths, workers=1)
    two = kg.build(paths, workers=2)
    kg.write_graph(one.graph, tmp_path / "one.json")
    kg.write_graph(two.graph, tmp_path / "two.json")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    assert one.report.to_dict() == two.report.to_dict()


def test_strict_error_from_a_worker_keeps_file_and_line(tmp_path):
    (tmp_path / "a.txt").write_text(SEED.read_text())
    (tmp_path / "b.txt").write_text("1|t|T\n1\t9\t2\tx\tGene\t1\n")
    with pytest.raises(ParseError) as err:
        kg.build(tmp_path, strict=True, workers=2)
    assert err.value.path.endswith("b.txt") and err.value.lineno == 2


def test_truncated_gzip_keeps_what_was_read_and_reports_the_rest(tmp_path, corpora):
    import gzip

    whole = gzip.compress((corpora / "biored" / "Dev.PubTator").read_bytes())
    (tmp_path / "cut.pubtator.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "seed.pubtator").write_bytes(SEED.read_bytes())
    G, report = kg.build(tmp_path)
    assert report.reconciles()
    assert "39937001" in G.graph["articles"] and report.documents > 20
    (bad,) = [r for r in report.rejected if r["path"].endswith("cut.pubtator.gz")]
    assert "cannot read" in bad["reason"]
    with pytest.raises(InputError, match="cut.pubtator.gz"):
        kg.build(tmp_path, strict=True)


def test_each_graph_call_gives_a_graph_of_its_own():
    from kg import native
    from kg.build import _read_files

    files = [(str(SEED), "pubtator")]
    builders = [_read_files(files, False, True, True)]
    if native.available():
        builders.append(native.read_files(files, False, True, True, finish=True))
    for builder in builders:
        G1, G2 = builder.graph(), builder.graph()
        assert nx.utils.graphs_equal(G1, G2)
        G1.nodes["MESH:D008180"]["pmids"].append("1")
        next(iter(G1.edges.values()))["source_types"].append("x")
        G1.graph["articles"]["1"] = "x"
        assert "1" not in G2.nodes["MESH:D008180"]["pmids"]
        assert "x" not in next(iter(G2.edges.values()))["source_types"]
        assert "1" not in G2.graph["articles"]


def test_a_build_that_may_not_fit_in_memory_warns_first(monkeypatch):
    """Before reading, the in-memory engine estimates its peak and, past what is free,
    warns and suggests the Spark engine (kept in the report too)."""
    import warnings

    import kg.memory as estimate

    monkeypatch.setattr(estimate, "available_memory", lambda: 1000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = kg.build(SEEDS).report
    said = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert said and "--engine spark" in said[0] and report.warnings == said
    monkeypatch.setattr(estimate, "available_memory", lambda: 1 << 40)
    assert kg.build(SEEDS).report.warnings == []
