"""Annotations from the PubTator3 API into a folder that :func:`kg.build` reads.

``fetch(DIR, pmids=..., pmcids=..., query=...)`` asks PubTator3 for the annotated
documents of a list of PMIDs, of PMC ids (full texts) or of a search, and saves each
response as it came, one file per batch, in `DIR`. A small manifest (``DIR/.kg-fetch.json``,
hidden so that ``kg build DIR`` does not read it) says which ids each file answered, so
that running the same fetch again asks only for what is still missing.

The API (https://www.ncbi.nlm.nih.gov/research/pubtator3/api):

- ``GET {base}/publications/export/{biocjson|pubtator}?pmids=1,2,3[&full=true]``, up to
  100 ids; ``POST`` of ``{"pmids": [...]}`` to the same path takes up to 1000;
- ``GET {base}/publications/pmc_export/biocjson?pmcids=PMC1,PMC2`` (full texts, BioC only);
- ``GET {base}/search/?text=QUERY&page=N`` -> ``{"count", "page_size", "results": [{"pmid"}]}``;
- ``GET {base}/cite/tsv?text=QUERY`` -> every hit at once, ``pmid\\ttitle\\tjournal`` lines.

NCBI asks for at most three requests a second; responses can be 429 (with
``Retry-After``), 5xx, slow or cut short, and some requested ids are simply not there.
"""

from __future__ import annotations

import csv
import email.utils
import io
import json
import math
import os
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .errors import FetchError, InputError, ParseError
from .pubtator import Rejected, parse_pubtator

if TYPE_CHECKING:  # imported when a client is made: `import kg` stays fast
    import requests

__all__ = [
    "DEFAULT_BASE_URL",
    "GET_MAX",
    "POST_MAX",
    "MANIFEST",
    "Format",
    "RetryPolicy",
    "RateLimiter",
    "PubTator3Client",
    "FetchReport",
    "fetch",
    "parse_ids",
    "read_ids",
    "normalize_pmid",
    "normalize_pmcid",
]

DEFAULT_BASE_URL = "https://www.ncbi.nlm.nih.gov/research/pubtator3-api"
GET_MAX = 100  # ids per GET export (the API's limit)
POST_MAX = 1000  # ids per POST export
CITE_MAX = 7000  # cite/tsv is reported to fail above about this many hits: page instead
MANIFEST = ".kg-fetch.json"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
NOT_RETURNED = "not in the API's response (unknown id, or not annotated by PubTator3)"

ProgressFn = Callable[[str, int, int], None]


class Format(str, Enum):
    """Formats kg asks the export endpoint for (both are read by ``kg build``)."""

    biocjson = "biocjson"
    pubtator = "pubtator"


def _user_agent() -> str:
    import requests

    from .version import __version__

    return f"kg/{__version__} (PubTator literature knowledge graph; python-requests/{requests.__version__})"


# --------------------------------------------------------------------------- ids


_PMID = re.compile(r"[0-9]{1,10}")
_PMCID = re.compile(r"(?:PMC)?([0-9]{1,10})", re.IGNORECASE)


def normalize_pmid(text: str) -> str | None:
    """``" 123 "`` -> ``"123"``; anything but ASCII digits -> ``None``.

    >>> normalize_pmid(" 39937001 "), normalize_pmid("abc")
    ('39937001', None)
    """
    text = text.strip()
    return text if _PMID.fullmatch(text) else None


def normalize_pmcid(text: str) -> str | None:
    """``"pmc123"`` or ``"123"`` -> ``"PMC123"``; anything else -> ``None``.

    >>> normalize_pmcid("pmc3446384"), normalize_pmcid("3446384"), normalize_pmcid("PMC12x")
    ('PMC3446384', 'PMC3446384', None)
    """
    m = _PMCID.fullmatch(text.strip())
    return f"PMC{m.group(1)}" if m else None


def parse_ids(lines: Iterable[str], kind: str = "pmids", *, path: str = "<lines>") -> list[str]:
    """The PMIDs (or PMC ids) of a list file, in file order, repeats kept.

    Reads what PubMed's "Save" button writes as well as plain lists:

    - one id per line (PubMed's "PMID" format); blank lines and ``#`` comments skipped;
    - MEDLINE format: the ids of the ``PMID- `` lines (``PMC - `` lines for PMC ids);
    - Summary and Abstract text: the ids of the ``PMID: `` (``PMCID: ``) lines;
    - CSV with a header row naming a ``PMID`` (``PMCID``) column; empty cells skipped.

    Parameters
    ----------
    lines : iterable of str
    kind : {"pmids", "pmcids"}
    path : str
        Name used in errors.

    Raises
    ------
    ParseError
        A line that is not an id (file, line and text in the message).

    Examples
    --------
    >>> parse_ids(["PMID- 123", "TI  - A title", "", "PMID- 456"])
    ['123', '456']
    >>> parse_ids(['"PMID","Title","PMCID"', '"123","T",""', '"456","U","PMC9"'], "pmcids")
    ['PMC9']
    >>> parse_ids(["1. Lupus nephritis.", "Lancet. 2025.", "PMID: 39937001 PMCID: PMC11234 Free PMC article."])
    ['39937001']
    """
    pmids = kind == "pmids"
    norm, name = (normalize_pmid, "PMID") if pmids else (normalize_pmcid, "PMC id")
    rows = [line.rstrip("\r\n").lstrip("\ufeff") for line in lines]
    # PubMed's tagged formats: MEDLINE ("PMID- 1", "PMC - PMC2"), Summary and Abstract text ("PMID: 1", "PMCID: PMC2")
    for record_start, tag in ((r"PMID- ", r"PMID- (.*)" if pmids else r"PMC\s*- (.*)"),
                              (r"\s*PMID: ", r".*?\bPMID: *(\S+)" if pmids else r".*?\bPMCID: *(\S+)")):
        if any(re.match(record_start, row) for row in rows):
            return [_checked(norm, m.group(1), name, path, lineno, row)
                    for lineno, row in enumerate(rows, 1) if (m := re.match(tag, row))]
    first = next((i for i, row in enumerate(rows) if row.strip()), len(rows))
    header = [h.strip().upper() for h in next(csv.reader(rows[first:first + 1]), [])]
    if len(header) > 1 and {"PMID", "PMCID"} & set(header):  # PubMed's CSV
        column = "PMID" if pmids else "PMCID"
        if column not in header:
            raise ParseError(f"no {column} column in the CSV header", path, first + 1, rows[first])
        col = header.index(column)
        reader = csv.reader(rows[first + 1:])
        return [_checked(norm, cells[col], name, path, first + 1 + reader.line_num, rows[first + reader.line_num])
                for cells in reader if len(cells) > col and cells[col].strip()]
    return [_checked(norm, row, name, path, lineno, row)
            for lineno, row in enumerate(rows, 1) if row.strip() and not row.lstrip().startswith("#")]


def _checked(norm: Callable[[str], str | None], text: str, name: str, path: str, lineno: int, line: str) -> str:
    value = norm(text)
    if value is None:
        raise ParseError(f"not a {name}", path, lineno, line)
    return value


def read_ids(path: str | os.PathLike, kind: str = "pmids") -> list[str]:
    """:func:`parse_ids` of a file; an unreadable file or one without ids is an :class:`InputError`."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the id list: {err}") from err
    ids = parse_ids(text.splitlines(), kind, path=str(path))
    if not ids:
        raise InputError(f"{path}: no {'PMIDs' if kind == 'pmids' else 'PMC ids'} in the file")
    return ids


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a request again, and for how long.

    Parameters
    ----------
    attempts : int
        Tries per request (the first one included).
    backoff : float
        Seconds before the first retry; doubles each retry. Each wait is drawn between
        half and all of that (jitter), so that many clients do not retry in step.
    max_backoff : float
        Cap on one wait computed by backoff.
    max_retry_after : float
        A ``Retry-After`` longer than this gives up at once rather than sleep for it.
    budget : int
        Retries allowed in the whole run: past it a flaky server ends the run with a
        clear error instead of slowing it down for ever.
    """

    attempts: int = 5
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_retry_after: float = 300.0
    budget: int = 30

    def delay(self, retry: int, retry_after: float | None, rng: random.Random) -> float:
        base = min(self.max_backoff, self.backoff * 2 ** (retry - 1))
        jittered = base / 2 + rng.uniform(0, base / 2)
        return max(jittered, retry_after or 0.0)


class RateLimiter:
    """At most `rate` requests a second: each request starts at least ``1/rate`` s after
    the one before (so any second holds at most `rate` starts).

    Thread-safe; `clock` and `sleep` can be replaced in tests.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0 requests/s, not {rate}")
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = -math.inf
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


class _BadBody(Exception):
    """A 200 response whose body is not a whole answer (retried like a 5xx)."""


class PubTator3Client:
    """The PubTator3 endpoints kg uses, with rate limiting, timeouts and retries.

    Parameters
    ----------
    base_url : str
        The API root (``--base-url``: tests point it at a local server).
    rate : float
        Requests per second at most (NCBI asks for 3).
    timeout : float
        Seconds to wait for the server to connect and for each read; applies to every request.
    retry : RetryPolicy
    session : requests.Session, optional
        Yours stays open after :meth:`close`; by default the client makes (and closes) one.
    seed : int, optional
        Seed of the retry jitter (tests).

    Attributes
    ----------
    requests, retries : int
        Requests sent and retries among them, so far.
    """

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, rate: float = 3.0, timeout: float = 60.0,
                 retry: RetryPolicy = RetryPolicy(), session: requests.Session | None = None,
                 seed: int | None = None) -> None:
        import requests

        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the API's base URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(rate)
        self.timeout = timeout
        self.retry = retry
        self._own_session = session is None
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = _user_agent()
        self.requests = 0
        self.retries = 0
        self._rng = random.Random(seed)
        self._sleep = time.sleep

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    # -- endpoints

    def export(self, kind: str, ids: list[str], fmt: Format, full_text: bool = False) -> tuple[bytes, set[str]]:
        """The raw export of `ids` (`kind` "pmids" or "pmcids") and the ids of its documents.

        An answer that is not whole (JSON cut short, PubTator text without its last line
        end, an HTML error page) is retried like a 5xx.
        """
        fmt = Format(fmt)

        def read(resp: requests.Response) -> tuple[bytes, set[str]]:
            return resp.content, _returned_ids(resp.content, fmt, kind)

        if kind == "pmcids":
            path, params = f"/publications/pmc_export/{fmt.value}", {"pmcids": ",".join(ids)}
            return self._call("GET", path, params=params, check=read)
        path = f"/publications/export/{fmt.value}"
        params = {"full": "true"} if full_text else {}
        if len(ids) <= GET_MAX:
            return self._call("GET", path, params={"pmids": ",".join(ids), **params}, check=read)
        return self._call("POST", path, params=params, json_body={"pmids": ids}, check=read)

    def search_page(self, query: str, page: int, sort: str | None = None) -> dict:
        """One page of search results: ``{"count", "page_size", "results": [{"pmid", ...}], ...}``."""
        params = {"text": query, "page": str(page)}
        if sort:
            params["sort"] = sort
        return self._call("GET", "/search/", params=params, check=_search_json)

    def cite(self, query: str, attempts: int | None = None) -> list[str]:
        """Every hit's PMID at once, in the API's order (TSV; ``#`` lines are comments)."""
        text = self._call("GET", "/cite/tsv", params={"text": query}, check=_body_text, attempts=attempts)
        pmids = []
        for line in text.splitlines():
            if line.strip() and not line.startswith("#"):
                pmid = normalize_pmid(line.split("\t", 1)[0])
                if pmid is None:
                    raise FetchError(f"{self.base_url}/cite/tsv: not a PMID in the answer: {line[:80]!r}")
                pmids.append(pmid)
        return pmids

    # -- one request, with retries

    def _call(self, method: str, path: str, *, params: dict, check: Callable[[requests.Response], object],
              json_body: object = None, attempts: int | None = None):
        import requests

        url = self.base_url + path
        attempts = attempts or self.retry.attempts
        tried = 0
        while True:
            self.limiter.wait()
            self.requests += 1
            tried += 1
            retry_after = None
            try:
                resp = self.session.request(method, url, params=params, json=json_body, timeout=self.timeout)
                if resp.status_code == 200:
                    return check(resp)
                if resp.status_code not in RETRY_STATUSES:
                    raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason}: {resp.text[:200].strip()!r}")
                cause = f"HTTP {resp.status_code} {resp.reason}"
                retry_after = _retry_after(resp.headers.get("Retry-After"))
            except requests.Timeout:
                cause = f"no answer within {self.timeout:g} s"
            except requests.ConnectionError as err:
                cause = f"connection failed ({_root_cause(err)})"
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
                cause = "response cut short"
            except _BadBody as err:
                cause = str(err)
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                raise FetchError(f"{url}: {cause}: the server asks to wait {retry_after:g} s; try again later")
            if tried >= attempts:
                raise FetchError(f"{url}: {cause}; gave up after {tried} attempts")
            if self.retries >= self.retry.budget:
                raise FetchError(f"{url}: {cause}; gave up: {self.retries} retries in this run, the retry budget")
            self.retries += 1
            self._sleep(self.retry.delay(tried, retry_after, self._rng))


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number or an HTTP date).

    >>> _retry_after("2.5"), _retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), _retry_after("soon")
    (2.5, 0.0, None)
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _root_cause(err: BaseException) -> str:
    """The short reason inside requests' long connection error ("[Errno 111] Connection refused")."""
    text = str(getattr(err.args[0], "reason", None) or err) if err.args else str(err)
    text = text.rpartition("): ")[2] if "): " in text else text
    return text if len(text) <= 160 else text[:157] + "..."


def _body_text(resp: requests.Response) -> str:
    return resp.content.decode("utf-8", errors="replace")


def _search_json(resp: requests.Response) -> dict:
    try:
        data = json.loads(resp.content)
    except ValueError as err:
        raise _BadBody(f"search answer is not complete JSON ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise _BadBody("search answer has no 'results' list")
    return data


# --------------------------------------------------------------------------- what came back


def _returned_ids(body: bytes, fmt: Format, kind: str) -> set[str]:
    """The ids (PMIDs, or PMC ids for `kind` "pmcids") of the documents in an export.

    Raises :class:`_BadBody` for an answer that is not whole.
    """
    if not body.strip():
        return set()
    if fmt is Format.pubtator:
        if body.lstrip().startswith(b"<"):
            raise _BadBody("pubtator answer is HTML or XML, not PubTator text")
        if not body.endswith(b"\n"):
            raise _BadBody("pubtator answer does not end with a line end (cut short)")
        ignore: Callable[[Rejected], None] = lambda rejected: None  # the file is saved as sent; build reports it
        return {doc.pmid for doc in parse_pubtator(io.BytesIO(body), path="<response>", on_reject=ignore)}
    try:
        data = json.loads(body)
    except ValueError as err:
        try:  # the older API wrote one document a line
            data = [json.loads(line) for line in body.splitlines() if line.strip()]
        except ValueError:
            raise _BadBody(f"biocjson answer is not complete JSON ({err})") from None
    found: set[str] = set()
    for doc in _bioc_documents(data):
        uid = str(doc.get("_id") or "")
        if kind == "pmcids":
            candidates = [str(doc.get("pmcid") or ""), uid.partition("|")[2], str(doc.get("id") or "")]
            found.update(filter(None, map(normalize_pmcid, filter(None, candidates))))
        else:
            pmid = doc.get("pmid") or uid.partition("|")[0] or doc.get("id")
            if pmid is not None and normalize_pmid(str(pmid)):
                found.add(normalize_pmid(str(pmid)))
    return found


def _bioc_documents(data: object) -> Iterator[dict]:
    """Documents of the shapes the API has used: ``{"PubTator3": [...]}``, a BioC collection, one bare document, a list."""
    if isinstance(data, list):
        for item in data:
            yield from _bioc_documents(item)
    elif isinstance(data, dict):
        for key in ("PubTator3", "documents"):
            if isinstance(data.get(key), list):
                yield from _bioc_documents(data[key])
                return
        if "passages" in data or "_id" in data:
            yield data


# --------------------------------------------------------------------------- the folder


@dataclass(slots=True)
class _Batch:
    file: str
    kind: str
    ids: list[str]
    absent: list[str]
    extra: list[str] = field(default_factory=list)


class _Folder:
    """DIR and its manifest: which ids each saved file answered, and past searches.

    Writes are atomic: a batch is written under a hidden ``.part`` name, the manifest
    entry is saved (itself via a temporary name), then the file is renamed into place. A
    run killed at any point leaves complete files and a manifest that at worst names a
    file not renamed yet; loading drops such entries and stale ``.part`` files.
    """

    def __init__(self, path: Path, fmt: Format, full_text: bool) -> None:
        self.path = path
        self.fmt = fmt
        self.full_text = full_text
        self.batches: list[_Batch] = []
        self.searches: dict[str, dict] = {}
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob(".*.part"):
            stale.unlink(missing_ok=True)
        manifest = path / MANIFEST
        if manifest.exists():
            self._load(manifest)

    def _load(self, manifest: Path) -> None:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            fmt, full_text = data["format"], data["full_text"]
            batches = [_Batch(**b) for b in data["batches"]]
            searches = dict(data.get("searches", {}))
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise InputError(f"{manifest}: not a kg fetch manifest ({err}); fetch into another folder") from err
        if (fmt, full_text) != (self.fmt.value, self.full_text):
            had = f"{fmt}{' full texts' if full_text else ''}"
            raise InputError(f"{self.path} holds {had} from an earlier kg fetch; fetch "
                             f"{self.fmt.value}{' full texts' if self.full_text else ''} into another folder")
        self.batches = [b for b in batches if not b.file or (self.path / b.file).exists()]
        self.searches = searches

    def done(self, kind: str) -> set[str]:
        return {i for b in self.batches if b.kind == kind for i in b.ids}

    def save_batch(self, kind: str, ids: list[str], body: bytes, returned: set[str]) -> _Batch:
        ext = "json" if self.fmt is Format.biocjson else "pubtator"
        names = [b.file for b in self.batches] + [f.name for f in self.path.iterdir()]  # never overwrite a file
        numbers = [int(m.group(1)) for n in names if (m := re.fullmatch(r"pmc?ids-(\d+)\.(?:json|pubtator)", n))]
        name = f"{kind}-{max(numbers, default=0) + 1:05d}.{ext}"
        wanted = set(ids)
        batch = _Batch(name, kind, list(ids), [i for i in ids if i not in returned], sorted(returned - wanted))
        if not returned:  # no document in the answer: nothing for kg build to read, only the ids to record
            batch.file = ""
            self.batches.append(batch)
            self.save_manifest()
            return batch
        part = self.path / f".{name}.part"
        try:
            _write(part, body)
            self.batches.append(batch)
            self.save_manifest()
            os.replace(part, self.path / name)
        finally:
            part.unlink(missing_ok=True)
        return batch

    def save_manifest(self) -> None:
        data = {"kg_fetch": 1, "format": self.fmt.value, "full_text": self.full_text,
                "batches": [asdict(b) for b in self.batches], "searches": self.searches}
        part = self.path / f".{MANIFEST}.part"
        try:
            _write(part, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
            os.replace(part, self.path / MANIFEST)
        finally:
            part.unlink(missing_ok=True)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


# --------------------------------------------------------------------------- fetch


@dataclass(slots=True)
class FetchReport:
    """What a fetch did. Every requested id is in `saved` or in `absent` (:meth:`reconciles`).

    Attributes
    ----------
    out_dir, format : str
    requested : list of str
        The ids asked for, de-duplicated, in order (PMIDs, then ``PMC…`` ids).
    saved : list of str
        Requested ids whose document is in the folder (from this run or an earlier one).
    absent : dict
        Requested id -> why there is no document for it.
    extra : list of str
        Ids of documents the API sent without being asked (kept in the files).
    duplicates : int
        Repeated ids dropped from the input and the search results.
    search_hits : int or None
        Hits the API counted for the query (all of them, not only those fetched).
    files_written, files_kept : list of str
        Batch files saved by this run, and those an earlier run had saved.
    requests, retries : int
    seconds : float
    """

    out_dir: str
    format: str
    requested: list[str] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)
    absent: dict[str, str] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)
    duplicates: int = 0
    search_hits: int | None = None
    files_written: list[str] = field(default_factory=list)
    files_kept: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0

    def reconciles(self) -> bool:
        """True when each requested id is saved or absent, and no id is both."""
        return (len(self.saved) + len(self.absent) == len(self.requested)
                and set(self.saved) | set(self.absent) == set(self.requested))

    def to_dict(self) -> dict:
        return {**asdict(self), "reconciles": self.reconciles()}


def fetch(
    out_dir: str | os.PathLike,
    *,
    pmids: Iterable[str] = (),
    pmcids: Iterable[str] = (),
    query: str | None = None,
    max_results: int | None = None,
    format: Format | str = Format.biocjson,
    full_text: bool = False,
    base_url: str = DEFAULT_BASE_URL,
    rate: float = 3.0,
    batch_size: int = GET_MAX,
    timeout: float = 60.0,
    retry: RetryPolicy = RetryPolicy(),
    sort: str | None = None,
    use_cite: bool = True,
    progress: ProgressFn | None = None,
    session: requests.Session | None = None,
) -> FetchReport:
    """Fetch PubTator3 annotations of PMIDs, PMC ids and/or a search into `out_dir`.

    Parameters
    ----------
    out_dir : path
        Folder for the batch files and the manifest (made if missing). A folder from an
        earlier fetch is resumed: ids already answered are not asked again.
    pmids, pmcids : iterables of str
        Ids to fetch (``PMC`` prefix optional); repeats are dropped.
    query : str, optional
        A PubTator3 search (free text, ``@GENE_BRAF``, ``relations:treat|@CHEMICAL_…|@DISEASE_…``);
        its hits are fetched after the given PMIDs, without repeats.
    max_results : int, optional
        Ask for at most this many ids in all (given ids first, then search hits); with a
        query, exactly this many when the search has that many hits.
    format : {"biocjson", "pubtator"}
    full_text : bool
        Ask for full texts where PubTator3 has them (BioC only; PMC ids always give full text).
    base_url : str
    rate : float
        Requests per second at most.
    batch_size : int
        Ids per request: up to 100 goes by GET, more (up to 1000) by POST.
    timeout : float
        Seconds for each request to connect and for each read.
    retry : RetryPolicy
    sort : str, optional
        Search order, e.g. ``"date desc"`` (default: the API's, by relevance).
    use_cite : bool
        Get all hits of a search from ``cite/tsv`` in one request when it has more than
        a page and at most ~7,000 hits (paging if that fails).
    progress : callable, optional
        Called as ``progress(stage, done, total)``, stage "search" (PMIDs found) or
        "export" (ids answered).
    session : requests.Session, optional

    Returns
    -------
    FetchReport

    Raises
    ------
    ValueError
        Bad arguments: nothing to fetch, PMC ids or full text in PubTator format, a batch size out of range.
    FetchError
        The server failed past the retries (one line: URL and cause). Batches saved before
        stay; running again resumes.
    InputError
        `out_dir` holds another format from an earlier fetch.

    Notes
    -----
    Requests go one at a time, so throughput is the lower of `rate` and what the server's
    latency allows: ``batch_size × rate × 60`` PMIDs a minute at best (18,000 at the defaults).
    Ids the API answered as absent count as done: a new run does not ask for them again
    (delete the folder, or its manifest entry, to retry them). The manifest is rewritten
    after each batch, which stays cheap next to the request up to some 100,000 ids a folder.

    Examples
    --------
    Against the real API (so not run as a doctest; ``tests/test_fetch.py`` replays it locally)::

        report = kg.fetch("corpus/", query="systemic lupus erythematosus CAR-T", max_results=500)
        report.reconciles()        # True: every id saved or in report.absent, with the reason
        G = kg.build("corpus/").graph
    """
    started = time.monotonic()
    fmt = Format(format)
    pmid_list, dup_pmids = _unique(pmids, normalize_pmid, "PMID")
    pmcid_list, dup_pmcids = _unique(pmcids, normalize_pmcid, "PMC id")
    query = query.strip() if query else None
    if not (pmid_list or pmcid_list or query):
        raise ValueError("nothing to fetch: give PMIDs, PMC ids or a query")
    if fmt is Format.pubtator and (pmcid_list or full_text):
        raise ValueError("full texts (PMC ids, full_text) come only in BioC: use format biocjson")
    if not 1 <= batch_size <= POST_MAX:
        raise ValueError(f"batch size must be 1..{POST_MAX}, not {batch_size}")
    if max_results is not None and max_results < 1:
        raise ValueError(f"max must be at least 1, not {max_results}")
    client = PubTator3Client(base_url, rate=rate, timeout=timeout, retry=retry, session=session)  # checks them
    if max_results is not None:
        pmid_list = pmid_list[:max_results]
        pmcid_list = pmcid_list[:max_results - len(pmid_list)]
    folder = _Folder(Path(out_dir), fmt, full_text)
    report = FetchReport(str(out_dir), fmt.value, duplicates=dup_pmids + dup_pmcids)
    try:
        if query and (max_results is None or len(pmid_list) + len(pmcid_list) < max_results):
            want = None if max_results is None else max_results - len(pmid_list) - len(pmcid_list)
            hits, count, dups = _search(client, folder, query, want, set(pmid_list), sort, use_cite, progress)
            pmid_list += hits
            report.search_hits, report.duplicates = count, report.duplicates + dups
        report.requested = pmid_list + pmcid_list
        kept = {b.file for b in folder.batches}
        _export(client, folder, report, [("pmids", pmid_list), ("pmcids", pmcid_list)], fmt, full_text,
                batch_size, progress)
    finally:
        report.requests, report.retries = client.requests, client.retries
        report.seconds = time.monotonic() - started
        client.close()
    _account(folder, report, kept)
    return report


def _unique(ids: Iterable[str], norm: Callable[[str], str | None], name: str) -> tuple[list[str], int]:
    seen: dict[str, None] = {}
    n = 0
    for raw in ids:
        n += 1
        value = norm(str(raw))
        if value is None:
            raise ValueError(f"not a {name}: {raw!r}")
        seen.setdefault(value)
    return list(seen), n - len(seen)


def _search(client: PubTator3Client, folder: _Folder, query: str, want: int | None, exclude: set[str],
            sort: str | None, use_cite: bool, progress: ProgressFn | None) -> tuple[list[str], int, int]:
    """The first `want` (all if None) PMIDs of the query's hits, without repeats or `exclude`d ids.

    Returns (pmids, the API's hit count, repeats dropped). Pages are read in order, so
    ``--max N`` takes the search's first N. When every hit is wanted, ``cite/tsv`` gives
    them in one request (tried once: it fails on big result sets), paging if it fails.
    A search answered before (same text and order, enough hits kept) is taken from the
    manifest without asking again.
    """
    key = f"{query}\t{sort or ''}"
    past = folder.searches.get(key)
    if past and (past["complete"] or (want is not None and len(past["pmids"]) >= want + len(exclude))):
        return _take(past["pmids"], exclude, want), past["count"], 0
    found: dict[str, None] = {}
    dups = fresh = 0

    def add(pmids: Iterable[str]) -> None:
        nonlocal dups, fresh
        for p in pmids:
            if p in found:
                dups += 1
            else:
                found[p] = None
                fresh += p not in exclude

    def wanting() -> bool:
        return (want is None or fresh < want) and len(found) < count

    first = client.search_page(query, 1, sort)
    count = int(first.get("count") or 0)
    page_size = int(first.get("page_size") or len(first["results"]) or 1)
    pages = int(first.get("total_pages") or math.ceil(count / page_size))
    add(_page_pmids(first))
    target = count if want is None else min(count, want + len(exclude))
    if progress:
        progress("search", min(len(found), target), target)
    if wanting() and use_cite and count <= CITE_MAX and (want is None or want + len(exclude) >= count):
        try:
            cited = client.cite(query, attempts=1)
        except FetchError:
            cited = None  # page instead
        if cited is not None:
            repeats = dups + len(cited) - len(set(cited))  # repeats inside the answer, not page 1 again
            add(dict.fromkeys(cited))
            dups, pages = repeats, 1  # every hit is in: no paging
    page = 2
    while wanting() and page <= pages:
        hits = _page_pmids(client.search_page(query, page, sort))
        if not hits:
            break  # past the last page the API serves
        add(hits)
        page += 1
        if progress:
            progress("search", min(len(found), target), target)
    if progress:
        progress("search", target, target)  # done, whether by pages or cite/tsv, repeats or not
    folder.searches[key] = {"count": count, "pmids": list(found), "complete": want is None or fresh < want}
    folder.save_manifest()
    return _take(found, exclude, want), count, dups


def _take(hits: Iterable[str], exclude: set[str], want: int | None) -> list[str]:
    fresh = [p for p in hits if p not in exclude]
    return fresh if want is None else fresh[:want]


def _page_pmids(page: dict) -> list[str]:
    pmids = []
    for hit in page["results"]:
        pmid = normalize_pmid(str(hit.get("pmid", ""))) if isinstance(hit, dict) else None
        if pmid is None:
            raise FetchError(f"search answer: a hit without a PMID: {str(hit)[:120]!r}")
        pmids.append(pmid)
    return pmids


def _export(client: PubTator3Client, folder: _Folder, report: FetchReport, work: list[tuple[str, list[str]]],
            fmt: Format, full_text: bool, batch_size: int, progress: ProgressFn | None) -> None:
    total = sum(len(ids) for _, ids in work)
    done = sum(len(set(ids) & folder.done(kind)) for kind, ids in work)
    if progress:
        progress("export", done, total)
    for kind, ids in work:
        settled = folder.done(kind)
        todo = [i for i in ids if i not in settled]
        size = batch_size if kind == "pmids" else min(batch_size, GET_MAX)
        for start in range(0, len(todo), size):
            batch = todo[start:start + size]
            body, returned = client.export(kind, batch, fmt, full_text)
            saved = folder.save_batch(kind, batch, body, returned)
            if saved.file:
                report.files_written.append(saved.file)
            done += len(batch)
            if progress:
                progress("export", done, total)


def _account(folder: _Folder, report: FetchReport, kept_before: set[str]) -> None:
    """Fill saved / absent / extra / files_kept from the manifest, for the requested ids."""
    absent: dict[str, str] = {}
    answered: set[str] = set()
    extra: set[str] = set()
    for b in folder.batches:
        answered.update(b.ids)
        absent.update(dict.fromkeys(b.absent, NOT_RETURNED))
        extra.update(b.extra)
        if b.file and b.file in kept_before:
            report.files_kept.append(b.file)
    report.saved = [i for i in report.requested if i in answered and i not in absent]
    report.absent = {i: absent[i] for i in report.requested if i in absent}
    report.extra = sorted(extra - set(report.requested))
