"""Interruptions and memory: kg build never leaves a half-written graph, and streams."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kg

from conftest import DATA, require_native

DEV = DATA / "biored" / "Dev.PubTator"


def write_scaled_corpus(path, copies, source=DATA / "biored" / "Train.PubTator"):
    """`copies` copies of a real corpus (tests/data's BioRED excerpt: 4 documents,
    14 KB) with renumbered PMIDs (distributions stay real)."""
    lines = Path(source).read_text(encoding="utf-8").splitlines()
    with open(path, "w", encoding="utf-8") as out:
        for k in range(copies):
            shift = (k + 1) * 100_000_000
            for line in lines:
                cut = min((i for i in (line.find("|"), line.find("\t")) if i > 0), default=-1)
                if cut > 0 and line[:cut].isdigit():
                    line = str(int(line[:cut]) + shift) + line[cut:]
                out.write(line + "\n")
    return path


def _wait_until_reading(proc, path, timeout=120):
    """Return once process `proc` has `path` open (Linux /proc): its imports are done, the
    CLI's signal handlers set and the build under way. On a loaded machine the imports
    alone can take longer than any fixed sleep."""
    fds = Path(f"/proc/{proc.pid}/fd")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the build finished before it could be interrupted; use a bigger corpus"
        try:
            if any(os.readlink(fd) == str(path) for fd in fds.iterdir()):
                return
        except OSError:  # an fd closed while we looked
            pass
        time.sleep(0.02)
    pytest.fail(f"the build did not open {path} within {timeout} s")


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory):
    """~56 MB of PubTator text: the Python reader needs several seconds for it."""
    return write_scaled_corpus(tmp_path_factory.mktemp("big") / "big.pubtator", 4000)


@pytest.mark.parametrize("sig, command", [
    (signal.SIGINT, ["kg"]), (signal.SIGTERM, ["kg"]), (signal.SIGTERM, [sys.executable, "-m", "kg"]),
], ids=["SIGINT-kg", "SIGTERM-kg", "SIGTERM-python-m-kg"])
def test_interrupted_build_keeps_the_previous_graph(tmp_path, big_corpus, sig, command):
    """The installed script and ``python -m kg`` alike turn SIGINT and SIGTERM (a handler
    the CLI sets) into an interrupt that unwinds (exit 1, not death by the signal) and
    keeps the old graph."""
    corpus = big_corpus
    out = tmp_path / "graph.json"
    good = kg.build(DEV).graph
    kg.write_graph(good, out)
    before = out.read_bytes()
    # the Python reader: the native one reads this corpus in well under a second
    exe = [shutil.which(command[0]) or command[0], *command[1:]]
    proc = subprocess.Popen([*exe, "build", str(corpus), "-o", str(out), "--workers", "1", "--engine", "python"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_until_reading(proc, corpus)  # not before: the handlers are set once the CLI runs
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    assert proc.returncode > 0, f"exit {proc.returncode}: killed by the signal, no handler unwound the build"
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.json"]


def test_interrupt_while_writing_removes_the_temporary_file(tmp_path, monkeypatch):
    from kg import io as kg_io

    G = kg.build(DEV).graph
    calls = {"n": 0}
    real_encode = kg_io._encode

    def encode_then_interrupt(value):  # Ctrl-C in the middle: part of the file is written
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real_encode(value)

    monkeypatch.setattr(kg_io, "_encode", encode_then_interrupt)
    monkeypatch.setattr(kg_io, "JSON_PIECE", 10)
    with pytest.raises(KeyboardInterrupt):
        kg.write_graph(G, tmp_path / "g.json")
    assert calls["n"] == 5 and list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def huge_corpus(tmp_path_factory):
    corpus = write_scaled_corpus(tmp_path_factory.mktemp("huge") / "big.pubtator", 35_000)
    n_lines = sum(1 for _ in open(corpus, "rb"))
    assert n_lines > 5_000_000
    return corpus, n_lines


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["python", "native"])
def test_build_streams_under_a_hard_memory_limit(huge_corpus, engine):
    """~5.6 million lines (≈ 490 MB) built in a process limited to less address space than
    the file's size plus the interpreter (its split lines alone would need several GB)."""
    from kg import native

    if engine == "native" and not native.available():
        require_native()
    corpus, n_lines = huge_corpus
    size = corpus.stat().st_size
    limit = 900 << 20  # address space, bytes: Python + networkx take ~250 MB of it
    code = (
        "import resource, sys, kg\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        f"r = kg.build({str(corpus)!r}, workers=1, articles=False, engine={engine!r})\n"
        "assert r.report.reconciles()\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking parent
        # (pytest, itself holding graphs), VmHWM belongs to this process's own memory map
        "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]\n"
        "print(r.report.lines.lines, r.graph.number_of_nodes(), hwm)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines, nodes, maxrss_kb = map(int, proc.stdout.split())
    assert lines == n_lines
    assert maxrss_kb * 1024 < size  # peak memory below the size of the input file itself
