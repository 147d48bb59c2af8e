"""`kg fetch`: PubTator3 annotations of PMIDs, PMC ids or a search into a folder `kg build` reads.

`register(app)` adds the command to the Typer app of :mod:`cli.main`. The summary goes to
stdout, the progress bar (on a terminal) and errors to stderr. Exit 0 on success (ids the
API did not return are listed, not an error), 1 when the server fails past the retries
(one line), 2 on a usage error (a PMID ``abc``, an empty list file, nothing to fetch).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from kg.errors import FetchError, KgError
from kg.fetch import (DEFAULT_BASE_URL, GET_MAX, POST_MAX, FetchReport, Format, RetryPolicy, fetch as fetch_ids,
                      normalize_pmcid, normalize_pmid, read_ids)

__all__ = ["register"]

SHOW_ABSENT = 10


def fetch(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the files (made if missing; an earlier fetch there is resumed).", show_default=False)],
    pmids: Annotated[Optional[list[str]], typer.Argument(help="PMIDs to fetch (also comma-separated).", show_default=False)] = None,
    pmids_file: Annotated[Optional[list[Path]], typer.Option("--pmids", help="File of PMIDs: one per line, or PubMed's own export (PMID, MEDLINE, Summary or CSV). Repeatable.", show_default=False)] = None,
    pmcids: Annotated[Optional[list[str]], typer.Option("--pmcids", help="PMC ids (full texts), or a file of them (one per line, or PubMed's MEDLINE, Summary or CSV). Repeatable, comma-separated.", show_default=False)] = None,
    query: Annotated[Optional[str], typer.Option("--query", "-q", help="PubTator3 search: free text, @GENE_BRAF, relations:treat|@CHEMICAL_…|@DISEASE_….", show_default=False)] = None,
    max_results: Annotated[Optional[int], typer.Option("--max", min=1, help="Fetch at most this many ids in all (exactly this many search hits when there are that many). [default: all]", show_default=False)] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="What to save: BioC JSON (names, full texts) or PubTator text.")] = Format.biocjson,
    full_text: Annotated[bool, typer.Option("--full-text", help="Ask for full texts where PubTator3 has them (biocjson only).")] = False,
    base_url: Annotated[str, typer.Option("--base-url", help="PubTator3 API root.")] = DEFAULT_BASE_URL,
    rate: Annotated[float, typer.Option("--rate", min=0.01, help="Requests per second at most (NCBI asks for no more than 3).")] = 3.0,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=POST_MAX, help=f"PMIDs per request: up to {GET_MAX} by GET, more (up to {POST_MAX}) by POST.")] = GET_MAX,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each answer before retrying.")] = 60.0,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Retries per request on 429, 5xx, timeouts and broken connections (exponential backoff with jitter; Retry-After honoured).")] = RetryPolicy().attempts - 1,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write the fetch report (every id not returned, with the reason) as JSON here.", show_default=False)] = None,
) -> None:
    """Fetch PubTator3 annotations by PMIDs, PMC ids or a search into a folder for `kg build`."""
    ids = _pmids(pmids or [], pmids_file or [])
    pmc = _pmcids(pmcids or [])
    if not (ids or pmc or (query and query.strip())):
        raise typer.BadParameter("give PMIDs, --pmids FILE, --pmcids or --query", param_hint="PMID...")
    if not base_url.startswith(("http://", "https://")):
        raise typer.BadParameter("give an http:// or https:// URL", param_hint="--base-url")
    if fmt is Format.pubtator and (pmc or full_text):
        raise typer.BadParameter("full texts (--pmcids, --full-text) come only as biocjson", param_hint="--format")
    progress = _Bar()
    try:
        result = fetch_ids(output, pmids=ids, pmcids=pmc, query=query, max_results=max_results, format=fmt,
                           full_text=full_text, base_url=base_url, rate=rate, batch_size=batch_size,
                           timeout=timeout, retry=RetryPolicy(attempts=retries + 1), progress=progress)
    except KgError as err:
        progress.close()
        resume = f" (files saved so far stay in {output}: run again to resume)" if isinstance(err, FetchError) else ""
        typer.secho(f"kg: error: {err}{resume}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: every file in the folder is whole
        progress.close()
        typer.echo(f"kg: interrupted; files saved so far stay in {output}: run again to resume", err=True)
        raise typer.Exit(code=130) from None
    progress.close()
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo("\n".join(_summary(result, report)))


def _pmids(args: list[str], files: list[Path]) -> list[str]:
    ids = []
    for arg in args:
        for part in filter(None, (p.strip() for p in arg.split(","))):
            if normalize_pmid(part) is None:
                raise typer.BadParameter(f"not a PMID: {part!r}", param_hint="PMID...")
            ids.append(part)
    for path in files:
        ids += _read(path, "pmids", "--pmids")
    return ids


def _pmcids(values: list[str]) -> list[str]:
    ids = []
    for value in values:
        if Path(value).is_file():
            ids += _read(Path(value), "pmcids", "--pmcids")
            continue
        for part in filter(None, (p.strip() for p in value.split(","))):
            pmcid = normalize_pmcid(part)
            if pmcid is None:
                raise typer.BadParameter(f"not a PMC id nor a file: {part!r}", param_hint="--pmcids")
            ids.append(pmcid)
    return ids


def _read(path: Path, kind: str, hint: str) -> list[str]:
    try:
        return read_ids(path, kind)
    except KgError as err:  # a bad list is a usage error: exit 2 with file and line
        raise typer.BadParameter(str(err), param_hint=hint) from None


def _summary(r: FetchReport, report: Optional[Path]) -> list[str]:
    n_pmc = sum(1 for i in r.requested if i.startswith("PMC"))
    out = []
    if r.search_hits is not None:
        out.append(f"search: {r.search_hits:,} hits")
    out.append(f"requested {len(r.requested):,} ids ({len(r.requested) - n_pmc:,} PMIDs, {n_pmc:,} PMC ids"
               f"{f', {r.duplicates:,} repeats dropped' if r.duplicates else ''})")
    out.append(f"saved {len(r.saved):,}, not returned by the API {len(r.absent):,}"
               f"{f', sent unasked {len(r.extra):,}' if r.extra else ''}")
    for ident, reason in list(r.absent.items())[:SHOW_ABSENT]:
        out.append(f"  {ident}: {reason}")
    if len(r.absent) > SHOW_ABSENT and report is None:
        out.append("  (see --report FILE for every id not returned)")
    out.append(f"files: {len(r.files_written):,} written, {len(r.files_kept):,} from an earlier run -> {r.out_dir}")
    out.append(f"requests: {r.requests:,} ({r.retries:,} retries) in {r.seconds:.1f} s")
    if report is not None:
        out.append(f"report: {report}")
    out.append(f"next: kg build {r.out_dir}")
    return out


class _Bar:
    """A rich progress bar on stderr, only on a terminal: one task per stage (search, export)."""

    def __init__(self) -> None:
        self.bar = None
        self.tasks: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
        if stage not in self.tasks:
            label = "searching (PMIDs)" if stage == "search" else "fetching (ids)"
            self.tasks[stage] = self.bar.add_task(label, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def register(app: typer.Typer) -> None:
    """Add the `fetch` command to `app`."""
    app.command("fetch")(fetch)
