"""kg.view (HTML page, summary PNG), `kg view | plot`, and the page opened in headless Chromium.

The browser tests skip when Chromium is not installed, and fail instead when CI or
KG_REQUIRE_BROWSER=1 is set (scripts/install-test-deps installs Debian's chromium).
Set KG_SCREENSHOT_DIR to keep the screenshots they take.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

import kg
from kg.cli.views import register
from kg import analysis
from kg.errors import KgError
from kg.view import write_plot, write_view


SLE = "MESH:D008180"


def page_data(path: Path) -> dict:
    page = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S)
    assert m, "no data block in the page"
    return json.loads(m.group(1))


# --- the page, without a browser ----------------------------------------------------------


def test_page_is_self_contained(G, tmp_path):
    summary = write_view(G, tmp_path / "v.html")
    page = summary.path.read_text(encoding="utf-8")
    assert (summary.nodes, summary.edges, summary.total) == (139, 99, 139)
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=|<link\b|@import|url\(\s*['\"]?https?:", page, re.I)
    assert "vis.js is dual licensed" in page and "@version 10.1.2" in page  # vendored, licence kept
    assert "sourceMappingURL" not in page
    assert "https://pubmed.ncbi.nlm.nih.gov/{pmid}/" in page
    assert "Showing all 139 entities." in page


def test_page_data_for_a_neighbourhood(G, tmp_path):
    summary = write_view(G, tmp_path / "sle.html", "systemic lupus erythematosus")
    data = page_data(summary.path)
    assert {n["id"] for n in data["nodes"]} == {SLE} | set(nx.all_neighbors(G, SLE))
    assert [n["id"] for n in data["nodes"] if n["seed"]] == [SLE]
    assert {n["type"] for n in data["nodes"]} == {"Disease", "Gene", "Variant"}
    [car] = [e for e in data["edges"] if {e["from"], e["to"]} == {SLE, "NCBIGene:9970"}]
    assert car["relations"][0]["pmids"] == ["39937001"] and not car["arrow"]
    assert data["articles"]["39937001"] == G.graph["articles"]["39937001"]
    assert set(data["colors"]) == {"Disease", "Gene", "Variant"}


def test_directed_links_have_arrows(G, tmp_path):
    data = page_data(write_view(G, tmp_path / "v.html").path)
    cid = [e for e in data["edges"] if [r["relation"] for r in e["relations"]] == ["CID"]]
    assert cid and all(e["arrow"] and G.has_edge(e["from"], e["to"], "CID") for e in cid)


def test_cap_keeps_the_entities_in_most_articles(G, tmp_path):
    summary = write_view(G, tmp_path / "v.html", max_nodes=20)
    assert (summary.nodes, summary.total) == (20, 139)
    data = page_data(summary.path)
    assert {n["id"] for n in data["nodes"]} == {r.id for r in analysis.top(G, n=20)}
    assert "Showing 20 of 139 entities: those mentioned in the most articles" in summary.path.read_text(encoding="utf-8")


def test_cap_on_a_neighbourhood_keeps_the_nearest(biored, tmp_path):
    first = set(nx.all_neighbors(biored, SLE))
    summary = write_view(biored, tmp_path / "v.html", SLE, depth=2, max_nodes=len(first) + 3)
    ids = {n["id"] for n in page_data(summary.path)["nodes"]}
    assert summary.total > summary.nodes == len(first) + 3
    assert ids >= first | {SLE}


def test_markup_in_names_cannot_break_the_page(tmp_path):
    G = nx.MultiDiGraph(articles={"1": "</script><script>alert(1)</script>"})
    G.add_node("X:1", type="Gene", name="</script><b>evil</b>", synonyms={}, pmids=["1"])
    G.add_node("X:2", type="Disease", name="<!-- two", synonyms={}, pmids=["1"])
    G.add_edge("X:1", "X:2", key="Association", pmids=["1"], count=1)
    path = write_view(G, tmp_path / "v.html", title="<i>t</i>").path
    page = path.read_text(encoding="utf-8")
    assert page.count("</script>") == 3 and "<i>t</i>" not in page and "<!--" not in page
    data = page_data(path)
    assert data["nodes"][0]["name"] == "</script><b>evil</b>"


def test_unknown_entity_is_a_kg_error(G, tmp_path):
    with pytest.raises(KgError, match="no entity matches"):
        write_view(G, tmp_path / "v.html", "no such thing")
    assert not (tmp_path / "v.html").exists()


def test_plot(G, tmp_path):
    image = pytest.importorskip("matplotlib.image")
    out = write_plot(G, tmp_path / "summary.png")
    pixels = image.imread(out)
    assert pixels.shape[:2] == (900, 1300)
    assert len({tuple(p) for p in pixels[::7, ::7].reshape(-1, pixels.shape[2])}) > 20  # not blank
    write_plot(nx.MultiDiGraph(), tmp_path / "empty.png")  # an empty graph still gives a picture


# --- the commands -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph_file(G, tmp_path_factory):
    path = tmp_path_factory.mktemp("graph") / "graph.json"
    kg.write_graph(G, path)
    return path


@pytest.fixture(scope="module")
def app():
    app = typer.Typer()
    register(app)
    return app


def test_cli_view(app, graph_file, tmp_path):
    out = tmp_path / "view.html"
    result = CliRunner().invoke(app, ["view", str(graph_file), "--entity", "SLE", "--depth", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"drew 10 entities and 10 links -> {out}" in result.output
    result = CliRunner().invoke(app, ["view", str(graph_file), "--max-nodes", "5", "-o", str(out)])
    assert result.exit_code == 0 and "drew 5 entities (of 82; raise --max-nodes" in result.output  # 57 have no relation


def test_cli_plot(app, graph_file, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "summary.png"
    result = CliRunner().invoke(app, ["plot", str(graph_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, message", [
    (["view", "{graph}", "--entity", "CD72"], "'CD72' matches 2 entities"),
    (["view", "{graph}", "--entity", "nothing like it"], "no entity matches 'nothing like it'"),
    (["view", "missing.json"], "missing.json: no such graph file"),
    (["plot", "missing.json"], "missing.json: no such graph file"),
])
def test_cli_errors_are_one_line_and_exit_1(app, graph_file, tmp_path, args, message):
    args = [a.replace("{graph}", str(graph_file)) for a in args]
    result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kg: error: ") and message in lines[0]


def test_cli_usage_error_exits_2(app, graph_file):
    assert CliRunner().invoke(app, ["view", str(graph_file), "--depth", "-1"]).exit_code == 2


# --- in a browser -------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",  # no network at all
    "--hide-scrollbars", "--window-size=1280,800", "--virtual-time-budget=20000",
]


def _required() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false") or os.environ.get("KG_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def chromium():
    found = os.environ.get("KG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        message = "chromium not found: install Debian's chromium (scripts/install-test-deps) or set KG_CHROMIUM"
        if _required():
            pytest.fail(message + " (required because CI or KG_REQUIRE_BROWSER=1 is set)")
        pytest.skip(message)
    return found


def run_chromium(chromium, tmp_path, url, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    proc = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def status(dom: str) -> dict:
    m = re.search(r'<span id="kg-status"([^>]*)>([^<]*)<', dom)
    assert m, "no status element in the page"
    attrs = dict(re.findall(r'data-(\w+)="([^"]*)"', m.group(1)))
    return {**attrs, "text": m.group(2)}


def test_browser_draws_every_node_offline(chromium, G, tmp_path):
    summary = write_view(G, tmp_path / "seed.html")
    dom = run_chromium(chromium, tmp_path, summary.path.as_uri(), "--dump-dom").stdout
    s = status(dom)
    assert (s["drawn"], s["edges"]) == ("139", "99"), s
    assert s["stabilized"] == "1" and s["text"].startswith("139 entities, 99 links drawn")
    assert dom.count('<option value="') == 139  # the search box's list


def test_browser_opens_an_entity_with_pubmed_links_and_screenshot(chromium, G, tmp_path):
    summary = write_view(G, tmp_path / "sle.html", "SLE")
    url = summary.path.as_uri() + "#" + SLE
    dom = run_chromium(chromium, tmp_path, url, "--dump-dom").stdout
    s = status(dom)
    assert s["drawn"] == "10", s
    details = dom[dom.index('<aside id="kg-details"'):]
    details = details[:details.index("</aside>")]
    assert "systemic lupus erythematosus" in details and "hidden" not in details.split(">")[0]
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/39937001/"' in details
    shot = tmp_path / "sle.png"
    run_chromium(chromium, tmp_path, url, f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    image = pytest.importorskip("matplotlib.image")
    pixels = image.imread(shot)
    assert pixels.shape[:2] == (800, 1280)
    disease_red = (pixels[..., 0] > 0.8) & (pixels[..., 1] < 0.45) & (pixels[..., 2] < 0.45)
    assert disease_red.sum() > 500, "the SLE node (red) is not on the screenshot"
    if os.environ.get("KG_SCREENSHOT_DIR"):
        keep = Path(os.environ["KG_SCREENSHOT_DIR"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / "sle.png")


def test_browser_big_graph_is_capped(chromium, biored, tmp_path):
    summary = write_view(biored, tmp_path / "biored.html", max_nodes=200)
    dom = run_chromium(chromium, tmp_path, summary.path.as_uri(), "--dump-dom").stdout
    s = status(dom)
    assert s["drawn"] == "200", s
    assert summary.total == biored.number_of_nodes() > 200  # isolated entities shown (the library's default)
    assert f"Showing 200 of {summary.total:,} entities" in dom
