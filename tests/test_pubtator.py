import gzip

import pytest

from kg.errors import ParseError
from kg.formats import sniff_format
from kg.pubtator import LineCounts, format_pubtator, parse_pubtator, read_pubtator

from conftest import SEED

DOC = """\
1|t|Aspirin and pain
1|a|Aspirin (ASA) reduces pain.
1\t0\t7\tAspirin\tChemical\tD001241
1\t17\t21\tpain\tDisease\tD010146
1\tCID\tD001241\tD010146

2|t|Second
2|a|
2\t0\t6\tSecond\tGene\t9970
"""


def lenient(text, path="<t>"):
    rejected = []
    counts = LineCounts()
    docs = list(parse_pubtator(text.splitlines(True), path=path, on_reject=rejected.append, counts=counts))
    return docs, rejected, counts


def test_two_documents_with_all_record_kinds():
    docs, rejected, counts = lenient(DOC)
    assert [d.pmid for d in docs] == ["1", "2"]
    assert docs[0].title == "Aspirin and pain"
    assert docs[0].abstract == "Aspirin (ASA) reduces pain."
    assert [a.identifier for a in docs[0].annotations] == ["D001241", "D010146"]
    assert docs[0].annotations[1][1:3] == (17, 21)
    assert docs[0].relations[0].type == "CID" and docs[0].relations[0].lineno == 5
    assert docs[1].abstract == ""
    assert rejected == []
    assert counts.lines == 9 and counts.blank == 1 and counts.records == 8


@pytest.mark.parametrize(
    "transform",
    [
        lambda t: t.replace("\n", "\r\n"),  # CRLF
        lambda t: "\ufeff" + t,  # BOM
        lambda t: "\n\n\n" + t.replace("\n\n", "\n\n\n\n") + "\n\n",  # blank-line runs
        lambda t: t.rstrip("\n"),  # no final newline
        lambda t: t.replace("\tD010146\n", "\tD010146\t\n", 1),  # trailing tab
    ],
    ids=["crlf", "bom", "blank-runs", "no-final-newline", "trailing-tab"],
)
def test_quirks_give_the_same_documents(transform):
    expected, _, _ = lenient(DOC)
    docs, rejected, _ = lenient(transform(DOC))
    assert rejected == []
    assert [(d.pmid, d.title, d.abstract, [a[:6] for a in d.annotations], [r[:4] for r in d.relations]) for d in docs] == [
        (d.pmid, d.title, d.abstract, [a[:6] for a in d.annotations], [r[:4] for r in d.relations]) for d in expected
    ]


def test_bytes_are_decoded_per_line_and_bad_bytes_rejected_alone():
    lines = [b"1|t|T\n", b"1\t0\t1\tT\tGene\t1\n", b"1\t2\t3\t\xff\xfe\tGene\t2\n"]
    rejected = []
    docs = list(parse_pubtator(lines, path="x.txt", on_reject=rejected.append))
    assert len(docs[0].annotations) == 1
    assert rejected[0].lineno == 3 and "undecodable" in rejected[0].reason


@pytest.mark.parametrize(
    "line, reason",
    [
        ("1\t5\t2\tx\tGene\t1", "before start"),
        ("1\t0\tx\tx\tGene\t1", "non-numeric end"),
        ("1\t0\t3", "columns"),
        ("1\tonly", "columns"),
        ("1\t-4\t3\tx\tGene\t1", "negative"),
        ("3\t0\t1\tx\tGene\t1", "PMID 3 inside the block of document 1"),
        ("garbage line without tabs", "not a PubTator line"),
        (" |t|no PMID", "without a PMID"),
    ],
)
def test_malformed_lines_are_reported_with_file_and_line(line, reason):
    text = f"1|t|Title\n{line}\n1\t0\t5\tTitle\tGene\t1\n"
    docs, rejected, counts = lenient(text, path="bad.txt")
    assert len(rejected) == 1
    assert rejected[0].path == "bad.txt" and rejected[0].lineno == 2 and reason in rejected[0].reason
    assert len(docs[0].annotations) == 1
    assert counts.lines == counts.blank + counts.comment + counts.records + counts.rejected
    with pytest.raises(ParseError) as err:
        list(parse_pubtator(text.splitlines(), path="bad.txt"))
    assert err.value.lineno == 2 and err.value.path == "bad.txt"
    assert "bad.txt:2:" in str(err.value)


def test_relation_with_a_space_for_a_tab_and_document_level_annotation():
    docs, rejected, _ = lenient("7|t|T\n7\tAssociation Osteoporosis\tMAPK1\n7\tGene\t5594\n")
    assert rejected == []
    assert docs[0].relations[0][1:4] == ("Association", "Osteoporosis", "MAPK1")
    assert docs[0].annotations[0].identifier == "5594" and docs[0].annotations[0].start == -1


def test_novelty_and_composite_sub_mentions_are_kept():
    text = "5|t|T\n5\t0\t3\tab\tDisease\tD1|D2\ta|b\n5\tBind\tD1\tD2\tNovel\n"
    docs, _, _ = lenient(text)
    assert docs[0].annotations[0].parts == "a|b"
    assert docs[0].relations[0].novel == "Novel"


def test_title_may_contain_tabs_and_pipes():
    docs, rejected, _ = lenient("9|t|a\tb|c\n9|a|x|y\n")
    assert rejected == [] and docs[0].title == "a\tb|c" and docs[0].abstract == "x|y"


def test_write_then_read_round_trip():
    docs, _, _ = lenient(DOC)
    again, _, _ = lenient("".join(format_pubtator(d) for d in docs))
    assert [(d.pmid, d.title, d.abstract, [a[:6] for a in d.annotations], [r[:4] for r in d.relations]) for d in again] == [
        (d.pmid, d.title, d.abstract, [a[:6] for a in d.annotations], [r[:4] for r in d.relations]) for d in docs
    ]


def test_gzip_is_detected_by_content_not_name(tmp_path):
    path = tmp_path / "corpus.txt"  # no .gz suffix
    path.write_bytes(gzip.compress(DOC.encode()))
    assert sniff_format(path)[0] == "pubtator"
    assert [d.pmid for d in read_pubtator(path)] == ["1", "2"]


def test_sniff_tells_other_formats(tmp_path):
    (tmp_path / "a.xml").write_text("<?xml version='1.0'?><collection/>")
    (tmp_path / "b.json").write_text('{"documents": []}')
    (tmp_path / "c.txt").write_text("just some prose\n")
    (tmp_path / "d.txt").write_text("")
    assert [sniff_format(tmp_path / n)[0] for n in ("a.xml", "b.json", "c.txt", "d.txt")] == [
        "bioc-xml", "bioc-json", "unknown", "empty"]


@pytest.mark.pubtator_files("path")
def test_every_corpus_file_reads_and_lines_reconcile(path):
    counts = LineCounts()
    rejected = []
    docs = list(read_pubtator(path, on_reject=rejected.append, counts=counts))
    raw = path.read_bytes()
    assert counts.lines == raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    assert counts.lines == counts.blank + counts.comment + counts.records + counts.rejected
    assert counts.rejected == len(rejected)
    assert counts.annotations == sum(len(d.annotations) for d in docs)
    # independent count: every title line starts a document
    titles = sum(1 for line in raw.splitlines() if b"|t|" in line[:30] and b"\t" not in line.split(b"|")[0])
    assert len(docs) >= titles and docs


def test_seed_document():
    (doc,) = read_pubtator(SEED)
    assert doc.pmid == "39937001"
    assert len(doc.annotations) == 18 and len(doc.relations) == 1
    assert sum(a.identifier == "MESH:D008180" for a in doc.annotations) == 12
