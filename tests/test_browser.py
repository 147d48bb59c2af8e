"""Pages in a real browser: the Neo4j Browser end to end (how our users meet the graph),
and the labels of `kg view`'s page.

Headless Chromium (Debian's, ``scripts/install-test-deps``; ``KG_CHROMIUM`` to point at
another) driven by playwright-python (never ``playwright install``: no download) opens the
Browser served by the test server's HTTP port, logs in, runs the ``:param`` line of
``cypher/example_disease_associations.cypher`` and then the file as a user pastes it, and
reads the result table. The expected rows come from the graph, not from the server.

The server is the tests' one (``KG_TEST_NEO4J_URI`` and friends, ``tests/neo4j_support.py``);
its HTTP address is asked from the server itself (``server.http.advertised_address``), or
given as ``KG_TEST_NEO4J_HTTP_URL``. Every request the page makes to another host is
refused, so the test never touches the internet. The screenshot of the result is kept as
``browser-result.png`` in the test's tmp dir (pytest keeps the last three runs).
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from urllib.parse import urlsplit

import networkx as nx
import pytest

import kg
from kg.neo4j import load_graph

from conftest import ROOT, SEEDS, skip_or_fail
from neo4j_support import NEO4J_AUTH, NEO4J_DATABASE, NEO4J_URI, empty_db, neo4j_driver, query  # noqa: F401

QUERY_FILE = ROOT / "cypher" / "example_disease_associations.cypher"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="module")
def chromium_path() -> str:
    found = os.environ.get("KG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        skip_or_fail("KG_REQUIRE_BROWSER", "chromium not found: install Debian's chromium (scripts/install-test-deps) "
                                           "or set KG_CHROMIUM")
    return found


def browser_url(driver) -> str:
    """The Browser of the test server: ``KG_TEST_NEO4J_HTTP_URL``, else the HTTP address the
    server advertises."""
    if os.environ.get("KG_TEST_NEO4J_HTTP_URL"):
        return os.environ["KG_TEST_NEO4J_HTTP_URL"].rstrip("/") + "/browser/"
    rows = query(driver, "SHOW SETTINGS YIELD name, value WHERE name = 'server.http.advertised_address' "
                         "RETURN value")
    assert rows, f"the server at {NEO4J_URI} has no HTTP connector; set KG_TEST_NEO4J_HTTP_URL"
    return f"http://{rows[0]['value']}/browser/"


def _local_only(route) -> None:
    url = urlsplit(route.request.url)
    if url.scheme in ("file", "data") or url.hostname in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort()


@contextmanager
def chromium_page(chromium_path: str, tmp_path, width: int = 1400, height: int = 1000):
    """A page of headless Chromium (playwright, a fresh profile), other hosts refused."""
    from playwright.sync_api import sync_playwright  # test extra: playwright (the library only)

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": width, "height": height})
        try:
            context.route("**/*", _local_only)
            yield context.new_page()
        finally:
            context.close()


def _run(page, command: str, done_text: str | None = None) -> None:
    """Put `command` into the Browser's editor and run it (Ctrl+Enter), as a user pastes."""
    page.locator("#monaco-main-editor").click()
    page.keyboard.insert_text(command)
    page.keyboard.press("Control+Enter")
    if done_text:
        page.get_by_text(done_text).first.wait_for(timeout=30_000)


@pytest.mark.slow  # a browser against the Neo4j Browser: ~20 s
@pytest.mark.neo4j
def test_browser_runs_the_disease_associations_example(chromium_path, empty_db, tmp_path):
    G = kg.build(SEEDS).graph
    summary = load_graph(G, uri=NEO4J_URI, auth=NEO4J_AUTH, database=NEO4J_DATABASE)
    # the rate leaves out the fixed set-up (connection, schema, indexes), which the summary names
    assert 0 < summary.setup_seconds < summary.seconds
    assert summary.rows_per_second == pytest.approx(summary.rows / (summary.seconds - summary.setup_seconds))
    assert f"after {summary.setup_seconds:.1f} s of set-up" in str(summary)
    lupus = "MESH:D008180"
    expected = sorted(
        (other, G.nodes[other]["name"], key.upper(), str(len(d["pmids"])))
        for u, v, key, d in G.edges(keys=True, data=True) if lupus in (u, v) and key != "Co_Mention"
        for other in [v if u == lupus else u]
    )
    assert len(expected) >= 5  # the seed's lupus associations: IRF5, CD72, XRCC1, variants, ...

    text = QUERY_FILE.read_text(encoding="utf-8")
    params = re.findall(r"^//\s*(:param .+)$", text, re.M)
    assert params == [f":param disease => '{lupus}'"]

    url = browser_url(empty_db)
    bolt = urlsplit(NEO4J_URI)
    shot = tmp_path / "browser-result.png"
    with chromium_page(chromium_path, tmp_path) as page:
        page.goto(f"{url}?dbms=bolt://{bolt.hostname}:{bolt.port}&preselectAuthMethod=NATIVE", timeout=60_000)
        page.get_by_test_id("username").fill(NEO4J_AUTH[0])
        page.get_by_test_id("password").fill(NEO4J_AUTH[1])
        page.get_by_test_id("connect").click()
        page.get_by_text("You are connected as user").wait_for(timeout=60_000)
        _run(page, f":use {NEO4J_DATABASE}")
        _run(page, params[0], "Successfully set your parameters")
        _run(page, text, "Started streaming")
        frame = page.get_by_test_id("frame").first
        assert frame.get_by_test_id("frameCommand").inner_text().startswith("// What is associated")
        # the table view: one <tr> per row, its first cell the row number (blank in the header)
        cells = frame.evaluate("f => [...f.querySelectorAll('tr')].map(r => [...r.querySelectorAll('th, td')]"
                               ".map(c => c.innerText.trim()).slice(1))")
        page.screenshot(path=str(shot))
    header, *rows = cells
    assert header == ["id", "name", "type", "relation", "articles", "pmids"]
    shown = sorted((r[0].strip('"'), r[1].strip('"'), r[3].strip('"'), r[4]) for r in rows)
    assert shown == expected, f"screenshot: {shot}"
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"



def test_view_labels_at_a_hub_do_not_overprint(chromium_path, tmp_path):
    """40 long-named genes around one disease: drawn as they are, their labels overprint
    each other; the page keeps the label of the entity in more articles (and the hub's)."""
    from kg.view import write_view

    G = nx.MultiDiGraph()
    G.add_node("MESH:D008180", type="Disease", name="systemic lupus erythematosus", pmids=[str(i) for i in range(50)])
    for i in range(40):
        G.add_node(f"NCBIGene:{i}", type="Gene", name=f"interferon regulatory factor {i}", pmids=[str(i)] * (i % 3 + 1))
        G.add_edge("MESH:D008180", f"NCBIGene:{i}", "Association", pmids=[str(i)])
    page_path = write_view(G, tmp_path / "hub.html").path
    with chromium_page(chromium_path, tmp_path, 1200, 900) as page:
        page.goto(page_path.resolve().as_uri())
        page.wait_for_selector("#kg-status[data-stabilized='1']", timeout=60_000)
        status = page.eval_on_selector("#kg-status", "e => Object.assign({}, e.dataset)")
        page.screenshot(path=str(tmp_path / "hub.png"))
    assert int(status["overlapsBefore"]) > 0, status  # the test can fail: they did overprint
    assert status["overlaps"] == "0", status
    assert 0 < int(status["labelsHidden"]) < 40, status
