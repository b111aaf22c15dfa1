"""Word documents: headings make sections, like Markdown; screenplays written in Word
are read as screenplays.

- A paragraph is a heading when its style, or a style it is based on, is one of
  Word's built-in "Heading 1".."Heading 9" (their stored names are English in every
  UI language). The first "Title" paragraph is the document's title.
- Body paragraphs and table rows (cells joined by " | ") become paragraphs; content
  controls are read through, tables of contents are skipped (they repeat the
  headings), headers, footers, footnotes and comments are left out.
- Paragraph text is read from the XML rather than python-docx's `Paragraph.text`,
  which drops tracked insertions: a draft with revisions should read as it looks.
  Deleted text is stored separately by Word (w:delText), so it never appears.
- Documents without headings are grouped into paragraph sections, like prose.
"""

from __future__ import annotations

import re

from lxml import etree

from transformations.ingest.builder import ParsedText
from transformations.ingest.normalise import BinaryParse, IngestLimits
from transformations.ingest.prose import Item, sections_from_items
from transformations.ingest.screenplay import cue_name, parse_screenplay, screenplay_elements
from transformations.ingest.text import collapse_spaces, word_count
from transformations.ingest.zipguard import (
    check_zip_container,
    corrupt_file,
    repack_markup,
)
from transformations.pipeline.errors import NOT_ABOUT_THE_FILE
from transformations.pipeline.types import BlockKind, SourceType

LABEL = "Word document"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NAMESPACES = {"w": _W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
# Runs' text, tabs and breaks, plus nested paragraphs (text boxes) as word separators.
# mc:Fallback repeats an mc:Choice (a text box drawn twice, for old Word), so it is skipped.
_TEXT_PIECES = etree.XPath(
    ".//*[((self::w:t or self::w:tab or self::w:br or self::w:cr or self::w:noBreakHyphen)"
    " and parent::w:r) or self::w:p][not(ancestor::mc:Fallback)]",
    namespaces=_NAMESPACES,
)
_CELLS = etree.XPath("./w:tc", namespaces=_NAMESPACES)
_CELL_BLOCKS = etree.XPath(".//w:p[not(ancestor::mc:Fallback)]", namespaces=_NAMESPACES)
_ROWS = etree.XPath("./w:tr", namespaces=_NAMESPACES)
_HEADING_STYLE_RE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
_TOC_STYLE_RE = re.compile(r"^toc\b|^table of contents$", re.IGNORECASE)
# python-docx fills this in when a file has no document properties at all.
_GENERIC_TITLE = "word document"
_TITLE = 0
_SKIP = -1
# A document is read as a screenplay when scene headings and character cues make up
# this share of its paragraphs, and it has at least two scenes.
SCRIPT_ELEMENT_SHARE = 0.25
MIN_SCRIPT_SCENES = 2


def parse_docx(data: bytes, limits: IngestLimits) -> BinaryParse:
    with check_zip_container(data, limits, label=LABEL) as archive:
        package = repack_markup(archive, limits, label=LABEL)
    document = _open(package)
    try:
        title, items = _document_items(document)
    except (KeyError, ValueError, TypeError, etree.LxmlError) as exc:
        raise corrupt_file(LABEL, f"python-docx failed while reading the body: {exc!r}") from exc
    declared = collapse_spaces(document.core_properties.title or "")
    if declared.lower() == _GENERIC_TITLE:
        declared = ""
    paragraphs = [item.text for item in items if item.kind == "paragraph"]
    script = _as_screenplay(items)
    if script is not None:
        parsed, confidence = script
        parsed.title = parsed.title or title or declared
        return _result(parsed, SourceType.SCRIPT, confidence)
    parsed = sections_from_items(items)
    parsed.title = title or declared
    parsed.metadata["paragraph_count"] = len(paragraphs)
    headings = parsed.metadata.get("heading_count", 0)
    words = sum(word_count(text) for text in paragraphs)
    confidence = 0.6 + 0.25 * min(1.0, words / 300) + 0.1 * bool(headings)
    return _result(parsed, SourceType.ARTICLE, confidence)


def _result(parsed: ParsedText, source_type: SourceType, confidence: float) -> BinaryParse:
    return BinaryParse(
        parsed=parsed,
        source_type=source_type,
        confidence=round(min(0.99, confidence), 3),
        text_chars=sum(len(block.text) for block in parsed.blocks),
    )


def _open(package):
    # Imported here: python-docx is only loaded when a Word document arrives.
    import docx

    try:
        return docx.Document(package)
    except NOT_ABOUT_THE_FILE:
        raise
    except Exception as exc:  # a hostile file can fail in any way: all of them mean "damaged"
        raise corrupt_file(LABEL, f"python-docx could not open the package: {exc!r}") from exc


def _document_items(document) -> tuple[str, list[Item]]:
    """(title, items) in document order."""
    levels = _style_levels(document)
    title = ""
    items: list[Item] = []
    for element in _body_elements(document.element.body):
        if element.tag == f"{{{_W}}}tbl":
            items.extend(Item("paragraph", row) for row in _table_rows(element))
            continue
        text = paragraph_text(element)
        if not text:
            continue
        level = levels.get(element.style or "")
        if level == _SKIP:
            continue
        if level == _TITLE and not title:
            title = text
        elif level is not None:
            items.append(Item("heading", text, max(1, level)))
        else:
            items.append(Item("paragraph", text))
    return title, items


def _body_elements(container) -> list:
    """Paragraphs and tables in order, looking inside content controls (w:sdt)."""
    out = []
    for child in container.iterchildren(f"{{{_W}}}p", f"{{{_W}}}tbl", f"{{{_W}}}sdt"):
        if child.tag == f"{{{_W}}}sdt":
            for content in child.iterchildren(f"{{{_W}}}sdtContent"):
                out.extend(_body_elements(content))
        else:
            out.append(child)
    return out


def _style_levels(document) -> dict[str, int]:
    """Paragraph style id -> heading level, _TITLE or _SKIP; body styles are absent."""
    from docx.enum.style import WD_STYLE_TYPE

    levels: dict[str, int] = {}
    for style in document.styles:
        if style.type != WD_STYLE_TYPE.PARAGRAPH:
            continue
        level = _level_of(style)
        if level is not None:
            levels[style.style_id] = level
    return levels


def _level_of(style) -> int | None:
    for _ in range(10):  # follow "based on" a few steps; a cycle must not hang us
        if style is None:
            return None
        name = (style.name or "").strip()
        heading = _HEADING_STYLE_RE.match(name)
        if heading:
            return int(heading.group(1))
        if name.lower() == "title":
            return _TITLE
        if _TOC_STYLE_RE.match(name):
            return _SKIP
        style = style.base_style
    return None


def paragraph_text(element) -> str:
    pieces = []
    for piece in _TEXT_PIECES(element):
        name = etree.QName(piece).localname
        if name == "t":
            pieces.append(piece.text or "")
        elif name == "noBreakHyphen":
            pieces.append("-")
        else:
            pieces.append(" ")
    return collapse_spaces("".join(pieces))


def _table_rows(table) -> list[str]:
    rows = []
    for row in _ROWS(table):
        # Each w:tc once: a horizontally merged cell is one w:tc, and the continuation
        # of a vertical merge is an empty one.
        cells = (
            collapse_spaces(" ".join(paragraph_text(p) for p in _CELL_BLOCKS(cell)))
            for cell in _CELLS(row)
        )
        joined = " | ".join(text for text in cells if text)
        if joined:
            rows.append(joined)
    return rows


def _as_screenplay(items: list[Item]) -> tuple[ParsedText, float] | None:
    """A screenplay typed in Word: one paragraph per element, rebuilt as screenplay text."""
    lines = [item.text for item in items]
    if not lines:
        return None
    chunks: list[str] = []
    in_dialogue = False
    for line in lines:
        # Dialogue stays attached to its cue; every other element is its own paragraph.
        separator = "\n" if in_dialogue else "\n\n"
        chunks.append(separator + line if chunks else line)
        in_dialogue = bool(cue_name(line)) or (in_dialogue and line.startswith("("))
    text = "".join(chunks)
    stream = screenplay_elements(text)
    headings = stream.count(BlockKind.SCENE_HEADING)
    cues = stream.count(BlockKind.CHARACTER_CUE)
    share = (headings + cues) / len(lines)
    if headings < MIN_SCRIPT_SCENES or share < SCRIPT_ELEMENT_SHARE:
        return None
    parsed = parse_screenplay(text)
    parsed.metadata["docx_screenplay"] = 1
    return parsed, 0.6 + 0.35 * min(1.0, share / 0.5)
