"""Entity names from the vocabularies (kg.vocab, `kg names`, `kg build --vocab`, `kg vocab fetch`).

The oracle is tests/data/vocab (hand-written excerpts of the published files, see its
README) and names checked by hand against NCBI, MeSH and Cellosaurus. Downloads come
from a local HTTP server on 127.0.0.1; no test touches the internet.
"""

from __future__ import annotations

import gzip
import http.server
import io
import json
import shutil
import socket
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kg
from kg.cli.main import app
from conftest import DATA
from kg.errors import ParseError
from kg.neo4j import load_graph
from kg.vocab import (NamesReport, VocabError, apply_names, builtin_species, fetch_vocab, read_vocab,
                      vocab_kind)
from neo4j_support import NEO4J_AUTH, NEO4J_DATABASE, NEO4J_URI, empty_db, neo4j_driver, query  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
VOCAB = REPO / "tests" / "data" / "vocab"
SEEDS = REPO / "seeds"

#: Hand-checked: what the seed's nodes are called before and after naming with the excerpts.
SEED_NAMES = {
    "MESH:D008180": ("systemic lupus erythematosus", "Lupus Erythematosus, Systemic"),
    "NCBIGene:9970": ("Chimeric antigen receptor", "NR1I3"),
    "NCBITaxon:9606": ("patients", "Homo sapiens"),
    "NCBITaxon:10090": ("mice", "Mus musculus"),
    "MESH:D006973": ("hypertensive", "Hypertension"),
    "NCBIGene:7515": ("XRCC1", "XRCC1"),  # before issue 11, "X-ray repair cross-complementing"
    "CVCL_1452": ("MCF7/AdrR", "NCI/ADR-RES"),
}


@pytest.fixture
def seed():
    """The seed as mentions name it (kg.build names species from its table by default)."""
    return kg.build(SEEDS, builtin_names=False).graph


def _names(G, ids=SEED_NAMES):
    return {n: G.nodes[n].get("name") for n in ids}


def test_seed_named_from_the_excerpts(seed):
    assert _names(seed) == {n: before for n, (before, _) in SEED_NAMES.items()}
    synonyms = {n: dict(a["synonyms"]) for n, a in seed.nodes(data=True)}
    report = apply_names(seed, VOCAB)
    assert _names(seed) == {n: after for n, (_, after) in SEED_NAMES.items()}
    gene = seed.nodes["NCBIGene:9970"]
    assert gene["name_source"] == "vocabulary"
    assert gene["symbol"] == "NR1I3"
    assert gene["full_name"] == "nuclear receptor subfamily 1 group I member 3"
    assert {"HGNC:7969", "OMIM:603881"} <= set(gene["xrefs"])
    assert "Chimeric antigen receptor" in gene["synonyms"]  # mention forms stay
    assert seed.nodes["MESH:C406224"]["name_source"] == "vocabulary"  # a supplementary concept record
    assert {n: dict(a["synonyms"]) for n, a in seed.nodes(data=True)} == synonyms
    # not in the excerpts (README says why): the mention-derived name stays
    assert seed.nodes["MESH:D005921"]["name"] == "glomerulosclerosis"
    assert seed.nodes["MESH:D005921"]["name_source"] == "mentions"
    assert report.issues_total == 0 and report.issues == []
    assert report.names["Species"] == {"vocabulary": 3}
    assert report.names["Gene"] == {"vocabulary": 14}
    assert report.names["CellLine"] == {"vocabulary": 3}
    assert report.names["Variant"] == {"mentions": sum(1 for _, a in seed.nodes(data=True) if a["type"] == "Variant")}
    assert sum(sum(v.values()) for v in report.names.values()) == seed.number_of_nodes()
    assert [s["path"] for s in report.skipped] == [str(VOCAB / "README.md")]
    kinds = {Path(f["path"]).name: (f["kind"], f["terms"]) for f in report.files}
    assert kinds["names.dmp"] == ("taxonomy", 3)
    assert kinds["gene_info"] == ("gene", 14)
    assert kinds["desc2025.xml"][0] == "mesh_xml" and kinds["d2025.bin"][0] == "mesh_ascii"


def test_build_names_by_default_and_with_vocab():
    default = kg.build(SEEDS)
    assert default.graph.nodes["NCBITaxon:9606"]["name"] == "Homo sapiens"
    assert default.graph.nodes["NCBITaxon:9606"]["name_source"] == "builtin"
    assert default.report.names["names"]["Species"] == {"builtin": 2, "mentions": 1}
    named = kg.build(SEEDS, vocab=VOCAB)
    assert _names(named.graph) == {n: after for n, (_, after) in SEED_NAMES.items()}
    assert named.report.names["names"]["Species"] == {"vocabulary": 3}


def test_builtin_species_without_vocab(seed):
    report = apply_names(seed)
    assert seed.nodes["NCBITaxon:9606"]["name"] == "Homo sapiens"
    assert seed.nodes["NCBITaxon:9606"]["name_source"] == "builtin"
    assert seed.nodes["NCBITaxon:10090"]["name"] == "Mus musculus"
    assert seed.nodes["NCBITaxon:198787"]["name_source"] == "mentions"  # not in the table
    assert seed.nodes["MESH:D008180"]["name"] == "systemic lupus erythematosus"
    assert report.names["Species"] == {"builtin": 2, "mentions": 1}
    table = builtin_species()
    for tax_id, name in {"9606": "Homo sapiens", "10090": "Mus musculus", "10116": "Rattus norvegicus",
                         "7955": "Danio rerio", "7227": "Drosophila melanogaster",
                         "4932": "Saccharomyces cerevisiae", "559292": "Saccharomyces cerevisiae S288C",
                         "562": "Escherichia coli", "2697049": "Severe acute respiratory syndrome coronavirus 2",
                         "11676": "Human immunodeficiency virus 1"}.items():
        assert table["NCBITaxon:" + tax_id] == name


def test_naming_twice_changes_nothing_and_vocabulary_beats_builtin(seed):
    apply_names(seed)
    apply_names(seed, VOCAB)
    once = {n: dict(a) for n, a in seed.nodes(data=True)}
    assert seed.nodes["NCBITaxon:9606"]["name_source"] == "vocabulary"
    report = apply_names(seed, VOCAB)
    assert {n: dict(a) for n, a in seed.nodes(data=True)} == once
    assert report.renamed == 0
    apply_names(seed)  # the built-in table does not undo a vocabulary name
    assert seed.nodes["NCBITaxon:9606"]["name_source"] == "vocabulary"


def test_pubtator3_names_win_and_xrefs_merge(seed):
    a = seed.nodes["MESH:D008180"]
    a["name"], a["name_source"] = "Lupus Erythematosus Systemic", "pubtator3"
    g = seed.nodes["NCBIGene:9970"]
    g["name"], g["name_source"], g["xrefs"] = "NR1I3", "pubtator3", ["HGNC:7969", "UniProtKB:Q14994"]
    seed.add_node("HMDB:HMDB01397", type="Chemical", name="guanosine monophosphate", xrefs=["CHEBI:17345"],
                  synonyms={"guanosine monophosphate": 1})
    apply_names(seed, VOCAB)
    assert a["name"] == "Lupus Erythematosus Systemic" and a["name_source"] == "pubtator3"
    assert g["name_source"] == "pubtator3" and g["full_name"] == "nuclear receptor subfamily 1 group I member 3"
    assert g["xrefs"] == ["HGNC:7969", "UniProtKB:Q14994", "OMIM:603881", "Ensembl:ENSG00000143257"]
    hmdb = seed.nodes["HMDB:HMDB01397"]  # named through its cross-reference
    assert (hmdb["name"], hmdb["name_source"], hmdb["xrefs"]) == ("GMP", "vocabulary", ["CHEBI:17345"])


def test_pubtator3_bare_numbers_are_no_names():
    """PubTator3's BioC exports give species and cell lines their number as `name`."""
    path = DATA / "bioc" / "pubtator3_api_netmedex" / "22439397_abstract_240916.json"
    G = kg.build(path, vocab=VOCAB).graph
    assert (G.nodes["NCBITaxon:9606"]["name"], G.nodes["NCBITaxon:9606"]["name_source"]) == ("Homo sapiens", "vocabulary")
    assert (G.nodes["CVCL_0062"]["name"], G.nodes["CVCL_0062"]["name_source"]) == ("MDA-MB-231", "vocabulary")
    assert (G.nodes["CVCL_0031"]["name"], G.nodes["CVCL_0031"]["name_source"]) == ("MCF-7", "vocabulary")
    genes = [a for n, a in G.nodes(data=True) if a["type"] == "Gene"]
    assert genes and all(a["name_source"] == "pubtator3" for a in genes)  # real names stay
    assert kg.build(path).graph.nodes["NCBITaxon:9606"]["name"] == "Homo sapiens"  # the built-in table


def test_xml_and_ascii_mesh_agree(seed):
    xml, ascii_ = seed.copy(), seed.copy()
    for name in ("desc2025.xml", "supp2025.xml"):
        apply_names(xml, VOCAB / name)
    apply_names(ascii_, VOCAB / "mesh_ascii")
    mesh = [n for n in seed if n.startswith("MESH:")]
    assert {n: xml.nodes[n]["name"] for n in mesh} == {n: ascii_.nodes[n]["name"] for n in mesh}
    assert xml.nodes["MESH:D001241"]["name"] == "Aspirin"  # not its pharmacological action's name


def _gz(src: Path, dest: Path) -> None:
    with open(src, "rb") as f, gzip.open(dest, "wb") as out:
        shutil.copyfileobj(f, out)


def test_gzip_published_names_and_content_sniffing(seed, tmp_path):
    _gz(VOCAB / "gene_info", tmp_path / "Homo_sapiens.gene_info.gz")
    _gz(VOCAB / "desc2025.xml", tmp_path / "desc2025.xml.gz")
    shutil.copy(VOCAB / "names.dmp", tmp_path / "taxonomy-names.txt")  # unknown name: told by content
    _gz(VOCAB / "cellosaurus.txt", tmp_path / "cells.gz")
    (tmp_path / "names.tsv").write_text("ID\tCOMPOUND_ID\tNAME\tTYPE\n1\t15365\taspirin\tSYNONYM\n")
    assert vocab_kind(tmp_path / "taxonomy-names.txt")[0] == "taxonomy"
    assert vocab_kind(tmp_path / "cells.gz")[0] == "cellosaurus"
    assert vocab_kind(tmp_path / "names.tsv")[0] is None
    report = apply_names(seed, tmp_path)
    assert _names(seed) == {n: after for n, (_, after) in SEED_NAMES.items()}
    assert seed.nodes["MESH:C406224"]["name_source"] == "mentions"  # supp2025.xml not given
    assert report.issues_total == 0
    assert "synonyms, not the ChEBI name" in report.skipped[0]["reason"]


def test_names_dmp_inside_taxdump(seed, tmp_path):
    with tarfile.open(tmp_path / "taxdump.tar.gz", "w:gz") as tar:
        for name, data in (("citations.dmp", b""), ("names.dmp", (VOCAB / "names.dmp").read_bytes()),
                           ("nodes.dmp", b"9606\t|\t9605\t|\tspecies\t|\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    apply_names(seed, tmp_path, builtin=False)
    assert seed.nodes["NCBITaxon:9606"]["name"] == "Homo sapiens"
    assert seed.nodes["NCBITaxon:198787"]["name"] == "Platonia insignis"


BAD_LINES = {  # file → (line number of the inserted bad line, text)
    "names.dmp": (2, "10090|Mus musculus|scientific name\n"),
    "gene_info": (3, "9606\tnot-a-number\tBRCA1\n"),
    "mesh_ascii/d2025.bin": (4, "this is not a KEY = value line\n".replace(" = ", " ")),
    "cellosaurus.txt": (9, "garbage without the layout\n"),
    "compounds.tsv": (2, "15365\tC\n"),
}


def _with_bad_lines(dest: Path) -> None:
    shutil.copytree(VOCAB, dest, ignore=shutil.ignore_patterns("README.md"))
    for name, (lineno, text) in BAD_LINES.items():
        lines = (VOCAB / name).read_text().splitlines(keepends=True)
        lines.insert(lineno - 1, text)
        (dest / name).write_text("".join(lines))


def test_malformed_lines_reported_with_file_and_line(seed, tmp_path):
    _with_bad_lines(tmp_path / "v")
    xml = (VOCAB / "desc2025.xml").read_text().splitlines(keepends=True)
    (tmp_path / "v" / "desc2025.xml").write_text("".join(xml[:60]) + "<DescriptorRecord><Descr\n")  # truncated
    report = apply_names(seed, tmp_path / "v")
    found = {(Path(i["path"]).relative_to(tmp_path / "v").as_posix(), i["line"]) for i in report.issues}
    assert {(name, lineno) for name, (lineno, _) in BAD_LINES.items()} <= found
    assert ("desc2025.xml", 61) in found  # broken XML: the line the parser stopped at
    assert report.issues_total == len(report.issues) == len(BAD_LINES) + 1
    assert _names(seed) == {n: after for n, (_, after) in SEED_NAMES.items()}  # nothing else lost
    with pytest.raises(ParseError, match=r"gene_info:3: not a gene_info row"):
        list(read_vocab(tmp_path / "v" / "gene_info"))
    out = tmp_path / "g.json"
    res = CliRunner().invoke(app, ["build", str(SEEDS), "-o", str(out), "--vocab", str(tmp_path / "v")])
    assert res.exit_code == 0, res.output
    assert f"{tmp_path / 'v' / 'gene_info'}:3: not a gene_info row" in res.output
    assert kg.read_graph(out).nodes["NCBITaxon:9606"]["name"] == "Homo sapiens"


def test_kg_names_command(tmp_path):
    graph = tmp_path / "g.json"
    kg.write_graph(kg.build(SEEDS, builtin_names=False).graph, graph)
    res = CliRunner().invoke(app, ["names", str(graph), "--vocab", str(VOCAB), "-o", str(tmp_path / "n.json"),
                                   "--report", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert "Species: vocabulary 3" in res.output
    G = kg.read_graph(tmp_path / "n.json")
    assert _names(G) == {n: after for n, (_, after) in SEED_NAMES.items()}
    assert G.nodes["NCBIGene:9970"]["full_name"] == "nuclear receptor subfamily 1 group I member 3"
    assert json.loads((tmp_path / "r.json").read_text())["names"]["Species"] == {"vocabulary": 3}
    res = CliRunner().invoke(app, ["names", str(graph), "--vocab", str(tmp_path / "missing")])
    assert res.exit_code == 1 and "no such file or folder" in res.output


GENE_LINE = "9606\t{0}\tG{0}\t-\t-\tHGNC:HGNC:{0}\t1\t-\tgene number {0}\tprotein-coding\t-\t-\t-\t-\t20240101\t-\n"

PEAK = textwrap.dedent("""
    import resource, sys, time
    import networkx as nx
    from kg.vocab import apply_names
    G = nx.MultiDiGraph()
    for i in (1, 500000, 999999):
        G.add_node(f"NCBIGene:{i}", type="Gene", name="x", synonyms={"x": 1})
    started = time.perf_counter()
    report = apply_names(G, sys.argv[1]) if sys.argv[1] != "-" else None
    took = time.perf_counter() - started
    names = sorted(a["name"] for _, a in G.nodes(data=True))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, took, names, report and report.files[0]["lines"])
""")


@pytest.mark.slow
def test_million_line_gene_info_streams_in_little_memory(tmp_path):
    """gene_info is over 1 GB: only the graph's genes are kept, so the peak is the graph's."""
    path = tmp_path / "gene_info"
    with open(path, "w") as f:
        f.write("#tax_id\tGeneID\tSymbol\tLocusTag\tSynonyms\tdbXrefs\tchromosome\tmap_location\tdescription\t"
                "type_of_gene\tSymbol_from_nomenclature_authority\tFull_name_from_nomenclature_authority\t"
                "Nomenclature_status\tOther_designations\tModification_date\tFeature_type\n")
        for start in range(0, 1_000_000, 10_000):
            f.write("".join(GENE_LINE.format(i) for i in range(start, start + 10_000)))
    assert path.stat().st_size > 70e6

    def run(arg: str):
        out = subprocess.run([sys.executable, "-c", PEAK, arg], capture_output=True, text=True, check=True).stdout
        rss, took, *rest = out.split(" ", 2)
        return int(rss) / 1024, float(took), rest[0]

    base_mb, _, base_names = run("-")
    peak_mb, took, names = run(str(path))
    assert names.startswith("['G1', 'G500000', 'G999999'] 1000001"), names
    assert peak_mb - base_mb < 20, f"peak {peak_mb:.0f} MB, {base_mb:.0f} MB without the file"
    assert took < 30, f"{took:.1f} s for a million lines"


# --- kg vocab fetch against a local server ------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.cuts: dict[str, list[int]] = {}  # path → bytes to send before cutting, per request
        self.requests: list[tuple[str, str | None, int]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Static files with HTTP Range, and transfers cut on demand (Content-Length says more)."""

    def do_GET(self):
        path = self.server.root / self.path.lstrip("/")
        rng = self.headers.get("Range")
        if not path.is_file():
            self.server.requests.append((self.path, rng, 404))
            self.send_error(404)
            return
        data = path.read_bytes()
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        status = 206 if rng else 200
        self.server.requests.append((self.path, rng, status))
        self.send_response(status)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        cuts = self.server.cuts.get(self.path)
        if cuts:
            self.wfile.write(data[start:start + cuts.pop(0)])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(data[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    files = {
        "pub/taxonomy/taxdump.tar.gz": None,
        "gene/DATA/gene_info.gz": VOCAB / "gene_info",
        "projects/mesh/MESH_FILES/asciimesh/d2025.bin": VOCAB / "mesh_ascii" / "d2025.bin",
        "projects/mesh/MESH_FILES/asciimesh/c2025.bin": VOCAB / "mesh_ascii" / "c2025.bin",
        "databases/cellosaurus/cellosaurus.txt": VOCAB / "cellosaurus.txt",
        "pub/databases/chebi/Flat_file_tab_delimited/compounds.tsv.gz": VOCAB / "compounds.tsv",  # the old place
    }
    for rel, src in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("taxdump.tar.gz"):
            with tarfile.open(dest, "w:gz") as tar:
                tar.add(VOCAB / "names.dmp", arcname="names.dmp")
        elif rel.endswith(".gz"):
            _gz(src, dest)
        else:
            shutil.copy(src, dest)
    srv = _Server(root)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_fetch_all_then_name(server, tmp_path, seed):
    out = tmp_path / "vocab"
    res = CliRunner().invoke(app, ["vocab", "fetch", "-o", str(out), "--base-url", server.url, "--mesh-year", "2025"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["c2025.bin", "cellosaurus.txt", "compounds.tsv.gz", "d2025.bin",
                                                      "gene_info.gz", "taxdump.tar.gz"]
    assert (out / "cellosaurus.txt").read_bytes() == (VOCAB / "cellosaurus.txt").read_bytes()
    assert ("/pub/databases/chebi/flat_files/compounds.tsv.gz", None, 404) in server.requests  # then the old place
    apply_names(seed, out)
    assert _names(seed) == {n: after for n, (_, after) in SEED_NAMES.items()}
    n = len(server.requests)
    assert fetch_vocab(out, ["gene"], base_url=server.url) == [out / "gene_info.gz"]
    assert len(server.requests) == n  # already there: not downloaded again


def test_fetch_resumes_a_cut_transfer(server, tmp_path):
    path = "/databases/cellosaurus/cellosaurus.txt"
    server.cuts[path] = [300, 500]  # two cuts, then whole
    seen = []
    fetch_vocab(tmp_path, ["cellosaurus"], base_url=server.url, progress=lambda n, d, t: seen.append((d, t)))
    assert (tmp_path / "cellosaurus.txt").read_bytes() == (VOCAB / "cellosaurus.txt").read_bytes()
    assert [(r[1], r[2]) for r in server.requests] == [(None, 200), ("bytes=300-", 206), ("bytes=800-", 206)]
    size = (VOCAB / "cellosaurus.txt").stat().st_size
    assert seen[-1] == (size, size)
    assert not (tmp_path / "cellosaurus.txt.part").exists()


def test_fetch_cut_beyond_retries_is_resumed_by_the_next_run(server, tmp_path):
    path = "/databases/cellosaurus/cellosaurus.txt"
    server.cuts[path] = [100] * 4
    with pytest.raises(VocabError, match=r"download interrupted .* 400 bytes kept in .*cellosaurus.txt.part, run again"):
        fetch_vocab(tmp_path, ["cellosaurus"], base_url=server.url, retries=3)
    assert not (tmp_path / "cellosaurus.txt").exists()
    fetch_vocab(tmp_path, ["cellosaurus"], base_url=server.url)
    assert server.requests[-1][1:] == ("bytes=400-", 206)
    assert (tmp_path / "cellosaurus.txt").read_bytes() == (VOCAB / "cellosaurus.txt").read_bytes()


def test_fetch_offline_is_one_clear_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    started = time.monotonic()
    res = CliRunner().invoke(app, ["vocab", "fetch", "--only", "gene,taxonomy", "-o", str(tmp_path),
                                   "--base-url", f"http://127.0.0.1:{port}"])
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [
        f"kg: error: cannot reach 127.0.0.1:{port} ([Errno 111] Connection refused): offline? "
        "Run again when connected; what was downloaded is kept"]
    assert time.monotonic() - started < 5
    res = CliRunner().invoke(app, ["vocab", "fetch", "--only", "genes", "-o", str(tmp_path)])
    assert res.exit_code == 2 and "choose from taxonomy" in res.output


def test_fetch_http_error_names_the_url(server, tmp_path):
    with pytest.raises(VocabError, match=r"/asciimesh/d1999\.bin: HTTP 404"):
        fetch_vocab(tmp_path, ["mesh"], base_url=server.url, mesh_year=1999)


def test_report_as_text_and_dict():
    report = NamesReport()
    report.issue("names.dmp", 7, "bad")
    assert report.to_dict()["issues"] == [{"path": "names.dmp", "line": 7, "reason": "bad"}]
    assert "names.dmp:7: bad" in str(report)


# --- Neo4j ----------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_names_reach_neo4j_and_the_full_text_index(empty_db, seed):
    old = query(empty_db, "SHOW FULLTEXT INDEXES YIELD name, properties WHERE name = 'entity_names' "
                          "RETURN properties")
    if old and "symbol" not in old[0]["properties"]:  # made by an older kg (see cypher/schema.cypher)
        query(empty_db, "DROP INDEX entity_names")
    unnamed = seed.copy()
    apply_names(seed, VOCAB)
    load_graph(seed, uri=NEO4J_URI, auth=NEO4J_AUTH, database=NEO4J_DATABASE)
    ids = ["NCBIGene:9970", "NCBITaxon:9606", "MESH:D008180", "MESH:D005921"]

    def stored():
        rows = query(empty_db, "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, n.name AS name, "
                               "n.name_source AS source, n.symbol AS symbol, n.full_name AS full_name, "
                               "n.xrefs AS xrefs ORDER BY id", ids=ids)
        return {r.pop("id"): r for r in rows}

    first = stored()
    assert first["NCBIGene:9970"] == {"name": "NR1I3", "source": "vocabulary", "symbol": "NR1I3",
                                      "full_name": "nuclear receptor subfamily 1 group I member 3",
                                      "xrefs": ["OMIM:603881", "HGNC:7969", "Ensembl:ENSG00000143257"]}
    assert first["NCBITaxon:9606"] == {"name": "Homo sapiens", "source": "vocabulary", "symbol": None,
                                       "full_name": None, "xrefs": None}
    assert first["MESH:D008180"]["name"] == "Lupus Erythematosus, Systemic"
    assert first["MESH:D005921"] == {"name": "glomerulosclerosis", "source": "mentions", "symbol": None,
                                     "full_name": None, "xrefs": None}

    def search(text):
        return [r["id"] for r in query(empty_db, "CALL db.index.fulltext.queryNodes('entity_names', $q) "
                                                 "YIELD node, score RETURN node.id AS id ORDER BY score DESC, id",
                                       q=text)]

    assert search('"Homo sapiens"')[0] == "NCBITaxon:9606"
    assert search("NR1I3")[0] == "NCBIGene:9970"
    assert search('"nuclear receptor subfamily 1"') == ["NCBIGene:9970"]  # the full name
    assert "NCBITaxon:9606" in search("patients")  # mention forms still find it
    summary = load_graph(seed, uri=NEO4J_URI, auth=NEO4J_AUTH, database=NEO4J_DATABASE)
    assert (summary.nodes_created, summary.nodes_updated) == (0, 0)  # a reload changes nothing
    load_graph(unnamed, uri=NEO4J_URI, auth=NEO4J_AUTH, database=NEO4J_DATABASE)
    assert stored() == first  # the unnamed graph of the same corpus does not undo the names
