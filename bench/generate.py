"""Scaled benchmark corpora made from the real shared PubTator corpora.

Every size is the same mix of real files (BioRED, BC5CDR, NCBI-disease, tmVar, the
PubTator3 exports from NetMedEx, the PubTator bulk offset files, the seed), copied as
many times as the size needs. Copy ``k`` adds ``k * 100_000_000`` to the PMID at the
start of every line of a document (title, abstract, annotation and relation lines
alike), so documents stay distinct while the distributions of entities, relation types
and line shapes stay real. Annotation identifiers and relation ids are left as they
are: the entity set does not grow with the copies, the PMID sets do. A size that is
not a whole number of copies takes the same leading fraction (in bytes, cut at a
document boundary) of every file for its last copy, so the mix does not drift.

Corpora (``--cache``, default ``~/.cache/kg-bench``, outside the repository)::

    corpora/1x/   ≈ 20 MB    all sources
    corpora/4x/   ≈ 80 MB
    corpora/16x/  ≈ 320 MB
    corpora/relations/    ≈ 20 MB  BioRED only (relation-heavy)
    corpora/annotations/  ≈ 20 MB  all sources, relation lines removed (annotation-only,
                                   like NCBI-disease)

Each folder has one file per source (all its copies one after the other) and a hidden
``.manifest.json``; a folder whose manifest and file sizes match is not written again.
Files are written streaming (one source file in memory at a time) to a temporary
folder that is renamed into place.

Usage: ``python -m bench.generate [--cache DIR] [--sizes 1,4,16] [--force]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

__all__ = ["SOURCES", "MB", "UNIT", "COPY_OFFSET", "VARIANTS", "ensure_corpus", "ensure_all",
           "default_cache", "corpus_dir"]

MB = 1_000_000
#: Bytes of the 1× corpus.
UNIT = 20 * MB
#: Added to every PMID once per copy (PubMed ids are below 10^8).
COPY_OFFSET = 100_000_000
GENERATOR_VERSION = 1

SHARED = Path(os.environ.get("KG_SHARED_CORPORA", "/work/shared/corpora"))

#: (relative path under the shared corpora) of every PubTator source file in the mix.
SOURCES: tuple[str, ...] = (
    "bc5cdr/CDR_TrainingSet.PubTator.txt",
    "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
    "bc5cdr/CDR_TestSet.PubTator.txt",
    "bc5cdr/CDR_sample.PubTator.txt",
    "bc5cdr/TestSet.DNorm.PubTator.txt",
    "bc5cdr/TestSet.tmChem.PubTator.txt",
    "biored/Train.PubTator",
    "biored/Dev.PubTator",
    "biored/Test.PubTator",
    "ncbi_disease/NCBItrainset_corpus.txt",
    "ncbi_disease/NCBIdevelopset_corpus.txt",
    "ncbi_disease/NCBItestset_corpus.txt",
    "tmvar/train.PubTator.txt",
    "tmvar/test.PubTator.txt",
    "pubtator3_netmedex/22429397_abstract_240916.pubtator",
    "pubtator3_netmedex/22429397_full_240916.pubtator",
    "pubtator3_netmedex/22429397_full_to_abstract_240916.pubtator",
    "pubtator3_netmedex/6_nodes_3_clusters_mesh.pubtator",
    "pubtator3_netmedex/examples__pmids_output.pubtator",
    "pubtator3_netmedex/examples__pmids_output_standardized.pubtator",
    "pubtator3_netmedex/merge_genes.pubtator",
    "pubtator3_netmedex/mesh_collision.pubtator",
    "pubtator3_netmedex/output.pubtator",
    "pubtator3_netmedex/pubtator3.37026113.pubtator",
    "pubtator3_netmedex/pubtator3.37026113_240614.pubtator",
    "pubtator3_netmedex/pubtator3.37026113_standardized.pubtator",
    "pubtator3_netmedex/pubtator3.37026113_standardized_ori-relation_240614.pubtator",
    "pubtator3_netmedex/pubtator3.37026113_standardized_std-relation_240614.pubtator",
    "pubtator3_netmedex/variant_relation_extraction.pubtator",
    "pubtator3_seed/PMID39937001.pubtator",
    "pubtator3_bulk/ptc_offset_marea/bioconcepts2pubtatorcentral.offset",
    "pubtator3_bulk/pubtator1_offsets_sample/bioconcepts2pubtator_offsets.sample",
)

#: variant name -> (target bytes, source filter prefix or None, strip relation lines)
VARIANTS: dict[str, tuple[int, str | None, bool]] = {
    "relations": (UNIT, "biored/", False),
    "annotations": (UNIT, None, True),
}

# `PMID` at the start of a line (optionally after a BOM and spaces), before `|` or a tab.
_PMID_AT_START = re.compile(rb"^(\xef\xbb\xbf)?( *)(\d+)(?=[ ]*[|\t])", re.M)

# Second-column values that make a 3–5 column line a document-level annotation (kept in
# the annotation-only variant); any other non-numeric second column is a relation type.
_DOC_LEVEL_TYPES = frozenset(
    b"Gene Disease Chemical Species Mutation DNAMutation ProteinMutation SNP Variant "
    b"CellLine Cellline GeneOrGeneProduct DiseaseOrPhenotypicFeature ChemicalEntity "
    b"OrganismTaxon SequenceVariant SpecificDisease DiseaseClass Modifier CompositeMention".split()
)


def default_cache() -> Path:
    return Path(os.environ.get("KG_BENCH_CACHE", Path.home() / ".cache" / "kg-bench"))


def corpus_dir(cache: Path, name: str) -> Path:
    return Path(cache) / "corpora" / name


def size_name(k: int) -> str:
    return f"{k}x"


# -- one document at a time ---------------------------------------------------------------


def _split_documents(data: bytes) -> list[bytes]:
    """Cut a file into document chunks (each with its trailing blank lines).

    A document ends at a blank line, or where the PMID at the start of a line changes
    (annotation-only blocks may follow each other without a blank line).
    """
    docs: list[bytes] = []
    start = 0
    prev_pmid: bytes | None = None
    pos = 0
    n = len(data)
    in_blank = False
    while pos < n:
        end = data.find(b"\n", pos)
        end = n if end < 0 else end + 1
        line = data[pos:end]
        stripped = line.strip()
        if not stripped:
            in_blank = True
        else:
            m = _PMID_AT_START.match(line)
            pmid = m.group(3) if m else None
            if pos > start and (in_blank or (pmid is not None and prev_pmid is not None and pmid != prev_pmid)):
                docs.append(data[start:pos])
                start = pos
            in_blank = False
            if pmid is not None:
                prev_pmid = pmid
        pos = end
    if start < n:
        docs.append(data[start:])
    return docs


def _renumber(chunk: bytes, offset: int) -> bytes:
    if offset == 0:
        return chunk
    return _PMID_AT_START.sub(
        lambda m: (m.group(1) or b"") + m.group(2) + str(int(m.group(3)) + offset).encode(), chunk
    )


def _strip_relations(chunk: bytes) -> bytes:
    out = []
    for line in chunk.splitlines(keepends=True):
        cols = line.split(b"\t")
        if len(cols) >= 3 and _PMID_AT_START.match(line):
            second = cols[1].strip()
            if second and not second.isdigit() and second not in _DOC_LEVEL_TYPES:
                continue
        out.append(line)
    return b"".join(out)


# -- a corpus -----------------------------------------------------------------------------


def _plan(target: int, prefix: str | None, strip: bool) -> dict:
    sources = [s for s in SOURCES if prefix is None or s.startswith(prefix)]
    sizes = {}
    for s in sources:
        path = SHARED / s
        sizes[s] = path.stat().st_size
    return {
        "generator_version": GENERATOR_VERSION,
        "target_bytes": target,
        "copy_offset": COPY_OFFSET,
        "strip_relations": strip,
        "sources": sizes,
    }


def _manifest_ok(folder: Path, plan: dict) -> bool:
    mf = folder / ".manifest.json"
    if not mf.is_file():
        return False
    try:
        manifest = json.loads(mf.read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("plan") != plan:
        return False
    for name, size in manifest.get("files", {}).items():
        p = folder / name
        if not p.is_file() or p.stat().st_size != size:
            return False
    return True


def ensure_corpus(cache: Path, name: str, target: int, prefix: str | None = None, strip: bool = False,
                  force: bool = False, log=print) -> Path:
    """Write the corpus `name` of about `target` bytes unless it is already there."""
    folder = corpus_dir(cache, name)
    plan = _plan(target, prefix, strip)
    if not force and _manifest_ok(folder, plan):
        return folder
    t0 = time.monotonic()
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sources = list(plan["sources"])
    # Bytes of one copy of the mix (after stripping, for the annotation-only variant).
    loaded: dict[str, list[bytes]] = {}
    one_copy = 0
    for s in sources:
        docs = _split_documents((SHARED / s).read_bytes())
        if strip:
            docs = [_strip_relations(d) for d in docs]
        one_copy += sum(map(len, docs))
        loaded[s] = docs if len(sources) <= 8 else []  # keep small mixes in memory only
    factor = target / one_copy
    full = int(factor)
    frac = factor - full
    files: dict[str, int] = {}
    docs_written = 0
    for s in sources:
        docs = loaded[s] or [(_strip_relations(d) if strip else d)
                             for d in _split_documents((SHARED / s).read_bytes())]
        out_name = s.replace("/", "__")
        total = sum(map(len, docs))
        with open(tmp / out_name, "wb", buffering=1 << 20) as fh:
            for k in range(full + (1 if frac > 0 else 0)):
                budget = total if k < full else frac * total
                written = 0
                for d in docs:
                    if written >= budget:
                        break
                    if not d.endswith(b"\n"):
                        d += b"\n"
                    last = _renumber(d, k * COPY_OFFSET)
                    fh.write(last)
                    written += len(d)
                    docs_written += 1
                if written and not last.endswith((b"\n\n", b"\r\n\r\n")):
                    fh.write(b"\n")  # keep copies apart: a blank line ends a document
        files[out_name] = (tmp / out_name).stat().st_size
        loaded[s] = []
    manifest = {
        "name": name,
        "plan": plan,
        "copies": round(factor, 3),
        "bytes": sum(files.values()),
        "documents": docs_written,
        "files": files,
        "sha256_of_sizes": hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest(),
    }
    (tmp / ".manifest.json").write_text(json.dumps(manifest, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    log(f"generate: wrote {folder} ({manifest['bytes'] / MB:.1f} MB, {factor:.2f} copies, "
        f"{docs_written:,} documents) in {time.monotonic() - t0:.1f} s")
    return folder


def ensure_all(cache: Path, sizes=(1, 4, 16), variants=True, force=False, log=print) -> dict[str, Path]:
    """Make (or find) every corpus; returns name -> folder."""
    out = {}
    for k in sizes:
        out[size_name(k)] = ensure_corpus(cache, size_name(k), k * UNIT, force=force, log=log)
    if variants:
        for name, (target, prefix, strip) in VARIANTS.items():
            out[name] = ensure_corpus(cache, name, target, prefix, strip, force=force, log=log)
    return out


def read_manifest(folder: Path) -> dict:
    return json.loads((Path(folder) / ".manifest.json").read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=default_cache())
    ap.add_argument("--sizes", default="1,4,16")
    ap.add_argument("--no-variants", action="store_true")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    for name, folder in ensure_all(args.cache, sizes, not args.no_variants, args.force,
                                   log=lambda m: print(m, file=sys.stderr)).items():
        m = read_manifest(folder)
        print(f"{name:12s} {m['bytes'] / MB:8.1f} MB  {m['documents']:>9,} docs  {len(m['files'])} files  {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
