"""What each section is for the story: a scene, a shot inside a scene, or furniture.

Cards are cut at scenes, slides, headings and segments, but some sections are not
moments of the story:

- **furniture**: a title page, a play's cast list ("Persons of the Play"), a deck's
  title and closing slides ("Thank you"), an article's title block (subtitle,
  standfirst, byline), the title lines of a transcript. Furniture is folded into
  the neighbouring card and left out of its scene text;
- **shots**: forced headings that are camera directions (`.INSERT - NORA'S LOGBOOK`,
  `.POV THROUGH THE BINOCULARS`, `BACK TO SCENE`). A shot continues the scene before it.

A story section may also start with a few furniture blocks (an article's standfirst
and byline before its lede): `skip` counts them, so the card starts at the story.

Boundaries also differ in strength: a scene heading, a slide, a chapter heading or a
long pause in subtitles is a real break; the segments stage 0 guesses in a speaker
transcript are not, so the plan may merge them to a sensible card length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transformations.engines.local.memo import memoised
from transformations.engines.local.text import SPOKEN_KINDS, STORY_KINDS
from transformations.ingest.text import word_count
from transformations.pipeline.types import Block, BlockKind, Document, SourceType

STORY = "story"
FURNITURE = "furniture"
SHOT = "shot"

MAX_TITLE_PAGE_WORDS = 60  # an opening with fewer story words and no dialogue is a title page
_CLOSING_TITLES = re.compile(
    r"^(?:thank(?:s| you)(?: for .*)?|questions\??|any questions\??|q\s*&\s*a|the end|end|fin"
    r"|credits|contact(?: us)?|references|appendix|about (?:the|this) .*)[.!]?$",
    re.IGNORECASE,
)
_FURNITURE_LINE = re.compile(
    r"^(?:by\s|written by|story by|words by|photo(?:graph)?:|image:|credit:|posted |published "
    r"|updated |\d{1,2}\s+\w+\s+\d{4}|draft|copyright|©|all rights reserved|transcript\b"
    r"|episode\s+\d+|a (?:short )?story\b|an essay\b)",
    re.IGNORECASE,
)
_SOUND_CUE = re.compile(r"^\[[^\]]{1,80}\]$")
_ENDS_LIKE_PROSE = re.compile(r"[.!?…\"”’')]$")


@dataclass(frozen=True)
class SectionRole:
    index: int
    role: str  # story | furniture | shot
    strong: bool = True  # a real break before it (scene, slide, heading, a pause)
    skip: int = 0  # leading furniture blocks inside a story section
    words: int = 0


def classify_sections(document: Document) -> dict[int, SectionRole]:
    return dict(_classify(document))


def furniture_sections(document: Document) -> set[int]:
    return {index for index, role in _classify(document) if role.role == FURNITURE}


def _classify(document: Document) -> tuple[tuple[int, SectionRole], ...]:
    """Computed once per document (several stages ask)."""
    return memoised("sections", document, None, lambda: _compute(document))


def _compute(document: Document) -> tuple[tuple[int, SectionRole], ...]:
    blocks: dict[int, list[Block]] = {}
    for block in document.blocks:
        blocks.setdefault(block.section, []).append(block)
    if document.pack is not None:
        return tuple(
            (s.index, SectionRole(s.index, STORY, words=_words(blocks.get(s.index, []))))
            for s in document.sections
        )
    from transformations.engines.local.places import scene_place

    sections = document.sections
    has_headings = any(s.heading for s in sections)
    timed = any(b.start_ms is not None for b in document.blocks)
    roles = []
    for position, section in enumerate(sections):
        own = blocks.get(section.index, [])
        words = _words(own)
        role, skip = STORY, 0
        if section.kind == "front-matter":
            role = FURNITURE
        elif section.heading and scene_place(section).shot:
            role = SHOT
        elif position == 0 and len(sections) > 1 and not section.heading:
            role, skip = _opening_role(document, own, has_headings)
        elif position == len(sections) - 1 and position > 0 and _closing(section.title, own):
            role = FURNITURE
        if role == STORY and not any(b.kind in STORY_KINDS for b in own[skip:]):
            role = FURNITURE if position == 0 else SHOT  # nothing to read: join a neighbour
        strong = True
        if document.source_type == SourceType.TRANSCRIPT and not timed:
            strong = False  # stage 0 guessed these segments from the talk
        roles.append((section.index, SectionRole(section.index, role, strong, skip, words)))
    if all(role.role != STORY for _, role in roles):
        roles = [
            (index, SectionRole(index, STORY, role.strong, 0, role.words)) for index, role in roles
        ]
    return tuple(roles)


def _opening_role(document: Document, blocks: list[Block], has_headings: bool) -> tuple[str, int]:
    """The first section: a title page or title block, a story section with a title
    block before its first paragraph, or simply the story's beginning."""
    if not blocks:
        return FURNITURE, 0
    if document.source_type == SourceType.PPTX:
        title = blocks[0].text if blocks[0].kind == BlockKind.SLIDE_TITLE else ""
        if _same_title(title, document.title) or _words(blocks) <= 40:
            return FURNITURE, 0
        return STORY, 0
    spoken = any(b.kind in SPOKEN_KINDS for b in blocks)
    if document.source_type == SourceType.TRANSCRIPT or any(
        b.kind == BlockKind.SPEAKER_TURN for b in document.blocks
    ):
        # Title lines before the first speaker: furniture (a sound cue right before the
        # talk opens the first segment, so it stays with it when that is this section).
        return (
            (STORY, 0)
            if any(b.kind == BlockKind.SPEAKER_TURN for b in blocks)
            else (
                FURNITURE,
                0,
            )
        )
    if has_headings and document.source_type == SourceType.SCRIPT:
        if spoken:
            return STORY, 0
        return (FURNITURE, 0) if _words(blocks) < MAX_TITLE_PAGE_WORDS else (STORY, 0)
    skip = 0
    for block in blocks:
        if not _is_title_block(block, document.title):
            break
        skip += 1
    rest = blocks[skip:]
    if not rest or (not spoken and _words(rest) < MAX_TITLE_PAGE_WORDS and len(rest) <= 2):
        return FURNITURE, 0
    return STORY, skip


def _is_title_block(block: Block, title: str) -> bool:
    text = block.text.strip()
    if block.kind in (BlockKind.HEADING, BlockKind.SLIDE_TITLE):
        return _same_title(text, title)
    if block.kind not in (BlockKind.PARAGRAPH, BlockKind.ACTION):
        return False
    if _same_title(text, title) or _FURNITURE_LINE.match(text):
        return True
    # A subtitle or standfirst: one line without the full stop a paragraph ends with.
    return word_count(text) <= 40 and not _ENDS_LIKE_PROSE.search(text)


def _closing(title: str, blocks: list[Block]) -> bool:
    heading = title.strip()
    return bool(_CLOSING_TITLES.match(heading)) and _words(blocks) <= 60


def _same_title(text: str, title: str) -> bool:
    def norm(value: str) -> str:
        return re.sub(r"[^a-z0-9]+", " ", value.lower()).strip()

    return bool(text.strip()) and bool(title.strip()) and norm(text) == norm(title)


def _words(blocks: list[Block]) -> int:
    return sum(word_count(b.text) for b in blocks if b.kind in STORY_KINDS)


def is_sound_cue(block: Block) -> bool:
    return bool(_SOUND_CUE.match(block.text.strip()))
