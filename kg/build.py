"""Orchestration: input paths → readers (Python or native) → a :class:`~kg.builder.GraphBuilder`.

Finds the files, tells their formats apart, reads them in-process, in worker processes
or natively, and merges the partial graphs; the graph model itself is :mod:`kg.builder`.
"""

from __future__ import annotations

import os
import warnings
import zlib
from collections.abc import Callable, Iterable

from .builder import CO_MENTION, BuildReport, BuildResult, GraphBuilder, gc_paused
from .errors import InputError
from .formats import READERS, sniff_format
from .memory import too_big_for_memory
from .normalize import choose_name, pmid_sort_key, sort_pmids
from .pubtator import LineCounts, Rejected, iter_input_files, open_lines

__all__ = ["BuildReport", "BuildResult", "GraphBuilder", "build", "input_files", "choose_name", "pmid_sort_key",
           "sort_pmids", "CO_MENTION"]

ProgressFn = Callable[[int, int, int], None]

#: Below this many bytes of input, one process is faster than starting workers.
PARALLEL_MIN_BYTES = 16 << 20


def _read_files(files: list[tuple[str, str]], strict: bool, co_mentions: bool, articles: bool,
                progress: ProgressFn | None = None, done: int = 0, total: int = 0) -> GraphBuilder:
    """Read `files` (path, format) into one partial builder; runs in a worker or in-process."""
    report = BuildReport()
    builder = GraphBuilder(report, strict=strict, co_mentions=co_mentions, articles=articles)
    on_reject = None if strict else (
        lambda r: report.rejected.append({"path": r.path, "line": r.lineno, "reason": r.reason, "text": r.line})
    )
    for path, fmt in files:
        counts = LineCounts()
        docs = 0
        try:
            with open_lines(path) as (fh, position):
                for doc in READERS[fmt](fh, path=path, on_reject=on_reject, counts=counts):
                    builder.add(doc)
                    docs += 1
                    if progress is not None and docs % 2000 == 0:
                        progress(done + position(), total, report.documents)
        except (OSError, EOFError, zlib.error) as err:  # truncated gzip, unreadable disk block
            why = f"cannot read further ({type(err).__name__}: {err}); the documents before were kept"
            if strict:
                raise InputError(f"{path}: {why}") from err
            counts.lines += 1
            counts.rejected += 1
            on_reject(Rejected(path, counts.lines, why, ""))
        done += os.path.getsize(path)
        report.lines.add(counts)
        report.files.append({"path": path, "format": fmt, "lines": counts.lines, "documents": docs})
        if progress is not None:
            progress(done, total, report.documents)
    return builder


def _groups(files: list[tuple[str, str]], n: int) -> list[list[tuple[str, str]]]:
    """Split files into about `n` groups of similar size (largest first), for workers."""
    groups: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    sizes = [0] * n
    for item in sorted(files, key=lambda f: -os.path.getsize(f[0])):
        i = sizes.index(min(sizes))
        groups[i].append(item)
        sizes[i] += os.path.getsize(item[0])
    return [g for g in groups if g]


def build(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    *,
    strict: bool = False,
    co_mentions: bool = False,
    articles: bool = True,
    workers: int | None = None,
    engine: str = "auto",
    progress: ProgressFn | None = None,
    vocab: str | os.PathLike | None = None,
    builtin_names: bool = True,
) -> BuildResult:
    """Read PubTator files, folders (recursively) and ``.gz`` files into one graph.

    Parameters
    ----------
    paths : path or list of paths
    strict : bool
        Stop with :class:`~kg.errors.ParseError` (file and line) at the first malformed
        line or unresolvable relation, instead of reporting it and going on.
    co_mentions : bool
        Add ``Co_Mention`` edges between entities of the same document.
    articles : bool
        Keep article titles (``G.graph["articles"]``).
    workers : int, optional
        Threads (native reader) or processes (Python readers) reading in parallel.
        Default: one per core (Python readers: only when the input is larger than
        :data:`PARALLEL_MIN_BYTES`). The graph is the same whatever the number.
    engine : {"auto", "native", "python"}
        PubTator text is read by the native (Rust) reader when it is built ("auto"),
        which gives the same graph and report as the Python reference, several times
        faster; "python" forces the reference, "native" requires the extension.
    progress : callable, optional
        Called as ``progress(bytes_done, bytes_total, documents)`` now and then.
    vocab : path, optional
        Vocabulary files (a folder or one file: NCBI Taxonomy, NCBI Gene, MeSH, Cellosaurus,
        ChEBI; see :func:`kg.vocab.apply_names`) that give nodes their preferred names.
    builtin_names : bool
        Name the most frequent species from kg's built-in table (so that human is
        "Homo sapiens", not "patients") when no vocabulary names them.

    Returns
    -------
    BuildResult
        ``(graph, report)``.

    Examples
    --------
    >>> result = build("seeds/PMID39937001.pubtator")
    >>> result.graph.nodes["MESH:D008180"]["name"]
    'Systemic lupus erythematosus'
    >>> result.report.reconciles()
    True
    """
    with gc_paused():
        result = _build(paths, strict, co_mentions, articles, workers, engine, progress)
    from .vocab import apply_names

    result.report.names = apply_names(result.graph, vocab, builtin=builtin_names).to_dict()
    return result


def input_files(paths: list, strict: bool) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """``(path, format)`` of every file kg reads under `paths` (told apart by content) and
    the files skipped, with the reason; with `strict`, a file named explicitly that kg
    cannot read is an error. Every engine finds its input here."""
    if not paths:
        raise InputError("no input paths given")
    found = list(iter_input_files(paths))
    if not found:
        raise InputError(f"no files found in {', '.join(map(str, paths))}")
    explicit = {os.path.abspath(p) for p in paths if os.path.isfile(p)}
    files: list[tuple[str, str]] = []
    skipped = []
    for path in found:
        fmt, why = sniff_format(path)
        if fmt in READERS:
            files.append((str(path), fmt))
        elif strict and os.path.abspath(path) in explicit:
            raise InputError(f"{path}: {why}")
        else:
            skipped.append({"path": str(path), "format": fmt, "reason": why})
    return files, skipped


def _build(paths, strict, co_mentions, articles, workers, engine, progress) -> BuildResult:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    files, skipped = input_files(paths, strict)
    if engine not in ("auto", "native", "python"):
        raise ValueError(f"engine must be 'auto', 'native' or 'python', not {engine!r}")
    memory_warning = too_big_for_memory(files)
    if memory_warning is not None:  # said before the work starts, kept in the report
        warnings.warn(memory_warning, RuntimeWarning, stacklevel=3)
    from . import native

    if engine == "native" and not native.available():
        raise InputError("the native reader is not built (reinstall kg with Rust's cargo on the PATH)")
    total = sum(os.path.getsize(p) for p, _ in files)
    fast = [f for f in files if f[1] == "pubtator"] if engine != "python" and native.available() else []
    rest = [f for f in files if f not in fast]
    builder = None
    if fast:
        fast_bytes = sum(os.path.getsize(p) for p, _ in fast)
        on_read = None if progress is None else (lambda done, docs: progress(min(done, fast_bytes), total, docs))
        builder = native.read_files(fast, strict, co_mentions, articles, threads=workers, finish=not rest,
                                    progress=on_read)
        if progress is not None:
            progress(fast_bytes, total, builder.report.documents)
    if rest:
        size = sum(os.path.getsize(p) for p, _ in rest)
        n = workers if workers is not None else ((os.cpu_count() or 1) if size >= PARALLEL_MIN_BYTES else 1)
        n = max(1, min(n, len(rest)))
        done = total - size
        if n == 1:
            partial = _read_files(rest, strict, co_mentions, articles, progress, done, total)
        else:
            partial = _read_parallel(rest, n, strict, co_mentions, articles, progress, total)
        if builder is None:
            builder = partial
        else:
            builder.merge(partial)
            _sort_report(builder.report, files)
    if builder is None:  # nothing readable: the error below says what was skipped
        builder = GraphBuilder(BuildReport(), strict=strict, co_mentions=co_mentions, articles=articles)
    report = builder.report
    report.skipped_files = skipped
    if memory_warning is not None:
        report.warnings.append(memory_warning)
    if report.documents == 0:
        why = "; ".join(f"{s['path']}: {s['reason']}" for s in skipped[:5])
        raise InputError(f"no PubTator documents found in {', '.join(map(str, paths))}" + (f" ({why})" if why else ""))
    return BuildResult(builder.graph(), report)


def _read_parallel(files, workers, strict, co_mentions, articles, progress, total) -> GraphBuilder:
    """Read file groups in worker processes and merge their partial graphs in file order."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing

    groups = _groups(files, workers * 4 if progress is not None else workers)
    # fork: workers start at once and need no importable __main__ (stdin, notebooks);
    # kg holds no threads or locks while reading.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    merged = GraphBuilder(BuildReport(), strict=strict, co_mentions=co_mentions, articles=articles)
    done = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(_read_files, g, strict, co_mentions, articles) for g in groups]
        for group, future in zip(groups, futures):
            merged.merge(future.result())
            done += sum(os.path.getsize(p) for p, _ in group)
            if progress is not None:
                progress(done, total, merged.report.documents)
    _sort_report(merged.report, files)
    return merged


def _sort_report(report: BuildReport, files: list[tuple[str, str]]) -> None:
    """Put the report's lists in input-file then line order, as one process reads them."""
    order = {p: i for i, (p, _) in enumerate(files)}
    report.files.sort(key=lambda f: order[f["path"]])
    report.rejected.sort(key=lambda r: (order[r["path"]], r["line"]))
    for records in (report.unresolved_relations, report.self_relations):
        records.sort(key=lambda r: (order[r["path"]], r["line"]))

