"""kg.neo4j against a real Neo4j 5 server (see tests/neo4j_support.py for the set-up).

Run with the test server: ``scripts/test tests/test_neo4j.py`` (starts it, marks it as a
test server, runs pytest); ``KG_REQUIRE_NEO4J=1`` turns "no server" from a skip into a
failure. The graphs are built from tests/data (the seed, BioRED and BC5CDR excerpts).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections import Counter

import networkx as nx
import pytest
from neo4j_support import (  # noqa: F401 - fixtures are used by name
    MARKER,
    NEO4J_AUTH,
    NEO4J_DATABASE,
    NEO4J_URI,
    REPO,
    Neo4jInstance,
    clear_database,
    cli_env,
    counts,
    drop_schema,
    dump,
    empty_db,
    example_params,
    expected_dump,
    kg_command,
    neo4j_driver,
    query,
)

import kg
from kg.errors import Neo4jError
from kg.neo4j import (CYPHER_DIR, LoadSummary, cypher_name, load_graph, load_query, merge_entity,
                      merge_relationship, schema_statements)
from kg.neo4j.queries import query_text

from conftest import DATA

SEED = REPO / "seeds" / "PMID39937001.pubtator"
BC5CDR_TRAIN = DATA / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"
BC5CDR_DEV = DATA / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt"
BIORED = DATA / "biored"
EXAMPLES = sorted(CYPHER_DIR.glob("example_*.cypher"))


def load(G, **kwargs) -> LoadSummary:
    return load_graph(G, uri=NEO4J_URI, auth=NEO4J_AUTH, database=NEO4J_DATABASE, **kwargs)


@pytest.fixture(scope="module")
def seed_graph() -> nx.MultiDiGraph:
    return kg.build(SEED).graph


@pytest.fixture(scope="module")
def corpus_graph() -> nx.MultiDiGraph:
    """Seeds + the BioRED and BC5CDR Training excerpts of tests/data: the graph the example
    queries run against (its documents were chosen so that every example finds rows)."""
    return kg.build([REPO / "seeds", BIORED, BC5CDR_TRAIN]).graph


# -- without a server ----------------------------------------------------------------------


def test_cypher_files_are_shipped_and_parameterized():
    assert len(EXAMPLES) >= 8, EXAMPLES
    assert [s.split()[1] for s in schema_statements()] == ["CONSTRAINT", "CONSTRAINT", "FULLTEXT"]
    assert all("IF NOT EXISTS" in s and "ASSERT" not in s for s in schema_statements())
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("//"), path
        assert "$" in text or "No parameters" in text, path
    link = REPO / "cypher"
    assert link.is_symlink() and link.resolve() == CYPHER_DIR.resolve()


@pytest.mark.parametrize("bad", ["a`b", "Gene`) DETACH DELETE n //", "", "1abc", None, "é"])
def test_placeholders_refuse_unvalidated_names(bad):
    with pytest.raises(Neo4jError):
        query_text("load_merge_entities", label=bad)
    with pytest.raises(Neo4jError):
        query_text("load_merge_relationships", rel_type=bad)


@pytest.mark.parametrize("text, expected", [
    ("Disease", "Disease"), ("x`]->() DETACH DELETE n //", "x_DETACH_DELETE_n"), ("`", "Unknown"),
    ("12", "T_12"), ("Gène", "G_ne"),
])
def test_cypher_name(text, expected):
    assert cypher_name(text) == expected
    assert f"`{expected}`" in query_text("load_merge_entities", label=cypher_name(text))


def test_merge_rules():
    old = {"type": "Disease", "name": "Lupus", "synonyms": ["SLE", "Lupus"], "synonym_counts": [3, 1],
           "mentions": 4, "pmids": ["9", "10"]}
    assert merge_entity(old, dict(old)) == old
    assert merge_entity(old, dict(old, pmids=["10"], mentions=99)) == old  # reload: unchanged
    new = {"type": "Gene", "name": "lupus", "synonyms": ["lupus", "Lupus"], "synonym_counts": [2, 2],
           "mentions": 4, "pmids": ["100", "9"]}
    m = merge_entity(old, new)  # new corpus (partly overlapping: counts are added in full)
    assert m["pmids"] == ["9", "10", "100"] and m["mentions"] == 8 and m["type"] == "Disease"
    assert list(zip(m["synonyms"], m["synonym_counts"])) == [("Lupus", 3), ("SLE", 3), ("lupus", 2)]
    assert m["name"] == "Lupus"
    assert merge_entity(None, dict(new, synonyms=[], synonym_counts=[]))["synonyms"] is None
    r = merge_relationship({"pmids": ["PMC9", "10"], "source_types": ["b"]}, {"pmids": ["2", "10"], "source_types": ["a"]})
    assert r == {"pmids": ["2", "10", "PMC9"], "count": 3, "source_types": ["a", "b"]}


def test_not_a_bolt_uri():
    with pytest.raises(Neo4jError, match="http://127.0.0.1:7474"):
        load_graph(nx.MultiDiGraph(), uri="http://127.0.0.1:7474")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_is_one_clear_error():
    uri = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(Neo4jError) as info:
        load_graph(kg.build(SEED).graph, uri=uri)
    message = str(info.value)
    assert uri in message and "no Neo4j server answers" in message and "\n" not in message


def test_kg_load_unreachable_exits_1_with_one_line(tmp_path):
    graph = tmp_path / "g.json"
    kg.write_graph(kg.build(SEED).graph, graph)
    uri = "bolt://127.0.0.1:1"
    proc = subprocess.run([*kg_command(), "load", str(graph), "--uri", uri], capture_output=True, text=True,
                          timeout=120, env=cli_env())
    assert proc.returncode == 1, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and uri in lines[0] and "Traceback" not in proc.stderr, proc.stderr


# -- with a server --------------------------------------------------------------------------

@pytest.mark.neo4j
def test_seed_association(empty_db, seed_graph):
    summary = load(seed_graph)
    rows = query(empty_db, "MATCH (d:Disease {id:'MESH:D008180'})-[r]-(g:Gene {id:'NCBIGene:9970'}) RETURN r.pmids AS pmids")
    assert rows == [{"pmids": ["39937001"]}]
    assert summary.nodes_created == seed_graph.number_of_nodes() + len(seed_graph.graph["articles"])
    assert summary.nodes_updated == summary.relationships_updated == 0
    assert str(summary).count("\n") <= 2 and NEO4J_URI in str(summary)


@pytest.mark.neo4j
def test_counts_and_properties_equal_the_graph(empty_db, corpus_graph):
    G = corpus_graph
    seen = []
    summary = load(G, batch_size=50, progress=lambda done, total, docs: seen.append((done, total, docs)))
    expected = counts(G)
    labels = Counter()
    for r in query(empty_db, "MATCH (n:Entity) UNWIND labels(n) AS l WITH l WHERE l <> 'Entity' RETURN l, count(*) AS c"):
        labels[r["l"]] = r["c"]
    assert labels == expected["labels"]
    rels = Counter({r["t"]: r["c"] for r in query(empty_db, "MATCH (:Entity)-[r]->(:Entity) RETURN type(r) AS t, count(*) AS c")})
    assert rels == expected["relationships"]
    assert query(empty_db, "MATCH (a:Article) RETURN count(a) AS c")[0]["c"] == expected["articles"]["Article"]
    assert query(empty_db, "MATCH (:Article)-[m:MENTIONS]->(:Entity) RETURN count(m) AS c")[0]["c"] == \
        expected["mentions"]["MENTIONS"]
    assert dump(empty_db) == expected_dump(G)  # every property of every node and relationship
    total = G.number_of_nodes() + G.number_of_edges() + sum(expected["articles"].values()) + \
        sum(expected["mentions"].values())
    assert summary.rows == total and seen[-1] == (total, total, 0) and len(seen) > 10
    assert summary.nodes_created == G.number_of_nodes() + len(G.graph["articles"])
    assert summary.relationships_created == G.number_of_edges() + expected["mentions"]["MENTIONS"]


@pytest.mark.neo4j
def test_loading_twice_changes_nothing(empty_db, corpus_graph):
    load(corpus_graph)
    before = dump(empty_db)
    again = load(corpus_graph, batch_size=777)
    assert (again.nodes_created, again.nodes_updated, again.relationships_created, again.relationships_updated) == (0, 0, 0, 0)
    assert dump(empty_db) == before


@pytest.mark.neo4j
def test_without_articles(empty_db, seed_graph):
    summary = load(seed_graph, articles=False)
    assert summary.articles == 0
    assert query(empty_db, "MATCH (a:Article) RETURN count(a) AS c") == [{"c": 0}]
    assert query(empty_db, "MATCH ()-[m:MENTIONS]->() RETURN count(m) AS c") == [{"c": 0}]
    assert dump(empty_db) == expected_dump(seed_graph, articles=False)


def _semantic(snapshot):
    nodes = {k: (labels, {p: v for p, v in props.items() if p not in ("name", "type")})
             for k, (labels, props) in snapshot["nodes"].items()}
    return nodes, snapshot["relationships"]


@pytest.mark.neo4j
def test_training_then_development_equals_both_at_once(empty_db):
    train, dev = BC5CDR_TRAIN, BC5CDR_DEV
    load(kg.build(train).graph)
    second = load(kg.build(dev).graph)
    assert second.nodes_updated > 0 and second.relationships_created > 0  # the corpora share entities
    incremental = dump(empty_db)
    clear_database(empty_db)
    both = kg.build([train, dev]).graph
    load(both)
    at_once = dump(empty_db)
    assert at_once == expected_dump(both)
    entity = lambda snap: {k for k in snap["nodes"] if not k.startswith("Article:")}  # noqa: E731
    assert entity(incremental) == entity(at_once)
    rel_pmids = lambda snap: sorted((s, t, e, dict(p).get("pmids")) for s, t, e, p in snap["relationships"])  # noqa: E731
    assert rel_pmids(incremental) == rel_pmids(at_once)
    node_pmids = lambda snap: {k: v[1].get("pmids") for k, v in snap["nodes"].items()}  # noqa: E731
    assert node_pmids(incremental) == node_pmids(at_once)
    # disjoint corpora: mentions, synonyms and counts add up exactly; name and type may
    # differ only where the builder's tie-breaks use what the database does not keep
    assert _semantic(incremental) == _semantic(at_once)
    differ = [k for k in at_once["nodes"] if incremental["nodes"][k] != at_once["nodes"][k]]
    assert len(differ) <= len(at_once["nodes"]) // 100, differ[:20]


@pytest.mark.neo4j
@pytest.mark.parametrize("dynamic", [None, False], ids=["dynamic", "per-label"])
def test_hostile_graph_loads_as_data(empty_db, dynamic):
    """Ids, types, names and PMIDs written to break out of a query text are stored as
    data, whether labels and types travel as values (5.26+) or are written into the text."""
    nasty_type = "x`]->() DETACH DELETE n //"
    nasty_rel = "x`]->() DETACH DELETE n //"
    big = "ß\\'\"`" * 20_000  # 100 kB
    G = nx.MultiDiGraph()
    G.graph["articles"] = {"1'}) DETACH DELETE a //": "Title with \"quotes\", back\\slash and `ticks`", "2": ""}
    G.add_node("MESH:D1') DETACH DELETE n //", type=nasty_type, name=big,
               synonyms={"a\"b": 3, "c\\d": 2, "`e`": 1, "😀 ünï": 1}, mentions=7,
               pmids=["1'}) DETACH DELETE a //", "2"])
    G.add_node("X:`}", type="Gene", name="$rows {id: 1}", synonyms={}, mentions=0, pmids=[])
    G.add_edge("MESH:D1') DETACH DELETE n //", "X:`}", key=nasty_rel, pmids=["2", "1'}) DETACH DELETE a //"],
               count=2, mentions=2, source_types=["t'`\""])
    G.add_edge("X:`}", "MESH:D1') DETACH DELETE n //", key="Association", pmids=["2"], count=1, mentions=1,
               source_types=[])
    query(empty_db, "CREATE (:Sentinel {id: 'keep me'})-[:KEEP]->(:Sentinel {id: 'me too'})")
    assert load(G, dynamic_labels=dynamic).dynamic_labels is (dynamic is None)
    load(G, dynamic_labels=dynamic)
    snapshot = dump(empty_db)
    assert query(empty_db, "MATCH (s:Sentinel)-[:KEEP]->(:Sentinel) RETURN s.id AS n") == [{"n": "keep me"}]
    node = snapshot["nodes"]["MESH:D1') DETACH DELETE n //"]
    assert node[0] == ("Entity", "x_DETACH_DELETE_n")
    assert node[1]["name"] == big and node[1]["type"] == nasty_type
    assert node[1]["synonyms"] == ["a\"b", "c\\d", "`e`", "😀 ünï"] and node[1]["synonym_counts"] == [3, 2, 1, 1]
    types = {t for _, t, _, _ in snapshot["relationships"]}
    assert types == {"X_DETACH_DELETE_N", "ASSOCIATION", "MENTIONS", "KEEP"}
    assert snapshot["nodes"]["Article:2"] == (("Article",), {"pmid": "2"})
    expected = expected_dump(G)
    entities = {k: v for k, v in snapshot["nodes"].items() if v[0] != ("Sentinel",)}
    assert entities == expected["nodes"]
    assert [r for r in snapshot["relationships"] if r[1] != "KEEP"] == expected["relationships"]
    hits = query(empty_db, "CALL db.index.fulltext.queryNodes('entity_names', $q) YIELD node RETURN node.id AS id",
                 q='"ünï"')
    assert hits == [{"id": "MESH:D1') DETACH DELETE n //"}]


@pytest.mark.neo4j
def test_wrong_password(neo4j_driver, seed_graph):
    with pytest.raises(Neo4jError) as info:
        load_graph(seed_graph, uri=NEO4J_URI, auth=(NEO4J_AUTH[0], NEO4J_AUTH[1] + "-wrong"), database=NEO4J_DATABASE)
    message = str(info.value)
    assert NEO4J_URI in message and "authentication failed" in message and "\n" not in message


@pytest.mark.neo4j
def test_unknown_database(neo4j_driver, seed_graph):
    with pytest.raises(Neo4jError) as info:
        load_graph(seed_graph, uri=NEO4J_URI, auth=NEO4J_AUTH, database="nosuchdatabase")
    message = str(info.value)
    assert NEO4J_URI in message and "'nosuchdatabase' does not exist" in message and "\n" not in message


@pytest.mark.neo4j
def test_kg_load_unknown_database_exits_1(neo4j_driver, tmp_path):
    graph = tmp_path / "g.json"
    kg.write_graph(kg.build(SEED).graph, graph)
    proc = subprocess.run([*kg_command(), "load", str(graph), "--uri", NEO4J_URI, "--database", "nosuchdatabase"],
                          capture_output=True, text=True, timeout=120, env=cli_env())
    assert proc.returncode == 1, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and NEO4J_URI in lines[0] and "nosuchdatabase" in lines[0], proc.stderr


@pytest.mark.neo4j
def test_cli_build_with_neo4j(empty_db, tmp_path, seed_graph):
    out = tmp_path / "graph.json"
    proc = subprocess.run([*kg_command(), "build", str(REPO / "seeds"), "-o", str(out), "--neo4j", NEO4J_URI],
                          capture_output=True, text=True, timeout=300, env=cli_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "created" in proc.stdout and "rows/s" in proc.stdout
    rows = query(empty_db, "MATCH (d:Disease {id:'MESH:D008180'})-[r]-(g:Gene {id:'NCBIGene:9970'}) RETURN r.pmids AS p")
    assert {"p": ["39937001"]} in rows
    assert dump(empty_db) == expected_dump(kg.read_graph(out))


# -- the example queries ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples_db(neo4j_driver, corpus_graph):
    """The database holding exactly `corpus_graph` (reloaded if another test emptied it)."""
    expected = expected_dump(corpus_graph)
    size = (len(expected["nodes"]), len(expected["relationships"]))
    state = {}

    def ensure():
        now = query(neo4j_driver, f"MATCH (n) WHERE NOT n:{MARKER} RETURN count(n) AS n")[0]["n"], \
            query(neo4j_driver, "MATCH ()-[r]->() RETURN count(r) AS r")[0]["r"]
        if now != size or not state:
            clear_database(neo4j_driver)
            load(corpus_graph)
            state["loaded"] = True
        return neo4j_driver

    return ensure


def _nondirected(G):
    H = nx.Graph()
    for u, v, k in G.edges(keys=True):
        if k != "Co_Mention":
            H.add_edge(u, v)
    return H


def _check_most_studied(rows, G, params):
    expected = sorted(((-len(a["pmids"]), -a["mentions"], n) for n, a in G.nodes(data=True)
                       if a["type"] == params["type"]))[: params["limit"]]
    assert [r["id"] for r in rows] == [n for _, _, n in expected]
    assert rows[0]["articles"] == -expected[0][0]


def _check_disease_associations(rows, G, params):
    d = params["disease"]
    assert {"id": "NCBIGene:9970", "relation": "ASSOCIATION", "pmids": ["39937001"]}.items() <= next(
        r for r in rows if r["id"] == "NCBIGene:9970").items()
    expected = sum(1 for u, v, k in G.edges(keys=True) if d in (u, v) and k != "Co_Mention")
    assert len(rows) == expected


def _check_chemicals(rows, G, params):
    assert {"chemical": "MESH:D008750", "name": "alpha-methyldopa", "relation": "CID", "articles": 2,
            "pmids": ["227508", "15145918"]} in rows
    d = params["disease"]
    expected = sum(1 for u, v, k in G.edges(keys=True) if d in (u, v) and k in ("Treat", "Cause", "CID")
                   and G.nodes[v if u == d else u]["type"] == "Chemical")
    assert len(rows) == expected and {r["relation"] for r in rows} <= {"TREAT", "CAUSE", "CID"}


def _check_edge_evidence(rows, G, params):
    assert rows == [{"source": G.nodes["MESH:D008180"]["name"], "relation": "ASSOCIATION",
                     "target": "Chimeric antigen receptor", "pmid": "39937001",
                     "title": "Targeted Cellular Treatment of Systemic Lupus Erythematosus."}]


def _check_shortest_path(rows, G, params):
    H = _nondirected(G)
    assert len(rows) == 1
    assert rows[0]["hops"] == nx.shortest_path_length(H, params["source"], params["target"]) >= 2
    for hop in rows[0]["evidence"]:
        keys = [k for k in G[hop["from"]][hop["to"]] if k.upper() == hop["relation"]]
        assert keys and G[hop["from"]][hop["to"]][keys[0]]["pmids"] == hop["pmids"] != []


def _check_neighbourhood(rows, G, params):
    e = params["entity"]
    by_type = Counter(G.nodes[n]["type"] for n in nx.Graph(G.to_undirected())[e])
    assert {r["type"]: r["neighbours"] for r in rows} == dict(by_type)
    gene = next(r for r in rows if r["type"] == "Gene")
    assert "NCBIGene:9970 Chimeric antigen receptor" in gene["top"] or len(gene["top"]) == 10


def _check_name_search(rows, G, params):
    # Every entity with the word in its name or a synonym (Lucene's standard analyzer:
    # case-folded word tokens), best score first; which one is first is Lucene's BM25.
    word = params["query"].lower()
    hits = {n for n, a in G.nodes(data=True)
            if any(word in re.findall(r"\w+", form.lower()) for form in [a["name"], *a["synonyms"]])}
    assert {r["id"] for r in rows} == hits >= {"MESH:D008180", "MESH:D008181"}
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def _check_counts(rows, G, params):
    expected = counts(G)
    got = {(r["kind"], r["type"]): r["count"] for r in rows}
    want = {("entity", t): c for t, c in Counter(a["type"] for _, a in G.nodes(data=True)).items()}
    want |= {("relationship", t): c for t, c in expected["relationships"].items()}
    want |= {("article", "Article"): expected["articles"]["Article"],
             ("relationship", "MENTIONS"): expected["mentions"]["MENTIONS"]}
    assert got == want


def _check_articles_both(rows, G, params):
    titles = G.graph["articles"]
    both = set(G.nodes[params["first"]]["pmids"]) & set(G.nodes[params["second"]]["pmids"])
    assert {r["pmid"] for r in rows} == both and "227508" in both
    assert all(r["title"] == titles[r["pmid"]] for r in rows)


CHECKS = {
    "example_most_studied_entities": _check_most_studied,
    "example_disease_associations": _check_disease_associations,
    "example_chemicals_for_disease": _check_chemicals,
    "example_edge_evidence": _check_edge_evidence,
    "example_shortest_path": _check_shortest_path,
    "example_neighbourhood_by_type": _check_neighbourhood,
    "example_name_search": _check_name_search,
    "example_counts_by_type": _check_counts,
    "example_articles_mentioning_both": _check_articles_both,
}


def test_every_example_has_a_check():
    assert sorted(p.stem for p in EXAMPLES) == sorted(CHECKS)


@pytest.mark.neo4j
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_query(examples_db, corpus_graph, path):
    driver = examples_db()
    text = path.read_text(encoding="utf-8")  # as pasted into the Browser, comments included
    params = example_params(driver, text)
    rows = query(driver, text, **params)
    assert rows, f"{path.name} returned nothing for {params}"
    CHECKS[path.stem](rows, corpus_graph, params)


@pytest.mark.neo4j
def test_full_text_index_covers_synonyms(examples_db):
    driver = examples_db()
    rows = query(driver, load_query("example_name_search"), query="SLE")
    assert "MESH:D008180" in [r["id"] for r in rows]  # "SLE" is a synonym, not the name


# -- the bulk path: neo4j-admin import of the exported CSV ------------------------------------

BULK_BOLT = int(os.environ.get("KG_TEST_BULK_BOLT_PORT", "17689"))
BULK_HTTP = int(os.environ.get("KG_TEST_BULK_HTTP_PORT", "17476"))


def schema(driver) -> dict[str, list[tuple]]:
    """Constraints and indexes as SHOW gives them (names, kinds, labels, properties)."""
    return {
        "constraints": sorted(tuple(map(str, r.values())) for r in query(
            driver, "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties")),
        "indexes": sorted(tuple(map(str, r.values())) for r in query(
            driver, "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, state")),
    }


@pytest.mark.slow  # a second server, stopped and started again by the import
@pytest.mark.neo4j
def test_bulk_import_equals_driver_load(empty_db, corpus_graph, tmp_path_factory):
    """`kg export --format neo4j-csv` + `scripts/neo4j import` gives the driver load's
    database: the same nodes, relationships, constraints and indexes (online), and every
    example query gives its checked rows."""
    tmp = tmp_path_factory.mktemp("bulk")
    graph, csv_dir = tmp / "graph.json", tmp / "csv"
    kg.write_graph(corpus_graph, graph)
    proc = subprocess.run([*kg_command(), "export", str(graph), "--format", "neo4j-csv", "-o", str(csv_dir)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    heap = os.environ.get("KG_TEST_BULK_HEAP", "512m")
    with Neo4jInstance(tmp / "home", BULK_BOLT, BULK_HTTP, heap=heap) as server, server.driver() as bulk:
        # no --array-delimiter: the script's default must match kg's export
        proc = server.run("import", str(csv_dir), timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        imported, imported_schema = dump(bulk), schema(bulk)
        examples = {path.stem: query(bulk, path.read_text(encoding="utf-8"),
                                     **example_params(bulk, path.read_text(encoding="utf-8"))) for path in EXAMPLES}
    drop_schema(empty_db)  # the loader makes it again from today's cypher/schema.cypher
    load(corpus_graph)
    loaded = dump(empty_db)
    assert imported["nodes"].keys() == loaded["nodes"].keys()
    wrong = [(k, imported["nodes"][k][1], loaded["nodes"][k][1]) for k in loaded["nodes"]
             if imported["nodes"][k][1] != loaded["nodes"][k][1]]
    assert not wrong, f"{len(wrong)} nodes have other properties, e.g. {wrong[:3]}"
    assert imported["relationships"] == loaded["relationships"]
    labels = Counter((imported["nodes"][k][0], loaded["nodes"][k][0]) for k in loaded["nodes"]
                     if imported["nodes"][k][0] != loaded["nodes"][k][0])
    assert not labels, ("labels differ (imported, loaded): " + str(labels.most_common(3)) +
                        "; neo4j-admin splits :LABEL on the --array-delimiter too")
    loaded_schema = schema(empty_db)
    for kind in ("constraints", "indexes"):
        assert set(imported_schema[kind]) == set(loaded_schema[kind]), (
            kind, set(imported_schema[kind]) ^ set(loaded_schema[kind]))
    assert {"entity_id", "article_pmid"} <= {c[0] for c in imported_schema["constraints"]}
    assert all(i[-1] == "ONLINE" for i in imported_schema["indexes"]), imported_schema["indexes"]
    assert "entity_names" in {i[0] for i in imported_schema["indexes"]}
    for name, rows in examples.items():  # the same checks as test_example_query
        assert rows, f"{name} returned nothing on the imported database"
        CHECKS[name](rows, corpus_graph, example_params(empty_db, (CYPHER_DIR / f"{name}.cypher").read_text()))


# -- a real database is never wiped --------------------------------------------------------------

SENTINEL_BOLT = int(os.environ.get("KG_TEST_SENTINEL_BOLT_PORT", "17688"))
SENTINEL_HTTP = int(os.environ.get("KG_TEST_SENTINEL_HTTP_PORT", "17475"))


@pytest.mark.slow
@pytest.mark.neo4j
def test_a_database_without_the_marker_survives_the_tests(neo4j_driver, tmp_path):
    """A server that scripts/test did not start (no (:KgTestServer) node) holding a
    sentinel node and a constraint: the Neo4j test modules pointed at it by mistake fail
    with the reason and change nothing."""
    with Neo4jInstance(tmp_path / "home", SENTINEL_BOLT, SENTINEL_HTTP, mark=False) as server, \
            server.driver() as driver:
        query(driver, "CREATE CONSTRAINT sentinel_id IF NOT EXISTS FOR (s:Sentinel) REQUIRE s.id IS UNIQUE")
        query(driver, "CREATE (:Sentinel {id: 'my data'})-[:KEEP]->(:Sentinel {id: 'more of it'})")
        before = dump(driver), schema(driver)
        with pytest.raises(pytest.fail.Exception, match="refusing to wipe .* no \\(:KgTestServer\\) marker"):
            clear_database(driver)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "neo4j and not slow",
             str(REPO / "tests" / "test_neo4j.py"), str(REPO / "tests" / "test_neo4j_faults.py")],
            capture_output=True, text=True, timeout=900, cwd=REPO,
            env={**os.environ, "KG_TEST_NEO4J_URI": server.uri, "KG_REQUIRE_NEO4J": "1"})
        assert proc.returncode == 1, proc.stdout[-3000:]
        assert "refusing to wipe database 'neo4j' at " + server.uri in proc.stdout, proc.stdout[-3000:]
        assert (dump(driver), schema(driver)) == before
        assert query(driver, f"MATCH (m:{MARKER}) RETURN count(m) AS n") == [{"n": 0}]


# -- query texts: one per kind of row (Neo4j 5.26+), per label on older servers; plans --------

#: Operators that read every node, every node of a label, a whole index or every
#: relationship (of a type): a load query with one of them is quadratic in the database.
SCANS = re.compile(r"Scan|AllNodes|ByLabel")


def test_dynamic_texts_name_no_label_or_type():
    merge = query_text("load_merge_entities", dynamic=True)
    assert "SET n:$(row.label)," in merge and "`" not in merge
    create = query_text("load_create_relationships", dynamic=True)
    assert "[r:$(row.type)]" in create and "`" not in create
    for name in ("load_read_relationships", "load_update_relationships"):
        assert ":`" not in query_text(name) and "$type" not in query_text(name)


class _Profiling:
    """A transaction that PROFILEs every query it runs and keeps (text, operators)."""

    def __init__(self, tx, seen: list):
        self.tx, self.seen = tx, seen

    def run(self, text, *args, **kwargs):
        result = self.tx.run("PROFILE " + text, *args, **kwargs)
        records = list(result)
        summary = result.consume()
        ops, todo = [], [summary.profile]
        while todo:
            plan = todo.pop()
            ops.append(plan["operatorType"].split("@")[0])
            todo.extend(plan.get("children", []))
        self.seen.append((text, ops))

        class Done:
            def __iter__(self):
                return iter(records)

            def single(self):
                return records[0] if records else None

            def consume(self):
                return summary
        return Done()


@pytest.mark.neo4j
@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic", "per-label"])
def test_load_queries_seek_and_never_scan(empty_db, seed_graph, dynamic, monkeypatch):
    """Every load query, planned on an empty database (no relationships yet: the
    statistics that tempt Neo4j 5.26 into scanning), writes a new graph and then updates
    it through unique-index seeks only: no label scan, no index scan, no relationship scan."""
    from kg.neo4j import load as L

    real, names = L.query_text, set()
    monkeypatch.setattr(L, "query_text", lambda name, **kw: names.add(name) or real(name, **kw))
    drop_schema(empty_db)
    load(nx.MultiDiGraph())  # the schema only
    query(empty_db, "CALL db.clearQueryCaches()")
    names.clear()
    seen: list = []
    article_rows = [{"pmid": p, "title": t or ""} for p, t in seed_graph.graph["articles"].items()]
    mentions = L._mention_rows(seed_graph, seed_graph.graph["articles"])
    more = seed_graph.copy()  # a second corpus: every entity and relationship gains PMID 1
    for _, a in more.nodes(data=True):
        a["pmids"] = ["1", *a.get("pmids", [])]
    for _, _, a in more.edges(data=True):
        a["pmids"] = ["1", *a.get("pmids", [])]
    with empty_db.session(database=NEO4J_DATABASE) as session:
        for G in (seed_graph, more):
            def batch(tx, G=G):
                tx = _Profiling(tx, seen)
                L._tx_entities(tx, list(L._entity_rows(G)), dynamic)
                L._tx_articles(tx, article_rows)
                L._tx_relationship_batch(tx, [r for rows in L._relationship_rows(G).values() for r in rows], dynamic)
                for b in L._mention_batches(mentions, 10_000):
                    L._tx_mentions(tx, b)
            session.execute_write(batch)
    writes = {"load_create_relationships", "load_update_relationships"} if dynamic else {"load_merge_relationships"}
    assert names == {"load_read_entities", "load_lock_entities", "load_merge_entities", "load_read_articles",
                     "load_merge_articles", "load_read_relationships", "load_merge_mentions", *writes}
    for text, ops in seen:
        assert not [op for op in ops if SCANS.search(op)], (text, ops)
        assert any(op.startswith("NodeUniqueIndexSeek") for op in ops), (text, ops)
    texts = {text for text, _ in seen}
    if dynamic:  # one text per kind of row: no label or type written into any of them
        assert len(texts) == len(names) and not any(":`" in t for t in texts), sorted(texts)
    else:
        labels = {cypher_name(a["type"]) for _, a in seed_graph.nodes(data=True)}
        types = set(L._relationship_rows(seed_graph))
        assert len(texts) == len(names) - 2 + len(labels) + len(types) and len(labels) > 1, sorted(texts)
    written = dump(empty_db)
    clear_database(empty_db)
    load(seed_graph)
    load(more)
    assert dump(empty_db) == written


@pytest.mark.neo4j
def test_dynamic_and_per_label_texts_write_the_same_database(empty_db, corpus_graph, seed_graph):
    first = load(corpus_graph, dynamic_labels=False)
    assert not first.dynamic_labels
    per_label = dump(empty_db)
    again = load(corpus_graph, dynamic_labels=True)  # the other texts see it as loaded already
    assert again.dynamic_labels
    assert (again.nodes_created, again.nodes_updated, again.relationships_created, again.relationships_updated) == \
        (0, 0, 0, 0)
    clear_database(empty_db)
    dynamic = load(corpus_graph)  # the server is 5.26 or later: dynamic texts by default
    assert dynamic.dynamic_labels
    assert dump(empty_db) == per_label == expected_dump(corpus_graph)
    assert (dynamic.nodes_created, dynamic.relationships_created) == (first.nodes_created, first.relationships_created)


@pytest.mark.neo4j
@pytest.mark.parametrize("version, dynamic", [("5.25.1", None), ("5.25.1", True), ("5.26.0", None)])
def test_servers_before_5_26_get_the_per_label_texts(empty_db, seed_graph, monkeypatch, version, dynamic):
    """The real server reported as `version`: 5.25 gets the per-label texts (and a clear
    refusal when dynamic labels are asked for), 5.26 the dynamic ones."""
    from kg.neo4j import load as L
    from kg.errors import Neo4jLoadError

    real = L.query_text
    fake = f"RETURN 'Neo4j Kernel' AS name, ['{version}'] AS versions, 'community' AS edition"
    used = []

    def spy(name, **kw):
        used.append((name, kw.get("dynamic", False)))
        return fake if name == "server_version" else real(name, **kw)

    monkeypatch.setattr(L, "query_text", spy)
    if version < "5.26" and dynamic:
        with pytest.raises(Neo4jLoadError, match=r"dynamic labels need Neo4j 5\.26 or later; the server is Neo4j 5\.25"):
            load(seed_graph, dynamic_labels=dynamic)
        assert query(empty_db, f"MATCH (n) WHERE NOT n:{MARKER} RETURN count(n) AS c") == [{"c": 0}]
        return
    summary = load(seed_graph, dynamic_labels=dynamic)
    assert summary.dynamic_labels == (version >= "5.26")
    assert ("load_merge_entities", summary.dynamic_labels) in used
    assert dump(empty_db) == expected_dump(seed_graph)
