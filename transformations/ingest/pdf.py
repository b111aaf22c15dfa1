"""PDF sources: text page by page with pypdf, screenplays by position with pdfplumber.

1. Open with pypdf under deliberate decompression limits; refuse password-protected,
   oversized and "bomb" files before any text is extracted (`pdf_reading`).
2. Extract each page's lines with their position and font size, stopping as soon as
   the character limit is passed. A PDF with no text layer fails here.
3. A document whose lines look like a screenplay is read again by position
   (`pdf_layout`) and parsed as Fountain: it becomes a `script` with one section per
   scene. Anything else is a `pdf` whose sections are its bookmarks, else its
   headings, else its pages.

Any exception from the PDF libraries becomes a CORRUPT_FILE failure at this
boundary, so a hostile file can fail a job but never the worker.
"""

from __future__ import annotations

import logging
import re

from pypdf.errors import LimitReachedError

from transformations.ingest.normalise import BinaryParse, IngestLimits
from transformations.ingest.pdf_document import parse_pdf_document
from transformations.ingest.pdf_layout import (
    ScreenplayLayout,
    read_placed_pages,
    screenplay_from_pages,
)
from transformations.ingest.pdf_reading import (
    PdfText,
    TextLine,
    corrupt_file,
    read_pdf_text,
    too_complex,
)
from transformations.ingest.screenplay import cue_name, is_scene_heading, parse_screenplay
from transformations.pipeline.errors import NOT_ABOUT_THE_FILE, IngestError
from transformations.pipeline.types import SourceType

logger = logging.getLogger(__name__)

MIN_LETTERS = 20
# Below this share of letters among printed characters the fonts carry no usable
# character map: the "text" is glyph numbers.
MIN_LETTER_SHARE = 0.3
# Script evidence a page of prose almost never has; cheap to count on plain text.
MIN_HEADINGS_FOR_LAYOUT = 2
MIN_CUES_FOR_LAYOUT = 6
MIN_PLACED_SHARE = 0.6
# A capitalised INT/EXT/EST/I/E at the start of the line, or behind the scene numbers plain
# text glues to it ("12 12INT. HOUSE"). Anywhere else, any case, it matched ordinary prose
# ("Point", "West", "next") and sent long prose PDFs down the slow layout reading.
_SCENE_PREFIX_SEARCH_RE = re.compile(r"^(?:\d+[A-Z]?\.?\s*)*(?=(?:INT|EXT|EST|I/E)[\s./])")


def parse_pdf(data: bytes, limits: IngestLimits) -> BinaryParse:
    try:
        text = read_pdf_text(data, limits)
        _require_text_layer(text)
        if _may_be_screenplay(text.pages):
            script = _parse_screenplay_layout(data, text)
            if script is not None:
                return script
        return parse_pdf_document(text, limits)
    except NOT_ABOUT_THE_FILE:
        raise
    except LimitReachedError as exc:
        raise too_complex(exc) from exc
    except MemoryError as exc:
        raise too_complex(exc) from exc
    except Exception as exc:
        raise corrupt_file(f"{type(exc).__name__}: {exc}") from exc


def _require_text_layer(text: PdfText) -> None:
    printed = letters = 0
    for page in text.pages:
        for line in page:
            printed += len(line.text) - line.text.count(" ")
            letters += sum(char.isalpha() for char in line.text)
    if letters < MIN_LETTERS:
        raise IngestError(
            "This PDF has no text we can read: it looks like a scan or a set of images. "
            "Run OCR on it (Adobe Acrobat, macOS Preview's “Export as PDF” with text "
            "recognition, or any OCR tool), or export the document again with its text, "
            "then upload the new file.",
            code="NO_TEXT_LAYER",
            dev_message=f"{letters} letters in {text.page_count} pages",
        )
    if letters / printed < MIN_LETTER_SHARE:
        raise IngestError(
            "The text in this PDF is stored as bare glyph shapes we can't turn back into "
            "letters (its fonts have no character map). Export it again from the app that "
            "made it, or run OCR on it, then upload the new file.",
            code="NO_TEXT_LAYER",
            dev_message=f"{letters} letters among {printed} printed characters",
        )


# Screenplays ---------------------------------------------------------------------------


def _may_be_screenplay(pages: list[list[TextLine]]) -> bool:
    """Scene headings or many cue-like lines: worth the slower positional reading."""
    headings = cues = 0
    lines = 0
    for page in pages:
        for line in page:
            lines += 1
            if _has_scene_heading(line.text):
                headings += 1
            elif cue_name(line.text):
                cues += 1
    if headings >= MIN_HEADINGS_FOR_LAYOUT or (headings and cues >= 2):
        return True
    return cues >= MIN_CUES_FOR_LAYOUT and cues >= 0.03 * lines


def _has_scene_heading(text: str) -> bool:
    """A heading, perhaps behind the scene number plain text glues to it ("12 12INT. HOUSE")."""
    start = _SCENE_PREFIX_SEARCH_RE.match(text)
    return len(text) <= 80 and start is not None and is_scene_heading(text[start.end() :])


def _parse_screenplay_layout(data: bytes, text: PdfText) -> BinaryParse | None:
    """The script read by position, or None when the positions don't say "screenplay"."""
    try:
        layout = screenplay_from_pages(list(read_placed_pages(data)))
    except NOT_ABOUT_THE_FILE:
        raise
    except Exception:
        # pdfminer is stricter than pypdf on some files; the text reading still stands.
        logger.warning("positional reading failed; reading the PDF as text", exc_info=True)
        return None
    parsed = parse_screenplay(layout.fountain)
    counts = parsed.metadata
    headings = int(counts["scene_heading_count"])
    cues = int(counts["character_cue_count"])
    dialogue = int(counts["dialogue_block_count"])
    if not (
        cues >= 2
        and dialogue >= 2
        and (headings >= 1 or cues >= MIN_CUES_FOR_LAYOUT)
        and layout.placed_share >= MIN_PLACED_SHARE
    ):
        return None
    parsed.metadata.pop("fountain_markers", None)
    parsed.title = parsed.title or text.title
    if layout.author or text.author:
        parsed.metadata.setdefault("author", layout.author or text.author)
    parsed.metadata.update(
        {
            **text.metadata(),
            "sectioned_by": "scenes",
            "layout_lines": layout.line_count,
            "layout_placed_share": round(layout.placed_share, 3),
        }
    )
    return BinaryParse(
        parsed=parsed,
        source_type=SourceType.SCRIPT,
        confidence=_script_confidence(layout, headings, cues),
        text_chars=text.char_count,
        metadata={"format": "pdf-screenplay"},
    )


def _script_confidence(layout: ScreenplayLayout, headings: int, cues: int) -> float:
    """Most lines at screenplay indents, and many headings and cues, make a sure script."""
    volume = min(1.0, (headings + cues) / 20)
    confidence = 0.55 + 0.3 * layout.placed_share * (0.5 + 0.5 * volume)
    confidence += 0.05 * bool(headings) + 0.05 * layout.has_indents + 0.03 * bool(layout.title)
    return round(min(0.99, confidence), 3)
