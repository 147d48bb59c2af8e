"""How much memory the in-memory engine will need, so that it can warn before it runs out.

Measured peaks (``bench/scale``, ``bench/SCALE.md``) per byte of uncompressed input:
PubTator3-shaped bulk files ≈ 6.5 bytes per byte beyond ≈ 1.5 GB (1% of PubTator3, 217 MB
→ 2.9 GB; 5%, 1,085 MB → 8.5 GB; 2026-11-29), counted here as 8 per byte, which is close at
5–10% and errs high beyond; PubTator text ≈ 0.5 (Python reader; the native reader needs
less), BioC ≈ 1. A gzip file is counted at 4.5 times its size (bulk and PubTator text
compress about that much). Estimates: for a warning, not a limit.
"""

from __future__ import annotations

import os

__all__ = ["BYTES_PER_INPUT_BYTE", "estimate_memory", "available_memory", "too_big_for_memory"]

#: Peak bytes of the in-memory build per byte of (uncompressed) input, by format.
BYTES_PER_INPUT_BYTE = {"bulk-concepts": 8.0, "bulk-relations": 8.0, "pubtator": 0.5, "bioc-xml": 1.0,
                        "bioc-json": 1.0}
GZIP_RATIO = 4.5


def _uncompressed(path: str) -> float:
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        packed = fh.read(2) == b"\x1f\x8b"
    return size * GZIP_RATIO if packed else size


def estimate_memory(files: list[tuple[str, str]]) -> int:
    """Bytes the in-memory engine is expected to peak at for `files` (``(path, format)``).

    >>> estimate_memory([])
    0
    """
    return int(sum(_uncompressed(p) * BYTES_PER_INPUT_BYTE.get(fmt, 1.0) for p, fmt in files))


def available_memory() -> int | None:
    """Bytes of memory available to a new process (Linux ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def too_big_for_memory(files: list[tuple[str, str]], fraction: float = 0.8,
                       available: int | None = None) -> str | None:
    """A warning to show before an in-memory build that would need more than `fraction`
    of the `available` memory (default: what Linux says is available now), suggesting
    ``--engine spark``; None when it fits.

    >>> too_big_for_memory([]) is None
    True
    """
    need, free = estimate_memory(files), available if available is not None else available_memory()
    if free is None or need <= fraction * free:
        return None
    return (f"this input needs about {need / 2**30:.1f} GB in memory and {free / 2**30:.1f} GB is available: "
            f"the build may run out of memory; `kg build --engine spark` builds it in bounded memory")

