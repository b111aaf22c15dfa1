"""What kind of source is this? Decided from the content; names and MIME types only nudge.

Binary formats are recognised by their magic bytes and zip structure. Text is
scored by several detectors (screenplay, transcript, Markdown, prose), each
returning a confidence computed from how much of the text matches its patterns;
the highest wins, with ties going to the more structured format.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from transformations.ingest.markdown import ATX_HEADING_RE, LINK_RE, LIST_ITEM_RE
from transformations.ingest.play import play_cue, play_elements
from transformations.ingest.prose import is_chapter_heading, split_paragraphs
from transformations.ingest.screenplay import (
    cue_name,
    is_scene_heading,
    is_transition,
    screenplay_elements,
)
from transformations.ingest.storypack import looks_like_pack, pack_source_type
from transformations.ingest.text import decode_text, looks_binary, strip_gutenberg, word_count
from transformations.ingest.transcript import match_speaker_line, transcript_evidence
from transformations.ingest.zipguard import office_kind_from_local_headers, zip_entry_names
from transformations.pipeline.types import BlockKind, SourceType

HINT_NUDGE = 0.05
PLAIN_TEXT_SAMPLE_CHARS = 300_000

_EXTENSION_FORMATS = {
    ".fountain": "fountain",
    ".spmd": "fountain",
    ".md": "markdown",
    ".markdown": "markdown",
    ".srt": "srt",
    ".vtt": "webvtt",
    ".pdf": "pdf",
    ".pptx": "pptx",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".json": "story-pack",
    ".fdx": "fdx",
}
_MIME_FORMATS = {
    "application/pdf": "pdf",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "text/vtt": "webvtt",
    "application/x-subrip": "srt",
    "application/json": "story-pack",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
# Formats that the same content may legitimately be called by (a .fountain file
# holding a plain screenplay is still a screenplay).
_COMPATIBLE = {"plain-screenplay": {"fountain"}, "prose": {"markdown"}}
_BINARY_SIGNATURES = (
    (b"\x89PNG", "png", "a PNG image"),
    (b"\xff\xd8\xff", "jpeg", "a JPEG image"),
    (b"GIF8", "gif", "a GIF image"),
    (b"\x1f\x8b", "gzip", "a compressed gzip archive"),
    (b"\x7fELF", "executable", "a program file"),
    (b"MZ", "executable", "a program file"),
    (b"\xd0\xcf\x11\xe0", "ole", "an old Microsoft Office file"),
    (b"{\\rtf", "rtf", "a Rich Text (RTF) document"),
)
_SUBTITLE_TIMING_RE = re.compile(
    r"^\s*(?:\d{1,2}:)?\d{2}:\d{2}([,.])\d{1,3}\s*-->\s*(?:\d{1,2}:)?\d{2}:\d{2}[,.]\d{1,3}", re.M
)
_NUMBERED_CUE_RE = re.compile(r"^[ \t]*\d+[ \t]*\n[ \t]*(?:\d{1,2}:)?\d{2}:\d{2}[,.]\d", re.M)
_HTML_START_RE = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_HTML_TAG_RE = re.compile(
    r"</?(?:p|div|span|a|h[1-6]|body|head|article|section|br|ul|ol|li|table|script|style|meta"
    r"|title|main|nav|header|footer|em|strong)\b[^>]*>",
    re.I,
)


@dataclass(frozen=True)
class Detection:
    source_type: SourceType
    confidence: float  # 0-1: how sure the evidence makes us
    reason: str  # the evidence, in words
    format: str  # fountain | plain-screenplay | speaker-transcript | markdown | prose | ...


def hinted_format(filename: str = "", mime: str = "") -> str:
    extension = os.path.splitext(filename.lower())[1]
    return _EXTENSION_FORMATS.get(extension) or _MIME_FORMATS.get(
        mime.split(";")[0].strip().lower(), ""
    )


def detect(data: bytes, filename: str = "", mime: str = "") -> Detection:
    detection = _detect_content(data)
    return _nudge(detection, hinted_format(filename, mime))


def _nudge(detection: Detection, hint: str) -> Detection:
    """Agreeing hints add a little confidence, disagreeing ones take a little away."""
    if not hint or detection.source_type == SourceType.UNKNOWN:
        return detection
    agrees = hint == detection.format or hint in _COMPATIBLE.get(detection.format, set())
    fmt = hint if agrees and detection.format == "plain-screenplay" else detection.format
    delta = HINT_NUDGE if agrees else -HINT_NUDGE
    return Detection(
        source_type=detection.source_type,
        confidence=round(min(1.0, max(0.05, detection.confidence + delta)), 3),
        reason=f"{detection.reason}; the file name or type {'agrees' if agrees else 'disagrees'}",
        format=fmt,
    )


def _detect_content(data: bytes) -> Detection:
    if not data.strip():
        return Detection(SourceType.UNKNOWN, 1.0, "the file is empty", "empty")
    binary = _detect_binary(data)
    if binary:
        return binary
    text = decode_text(data).text
    if not text.strip():
        return Detection(SourceType.UNKNOWN, 1.0, "the file holds only blank characters", "empty")
    # Gutenberg's licence would otherwise be scored as part of the text ("DAMAGE." cues).
    return _detect_markup(text) or _detect_plain_text(_sample(strip_gutenberg(text)))


def _sample(text: str) -> str:
    """The start of a long text, cut at a line end: the structure of a script, transcript
    or play shows long before this, and scoring all of a huge file only costs time."""
    if len(text) <= PLAIN_TEXT_SAMPLE_CHARS:
        return text
    cut = text.rfind("\n", 0, PLAIN_TEXT_SAMPLE_CHARS)
    return text[: cut if cut > PLAIN_TEXT_SAMPLE_CHARS // 2 else PLAIN_TEXT_SAMPLE_CHARS]


def _detect_binary(data: bytes) -> Detection | None:
    head = data[:1024]
    if b"%PDF-" in head:
        return Detection(SourceType.PDF, 0.99, "PDF signature (%PDF-) at the start", "pdf")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _detect_zip(data)
    for signature, fmt, description in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return Detection(SourceType.UNKNOWN, 0.95, f"this is {description}", fmt)
    if looks_binary(data):
        return Detection(SourceType.UNKNOWN, 0.9, "binary data, not text", "binary")
    return None


def _detect_zip(data: bytes) -> Detection:
    # Only the central directory is read: nothing is decompressed here.
    names = zip_entry_names(data)
    if names is None:
        return _detect_unlistable_zip(data)
    slides = [name for name in names if re.match(r"ppt/slides/slide\d+\.xml$", name)]
    if any(name.startswith("ppt/") for name in names):
        has_main = "ppt/presentation.xml" in names
        confidence = 0.9 + 0.05 * has_main + 0.04 * bool(slides)
        reason = f"a zip with PowerPoint parts ({len(slides)} slides)"
        return Detection(SourceType.PPTX, round(confidence, 3), reason, "pptx")
    if any(name.startswith("word/") for name in names):
        confidence = 0.9 + 0.09 * ("word/document.xml" in names)
        reason = "a zip with Word document parts"
        return Detection(SourceType.ARTICLE, round(confidence, 3), reason, "docx")
    if any(name.startswith("xl/") for name in names):
        return Detection(SourceType.UNKNOWN, 0.9, "this is an Excel spreadsheet", "xlsx")
    if "META-INF/container.xml" in names:
        return Detection(SourceType.UNKNOWN, 0.9, "this is an EPUB e-book", "epub")
    return Detection(SourceType.UNKNOWN, 0.8, f"a zip archive of {len(names)} files", "zip")


def _detect_unlistable_zip(data: bytes) -> Detection:
    """A damaged zip, or one with too many entries to list: its local headers still name
    its parts, so a truncated deck goes to its parser and fails there as a damaged deck."""
    kind = office_kind_from_local_headers(data)
    if kind == "pptx":
        reason = "a damaged or oversized zip with PowerPoint parts"
        return Detection(SourceType.PPTX, 0.6, reason, "pptx")
    if kind == "docx":
        reason = "a damaged or oversized zip with Word document parts"
        return Detection(SourceType.ARTICLE, 0.6, reason, "docx")
    return Detection(SourceType.UNKNOWN, 0.9, "a zip archive that is damaged", "corrupt-zip")


def _detect_markup(text: str) -> Detection | None:
    """Formats announced by their first characters: JSON packs, WebVTT, HTML, FDX, SRT."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        json_detection = _detect_json(stripped)
        if json_detection:
            return json_detection
    if re.match(r"WEBVTT(?:[ \t].*)?$", stripped.split("\n", 1)[0]):
        cues = len(_SUBTITLE_TIMING_RE.findall(text))
        return Detection(SourceType.TRANSCRIPT, 0.99, f"WEBVTT header and {cues} cues", "webvtt")
    if stripped.startswith("<?xml") and "<FinalDraft" in stripped[:2000]:
        return Detection(SourceType.SCRIPT, 0.95, "a Final Draft (FDX) screenplay", "fdx")
    if _HTML_START_RE.match(text):
        return Detection(SourceType.ARTICLE, 0.97, "an HTML document (<html> at the start)", "html")
    tags = len(_HTML_TAG_RE.findall(text))
    lines = [line for line in text.split("\n") if line.strip()]
    tag_lines = sum(1 for line in lines if line.lstrip().startswith("<"))
    if tags >= 5 and tag_lines / len(lines) >= 0.3:
        ratio = tag_lines / len(lines)
        reason = f"{tags} HTML tags; {ratio:.0%} of lines are markup"
        return Detection(SourceType.ARTICLE, round(0.6 + 0.35 * ratio, 3), reason, "html")
    timings = _SUBTITLE_TIMING_RE.findall(text)
    if timings:
        blocks = max(1, len(split_paragraphs(text)))
        # A cue is a timing and a line or two of text (plus an SRT number): the line
        # share still counts cues when the blank lines between them are missing.
        lines = max(1, sum(1 for line in text.split("\n") if line.strip()))
        share = min(1.0, max(len(timings) / blocks, 3 * len(timings) / lines))
        comma = sum(1 for separator in timings if separator == ",")
        # Without a WEBVTT header, numbered cues are SRT whatever the millisecond separator.
        numbered = len(_NUMBERED_CUE_RE.findall(text))
        fmt = "srt" if comma >= len(timings) / 2 or numbered >= len(timings) / 2 else "webvtt"
        confidence = round(0.55 + 0.4 * share, 3)
        reason = f"{len(timings)} subtitle timing lines in {blocks} blocks"
        return Detection(SourceType.TRANSCRIPT, confidence, reason, fmt)
    return None


def _detect_json(text: str) -> Detection | None:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # nesting too deep is broken JSON too
        if "storyengine.pack" in text[:4000] or '"cards"' in text:
            reason = "looks like a story pack but is not valid JSON"
            return Detection(SourceType.ARTICLE, 0.6, reason, "story-pack")
        return None
    if looks_like_pack(value):
        declared = str(value.get("format", ""))
        confidence = 0.99 if declared.startswith("storyengine.pack") else 0.8
        cards = value.get("cards")
        count = len(cards) if isinstance(cards, list) else 0
        reason = f"a story pack with {count} cards"
        return Detection(pack_source_type(value), confidence, reason, "story-pack")
    return Detection(SourceType.UNKNOWN, 0.85, "JSON data that is not a story pack", "json")


def _detect_plain_text(text: str) -> Detection:
    candidates = [
        _score_screenplay(text),
        _score_transcript(text),
        _score_play(text),
        _score_markdown(text),
        _score_prose(text),
    ]
    viable = [candidate for candidate in candidates if candidate is not None]
    if any(candidate.format == "markdown" for candidate in viable):
        # Markdown is prose with markup: the markup is the stronger evidence.
        viable = [candidate for candidate in viable if candidate.format != "prose"]
    if not viable:
        return Detection(SourceType.UNKNOWN, 0.7, "no words or story structure found", "text")
    # max() keeps the first of equal scores, and the list runs from most structured down.
    return max(viable, key=lambda candidate: candidate.confidence)


def _score_screenplay(text: str) -> Detection | None:
    stream = screenplay_elements(text)
    headings = stream.count(BlockKind.SCENE_HEADING)
    cues = stream.count(BlockKind.CHARACTER_CUE)
    transitions = stream.count(BlockKind.TRANSITION)
    distinct = len(stream.speakers)
    if not ((headings >= 1 and (cues >= 1 or headings >= 2)) or (cues >= 3 and distinct >= 2)):
        return None
    paragraphs = max(1, stream.paragraph_count)
    share = (headings + cues + transitions) / paragraphs
    # Half of all paragraphs being headings or cues is already a fully typical script;
    # a handful of elements is weaker evidence than dozens.
    volume = min(1.0, (headings + cues) / 8)
    confidence = 0.5 + 0.4 * min(1.0, share / 0.5) * (0.5 + 0.5 * volume)
    confidence += 0.05 * bool(stream.title_page) + 0.05 * bool(headings)
    fmt = "fountain" if stream.fountain_markers else "plain-screenplay"
    reason = (
        f"{headings} scene headings, {cues} character cues ({distinct} speakers) and "
        f"{transitions} transitions in {paragraphs} paragraphs"
    )
    if stream.title_page:
        reason += "; a Fountain title page"
    return Detection(SourceType.SCRIPT, round(min(1.0, confidence), 3), reason, fmt)


def _score_transcript(text: str) -> Detection | None:
    evidence = transcript_evidence(text)
    if evidence.turns < 2 or len(evidence.speakers) < 2:
        return None
    share = evidence.turns / (evidence.turns + evidence.orphan_paragraphs)
    if share < 0.5:
        return None
    volume = min(1.0, evidence.turns / 10)
    confidence = 0.45 + 0.45 * share * (0.6 + 0.4 * volume)
    reason = (
        f"{evidence.turns} 'Speaker: line' turns by {len(evidence.speakers)} speakers; "
        f"{share:.0%} of paragraphs start with a speaker"
    )
    return Detection(SourceType.TRANSCRIPT, round(confidence, 3), reason, "speaker-transcript")


def _score_play(text: str) -> Detection | None:
    """Stage plays: `NAME.` cues, ACT/SCENE headings, Enter/Exit directions."""
    stream = play_elements(text)
    cues, distinct = stream.cue_count, len(stream.speakers)
    if cues < 3 or distinct < 2:
        return None
    share = stream.cue_paragraphs / max(1, stream.body_paragraphs)
    if share < 0.25 and not (stream.heading_count and cues >= 10):
        return None
    volume = min(1.0, cues / 12)
    confidence = 0.5 + 0.4 * min(1.0, share / 0.5) * (0.5 + 0.5 * volume)
    confidence += 0.04 * bool(stream.heading_count) + 0.03 * bool(stream.direction_count)
    reason = (
        f"{cues} 'NAME.' cues ({distinct} speakers), {stream.heading_count} act/scene "
        f"headings and {stream.direction_count} stage directions in "
        f"{stream.paragraph_count} paragraphs"
    )
    return Detection(SourceType.SCRIPT, round(min(0.98, confidence), 3), reason, "stage-play")


def _score_markdown(text: str) -> Detection | None:
    lines = [line for line in text.split("\n") if line.strip()]
    headings = sum(1 for line in lines if ATX_HEADING_RE.match(line))
    setext = len(re.findall(r"\n[^\n]+\n(?:=+|-+)[ \t]*(?:\n|$)", "\n" + text))
    features = {
        "lists": sum(1 for line in lines if LIST_ITEM_RE.match(line)),
        "links": len(LINK_RE.findall(text)),
        # Bounded span: an unbounded one is quadratic on a long line of unclosed "**".
        "emphasis": len(re.findall(r"(\*\*|__)\S.{0,200}?\S\1", text)),
        "code fences": len(re.findall(r"^\s{0,3}```", text, re.M)),
    }
    kinds = [name for name, count in features.items() if count]
    if not (headings + setext) and len(kinds) < 2:
        return None
    confidence = 0.5 + 0.1 * min(3, headings + setext) + 0.05 * len(kinds)
    reason = f"{headings + setext} Markdown headings" + (f", {', '.join(kinds)}" if kinds else "")
    return Detection(SourceType.ARTICLE, round(min(0.95, confidence), 3), reason, "markdown")


def _structured(lines: list[str]) -> bool:
    first = lines[0]
    if match_speaker_line(first) or is_scene_heading(first) or is_transition(first):
        return True
    return len(lines) > 1 and bool(cue_name(first) or play_cue(first))


def _score_prose(text: str) -> Detection | None:
    chunks = split_paragraphs(text)
    total_words = word_count(text)
    if not chunks or total_words == 0:
        return None
    # Paragraphs opening with "Name:", a scene heading or a character cue are evidence
    # for a transcript or a screenplay, not for prose.
    paragraphs = [" ".join(lines) for lines in chunks if not _structured(lines)]
    sentence_like = sum(
        1
        for paragraph in paragraphs
        if paragraph.rstrip().endswith((".", "!", "?", '"', "”", "\u2019", "…"))
        or word_count(paragraph) >= 12
        or is_chapter_heading(paragraph)
    )
    paragraphs = [" ".join(lines) for lines in chunks]
    share = sentence_like / len(paragraphs)
    volume = min(1.0, total_words / 150)
    confidence = 0.3 + 0.55 * share * (0.4 + 0.6 * volume)
    reason = (
        f"{len(paragraphs)} paragraphs, {total_words} words; "
        f"{share:.0%} of paragraphs read as sentences"
    )
    return Detection(SourceType.ARTICLE, round(confidence, 3), reason, "prose")
