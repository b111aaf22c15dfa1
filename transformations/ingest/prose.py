"""Plain prose (stories, chapters, articles pasted as text) and the sectioning it shares
with Markdown.

A document with headings ("Chapter 3", Markdown `##`) gets one section per heading.
Without headings, paragraphs are grouped: a group closes at about 600 words, or
after 5 paragraphs once it holds 300 words, preferring scene breaks ("* * *").
Narrative scene segmentation is an open problem, so these are called sections,
not scenes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from transformations.ingest.builder import DocumentBuilder, ParsedText
from transformations.ingest.text import (
    collapse_spaces,
    readable,
    sentences,
    shorten,
    word_count,
    word_set,
)
from transformations.pipeline.types import BlockKind

WORDS_PER_GROUP = 600
PARAGRAPHS_PER_GROUP = 5
MIN_WORDS_FOR_PARAGRAPH_BREAK = 300
MIN_WORDS_FOR_SCENE_BREAK = 150

_NUMBER_WORDS = sorted(
    word_set(
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty"
    )
)
_CHAPTER_RE = re.compile(
    r"^(?:(?:chapter|part|book|act|scene)\s+(?:\d+|[ivxlcdm]+\b|(?:"
    + "|".join(_NUMBER_WORDS)
    + r")(?:[- ](?:"
    + "|".join(_NUMBER_WORDS)
    + r"))?)|prologue|epilogue|interlude|foreword|afterword)\b",
    re.IGNORECASE,
)
_ROMAN_LINE_RE = re.compile(r"^[IVXLC]+\.?$")
_SCENE_BREAK_RE = re.compile(r"^(?:[*#~•·⁂]\s*)+$|^(?:-\s*){3,}$|^(?:_\s*){3,}$")
_GUTENBERG_START_RE = re.compile(r"^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.M)
_GUTENBERG_END_RE = re.compile(r"^\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG", re.M)
_BYLINE_RE = re.compile(r"^by\s+(\S.{0,60})$", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One unit of a text document, before sectioning."""

    kind: Literal["heading", "paragraph", "break"]
    text: str = ""
    level: int = 1


def is_chapter_heading(line: str) -> bool:
    line = line.strip()
    if not line or word_count(line) > 12:
        return False
    return bool(_CHAPTER_RE.match(line) or _ROMAN_LINE_RE.match(line))


def is_scene_break(line: str) -> bool:
    return bool(_SCENE_BREAK_RE.match(line.strip()))


def strip_gutenberg_boilerplate(text: str) -> str:
    """Project Gutenberg's licence would otherwise read as part of the story."""
    start = _GUTENBERG_START_RE.search(text)
    if start:
        text = text[start.end() :]
    end = _GUTENBERG_END_RE.search(text)
    return text[: end.start()] if end else text


def split_paragraphs(text: str) -> list[list[str]]:
    """Paragraphs as lists of lines. Text with no blank lines at all has one paragraph
    per line (the usual shape of text pasted from a web page or a chat)."""
    chunks = [chunk for chunk in re.split(r"\n[ \t]*\n", text) if chunk.strip()]
    if len(chunks) == 1:
        lines = [line for line in chunks[0].split("\n") if line.strip()]
        if len(lines) > 3:
            return [[line] for line in lines]
    return [[line.strip() for line in chunk.split("\n") if line.strip()] for chunk in chunks]


def prose_items(text: str) -> tuple[str, str, list[Item]]:
    """(title, author, items) of a plain-prose text."""
    items: list[Item] = []
    for lines in split_paragraphs(strip_gutenberg_boilerplate(text)):
        if len(lines) == 1 and is_scene_break(lines[0]):
            items.append(Item("break"))
            continue
        if is_chapter_heading(lines[0]):
            items.append(Item("heading", readable(lines[0].strip(" #"))))
            lines = lines[1:]
        if lines:
            items.append(Item("paragraph", collapse_spaces(" ".join(lines))))
    title, author = "", ""
    if len(items) > 2 and _looks_like_title(items[0]):
        title = items.pop(0).text
        byline = _BYLINE_RE.match(items[0].text) if items[0].kind == "paragraph" else None
        if byline:
            author = byline.group(1).strip()
            items.pop(0)
    return title, author, items


def _looks_like_title(item: Item) -> bool:
    text = item.text
    return (
        item.kind == "paragraph"
        and 0 < word_count(text) <= 12
        and not text.endswith((".", "!", "?", ",", ";", ":", '"', "”", "\u2019"))
    )


def sections_from_items(items: list[Item]) -> ParsedText:
    """Headings make sections; without headings, paragraphs are grouped."""
    headings = [item for item in items if item.kind == "heading"]
    if headings:
        return _sections_by_heading(items, min(heading.level for heading in headings))
    return _sections_by_grouping(items)


def _sections_by_heading(items: list[Item], level: int) -> ParsedText:
    builder = DocumentBuilder()
    for item in items:
        if item.kind == "heading" and item.level <= level:
            builder.start_section(item.text, kind="heading")
            builder.add(BlockKind.HEADING, item.text)
            continue
        if item.kind == "break":
            continue
        if not builder.has_section:
            builder.start_section("Opening", kind="heading")
        kind = BlockKind.HEADING if item.kind == "heading" else BlockKind.PARAGRAPH
        builder.add(kind, item.text)
    parsed = builder.parsed
    parsed.metadata["heading_count"] = sum(1 for item in items if item.kind == "heading")
    return parsed


def _sections_by_grouping(items: list[Item]) -> ParsedText:
    groups: list[list[str]] = [[]]
    group_words = [0]
    for item in items:
        words_so_far = group_words[-1]
        if item.kind == "break":
            # An author's scene break is the best boundary, unless the group is tiny.
            if words_so_far >= MIN_WORDS_FOR_SCENE_BREAK or len(groups[-1]) >= 2:
                groups.append([])
                group_words.append(0)
            continue
        if groups[-1] and (
            words_so_far >= WORDS_PER_GROUP
            or (
                len(groups[-1]) >= PARAGRAPHS_PER_GROUP
                and words_so_far >= MIN_WORDS_FOR_PARAGRAPH_BREAK
            )
        ):
            groups.append([])
            group_words.append(0)
        groups[-1].append(item.text)
        group_words[-1] += word_count(item.text)
    if len(groups) > 1 and not groups[-1]:
        groups.pop()
        group_words.pop()
    # A last paragraph left on its own reads better as the end of the previous section.
    if len(groups) > 1 and len(groups[-1]) < 2 and group_words[-1] < MIN_WORDS_FOR_SCENE_BREAK:
        groups[-2].extend(groups.pop())

    builder = DocumentBuilder()
    for paragraphs in groups:
        if not paragraphs:
            continue
        builder.start_section(_group_title(paragraphs[0]), kind="paragraphs")
        for paragraph in paragraphs:
            builder.add(BlockKind.PARAGRAPH, paragraph)
    parsed = builder.parsed
    parsed.metadata["heading_count"] = 0
    return parsed


def _group_title(paragraph: str) -> str:
    first = sentences(paragraph)
    return shorten((first[0] if first else paragraph).strip("\"“”'\u2018\u2019 "), 8)


def parse_prose(text: str) -> ParsedText:
    title, author, items = prose_items(text)
    parsed = sections_from_items(items)
    parsed.title = title
    parsed.metadata["paragraph_count"] = sum(1 for item in items if item.kind == "paragraph")
    parsed.metadata["scene_break_count"] = sum(1 for item in items if item.kind == "break")
    if author:
        parsed.metadata["author"] = author
    return parsed
