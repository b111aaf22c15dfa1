"""PDF documents that are not scripts: paragraphs, headings and sections rebuilt from lines.

pypdf gives lines with their position and font size but no paragraphs. Here
running headers and page numbers are dropped, paragraphs are rebuilt from line
spacing, first-line indents and short last lines, headings are the lines set
larger than the body text (or "Chapter 3" lines), and sections come from the
PDF's bookmarks, else its headings, else its pages.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass

from transformations.ingest.builder import DocumentBuilder, ParsedText
from transformations.ingest.normalise import BinaryParse, IngestLimits
from transformations.ingest.pdf_reading import PdfText, TextLine
from transformations.ingest.prose import Item, is_chapter_heading, sections_from_items
from transformations.ingest.text import collapse_spaces, readable, word_count
from transformations.pipeline.types import BlockKind, SourceType

HEADING_SIZE_RATIO = 1.2
MAX_HEADING_WORDS = 15
SHORT_LINE_RATIO = 0.7
PARAGRAPH_GAP_PITCHES = 1.5
# Without a known line spacing, a gap this many font sizes tall is a blank line.
BLANK_GAP_SIZES = 2.2
_TERMINAL = (".", "!", "?", '"', "”", "’", "'", ":", ")", "…")


def parse_pdf_document(text: PdfText, limits: IngestLimits) -> BinaryParse:
    """A PDF that is not a script: sections from bookmarks, else headings, else pages."""
    pages = _without_running_lines(text.pages)
    page_items = _page_items(pages)
    headings = [item for items in page_items for item in items if item.kind == "heading"]
    if text.outline:
        parsed, sectioned_by = _sections_from_outline(page_items, text.outline), "outline"
    elif len(headings) >= 2:
        items = [item for _, item in _joined_across_pages(page_items)]
        parsed, sectioned_by = sections_from_items(_section_levels(items)), "headings"
    else:
        parsed, sectioned_by = _sections_from_pages(page_items, limits.max_sections), "pages"
    # "Chapter 1" is where the story starts, not what it is called.
    named = [heading for heading in headings if not is_chapter_heading(heading.text)]
    parsed.title = text.title or (readable(named[0].text) if named else "")
    if text.author:
        parsed.metadata["author"] = text.author
    parsed.metadata.update(
        {
            **text.metadata(),
            "sectioned_by": sectioned_by,
            "heading_count": len(headings),
            "paragraph_count": sum(
                1 for items in page_items for item in items if item.kind == "paragraph"
            ),
        }
    )
    # Text on every page and the author's own structure make a sure reading; pages
    # without text (scanned inserts) make it less sure.
    with_text = sum(1 for items in page_items if items)
    coverage = with_text / max(1, text.page_count)
    structured = sectioned_by != "pages"
    confidence = 0.55 + 0.35 * coverage + 0.05 * structured + 0.04 * (coverage > 0.9)
    return BinaryParse(
        parsed=parsed,
        source_type=SourceType.PDF,
        confidence=round(min(0.99, confidence), 3),
        text_chars=text.char_count,
    )


_PAGE_NUMBER_KEY_RE = re.compile(r"(?:page\s*)?#(?:\s*(?:of|/)\s*#)?|[-–—]\s*#\s*[-–—]")


def _running_key(line: TextLine) -> tuple[str, int]:
    """Digits masked, so "Page 3" and "Page 4" at the same height count as one running line."""
    return re.sub(r"\d+", "#", collapse_spaces(line.text).lower()), round(line.y)


def _without_running_lines(pages: list[list[TextLine]]) -> list[list[TextLine]]:
    """Drop page numbers, and running headers and footers: the same line at the same
    height atop or under many pages."""
    edge_counts: Counter[tuple[str, int]] = Counter()
    for lines in pages:
        edge_counts.update({_running_key(line) for line in lines[:2] + lines[-2:]})
    repeated_over = max(3, 0.3 * sum(1 for lines in pages if lines))

    def is_running(position: int, lines: list[TextLine]) -> bool:
        if 2 <= position < len(lines) - 2:
            return False
        key = _running_key(lines[position])
        return bool(_PAGE_NUMBER_KEY_RE.fullmatch(key[0])) or edge_counts[key] >= repeated_over

    return [
        [line for position, line in enumerate(lines) if not is_running(position, lines)]
        for lines in pages
    ]


@dataclass(frozen=True)
class _TypeStyle:
    """How the document is set: its body text size, heading sizes and line spacing."""

    body_size: float
    heading_levels: dict[int, int]  # rounded font size -> heading level (1 = largest)
    pitch: float  # baseline to baseline within a paragraph; 0 when unknown

    def is_large_heading(self, line: TextLine) -> bool:
        return (
            self.body_size > 0
            and line.size >= HEADING_SIZE_RATIO * self.body_size
            and word_count(line.text) <= MAX_HEADING_WORDS
            and any(char.isalpha() for char in line.text)
        )

    def heading_level(self, line: TextLine) -> int:
        below_all = len(self.heading_levels) + 1  # "Chapter 3" set in body type
        return self.heading_levels.get(round(line.size), below_all)

    def paragraph_gap(self, line: TextLine, previous: TextLine) -> bool:
        gap = previous.y - line.y
        if self.pitch:
            return gap > PARAGRAPH_GAP_PITCHES * self.pitch
        # Every paragraph is one line: only a gap wider than any line spacing counts.
        return gap > BLANK_GAP_SIZES * max(line.size, previous.size)


def _type_style(pages: list[list[TextLine]]) -> _TypeStyle:
    characters: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            characters[round(line.size, 1)] += len(line.text)
    body_size = characters.most_common(1)[0][0] if characters else 0.0

    def in_body_type(line: TextLine) -> bool:
        return abs(line.size - body_size) < 0.5

    steps: Counter[float] = Counter(
        round(earlier.y - later.y, 1)
        for lines in pages
        for earlier, later in itertools.pairwise(lines)
        if earlier.y > later.y and in_body_type(earlier) and in_body_type(later)
    )
    # The smallest common step: the spacing between paragraphs is a larger one.
    needed = max(1, 0.05 * sum(steps.values()))
    common = [step for step, count in steps.items() if count >= needed]
    pitch = min(common) if len(common) > 1 else 0.0
    plain = _TypeStyle(body_size, {}, pitch)
    sizes = sorted(
        {round(line.size) for lines in pages for line in lines if plain.is_large_heading(line)},
        reverse=True,
    )
    return _TypeStyle(body_size, {size: level for level, size in enumerate(sizes, 1)}, pitch)


def _page_items(pages: list[list[TextLine]]) -> list[list[Item]]:
    """Each page's headings and paragraphs, rebuilt from line positions and sizes."""
    style = _type_style(pages)
    return [_paragraphs(lines, style) for lines in pages]


def _paragraphs(lines: list[TextLine], style: _TypeStyle) -> list[Item]:
    if not lines:
        return []
    lengths = sorted(len(line.text) for line in lines)
    typical_length = lengths[int(0.8 * (len(lengths) - 1))]
    left = min(line.x for line in lines)
    items: list[Item] = []
    current: list[str] = []
    previous: TextLine | None = None

    def flush() -> None:
        if current:
            items.append(Item("paragraph", _join_lines(current)))
            current.clear()

    for line in lines:
        large = style.is_large_heading(line)
        if large or (is_chapter_heading(line.text) and len(line.text) < 0.6 * typical_length):
            flush()
            wrapped = (  # a heading set on two lines
                large
                and items
                and items[-1].kind == "heading"
                and previous is not None
                and abs(previous.size - line.size) < 0.5
            )
            if wrapped:
                items[-1] = Item("heading", f"{items[-1].text} {line.text}", items[-1].level)
            else:
                items.append(Item("heading", line.text, style.heading_level(line)))
        else:
            if previous is not None and _starts_paragraph(
                line, previous, style, typical_length, left
            ):
                flush()
            current.append(line.text)
        previous = line
    flush()
    return items


def _starts_paragraph(
    line: TextLine, previous: TextLine, style: _TypeStyle, typical_length: int, left: float
) -> bool:
    if style.paragraph_gap(line, previous):
        return True
    # A first-line indent opens a paragraph in books without blank lines.
    indent = line.x - left
    if line.size and indent > 1.2 * line.size and previous.x - left < 0.5 * line.size:
        return True
    short = len(previous.text) < SHORT_LINE_RATIO * typical_length
    return short and previous.text.rstrip().endswith(_TERMINAL)


def _join_lines(lines: list[str]) -> str:
    """Lines to one paragraph, undoing end-of-line hyphenation ("hyphen-\\nated")."""
    text = lines[0]
    for line in lines[1:]:
        if re.search(r"[^\W\d_]-$", text) and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}"
    return collapse_spaces(text)


def _joined_across_pages(page_items: list[list[Item]]) -> list[tuple[int, Item]]:
    """All items with their page; a paragraph cut by a page break is made whole again."""
    joined: list[tuple[int, Item]] = []
    for page, items in enumerate(page_items):
        for position, item in enumerate(items):
            if (
                position == 0
                and joined
                and item.kind == "paragraph"
                and joined[-1][1].kind == "paragraph"
                and not joined[-1][1].text.endswith(_TERMINAL)
                and item.text[:1].islower()
            ):
                earlier_page, earlier = joined[-1]
                joined[-1] = (
                    earlier_page,
                    Item("paragraph", _join_lines([earlier.text, item.text])),
                )
            else:
                joined.append((page, item))
    return joined


def _section_levels(items: list[Item]) -> list[Item]:
    """Section at the largest heading size used at least twice; a one-off title joins it."""
    counts: dict[int, int] = {}
    for item in items:
        if item.kind == "heading":
            counts[item.level] = counts.get(item.level, 0) + 1
    repeated = [level for level, count in counts.items() if count >= 2]
    if not repeated:
        return items
    section_level = min(repeated)
    return [
        Item("heading", item.text, max(item.level, section_level))
        if item.kind == "heading"
        else item
        for item in items
    ]


def _sections_from_outline(
    page_items: list[list[Item]], outline: list[tuple[int, str]]
) -> ParsedText:
    """One section per bookmark, starting where its title is printed on its page."""
    joined = _joined_across_pages(page_items)
    starts: list[tuple[int, str]] = []
    cursor = 0
    for page, title in outline:
        start = _bookmark_start(joined, page, title, cursor)
        starts.append((start, title))
        cursor = start
    builder = DocumentBuilder()
    boundaries = dict(starts)  # two bookmarks at one place: the later title wins
    for position, (_, item) in enumerate(joined):
        if position in boundaries:
            builder.start_section(_readable_title(boundaries[position]), kind="heading")
        elif not builder.has_section:
            builder.start_section("Opening", kind="heading")
        kind = BlockKind.HEADING if item.kind == "heading" else BlockKind.PARAGRAPH
        if position in boundaries and _same_title(item.text, boundaries[position]):
            kind = BlockKind.HEADING
        builder.add(kind, item.text)
    builder.drop_empty_sections()
    builder.parsed.metadata["outline_entries"] = len(outline)
    return builder.parsed


def _bookmark_start(joined: list[tuple[int, Item]], page: int, title: str, cursor: int) -> int:
    first_on_page = None
    for position in range(cursor, len(joined)):
        item_page, item = joined[position]
        if item_page < page:
            continue
        if item_page > page:
            break
        if first_on_page is None:
            first_on_page = position
        if _same_title(item.text, title):
            return position
    if first_on_page is not None:
        return first_on_page
    # The bookmarked page is empty: the section starts at the next page with text.
    return next(
        (position for position in range(cursor, len(joined)) if joined[position][0] > page),
        len(joined),
    )


def _same_title(text: str, title: str) -> bool:
    def simple(value: str) -> str:
        return re.sub(r"\W+", " ", value).strip().casefold()

    text, title = simple(text), simple(title)
    return bool(title) and (
        text == title or (text.startswith(title) and len(text) < 2 * len(title))
    )


def _readable_title(title: str) -> str:
    return readable(title) if title.isupper() else collapse_spaces(title)


def _sections_from_pages(page_items: list[list[Item]], max_sections: int) -> ParsedText:
    """One section per page with text ("Page 4"); runs of pages when there are too many."""
    pages = [(number, items) for number, items in enumerate(page_items, start=1) if items]
    per_section = max(1, math.ceil(len(pages) / max(1, max_sections)))
    builder = DocumentBuilder()
    for start in range(0, len(pages), per_section):
        chunk = pages[start : start + per_section]
        first, last = chunk[0][0], chunk[-1][0]
        title = f"Page {first}" if first == last else f"Pages {first}–{last}"
        builder.start_section(title, kind="page")
        for _, items in chunk:
            for item in items:
                kind = BlockKind.HEADING if item.kind == "heading" else BlockKind.PARAGRAPH
                builder.add(kind, item.text)
    return builder.parsed
