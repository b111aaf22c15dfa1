"""docs/BENCHMARKS.md holds one section per benchmark script, each between its own markers."""

from __future__ import annotations

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
