"""Benchmarks: kg against other PubTator parsers and graph builders, and Neo4j load rates.

``python -m bench [--quick] [--sizes 1,4,16] [--skip-neo4j]``; see :mod:`bench.run`.
Corpora are made by :mod:`bench.generate` in a cache folder outside the repository;
each measurement runs in a fresh process (:mod:`bench.child`).
"""
