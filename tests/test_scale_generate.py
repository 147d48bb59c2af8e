"""The scale benchmark's generator of PubTator3-shaped bulk files (``bench/scale/generate.py``).

Its output is read here by kg's own bulk readers and graph build (the oracle of the format):
every line must be accepted and every relation must resolve inside its PMID; the rest checks
the rules its docstring states (one line per distinct concept of a PMID, PMIDs in order,
mention forms, ids tied to the same rank as the forms) and that a seed fixes the output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.scale import generate as gen
from bench.scale.generate import PUBTATOR3_PMIDS, RELATIONS, TYPES, generate, spellings
from kg import build
from kg.bulk import read_bulk_concepts, read_bulk_relations
from kg.pubtator import LineCounts

FRACTION = 0.00005  # 1800 PMIDs, ~20k concept lines


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    return generate(FRACTION, tmp_path_factory.mktemp("scale") / "f", seed=7)


def _read(files):
    rejected, counts = [], LineCounts()
    concepts = list(read_bulk_concepts(files[0], on_reject=rejected.append, counts=counts))
    relations = list(read_bulk_relations(files[1], on_reject=rejected.append, counts=counts))
    return concepts, relations, rejected, counts


def test_kg_reads_every_line(files):
    concepts, relations, rejected, counts = _read(files)
    assert rejected == []
    assert counts.annotations == sum(1 for _ in open(files[0])) > 15_000
    assert counts.relations == sum(1 for _ in open(files[1])) > 1_000
    n = int(round(FRACTION * PUBTATOR3_PMIDS))
    # one run of lines per PMID, PMIDs 10_000_000 + i in order, each with at least one concept
    assert [d.pmid for d in concepts] == [str(10_000_000 + i) for i in range(n)]
    assert [d.pmid for d in relations] == sorted(d.pmid for d in relations)
    assert len({d.pmid for d in relations}) == len(relations)


def test_lines_follow_the_documented_rules(files):
    concepts, relations, _, _ = _read(files)
    resources = {t: r for t, (_, _, r) in TYPES.items()}
    by_pmid = {}
    for doc in concepts:
        pairs = [(a.type, a.identifier) for a in doc.annotations]
        assert len(pairs) == len(set(pairs)), doc.pmid  # one line per distinct (type, id)
        by_pmid[doc.pmid] = {f"{t}|{i}" for t, i in pairs}
    for line in open(files[0]):
        pmid, etype, ident, mentions, resource = line.rstrip("\n").split("\t")
        assert resources[etype] == resource
        forms = mentions.split("|")
        assert 1 <= len(forms) <= 3
        # the forms are the first spellings of the rank the id was made from
        rank = {"Disease": lambda: int(ident.removeprefix("MESH:D")) // 37,
                "CellLine": lambda: int(ident.removeprefix("CVCL_"), 16),
                "Species": lambda: int(ident) - 9606}.get(etype)
        if rank is not None:
            assert forms == spellings(etype, rank())[: len(forms)], line
    for doc in relations:
        for rel in doc.relations:
            assert rel.type in RELATIONS
            assert rel.id1 != rel.id2
            assert {rel.id1, rel.id2} <= by_pmid[doc.pmid], rel  # two concepts of the same PMID


def test_ranks_that_share_an_id_make_one_line(tmp_path, monkeypatch):
    # concept_id gives some ranks one id (tmVar ids repeat every 2000 ranks); here every type
    # has 5 ids, so most PMIDs draw one id several times
    monkeypatch.setattr(gen, "concept_id", lambda etype, k, spell=gen.concept_id: spell(etype, k % 5))
    concepts, relations = generate(FRACTION / 5, tmp_path, seed=3)
    pairs = {}
    for line in open(concepts):
        pmid, etype, ident = line.split("\t")[:3]
        pairs.setdefault(pmid, []).append((etype, ident))
    assert max(map(len, pairs.values())) <= len(TYPES) * 5
    assert all(len(p) == len(set(p)) for p in pairs.values())
    lines = open(relations).read().splitlines()
    assert lines and all(line.split("\t")[2] != line.split("\t")[3] for line in lines)


def test_build_resolves_every_relation(files):
    report = build(list(files), workers=1).report
    assert report.reconciles()
    assert report.lines.rejected == 0 and report.unresolved_relations == []
    assert report.annotations_in_graph == report.lines.annotations
    assert not report.mentions_without_id and not report.unknown_relation_types


def test_a_seed_fixes_the_output(files, tmp_path):
    again = generate(FRACTION, tmp_path / "same", seed=7)
    other = generate(FRACTION, tmp_path / "other", seed=8)
    for a, b, c in zip(files, again, other):
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes() != c.read_bytes()
    assert (tmp_path / "same" / ".done").read_text() == f"{FRACTION} 7\n"
