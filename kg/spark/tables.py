"""Load a filtered part of the Spark engine's tables into NetworkX (pyarrow only, no Spark).

The tables of a whole-PubTator3 build do not fit one NetworkX graph; the part an
analysis needs does: entities of some types, with at least so many articles, and the
relations between them. Parquet is scanned in batches with the filter pushed down, so
memory follows the part loaded, not the tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import networkx as nx

from ..errors import InputError
from .export import edge_attrs, node_attrs

__all__ = ["read_tables"]


def read_tables(outdir: str | os.PathLike, *, types: Iterable[str] | None = None, min_pmids: int = 0,
                ids: Iterable[str] | None = None, relations: Iterable[str] | None = None,
                articles: bool = False) -> nx.MultiDiGraph:
    """The graph of the entities of `outdir` (a ``kg build --engine spark`` output) that pass
    the filters, and of the relations between them.

    Parameters
    ----------
    outdir : path
        The folder with the ``entities`` and ``relations`` Parquet tables.
    types : iterable of str, optional
        Entity types kept (``"Gene"``, ``"Disease"``, …); all by default.
    min_pmids : int
        Entities with fewer articles are left out; relations with fewer supporting
        articles too.
    ids : iterable of str, optional
        Only these entities (after the other filters).
    relations : iterable of str, optional
        Relation types (edge keys, ``"Association"``, …) kept; all by default.
    articles : bool
        Also load ``G.graph["articles"]`` for the PMIDs of the entities kept.

    Returns
    -------
    networkx.MultiDiGraph
        Node and edge attributes as the in-memory engine makes them.
    """
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    root = Path(outdir)
    if not (root / "entities").is_dir() or not (root / "relations").is_dir():
        raise InputError(f"{root}: no entities/ and relations/ tables (the output of kg build --engine spark)")
    flt = None

    def both(a, b):
        return b if a is None else a & b

    if types is not None:
        flt = both(flt, pc.field("type").isin(list(types)))
    if min_pmids:
        flt = both(flt, pc.list_value_length(pc.field("pmids")) >= min_pmids)
    if ids is not None:
        flt = both(flt, pc.field("id").isin(list(ids)))
    G = nx.MultiDiGraph()
    for batch in ds.dataset(root / "entities", format="parquet").to_batches(filter=flt):
        for row in batch.to_pylist():
            G.add_node(row["id"], **node_attrs(row))
    keep = list(G)
    eflt = pc.field("u").isin(keep) & pc.field("v").isin(keep)
    if min_pmids:
        eflt = eflt & (pc.field("count") >= min_pmids)
    if relations is not None:
        eflt = eflt & pc.field("key").isin(list(relations))
    for batch in ds.dataset(root / "relations", format="parquet").to_batches(filter=eflt):
        for row in batch.to_pylist():
            G.add_edge(row["u"], row["v"], key=row["key"], **edge_attrs(row))
    if articles:
        wanted = sorted({p for _, ps in G.nodes(data="pmids") for p in ps})
        titles = {}
        for batch in ds.dataset(root / "articles", format="parquet").to_batches(filter=pc.field("pmid").isin(wanted)):
            titles.update(zip(batch.column("pmid").to_pylist(), batch.column("title").to_pylist()))
        from ..normalize import sort_pmids

        G.graph["articles"] = {p: titles[p] for p in sort_pmids(titles)}
    return G
