"""Stage 3 for the OpenAI engine: the model's cast and places, anchored to measured ones.

A character the model names is matched to the local engine's character by any
shared name or alias (or a one-word name inside the model's fuller one), and
keeps that character's key, sections, line count and sample lines: measured
facts stay measured. Characters only the model found get sections from the
digests that mention them. The scene breakdown is the local one, re-keyed.
"""

from __future__ import annotations

from transformations.engines.llm.schemas import CharacterAnswer, LocationAnswer, WorldAnswer
from transformations.ingest.text import slugify
from transformations.pipeline.types import (
    CharacterSketch,
    LocationSketch,
    SectionDigest,
    World,
)

# How sure we are of a character or place only the model found (not in the measured cast).
MODEL_ONLY_CONFIDENCE = 0.6


def _forms(name: str, aliases: list[str]) -> set[str]:
    return {form.casefold().strip() for form in (name, *aliases) if form.strip()}


def _match(forms: set[str], candidates: list, taken: set[str]):
    for candidate in candidates:
        if candidate.key in taken:
            continue
        theirs = _forms(candidate.name, candidate.aliases)
        if forms & theirs:
            return candidate
    for candidate in candidates:
        if candidate.key in taken:
            continue
        theirs = _forms(candidate.name, candidate.aliases)
        words = {word for form in forms for word in form.split()}
        if any(" " not in form and form in words for form in theirs):
            return candidate
    return None


def _unique_key(name: str, used: set[str], fallback: str) -> str:
    base = slugify(name) or fallback
    key, n = base, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    used.add(key)
    return key


def _digest_sections(digests: list[SectionDigest], kind: str, forms: set[str]) -> list[int]:
    sections = set()
    for digest in digests:
        if any(entry.name.casefold() in forms for entry in getattr(digest, kind)):
            sections.update(digest.sections)
    return sorted(sections)


def _character(answer: CharacterAnswer, measured, digests, used, taken) -> CharacterSketch:
    aliases = [a.strip() for a in answer.aliases if a.strip() and a.strip() != answer.name]
    if measured is None:
        forms = _forms(answer.name, aliases)
        sections = _digest_sections(digests, "people", forms)
        return CharacterSketch(
            key=_unique_key(answer.name, used, "character"),
            name=answer.name.strip(),
            description=answer.description.strip(),
            aliases=aliases,
            importance=len(sections),
            tier=answer.tier,
            first_section=sections[0] if sections else 0,
            sections=sections,
            secret_info=answer.secret_info.strip(),
            chat_persona=answer.chat_persona.strip(),
            confidence=MODEL_ONLY_CONFIDENCE,
        )
    taken.add(measured.key)
    extra = [form for form in (measured.name, *measured.aliases) if form != answer.name.strip()]
    return measured.model_copy(
        update={
            "name": answer.name.strip(),
            "aliases": list(dict.fromkeys([*aliases, *extra])),
            "description": answer.description.strip() or measured.description,
            "tier": answer.tier,
            "secret_info": answer.secret_info.strip() or measured.secret_info,
            "chat_persona": answer.chat_persona.strip() or measured.chat_persona,
        }
    )


def _location(answer: LocationAnswer, measured, digests, used, taken) -> LocationSketch:
    if measured is None:
        sections = _digest_sections(digests, "places", _forms(answer.name, []))
        return LocationSketch(
            key=_unique_key(answer.name, used, "place"),
            name=answer.name.strip(),
            description=answer.description.strip(),
            int_ext=answer.int_ext,
            sections=sections,
            mentions=len(sections),
            confidence=MODEL_ONLY_CONFIDENCE,
        )
    taken.add(measured.key)
    return measured.model_copy(
        update={
            "name": answer.name.strip(),
            "description": answer.description.strip() or measured.description,
            "int_ext": measured.int_ext or answer.int_ext,
        }
    )


def merge_world(answer: WorldAnswer, measured: World, digests: list[SectionDigest]) -> World:
    # `taken`: measured entries already matched; `used`: every key in use, so a
    # model-only name never takes a measured entry's key.
    taken: set[str] = set()
    used = {c.key for c in measured.characters}
    characters = []
    for proposed in answer.characters:
        if proposed.name.strip():
            match = _match(_forms(proposed.name, proposed.aliases), measured.characters, taken)
            characters.append(_character(proposed, match, digests, used, taken))
    taken = set()
    used = {loc.key for loc in measured.locations}
    locations = []
    for proposed in answer.locations:
        if proposed.name.strip():
            match = _match(_forms(proposed.name, []), measured.locations, taken)
            locations.append(_location(proposed, match, digests, used, taken))
    kept_characters = {c.key for c in characters}
    kept_places = {loc.key for loc in locations}
    scenes = [
        scene.model_copy(
            update={
                "speaking": [k for k in scene.speaking if k in kept_characters],
                "present": [k for k in scene.present if k in kept_characters],
                "location_key": scene.location_key if scene.location_key in kept_places else "",
            }
        )
        for scene in measured.scenes
    ]
    return World(
        characters=characters,
        locations=locations,
        scenes=scenes,
        confidence=measured.confidence,
    )
