"""The scene breakdown report: one row per scene, who is in it and who speaks (and CSV).

Rows come from the source job's stored Document (sections and blocks), so a screenplay
gives one row per scene with INT/EXT and time of day; other sources give one row per
section with those columns blank. Names go through the universe's current characters
(their names and aliases, hidden ones left out), so merges, splits and renames show up
here at once. Without the source job, each card is a row and its links say who is in it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db.models import Prefetch

from universes.models import Character, Universe
from universes.selectors import character_list_visible
from universes.source_document import NameMatcher, SourceStory, source_story_for

CSV_HEADER = (
    "Scene",
    "Card",
    "Heading",
    "Location",
    "INT/EXT",
    "Time of day",
    "Characters present",
    "Characters speaking",
)


@dataclass(frozen=True)
class SceneRow:
    number: int
    card_day_index: int | None  # the first card that tells this scene
    heading: str
    location: str
    int_ext: str
    time_of_day: str
    characters_present: tuple[str, ...]
    characters_speaking: tuple[str, ...]


def scene_breakdown(*, universe: Universe) -> list[SceneRow]:
    story = source_story_for(universe=universe)
    if story is None or not story.document.sections:
        return _rows_from_cards(universe)
    return _rows_from_story(story, list(character_list_visible(universe=universe)))


def scene_breakdown_csv(rows: list[SceneRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            [
                row.number,
                row.card_day_index or "",
                *map(
                    _inert,
                    [
                        row.heading,
                        row.location,
                        row.int_ext,
                        row.time_of_day,
                        "; ".join(row.characters_present),
                        "; ".join(row.characters_speaking),
                    ],
                ),
            ]
        )
    return out.getvalue()


def _inert(text: str) -> str:
    """Spreadsheets run cells that start like a formula; the text comes from an upload."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rows_from_story(story: SourceStory, characters: list[Character]) -> list[SceneRow]:
    """1. Match each section's blocks against the current names (speakers and mentions).
    2. Characters the text never names as written (an engine may describe someone it
       never quotes by name) fall back on the World's own list of their sections.
    """
    matcher = NameMatcher([(c, [c.name, *c.aliases]) for c in characters])
    blocks_by_section = story.blocks_by_section()
    card_by_section = story.card_by_section()
    present_by_section = {
        section.index: matcher.present(blocks_by_section.get(section.index, []))
        for section in story.document.sections
    }
    _add_world_presence(story, characters, present_by_section)

    rows = []
    for number, section in enumerate(story.document.sections, start=1):
        blocks = blocks_by_section.get(section.index, [])
        rows.append(
            SceneRow(
                number=number,
                card_day_index=card_by_section.get(section.index),
                heading=section.heading or section.title,
                location=section.location,
                int_ext=section.int_ext,
                time_of_day=section.time_of_day,
                characters_present=tuple(c.name for c in present_by_section[section.index]),
                characters_speaking=tuple(c.name for c in matcher.speakers(blocks)),
            )
        )
    return rows


def _add_world_presence(
    story: SourceStory, characters: list[Character], present_by_section: dict
) -> None:
    if story.world is None:
        return
    seen_anywhere = {c.pk for present in present_by_section.values() for c in present}
    by_key = {c.key: c for c in characters}
    for sketch in story.world.characters:
        character = by_key.get(sketch.key)
        if character is None or character.pk in seen_anywhere:
            continue
        for index in sketch.sections:
            present = present_by_section.get(index)
            if present is not None and character not in present:
                present.append(character)


def _rows_from_cards(universe: Universe) -> list[SceneRow]:
    visible = Character.objects.filter(hidden=False)
    cards = (
        universe.cards.select_related("location")
        .prefetch_related(Prefetch("primary_characters", queryset=visible))
        .order_by("day_index")
    )
    return [
        SceneRow(
            number=card.day_index,
            card_day_index=card.day_index,
            heading=card.title,
            location=card.location.name if card.location else "",
            int_ext=card.location.int_ext if card.location else "",
            time_of_day="",
            characters_present=tuple(c.name for c in card.primary_characters.all()),
            characters_speaking=(),
        )
        for card in cards
    ]
