"""The Spark engine (kg/spark): the in-memory engine's rows, report and rejections, at any scale.

- Chunks (no Spark): every PubTator and bulk file of seeds/ and tests/data, cut into
  chunks of ~100 bytes (plain and gzip) and read chunk by chunk, gives the graph and the
  report of one pass over the whole file.
- Parity: ``build_spark`` on seeds/ + tests/data (+ bulk files with bad lines, cut into
  small chunks) writes the neo4j-admin CSV and KGX that ``kg export`` writes for the
  in-memory graph, row for row (sorted), and the same report; in local mode, on the shared
  corpora, and on a real standalone cluster (master + 2 workers on 127.0.0.1, started by
  ``scripts/spark`` unless ``KG_SPARK_MASTER`` names a running one).
- Bad lines of a bulk file: rejected with file, line and reason, as listed by hand.

Spark tests skip without PySpark/Java, and fail instead when ``KG_REQUIRE_SPARK=1``.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import kg
from kg.builder import BuildReport, GraphBuilder
from kg.formats import sniff_format
from kg.io import write_kgx, write_neo4j_csv
from kg.pubtator import iter_input_files
from kg.spark.chunks import split_file
from kg.spark.read import read_chunk
from kg.vocab import apply_names

from conftest import DATA, ROOT, SEEDS, skip_or_fail

EXPORTS = ["neo4j-csv/nodes_entities.csv", "neo4j-csv/nodes_articles.csv", "neo4j-csv/relationships_entities.csv",
           "neo4j-csv/relationships_mentions.csv", "kgx/nodes.tsv", "kgx/edges.tsv"]

# A concept file and a relation file with bad lines; the line numbers rejected, by hand.
BAD_CONCEPTS = (
    "100\tGene\t673\tBRAF|B-raf\tPubTator3\n"       # 1
    "100\tDisease\tMESH:D008545\tmelanoma\tMeSH\n"  # 2
    "100\tGene\n"                                    # 3 rejected: 2 columns
    "\n"                                             # 4 blank
    "101\tChemical\tMESH:D000082\tacetaminophen\tMeSH\n"  # 5
    "\tGene\t7157\tTP53\tPubTator3\n"                # 6 rejected: no PMID
    "101\tMESH:D001\tD001\taspirin\tMeSH\n"          # 7 rejected: an id in the Type column
    "102\tSpecies\t9606\tpatients|human\tTaxonomy\n"  # 8
    "102\tGene\t\xff\xfe\tbad bytes\tPubTator3\n"    # 9 rejected: undecodable (written as latin-1)
    "102\tDisease\t-\tpain\tMeSH\n"                  # 10 no identifier
    "# a comment\n"                                  # 11 comment
    "103\tCellLine\tCVCL_0062\tHeLa\tCellosaurus\r\n"  # 12 CRLF
)
BAD_CONCEPT_LINES = [3, 6, 7, 9]
BAD_RELATIONS = (
    "100\tassociate\tGene|673\tDisease|MESH:D008545\n"  # 1
    "100\ttreat\tGene|673\n"                            # 2 rejected: 3 columns
    "101\t\tChemical|MESH:D000082\tGene|7157\n"         # 3 rejected: empty type
    "102\tpositive_correlate\tSpecies|9606\tGene|7157\n"  # 4
    "x y\tcause\tGene|1\tDisease|MESH:D1\n"             # 5 rejected: PMID with a space
    "103\tinhibit\tChemical|MESH:D000082\tCellLine|CVCL_0062\n"  # 6
)
BAD_RELATION_LINES = [2, 3, 5]
# Lines for the rules the Spark engine applies to bulk concept lines itself (kg.spark.concepts):
# document-scoped variant ids (one per PMID, also named by a relation), composite ids with a
# piece without id, ids of two namespaces (xrefs), a cell line given a taxon, mention lists
# with spaces, empty and repeated forms, a PMID seen again later (a second document), values
# that need CSV quoting (a PMID and an id with a comma), an empty mention list. (Not a `"`: kg's
# KGX writer cannot write one.)
RULES_CONCEPTS = (
    "200\tVariant\tc|SUB|G||A\tc.G>A| c.G>A \tPubTator3\n"
    "200\tVariant\ttmVar:c|SUB|C|1,2|T\tc.1,2C>T\tPubTator3\n"
    "200\tDisease\tD002544|-1\tcerebral infarction|\tMeSH\n"
    "200\tChemical\tHMDB:HMDB01397|CHEBI:17345\tfolate||folic acid\tMeSH\n"
    "201\tVariant\tc|SUB|G||A\tG>A\tPubTator3\n"
    "201\tCellLine\t9606\tHeLa\tCellosaurus\n"
    "201\tGene\t673;5728\tBRAF|PTEN\tPubTator3\n"
    "200\tGene\t673\tBRAF\tPubTator3\n"
    "20,2\tGene\t673\tB-raf, human\tPubTator3\n"
    "202\tSpecies\t9606\t\tTaxonomy\n"
    "202\tGene\t-\tunknown\tPubTator3\n"
    "202\tChemical\tMESH:C000083\tN-\"methyl\" aspirin|\"quoted\"\tMeSH\n"  # quotes: CSV-quoted, KGX as they are
)
RULES_RELATIONS = (
    "200\tassociate\tVariant|c|SUB|G||A\tDisease|MESH:D002544\n"
    "201\tassociate\tVariant|c|SUB|G||A\tGene|673\n"
    "201\tbind\tGene|673\tGene|673\n"
    "202\tcause\tFoo|1\tGene|673\n"
)


def require_spark() -> None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        skip_or_fail("KG_REQUIRE_SPARK", "PySpark or pyarrow is not installed (pip install -e '.[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        skip_or_fail("KG_REQUIRE_SPARK", "no Java for Spark (java on the PATH or JAVA_HOME)")


def write_bad_files(folder: Path) -> Path:
    """The bad concept and relation files, repeated with new PMIDs so that they make several
    chunks, plus a gzip copy of each, a truncated gzip and the rules files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("bioconcepts2pubtator3.bad", BAD_CONCEPTS), ("relation2pubtator3.bad", BAD_RELATIONS)):
        data = "".join("\n".join(_renumber(line, k) for line in text.split("\n")) for k in range(1, 9))
        raw = data.encode("latin-1")
        (folder / name).write_bytes(raw)
        (folder / (name + ".gz")).write_bytes(gzip.compress(raw, mtime=0))
    (folder / "bioconcepts2pubtator3.rules").write_text(RULES_CONCEPTS, encoding="utf-8")
    (folder / "relation2pubtator3.rules").write_text(RULES_RELATIONS, encoding="utf-8")
    packed = gzip.compress((BAD_CONCEPTS * 40).encode("latin-1"), mtime=0)
    (folder / "bioconcepts2pubtator3.truncated.gz").write_bytes(packed[: len(packed) * 2 // 3])
    return folder


def _renumber(line: str, k: int) -> str:
    """Copy `k` of a line: PMIDs 100.. become k00.. (other columns unchanged)."""
    head, sep, rest = line.partition("\t")
    return (f"{k}{head[1:]}" if head[:1] == "1" and head[1:].isdigit() else head) + sep + rest


def sorted_rows(path: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    """Header and sorted rows of a neo4j-admin CSV or a KGX TSV."""
    with open(path, newline="", encoding="utf-8") as fh:
        if path.suffix == ".tsv":
            rows = [line.split("\t") for line in fh.read().split("\n") if line]
        else:
            rows = list(csv.reader(fh))
    return rows[0], sorted(map(tuple, rows[1:]))


def in_memory_exports(paths: list, out: Path) -> tuple[Path, dict]:
    """The in-memory engine's ``kg export --format neo4j-csv`` and ``--format kgx``, and report."""
    result = kg.build(paths)
    write_neo4j_csv(result.graph, out / "neo4j-csv")
    write_kgx(result.graph, out / "kgx")
    return out, result.report.to_dict()


def assert_same_outputs(spark_out: Path, spark_report: dict, memory_out: Path, memory_report: dict) -> None:
    for rel in EXPORTS:
        mine, theirs = sorted_rows(spark_out / rel), sorted_rows(memory_out / rel)
        assert mine[0] == theirs[0], f"{rel}: header"
        assert len(mine[1]) == len(theirs[1]), f"{rel}: {len(mine[1])} rows, in-memory {len(theirs[1])}"
        assert mine[1] == theirs[1], f"{rel}: first differing row " + str(
            next((a, b) for a, b in zip(mine[1], theirs[1]) if a != b))
    assert spark_report == memory_report


# --- chunks: no Spark needed -------------------------------------------------------------------


def _chunked_build(path: Path, fmt: str, target: int, staging: Path):
    chunks = split_file(str(path), fmt, 0, target, str(staging))
    merged = GraphBuilder(BuildReport())
    for chunk in chunks:
        merged.merge(read_chunk(chunk).builder)
    return chunks, merged


def _splittable_files():
    files = [f for f in iter_input_files([SEEDS, DATA]) if sniff_format(f)[0] in ("pubtator", "bulk-concepts",
                                                                                   "bulk-relations")]
    assert len(files) > 20
    return files


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_chunks_read_as_the_whole_file(packed, tmp_path):
    """Cut into ~100-byte chunks, every file gives the whole file's graph and report."""
    cut = 0
    for path in _splittable_files():
        if packed:
            gz = tmp_path / (path.name + ".gz")
            gz.write_bytes(gzip.compress(path.read_bytes(), mtime=0))
            path = gz
        fmt = sniff_format(path)[0]
        staging = tmp_path / "staging"
        staging.mkdir(exist_ok=True)
        chunks, merged = _chunked_build(path, fmt, 97, staging)
        cut += len(chunks) > 1
        whole = kg.build(str(path), engine="python")
        G = merged.graph()
        merged.report.names = apply_names(G).to_dict()
        assert nx.utils.graphs_equal(G, whole.graph) and G.graph == whole.graph.graph, path
        assert dict(G.nodes(data=True)) == dict(whole.graph.nodes(data=True)), path
        assert list(G.edges(keys=True, data=True)) == list(whole.graph.edges(keys=True, data=True)), path
        mine, theirs = merged.report.to_dict(), whole.report.to_dict()
        for d in (mine, theirs):
            d.pop("files"), d.pop("skipped_files")
        assert mine == theirs, path
    assert cut > 15  # most files were really cut


def test_bulk_chunks_cut_only_between_pmids(tmp_path):
    folder = write_bad_files(tmp_path / "bad")
    path = folder / "bioconcepts2pubtator3.bad"
    chunks = split_file(str(path), "bulk-concepts", 0, 60, str(tmp_path))
    assert len(chunks) > 5
    lines = path.read_bytes().split(b"\n")
    for chunk in chunks[1:]:
        before, first = lines[chunk.first_line - 2], lines[chunk.first_line - 1]
        assert before.split(b"\t")[0] != first.split(b"\t")[0]
        assert chunk.prefix == b"PMID\tType\tConceptID\tMentions\tResource\n"


def test_truncated_gzip_is_one_chunk(tmp_path):
    folder = write_bad_files(tmp_path / "bad")
    chunks = split_file(str(folder / "bioconcepts2pubtator3.truncated.gz"), "bulk-concepts", 0, 60, str(tmp_path))
    assert len(chunks) == 1 and chunks[0].whole
    assert not list(tmp_path.glob("f*-c*.txt"))  # the staging files were removed


def test_facts_give_back_the_records(tmp_path):
    """A partial graph as facts, merged as Spark merges them (sums of equal facts), gives
    the records kg's own merge gives."""
    from collections import defaultdict

    from kg.builder import merge_edge_records, merge_node_records
    from kg.spark.records import edge_facts, edge_record, node_facts, node_record

    sample = DATA / "bulk" / "bioconcepts2pubtator3.sample"
    builders = [read_chunk(c).builder for c in split_file(str(sample), "bulk-concepts", 0, 400, str(tmp_path))]
    bad = write_bad_files(tmp_path / "bad")
    for name, fmt in (("bioconcepts2pubtator3.rules", "bulk-concepts"), ("relation2pubtator3.rules", "bulk-relations")):
        builders += [read_chunk(c).builder for c in split_file(str(bad / name), fmt, 1, 1 << 20, str(tmp_path))]
    assert len(builders) > 3
    nodes, edges = defaultdict(list), defaultdict(list)
    for b in builders:
        ns, es, _ = b.partial()
        for r in ns:
            nodes[r.id].append(r)
        for r in es:
            edges[(r.u, r.v, r.key)].append(r)
    for node_id, recs in nodes.items():
        sums = defaultdict(lambda: [0, 0])
        for r in recs:
            for fact, a, b, n, o in node_facts(r):
                sums[(fact, a, b)][0] += n
                sums[(fact, a, b)][1] += o
        merged = recs[0]
        for r in recs[1:]:
            merged = merge_node_records(merged, r)
        assert node_record(node_id, [(f, a, b, n, o) for (f, a, b), (n, o) in sums.items()]) == merged
    assert any(r.xrefs for rs in nodes.values() for r in rs)
    for (u, v, key), recs in edges.items():
        sums = {}
        for r in recs:
            for fact, a, n, score in edge_facts(r):
                old = sums.get((fact, a), (0, None))
                sums[(fact, a)] = (old[0] + n, score if old[1] is None else max(old[1], score))
        merged = recs[0]
        for r in recs[1:]:
            merged = merge_edge_records(merged, r)
        assert edge_record(u, v, key, [(f, a, n, s) for (f, a), (n, s) in sums.items()]) == merged
    assert edges


def test_plain_csv_values_are_written_as_they_are():
    """Values the Spark engine joins with commas itself (kg.spark.export._PLAIN) are written
    unquoted by the csv module too; the others it leaves to kg's row functions."""
    import io
    import re

    from kg.spark.export import _PLAIN

    for value in ["", "123", "tmVar:c|SUB|G||A;PMID:200", "a b", "x\ty", "é", "20,2", '7"7', "a\nb", "a\rb", "'q'"]:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(["1", value, "MENTIONS"])
        as_is = buf.getvalue() == f"1,{value},MENTIONS\n"
        assert as_is or re.search(_PLAIN, value) is None, repr(value)  # never a value that needs quoting
        assert as_is or value in ("20,2", '7"7', "a\nb"), repr(value)


# --- Spark ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    require_spark()
    from kg.spark import spark_session

    session = spark_session("local[2]", app="kg tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    bad = write_bad_files(tmp_path_factory.mktemp("bad"))
    return [str(SEEDS), str(DATA), str(bad)]


LOCAL_PROGRESS: list[str] = []  # the progress lines of local_build


@pytest.fixture(scope="module")
def local_build(spark, inputs, tmp_path_factory):
    from kg.spark import build_spark

    out = tmp_path_factory.mktemp("spark") / "out"
    LOCAL_PROGRESS.clear()
    return build_spark(inputs, out, spark=spark, chunk_bytes=16384, progress=LOCAL_PROGRESS.append)


@pytest.fixture(scope="module")
def memory_build(inputs, tmp_path_factory):
    return in_memory_exports(inputs, tmp_path_factory.mktemp("memory"))


@pytest.mark.slow  # starts Spark (a JVM and its workers): not in the fast loop
def test_local_mode_writes_the_in_memory_rows(local_build, memory_build):
    out, report = memory_build
    assert_same_outputs(local_build.outdir, json.loads((local_build.outdir / "report.json").read_text()), out, report)
    assert local_build.report.to_dict() == report
    assert report["documents"] > 500 and report["reconciles"]


@pytest.mark.slow  # starts Spark (a JVM and its workers): not in the fast loop
def test_progress_says_each_stage_with_its_figures(local_build):
    """A build of the whole dump runs for hours: each stage says when it is done, with the
    report's own figures (a line per stage, in order; task counts come every half minute)."""
    done = [line for line in LOCAL_PROGRESS if " done in " in line]
    assert [line.split(" done in ")[0] for line in done] == ["split", "read", "relations", "merge", "write"]
    report = local_build.report
    assert f"{report.lines.lines:,} lines, {report.documents:,} documents, {report.lines.rejected:,} rejected" in done[1]
    nodes, edges = sum(report.nodes_by_type.values()), sum(report.edges_by_type.values())
    assert done[4].endswith(f": {nodes:,} nodes, {edges:,} edges") and report.lines.rejected > 0


@pytest.mark.slow  # starts Spark (a JVM and its workers): not in the fast loop
def test_bulk_bad_lines_rejected_and_counted(local_build, inputs):
    report = local_build.report
    bad = Path(inputs[2])
    for name, lines in (("bioconcepts2pubtator3.bad", BAD_CONCEPT_LINES), ("relation2pubtator3.bad", BAD_RELATION_LINES)):
        for suffix in ("", ".gz"):
            path = str(bad / (name + suffix))
            got = [r["line"] for r in report.rejected if r["path"] == path]
            per_copy = len(BAD_CONCEPTS.split("\n")) - 1 if "concepts" in name else len(BAD_RELATIONS.split("\n")) - 1
            assert got == [k * per_copy + n for k in range(8) for n in lines], path
    reasons = {r["line"]: r["reason"] for r in report.rejected if r["path"] == str(bad / "bioconcepts2pubtator3.bad")}
    assert "2 columns" in reasons[3] and "without a PMID" in reasons[6] and "Type column" in reasons[7]
    assert reasons[9].startswith("undecodable bytes")
    truncated = [r for r in report.rejected if r["path"].endswith("truncated.gz")]
    assert [r for r in truncated if "cannot read" in r["reason"]] == truncated[-1:]
    entry = next(f for f in report.files if f["path"] == str(bad / "bioconcepts2pubtator3.bad.gz"))
    assert entry["lines"] == 8 * 12 and entry["documents"] == 8 * 4


@pytest.mark.slow  # starts Spark (a JVM and its workers): not in the fast loop
def test_tables_and_read_tables(local_build, spark, inputs):
    from kg.spark import read_tables

    out = local_build.outdir
    for table in ("entities", "relations", "articles", "mentions"):
        assert spark.read.parquet(str(out / table)).count() > 0, table
    G = read_tables(out, types=["Disease"], min_pmids=2, articles=True)
    assert G.number_of_nodes() > 10
    assert all(a["type"] == "Disease" and len(a["pmids"]) >= 2 for _, a in G.nodes(data=True))
    assert all(a["count"] >= 2 for *_, a in G.edges(keys=True, data=True))
    full = kg.build(inputs).graph
    ids = ["MESH:D008180", "NCBIGene:9970", "NCBITaxon:9606"]
    H = read_tables(out, ids=ids)
    assert dict(H.nodes(data=True)) == {n: full.nodes[n] for n in ids}
    assert sorted(H.edges(keys=True)) == sorted(e for e in full.subgraph(ids).edges(keys=True))
    assert set(G.graph["articles"]) == {p for _, ps in G.nodes(data="pmids") for p in ps}


@pytest.mark.slow  # starts Spark (a JVM and its workers): not in the fast loop
def test_shared_corpora(spark, corpora, tmp_path):
    from kg.spark import build_spark

    result = build_spark([str(corpora)], tmp_path / "out", spark=spark)
    out, report = in_memory_exports([str(corpora)], tmp_path / "memory")
    assert_same_outputs(result.outdir, result.report.to_dict(), out, report)


# --- a real cluster ------------------------------------------------------------------------------


SPARK_SCRIPT = ROOT / "scripts" / "spark"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``(master URL, scripts/spark environment)`` of a standalone master + 2 workers on
    127.0.0.1: the running one ``KG_SPARK_MASTER`` names (``scripts/test`` starts it, with
    its ``KG_SPARK_*`` settings in the environment), or one started here."""
    require_spark()
    master = os.environ.get("KG_SPARK_MASTER")
    if master:
        yield master, dict(os.environ)
        return
    env = {**os.environ, "KG_SPARK_HOME": str(tmp_path_factory.mktemp("spark-cluster")),
           "KG_SPARK_MASTER_PORT": "47177", "KG_SPARK_WEBUI_PORT": "48180"}
    started = subprocess.run([str(SPARK_SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        subprocess.run([str(SPARK_SCRIPT), "stop"], env=env, capture_output=True, timeout=120)
        pytest.fail(f"scripts/spark start failed:\n{started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1], env
    finally:
        subprocess.run([str(SPARK_SCRIPT), "stop"], env=env, capture_output=True, timeout=120)


@pytest.mark.slow  # starts Spark (a JVM and its workers): not in the fast loop
def test_cluster_listens_on_the_loopback_only(cluster):
    status = subprocess.run([str(SPARK_SCRIPT), "status"], env=cluster[1], capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert "workers registered: 2" in status.stdout
    sockets = [line.strip() for line in status.stdout.splitlines() if line.startswith("  ")]
    assert len(sockets) >= 5  # master RPC and UI, two workers' RPC and UI
    assert all(s.rsplit(":", 1)[0] in ("127.0.0.1", "[::ffff:127.0.0.1]") for s in sockets), sockets


@pytest.mark.slow  # starts Spark (a JVM and its workers): not in the fast loop
def test_standalone_cluster_writes_the_in_memory_rows(cluster, inputs, memory_build, tmp_path):
    """The CLI on the cluster (its own driver process): the same files and report."""
    master = cluster[0]
    assert master.startswith("spark://127.0.0.1:")
    out = tmp_path / "out"
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    run = subprocess.run([sys.executable, "-m", "kg", "build", *inputs, "--engine", "spark", "--master", master,
                          "-o", str(out), "--report", str(tmp_path / "report.json")],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert re.search(r"^kg: read done in \d+ s: [\d,]+ lines", run.stderr, re.M), run.stderr[-3000:]
    memory_out, report = memory_build
    assert_same_outputs(out, json.loads((tmp_path / "report.json").read_text()), memory_out, report)
