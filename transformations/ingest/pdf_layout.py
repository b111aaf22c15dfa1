"""Screenplay PDFs read by position: where each line sits says what it is.

Rendered screenplays put every element at a stable indent (action and scene
headings at the left margin, dialogue about an inch in, parentheticals a little
further, character cues about two inches in, transitions at the right), and
separate elements with a blank line. Plain text extraction keeps neither, so
this module reads character positions with pdfplumber, learns the document's own
indents, classifies each line, and writes the result back out as Fountain, with
the blank lines restored and ambiguous lines forced. `parse_screenplay` then
reads it, so a PDF script gets exactly the scenes a Fountain file would.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from transformations.ingest.screenplay import cue_name, is_scene_heading, is_transition
from transformations.ingest.text import collapse_spaces, readable

# Offsets are measured in character cells (Courier 12: 7.2 pt, ten to the inch),
# from the action margin, so US Letter, A4 and scaled exports compare alike.
MARGIN_TOLERANCE = 3.5
INDENT_TOLERANCE = 3.5
MIN_CUE_OFFSET = 12
MIN_DIALOGUE_OFFSET = 4
# Scripts typeset the cue about 12 cells right of the dialogue; a transition sits
# further right still, usually right-aligned.
MIN_TRANSITION_OFFSET = 30
BLANK_LINE_PITCHES = 1.5
HEADER_ZONE_INCHES = 0.9
INCH = 72.0

_PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d+[A-Z]?\.?$", re.IGNORECASE)
_SCENE_NUMBER_RE = re.compile(r"^[A-Z]?\d+[A-Z]?\.?$|^\*$")
_CONTINUED_RE = re.compile(r"^\(?(?:CONTINUED|CONT'D)\)?:?(?:\s*\(\d+\))?$", re.IGNORECASE)
_MORE_RE = re.compile(r"^\(MORE\)$", re.IGNORECASE)
_BYLINE_RE = re.compile(
    r"^(?:(?:written|screenplay|story|teleplay)\s+)?by(?::|\s+(?P<name>\S.*))?$", re.IGNORECASE
)
# First characters the Fountain parser would read as markup rather than action.
_FOUNTAIN_MARKUP_START = ("!", "@", "#", "=", ">", "~", ".", "[[", "/*")
_TITLE_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z ]{0,20}:")


@dataclass(frozen=True)
class PlacedLine:
    """One printed line: its text and where it starts and sits on the page (PDF points)."""

    text: str
    x0: float
    x1: float
    top: float


@dataclass
class PlacedPage:
    width: float
    height: float
    lines: list[PlacedLine]


@dataclass
class ScreenplayLayout:
    """The script as Fountain text, and the positional evidence behind it."""

    fountain: str
    line_count: int  # body lines classified (page furniture excluded)
    placed_count: int  # lines found at one of the screenplay indents
    has_indents: bool  # cue and dialogue indents were found
    title: str = ""
    author: str = ""

    @property
    def placed_share(self) -> float:
        return self.placed_count / self.line_count if self.line_count else 0.0


def read_placed_pages(data: bytes) -> Iterator[PlacedPage]:
    """Positioned lines, page by page; each page's caches are released once read.

    pdfplumber interprets the page; its characters are then read straight from the
    page's layout tree, which costs less than half of building pdfplumber's
    per-character dictionaries and words.
    """
    import pdfplumber  # heavy, and only screenplays need it

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            try:
                layout = page.layout
                glyphs = list(_glyphs(layout, layout.y1))
                yield PlacedPage(float(page.width), float(page.height), _group_lines(glyphs))
            finally:
                page.close()


@dataclass(frozen=True)
class _Glyph:
    text: str
    x0: float
    x1: float
    top: float  # distance from the top of the page
    height: float


def _glyphs(container, page_top: float) -> Iterator[_Glyph]:
    from pdfminer.layout import LTChar, LTContainer

    for item in container:
        if isinstance(item, LTChar):
            text = item.get_text()
            if text.strip():  # spaces only matter as gaps between glyphs
                yield _Glyph(text, item.x0, item.x1, page_top - item.y1, item.height)
        elif isinstance(item, LTContainer):  # form XObjects drawn on the page
            yield from _glyphs(item, page_top)


def _group_lines(glyphs: list[_Glyph]) -> list[PlacedLine]:
    """Glyphs sharing a baseline become a line; far-apart pieces are judged separately."""
    rows: list[list[_Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: (g.top, g.x0)):
        if rows and abs(glyph.top - rows[-1][0].top) <= max(2.0, 0.3 * glyph.height):
            rows[-1].append(glyph)
        else:
            rows.append([glyph])
    lines = []
    for row in rows:
        line = _line_from_row(sorted(row, key=lambda g: g.x0))
        if line:
            lines.append(line)
    return lines


def _line_from_row(row: list[_Glyph]) -> PlacedLine | None:
    """Join a row's glyphs, dropping scene numbers and revision stars printed in the margins."""
    cell = statistics.median(glyph.x1 - glyph.x0 for glyph in row) or 1.0
    segments: list[list[_Glyph]] = [[row[0]]]
    texts = [row[0].text]
    for previous, glyph in itertools.pairwise(row):
        gap = glyph.x0 - previous.x1
        if gap > 2.5 * cell:
            segments.append([glyph])
            texts.append(glyph.text)
            continue
        segments[-1].append(glyph)
        texts[-1] += f" {glyph.text}" if gap > 0.3 * cell else glyph.text
    while len(segments) > 1 and _SCENE_NUMBER_RE.match(texts[0]):
        segments, texts = segments[1:], texts[1:]
    while len(segments) > 1 and _SCENE_NUMBER_RE.match(texts[-1]):
        segments, texts = segments[:-1], texts[:-1]
    text = collapse_spaces(" ".join(texts))
    if not text:
        return None
    return PlacedLine(text, segments[0][0].x0, segments[-1][-1].x1, row[0].top)


@dataclass(frozen=True)
class _Geometry:
    margin: float  # x of the action margin
    cell: float  # width of one character cell
    pitch: float  # distance between two consecutive lines
    cue: float | None  # offsets, in cells from the margin
    dialogue: float | None

    def offset(self, line: PlacedLine) -> float:
        return (line.x0 - self.margin) / self.cell

    def blank_before(self, line: PlacedLine, previous: PlacedLine | None) -> bool:
        return previous is None or line.top - previous.top > BLANK_LINE_PITCHES * self.pitch

    def near_cue(self, offset: float) -> bool:
        return self.cue is not None and abs(offset - self.cue) <= INDENT_TOLERANCE

    def in_speech_band(self, offset: float) -> bool:
        """Dialogue, parentheticals and their wrapped lines: right of dialogue, left of cues."""
        if self.dialogue is None or self.cue is None:
            return False
        return self.dialogue - INDENT_TOLERANCE <= offset < self.cue - 1

    def opens_speech(self, line: PlacedLine, following: PlacedLine | None) -> bool:
        """A cue: upper-case at the cue indent, with speech right under it (or on the next page)."""
        if not (self.near_cue(self.offset(line)) and cue_name(line.text)):
            return False
        if following is None:
            return True  # the cue ends the page; its speech starts the next one
        return not self.blank_before(following, line) and self.in_speech_band(
            self.offset(following)
        )


def screenplay_from_pages(pages: list[PlacedPage]) -> ScreenplayLayout:
    """Classify every line by its indent and write the script out as Fountain."""
    bodies = [_body_lines(page) for page in pages]
    all_lines = [line for body in bodies for line in body]
    if not all_lines:
        return ScreenplayLayout("", 0, 0, has_indents=False)
    geometry = _learn_geometry(bodies)
    title, author = "", ""
    if len(bodies) > 1 and _is_title_page(bodies[0], geometry):
        title, author = _title_page_values(bodies[0])
        bodies = bodies[1:]
    writer = _FountainWriter(geometry)
    for body in bodies:
        writer.add_page(body)
    head = ""
    if title:
        head = f"Title: {title}\n" + (f"Author: {author}\n" if author else "") + "\n"
    return ScreenplayLayout(
        fountain=head + writer.text(),
        line_count=writer.line_count,
        placed_count=writer.placed_count,
        has_indents=geometry.cue is not None,
        title=title,
        author=author,
    )


def _body_lines(page: PlacedPage) -> list[PlacedLine]:
    """The page without its furniture: page numbers, CONTINUED markers."""
    header = HEADER_ZONE_INCHES * INCH
    kept = []
    for line in page.lines:
        in_margin = line.top < header or line.top > page.height - header
        if in_margin and _PAGE_NUMBER_RE.match(line.text):
            continue
        if _CONTINUED_RE.match(line.text):
            continue
        kept.append(line)
    return kept


def _learn_geometry(bodies: list[list[PlacedLine]]) -> _Geometry:
    lines = [line for body in bodies for line in body]
    widths = [(line.x1 - line.x0) / len(line.text) for line in lines if len(line.text) >= 4]
    cell = statistics.median(widths) if widths else 7.2
    margin = _action_margin([line.x0 for line in lines], cell)
    pitch = _line_pitch(bodies)
    base = _Geometry(margin, cell, pitch, None, None)
    cues: list[float] = []
    speeches: list[float] = []
    for body in bodies:
        for line, following in itertools.pairwise(body):
            here, there = base.offset(line), base.offset(following)
            if (
                here >= MIN_CUE_OFFSET
                and MIN_DIALOGUE_OFFSET <= there < here - 2
                and cue_name(line.text)
                and not base.blank_before(following, line)
            ):
                cues.append(here)
                if not following.text.startswith("("):
                    speeches.append(there)
    if len(cues) < 2 or not speeches:
        return base
    return _Geometry(margin, cell, pitch, _mode(cues), _mode(speeches))


def _line_pitch(bodies: list[list[PlacedLine]]) -> float:
    """The step between two lines of one paragraph: the smallest step that is common.

    Not the most common one: a script with many short speeches has more blank
    lines (two steps) than runs of lines.
    """
    steps = Counter(
        round(later.top - earlier.top)
        for body in bodies
        for earlier, later in itertools.pairwise(body)
        if later.top > earlier.top
    )
    needed = max(2, 0.05 * sum(steps.values()))
    common = [step for step, count in steps.items() if count >= needed]
    return float(min(common)) if common else 12.0


def _action_margin(starts: list[float], cell: float) -> float:
    """The leftmost start shared by a real share of lines (not a stray scene number)."""
    ordered = sorted(starts)
    needed = max(2, int(0.08 * len(ordered)))
    low = 0
    for high, start in enumerate(ordered):
        while start - ordered[low] > cell:
            low += 1
        if high - low + 1 >= needed:
            return ordered[low]
    return ordered[0]


def _mode(offsets: list[float]) -> float:
    return float(Counter(round(offset) for offset in offsets).most_common(1)[0][0])


def _is_title_page(body: list[PlacedLine], geometry: _Geometry) -> bool:
    """A first page with no scene, no speech and no long action: the cover."""
    if len(body) > 30 or any(is_scene_heading(line.text) for line in body):
        return False
    if any(geometry.opens_speech(line, following) for line, following in itertools.pairwise(body)):
        return False
    return sum(1 for line in body if len(line.text) > 45) < 3


def _title_page_values(body: list[PlacedLine]) -> tuple[str, str]:
    title, author = "", ""
    texts = [line.text for line in body]
    for position, text in enumerate(texts):
        byline = _BYLINE_RE.match(text)
        if byline:
            author = byline.group("name") or (
                texts[position + 1] if position + 1 < len(texts) else ""
            )
            break
    for text in texts:
        if not _BYLINE_RE.match(text) and any(char.isalpha() for char in text):
            title = text
            break
    return readable(title.strip('"“” ')), collapse_spaces(author)


class _FountainWriter:
    """Turns classified lines into Fountain paragraphs, page after page."""

    def __init__(self, geometry: _Geometry) -> None:
        self.geometry = geometry
        self.paragraphs: list[tuple[str, list[str]]] = []
        self.line_count = 0
        self.placed_count = 0
        self._in_speech = False
        self._open_parenthetical = False
        self._speaker = ""
        self._more_pending = False

    def text(self) -> str:
        return "\n\n".join("\n".join(lines) for _, lines in self.paragraphs) + "\n"

    def add_page(self, body: list[PlacedLine]) -> None:
        previous: PlacedLine | None = None
        for position, line in enumerate(body):
            if _MORE_RE.match(line.text):
                self._more_pending = True
                continue
            following = body[position + 1] if position + 1 < len(body) else None
            if previous is None:
                # A speech cut by the page break goes on, and its repeated
                # "NAME (CONT'D)" cue is not a new speech.
                blank, repeated_cue = not self._in_speech, self._more_pending
            else:
                blank, repeated_cue = self.geometry.blank_before(line, previous), False
            self._more_pending = False
            self.line_count += 1
            kind = self._classify(line, following, blank=blank, repeated_cue=repeated_cue)
            if kind != "other":
                self.placed_count += 1
            previous = line

    def _classify(
        self, line: PlacedLine, following: PlacedLine | None, *, blank: bool, repeated_cue: bool
    ) -> str:
        text, offset = line.text, self.geometry.offset(line)
        if repeated_cue and self.geometry.near_cue(offset) and cue_name(text) == self._speaker:
            return "cue_continued"
        if self._in_speech and not blank and self.geometry.in_speech_band(offset):
            return self._speech_line(text)
        self._in_speech = False
        if offset <= MARGIN_TOLERANCE:
            kind = "heading" if is_scene_heading(text) else ""
            kind = kind or ("transition" if is_transition(text) else "action")
            if kind == "action":
                self._action(text, blank)
            else:
                self.paragraphs.append((kind, [text]))
            return kind
        if self.geometry.opens_speech(line, following):
            self._speaker, self._in_speech = cue_name(text), True
            self.paragraphs.append(("speech", [text]))
            return "cue"
        if text.isupper() and (
            is_transition(text) or (offset >= MIN_TRANSITION_OFFSET and text.endswith(":"))
        ):
            self.paragraphs.append(("transition", [text if is_transition(text) else f">{text}"]))
            return "transition"
        # Centred or stray text ("THE END", a lyric): kept, as action.
        self._action(text, blank)
        return "other"

    def _speech_line(self, text: str) -> str:
        parenthetical = text.startswith("(") or self._open_parenthetical
        self._open_parenthetical = parenthetical and not text.endswith(")")
        if not self.paragraphs or self.paragraphs[-1][0] != "speech":
            self.paragraphs.append(("speech", [f"@{self._speaker}"]))
        self.paragraphs[-1][1].append(text)
        return "parenthetical" if parenthetical else "dialogue"

    def _action(self, text: str, blank: bool) -> None:
        if not blank and self.paragraphs and self.paragraphs[-1][0] == "action":
            self.paragraphs[-1][1].append(text)
            return
        if self.geometry.cue is None:
            # No indents to go by (a script typed flush left): the blank lines recovered
            # from the spacing are all there is, so the Fountain rules decide.
            self.paragraphs.append(("action", [text]))
            return
        self.paragraphs.append(("action", [_forced_action(text, first=not self.paragraphs)]))


def _forced_action(text: str, *, first: bool) -> str:
    """Prefix `!` where the Fountain rules would otherwise read the line as something else."""
    ambiguous = (
        text.startswith(_FOUNTAIN_MARKUP_START)
        or bool(cue_name(text))
        or is_scene_heading(text)
        or is_transition(text)
        or (first and bool(_TITLE_KEY_RE.match(text)))
    )
    return f"!{text}" if ambiguous else text
