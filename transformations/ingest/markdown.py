"""Markdown: headings become sections, the rest becomes plain paragraphs.

Only the parts of Markdown that carry text are interpreted; code blocks and images
are dropped because they are not story, links keep their text.
"""

from __future__ import annotations

import re

from transformations.ingest.builder import ParsedText
from transformations.ingest.prose import Item, is_scene_break, sections_from_items
from transformations.ingest.text import collapse_spaces, strip_emphasis

ATX_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.DOTALL)
_FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")
_SETEXT_RE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_QUOTE_RE = re.compile(r"^\s{0,3}>\s?")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
LINK_RE = re.compile(r"(?<!!)\[([^\]]+)\]\((?:[^)]*)\)")
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_REFERENCE_LINK_RE = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_REFERENCE_DEFINITION_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_TAG_RE = re.compile(r"<[^>\n]+>")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")


def clean_inline(text: str) -> str:
    text = _IMAGE_RE.sub("", text)
    text = LINK_RE.sub(r"\1", text)
    text = _REFERENCE_LINK_RE.sub(r"\1", text)
    text = _TAG_RE.sub("", text).replace("`", "")
    text = strip_emphasis(text)
    return collapse_spaces(_ESCAPE_RE.sub(r"\1", text))


def markdown_items(text: str) -> tuple[str, list[Item]]:
    """(front-matter title, items) of a Markdown document."""
    title = ""
    front = _FRONT_MATTER_RE.match(text)
    if front:
        text = text[front.end() :]
        found = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", front.group(1), re.M)
        title = found.group(1) if found else ""
    items: list[Item] = []
    paragraph: list[str] = []

    def flush() -> None:
        joined = clean_inline(" ".join(paragraph))
        if joined:
            items.append(Item("paragraph", joined))
        paragraph.clear()

    in_fence = False
    for raw in text.split("\n"):
        if _FENCE_RE.match(raw):
            flush()
            in_fence = not in_fence
            continue
        if in_fence or _REFERENCE_DEFINITION_RE.match(raw):
            continue
        line = _QUOTE_RE.sub("", raw)
        heading = ATX_HEADING_RE.match(line)
        setext = _SETEXT_RE.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            items.append(Item("heading", clean_inline(heading.group(2)), len(heading.group(1))))
        elif setext and paragraph:
            level = 1 if setext.group(1).startswith("=") else 2
            items.append(Item("heading", clean_inline(" ".join(paragraph)), level))
            paragraph.clear()
        elif is_scene_break(line):
            flush()
            items.append(Item("break"))
        elif _TABLE_RULE_RE.match(line):
            continue
        elif item := LIST_ITEM_RE.match(line):
            flush()
            paragraph.append(item.group(1))
        elif line.lstrip().startswith("|"):
            flush()
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            paragraph.append(" — ".join(cell for cell in cells if cell))
            flush()
        else:
            paragraph.append(line.strip())
    flush()
    return title, items


def parse_markdown(text: str) -> ParsedText:
    """A lone level-1 heading at the top is the document's title, not a section."""
    title, items = markdown_items(text)
    top_headings = [item for item in items if item.kind == "heading" and item.level == 1]
    if items and items[0].kind == "heading" and items[0].level == 1 and len(top_headings) == 1:
        title = title or items[0].text
        items = items[1:]
    parsed = sections_from_items(items)
    parsed.title = title
    parsed.metadata["paragraph_count"] = sum(1 for item in items if item.kind == "paragraph")
    return parsed
