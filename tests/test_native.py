"""The native reader (kg._native, Rust) against the Python reference path.

Every check builds the same input both ways and compares the whole builder state:
nodes, edges, articles and the report, field by field; or the same error.
"""

import gzip
import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import kg
from kg import native
from kg.build import _read_files
from kg.errors import KgError
from kg.formats import sniff_format
from kg.pubtator import iter_input_files

from conftest import CORPORA, DATA, SEEDS, corpus_files, pubtator_files, require_native
from properties.test_fuzz import NASTY, spliced_corpus


@pytest.fixture(autouse=True)
def _native_built():
    """Every test here needs kg._native: skip without it, fail when KG_REQUIRE_NATIVE=1."""
    require_native()


FUZZ = settings(max_examples=int(os.environ.get("KG_NATIVE_EXAMPLES", settings().max_examples)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# -- helpers ---------------------------------------------------------------------------------

def _state(builder):
    nodes = {k: (n.types, n.forms, n.mentions, n.pmids) for k, n in builder.nodes.items()}
    edges = {k: (e.pmids, e.source_types, e.novel, e.count) for k, e in builder.edges.items()}
    r = builder.report
    report = {
        "files": r.files, "documents": r.documents, "lines": r.lines,
        "annotations_in_graph": r.annotations_in_graph, "mentions_without_id": dict(r.mentions_without_id),
        "relations_in_graph": r.relations_in_graph, "rejected": r.rejected,
        "unresolved_relations": r.unresolved_relations, "unknown_relation_types": dict(r.unknown_relation_types),
    }
    return {"nodes": nodes, "edges": edges, "articles": builder.articles, "report": report}


def _outcome(fn, *args, **kwargs):
    """('ok', state, builder) or (error type, message, error attributes)."""
    try:
        b = fn(*args, **kwargs)
    except (KgError, ValueError, OSError) as err:
        attrs = tuple(getattr(err, a, None) for a in ("reason", "path", "lineno", "line"))
        return type(err).__name__, str(err), attrs
    return "ok", _state(b), b


def _assert_same(files, strict=False, co_mentions=False, articles=True, **native_kwargs):
    files = [(str(p), "pubtator") for p in files]
    want = _outcome(_read_files, files, strict, co_mentions, articles)
    got = _outcome(native.read_files, files, strict, co_mentions, articles, **native_kwargs)
    assert got[0] == want[0], (got[:2], want[:2])
    if want[0] != "ok":
        assert got[1:] == want[1:]
        return want, got
    w, g = want[1], got[1]
    for part in ("articles", "nodes", "edges"):
        if g[part] != w[part]:
            bad = sorted(k for k in set(w[part]) | set(g[part]) if w[part].get(k) != g[part].get(k))
            pytest.fail(f"{part} differ at {len(bad)} keys, e.g. {[(k, w[part].get(k), g[part].get(k)) for k in bad[:3]]}")
    for field, value in w["report"].items():
        assert g["report"][field] == value, field
    finished = native.read_files(files, strict, co_mentions, articles, finish=True, **native_kwargs)
    assert _graph(finished) == _graph(want[2]), "the natively finished graph differs"
    return want, got


def _graph(builder):
    """Everything of `builder.graph()`, in order, and the report's tallies of it."""
    G = builder.graph()
    r = builder.report
    return (list(G.nodes(data=True)), list(G.edges(keys=True, data=True)), G.graph,
            [(u, list(G.succ[u]), list(G.pred[u])) for u in G], r.type_conflicts, r.nodes_by_type, r.edges_by_type)


def _write(tmp_path, data: bytes, name="in.pubtator") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


PUBTATOR_FILES = pubtator_files(DATA)  # tests/data (in the repo); the corpora: test_corpus_file_parity
SEED_FILES = [f for f in iter_input_files([SEEDS]) if sniff_format(f)[0] == "pubtator"]


# -- tests/data, the big corpora and the seeds ----------------------------------------------

@pytest.mark.parametrize("co_mentions", [False, True], ids=["plain", "co"])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.pubtator_files("path")
def test_corpus_file_parity(path, strict, co_mentions):
    _assert_same([path], strict, co_mentions)


@pytest.mark.parametrize("co_mentions", [False, True], ids=["plain", "co"])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_seeds_parity(strict, co_mentions):
    assert SEED_FILES
    _assert_same(SEED_FILES, strict, co_mentions)


@pytest.mark.parametrize("co_mentions", [False, True], ids=["plain", "co"])
def test_written_graphs_are_byte_identical(tmp_path, co_mentions):
    files = PUBTATOR_FILES + SEED_FILES
    want, got = _assert_same(files, False, co_mentions)
    for name, (_, _, builder) in (("py", want), ("rs", got)):
        kg.write_graph(builder.graph(), tmp_path / f"{name}.json")
    assert (tmp_path / "py.json").read_bytes() == (tmp_path / "rs.json").read_bytes()
    assert want[2].report.to_dict() == got[2].report.to_dict()


def test_articles_off():
    _assert_same(SEED_FILES + PUBTATOR_FILES[:3], False, False, articles=False)


# -- threads and chunks ----------------------------------------------------------------------

@pytest.mark.parametrize("threads,chunk_size", [(1, None), (2, None), (2, 1), (1, 64), (3, 4096)])
def test_threads_and_chunks_give_the_same_state(threads, chunk_size):
    files = PUBTATOR_FILES + SEED_FILES
    _assert_same(files, False, True, threads=threads, chunk_size=chunk_size)


def test_big_file_in_tiny_chunks_strict_first_error(tmp_path):
    # a problem late in a file split into many chunks: the first one in line order is raised
    base = (DATA / "biored" / "Dev.PubTator").read_bytes() * 8
    data = base + b"\n123|t|x\n123\tnot an offset\n" + base + b"\nbroken line\n"
    path = _write(tmp_path, data)
    for threads, chunk in ((2, 1), (2, 1000), (1, None)):
        want, got = _assert_same([path], True, threads=threads, chunk_size=chunk)
        assert want[0] == "ParseError"


# -- fuzzing ---------------------------------------------------------------------------------

@FUZZ
@given(data=st.binary(max_size=2000), strict=st.booleans(), co=st.booleans(),
       threads=st.integers(1, 3), chunk=st.sampled_from([None, 1, 7, 100]))
def test_arbitrary_bytes(tmp_path_factory, data, strict, co, threads, chunk):
    path = _write(tmp_path_factory.mktemp("fz"), data)
    _assert_same([path], strict, co, threads=threads, chunk_size=chunk)


@FUZZ
@given(data=spliced_corpus(), strict=st.booleans(), co=st.booleans(),
       threads=st.integers(1, 2), chunk=st.sampled_from([None, 1, 300, 5000]))
def test_spliced_corpus(tmp_path_factory, data, strict, co, threads, chunk):
    path = _write(tmp_path_factory.mktemp("fz"), data)
    _assert_same([path], strict, co, threads=threads, chunk_size=chunk)


@given(st.lists(st.sampled_from([b"1|t|T\n", b"1|a|A\n", b"1\t0\t3\tabc\tGene\t5\n", b"2\t0\t1\tx\tDisease\tD000001\n",
                                 b"1\tassociate\t5\tD000001\n", b"1\tCID\t5 D1\n", b"\n", b"\r\n", b" \t\n", b"#c\n",
                                 b"1\tGene\t5\n", b"1\t-2\t3\tx\tGene\t1\n", b"1\t\xc2\xb2\t3\tx\tGene\t1\n",
                                 b"1\t3\tx\tab\tGene\t1\n", b"1\t5\t3\tab\tGene\t1\n", b"1\t\t5\t6\n",
                                 b"1\tBind\tGene|7\tChemical|MESH:D1\tNovel\n", b"\xef\xbb\xbf2|t|B\n",
                                 b"3\t0\t2\tab\tVariant\ttmVar:p|SUB|A|1|B;RS#:12\n", b"3\tAssociation\trs12\tp|SUB|A|1|B\n",
                                 b"x\xff\n", b"1\t0\t1\t\xe2\x82\n"] + NASTY), max_size=40),
       st.booleans(), st.booleans(), st.integers(1, 2), st.sampled_from([None, 1, 10]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_line_soup(tmp_path_factory, lines, strict, co, threads, chunk):
    path = _write(tmp_path_factory.mktemp("fz"), b"".join(lines))
    _assert_same([path], strict, co, threads=threads, chunk_size=chunk)


def test_huge_lines_nul_bom_crlf(tmp_path):
    data = (b"\xef\xbb\xbf1|t|" + b"x" * 3_000_000 + b"\r\n1\t0\t3\tab\x00c\tGene\t1\r\n\x00\x00\n"
            + b"1\t4\t6\tx\xef\xbb\xbfy\tGene\t2\n\r\n2|t|a\tb|c\n2\tGene\t5\n")
    for chunk in (None, 1):
        _assert_same([_write(tmp_path, data)], False, True, chunk_size=chunk)


# -- decoding, crashes, gzip -----------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"\xff", b"ab\xc3", b"a\xe0\x80b", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                 b"\xf0\x9f\x98", b"\xc0\xaf", b"ok\xe2\x82\r", b"\xf8\x88\x80\x80\x80"])
def test_undecodable_lines(tmp_path, raw):
    data = b"1|t|T\n1\t0\t1\t" + raw + b"\tGene\t1\n" + raw + b"\n"
    want, got = _assert_same([_write(tmp_path, data)])
    assert [r["reason"] for r in got[1]["report"]["rejected"]][0].startswith("undecodable bytes (")


def test_non_decimal_digit_offset_is_rejected_like_python(tmp_path):
    # offsets are ASCII digits: '²' (a digit to str.isdigit) rejects the line, in both readers
    want, got = _assert_same([_write(tmp_path, "1\t\u00b2\t3\tx\tGene\t1\n".encode())])
    assert want[0] == "ok"
    assert [r["reason"] for r in got[1]["report"]["rejected"]] == ["offset '\u00b2' is not ASCII digits"]
    want, got = _assert_same([_write(tmp_path, ("1\t\u0663\t\u0665\tx\tGene\t1\n1\t9\t" + "1" * 30 + "\tx\tGene\t1\n").encode())])
    assert want[0] == "ok"


def test_gzip_plain_and_multi_member(tmp_path):
    base = (DATA / "biored" / "Dev.PubTator").read_bytes()
    path = tmp_path / "x.pubtator.gz"
    half = len(base) // 2
    path.write_bytes(gzip.compress(base[:half]) + gzip.compress(base[half:]))
    for chunk in (None, 4096):
        _assert_same([path], False, True, chunk_size=chunk)


@pytest.mark.parametrize("cut", [0.3, 0.77, 0.999])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_truncated_gzip(tmp_path, cut, strict):
    base = (DATA / "biored" / "Dev.PubTator").read_bytes()
    blob = gzip.compress(base)
    path = tmp_path / "cut.pubtator.gz"
    path.write_bytes(blob[: int(len(blob) * cut)])
    plain = SEED_FILES[0]
    for chunk in (None, 2048):
        want, got = _assert_same([plain, path, plain], strict, chunk_size=chunk)
        if strict:
            assert want[0] == "InputError"
        else:
            assert "cannot read further (EOFError" in want[1]["report"]["rejected"][-1]["reason"]


def _gz_cases():
    base = SEEDS.joinpath("PMID39937001.pubtator").read_bytes()
    one = gzip.compress(base)
    return {
        "trailing-garbage": one + b"garbage!",
        "trailing-partial-magic": one + b"\x00\x00\x1f",
        "zero-padding": one + b"\x00" * 10,
        "zero-padding-then-member": one + b"\x00" * 10 + one,
        "bad-method": b"\x1f\x8bxxxxxxxxxxxx",
        "bad-method-second-member": one + b"\x1f\x8b\x07aaaaaaaaa",
        "magic-only": b"\x1f\x8b",
        "header-only": b"\x1f\x8b\x08",
        "second-member-truncated": one + one[:40],
        "empty-member": gzip.compress(b""),
    }


@pytest.mark.parametrize("case", sorted(_gz_cases()))
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_gzip_member_rules_as_python(tmp_path, case, strict):
    path = tmp_path / "x.gz"
    path.write_bytes(_gz_cases()[case])
    _assert_same([path], strict)


def test_missing_file_raises_like_python(tmp_path):
    _assert_same([SEED_FILES[0], tmp_path / "nope.pubtator"])
    _assert_same([SEED_FILES[0], tmp_path / "nope.pubtator"], True)


# -- Python's string predicates, as compiled into the extension ------------------------------

def test_unicode_tables_match_this_python():
    # the one table left in the extension: str.isspace / str.strip() for the parser's columns
    from kg import _native

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    assert [c for c in chars if c.isspace() != _native._py_isspace(c)] == []


@given(st.lists(st.one_of(st.from_regex(r"0*[0-9]{1,25}", fullmatch=True), st.text(min_size=1, max_size=6)),
                max_size=30))
def test_pmid_order_is_sort_pmids(pmids):
    # the finish orders PMIDs natively (a Python call over every PMID costs ~0.1 s a 100k);
    # this holds it to kg.normalize.sort_pmids, the rule (PMIDs are never empty: the
    # parser rejects such lines)
    from kg import _native
    from kg.normalize import sort_pmids

    assert _native._sort_pmids(pmids) == sort_pmids(pmids)


def test_rules_are_called_once_per_distinct_value(tmp_path, monkeypatch):
    # the GIL is taken on a cache miss only: one resolve_annotation call per distinct
    # (type, id, extra) and one relation_ref call per distinct id missing the document's index
    calls = {"resolve_annotation": [], "relation_ref": []}
    rules = native._rules()
    for name, seen in calls.items():
        monkeypatch.setitem(rules, name, lambda *a, f=rules[name], seen=seen: seen.append(a) or f(*a))
    monkeypatch.setattr(native, "_rules", lambda: rules)
    doc = ("{p}|t|x\n{p}\t0\t1\tA\tGene\t7\n{p}\t0\t1\tB\tGene\t7\n{p}\t2\t3\tC\tDisease\tD1|D2\tc|d\n"
           "{p}\tAssociation\t7\tD1\n{p}\tBind\tGene|8\tD2\n\n")
    path = _write(tmp_path, "".join(doc.format(p=p) for p in range(1, 200)).encode())
    native.read_files([(path, "pubtator")], False, False, True, threads=1, finish=True)
    assert sorted(calls["resolve_annotation"]) == [("Disease", "D1|D2", "c|d"), ("Gene", "7", ""), ("Gene", "8", "")]
    assert calls["relation_ref"] == [("Gene|8",)]  # D1, D2: alias keys of "D1|D2"


@pytest.mark.parametrize("threads,chunk_size", [(1, None), (2, 1), (2, 9), (3, 40)])
def test_consecutive_blocks_of_one_pmid_across_chunks(tmp_path, threads, chunk_size):
    # a full text written one passage a block: one article (counted once, first block's
    # title; relations name entities of earlier blocks; co-mentions across blocks, each pair
    # once) even where chunks could be cut between the blocks
    data = ("1|t|First\n1\t0\t5\tFirst\tGene\t1\n\n1|t|Second block\n1\t0\t6\tSecond\tGene\t2\n"
            "1\tAssociation\t1\t2\n\n# note\n\n1|a|third\n1\t0\t5\tthird\tGene\t3\n1\tBind\t3\t1\n\n"
            "2|t|Other\n\n1|t|A longer title, again\n\n")
    want, got = _assert_same([_write(tmp_path, data.encode())], False, True, threads=threads, chunk_size=chunk_size)
    assert sorted(k for k in got[1]["edges"]) == [
        ("NCBIGene:1", "NCBIGene:2", "Association"), ("NCBIGene:1", "NCBIGene:2", "Co_Mention"),
        ("NCBIGene:1", "NCBIGene:3", "Bind"), ("NCBIGene:1", "NCBIGene:3", "Co_Mention"),
        ("NCBIGene:2", "NCBIGene:3", "Co_Mention")]
    assert got[1]["report"]["documents"] == 3
    assert got[1]["articles"] == {"1": "A longer title, again", "2": "Other"}


@pytest.mark.parametrize("data", [
    # names from non-ASCII forms are chosen by Python (isalpha/isupper/lower on Unicode)
    "1|t|TNF-\u03b1 and \u0130L6\n1\t0\t5\tTNF-\u03b1\tGene\t7124\n1\t10\t13\t\u0130L6\tGene\t3569\n"
    "1\t10\t13\til6\tGene\t3569\n2\t0\t5\tTNF-\u0391\tGene\t7124\n2\t0\t5\ttnf-\u03b1\tGene\t7124\n\n",
    # PMIDs that are not ASCII, or too long for int(): the whole finish is left to Python
    "\u0661\u0662|t|x\n\u0661\u0662\t0\t1\tx\tGene\t1\n\n12|t|y\n12\t0\t1\ty\tGene\t1\n\n",
    "0012|t|x\n0012\t0\t1\tx\tGene\t1\n\n12\t0\t1\tx\tGene\t1\n\nab\t0\t1\tx\tGene\t1\n\n" + "9" * 700 + "\t0\t1\tx\tGene\t1\n",
    # ASCII ids, finished natively: numbers by value then text ("012" < "12"), then the rest
    "12\t0\t1\tx\tGene\t1\n\n012\t0\t1\tx\tGene\t1\n\nab\t0\t1\tx\tGene\t1\n\n9\t0\t1\tx\tGene\t1\n\n"
    "A\t0\t1\tX\tGene\t1\n\n100\t0\t1\tx\tGene\t1\n",
], ids=["unicode-forms", "unicode-pmids", "long-pmid", "ascii-pmid-order"])
def test_finish_left_to_python_where_unicode_rules_decide(tmp_path, data):
    _assert_same([_write(tmp_path, data.encode())], False, True)


# -- progress and interruption ---------------------------------------------------------------

def test_progress_reports_growing_bytes_and_documents():
    files = [(str(p), "pubtator") for p in PUBTATOR_FILES]
    calls = []
    builder = native.read_files(files, False, False, True, threads=2, chunk_size=4096, finish=True,
                                progress=lambda done, docs: calls.append((done, docs)))
    assert calls, "progress was never called"
    assert calls == sorted(calls)
    assert calls[-1][0] <= sum(os.path.getsize(p) for p, _ in files)
    assert calls[-1][1] <= builder.report.documents


def test_an_error_in_progress_stops_the_read():
    files = [(str(p), "pubtator") for p in PUBTATOR_FILES]
    calls = []

    def interrupt(done, docs):
        calls.append(done)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        native.read_files(files, False, True, True, threads=2, chunk_size=4096, finish=True, progress=interrupt)
    assert len(calls) == 1


def test_ctrl_c_stops_a_native_read(tmp_path):
    import signal
    import subprocess
    import sys

    from test_reliability import write_scaled_corpus

    corpus = write_scaled_corpus(tmp_path / "big.pubtator", 2000)
    # a slow progress consumer holds the workers back, so the read is still going when the signal comes
    script = ("import sys, time\nfrom kg import native\n"
              "def slow(done, docs):\n    print('reading', flush=True)\n    time.sleep(0.2)\n"
              f"native.read_files([({str(corpus)!r}, 'pubtator')], False, False, True, threads=2,"
              " chunk_size=1 << 16, finish=True, progress=slow)\nprint('done', flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=os.path.dirname(os.path.dirname(native.__file__)))
    assert proc.stdout.readline() == "reading\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err
    assert "done" not in out


@pytest.mark.parametrize("inputs", [
    lambda: [DATA], lambda: PUBTATOR_FILES,
    pytest.param(lambda: [CORPORA], marks=pytest.mark.corpora), pytest.param(corpus_files, marks=pytest.mark.corpora),
], ids=["data-mixed-formats", "data-pubtator-only", "corpora-mixed-formats", "corpora-pubtator-only"])
def test_build_engines_give_the_same_graph(inputs):
    """kg.build end to end: natively finished (PubTator only) or merged with the Python
    readers' partial graph (BioC and bulk files in the mix), as the Python engine builds it."""
    inputs = inputs()
    native_run, python_run = kg.build(inputs, co_mentions=True), kg.build(inputs, co_mentions=True, engine="python")
    G, H = native_run.graph, python_run.graph
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert list(G.edges(keys=True, data=True)) == list(H.edges(keys=True, data=True))
    assert G.graph == H.graph
    assert native_run.report.to_dict() == python_run.report.to_dict()


@pytest.mark.slow  # a clippy check of the crate: ~20 s, more on a cold cache
def test_clippy_is_clean():
    """`cargo clippy --release -- -D warnings` in native/ passes (docs/native.md): the test
    command runs the Rust lint, and fails in CI (``KG_REQUIRE_NATIVE=1``) without clippy."""
    import shutil
    import subprocess
    from pathlib import Path

    cargo = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    if not Path(cargo).exists() or subprocess.run([cargo, "clippy", "--version"], capture_output=True).returncode:
        from conftest import skip_or_fail

        skip_or_fail("KG_REQUIRE_NATIVE", "cargo clippy is not installed (rustup component add clippy)")
    crate = Path(__file__).resolve().parents[1] / "native"
    proc = subprocess.run([cargo, "clippy", "--release", "--quiet", "--", "-D", "warnings"], cwd=crate,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
