"""Analysing the knowledge graph in Python: a walk through the seed sample and BioRED.

Run it as a script (each section prints what it finds), or paste the sections into a
notebook one cell at a time:

    python examples/analysis.py [OUTPUT_DIR] [--biored PATH]

OUTPUT_DIR receives the pictures (an interactive HTML view and, when matplotlib is
installed, a summary PNG); by default a new temporary folder. BioRED is read from
../shared/corpora/biored beside the repository unless --biored says where; that part is
skipped when it is not there.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import kg
from kg import analysis
from kg.view import write_plot, write_view

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("output", nargs="?", type=Path, help="folder for the pictures (default: a new temporary folder)")
parser.add_argument("--biored", type=Path, default=ROOT.parent / "shared" / "corpora" / "biored")
args = parser.parse_args()
out = args.output or Path(tempfile.mkdtemp(prefix="kg-example-"))
out.mkdir(parents=True, exist_ok=True)

# %% 1. Build the seed graph -------------------------------------------------------------
# `kg.build` reads PubTator files or folders; the graph is a networkx.MultiDiGraph.
seed = kg.build(ROOT / "seeds").graph
print(f"seed graph: {seed.number_of_nodes()} entities, {seed.number_of_edges()} edges, "
      f"{len(seed.graph['articles'])} articles")

# %% 2. Which entity is "systemic lupus erythematosus"? ----------------------------------
# `find` matches ids, names and synonyms (case-insensitive), exact matches first.
for e in analysis.find(seed, "lupus"):
    print(f"  {e.id:14} {e.name} ({e.type}, {e.articles} articles, matched {e.matched!r})")
sle = analysis.resolve(seed, "systemic lupus erythematosus")  # one node id, or a KgError

# %% 3. What is associated with it? ------------------------------------------------------
# One row per relation, strongest evidence (most articles) first.
print(f"\nassociated with {seed.nodes[sle]['name']} ({sle}):")
for n in analysis.neighbors(seed, sle, relation="Association"):
    print(f"  {n.name:35} {n.type:8} {n.count} article(s): {', '.join(n.pmids)}")

# %% 4. The evidence behind one edge -----------------------------------------------------
# Every edge between two entities, with PMIDs, PubMed links and the articles' titles.
gene = "NCBIGene:9970"
print(f"\nevidence: {seed.nodes[sle]['name']} - {seed.nodes[gene]['name']} ({gene})")
for ev in analysis.evidence(seed, sle, gene):
    for pmid, title in zip(ev.pmids, ev.titles):
        print(f"  {ev.relation}: https://pubmed.ncbi.nlm.nih.gov/{pmid}/  {title}")

# %% 5. BioRED: the same questions on a bigger corpus ------------------------------------
if args.biored.exists():
    biored = kg.build(args.biored).graph
    print(f"\nBioRED: {biored.number_of_nodes():,} entities, {biored.number_of_edges():,} edges, "
          f"{len(biored.graph['articles']):,} articles")
    sle_b = analysis.resolve(biored, "systemic lupus erythematosus")
    genes = analysis.neighbors(biored, sle_b, type="Gene")
    print(f"genes related to SLE in BioRED: {len(genes)}; best supported:")
    for n in genes[:3]:
        print(f"  {n.name} ({n.id}) {n.relation}, {n.count} articles: {', '.join(n.pmids)}")

    # Most central diseases, by articles and by PageRank on the article-weighted graph.
    print("top diseases by articles:", ", ".join(f"{r.name} ({r.score})" for r in analysis.top(biored, type="Disease", n=5)))
    print("top genes by PageRank:", ", ".join(r.name for r in analysis.top(biored, by="pagerank", type="Gene", n=5)))

    # How is SLE connected to rheumatoid arthritis? Shortest paths with PMIDs per hop.
    for path in analysis.paths(biored, sle_b, "rheumatoid arthritis", limit=2):
        names = " -> ".join(biored.nodes[n]["name"] for n in path.nodes)
        print(f"path: {names}  (PMIDs per hop: {path.pmids})")

    # Diseases linked through the genes they share, and communities of the whole graph.
    diseases = analysis.project(biored, "Disease", via="Gene")
    print(f"disease-disease links through shared genes: {diseases.number_of_edges():,}; "
          f"SLE shares genes with: {', '.join(sorted(biored.nodes[d]['name'] for d in diseases[sle_b]))}")
    parts = analysis.communities(biored)
    mine = next(c for c in parts if sle_b in c)
    print(f"Louvain communities: {len(parts):,}; SLE's has {len(mine)} entities")

    # %% 6. A view of SLE's neighbourhood (open the HTML file in a browser, offline) -------
    view = write_view(biored, out / "sle-biored.html", sle_b, depth=2)
    print(f"\nview: {view.nodes} entities, {view.edges} links -> {view.path}")
else:
    print(f"\n(BioRED not found at {args.biored}; skipping that part)")
    view = write_view(seed, out / "sle-seed.html", sle, depth=2)
    print(f"\nview: {view.nodes} entities, {view.edges} links -> {view.path}")

# %% 7. Tables and a summary picture (optional packages) ---------------------------------
try:
    nodes, edges = analysis.to_dataframes(seed)
    print(edges.groupby("relation")["count"].sum().sort_values(ascending=False).head(3).to_string())
except ImportError as err:  # pandas is optional
    print(f"(no tables: {err})", file=sys.stderr)
try:
    print(f"plot -> {write_plot(seed, out / 'seed-summary.png')}")
except ImportError as err:  # matplotlib is optional
    print(f"(no plot: {err})", file=sys.stderr)
