"""PubTator3-shaped bulk files at a chosen fraction of PubTator3 (synthetic, realistic distributions).

``bioconcepts2pubtator3`` (``PMID  Type  ConceptID  Mentions  Resource``, one line per PMID
and concept) and ``relation2pubtator3`` (``PMID  type  Type|ID  Type|ID``), as NCBI
publishes them, for ``fraction`` × 36 M PMIDs:

- concepts per PMID: Poisson, mean 11 unique ``(type, id)`` pairs;
- types by PubTator3's shares (Disease 30%, Gene 24%, Chemical 22%, Species 17%,
  Variant 4%, CellLine 3%);
- ids drawn Zipf-like (p ∝ 1/(rank+2)^1.05) from pools the size of the real vocabularies:
  genes 250k (``NCBIGene`` numbers), chemicals 300k (``MESH:C…``/``MESH:D…``), diseases 15k
  (``MESH:D…``), species 60k (taxon numbers), variants 3 M (``tmVar:p|SUB|…`` and
  ``RS#:…``), cell lines 40k (``CVCL_…``); so the entity set grows with the input, as the
  real one does, slower than linearly;
- mentions: 1–3 ``|``-joined forms from each id's small set of spellings;
- relations per PMID: Poisson, mean 1.1, over the 13 relation types of the bulk file
  (associate the most frequent), between two concepts of the PMID, ids typed ``Type|ID``.

1% ≈ 360k PMIDs, 3.9 M concept lines (≈ 240 MB) and 0.4 M relation lines (≈ 20 MB). The
files are a function of ``(fraction, seed)``; they are written once into
``DIR/f{fraction}/`` (a ``.done`` file marks a complete folder).

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
BLOCK = 50_000  # PMIDs generated at a time
_SYLLABLES = ["al", "be", "cor", "di", "en", "fa", "gli", "hy", "in", "ko", "lu", "ma", "ne", "ox", "pi",
              "ra", "si", "to", "ur", "vi", "xe", "zo"]


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


def forms(etype: str, k: int, rng: np.random.Generator) -> str:
    """1–3 ``|``-joined spellings of entity `k` (from its own small set)."""
    word = "".join(_SYLLABLES[(k // 22**i) % 22] for i in range(3))
    spellings = [word, word.upper()[:4], f"{word} {etype.lower()}"]
    return "|".join(spellings[: 1 + int(rng.integers(0, 3))])


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
    rel_types = list(RELATIONS)
    rel_shares = np.array(list(RELATIONS.values()))
    rel_shares = rel_shares / rel_shares.sum()
    with open(concepts, "w", encoding="utf-8", newline="\n") as cf, \
            open(relations, "w", encoding="utf-8", newline="\n") as rf:
        for start in range(0, n_pmids, BLOCK):
            n = min(BLOCK, n_pmids - start)
            counts = np.maximum(1, rng.poisson(CONCEPTS_PER_PMID, n))
            total = int(counts.sum())
            kinds = rng.choice(len(types), size=total, p=shares)
            ranks = np.empty(total, dtype=np.int64)
            for i, t in enumerate(types):
                mask = kinds == i
                ranks[mask] = _zipf(rng, TYPES[t][1], int(mask.sum()))
            n_rel = rng.poisson(RELATIONS_PER_PMID, n)
            lines, rels = [], []
            pos = 0
            for j in range(n):
                pmid = str(10_000_000 + start + j)
                seen = {}
                for kind, rank in zip(kinds[pos : pos + counts[j]].tolist(), ranks[pos : pos + counts[j]].tolist()):
                    seen.setdefault((kind, rank), None)
                pos += counts[j]
                doc = list(seen)
                for kind, rank in doc:
                    etype = types[kind]
                    lines.append(f"{pmid}\t{etype}\t{concept_id(etype, rank)}\t{forms(etype, rank, rng)}\t"
                                 f"{TYPES[etype][2]}\n")
                if len(doc) > 1:
                    for _ in range(int(n_rel[j])):
                        a, b = rng.choice(len(doc), size=2, replace=False)
                        (ka, ra), (kb, rb) = doc[a], doc[b]
                        rtype = rel_types[int(rng.choice(len(rel_types), p=rel_shares))]
                        rels.append(f"{pmid}\t{rtype}\t{types[ka]}|{concept_id(types[ka], ra)}\t"
                                    f"{types[kb]}|{concept_id(types[kb], rb)}\n")
            cf.write("".join(lines))
            rf.write("".join(rels))
    (out / ".done").write_text(f"{fraction} {seed}\n")
    return concepts, relations


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fraction", type=float, help="fraction of PubTator3 (0.01 = 1%%)")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("KG_SCALE_DATA", "/tmp/kg-scale")),
                    help="folder of the generated sets (default $KG_SCALE_DATA or /tmp/kg-scale)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    folder = args.out / f"f{args.fraction:g}"
    paths = generate(args.fraction, folder, args.seed)
    for p in paths:
        print(f"{p}\t{p.stat().st_size / 1e6:.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
