"""Stage 0: any supported source to a `Document`, or an `IngestError` a creator can act on."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from transformations.ingest.builder import DocumentBuilder, ParsedText
from transformations.ingest.detection import Detection, detect
from transformations.ingest.markdown import parse_markdown
from transformations.ingest.prose import parse_prose
from transformations.ingest.screenplay import parse_screenplay
from transformations.ingest.storypack import parse_story_pack
from transformations.ingest.text import (
    decode_text,
    readable,
    repair_mojibake,
    strip_gutenberg,
    word_count,
)
from transformations.ingest.transcript import parse_transcript
from transformations.pipeline.errors import IngestError
from transformations.pipeline.types import Document, SourceType, StoryPack

MIN_STORY_WORDS = 5
# Scripts written without spaces (Chinese, Japanese) have few "words" but many letters.
MIN_STORY_LETTERS = 20
_SUPPORTED_HINT = (
    "Upload a PDF, PowerPoint, Word, HTML, Markdown, Fountain, subtitle or plain-text file, "
    "or paste the text."
)
# Formats we recognise but cannot read yet, with the name creators know them by.
_LATER_FORMATS = {
    "fdx": "Final Draft",
}
_MARKUP_FORMATS = frozenset({"html"})
_UNKNOWN_MESSAGES = {
    "rtf": "Rich Text files can't be read. Save it as plain text (.txt) first.",
    "corrupt-zip": "This archive is damaged and can't be opened. Export the file again.",
    "json": "This JSON file is not a story pack. See the story pack guide for the format.",
}


@dataclass(frozen=True)
class IngestLimits:
    """Bounds that keep a worker safe from oversized or hostile input (settings INGEST_*)."""

    max_bytes: int = 25 * 1024 * 1024
    max_chars: int = 2_000_000
    max_sections: int = 500
    max_pages: int = 600
    max_slides: int = 400
    # Zip containers (PPTX, DOCX): total uncompressed size and worst entry ratio.
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 100.0


@dataclass
class BinaryParse:
    """What a parser of a binary container (PDF, PPTX, DOCX) hands back."""

    parsed: ParsedText
    source_type: SourceType
    confidence: float
    text_chars: int
    metadata: dict[str, str | int | float] = field(default_factory=dict)


BinaryParser = Callable[[bytes, IngestLimits], BinaryParse]
TextParser = Callable[[str], ParsedText]


def _binary_parsers() -> dict[str, BinaryParser]:
    # Imported here: each pulls in a heavy library only when its format arrives.
    from transformations.ingest.docx import parse_docx
    from transformations.ingest.pdf import parse_pdf
    from transformations.ingest.pptx import parse_pptx

    return {"pdf": parse_pdf, "pptx": parse_pptx, "docx": parse_docx}


def _text_parsers() -> dict[str, TextParser]:
    from transformations.ingest.html import parse_html
    from transformations.ingest.play import parse_play
    from transformations.ingest.subtitles import parse_srt, parse_webvtt

    return {
        "fountain": parse_screenplay,
        "plain-screenplay": parse_screenplay,
        "speaker-transcript": parse_transcript,
        "markdown": parse_markdown,
        "prose": parse_prose,
        "html": parse_html,
        "srt": parse_srt,
        "webvtt": parse_webvtt,
        "stage-play": parse_play,
    }


def normalise(
    data: bytes, *, filename: str = "", mime: str = "", limits: IngestLimits | None = None
) -> Document:
    """Detect, decode and parse a source into typed blocks and sections.

    1. Size limits on the raw bytes, before any work is spent on them.
    2. Detection by content; unknown and not-yet-readable formats fail here.
    3. Decoding, then the character limit on the decoded text.
    4. The format's parser; then checks that a story was actually found.
    """
    limits = limits or IngestLimits()
    if not data:
        raise _empty()
    if len(data) > limits.max_bytes:
        raise IngestError(
            f"This file is {_megabytes(len(data))}; the limit is {_megabytes(limits.max_bytes)}. "
            "Upload a shorter part of the story, or remove images and attachments.",
            code="FILE_TOO_LARGE",
            dev_message=f"{len(data)} bytes > max_bytes={limits.max_bytes}",
        )
    detection = detect(data, filename, mime)
    _refuse_unreadable(detection)
    binary_parser = _binary_parsers().get(detection.format)
    if binary_parser is not None:
        result = binary_parser(data, limits)
        return _finish(
            result.parsed,
            detection,
            limits,
            filename=filename,
            source_type=result.source_type,
            confidence=result.confidence,
            char_count=result.text_chars,
            metadata={"format": detection.format, **result.metadata},
        )

    decoded = decode_text(data)
    text = decoded.text
    # Markup is mostly tags and boilerplate: HTML is limited by its bytes here and by
    # the text it yields in _finish, so a 5 MB page with a short story still reads.
    is_markup = detection.format in _MARKUP_FORMATS
    if not is_markup and len(text) > limits.max_chars:
        raise IngestError(
            f"This text has {len(text):,} characters; the limit is {limits.max_chars:,}. "
            "Split it into parts (for example one file per act or per few chapters).",
            code="TOO_MUCH_TEXT",
            dev_message=f"{len(text)} chars > max_chars={limits.max_chars}",
        )
    text, cleaning = _clean_text(text, detection.format)
    parsed, pack, source_type = _parse(detection, text, limits)
    lines = text.split("\n")
    return _finish(
        parsed,
        detection,
        limits,
        filename=filename,
        source_type=source_type,
        confidence=detection.confidence,
        char_count=(sum(len(block.text) for block in parsed.blocks) if is_markup else len(text)),
        pack=pack,
        metadata={
            "format": detection.format,
            "encoding": decoded.encoding,
            "line_count": len(lines),
            "non_empty_line_count": sum(1 for line in lines if line.strip()),
            **cleaning,
        },
    )


def _finish(
    parsed: ParsedText,
    detection: Detection,
    limits: IngestLimits,
    *,
    filename: str,
    source_type: SourceType,
    confidence: float,
    char_count: int,
    metadata: dict[str, str | int | float],
    pack: StoryPack | None = None,
) -> Document:
    """Checks every format shares: a story was found, and the section limit."""
    if char_count > limits.max_chars:
        raise IngestError(
            f"This document has {char_count:,} characters of text; the limit is "
            f"{limits.max_chars:,}. Split it into parts and import them one by one.",
            code="TOO_MUCH_TEXT",
            dev_message=f"{char_count} chars > max_chars={limits.max_chars}",
        )
    _check_story_found(parsed, detection)
    _fit_grouped_sections(parsed, limits.max_sections)
    if len(parsed.sections) > limits.max_sections:
        raise IngestError(
            f"This document has {len(parsed.sections)} sections; the limit is "
            f"{limits.max_sections}. Split it into smaller parts and import them one by one.",
            code="TOO_MANY_SECTIONS",
            dev_message=f"{len(parsed.sections)} sections > max_sections={limits.max_sections}",
        )
    metadata = {
        **metadata,
        "detection_reason": detection.reason,
        "word_count": sum(word_count(block.text) for block in parsed.blocks),
        "block_count": len(parsed.blocks),
        "section_count": len(parsed.sections),
        **parsed.metadata,
    }
    return Document(
        source_type=source_type,
        parse_confidence=round(max(0.0, min(1.0, confidence)), 3),
        title=parsed.title or _title_from_filename(filename),
        blocks=parsed.blocks,
        sections=parsed.sections,
        metadata=metadata,
        pack=pack,
        char_count=char_count,
    )


def _parse(
    detection: Detection, text: str, limits: IngestLimits
) -> tuple[ParsedText, StoryPack | None, SourceType]:
    if detection.format == "story-pack":
        parsed, pack, source_type = parse_story_pack(text, max_cards=limits.max_sections)
        return parsed, pack, source_type
    parser = _text_parsers().get(detection.format)
    if parser is None:  # a detector format with no parser is a programming error
        raise IngestError(code="UNKNOWN_FORMAT", dev_message=f"no parser for {detection}")
    return parser(text), None, detection.source_type


def _clean_text(text: str, fmt: str) -> tuple[str, dict[str, str | int | float]]:
    """Gutenberg boilerplate removed (as detection did), then mojibake repaired."""
    notes: dict[str, str | int | float] = {}
    # HTML and packs carry any boilerplate inside their markup; their parsers decide.
    if fmt not in ("html", "story-pack"):
        stripped = strip_gutenberg(text)
        if stripped is not text:
            notes["gutenberg_boilerplate_removed"] = 1
            text = stripped
    repaired = repair_mojibake(text)
    notes["mojibake_repaired"] = int(repaired.repaired_lines > 0)
    if repaired.repaired_lines:
        notes["mojibake_repaired_lines"] = repaired.repaired_lines
    return repaired.text, notes


def _fit_grouped_sections(parsed: ParsedText, limit: int) -> None:
    """Long transcripts and unheaded prose get larger groups instead of an error."""
    grouped = {"segment", "paragraphs"}
    while len(parsed.sections) > limit and all(s.kind in grouped for s in parsed.sections):
        builder = DocumentBuilder()
        builder.parsed = parsed
        builder.halve_sections()


def _refuse_unreadable(detection: Detection) -> None:
    if detection.format == "empty":
        raise _empty()
    if detection.format in _LATER_FORMATS:
        kind = _LATER_FORMATS[detection.format]
        raise IngestError(
            f"{kind} files can be detected but not read yet. {_SUPPORTED_HINT}",
            code="FORMAT_NOT_SUPPORTED_YET",
            dev_message=f"detected {detection.format}: {detection.reason}",
        )
    if detection.source_type == SourceType.UNKNOWN:
        message = _UNKNOWN_MESSAGES.get(
            detection.format,
            f"We couldn't recognise this file ({detection.reason}). {_SUPPORTED_HINT}",
        )
        code = "CORRUPT_FILE" if detection.format == "corrupt-zip" else "UNKNOWN_FORMAT"
        raise IngestError(message, code=code, dev_message=f"detected {detection}")


def _check_story_found(parsed: ParsedText, detection: Detection) -> None:
    words = sum(word_count(block.text) for block in parsed.blocks)
    # Counted only when needed: a Python loop over every character of a long text is slow.
    if not parsed.blocks or (words < MIN_STORY_WORDS and _letters(parsed) < MIN_STORY_LETTERS):
        raise IngestError(
            "We couldn't find any story in this file: it has no readable sentences, scenes "
            f"or dialogue. {_SUPPORTED_HINT}",
            code="NO_STORY_FOUND",
            dev_message=f"{len(parsed.blocks)} blocks, {words} words; detected {detection}",
        )


def _letters(parsed: ParsedText) -> int:
    return sum(char.isalpha() for block in parsed.blocks for char in block.text)


def _empty() -> IngestError:
    return IngestError(
        "This file is empty. Choose the file again, or paste the story's text.",
        code="EMPTY_FILE",
        dev_message="no bytes, or only whitespace",
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _title_from_filename(filename: str) -> str:
    stem = os.path.splitext(os.path.basename(filename))[0]
    stem = re.sub(r"\.(storypack|pack)$", "", stem)
    words = re.sub(r"[_\-.]+", " ", stem).strip()
    return readable(words.upper()) if words else ""
