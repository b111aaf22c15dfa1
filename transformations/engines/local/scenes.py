"""The per-scene breakdown kept in the World: where, when, who speaks, who is present.

One row per section of the document, in order (a production "one-liner"):
the location key (a shot such as INSERT or POV stays at the place of the scene it
interrupts), INT/EXT and time of day from the heading, the characters who speak
(by lines) and those present (speakers first, then those named in the action or
narration), the words of story text, and whether the section is story at all
(title pages, cast lists and closing slides are not).
"""

from __future__ import annotations

import re
from collections import Counter

from transformations.engines.local.cast import CastLookup
from transformations.engines.local.memo import lookup_for, mentions_for
from transformations.engines.local.places import scene_place
from transformations.engines.local.segments import FURNITURE, classify_sections
from transformations.engines.local.text import NARRATIVE_KINDS, SPOKEN_KINDS, STORY_KINDS
from transformations.ingest.text import word_count
from transformations.pipeline.types import (
    Block,
    BlockKind,
    Document,
    LocationSketch,
    SceneBreakdown,
    World,
)

_TITLE_KINDS = frozenset({BlockKind.HEADING, BlockKind.SLIDE_TITLE})


def scene_breakdown(document: Document, world: World) -> list[SceneBreakdown]:
    lookup = lookup_for(world)
    mentions = mentions_for(world)
    roles = classify_sections(document)
    known = {location.key for location in world.locations}
    by_section: dict[int, list[Block]] = {}
    for block in document.blocks:
        by_section.setdefault(block.section, []).append(block)
    patterns = _location_patterns(world.locations)
    rows = []
    last = ("", "", "")  # location, int/ext, time of the last real scene
    for section in document.sections:
        blocks = by_section.get(section.index, [])
        place = scene_place(section)
        if place.shot:
            location_key, int_ext, time_of_day = last
        elif place.key:
            location_key = place.key if place.key in known else ""
            int_ext, time_of_day = place.int_ext, place.time_of_day
            last = (location_key, int_ext, time_of_day)
        else:
            location_key = _most_named(blocks, patterns)
            int_ext, time_of_day = section.int_ext, section.time_of_day
        speaking = _speakers(blocks, lookup)
        named = mentions.count(
            " ".join(b.text for b in blocks if b.kind in NARRATIVE_KINDS or b.kind in _TITLE_KINDS)
        )
        present = speaking + [
            k for k in sorted(named, key=lambda k: (-named[k], k)) if k not in speaking
        ]
        role = roles.get(section.index)
        rows.append(
            SceneBreakdown(
                section=section.index,
                title=section.title,
                heading=section.heading,
                location_key=location_key,
                int_ext=int_ext,
                time_of_day=time_of_day,
                speaking=speaking,
                present=present,
                words=sum(word_count(b.text) for b in blocks if b.kind in STORY_KINDS),
                is_story=role is None or role.role != FURNITURE,
            )
        )
    return rows


def _speakers(blocks: list[Block], lookup: CastLookup) -> list[str]:
    lines: Counter[str] = Counter()
    first: dict[str, int] = {}
    for position, block in enumerate(blocks):
        if block.kind in SPOKEN_KINDS and (key := lookup.key_for(block.speaker)):
            lines[key] += 1
            first.setdefault(key, position)
    return sorted(lines, key=lambda k: (-lines[k], first[k]))


def _location_patterns(locations: list[LocationSketch]) -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for location in locations:
        forms = {location.name, location.name.removeprefix("The "), *location.aliases}
        forms = {f for f in forms if len(f) > 2}
        if not forms:
            continue
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        pattern = re.compile(
            r"(?<![\w'])(?:" + "|".join(re.escape(f) for f in ordered) + r")(?!\w)"
        )
        out.append((location.key, pattern))
    return out


def _most_named(blocks: list[Block], patterns: list[tuple[str, re.Pattern[str]]]) -> str:
    """Prose has no headings: the section is where it names a location most."""
    text = " ".join(b.text for b in blocks if b.kind in STORY_KINDS or b.kind in _TITLE_KINDS)
    if not text:
        return ""
    counts = {key: len(pattern.findall(text)) for key, pattern in patterns}
    best = sorted((k for k in counts if counts[k]), key=lambda k: (-counts[k], k))
    return best[0] if best else ""
