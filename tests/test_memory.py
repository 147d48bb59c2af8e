"""The in-memory engine's warning before an input that would not fit in memory (kg.memory)."""

from __future__ import annotations

import gzip

import pytest

import kg
import kg.memory
from kg.memory import BYTES_PER_INPUT_BYTE, estimate_memory, too_big_for_memory

BULK = "".join(f"{10_000 + i}\tDisease\tMESH:D00{i % 9}\tform {i}\tMeSH\n" for i in range(200))


def test_the_estimate_counts_each_format_and_unpacks_gzip(tmp_path):
    plain, packed, text = tmp_path / "bioconcepts2pubtator3", tmp_path / "c.gz", tmp_path / "docs.pubtator"
    plain.write_text(BULK)
    packed.write_bytes(gzip.compress(BULK.encode()))
    text.write_text("1|t|A title\n1|a|An abstract\n\n")
    size = plain.stat().st_size
    assert estimate_memory([(str(plain), "bulk-concepts")]) == int(size * BYTES_PER_INPUT_BYTE["bulk-concepts"])
    assert estimate_memory([(str(packed), "bulk-concepts")]) == int(
        packed.stat().st_size * kg.memory.GZIP_RATIO * BYTES_PER_INPUT_BYTE["bulk-concepts"])
    assert estimate_memory([(str(plain), "bulk-concepts"), (str(text), "pubtator")]) == int(
        size * BYTES_PER_INPUT_BYTE["bulk-concepts"] + text.stat().st_size * BYTES_PER_INPUT_BYTE["pubtator"])


def test_the_warning_comes_past_the_share_of_available_memory_and_names_spark(tmp_path):
    path = tmp_path / "bioconcepts2pubtator3"
    path.write_text(BULK)
    files = [(str(path), "bulk-concepts")]
    need = estimate_memory(files)
    assert too_big_for_memory(files, available=int(need / 0.8) + 1) is None
    warning = too_big_for_memory(files, available=int(need / 0.8) - 1)
    assert warning is not None and "--engine spark" in warning and "run out of memory" in warning


def test_kg_build_warns_before_the_work_and_keeps_the_warning_in_its_report(tmp_path, monkeypatch):
    path = tmp_path / "bioconcepts2pubtator3"
    path.write_text(BULK)
    monkeypatch.setattr(kg.memory, "available_memory", lambda: 1024)  # a machine with 1 KiB free
    with pytest.warns(RuntimeWarning, match="--engine spark"):
        result = kg.build(path)
    assert any("--engine spark" in w for w in result.report.warnings)
    assert result.graph.number_of_nodes() == 9  # the warning does not stop the build
