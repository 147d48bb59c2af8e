"""Typed errors. Every error about input data names the file and line it came from."""

from __future__ import annotations

__all__ = ["KgError", "ParseError", "InputError", "Neo4jError", "Neo4jLoadError", "FetchError"]


class KgError(Exception):
    """Base class of every error kg raises on purpose; the CLI turns it into exit 1."""


class ParseError(KgError, ValueError):
    """A record that cannot be read, with where it came from.

    Attributes
    ----------
    path : str
        File the record came from (``"<lines>"`` for in-memory input).
    lineno : int
        1-based line number in that file.
    line : str
        The offending line (shortened in the message).
    reason : str
        Why it was rejected.
    """

    def __init__(self, reason: str, path: str = "<lines>", lineno: int = 0, line: str = ""):
        self.reason = reason
        self.path = path
        self.lineno = lineno
        self.line = line
        shown = line if len(line) <= 120 else line[:117] + "..."
        super().__init__(f"{path}:{lineno}: {reason}: {shown!r}")

    def __reduce__(self):  # keep path and line when raised in a worker process
        return type(self), (self.reason, self.path, self.lineno, self.line)


class InputError(KgError):
    """An input path that cannot be used: missing, empty, unreadable or of an unknown format."""


class Neo4jError(KgError):
    """A Neo4j server that cannot be reached or refuses the load; the message names URI and cause."""


class FetchError(KgError):
    """The PubTator3 API failed past the retries, or answered nonsense; the message names URL and cause."""


class Neo4jLoadError(Neo4jError):
    """A load that failed at a named server: the message already reads ``cannot load into
    Neo4j at URI: cause`` (the loader adds that prefix to any other :class:`Neo4jError`)."""
