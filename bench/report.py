"""docs/BENCHMARKS.md holds one section per benchmark script, each between its own markers."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"


def write_section(report: str, *, start: str, end: str, first: bool = False) -> None:
    """Replace the text between `start` and `end`, keeping every other section."""
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else ""
    if start in text:
        text = text[: text.index(start)] + report + text[text.index(end) + len(end) :]
    elif first:
        text = report + "\n" + text
    else:
        text = text.rstrip() + "\n\n" + report + "\n"
    BENCHMARKS_MD.write_text(text)


def growth_exponent(sizes: list[float], seconds: list[float]) -> float:
    """Least-squares slope of log(time) against log(size): 1.0 is linear."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
