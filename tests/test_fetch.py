"""`kg fetch` against a real HTTP server on 127.0.0.1 that replays recorded PubTator3 answers.

The server (`FakeAPI`, an `http.server` thread) splits the recorded files of
`tests/data/api/` into documents and answers the API's paths with the requested ones,
logging each request with its arrival time; faults are queued on it (429 with
Retry-After, 500s, a truncated or cut body, a slow answer). No test touches the internet.
"""

from __future__ import annotations

import gzip
import importlib
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import networkx as nx
import pytest
from typer.testing import CliRunner

import kg
from kg.cli.main import app
from kg.errors import FetchError, InputError, ParseError
from kg.fetch import MANIFEST, NOT_RETURNED, RateLimiter, RetryPolicy, parse_ids, read_ids

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "api"
PUBTATOR_FILES = sorted((DATA / "pubtator").glob("*.pubtator")) + [DATA / "pubtator" / "pubtator3.33333140.txt"]
BIOC_FILES = [DATA / "biocjson" / "pubtator3.37026113_240614.json", DATA / "biocjson" / "22439397_abstract_240916.json"]
FULL_TEXT = DATA / "biocjson" / "22429397_full_240916.json.gz"
OLD_SHAPE = DATA / "biocjson" / "pubtator3.37026113.json"
FAST = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, budget=20)
runner = CliRunner()


# --------------------------------------------------------------------------- the server


def pubtator_documents(files) -> dict[str, str]:
    """PMID -> its block of lines, from PubTator files (comment lines dropped)."""
    docs: dict[str, list[str]] = {}
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                docs.setdefault(re.split(r"[|\t]", line, maxsplit=1)[0], []).append(line)
    return {pmid: "\n".join(lines) + "\n" for pmid, lines in docs.items()}


def bioc_documents(files) -> dict[str, dict]:
    docs = {}
    for f in files:
        data = json.loads(gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes())
        for doc in data["PubTator3"] if "PubTator3" in data else [data]:
            docs[str(doc["_id"]).partition("|")[0]] = doc
    return docs


class Request(NamedTuple):
    time: float  # arrival, time.monotonic()
    method: str
    path: str
    ids: list  # pmids / pmcids asked for (query string or POST body)
    query: dict  # query-string parameters
    agent: str


class FakeAPI:
    """The PubTator3 API's paths, answered from recorded documents.

    Attributes
    ----------
    log : list of Request
    faults : deque of callables ``fault(handler, path) -> bool``, one per request in
        order; True when the fault has answered, False to answer normally after it.
    """

    def __init__(self, pubtator=None, bioc=None, pmc=None, hits=(), page_size=4, count=None,
                 cite=True, bare=False):
        self.pubtator = pubtator or {}
        self.bioc = bioc or {}
        self.pmc = pmc or {}
        self.hits = list(hits)  # search results in order, repeats included
        self.page_size = page_size
        self.count = len(self.hits) if count is None else count
        self.cite_ok = cite
        self.bare = bare  # answer one biocjson document as the older bare object
        self.log: list[tuple] = []
        self.faults: deque = deque()
        self.fail_ids: set[str] = set()  # any export asking for one of these answers 500
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                api.handle(self, "GET")

            def do_POST(self):
                api.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.server.handle_error = lambda request, address: None  # a client that gave up (timeout test)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # -- answering

    def handle(self, h, method):
        arrived = time.monotonic()
        url = urlsplit(h.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        ids = q.get("pmids", q.get("pmcids", ""))
        ids = ids.split(",") if ids else []
        if method == "POST":
            ids = json.loads(h.rfile.read(int(h.headers["Content-Length"])))["pmids"]
        self.log.append(Request(arrived, method, url.path, ids, q, h.headers.get("User-Agent")))
        fault = self.faults.popleft() if self.faults else None
        if fault is not None and fault(h, url.path):
            return
        if set(ids) & self.fail_ids:
            return self.send(h, 500, b"boom")
        status, body = self.answer(url.path, q, ids)
        self.send(h, status, body)

    def answer(self, path, q, ids):
        if path == "/publications/export/pubtator":
            return 200, "".join(self.pubtator[i] + "\n" for i in ids if i in self.pubtator).encode()
        if path == "/publications/export/biocjson":
            docs = [self.bioc[i] for i in ids if i in self.bioc]
            return 200, json.dumps(docs[0] if self.bare and len(docs) == 1 else {"PubTator3": docs}).encode()
        if path == "/publications/pmc_export/biocjson":
            return 200, json.dumps({"PubTator3": [self.pmc[i] for i in ids if i in self.pmc]}).encode()
        if path == "/search/":
            page = int(q.get("page", 1))
            results = [{"_id": p, "pmid": int(p), "title": "t"} for p in
                       self.hits[(page - 1) * self.page_size:page * self.page_size]]
            return 200, json.dumps({"results": results, "count": self.count, "page_size": self.page_size,
                                    "current": page, "total_pages": -(-len(self.hits) // self.page_size)}).encode()
        if path == "/cite/tsv":
            if not self.cite_ok:
                return 502, b"Bad Gateway"
            return 200, ("#PMID\tTitle\tJournal\n" + "".join(f"{p}\tt\tj\n" for p in self.hits)).encode()
        return 404, b"not found"

    @staticmethod
    def send(h, status, body, headers=(), length=None):
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()

    # -- faults (each answers one request)

    def status_once(self, status, headers=()):
        self.faults.append(lambda h, path: self.send(h, status, b"try later", headers) or True)

    def truncated_once(self, cut_connection=False):
        def fault(h, path):
            q = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query).items()}
            _, body = self.answer(path, q, q.get("pmids", "").split(","))
            half = body[:len(body) // 2]
            self.send(h, 200, half, length=len(body) if cut_connection else None)
            if cut_connection:
                h.close_connection = True
            return True

        self.faults.append(fault)

    def slow_once(self, seconds):
        def fault(h, path):
            time.sleep(seconds)
            return False  # then answer normally (the client has given up on it by then)

        self.faults.append(fault)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """requests honours HTTP(S)_PROXY: the local server must be reached directly."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def api():
    server = FakeAPI(pubtator=pubtator_documents(PUBTATOR_FILES), bioc=bioc_documents(BIOC_FILES),
                     pmc={"PMC3446384": bioc_documents([FULL_TEXT])["22429397"]})
    yield server
    server.close()


ALL_PMIDS = list(pubtator_documents(PUBTATOR_FILES))
ABSENT = ["1", "2"]


def same_graph(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> None:
    assert a.number_of_nodes() > 0 and a.number_of_edges() > 0
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert sorted(a.edges(keys=True, data=True), key=repr) == sorted(b.edges(keys=True, data=True), key=repr)
    assert a.graph == b.graph


def build(paths):
    """kg.build with the reference (Python) reader: the native one is checked against it elsewhere."""
    return kg.build(paths, engine="python")


def fetch(api, out, **kwargs):
    kwargs.setdefault("rate", 200)
    kwargs.setdefault("timeout", 2)
    kwargs.setdefault("retry", FAST)
    return kg.fetch(out, base_url=api.url, **kwargs)


def exports(api):
    return [r for r in api.log if r.path.startswith("/publications/")]


# --------------------------------------------------------------------------- the folder builds the recorded graph


def test_pubtator_fetch_builds_the_graph_of_the_recorded_files(api, tmp_path):
    assert len(ALL_PMIDS) == 9
    report = fetch(api, tmp_path / "corpus", pmids=ALL_PMIDS[:5] + ABSENT + ALL_PMIDS[5:] + ALL_PMIDS[:2],
                   format="pubtator", batch_size=4)
    assert report.reconciles()
    assert report.requested == ALL_PMIDS[:5] + ABSENT + ALL_PMIDS[5:] and report.duplicates == 2
    assert sorted(report.saved) == sorted(ALL_PMIDS)
    assert report.absent == {"1": NOT_RETURNED, "2": NOT_RETURNED}
    assert [(r.method, len(r.ids)) for r in exports(api)] == [("GET", 4), ("GET", 4), ("GET", 3)]
    assert all(r.agent.startswith("kg/") for r in api.log)
    files = sorted(p.name for p in (tmp_path / "corpus").iterdir())
    assert files == [MANIFEST, "pmids-00001.pubtator", "pmids-00002.pubtator", "pmids-00003.pubtator"]
    fetched, recorded = build(tmp_path / "corpus"), build(PUBTATOR_FILES)
    same_graph(fetched.graph, recorded.graph)
    assert fetched.report.documents == 9 and fetched.report.skipped_files == []


def test_biocjson_fetch_builds_the_graph_of_the_recorded_files(api, tmp_path):
    report = fetch(api, tmp_path / "c", pmids=["37026113", "3", "22429397"])
    assert report.saved == ["37026113", "22429397"] and list(report.absent) == ["3"]
    (saved,) = (tmp_path / "c").glob("pmids-*")
    assert saved.name == "pmids-00001.json" and len(json.loads(saved.read_bytes())["PubTator3"]) == 2
    same_graph(build(tmp_path / "c").graph, build(BIOC_FILES).graph)


def test_older_bare_document_answer(tmp_path):
    server = FakeAPI(bioc=bioc_documents([OLD_SHAPE]), bare=True)
    try:
        report = fetch(server, tmp_path / "c", pmids=["37026113"])
    finally:
        server.close()
    assert report.saved == ["37026113"] and not report.absent
    same_graph(build(tmp_path / "c").graph, build(OLD_SHAPE).graph)


def test_older_answer_of_one_document_a_line(tmp_path):
    docs = bioc_documents(BIOC_FILES)
    server = FakeAPI()
    server.faults.append(lambda h, path: server.send(h, 200, b"".join(json.dumps(d).encode() + b"\n"
                                                                      for d in docs.values())) or True)
    try:
        report = fetch(server, tmp_path / "c", pmids=list(docs))
    finally:
        server.close()
    assert report.saved == list(docs) and report.retries == 0
    same_graph(build(tmp_path / "c").graph, build(BIOC_FILES).graph)


def test_an_answer_without_documents_writes_no_file(api, tmp_path):
    report = fetch(api, tmp_path / "c", pmids=["1", "2"])
    assert report.absent == {"1": NOT_RETURNED, "2": NOT_RETURNED} and report.files_written == []
    assert [p.name for p in (tmp_path / "c").iterdir()] == [MANIFEST]  # kg build has nothing to skip
    api.log.clear()
    again = fetch(api, tmp_path / "c", pmids=["1", "2"])
    assert api.log == [] and again.absent == report.absent


def test_pmcids_give_full_texts(api, tmp_path):
    report = fetch(api, tmp_path / "c", pmcids=["pmc3446384", "PMC1"])
    assert report.requested == ["PMC3446384", "PMC1"] and report.saved == ["PMC3446384"]
    assert report.absent == {"PMC1": NOT_RETURNED}
    assert exports(api)[0].path == "/publications/pmc_export/biocjson"
    same_graph(build(tmp_path / "c").graph, build(FULL_TEXT).graph)


def test_full_text_flag_asks_full_true(api, tmp_path):
    fetch(api, tmp_path / "c", pmids=["22429397"], full_text=True)
    assert api.log[0].path == "/publications/export/biocjson" and api.log[0].query["full"] == "true"
    with pytest.raises(InputError, match="holds biocjson full texts"):
        fetch(api, tmp_path / "c", pmids=["22429397"])  # the same folder, abstracts: refused


def test_post_batch_above_100_ids(api, tmp_path):
    padding = [str(90_000_000 + i) for i in range(151)]
    report = fetch(api, tmp_path / "c", pmids=ALL_PMIDS + padding, format="pubtator", batch_size=150)
    assert [(r.method, len(r.ids)) for r in exports(api)] == [("POST", 150), ("GET", 10)]
    assert report.reconciles() and len(report.saved) == 9 and len(report.absent) == 151
    same_graph(build(tmp_path / "c").graph, build(PUBTATOR_FILES).graph)


def test_default_batch_is_100_by_get(api, tmp_path):
    padding = [str(90_000_000 + i) for i in range(200)]
    fetch(api, tmp_path / "c", pmids=ALL_PMIDS + padding, format="pubtator")
    assert [(r.method, len(r.ids)) for r in exports(api)] == [("GET", 100), ("GET", 100), ("GET", 9)]


# --------------------------------------------------------------------------- faults


def test_429_with_retry_after_then_success(api, tmp_path):
    api.status_once(429, [("Retry-After", "0.4")])
    report = fetch(api, tmp_path / "c", pmids=ALL_PMIDS, format="pubtator")
    assert report.retries == 1 and report.requests == 2 and len(report.saved) == 9
    first, second = api.log
    assert second.time - first.time >= 0.39  # waited as long as the server asked, not the 0.01 s backoff


def test_500_twice_then_success(api, tmp_path):
    api.status_once(500)
    api.status_once(503)
    report = fetch(api, tmp_path / "c", pmids=ALL_PMIDS, format="pubtator")
    assert report.retries == 2 and report.requests == 3 and report.reconciles()
    same_graph(build(tmp_path / "c").graph, build(PUBTATOR_FILES).graph)


@pytest.mark.parametrize("cut_connection", [False, True], ids=["short-json", "connection-cut"])
def test_truncated_body_is_retried(api, tmp_path, cut_connection):
    api.truncated_once(cut_connection)
    report = fetch(api, tmp_path / "c", pmids=["37026113", "22429397"])
    assert report.retries == 1 and report.saved == ["37026113", "22429397"]
    assert len(json.loads((tmp_path / "c" / "pmids-00001.json").read_bytes())["PubTator3"]) == 2


@pytest.mark.parametrize("body", [b"37026113|t|A title cut sh", b"<html><body>Service unavailable</body></html>\n"],
                         ids=["no-final-line-end", "html-page"])
def test_pubtator_answer_that_is_not_whole_is_retried(api, tmp_path, body):
    api.faults.append(lambda h, path: api.send(h, 200, body) or True)
    report = fetch(api, tmp_path / "c", pmids=["37026113"], format="pubtator")
    assert report.retries == 1 and report.saved == ["37026113"]
    assert (tmp_path / "c" / "pmids-00001.pubtator").read_text() == api.pubtator["37026113"] + "\n"


def test_retry_after_too_long_gives_up_at_once(api, tmp_path):
    api.status_once(429, [("Retry-After", "3600")])
    with pytest.raises(FetchError, match="asks to wait 3600 s"):
        fetch(api, tmp_path / "c", pmids=["37026113"])
    assert len(api.log) == 1


def test_slow_answer_times_out_and_is_retried(api, tmp_path):
    api.slow_once(1.0)
    started = time.monotonic()
    report = fetch(api, tmp_path / "c", pmids=ALL_PMIDS, format="pubtator", timeout=0.3)
    assert report.retries == 1 and len(report.saved) == 9
    assert time.monotonic() - started < 0.9  # did not wait for the slow answer


def test_retry_budget_ends_the_run_with_one_line(api, tmp_path):
    for _ in range(10):
        api.status_once(500)
    with pytest.raises(FetchError) as err:
        fetch(api, tmp_path / "c", pmids=ALL_PMIDS, retry=RetryPolicy(attempts=10, backoff=0.01, budget=3))
    assert "HTTP 500" in str(err.value) and "retry budget" in str(err.value) and "\n" not in str(err.value)
    assert len(api.log) == 4


def test_connection_refused_is_retried_then_one_line(tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    with pytest.raises(FetchError) as err:
        kg.fetch(tmp_path / "c", pmids=["1"], base_url=f"http://127.0.0.1:{port}", retry=FAST)
    assert str(err.value) == (f"http://127.0.0.1:{port}/publications/export/biocjson: connection failed (Failed "
                              "to establish a new connection: [Errno 111] Connection refused); gave up after 4 attempts")


def test_client_error_is_not_retried(api, tmp_path):
    with pytest.raises(FetchError, match="HTTP 404"):
        kg.fetch(tmp_path / "c", pmids=["1"], base_url=api.url + "/nowhere", rate=100, retry=FAST)
    assert len(api.log) == 1


# --------------------------------------------------------------------------- rate limit


def test_default_rate_is_three_requests_a_second(api, tmp_path):
    fetch(api, tmp_path / "c", pmids=ALL_PMIDS[:5], format="pubtator", batch_size=1, rate=3.0)
    times = [r.time for r in api.log]
    assert len(times) == 5
    gaps = [b - a for a, b in zip(times, times[1:])]
    # the client spaces the starts 1/3 s apart (exactly: test_rate_limiter_spacing_with_a_fake_clock);
    # arrivals add the network's, here a busy machine's, jitter: tens of ms on one gap
    # (measured up to 0.05 s at load 15 on 2 cores), which evens out over the run
    assert min(gaps) >= 1 / 3 - 0.1, gaps  # 4 requests/s or more would give 0.25 s or less
    assert times[3] - times[0] >= 1.0 - 0.1, gaps  # never 4 requests inside one second
    assert (times[-1] - times[0]) / 4 >= 1 / 3 - 0.03, gaps


def test_rate_limiter_spacing_with_a_fake_clock():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(3, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.wait()
    assert now[0] == pytest.approx(1.0) and slept == pytest.approx([1 / 3] * 3)


# --------------------------------------------------------------------------- search


def test_search_over_three_pages_with_duplicates(tmp_path):
    hits = ["34205807", "34895069", "35883435", "37026113",  # page 1
            "37026113", "22429397", "34205807", "33333140",  # page 2: two repeats
            "8975696", "33110380", "33809419"]               # page 3
    server = FakeAPI(pubtator=pubtator_documents(PUBTATOR_FILES), hits=hits, cite=False)
    try:
        report = fetch(server, tmp_path / "all", query="lupus", format="pubtator")
        searches = [r for r in server.log if not r.path.startswith("/publications/")]
        assert [(r.path, r.query.get("page")) for r in searches] == [
            ("/search/", "1"), ("/cite/tsv", None), ("/search/", "2"), ("/search/", "3")]  # cite failed once: paged
        assert all(r.query["text"] == "lupus" for r in searches)
        assert report.search_hits == 11 and report.duplicates == 2
        assert report.requested == list(dict.fromkeys(hits)) and len(report.saved) == 9
        same_graph(build(tmp_path / "all").graph, build(PUBTATOR_FILES).graph)

        server.log.clear()
        report = fetch(server, tmp_path / "six", query="lupus", max_results=6, format="pubtator")
        assert report.requested == ["34205807", "34895069", "35883435", "37026113", "22429397", "33333140"]
        assert len(report.saved) == 6 and [len(r.ids) for r in exports(server)] == [6]
    finally:
        server.close()


def test_search_takes_every_hit_from_cite_when_all_are_wanted(tmp_path):
    hits = ALL_PMIDS + ALL_PMIDS[:3]
    server = FakeAPI(pubtator=pubtator_documents(PUBTATOR_FILES), hits=hits, cite=True)
    try:
        report = fetch(server, tmp_path / "all", query="@DISEASE_Lupus", format="pubtator")
        assert [r.path for r in server.log if not r.path.startswith("/publications")] == ["/search/", "/cite/tsv"]
        assert report.requested == ALL_PMIDS and report.search_hits == 12 and report.duplicates == 3
        server.log.clear()
        # --max below the hit count: the search's first hits, by pages (cite/tsv has its own order)
        report = fetch(server, tmp_path / "seven", query="@DISEASE_Lupus", max_results=7, pmids=["1"],
                       format="pubtator")
        assert [r.path for r in server.log if not r.path.startswith("/publications")] == ["/search/", "/search/"]
        assert report.requested == ["1"] + ALL_PMIDS[:6]  # --max counts the given PMID too: exactly 7
        assert report.absent == {"1": NOT_RETURNED}
    finally:
        server.close()


def test_search_smaller_than_a_page_needs_one_request(tmp_path):
    server = FakeAPI(pubtator=pubtator_documents(PUBTATOR_FILES), hits=ALL_PMIDS, page_size=10)
    try:
        report = fetch(server, tmp_path / "c", query="x", max_results=2, format="pubtator")
    finally:
        server.close()
    assert [r.path for r in server.log] == ["/search/", "/publications/export/pubtator"]
    assert report.requested == ALL_PMIDS[:2]


# --------------------------------------------------------------------------- resume, interruption


def test_resume_fetches_only_the_missing_batch(api, tmp_path):
    out = tmp_path / "c"
    api.fail_ids = {ALL_PMIDS[4]}  # the second batch of four fails every time
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch(api, out, pmids=ALL_PMIDS, format="pubtator", batch_size=4)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "pmids-00001.pubtator"]
    assert build(out).report.documents == 4  # what is there is whole
    api.fail_ids = set()
    api.log.clear()
    report = fetch(api, out, pmids=ALL_PMIDS, format="pubtator", batch_size=4)
    assert [r.ids for r in exports(api)] == [ALL_PMIDS[4:8], ALL_PMIDS[8:]]
    assert report.files_kept == ["pmids-00001.pubtator"] and len(report.files_written) == 2
    assert report.reconciles() and len(report.saved) == 9
    same_graph(build(out).graph, build(PUBTATOR_FILES).graph)
    api.log.clear()
    again = fetch(api, out, pmids=ALL_PMIDS, format="pubtator", batch_size=4)
    assert api.log == [] and again.saved == report.saved  # nothing left to ask


def test_search_is_not_asked_again_on_resume(tmp_path):
    server = FakeAPI(pubtator=pubtator_documents(PUBTATOR_FILES), hits=ALL_PMIDS, cite=False)
    try:
        fetch(server, tmp_path / "c", query="q", max_results=5, format="pubtator")
        server.log.clear()
        report = fetch(server, tmp_path / "c", query="q", max_results=5, format="pubtator")
    finally:
        server.close()
    assert server.log == [] and report.requested == ALL_PMIDS[:5] and len(report.saved) == 5


def test_ctrl_c_leaves_the_folder_valid(api, tmp_path):
    out = tmp_path / "c"

    def interrupt(stage, done, total):
        if done >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch(api, out, pmids=ALL_PMIDS, format="pubtator", batch_size=4, progress=interrupt)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "pmids-00001.pubtator"]
    report = fetch(api, out, pmids=ALL_PMIDS, format="pubtator", batch_size=4)
    assert len(report.files_written) == 2 and report.reconciles()


def test_sigint_to_the_command_leaves_the_folder_valid(api, tmp_path):
    out = tmp_path / "c"
    api.faults.append(lambda h, path: False)  # the first batch answers at once
    api.slow_once(5.0)  # the second hangs: Ctrl-C comes while it waits
    proc = subprocess.Popen([sys.executable, "-m", "kg", "fetch", *ALL_PMIDS, "-o", str(out), "--format", "pubtator",
                             "--batch-size", "4", "--base-url", api.url, "--rate", "100", "--timeout", "10"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while len(api.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(api.log) == 2, "the command did not reach its second request"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [f"kg: interrupted; files saved so far stay in {out}: run again to resume"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "pmids-00001.pubtator"]
    report = fetch(api, out, pmids=ALL_PMIDS, format="pubtator", batch_size=4)
    assert report.files_kept == ["pmids-00001.pubtator"] and report.reconciles() and len(report.saved) == 9


def test_a_file_the_manifest_does_not_know_is_never_overwritten(api, tmp_path):
    out = tmp_path / "c"
    out.mkdir()
    (out / "pmids-00001.pubtator").write_text("mine\n")  # e.g. the manifest was deleted
    report = fetch(api, out, pmids=ALL_PMIDS[:2], format="pubtator")
    assert report.files_written == ["pmids-00002.pubtator"] and (out / "pmids-00001.pubtator").read_text() == "mine\n"


def test_killed_between_manifest_and_rename(api, tmp_path, monkeypatch):
    """The manifest names a file that never got its final name: the next run asks again."""
    out = tmp_path / "c"
    kf = importlib.import_module("kg.fetch")  # `kg.fetch` is the function

    real = kf.os.replace

    def replace(src, dst):
        if str(dst).endswith("pmids-00002.pubtator"):
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(kf.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        fetch(api, out, pmids=ALL_PMIDS, format="pubtator", batch_size=4)
    monkeypatch.setattr(kf.os, "replace", real)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "pmids-00001.pubtator"]  # no .part left
    assert "pmids-00002.pubtator" in (out / MANIFEST).read_text()
    api.log.clear()
    report = fetch(api, out, pmids=ALL_PMIDS, format="pubtator", batch_size=4)
    assert [r.ids for r in exports(api)] == [ALL_PMIDS[4:8], ALL_PMIDS[8:]]
    same_graph(build(out).graph, build(PUBTATOR_FILES).graph)
    assert report.reconciles()


# --------------------------------------------------------------------------- id lists


def test_id_list_formats(tmp_path):
    assert parse_ids(["123", "  456 ", "", "# comment", "789"]) == ["123", "456", "789"]
    medline = ["PMID- 39937001", "OWN - NLM", "TI  - Systemic lupus", "PMC - PMC11234", "", "PMID- 22429397"]
    assert parse_ids(medline) == ["39937001", "22429397"]
    assert parse_ids(medline, "pmcids") == ["PMC11234"]
    csv_lines = ['\ufeffPMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,Create Date,PMCID,NIHMS ID,DOI',
                 '39937001,"Lupus, and more",A B,C,A,J,2025,2025/02/12,,,10.1/x',
                 '22429397,Title,A,C,A,J,2012,2012/03/21,PMC3446384,,']
    assert parse_ids(csv_lines) == ["39937001", "22429397"]
    assert parse_ids(csv_lines, "pmcids") == ["PMC3446384"]
    summary = ["1. Potential Targets of Jiedu Quyu Ziyin Decoction.", "Li J, et al. J Immunol Res. 2023.",
               "PMID: 37026113 Free PMC article.", "", "2. Another title.", "PMID: 22429397 PMCID: PMC3446384"]
    assert parse_ids(summary) == ["37026113", "22429397"] and parse_ids(summary, "pmcids") == ["PMC3446384"]
    with pytest.raises(ParseError) as err:
        parse_ids(["123", "abc"], path="list.txt")
    assert (err.value.path, err.value.lineno) == ("list.txt", 2)
    with pytest.raises(ParseError) as err:  # a quoted title over two lines: the line number still right
        parse_ids(["PMID,Title", '1,"two', 'lines"', "x2,T"], path="s.csv")
    assert (err.value.lineno, err.value.line) == (4, "x2,T")
    with pytest.raises(ParseError, match="no PMCID column"):
        parse_ids(["PMID,Title", "1,T"], "pmcids")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(InputError, match="no PMIDs"):
        read_ids(tmp_path / "empty.txt")


# --------------------------------------------------------------------------- the command


def test_cli_fetch_then_build(api, tmp_path):
    ids = tmp_path / "pmids.txt"
    ids.write_text("\n".join(["PMID- " + p for p in ALL_PMIDS[:3]]) + "\n")
    res = runner.invoke(app, ["fetch", ALL_PMIDS[3], "1", "--pmids", str(ids), "-o", str(tmp_path / "c"),
                              "--format", "pubtator", "--base-url", api.url, "--rate", "100",
                              "--report", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert "saved 4, not returned by the API 1" in res.output and "1: not in the API's response" in res.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["reconciles"] and report["absent"] == {"1": NOT_RETURNED}
    res = runner.invoke(app, ["build", str(tmp_path / "c"), "-o", str(tmp_path / "g.json"), "--engine", "python"])
    assert res.exit_code == 0 and "4 documents" in res.output, res.output


def test_cli_pmcids_from_a_pubmed_csv(api, tmp_path):
    table = tmp_path / "csv-lupus-set.csv"
    table.write_text("PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,Create Date,PMCID,NIHMS ID,DOI\n"
                     '22429397,"A title, with a comma",A,C,A,J,2012,2012/03/21,PMC3446384,,\n'
                     "37026113,T,A,C,A,J,2023,2023/04/07,,,\n")
    res = runner.invoke(app, ["fetch", "--pmcids", str(table), "-o", str(tmp_path / "c"), "--base-url", api.url,
                              "--rate", "100"])
    assert res.exit_code == 0, res.output
    assert "requested 1 ids (0 PMIDs, 1 PMC ids)" in res.output and "saved 1, not returned by the API 0" in res.output
    assert [r.ids for r in api.log] == [["PMC3446384"]]


def test_cli_server_that_never_answers(tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does) and never answers
    try:
        port = silent.getsockname()[1]
        res = runner.invoke(app, ["fetch", "123", "-o", str(tmp_path / "c"), "--base-url", f"http://127.0.0.1:{port}",
                                  "--timeout", "0.2", "--retries", "1"])
    finally:
        silent.close()
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines() if hasattr(res, "stderr") else res.output.strip().splitlines()
    assert len(lines) == 1 and "no answer within 0.2 s" in lines[0] and f"127.0.0.1:{port}" in lines[0], lines


@pytest.mark.parametrize("args, message", [
    (["abc"], "not a PMID: 'abc'"),
    (["--pmids", "{empty}"], "no PMIDs in the file"),
    (["--pmids", "{bad}"], ":2: not a PMID"),
    (["--pmcids", "PMCx1"], "not a PMC id"),
    ([], "give PMIDs"),
    (["--pmcids", "PMC1", "--format", "pubtator"], "only as biocjson"),
    (["1", "--full-text", "--format", "pubtator"], "only as biocjson"),
    (["--pmids", "{missing}"], "cannot read the id list"),
    (["1", "--base-url", "127.0.0.1:8000"], "http:// or https://"),
    (["1", "--format", "xml"], "xml"),
])
def test_cli_bad_input_is_a_usage_error(tmp_path, args, message):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bad.txt").write_text("123\nabc\n")
    args = [a.format(empty=tmp_path / "empty.txt", bad=tmp_path / "bad.txt", missing=tmp_path / "no.txt") for a in args]
    base = [] if "--base-url" in args else ["--base-url", "http://127.0.0.1:9"]
    res = runner.invoke(app, ["fetch", *args, "-o", str(tmp_path / "c"), *base])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.replace("│", " ").split()), res.output
    assert not (tmp_path / "c").exists()
