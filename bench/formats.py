"""Throughput of `kg build` for each input format, side by side in one run.

    python -m bench.formats [--copies N] [--rounds R]

The same 100 BioRED Dev documents as PubTator text, BioC XML and BioC JSON (and gzipped
PubTator), plus bulk concept / relation files made from them, each copied N times into
a temporary folder (copies keep their PMIDs: the graph is the same, the reading work is
N times larger). Each measurement is a fresh process; best of R rounds; interleaved.
Writes bench/FORMATS.md.
"""

from __future__ import annotations

import argparse
import gzip
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"

CHILD = """
import sys, time, kg
t = time.perf_counter()
r = kg.build(sys.argv[1], engine=sys.argv[2])
print(time.perf_counter() - t, r.report.documents, r.graph.number_of_nodes(), r.graph.number_of_edges())
"""


def _bulk(pubtator: Path, concepts: Path, relations: Path) -> None:
    """bioconcepts2pubtator3 / relation2pubtator3 layouts made from a PubTator file."""
    from kg.pubtator import read_pubtator

    with open(concepts, "w") as c, open(relations, "w") as r:
        for doc in read_pubtator(pubtator):
            seen = {}
            for a in doc.annotations:
                seen.setdefault((a.type, a.identifier), []).append(a.text)
            for (t, i), forms in seen.items():
                if i and i not in ("-", "-1"):
                    c.write(f"{doc.pmid}\t{t}\t{i}\t{'|'.join(forms)}\tkg\n")
            types = {a.identifier: a.type for a in doc.annotations}
            for rel in doc.relations:
                if rel.id1 in types and rel.id2 in types:
                    r.write(f"{doc.pmid}\t{rel.type.lower()}\t{types[rel.id1]}|{rel.id1}\t{types[rel.id2]}|{rel.id2}\n")


def prepare(tmp: Path, copies: int) -> dict[str, tuple[Path, str]]:
    sources = {
        "pubtator": CORPORA / "biored" / "Dev.PubTator",
        "bioc-xml": CORPORA / "bioc" / "biored" / "Dev.BioC.XML",
        "bioc-json": CORPORA / "bioc" / "biored" / "Dev.BioC.JSON",
    }
    _bulk(sources["pubtator"], tmp / "concepts.tsv", tmp / "relations.tsv")
    sources["bulk-concepts"] = tmp / "concepts.tsv"
    sources["bulk-relations"] = tmp / "relations.tsv"
    out = {}
    for name, src in sources.items():
        folder = tmp / name
        folder.mkdir()
        for k in range(copies):
            shutil.copy(src, folder / f"{k}_{src.name}")
        out[name] = (folder, "auto")
    gz = tmp / "pubtator-gz"
    gz.mkdir()
    data = gzip.compress(sources["pubtator"].read_bytes())
    for k in range(copies):
        (gz / f"{k}.pubtator.gz").write_bytes(data)
    out["pubtator (gzip)"] = (gz, "auto")
    out["pubtator, Python reader"] = (tmp / "pubtator", "python")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "FORMATS.md")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-formats-") as t:
        inputs = prepare(Path(t), args.copies)
        best: dict[str, tuple[float, str]] = {}
        for _ in range(args.rounds):
            for name, (folder, engine) in inputs.items():
                proc = subprocess.run([sys.executable, "-c", CHILD, str(folder), engine],
                                      capture_output=True, text=True, check=True)
                secs, docs, nodes, edges = proc.stdout.split()
                if name not in best or float(secs) < best[name][0]:
                    best[name] = (float(secs), f"{int(docs):,} docs, {int(nodes):,} nodes, {int(edges):,} edges")
        sizes = {name: sum(f.stat().st_size for f in folder.iterdir()) for name, (folder, _) in inputs.items()}
    lines = [
        "# kg build throughput by input format",
        "",
        f"`python -m bench.formats --copies {args.copies}` — {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}. "
        "BioRED Dev (100 documents) in each format, copied "
        f"{args.copies}×; best of {args.rounds} fresh processes; MB = 10⁶ bytes of input as stored.",
        "",
        "| format | input MB | seconds | MB/s | graph |",
        "|---|---:|---:|---:|---|",
    ]
    for name in inputs:
        secs, graph = best[name]
        lines.append(f"| {name} | {sizes[name] / 1e6:.1f} | {secs:.2f} | {sizes[name] / 1e6 / secs:.1f} | {graph} |")
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
