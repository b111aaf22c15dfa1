"""Build the corpus documents that are generated from text sources in corpus/sources/.

    .venv/bin/python corpus/build_binary.py [--out DIR]

- last-bus.txt        <- sources/last-bus.fountain: a plain-text screenplay, typed layout;
- cold-open.pdf       <- sources/cold-open.fountain: a screenplay PDF (Courier 12);
- the-last-ledger.pdf <- sources/the-last-ledger.md: a prose PDF, a bookmark per chapter;
- lantern-route.pptx  <- sources/lantern-route.json: a slide deck with speaker notes.

The outputs are committed, so scoring never depends on running this script. They are
deterministic: the PDFs carry a fixed creation date (fpdf2 derives the file ID from the
content and that date), the deck's core properties are fixed, and the deck's zip entries
are rewritten with a fixed timestamp (python-pptx stamps them with the current time).
The same versions of fpdf2, python-pptx and zlib give byte-identical files.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
SOURCES = CORPUS / "sources"
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
ZIP_DATE = (2026, 1, 1, 0, 0, 0)

# --- A small Fountain reader: just the elements the corpus sources use. ---

_HEADING_RE = re.compile(r"^(?:INT\.?/EXT|INT|EXT|EST|I/E)[. ]", re.IGNORECASE)
_TITLE_KEY_RE = re.compile(r"^([A-Za-z ]+):\s*(.*)$")


@dataclass(frozen=True)
class Element:
    kind: str  # heading | action | cue | parenthetical | dialogue | transition
    text: str


def parse_fountain(source: str) -> tuple[dict[str, str], list[Element]]:
    paragraphs = [p.strip("\n").split("\n") for p in re.split(r"\n\s*\n", source.strip())]
    title: dict[str, str] = {}
    if paragraphs and _TITLE_KEY_RE.match(paragraphs[0][0]):
        for line in paragraphs.pop(0):
            key, value = _TITLE_KEY_RE.match(line).groups()
            title[key.strip().lower()] = value.strip()
    elements: list[Element] = []
    for lines in paragraphs:
        first = lines[0].strip()
        if _HEADING_RE.match(first):
            elements.append(Element("heading", first.upper()))
        elif len(lines) == 1 and first.isupper() and first.endswith(("TO:", "IN:", "OUT.")):
            elements.append(Element("transition", first))
        elif len(lines) > 1 and first.split("(")[0].strip().isupper():
            elements.append(Element("cue", first))
            for line in lines[1:]:
                line = line.strip()
                kind = "parenthetical" if line.startswith("(") else "dialogue"
                elements.append(Element(kind, line))
        else:
            elements.append(Element("action", " ".join(line.strip() for line in lines)))
    return title, elements


# --- Screenplay page layout, shared by the text and the PDF renderings. ---

LINES_PER_PAGE = 54  # 9 inches of 12-point Courier at 6 lines an inch
RIGHT_EDGE = 7.5  # inches from the left edge of the page
# Left indent (inches from the page edge) and wrap width (characters at 10 per inch).
_INDENT = {
    "heading": (1.5, 60),
    "action": (1.5, 60),
    "cue": (3.7, 38),
    "parenthetical": (3.1, 25),
    "dialogue": (2.5, 35),
}


@dataclass(frozen=True)
class Line:
    text: str
    indent: float = 1.5
    align: str = "left"  # left | right | center


def _wrap(element: Element) -> list[Line]:
    if element.kind == "transition":
        return [Line(element.text, align="right")]
    indent, width = _INDENT[element.kind]
    return [Line(part, indent) for part in textwrap.wrap(element.text, width)]


def _groups(elements: list[Element]) -> list[tuple[str, list[Element]]]:
    """A cue travels with its parentheticals and dialogue; everything else stands alone."""
    groups: list[tuple[str, list[Element]]] = []
    for element in elements:
        if element.kind in ("parenthetical", "dialogue") and groups and groups[-1][0] == "speech":
            groups[-1][1].append(element)
        elif element.kind == "cue":
            groups.append(("speech", [element]))
        else:
            groups.append((element.kind, [element]))
    return groups


def paginate(elements: list[Element]) -> list[list[Line]]:
    """Pages of lines, with a blank line between elements, headings kept with what
    follows, and long speeches split with (MORE) and a (CONT'D) cue."""
    pages: list[list[Line]] = [[]]
    groups = _groups(elements)

    def room() -> int:
        page = pages[-1]
        return LINES_PER_PAGE - len(page) - (1 if page else 0)

    def place(lines: list[Line]) -> None:
        if pages[-1]:
            pages[-1].append(Line(""))
        pages[-1].extend(lines)

    for index, (kind, members) in enumerate(groups):
        lines = [line for member in members for line in _wrap(member)]
        if kind == "heading" and index + 1 < len(groups):
            following = [ln for m in groups[index + 1][1] for ln in _wrap(m)]
            if room() < len(lines) + 1 + min(2, len(following)):
                pages.append([])
            place(lines)
            continue
        if len(lines) <= room():
            place(lines)
            continue
        if kind == "speech" and room() >= 4:
            fit = room() - 1  # keep a line for (MORE)
            cue = members[0].text
            # Never leave a parenthetical stranded at the foot of a page.
            while fit > 2 and lines[fit - 1].indent == _INDENT["parenthetical"][0]:
                fit -= 1
            place([*lines[:fit], Line("(MORE)", _INDENT["cue"][0])])
            pages.append([])
            continued = cue if "(CONT'D)" in cue else f"{cue} (CONT'D)"
            place([Line(continued, _INDENT["cue"][0]), *lines[fit:]])
            continue
        pages.append([])
        place(lines)
    return pages


def _title_page(title: dict[str, str]) -> list[Line]:
    """Centred title block a third of the way down the page."""
    lines = [Line("")] * 20
    lines += [Line(title.get("title", ""), align="center"), Line("")]
    lines += [Line(title.get("credit", ""), align="center"), Line("")]
    lines += [Line(title.get("author", ""), align="center")]
    return lines


def render_screenplay_text(source: str) -> str:
    """A typed-script layout in plain text: 10 characters an inch, pages numbered."""
    title, elements = parse_fountain(source)
    out: list[str] = []
    pages = [_title_page(title), *paginate(elements)]
    for number, page in enumerate(pages):
        if number >= 2:
            out.append(f"{number}.".rjust(int(RIGHT_EDGE * 10)))
            out.append("")
        for line in page:
            if line.align == "right":
                out.append(line.text.rjust(int(RIGHT_EDGE * 10)))
            elif line.align == "center":
                out.append(line.text.center(85).rstrip())
            else:
                out.append(" " * int(line.indent * 10) + line.text if line.text else "")
        out += ["", "", ""]
    return "\n".join(out).rstrip() + "\n"


def _new_pdf(**kwargs):
    from fpdf import FPDF

    pdf = FPDF(**kwargs)
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_auto_page_break(False)
    return pdf


def render_screenplay_pdf(source: str) -> bytes:
    """Courier 12 on US Letter: headings and action at 1.5in, dialogue at 2.5in,
    parentheticals at 3.1in, cues at 3.7in, transitions flush right at 7.5in."""
    title, elements = parse_fountain(source)
    pdf = _new_pdf(unit="in", format="letter")
    pdf.set_title(title.get("title", "").title())
    pdf.set_author(title.get("author", ""))
    pdf.set_font("Courier", size=12)
    char = 0.1  # Courier 12 is 10 characters an inch
    pages = [_title_page(title), *paginate(elements)]
    for number, page in enumerate(pages):
        pdf.add_page()
        if number >= 2:
            label = f"{number}."
            pdf.text(RIGHT_EDGE - len(label) * char, 0.5 + 1 / 6, label)
        for row, line in enumerate(page):
            if not line.text:
                continue
            y = 1.0 + (row + 1) / 6
            if line.align == "right":
                x = RIGHT_EDGE - len(line.text) * char
            elif line.align == "center":
                x = (8.5 - len(line.text) * char) / 2
            else:
                x = line.indent
            pdf.text(x, y, line.text)
    return bytes(pdf.output())


# --- Prose PDF with chapter bookmarks. ---


def render_prose_pdf(source: str) -> bytes:
    from fpdf import FPDF

    title = source.split("\n", 1)[0].removeprefix("# ").strip()
    chapters = [
        (match.group(1).strip(), match.group(2).strip())
        for match in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", source, re.M | re.S)
    ]

    class Book(FPDF):
        def header(self):
            if self.page_no() > 1:
                self.set_font("Times", "I", 9)
                self.set_y(10)
                self.cell(0, 5, title, align="C", new_x="LMARGIN", new_y="NEXT")
                self.set_y(20)

        def footer(self):
            if self.page_no() > 1:
                self.set_font("Times", "", 9)
                self.set_y(-15)
                self.cell(0, 5, f"- {self.page_no() - 1} -", align="C", new_x="LMARGIN")

    pdf = Book(unit="mm", format=(148, 210))  # A5
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.set_author("Story Engine Corpus")
    pdf.set_margins(18, 20, 18)
    pdf.set_auto_page_break(True, margin=20)

    pdf.add_page()
    pdf.set_y(60)
    pdf.set_font("Times", "B", 22)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Times", "I", 12)
    pdf.cell(
        0, 10, f"A story in {len(chapters)} chapters", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Times", "", 11)
    pdf.cell(0, 8, "Story Engine Corpus", align="C", new_x="LMARGIN", new_y="NEXT")

    for heading, body in chapters:
        pdf.add_page()
        pdf.start_section(heading, level=0)
        pdf.set_font("Times", "B", 14)
        pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Times", "", 11)
        for paragraph in re.split(r"\n\s*\n", body.strip()):
            pdf.multi_cell(0, 5.2, " ".join(paragraph.split()), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
    return bytes(pdf.output())


# --- Slide deck with speaker notes. ---


def render_deck(source: str) -> bytes:
    from pptx import Presentation

    spec = json.loads(source)
    prs = Presentation()
    props = prs.core_properties
    props.title = spec["title"]
    props.author = spec["author"]
    props.last_modified_by = spec["author"]
    props.revision = 1
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    for item in spec["slides"]:
        layout = prs.slide_layouts[0 if item.get("layout") == "title" else 1]
        slide = prs.slides.add_slide(layout)
        slide.shapes.title.text = item["title"]
        body = slide.placeholders[1].text_frame
        body.text = item["body"][0]
        for text in item["body"][1:]:
            body.add_paragraph().text = text
        slide.notes_slide.notes_text_frame.text = item["notes"]
    buffer = io.BytesIO()
    prs.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry stamped with one fixed date."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def _read(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


TARGETS = {
    "last-bus.txt": lambda: render_screenplay_text(_read("last-bus.fountain")).encode(),
    "cold-open.pdf": lambda: render_screenplay_pdf(_read("cold-open.fountain")),
    "the-last-ledger.pdf": lambda: render_prose_pdf(_read("the-last-ledger.md")),
    "lantern-route.pptx": lambda: render_deck(_read("lantern-route.json")),
}


def build(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in TARGETS.items():
        path = out / name
        path.write_bytes(render())
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=CORPUS, help="folder to write into")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print(f"{path.name}: {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
