"""Shared test paths: the real corpora in ../shared/corpora and the seed."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED = SEEDS / "PMID39937001.pubtator"
CORPORA = ROOT.parent / "shared" / "corpora"


def corpus_files():
    """Every PubTator text file of the shared corpora (by content, not name)."""
    from kg.formats import sniff_format
    from kg.pubtator import iter_input_files

    files = [f for f in iter_input_files([CORPORA]) if sniff_format(f)[0] == "pubtator"]
    assert files, f"no PubTator files found under {CORPORA}"
    return files


@pytest.fixture(scope="session")
def corpora() -> Path:
    assert CORPORA.is_dir(), f"shared corpora missing at {CORPORA}"
    return CORPORA


@pytest.fixture(scope="session")
def G():
    """The seed graph (`kg.build("seeds/")`), shared by the analysis and view tests."""
    import kg

    return kg.build(SEEDS).graph


@pytest.fixture(scope="session")
def biored():
    """BioRED Train + Dev + Test as one graph."""
    import kg

    path = CORPORA / "biored"
    assert path.is_dir(), f"BioRED missing at {path}"
    return kg.build(path).graph
