"""PubTator3-shaped bulk files at a chosen fraction of PubTator3 (synthetic, realistic distributions).

``bioconcepts2pubtator3`` (``PMID  Type  ConceptID  Mentions  Resource``, one line per PMID
and concept) and ``relation2pubtator3`` (``PMID  type  Type|ID  Type|ID``), as NCBI
publishes them, for ``fraction`` × 36 M PMIDs:

- concepts per PMID: Poisson, mean 11 draws (at least 1); a ``(type, id)`` drawn twice for a
  PMID gives one line (10.9 lines per PMID on average), in the order first drawn;
- types by PubTator3's shares (Disease 30%, Gene 24%, Chemical 22%, Species 17%,
  Variant 4%, CellLine 3%);
- ids drawn Zipf-like (p ∝ 1/(rank+2)^1.05) from pools the size of the real vocabularies:
  genes 250k (``NCBIGene`` numbers), chemicals 300k (``MESH:C…``/``MESH:D…``), diseases 15k
  (``MESH:D…``), species 60k (taxon numbers), variants 3 M (``tmVar:p|SUB|…`` and
  ``RS#:…``), cell lines 40k (``CVCL_…``); so the entity set grows with the input, as the
  real one does, slower than linearly;
- mentions: the first 1–3 (uniformly) of each id's three spellings, ``|``-joined;
- relations per PMID: Poisson, mean 1.1, over the 13 relation types of the bulk file
  (associate the most frequent), between two distinct concepts of the PMID (uniformly;
  none in a PMID of one concept), ids typed ``Type|ID``.

1% = 360k PMIDs, 3.9 M concept lines (195 MB) and 0.4 M relation lines (22 MB). The files
are a function of ``(fraction, seed)``; they are written once into ``DIR/f{fraction}/`` (a
``.done`` file marks a complete folder). Blocks of PMIDs are drawn as numpy arrays and
their lines joined from cached pieces (see ``_Strings``), about 3 GB of output per CPU
minute, so 10% (2.2 GB) takes about a minute.

Usage: ``python -m bench.scale.generate 0.01 [--out DIR] [--seed N]``
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

PUBTATOR3_PMIDS = 36_000_000
CONCEPTS_PER_PMID = 11.0
RELATIONS_PER_PMID = 1.1
#: type -> (share of concept lines, pool size, resource column)
TYPES = {
    "Disease": (0.30, 15_000, "MeSH"),
    "Gene": (0.24, 250_000, "PubTator3"),
    "Chemical": (0.22, 300_000, "MeSH"),
    "Species": (0.17, 60_000, "Taxonomy"),
    "Variant": (0.04, 3_000_000, "tmVar"),
    "CellLine": (0.03, 40_000, "Cellosaurus"),
}
#: the 13 relation types of relation2pubtator3, with rough shares
RELATIONS = {
    "associate": 0.40, "positive_correlate": 0.14, "negative_correlate": 0.10, "interact": 0.08,
    "treat": 0.08, "cause": 0.06, "cotreat": 0.03, "compare": 0.03, "drug_interact": 0.02,
    "convert": 0.01, "prevent": 0.02, "inhibit": 0.02, "stimulate": 0.01,
}
BLOCK = 25_000  # PMIDs generated at a time (part of the definition of the output of a seed)
_SYLLABLES = ["al", "be", "cor", "di", "en", "fa", "gli", "hy", "in", "ko", "lu", "ma", "ne", "ox", "pi",
              "ra", "si", "to", "ur", "vi", "xe", "zo"]
_WORDS = 22**3  # forms(etype, k) depends on k only through k % _WORDS


def _zipf(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Ranks in [0, n) drawn with p ∝ 1/(rank+2)^1.05 (inverse transform on the CDF)."""
    cdf = _zipf.cache.get(n)
    if cdf is None:
        w = 1.0 / np.power(np.arange(n, dtype=np.float64) + 2.0, 1.05)
        cdf = _zipf.cache[n] = np.cumsum(w / w.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(size)), n - 1)


_zipf.cache = {}


def concept_id(etype: str, k: int) -> str:
    """The identifier of rank `k` of a type, as PubTator3 writes it."""
    if etype == "Gene":
        return str(1 + (k * 7919) % 10_000_000)
    if etype == "Disease":
        return f"MESH:D{(k * 37) % 1_000_000:06d}"
    if etype == "Chemical":
        return f"MESH:C{(k * 31) % 10_000_000:07d}" if k % 3 else f"MESH:D{(k * 13) % 1_000_000:06d}"
    if etype == "Species":
        return str(9606 + k) if k else "9606"
    if etype == "CellLine":
        return f"CVCL_{k:04X}"
    if k % 4 == 0:
        return f"RS#:{1000 + k}"
    return f"tmVar:p|SUB|{'ACDEFGHIKLMNPQRSTVWY'[k % 20]}|{k % 2000 + 1}|{'ACDEFGHIKLMNPQRSTVWY'[(k // 20) % 20]}"


def spellings(etype: str, k: int) -> list[str]:
    """The three spellings of entity `k`; its Mentions column holds the first 1–3 of them, ``|``-joined."""
    word = "".join(_SYLLABLES[(k // 22**i) % 22] for i in range(3))
    return [word, word.upper()[:4], f"{word} {etype.lower()}"]


def forms(etype: str, k: int, rng: np.random.Generator) -> str:
    """1–3 ``|``-joined spellings of entity `k` (from its own small set), the count uniform.

    The rule for one line; :func:`generate` applies it to whole blocks (``_Strings.tail``).
    """
    return "|".join(spellings(etype, k)[: 1 + int(rng.integers(0, 3))])


class _Strings:
    """The text pieces of the lines, built once per type, form and seen entity.

    A line is joined from pieces looked up by array indexing, so the per-line work is numpy's
    and ``str.join``'s, not Python's: ``PMID\\t`` + ``Type\\t`` + concept id + ``\\tforms\\tResource\\n``.
    Concept ids are made lazily, for the entities drawn only, into one object array over all
    pools, with a number per distinct ``(type, id)`` (``concept_id`` gives some ranks one id:
    the tmVar ids repeat every 2000 ranks); the Mentions/Resource tails depend on ``(type, rank % 22**3, number of forms)``
    only, so all 6 × 10648 × 3 are made up front.
    """

    def __init__(self, types: list[str]):
        self.types = types
        sizes = [TYPES[t][1] for t in types]
        self.offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.ids = np.empty(int(sum(sizes)), dtype=object)
        self.made = np.zeros(int(sum(sizes)), dtype=bool)
        self.code = np.zeros(int(sum(sizes)), dtype=np.int64)  # the number of each (type, id)
        self.codes: dict[tuple[int, str], int] = {}
        tails = []
        for t in types:
            for w in range(_WORDS):
                s = spellings(t, w)
                tails += [f"\t{'|'.join(s[:n])}\t{TYPES[t][2]}\n" for n in (1, 2, 3)]
        self.tails = np.array(tails, dtype=object)
        self.type_tab = np.array([f"{t}\t" for t in types], dtype=object)
        self.type_bar = np.array([f"{t}|" for t in types], dtype=object)

    def index(self, kinds: np.ndarray, ranks: np.ndarray) -> np.ndarray:
        """The place of each ``(kind, rank)`` in ``ids`` and ``code``, made if new."""
        where = self.offset[kinds] + ranks
        new = np.unique(where[~self.made[where]])
        if new.size:
            kind_of = np.searchsorted(self.offset, new, side="right") - 1
            rank_of = new - self.offset[kind_of]
            made = [concept_id(self.types[k], r) for k, r in zip(kind_of.tolist(), rank_of.tolist())]
            fill = np.empty(new.size, dtype=object)
            fill[:] = made
            self.ids[new] = fill
            self.code[new] = [self.codes.setdefault(key, len(self.codes)) for key in zip(kind_of.tolist(), made)]
            self.made[new] = True
        return where

    def tail(self, kinds: np.ndarray, ranks: np.ndarray, n_forms: np.ndarray) -> np.ndarray:
        """``\\tforms\\tResource\\n`` of each line, with `n_forms` (1–3) spellings."""
        return self.tails[(kinds * _WORDS + ranks % _WORDS) * 3 + (n_forms - 1)]


def _pmid_tabs(first: int, n: int) -> np.ndarray:
    """``"PMID\\t"`` for the `n` PMIDs from `first`."""
    out = np.empty(n, dtype=object)
    out[:] = [f"{p}\t" for p in range(first, first + n)]
    return out


def _interleave(*columns: np.ndarray) -> str:
    """The pieces of each line, joined line by line (all columns have one entry per line)."""
    pieces = np.empty(len(columns) * len(columns[0]), dtype=object)
    for i, col in enumerate(columns):
        pieces[i :: len(columns)] = col
    return "".join(pieces.tolist())


def _block(rng: np.random.Generator, start: int, n: int, text: _Strings, kind_cdf: np.ndarray,
           rel_cdf: np.ndarray, rel_tabs: np.ndarray) -> tuple[str, str]:
    """The concept lines and the relation lines of the `n` PMIDs from ``10_000_000 + start``."""
    types = text.types
    counts = np.maximum(1, rng.poisson(CONCEPTS_PER_PMID, n))
    total = int(counts.sum())
    kinds = np.minimum(np.searchsorted(kind_cdf, rng.random(total), side="right"), len(types) - 1)
    ranks = np.empty(total, dtype=np.int64)
    for i, t in enumerate(types):
        mask = kinds == i
        ranks[mask] = _zipf(rng, TYPES[t][1], int(mask.sum()))
    # one line per distinct (type, id) of a PMID, in the order first drawn (its forms: the first rank's)
    doc = np.repeat(np.arange(n, dtype=np.int64), counts)
    where = text.index(kinds, ranks)
    _, first = np.unique((doc << 32) | text.code[where], return_index=True)
    first.sort()
    doc, kinds, ranks, ids = doc[first], kinds[first], ranks[first], text.ids[where[first]]
    n_forms = rng.integers(1, 4, size=first.size)
    pmid_tabs = _pmid_tabs(10_000_000 + start, n)
    concepts = _interleave(pmid_tabs[doc], text.type_tab[kinds], ids, text.tail(kinds, ranks, n_forms))
    # relations: Poisson per PMID, each between two distinct concepts of the PMID, uniform
    per_doc = np.bincount(doc, minlength=n)
    n_rel = rng.poisson(RELATIONS_PER_PMID, n)
    n_rel[per_doc < 2] = 0
    rdoc = np.repeat(np.arange(n, dtype=np.int64), n_rel)
    m = per_doc[rdoc]
    a = np.minimum((rng.random(rdoc.size) * m).astype(np.int64), m - 1)  # (a, b): uniform over ordered
    b = np.minimum((rng.random(rdoc.size) * (m - 1)).astype(np.int64), m - 2)  # pairs of distinct concepts
    b += b >= a
    base = np.concatenate([[0], np.cumsum(per_doc)[:-1]])[rdoc]
    a, b = base + a, base + b
    rtype = np.minimum(np.searchsorted(rel_cdf, rng.random(rdoc.size), side="right"), len(rel_tabs) - 1)
    tab = np.full(rdoc.size, "\t", dtype=object)
    newline = np.full(rdoc.size, "\n", dtype=object)
    relations = _interleave(pmid_tabs[rdoc], rel_tabs[rtype], text.type_bar[kinds[a]], ids[a], tab,
                            text.type_bar[kinds[b]], ids[b], newline) if rdoc.size else ""
    return concepts, relations


def generate(fraction: float, out: Path, seed: int = 1) -> tuple[Path, Path]:
    """Write the two files for `fraction` of PubTator3 into `out` (skipped when done)."""
    out.mkdir(parents=True, exist_ok=True)
    concepts, relations = out / "bioconcepts2pubtator3", out / "relation2pubtator3"
    if (out / ".done").exists():
        return concepts, relations
    rng = np.random.default_rng(seed)
    n_pmids = int(round(fraction * PUBTATOR3_PMIDS))
    types = list(TYPES)
    shares = np.array([TYPES[t][0] for t in types])
    kind_cdf = np.cumsum(shares / shares.sum())
    rel_shares = np.array(list(RELATIONS.values()))
    rel_cdf = np.cumsum(rel_shares / rel_shares.sum())
    rel_tabs = np.array([f"{r}\t" for r in RELATIONS], dtype=object)
    text = _Strings(types)
    with open(concepts, "w", encoding="ascii", newline="\n") as cf, \
            open(relations, "w", encoding="ascii", newline="\n") as rf:
        for start in range(0, n_pmids, BLOCK):
            c, r = _block(rng, start, min(BLOCK, n_pmids - start), text, kind_cdf, rel_cdf, rel_tabs)
            cf.write(c)
            rf.write(r)
    (out / ".done").write_text(f"{fraction} {seed}\n")
    return concepts, relations


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fraction", type=float, help="fraction of PubTator3 (0.01 = 1%%)")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("KG_SCALE_DATA", "/tmp/kg-scale")),
                    help="folder of the generated sets (default $KG_SCALE_DATA or /tmp/kg-scale)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the random draws (default 1)")
    args = ap.parse_args(argv)
    folder = args.out / f"f{args.fraction:g}"
    paths = generate(args.fraction, folder, args.seed)
    for p in paths:
        print(f"{p}\t{p.stat().st_size / 1e6:.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
