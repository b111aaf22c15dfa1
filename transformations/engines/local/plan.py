"""Stage 4 for the local engine: one card per scene or section, within sensible bounds.

Story packs keep their cards exactly. Otherwise a document with more than 30
sections has its shortest neighbours merged, and a document with too few
sections has its longest one split at a natural boundary, so every story gives
at least min(3, possible) cards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from transformations.engines.local.cast import CastLookup
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    STORY_KINDS,
    name_regex,
)
from transformations.ingest.text import place_slug, word_count
from transformations.pipeline.types import Block, BlockKind, CardPlan, Document, World

MAX_CARDS = 30
MIN_CARDS = 3
# A card may begin at these blocks; never between a cue and its dialogue.
_CARD_STARTS = frozenset(
    {
        BlockKind.ACTION,
        BlockKind.PARAGRAPH,
        BlockKind.CHARACTER_CUE,
        BlockKind.SPEAKER_TURN,
        BlockKind.SCENE_HEADING,
        BlockKind.HEADING,
    }
)


@dataclass
class Unit:
    """A contiguous run of blocks that becomes one card."""

    start: int
    end: int  # exclusive
    sections: list[int] = field(default_factory=list)
    partial: bool = False  # covers only part of its sections


def card_blocks(document: Document, card: CardPlan) -> list[Block]:
    if card.block_span:
        start, end = card.block_span
        return document.blocks[start:end]
    wanted = set(card.sections)
    return [block for block in document.blocks if block.section in wanted]


def plan_cards(document: Document, world: World, *, hook_pack_count: int) -> list[CardPlan]:
    """`hook_pack_count` does not change the cut: every card must stand on its own,
    hook pack or not. The stage uses it for the release schedule."""
    del hook_pack_count
    units = _section_units(document)
    if document.pack is None:
        sizes = [word_count(block.text) for block in document.blocks]
        units = _merge_short(units, sizes)
        units = _split_long(document, units, sizes)
    lookup = CastLookup(world)
    locations = {location.key: location for location in world.locations}
    titles = _titles(document, units)
    cards = []
    for day_index, (unit, title) in enumerate(zip(units, titles, strict=True), start=1):
        blocks = document.blocks[unit.start : unit.end]
        cards.append(
            CardPlan(
                day_index=day_index,
                title=title,
                sections=unit.sections,
                character_keys=_who_appears(document, unit, blocks, lookup),
                location_key=_where(document, unit, blocks, locations),
                block_span=[unit.start, unit.end] if unit.partial else [],
            )
        )
    return cards


def _section_units(document: Document) -> list[Unit]:
    ranges: dict[int, list[int]] = {}
    for index, block in enumerate(document.blocks):
        ranges.setdefault(block.section, [index, index + 1])[1] = index + 1
    return [Unit(start, end, [section]) for section, (start, end) in sorted(ranges.items())]


def _merge_short(units: list[Unit], sizes: list[int]) -> list[Unit]:
    """Merge the adjacent pair with the fewest words until at most MAX_CARDS remain."""
    units = list(units)
    while len(units) > MAX_CARDS:
        combined = [sum(sizes[units[i].start : units[i + 1].end]) for i in range(len(units) - 1)]
        i = combined.index(min(combined))
        first, second = units[i], units.pop(i + 1)
        units[i] = Unit(first.start, second.end, first.sections + second.sections)
    return units


def _split_long(document: Document, units: list[Unit], sizes: list[int]) -> list[Unit]:
    """Split the longest unit at the boundary nearest its middle until MIN_CARDS exist
    or no unit can be split."""
    units = list(units)
    while len(units) < MIN_CARDS:
        candidates = [
            (sum(sizes[u.start : u.end]), -i, i)
            for i, u in enumerate(units)
            if _boundaries(document, u)
        ]
        if not candidates:
            break
        _, _, i = max(candidates)
        unit = units[i]
        half = sum(sizes[unit.start : unit.end]) / 2
        at = min(
            _boundaries(document, unit),
            key=lambda b: (abs(sum(sizes[unit.start : b]) - half), b),
        )
        left = Unit(unit.start, at, _sections_of(document, unit.start, at), partial=True)
        right = Unit(at, unit.end, _sections_of(document, at, unit.end), partial=True)
        units[i : i + 1] = [left, right]
    return units


def _boundaries(document: Document, unit: Unit) -> list[int]:
    """Block indices where a unit may be cut, leaving story text on both sides."""
    blocks = document.blocks
    found = []
    for at in range(unit.start + 1, unit.end):
        if blocks[at].kind not in _CARD_STARTS:
            continue
        if blocks[at - 1].kind in (BlockKind.HEADING, BlockKind.SCENE_HEADING):
            continue
        before = any(b.kind in STORY_KINDS for b in blocks[unit.start : at])
        after = any(b.kind in STORY_KINDS for b in blocks[at : unit.end])
        if before and after:
            found.append(at)
    return found


def _sections_of(document: Document, start: int, end: int) -> list[int]:
    return sorted({block.section for block in document.blocks[start:end]})


def _titles(document: Document, units: list[Unit]) -> list[str]:
    """Section titles; the parts of a split section are numbered "(part 2 of 3)"."""
    by_index = {section.index: section for section in document.sections}
    base = [by_index[u.sections[0]].title if u.sections else "Untitled" for u in units]
    parts = Counter((b, tuple(u.sections)) for b, u in zip(base, units, strict=True) if u.partial)
    seen: Counter[tuple[str, tuple[int, ...]]] = Counter()
    titles = []
    for title, unit in zip(base, units, strict=True):
        group = (title, tuple(unit.sections))
        if unit.partial and parts[group] > 1:
            seen[group] += 1
            title = f"{title} (part {seen[group]} of {parts[group]})"
        titles.append(title)
    return titles


def _who_appears(document: Document, unit: Unit, blocks: list[Block], lookup: CastLookup):
    """Listed (packs) and speaking characters first, by lines; then those mentioned."""
    order: list[str] = []
    if document.pack is not None:
        for index in unit.sections:
            for name in document.pack.cards[index].characters:
                key = lookup.key_for(name)
                if key and key not in order:
                    order.append(key)
    speaking: Counter[str] = Counter()
    first_line: dict[str, int] = {}
    for position, block in enumerate(blocks):
        if block.kind in SPOKEN_KINDS and (key := lookup.key_for(block.speaker)):
            speaking[key] += 1
            first_line.setdefault(key, position)
    order += [
        k for k in sorted(speaking, key=lambda k: (-speaking[k], first_line[k])) if k not in order
    ]
    text = " ".join(b.text for b in blocks if b.kind in NARRATIVE_KINDS | SPOKEN_KINDS)
    mentioned = lookup.mentioned(text)
    order += [k for k in sorted(mentioned, key=lambda k: (-mentioned[k], k)) if k not in order]
    return order


def _where(document: Document, unit: Unit, blocks: list[Block], locations: dict) -> str:
    by_index = {section.index: section for section in document.sections}
    for index in unit.sections:
        key = place_slug(by_index[index].location) if by_index[index].location else ""
        if key in locations:
            return key
    if document.pack is not None:
        return ""
    text = " ".join(b.text for b in blocks if b.kind in STORY_KINDS)
    counts = Counter()
    for key, location in locations.items():
        pattern = name_regex([location.name, location.name.removeprefix("The ")])
        if pattern:
            counts[key] = len(pattern.findall(text))
    best = sorted(counts, key=lambda k: (-counts[k], k))
    return best[0] if best and counts[best[0]] else ""
