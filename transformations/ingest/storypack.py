"""Story packs: a story whose cards the creator has already written.

A pack is one JSON object (UTF-8), documented for creators in docs/STORY_PACK.md:

    {
      "format": "storyengine.pack/v1",          recommended; other versions are refused
      "title": "Time Spent",                    required
      "logline": "One sentence about the story",
      "sourceType": "script",                   optional: what the pack was made from
      "characters": [{"name": "Elena", "description": "...", "secretInfo": "..."}],
      "locations":  [{"name": "The Coffee Shop", "description": "..."}],
      "cards": [                                required, at least one
        {"title": "...", "sceneText": "...",    both required
         "location": "The Coffee Shop",         must name a pack location
         "characters": ["Elena", "Marcus"],     must name pack characters
         "captions": ["..."], "recapText": "...", "discussionQuestions": ["..."]}
      ]
    }

Every card becomes one section (kind "card") so the pipeline keeps the creator's
card boundaries; its scene text becomes paragraph blocks. Unknown fields are
ignored, so packs written for a later minor version still load. Errors name the
exact field ("cards[2].sceneText") so the creator can fix the file.
"""

from __future__ import annotations

import json
import re
from typing import Any

from transformations.ingest.builder import DocumentBuilder, ParsedText
from transformations.ingest.prose import split_paragraphs
from transformations.ingest.text import collapse_spaces, place_slug
from transformations.pipeline.errors import IngestError
from transformations.pipeline.types import (
    BlockKind,
    PackCard,
    PackCharacter,
    PackLocation,
    SourceType,
    StoryPack,
)

PACK_FORMAT = "storyengine.pack/v1"
PACK_FORMAT_PREFIX = "storyengine.pack"


def looks_like_pack(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    declared = value.get("format")
    if isinstance(declared, str) and declared.startswith(PACK_FORMAT_PREFIX):
        return True
    return isinstance(value.get("cards"), list)


def pack_source_type(value: dict[str, Any]) -> SourceType:
    """Packs made from a screenplay say so; every other pack reads as an article."""
    return SourceType.SCRIPT if value.get("sourceType") == "script" else SourceType.ARTICLE


def _invalid(field: str, problem: str) -> IngestError:
    return IngestError(
        f"This story pack has a problem in “{field}”: {problem} "
        "Fix that field and upload the pack again (see the story pack guide).",
        code="INVALID_STORY_PACK",
        dev_message=f"invalid story pack: {field}: {problem}",
    )


def load_pack_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except RecursionError as error:
        raise IngestError(
            "This story pack nests lists or objects far too deeply to be a real pack. "
            "Check the file, or export it again.",
            code="INVALID_STORY_PACK",
            dev_message="RecursionError while decoding the pack JSON",
        ) from error
    except json.JSONDecodeError as error:
        raise IngestError(
            f"This story pack is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg.lower()}). Check for a missing comma or quote near that spot.",
            code="INVALID_STORY_PACK",
            dev_message=f"JSONDecodeError: {error}",
        ) from error
    if not isinstance(value, dict):
        raise _invalid("(top level)", "a story pack must be a JSON object { … }.")
    return value


def parse_story_pack(text: str, *, max_cards: int) -> tuple[ParsedText, StoryPack, SourceType]:
    value = load_pack_json(text)
    declared = value.get("format", PACK_FORMAT)
    if declared != PACK_FORMAT:
        raise _invalid("format", f"expected “{PACK_FORMAT}”, found “{declared}”.")
    source = value.get("sourceType", "")
    if not isinstance(source, str):
        raise _invalid("sourceType", "must be text such as “script” or “article”.")
    pack = StoryPack(
        title=_text(value, "title", "title", required=True),
        logline=_text(value, "logline", "logline"),
        characters=[_character(x, f"characters[{i}]") for i, x in _items(value, "characters")],
        locations=[_location(x, f"locations[{i}]") for i, x in _items(value, "locations")],
        cards=[_card(x, f"cards[{i}]") for i, x in _items(value, "cards")],
    )
    if not pack.cards:
        raise _invalid("cards", "a story pack needs at least one card.")
    if len(pack.cards) > max_cards:
        raise _invalid("cards", f"a story pack can have at most {max_cards} cards.")
    _check_unique(pack)
    _check_references(pack)
    return _as_document(pack), pack, pack_source_type(value)


def _items(value: dict[str, Any], field: str) -> list[tuple[int, Any]]:
    items = value.get(field, [])
    if not isinstance(items, list):
        raise _invalid(field, "must be a list [ … ].")
    return list(enumerate(items))


def _text(value: Any, key: str, where: str, *, required: bool = False) -> str:
    found = value.get(key, "")
    if found is None:
        found = ""
    if not isinstance(found, str):
        raise _invalid(where, "must be text in quotes.")
    found = found.strip()
    if required and not found:
        raise _invalid(where, "is missing or empty.")
    return found


def _texts(value: dict[str, Any], key: str, where: str) -> list[str]:
    found = value.get(key, [])
    if not isinstance(found, list) or not all(isinstance(item, str) for item in found):
        raise _invalid(where, "must be a list of texts in quotes.")
    return [collapse_spaces(item) for item in found if item.strip()]


def _object(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _invalid(where, "must be an object { … }.")
    return item


def _character(item: Any, where: str) -> PackCharacter:
    item = _object(item, where)
    return PackCharacter(
        name=collapse_spaces(_text(item, "name", f"{where}.name", required=True)),
        description=_text(item, "description", f"{where}.description"),
        secret_info=_text(item, "secretInfo", f"{where}.secretInfo"),
    )


def _location(item: Any, where: str) -> PackLocation:
    item = _object(item, where)
    return PackLocation(
        name=collapse_spaces(_text(item, "name", f"{where}.name", required=True)),
        description=_text(item, "description", f"{where}.description"),
    )


def _card(item: Any, where: str) -> PackCard:
    item = _object(item, where)
    return PackCard(
        title=collapse_spaces(_text(item, "title", f"{where}.title", required=True)),
        scene_text=_text(item, "sceneText", f"{where}.sceneText", required=True),
        location=collapse_spaces(_text(item, "location", f"{where}.location")),
        characters=_texts(item, "characters", f"{where}.characters"),
        captions=_texts(item, "captions", f"{where}.captions"),
        recap_text=collapse_spaces(_text(item, "recapText", f"{where}.recapText")),
        discussion_questions=_texts(item, "discussionQuestions", f"{where}.discussionQuestions"),
    )


def _check_unique(pack: StoryPack) -> None:
    seen: dict[str, int] = {}
    for index, character in enumerate(pack.characters):
        key = character.name.lower()
        if key in seen:
            raise _invalid(
                f"characters[{index}].name",
                f"“{character.name}” is already listed as characters[{seen[key]}].",
            )
        seen[key] = index


def _check_references(pack: StoryPack) -> None:
    """Card references must match listed names (case and a leading "The" aside), so a
    typo such as "Marcos" is caught instead of creating a phantom character."""
    characters = {c.name.lower() for c in pack.characters}
    places = {place_slug(location.name) for location in pack.locations}
    for index, card in enumerate(pack.cards):
        for name in card.characters:
            if name.lower() not in characters:
                known = ", ".join(c.name for c in pack.characters) or "none listed"
                raise _invalid(
                    f"cards[{index}].characters",
                    f"“{name}” is not in the pack's characters (known: {known}).",
                )
        if card.location and place_slug(card.location) not in places:
            known = ", ".join(location.name for location in pack.locations) or "none listed"
            raise _invalid(
                f"cards[{index}].location",
                f"“{card.location}” is not in the pack's locations (known: {known}).",
            )


def _as_document(pack: StoryPack) -> ParsedText:
    names = {place_slug(location.name): location.name for location in pack.locations}
    builder = DocumentBuilder()
    for card in pack.cards:
        builder.start_section(
            card.title, kind="card", location=names.get(place_slug(card.location), "")
        )
        for lines in split_paragraphs(card.scene_text):
            builder.add(BlockKind.PARAGRAPH, re.sub(r"\s+", " ", " ".join(lines)))
    parsed = builder.parsed
    parsed.title = pack.title
    parsed.metadata.update(
        {
            "card_count": len(pack.cards),
            "pack_character_count": len(pack.characters),
            "pack_location_count": len(pack.locations),
        }
    )
    return parsed
