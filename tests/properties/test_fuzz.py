"""Property-based tests of the reader and builder (hypothesis).

The default run is short; `pytest -m slow` (or HYPOTHESIS_PROFILE=long, profiles in
tests/conftest.py) runs the long fuzz.
"""

import io
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kg.build import BuildReport, GraphBuilder
from kg.errors import KgError
from kg.normalize import RELATION_TYPES
from kg.pubtator import Annotation, Document, LineCounts, Relation, format_pubtator, parse_pubtator

from conftest import DATA

# Text that stays on one line: no line breaks (a title may hold tabs and pipes).
line_text = st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=60)
cell = st.text(st.characters(blacklist_characters="\n\r\t", blacklist_categories=("Cs",)), max_size=20)
token = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="_:|;,.-"),
                min_size=1, max_size=15).filter(lambda t: t == t.strip())
entity_type = st.sampled_from(["Gene", "Disease", "Chemical", "Species", "SNP", "CellLine", "Pathway"])
relation_type = st.sampled_from([r.name for r in RELATION_TYPES] + ["associate", "CID", "Made_Up"])


@st.composite
def documents(draw):
    pmid = str(draw(st.integers(1, 10**9)))
    doc = Document(pmid, "<lines>", 0, draw(st.none() | line_text.filter(lambda t: not t.startswith("\ufeff"))),
                   draw(st.none() | line_text))
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, 5000))
        doc.annotations.append(Annotation(pmid, start, start + draw(st.integers(0, 50)), draw(cell),
                                          draw(entity_type), draw(token), 0))
    for _ in range(draw(st.integers(0, 3))):
        doc.relations.append(Relation(pmid, draw(relation_type), draw(token), draw(token), 0,
                                      draw(st.sampled_from(["", "Novel", "No"]))))
    if doc.title is None and doc.abstract is None and not doc.annotations and not doc.relations:
        doc.title = ""
    return doc


def _key(doc):
    return (doc.pmid, doc.title, doc.abstract, [a[:6] for a in doc.annotations], [r[:4] + (r.novel,) for r in doc.relations])


@given(st.lists(documents(), max_size=5, unique_by=lambda d: d.pmid))
def test_write_then_read_gives_the_same_documents(docs):
    text = "".join(format_pubtator(d) for d in docs)
    rejected = []
    again = list(parse_pubtator(io.BytesIO(text.encode()), on_reject=rejected.append))
    assert rejected == []
    assert [_key(d) for d in again] == [_key(d) for d in docs]


def _account(data: bytes):
    """Read and build `data` leniently; check every line is accounted for exactly once."""
    counts = LineCounts()
    report = BuildReport(lines=counts)
    builder = GraphBuilder(report)
    rejected = []

    def on_reject(r):
        rejected.append(r)
        report.rejected.append({"path": r.path, "line": r.lineno, "reason": r.reason})

    for doc in parse_pubtator(io.BytesIO(data), on_reject=on_reject, counts=counts):
        builder.add(doc)
    builder.graph()
    n_lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    assert counts.lines == n_lines
    assert report.reconciles(), counts
    assert all(r.lineno >= 1 for r in rejected)
    return counts


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_accounted_for(data):
    _account(data)


NASTY = [b"\x00", b"\r\n", b"\r", b"\xef\xbb\xbf", b"\t", b"|t|", b"|a|", b"\xff\xfe", b"\n\n", b"#",
         b"\t-1\t", b"\tCID\t", b" ", "é".encode(), "\u2028".encode()]


@st.composite
def spliced_corpus(draw):
    """Lines of real corpus files (tests/data) cut, shuffled, truncated and salted with nasty bytes."""
    names = ["biored/Dev.PubTator", "tmvar/test.PubTator.txt", "bc5cdr/CDR_sample.PubTator.txt",
             "pubtator3_netmedex/variant_relation_extraction.pubtator", "ncbi_disease/NCBItrainset_corpus.txt"]
    lines = (DATA / draw(st.sampled_from(names))).read_bytes().splitlines(keepends=True)
    rnd = random.Random(draw(st.integers(0, 2**32)))
    start = rnd.randrange(len(lines))
    chunk = lines[start:start + rnd.randrange(1, 200)]
    out = []
    for line in chunk:
        roll = rnd.random()
        if roll < 0.05:
            line = line[: rnd.randrange(len(line) + 1)]  # truncated
        elif roll < 0.10:
            at = rnd.randrange(len(line) + 1)
            line = line[:at] + rnd.choice(NASTY) + line[at:]
        elif roll < 0.12:
            line = line.rstrip(b"\r\n") * rnd.randrange(2, 50) + b"\n"  # huge line
        out.append(line)
    rnd.shuffle(out) if draw(st.booleans()) else None
    return b"".join(out)


@given(spliced_corpus())
def test_spliced_real_corpus_lines_are_accounted_for(data):
    _account(data)


def test_huge_lines_and_nul_bytes():
    data = b"1|t|" + b"x" * 5_000_000 + b"\n1\t0\t3\tab\x00c\tGene\t1\n\x00\x00\n"
    counts = _account(data)
    assert counts.text == 1 and counts.annotations == 1


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spliced_corpus())
def test_long_fuzz_of_spliced_corpora(data):
    _account(data)


@given(st.binary(max_size=500))
def test_reader_raises_only_kg_errors_in_strict_mode(data):
    try:
        list(parse_pubtator(io.BytesIO(data)))
    except KgError:
        pass
