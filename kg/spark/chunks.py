"""Cut input files into chunks that kg's own readers read exactly as they read the whole file.

A Spark task reads one chunk: a run of whole lines of one file, plus at most one
*prefix* line that puts the reader into the state it has at that point of the file (the
file's header or a header naming the same layout). The chunk's report is then
shifted to the file's line numbers. Chunks are cut only where the reader itself ends a
document, so that the documents, the report and the graph are the ones of one pass over
the whole file:

- PubTator text: after a blank line (a blank line ends a document; nothing else carries
  over).
- Bulk concept and relation files: between two data lines that kg's reader, given only
  ``[prefix, previous line, line]``, reads as two documents of different PMIDs without
  rejecting either (asked of the reader, not re-implemented here).
- Anything else (BioC, a bulk file whose layout the reader does not settle on from a
  header, a file that cannot be read to its end): the whole file is one chunk, read
  through :func:`kg.pubtator.open_lines` as the in-memory engine reads it.

Plain files are cut into byte ranges (nothing copied); gzip files are gunzipped once, in a
streaming first stage (one task per file), into plain chunk files in a staging folder:
one ``.gz`` cannot be split otherwise.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from typing import NamedTuple

from ..bulk import parse_bulk_concepts, parse_bulk_relations
from ..pubtator import LineCounts, Rejected, open_lines, parse_pubtator

__all__ = ["Chunk", "split_file", "chunk_stream", "SPLITTABLE"]

#: Formats cut into chunks; the others are read one file per task.
SPLITTABLE = ("pubtator", "bulk-concepts", "bulk-relations")

_BLOCK = 1 << 20
_PROBE_LINES = 50  # head lines that settle a bulk concept file's layout
#: Headers that give a bulk reader a known layout (their words are the reader's own).
_HEADERS = {
    "bulk-concepts": (b"PMID\tType\tConceptID\tMentions\tResource\n", b"PMID\tConceptID\tMentions\tResource\n"),
    "bulk-relations": (b"PMID\ttype\tid1\tid2\n",),
}
_PARSERS = {"pubtator": parse_pubtator, "bulk-concepts": parse_bulk_concepts, "bulk-relations": parse_bulk_relations}


class Chunk(NamedTuple):
    """One task's input: ``segments`` ``(data_path, start, end)`` of one input file ``path``.

    ``first_line`` is the file's line number of the chunk's first line; ``prefix`` a line
    read before it (its own line and its count are taken off the report); ``whole`` means
    the chunk is the whole file, read with :func:`~kg.pubtator.open_lines` (segments empty).
    """

    file_index: int
    index: int
    path: str
    fmt: str
    segments: tuple[tuple[str, int, int], ...]
    first_line: int
    prefix: bytes
    whole: bool
    size: int


def _run(fmt: str, path: str, lines: list[bytes]):
    """Documents and rejections of kg's reader on `lines` (a probe)."""
    rejected: list[Rejected] = []
    counts = LineCounts()
    docs = [(d.pmid, [tuple(a[1:6]) for a in d.annotations], [tuple(r[1:4]) + (r.novel,) for r in d.relations])
            for d in _PARSERS[fmt](lines, path=path, on_reject=rejected.append, counts=counts)]
    return docs, [(r.lineno, r.reason) for r in rejected], counts


def _layout_prefix(fmt: str, path: str, head: list[bytes]) -> bytes | None:
    """The line that puts kg's bulk reader, at a later point of the file, in the state the
    file's head put it in; None when the reader's own behaviour does not settle it."""
    if fmt == "bulk-relations":
        return _HEADERS[fmt][0]  # the reader's only state is "a first line may be a header"
    ref_docs, ref_rej, ref_counts = _run(fmt, path, head)
    for i, line in enumerate(head):  # the file's own header, when its first data line is one
        if line.split(b"\t", 1)[0].strip().lower().lstrip(b"\xef\xbb\xbf") == b"pmid":
            docs, rej, counts = _run(fmt, path, head[: i + 1])
            if not docs and not rej and counts.comment >= 1:
                return line if line.endswith(b"\n") else line + b"\n"
            return None
    matches = []
    for header in _HEADERS[fmt]:
        docs, rej, counts = _run(fmt, path, [header, *head])
        if docs == ref_docs and [(n - 1, r) for n, r in rej] == ref_rej \
                and counts.annotations == ref_counts.annotations and counts.comment == ref_counts.comment + 1:
            matches.append(header)
    return matches[0] if len(matches) == 1 else None


def _can_cut(fmt: str, path: str, prefix: bytes, last: bytes, prev: bytes, line: bytes) -> bool:
    """True when the reader ends a document between `prev` and `line` and the next one is of
    another PMID (the builder joins consecutive blocks of one PMID of one file); `last` is
    the last data line before `line`."""
    if not last or not _is_data(fmt, line):
        return False
    if fmt == "pubtator":
        if prev.strip(b" \t\r\n"):
            return False  # PubTator text: cut after a blank line only
        probe = [last, b"\n", line]
    else:
        if prev is not last or last.split(b"\t", 1)[0].strip() == line.split(b"\t", 1)[0].strip():
            return False  # bulk files: between two data lines of different PMIDs
        probe = [prefix, last, line]
    docs, rej, _ = _run(fmt, path, probe)
    return not rej and len(docs) == 2 and docs[0][0] != docs[1][0]


def _is_data(fmt: str, line: bytes) -> bool:
    """Not blank and (bulk files) not a ``#`` comment."""
    return bool(line.strip(b" \t\r\n")) and (fmt == "pubtator" or not line.startswith(b"#"))


def split_file(path: str, fmt: str, file_index: int, target: int, staging: str) -> list[Chunk]:
    """Cut one input file into chunks of about `target` bytes (see the module docstring).

    Gzip input is gunzipped into ``staging`` (a folder every executor can read).
    """
    size = os.path.getsize(path)
    whole = [Chunk(file_index, 0, path, fmt, (), 1, b"", True, size)]
    if fmt not in SPLITTABLE:
        return whole
    with open_lines(path) as (fh, _):
        packed = isinstance(fh, gzip.GzipFile)
        if not packed and size <= target:
            return whole
        try:
            head = [fh.readline() for _ in range(_PROBE_LINES)] if fmt == "bulk-concepts" else []
        except (OSError, EOFError, zlib.error):
            return whole
        prefix = b"" if fmt == "pubtator" else _layout_prefix(fmt, path, [h for h in head if h])
        if prefix is None:
            return whole
        splitter = _Splitter(path, fmt, file_index, target, staging if packed else None, prefix)
        read = getattr(fh, "read1", fh.read)
        try:
            splitter.feed(b"".join(head))
            for block in iter(lambda: read(_BLOCK), b""):
                splitter.feed(block)
        except (OSError, EOFError, zlib.error):
            splitter.discard()  # a truncated file: read whole, as the in-memory engine reads it
            return whole
        return splitter.finish()


class _Splitter:
    """Streams a file's bytes, closing a chunk at the first legal cut after `target` bytes."""

    def __init__(self, path, fmt, file_index, target, staging, prefix) -> None:
        self.path, self.fmt, self.file_index, self.target = path, fmt, file_index, target
        self.staging, self.prefix = staging, prefix
        self.chunks: list[Chunk] = []
        self.pos = 0  # bytes of complete lines taken
        self.lines = 0  # complete lines taken
        self.start, self.first_line = 0, 1
        self.searching = False
        self.prev = b""
        self.last = b""  # the last data line
        self.tail = b""
        self.out: io.BufferedWriter | None = None
        self.out_path = ""
        self.files: list[str] = []

    def _open(self) -> None:
        if self.staging is not None:
            name = f"f{self.file_index:05d}-c{len(self.chunks):06d}.txt"
            self.out_path = os.path.join(self.staging, name)
            self.out = open(self.out_path, "wb")
            self.files.append(self.out_path)

    def _take(self, seg: bytes) -> None:
        if self.out is None and self.staging is not None:
            self._open()
        if self.out is not None:
            self.out.write(seg)
        self.pos += len(seg)
        self.lines += seg.count(b"\n")

    def _close(self) -> None:
        index = len(self.chunks)
        prefix = self.prefix if index else b""
        if self.staging is not None:
            self.out.close()
            self.out = None
            segment = (self.out_path, 0, self.pos - self.start)
        else:
            segment = (self.path, self.start, self.pos)
        self.chunks.append(Chunk(self.file_index, index, self.path, self.fmt, (segment,), self.first_line, prefix,
                                 False, self.pos - self.start))
        self.start, self.first_line = self.pos, self.lines + 1
        self.searching = False

    def feed(self, block: bytes) -> None:
        data = self.tail + block if self.tail else block
        cut = data.rfind(b"\n")
        if cut < 0:
            self.tail = data
            return
        self.tail = data[cut + 1 :]
        data = data[: cut + 1] if cut + 1 < len(data) else data
        off, n = 0, len(data)
        while off < n:
            if not self.searching:
                room = self.start + self.target - self.pos
                if room > n - off:
                    self._take(data[off:] if off else data)
                    return
                nl = data.find(b"\n", off + max(room, 1) - 1)
                last = data.rfind(b"\n", off, nl) + 1
                self.prev = data[max(last, off) : nl + 1]
                self.last = self.prev if _is_data(self.fmt, self.prev) else b""
                self._take(data[off : nl + 1])
                off = nl + 1
                self.searching = True
                continue
            nl = data.find(b"\n", off)
            line = data[off : nl + 1]
            if _can_cut(self.fmt, self.path, self.prefix, self.last, self.prev, line):
                self._close()
                self.last = b""
                continue
            if _is_data(self.fmt, line):
                self.last = line
            self.prev = line
            self._take(line)
            off = nl + 1

    def finish(self) -> list[Chunk]:
        if self.tail:  # a last line without its line end
            self._take(self.tail)
            self.tail = b""
        if self.pos > self.start or not self.chunks:
            self._close()
        return self.chunks

    def discard(self) -> None:
        if self.out is not None:
            self.out.close()
        for f in self.files:
            os.unlink(f)


class _ChunkReader(io.RawIOBase):
    """The prefix, then the chunk's byte ranges, as one binary stream."""

    def __init__(self, chunk: Chunk) -> None:
        self.parts = iter(chunk.segments)
        self.pending = chunk.prefix
        self.fh = None
        self.left = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        while True:
            if self.pending:
                n = min(len(buf), len(self.pending))
                buf[:n] = self.pending[:n]
                self.pending = self.pending[n:]
                return n
            if self.fh is not None and self.left > 0:
                n = self.fh.readinto(memoryview(buf)[: min(len(buf), self.left)])
                if n:
                    self.left -= n
                    return n
                self.left = 0
            if self.fh is not None:
                self.fh.close()
                self.fh = None
            part = next(self.parts, None)
            if part is None:
                return 0
            data_path, start, end = part
            self.fh = open(data_path, "rb", buffering=0)
            self.fh.seek(start)
            self.left = end - start

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
        super().close()


class chunk_stream:
    """``with chunk_stream(chunk) as fh:`` the binary stream kg's reader reads for `chunk`."""

    def __init__(self, chunk: Chunk) -> None:
        self.chunk = chunk
        self._cm = None

    def __enter__(self):
        if self.chunk.whole:
            self._cm = open_lines(self.chunk.path)
            fh, _ = self._cm.__enter__()
            return fh
        self._cm = io.BufferedReader(_ChunkReader(self.chunk), buffer_size=_BLOCK)
        return self._cm

    def __exit__(self, *exc):
        if self.chunk.whole:
            return self._cm.__exit__(*exc)
        self._cm.close()
        return False

