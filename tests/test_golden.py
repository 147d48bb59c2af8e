"""Golden graphs: small inputs, one per identity rule and per defect of issue 11, each with
an expected graph written and checked by hand (tests/golden/*.expected.json), not made by
kg. Every engine must give exactly it: the oracle is the golden file, not another engine.

An expected file lists every node (with the attributes worth checking), every edge
``[u, v, key, pmids, {attrs}]``, optionally the article titles and report figures.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import kg
from conftest import require_native

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.expected.json"))
assert len(CASES) >= 14, "golden files missing"

ENGINES = ["python", "native"]


def _input(expected_path: Path) -> Path:
    stem = expected_path.name.removesuffix(".expected.json")
    source = json.loads(expected_path.read_text(encoding="utf-8")).get("source")
    if source:
        return (GOLDEN / source).resolve()
    (found,) = [p for p in GOLDEN.iterdir() if p.name.startswith(stem + ".") and not p.name.endswith(".expected.json")]
    return found


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_golden_graph(case: Path, engine: str):
    if engine == "native":
        require_native()
    expected = json.loads(case.read_text(encoding="utf-8"))
    G, report = kg.build(_input(case), engine=engine)

    assert sorted(G.nodes) == sorted(expected["nodes"]), "node ids"
    for node_id, want in expected["nodes"].items():
        got = G.nodes[node_id]
        for attr, value in want.items():
            assert got.get(attr) == value, f"{node_id} {attr}"
        if "xrefs" not in want:
            assert not got.get("xrefs"), f"{node_id} has unexpected xrefs {got.get('xrefs')}"

    want_edges = {(u, v, k): (pmids, rest[0] if rest else {}) for u, v, k, pmids, *rest in expected["edges"]}
    assert sorted(G.edges(keys=True)) == sorted(want_edges), "edges"
    for (u, v, k), (pmids, attrs) in want_edges.items():
        got = G.edges[u, v, k]
        assert got["pmids"] == pmids, (u, v, k)
        for attr, value in attrs.items():
            assert got.get(attr) == value, (u, v, k, attr)
        if "score" not in attrs:
            assert "score" not in got

    if "articles" in expected:
        assert G.graph["articles"] == expected["articles"]

    assert report.reconciles()
    for field, value in expected.get("report", {}).items():
        if field == "rejected_lines":
            assert [r["line"] for r in report.rejected] == value, report.rejected
        elif isinstance(value, dict):
            assert Counter(getattr(report, field)) == Counter(value), field
        elif isinstance(getattr(report, field), list):
            assert len(getattr(report, field)) == value, (field, getattr(report, field))
        else:
            assert getattr(report, field) == value, field
