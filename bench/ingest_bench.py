"""Step 3 benchmark: stage 0 parse time and peak memory per source type, and how they grow.

    .venv/bin/python bench/ingest_bench.py            # prints its report
    .venv/bin/python bench/ingest_bench.py --quick    # smaller sizes, print only

docs/BENCHMARKS.md is written by `make bench` (bench/run.py) alone, so that every
number in it comes from one run; this script is a focused check that prints.

Each measurement runs `normalise()` in a fresh Python process (the worker's
stage 0, without the database) and reads that process's peak RSS, so one
document's memory never hides in another's. Fixtures are generated here: a
text PDF (fpdf2), a slide deck (python-pptx) and an HTML page.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from report import growth_exponent

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECTION_START = "<!-- ingest-bench:start -->"
SECTION_END = "<!-- ingest-bench:end -->"
PARAGRAPH = (
    "Elena crossed the square at dusk, counting the clocks in the watchmaker's window. "
    "Marcus had promised to meet her by the fountain, but the fountain was dry and the "
    "square was empty except for a boy selling yesterday's newspapers. "
)

MEASURE_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from transformations.ingest import IngestLimits, normalise
data = open(sys.argv[2], "rb").read()
limits = IngestLimits(max_bytes=200 * 1024 * 1024, max_chars=50_000_000,
                      max_sections=100_000, max_pages=100_000, max_slides=100_000)
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
document = normalise(data, filename=sys.argv[3], limits=limits)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": elapsed,
    "peak_rss_mb": peak / 1024,
    "baseline_rss_mb": baseline / 1024,
    "sections": len(document.sections),
    "blocks": len(document.blocks),
    "type": document.source_type.value,
}))
"""


def make_pdf(pages: int, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in range(pages):
        pdf.add_page()
        if page % 10 == 0:
            pdf.start_section(f"Chapter {page // 10 + 1}")
        pdf.multi_cell(0, 5, (PARAGRAPH * 3 + "\n\n") * 4)
    pdf.output(str(path))


def make_deck(slides: int, path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    layout = deck.slide_layouts[1]
    for n in range(slides):
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = f"Scene {n + 1}: The Clock Shop"
        body = slide.placeholders[1].text_frame
        body.text = PARAGRAPH
        for _ in range(3):
            body.add_paragraph().text = PARAGRAPH[:120]
        slide.notes_slide.notes_text_frame.text = "Speaker notes: " + PARAGRAPH
        slide.shapes.add_textbox(Inches(1), Inches(6), Inches(6), Inches(1)).text = "Aside."
    deck.save(str(path))


def make_html(megabytes: float, path: Path) -> None:
    parts = [
        "<html><head><title>The Clock Shop</title></head><body>",
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>",
        "<h1>The Clock Shop</h1>",
    ]
    size, n = 0, 0
    while size < megabytes * 1_048_576:
        chunk = f"<h2>Part {n + 1}</h2>" if n % 20 == 0 else ""
        chunk += f"<p>{PARAGRAPH}</p>"
        parts.append(chunk)
        size += len(chunk)
        n += 1
    parts.append("</article><footer>© Example News · Cookies · Privacy</footer></body></html>")
    path.write_text("".join(parts))


def measure(path: Path, filename: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-c", MEASURE_CHILD, str(PROJECT_DIR), str(path), filename],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def median_of(runs: int, path: Path, filename: str) -> dict:
    results = [measure(path, filename) for _ in range(runs)]
    best = dict(results[0])
    best["seconds"] = statistics.median(r["seconds"] for r in results)
    best["spread"] = max(r["seconds"] for r in results) - min(r["seconds"] for r in results)
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    scale = 0.1 if args.quick else 1.0
    workdir = Path(tempfile.mkdtemp(prefix="storyengine-ingest-bench-"))

    kinds = {
        "text PDF": (make_pdf, int(300 * scale) or 3, "pages", "book.pdf"),
        "slide deck": (make_deck, int(200 * scale) or 2, "slides", "deck.pptx"),
        "HTML page": (make_html, 5.0 * scale, "MB", "page.html"),
    }
    rows, growth = [], []
    for label, (make, full, unit, filename) in kinds.items():
        sizes = [full * f / 10 for f in (1, 2, 5, 10)]
        timings = []
        for size in sizes:
            size_value = size if unit == "MB" else max(1, int(size))
            path = workdir / f"{size_value}-{filename}"
            make(size_value, path)
            result = median_of(runs, path, filename)
            timings.append(result["seconds"])
            if size == sizes[-1]:
                rows.append((label, f"{size_value:g} {unit}", path.stat().st_size, result))
        exponent = growth_exponent(sizes, timings)
        growth.append((label, sizes, unit, timings, exponent))

    report = render(rows, growth, runs=runs, quick=args.quick)
    print(report)


def render(rows, growth, *, runs: int, quick: bool) -> str:
    lines = [
        SECTION_START,
        "## Step 3: reading sources (stage 0)",
        "",
        "Produced by `.venv/bin/python bench/ingest_bench.py` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}); median of {runs} runs, each in a fresh process."
        + (" Quick run." if quick else ""),
        "",
        "| document | size | file | parse time | spread | peak RSS | sections | detected |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, size, file_bytes, r in rows:
        lines.append(
            f"| {label} | {size} | {file_bytes / 1_048_576:.1f} MB | {r['seconds']:.2f} s | "
            f"{r['spread']:.2f} s | {r['peak_rss_mb']:.0f} MB | {r['sections']} | {r['type']} |"
        )
    lines += [
        "",
        "Growth from 1× to 10× size (exponent of a power-law fit: 1.0 is linear; target ≤ 1.2,",
        "i.e. linear within 20 %):",
        "",
        "| document | sizes | times | exponent | target |",
        "|---|---|---|---|---|",
    ]
    for label, sizes, unit, timings, exponent in growth:
        verdict = "met" if exponent <= 1.2 else "MISSED"
        lines.append(
            f"| {label} | {', '.join(f'{s:g}' for s in sizes)} {unit} | "
            f"{', '.join(f'{t:.2f}' for t in timings)} s | {exponent:.2f} | {verdict} |"
        )
    pdf_rss = next(r["peak_rss_mb"] for label, _, _, r in rows if label == "text PDF")
    lines += [
        "",
        f"Peak RSS on the 300-page PDF: {pdf_rss:.0f} MB "
        f"(target < 300 MB: {'met' if pdf_rss < 300 else 'MISSED'}).",
        SECTION_END,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
