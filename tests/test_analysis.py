"""kg.analysis on the seed sample and on BioRED, and the example script that walks through it."""

import os
import subprocess
import sys
import time
from collections import defaultdict

import networkx as nx
import pytest

from kg import analysis
from kg.errors import KgError

from conftest import CORPORA, DATA, ROOT, require_corpora

SLE = "MESH:D008180"
IRF5 = "NCBIGene:3663"
CAR = "NCBIGene:9970"




# --- find / resolve -------------------------------------------------------------------------


def test_find_puts_exact_matches_first_then_most_articles(G):
    found = analysis.find(G, "SLE")
    assert found[0] == analysis.Entity(SLE, "systemic lupus erythematosus", "Disease", 5, "SLE")
    tiers = [e.matched.casefold() == "sle" for e in found]
    assert tiers == sorted(tiers, reverse=True)  # exact matches before partial ones
    partial = [e for e in found if not e.matched.casefold() == "sle"]
    assert [e.articles for e in partial] == sorted((e.articles for e in partial), reverse=True)
    for e in found:
        forms = [e.id, G.nodes[e.id]["name"], *G.nodes[e.id]["synonyms"]]
        assert any("sle" in f.casefold() for f in forms), e


def test_find_filters(G):
    assert {e.id for e in analysis.find(G, "  Systemic   LUPUS erythematosus ")} == {SLE}
    genes = analysis.find(G, "cd", type="GeneOrGeneProduct")
    assert genes and all(G.nodes[e.id]["type"] == "Gene" for e in genes)
    assert len(analysis.find(G, "a", limit=3)) == 3
    assert analysis.find(G, "lupus", exact=True) == []
    with pytest.raises(KgError, match="empty"):
        analysis.find(G, "  ")


def test_resolve_by_id_name_synonym(G):
    assert analysis.resolve(G, SLE) == SLE
    assert analysis.resolve(G, "SYSTEMIC LUPUS ERYTHEMATOSUS") == SLE
    assert analysis.resolve(G, "systemic lupus erythaematosus") == SLE  # a synonym (misspelt in the source)
    assert analysis.resolve(G, "Interferon regulatory factor") == IRF5  # part of one name only


def test_resolve_errors_name_the_candidates(G):
    with pytest.raises(KgError, match=r"no entity matches 'nonexistent-thing'"):
        analysis.resolve(G, "nonexistent-thing")
    with pytest.raises(KgError) as err:
        analysis.resolve(G, "CD72")  # human and mouse CD72 are both named CD72
    message = str(err.value)
    assert "matches 2 entities" in message and "NCBIGene:971" in message and "NCBIGene:12517" in message
    assert "by its id" in message
    with pytest.raises(KgError, match="of type Disease"):
        analysis.resolve(G, "CD72", type="Disease")


# --- neighbors / evidence -------------------------------------------------------------------


def test_neighbors_of_sle(G):
    rows = analysis.neighbors(G, "systemic lupus erythematosus")
    assert [r.count for r in rows] == sorted((r.count for r in rows), reverse=True)
    assert rows[0].id == IRF5 and rows[0].pmids == ["18408250", "20080916"]
    assert {r.id for r in rows} == set(G.successors(SLE)) | set(G.predecessors(SLE))
    assert all(r.direction == "undirected" for r in rows)  # Association and correlations
    by_id = {r.id: r for r in rows}
    assert by_id[CAR].relation == "Association" and by_id[CAR].pmids == ["39937001"]
    assert analysis.neighbors(G, SLE, relation="associate") == analysis.neighbors(G, SLE, relation="Association")
    assert {r.relation for r in analysis.neighbors(G, SLE, relation="positive_correlate")} == {"Positive_Correlation"}
    assert [r.id for r in analysis.neighbors(G, SLE, min_pmids=2)] == [IRF5]


def test_neighbors_rows_are_exactly_the_edges(G):
    for node in G:
        rows = analysis.neighbors(G, node)
        assert len(rows) == G.in_degree(node) + G.out_degree(node) - G.number_of_edges(node, node)


def test_neighbors_keep_direction_of_directed_relations(G):
    u, v = next((u, v) for u, v, k in G.edges(keys=True) if k == "CID")
    [out] = [r for r in analysis.neighbors(G, u, relation="CID") if r.id == v]
    [into] = [r for r in analysis.neighbors(G, v, relation="CID") if r.id == u]
    assert (out.direction, into.direction) == ("out", "in")
    [ev] = analysis.evidence(G, v, u, relation="CID")
    assert (ev.source, ev.target, ev.directed) == (u, v, True)


def test_evidence_either_order_with_titles(G):
    ab = analysis.evidence(G, SLE, IRF5)
    assert ab == analysis.evidence(G, "Interferon regulatory factor 5", "SLE")
    [ev] = ab
    assert (ev.relation, ev.count, ev.pmids) == ("Association", 2, ["18408250", "20080916"])
    assert ev.titles == [G.graph["articles"][p] for p in ev.pmids] and all(ev.titles)
    assert analysis.evidence(G, SLE, "MESH:D003042") == []


# --- subgraph / paths -----------------------------------------------------------------------


def test_subgraph_depths_and_filters(G):
    assert list(analysis.subgraph(G, SLE, depth=0)) == [SLE]
    one = analysis.subgraph(G, "SLE")
    assert set(one) == {SLE} | set(nx.all_neighbors(G, SLE))
    assert one.number_of_edges() == G.subgraph(one).number_of_edges()  # induced: IRF5's neighbours too
    assert set(one.graph["articles"]) <= set(G.graph["articles"])
    assert "39937001" in one.graph["articles"]
    genes = analysis.subgraph(G, SLE, depth=3, types="Gene")
    assert {G.nodes[n]["type"] for n in genes if n != SLE} == {"Gene"}
    assert set(analysis.subgraph(G, SLE, relation="Positive_Correlation")) == {SLE, "dbSNP:rs1050501", "dbSNP:rs25487"}
    with pytest.raises(ValueError):
        analysis.subgraph(G, SLE, depth=-1)


def test_subgraph_copies_attributes(G):
    H = analysis.subgraph(G, SLE)
    H.nodes[SLE]["pmids"].append("0")
    H.edges[SLE, CAR, "Association"]["pmids"].append("0")
    assert "0" not in G.nodes[SLE]["pmids"] and G.edges[SLE, CAR, "Association"]["pmids"] == ["39937001"]


def test_paths_through_sle(G):
    [p] = analysis.paths(G, CAR, IRF5)
    assert p.nodes == [CAR, SLE, IRF5]
    for (a, b), hop in zip(zip(p.nodes, p.nodes[1:]), p.hops):
        assert hop and all({e.source, e.target} == {a, b} for e in hop)
    assert p.strength == 1
    assert analysis.paths(G, CAR, IRF5, max_len=1) == []
    assert analysis.paths(G, SLE, SLE) == [analysis.EvidencePath([SLE], [])]
    assert analysis.paths(G, CAR, "MESH:D003042") == []


def test_paths_are_shortest_in_biored(biored):
    H = nx.Graph(biored.to_undirected(as_view=True))
    found = analysis.paths(biored, SLE, "rheumatoid arthritis", limit=50)
    target = analysis.resolve(biored, "rheumatoid arthritis")
    assert found and all(len(p.nodes) - 1 == nx.shortest_path_length(H, SLE, target) for p in found)
    assert [p.strength for p in found] == sorted((p.strength for p in found), reverse=True)


# --- top / communities / project ------------------------------------------------------------


def test_top(G):
    ranked = analysis.top(G, n=len(G))
    assert [r.score for r in ranked] == sorted((len(d["pmids"]) for _, d in G.nodes(data=True)), reverse=True)
    assert analysis.top(G, n=1)[0].id == "NCBITaxon:9606"  # "patients", in 10 of the 25 seed documents
    diseases = analysis.top(G, type="Disease", n=3)
    assert diseases[0].id == SLE and all(r.type == "Disease" for r in diseases)
    degree = {r.id: r.score for r in analysis.top(G, by="degree", n=len(G))}
    assert degree[SLE] == 9 and degree[CAR] == 1
    with pytest.raises(ValueError, match="pagerank"):
        analysis.top(G, by="citations")


def test_pagerank_matches_networkx(biored):
    pagerank_alg = pytest.importorskip("networkx.algorithms.link_analysis.pagerank_alg")
    reference = getattr(pagerank_alg, "_pagerank_python", None)
    if reference is None:
        pytest.skip("this networkx has no pure-Python pagerank to compare with")
    expected = reference(analysis.undirected_projection(biored), weight="weight")
    got = {r.id: r.score for r in analysis.top(biored, by="pagerank", n=len(biored))}
    assert got.keys() == expected.keys()
    assert max(abs(got[k] - expected[k]) for k in got) < 1e-9
    assert abs(sum(got.values()) - 1) < 1e-6


def test_communities_partition_and_are_reproducible(biored):
    parts = analysis.communities(biored)
    assert sum(len(c) for c in parts) == len(biored) and set().union(*parts) == set(biored)
    assert [len(c) for c in parts] == sorted((len(c) for c in parts), reverse=True)
    assert parts == analysis.communities(biored)
    [mine] = [c for c in parts if SLE in c]
    assert IRF5 in mine  # three BioRED articles associate them


def test_project_diseases_through_genes(biored):
    P = analysis.project(biored, "Disease", via="Gene")
    assert set(P) == {n for n, t in biored.nodes(data="type") if t == "Disease"}
    assert P.number_of_edges() > 0
    for a, b, d in P.edges(data=True):
        assert d["weight"] == len(d["shared"]) >= 1
        for m in d["shared"]:
            assert biored.nodes[m]["type"] == "Gene"
            assert m in set(nx.all_neighbors(biored, a)) & set(nx.all_neighbors(biored, b))
    assert "MESH:D001172" in P[SLE] and IRF5 in P[SLE]["MESH:D001172"]["shared"]  # RA, via IRF5
    strict = analysis.project(biored, "Disease", via="Gene", min_shared=2)
    assert {tuple(sorted(e)) for e in strict.edges} == {tuple(sorted((a, b))) for a, b, w in P.edges(data="weight") if w >= 2}


# --- BioRED evidence against the file itself -------------------------------------------------


def _relation_lines(paths):
    """(pmid, type, id1, id2, novelty) of every relation line, read with plain string splits."""
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                cols = line.rstrip("\n").split("\t")
                if len(cols) == 5 and not cols[1].isdigit():
                    yield cols


def test_biored_evidence_agrees_with_the_file(biored):
    raw = defaultdict(set)
    novel = defaultdict(set)
    for pmid, rtype, id1, id2, novelty in _relation_lines(sorted((CORPORA / "biored").glob("*.PubTator"))):
        if {id1, id2} == {"D008180", "3663"}:
            raw[rtype].add(pmid)
            if novelty == "Novel":
                novel[rtype].add(pmid)
    assert raw  # the file does relate SLE and IRF5
    got = {e.relation: e for e in analysis.evidence(biored, "systemic lupus erythematosus", "IRF5")}
    assert {k: set(e.pmids) for k, e in got.items()} == dict(raw)
    assert {k: set(e.novel) for k, e in got.items()} == {k: novel[k] for k in raw}


# --- tables ---------------------------------------------------------------------------------


def test_dataframes(G):
    pytest.importorskip("pandas")
    nodes, edges = analysis.to_dataframes(G)
    assert list(nodes.columns[:4]) == ["id", "type", "name", "articles"]
    assert len(nodes) == G.number_of_nodes() and len(edges) == G.number_of_edges()
    assert (edges["count"] == edges["pmids"].map(len)).all()
    assert set(edges.loc[edges["directed"], "relation"]) <= {"CID", "Conversion"}
    frame = analysis.neighbors(G, SLE, as_frame=True)
    assert list(frame.columns) == list(analysis.Neighbor._fields) and frame.iloc[0]["id"] == IRF5
    assert analysis.find(G, "zzz", as_frame=True).empty


def test_pandas_missing_says_how_to_install(G, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        analysis.to_dataframes(G)
    with pytest.raises(ImportError, match="pip install pandas"):
        analysis.top(G, as_frame=True)
    assert analysis.top(G, n=1)  # the plain result needs no pandas


# --- the example ----------------------------------------------------------------------------


def test_example_script_runs(tmp_path):
    """The notebook-style example, on the whole BioRED when the corpora are there (CI), else
    on the repository's BioRED excerpt (a fresh clone)."""
    whole = (CORPORA / "biored").is_dir() or os.environ.get("KG_REQUIRE_CORPORA") == "1"
    biored = require_corpora("biored") if whole else DATA / "biored"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "analysis.py"), str(tmp_path), "--biored", str(biored)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "associated with systemic lupus erythematosus (MESH:D008180)" in out
    assert "https://pubmed.ncbi.nlm.nih.gov/39937001/" in out
    assert "\nBioRED: " in out  # the BioRED part ran
    if whole:
        assert "Interferon regulatory factor 5 (NCBIGene:3663) Association, 3 articles" in out
        html = tmp_path / "sle-biored.html"
        assert html.is_file() and "systemic lupus erythematosus" in html.read_text(encoding="utf-8")
    assert time.monotonic() - started < 60
