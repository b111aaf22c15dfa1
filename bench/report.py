"""Shared by the benchmark scripts: where the report goes, and how growth is measured.

docs/BENCHMARKS.md is written whole by bench/run.py (`make bench`), so every number in it
comes from one run; the step scripts (queue_bench, ingest_bench, pipeline_bench) print.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"


def growth_exponent(sizes: list[float], seconds: list[float]) -> float:
    """Least-squares slope of log(time) against log(size): 1.0 is linear."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
