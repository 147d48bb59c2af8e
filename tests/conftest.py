"""Shared test set-up: paths, the big corpora as an option, markers, hypothesis profiles.

``tests/data/`` holds small real excerpts of every format kg reads (its README names
each source and licence); every test module runs on those and on ``seeds/`` alone, so a
fresh clone can run its tests.

The big shared corpora are an addition: ``KG_CORPORA`` (default
``<repo>/../shared/corpora``). A test that needs them says so (the ``corpora`` or
``biored`` fixture, the ``corpora`` marker, or ``@pytest.mark.pubtator_files("path")`` to
run once per PubTator file of tests/data and of the corpora) and is then marked ``slow``; when the corpora
are absent it skips with the reason, or fails when ``KG_REQUIRE_CORPORA=1`` (``.ci/run``).
Nothing is read from ``KG_CORPORA`` at import time.

Hypothesis profiles (``HYPOTHESIS_PROFILE``): ``default`` (150 examples), ``fast``
(25, for ``scripts/test -m "not slow"`` loops) and ``long`` (5,000).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED = SEEDS / "PMID39937001.pubtator"
DATA = ROOT / "tests" / "data"
CORPORA = Path(os.environ.get("KG_CORPORA") or ROOT.parent / "shared" / "corpora")

# Modules whose tests use the test Neo4j server (or start their own on fixed ports).
_NEO4J_MODULES = {"test_neo4j.py", "test_neo4j_faults.py", "test_neo4j_script.py", "test_browser.py"}
# Fixtures whose use means "needs the big corpora".
_CORPORA_FIXTURES = {"corpora", "biored"}

for _name, _examples in (("default", 150), ("fast", 25), ("long", 5000)):
    settings.register_profile(_name, max_examples=_examples, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config):
    # A test run started in the background (`cmd &` in a script, nohup) inherits SIGINT
    # ignored, and so would every process a test starts: Python then sets no
    # KeyboardInterrupt handler and the Ctrl-C tests see their signal ignored. A handler
    # here is reset to the default in each child at exec.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def skip_or_fail(variable: str, reason: str) -> None:
    """Skip with `reason`, or fail when the environment variable `variable` is ``1``
    (CI sets ``KG_REQUIRE_CORPORA``, ``KG_REQUIRE_NATIVE``, ``KG_REQUIRE_NEO4J``)."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{variable}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def require_corpora(*parts: str) -> Path:
    """``KG_CORPORA`` joined with `parts`; skip when it is not there (fail when
    ``KG_REQUIRE_CORPORA=1``)."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        skip_or_fail("KG_REQUIRE_CORPORA", f"the shared corpora are not at {path} (set KG_CORPORA to their folder)")
    return path


def require_native() -> None:
    """Skip when the Rust reader ``kg._native`` is not built (fail when ``KG_REQUIRE_NATIVE=1``)."""
    from kg import native

    if not native.available():
        skip_or_fail("KG_REQUIRE_NATIVE", "kg._native (the Rust reader) is not built: is cargo on the PATH "
                                          "when `pip install -e .` runs?")


def pubtator_files(root: Path) -> list[Path]:
    """Every PubTator text file under `root` (by content, not name), in name order."""
    from kg.formats import sniff_format
    from kg.pubtator import iter_input_files

    files = [f for f in iter_input_files([root]) if sniff_format(f)[0] == "pubtator"]
    assert files, f"no PubTator files found under {root}"
    return files


def corpus_files() -> list[Path]:
    """The PubTator text files of the big corpora (skips or fails without them)."""
    return pubtator_files(require_corpora())


def data_id(path: Path) -> str:
    """A test id for a file of tests/data or of the corpora: its path below them."""
    for root in (DATA, CORPORA):
        if path.is_relative_to(root):
            return str(path.relative_to(root))
    return path.name


def pytest_generate_tests(metafunc):
    """``@pytest.mark.pubtator_files("path")``: one test per PubTator file of tests/data,
    and one per file of the big corpora (marked ``corpora``; one skipping test when they
    are absent). Found at collection time, never at import."""
    marker = metafunc.definition.get_closest_marker("pubtator_files")
    if marker is None:
        return
    (argname,) = marker.args
    params = [pytest.param(p, id="data/" + data_id(p)) for p in pubtator_files(DATA)]
    if CORPORA.is_dir():
        params += [pytest.param(p, marks=pytest.mark.corpora, id="corpora/" + data_id(p)) for p in pubtator_files(CORPORA)]
    else:
        params.append(pytest.param(None, marks=pytest.mark.corpora, id="corpora-absent"))
    metafunc.parametrize(argname, params)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("corpora") or _CORPORA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.corpora)
            item.add_marker(pytest.mark.slow)


def pytest_itemcollected(item):
    # here, not in pytest_collection_modifyitems: xdist's worker reads the groups in its own
    # pytest_collection_modifyitems, which runs before a conftest's
    group = _xdist_group(item)
    if group:
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_collection_finish(session):
    """Under ``--dist loadgroup``, stop unless xdist really grouped the tests (it does so
    by suffixing node ids with ``@group``, which some pytest versions ignore): tests of
    the one test server running on two workers at once wipe each other's data."""
    if not getattr(session.config.option, "loadgroup", False):  # set in xdist workers only
        return
    lost = [i.nodeid for i in session.items if i.get_closest_marker("xdist_group") and "@" not in i.nodeid]
    if lost:
        raise pytest.UsageError(f"pytest-xdist did not group {lost[0]} (and {len(lost) - 1} more): this pytest "
                                "and pytest-xdist do not work together; pip install -e '.[test]' pins a pair that does")


def _xdist_group(item) -> str | None:
    """The worker group of a test under pytest-xdist (``--dist loadgroup``): the tests of
    the one test Neo4j server (they wipe its database) or of the Spark cluster run one at
    a time in one worker; every other test runs on any worker."""
    fixtures = set(getattr(item, "fixturenames", ()))
    module = item.path.name
    if module in _NEO4J_MODULES or fixtures & {"neo4j_driver", "empty_db"}:
        return "neo4j"
    if module == "test_spark.py":
        return "spark"
    return None


def pytest_runtest_setup(item):
    if item.get_closest_marker("corpora"):
        require_corpora()


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The big corpora folder (``KG_CORPORA``)."""
    return require_corpora()


@pytest.fixture(scope="session")
def G():
    """The seed graph (`kg.build("seeds/")`), shared by the analysis and view tests."""
    import kg

    return kg.build(SEEDS).graph


@pytest.fixture(scope="session")
def biored():
    """BioRED Train + Dev + Test as one graph (big corpora)."""
    import kg

    return kg.build(require_corpora("biored")).graph
