"""What the command modules of :mod:`cli` share: one-line errors and output-path checks.

Exit 1 for a data or server error and for an output the system refuses (no permission, a
parent that cannot be made, a full disk); exit 2 (Typer's usage error) for an output path
that cannot be right whatever the system: a folder where a file goes, or a file where a
folder of files goes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["fail", "write_failed", "not_writable_as", "file_output"]


def fail(err: Exception | str) -> typer.Exit:
    """Print ``kg: error: ERR`` on stderr; the caller raises the returned exit 1."""
    typer.secho(f"kg: error: {err}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def write_failed(path: Path, err: OSError) -> typer.Exit:
    """:func:`fail` for an output that could not be written: the path and the system's cause."""
    where = f" ({err.filename})" if err.filename and str(err.filename) != str(path) else ""
    return fail(f"cannot write {path}: {err.strerror or err}{where}")


def not_writable_as(path: Path, folder: bool) -> Optional[str]:
    """Why `path` cannot be written as a file (`folder` False) or as a folder of files, if it cannot."""
    if not folder and path.is_dir():
        return f"{path} is a folder; give a file name"
    if folder and path.exists() and not path.is_dir():
        return f"{path} is a file; this format writes a folder of files"
    return None


def file_output(path: Optional[Path]) -> Optional[Path]:
    """Typer callback for an option naming a file to write: a folder there is a usage error."""
    problem = path is not None and not_writable_as(path, folder=False)
    if problem:
        raise typer.BadParameter(problem)
    return path
