"""PowerPoint decks: one section per visible slide, its text in reading order.

- The section title is the title placeholder's text; else the first line of the
  first text box when it is short enough to be a title; else "Slide N". Decks that
  name places in slide titles keep them as section titles, which Step 4 reads.
- Body text follows reading order: shapes sorted by top, then left. A group is
  sorted as one shape in the slide, then its members among themselves (their
  coordinates live in the group's own space).
- Each text paragraph (usually a bullet) is one PARAGRAPH block; each table row
  is one PARAGRAPH block with its cells joined by " | ".
- Speaker notes follow the slide's body as plain PARAGRAPH blocks, with no prefix:
  in story decks the notes often carry the narration, and a label would be read as
  story text. Their count is in the metadata (`notes_paragraph_count`).
- Hidden slides are skipped (the presenter left them out) and counted in the
  metadata; so are slides without any text, such as full-bleed pictures.
- Slide numbers, dates and footers are boilerplate and dropped. SmartArt and chart
  text is not read.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from transformations.ingest.builder import DocumentBuilder
from transformations.ingest.normalise import BinaryParse, IngestLimits
from transformations.ingest.text import collapse_spaces, shorten, word_count
from transformations.ingest.zipguard import (
    check_zip_container,
    corrupt_file,
    repack_markup,
)
from transformations.pipeline.errors import NOT_ABOUT_THE_FILE, IngestError
from transformations.pipeline.types import BlockKind, SourceType

LABEL = "PowerPoint file"
MAX_TITLE_WORDS = 12
_SLIDE_PART_RE = re.compile(r"ppt/slides/slide\d+\.xml$")
# Titles PowerPoint fills in by itself say nothing about the story.
_GENERIC_DECK_TITLES = frozenset({"powerpoint presentation", "presentation", "slide 1"})


@dataclass
class _DeckStats:
    slides: int = 0
    hidden: int = 0
    textless: int = 0
    placeholder_titles: int = 0
    text_box_titles: int = 0
    tables: int = 0
    notes_slides: int = 0
    notes_paragraphs: int = 0
    kept: list[int] = field(default_factory=list)  # 1-based numbers of slides kept


@dataclass
class _SlideText:
    title: str
    title_from_placeholder: bool
    body: list[str]
    notes: list[str]
    tables: int
    is_title_slide: bool  # a centred title: the deck's cover


def parse_pptx(data: bytes, limits: IngestLimits) -> BinaryParse:
    with check_zip_container(data, limits, label=LABEL) as archive:
        _check_slide_count(_slide_parts(archive), limits)
        package = repack_markup(archive, limits, label=LABEL)
    presentation = _open(package)
    try:
        slides = list(presentation.slides)
        _check_slide_count(len(slides), limits)
        return _parse_slides(presentation, slides)
    except (KeyError, ValueError, TypeError, IndexError, etree.LxmlError) as exc:
        raise corrupt_file(LABEL, f"python-pptx failed while reading slides: {exc!r}") from exc


def _slide_parts(archive: zipfile.ZipFile) -> int:
    return sum(1 for name in archive.namelist() if _SLIDE_PART_RE.match(name))


def _check_slide_count(count: int, limits: IngestLimits) -> None:
    if count > limits.max_slides:
        raise IngestError(
            f"This deck has {count} slides; the limit is {limits.max_slides}. Split it into "
            "smaller decks (for example one per act or chapter) and import them one by one.",
            code="TOO_MANY_SLIDES",
            dev_message=f"{count} slides > max_slides={limits.max_slides}",
        )


def _open(package):
    # Imported here: python-pptx is only loaded when a deck arrives.
    from pptx import Presentation

    try:
        return Presentation(package)
    except NOT_ABOUT_THE_FILE:
        raise
    except Exception as exc:  # a hostile file can fail in any way: all of them mean "damaged"
        raise corrupt_file(LABEL, f"python-pptx could not open the package: {exc!r}") from exc


def _parse_slides(presentation, slides: list) -> BinaryParse:
    builder = DocumentBuilder()
    stats = _DeckStats(slides=len(slides))
    cover_title = ""
    for number, slide in enumerate(slides, start=1):
        if slide.element.get("show") == "0":
            stats.hidden += 1
            continue
        content = _slide_text(slide)
        if not content.body and not content.notes and not content.title:
            stats.textless += 1
            continue
        if not stats.kept and content.is_title_slide:
            cover_title = content.title
        _add_slide(builder, content, number, stats)
    parsed = builder.parsed
    parsed.title = _declared_title(presentation) or cover_title
    parsed.metadata.update(
        {
            "slide_count": stats.slides,
            "hidden_slide_count": stats.hidden,
            "textless_slide_count": stats.textless,
            "table_count": stats.tables,
            "notes_slide_count": stats.notes_slides,
            "notes_paragraph_count": stats.notes_paragraphs,
        }
    )
    text_chars = sum(len(block.text) for block in parsed.blocks)
    return BinaryParse(
        parsed=parsed,
        source_type=SourceType.PPTX,
        confidence=_confidence(stats),
        text_chars=text_chars,
    )


def _add_slide(builder: DocumentBuilder, content: _SlideText, number: int, stats: _DeckStats):
    stats.kept.append(number)
    stats.tables += content.tables
    if content.title:
        builder.start_section(content.title, kind="slide")
        builder.add(BlockKind.SLIDE_TITLE, content.title)
        if content.title_from_placeholder:
            stats.placeholder_titles += 1
        else:
            stats.text_box_titles += 1
    else:
        first = content.body[0] if content.body else ""
        builder.start_section(shorten(first, 8) if first else f"Slide {number}", kind="slide")
    for paragraph in content.body:
        builder.add(BlockKind.PARAGRAPH, paragraph)
    if content.notes:
        stats.notes_slides += 1
        stats.notes_paragraphs += len(content.notes)
    for paragraph in content.notes:
        builder.add(BlockKind.PARAGRAPH, paragraph)


def _slide_text(slide) -> _SlideText:
    title_shape = slide.shapes.title
    title = collapse_spaces(title_shape.text_frame.text) if title_shape is not None else ""
    title_element = title_shape.element if title_shape is not None else None
    body: list[str] = []
    tables = 0
    # Skipped before sorting: a placeholder's position is inherited from the layout,
    # and looking it up is the slowest part of reading a slide.
    candidates = [
        shape
        for shape in slide.shapes
        if shape.element is not title_element and not _is_boilerplate(shape)
    ]
    for shape in _reading_order(candidates):
        if shape.has_table:
            tables += 1
            body.extend(_table_rows(shape.table))
        elif shape.has_text_frame:
            body.extend(_paragraphs(shape.text_frame.paragraphs))
    from_placeholder = bool(title)
    if not title and body and word_count(body[0]) <= MAX_TITLE_WORDS:
        title = body.pop(0)
    return _SlideText(title, from_placeholder, body, _notes(slide), tables, _is_cover(title_shape))


def _reading_order(shapes: Iterable) -> Iterator:
    """Shapes top to bottom, then left to right; groups expanded where they stand."""
    from pptx.shapes.group import GroupShape

    for shape in sorted(shapes, key=lambda s: (s.top or 0, s.left or 0)):
        if isinstance(shape, GroupShape):
            yield from _reading_order(shape.shapes)
        else:
            yield shape


def _is_cover(title_shape) -> bool:
    from pptx.enum.shapes import PP_PLACEHOLDER

    return title_shape is not None and (
        title_shape.placeholder_format.type == PP_PLACEHOLDER.CENTER_TITLE
    )


def _is_boilerplate(shape) -> bool:
    from pptx.enum.shapes import PP_PLACEHOLDER

    if not shape.is_placeholder:
        return False
    boilerplate = {PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER}
    return shape.placeholder_format.type in boilerplate


def _paragraphs(paragraphs: Iterable) -> list[str]:
    texts = (collapse_spaces(paragraph.text) for paragraph in paragraphs)
    return [text for text in texts if text]


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        # A merged cell is reported once, by its origin; the cells it covers are skipped.
        cells = (collapse_spaces(cell.text) for cell in row.cells if not cell.is_spanned)
        joined = " | ".join(text for text in cells if text)
        if joined:
            rows.append(joined)
    return rows


def _notes(slide) -> list[str]:
    if not slide.has_notes_slide:  # reading .notes_slide would create one
        return []
    frame = slide.notes_slide.notes_text_frame
    return _paragraphs(frame.paragraphs) if frame is not None else []


def _declared_title(presentation) -> str:
    declared = collapse_spaces(presentation.core_properties.title or "")
    return "" if declared.lower() in _GENERIC_DECK_TITLES else declared


def _confidence(stats: _DeckStats) -> float:
    """How much of the deck reads as structured slides: text on them, then titles."""
    visible = max(1, stats.slides - stats.hidden)
    text_share = len(stats.kept) / visible
    title_share = (stats.placeholder_titles + 0.5 * stats.text_box_titles) / visible
    confidence = 0.5 + 0.3 * text_share + 0.15 * title_share + 0.04 * bool(stats.notes_slides)
    return round(min(0.99, confidence), 3)
