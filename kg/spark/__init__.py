"""The Spark engine: ``kg build --engine spark``, the same rules as the in-memory engine at any scale.

kg's own readers judge every line inside Spark tasks on chunks of the input
(:mod:`kg.spark.chunks`); bulk concept and relation lines get kg's rules in the read
task (kg's functions, their answers cached per distinct value) and are aggregated by
Spark itself (:mod:`kg.spark.concepts`, :mod:`kg.spark.relations`), other inputs go
through kg's :class:`~kg.builder.GraphBuilder`; Spark merges both as facts and kg's
finish functions make every node, edge and article, so the output is the in-memory
engine's row for row (the tests compare them). See :func:`build_spark` for the stages and outputs,
:func:`read_tables` to load a filtered part into NetworkX. (The in-memory engine's
memory warning, which suggests this engine, is :mod:`kg.memory`.)

PySpark is an optional extra (``pip install 'kg[spark]'``); importing this package does
not import it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_spark", "spark_session", "read_tables", "SparkBuildResult"]


def __getattr__(name: str) -> Any:
    if name in ("build_spark", "spark_session", "SparkBuildResult"):
        from . import engine

        return getattr(engine, name)
    if name == "read_tables":
        from .tables import read_tables

        return read_tables
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
