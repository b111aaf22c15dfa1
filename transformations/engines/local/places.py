"""Locations: scene headings in scripts, pack locations in packs, place phrases in prose.

Script locations merge by key, the place name without a leading "The"
("INT. COFFEE SHOP - DAY" and "EXT. COFFEE SHOP - NIGHT" are one location,
key "coffee-shop"). The displayed name is the form the headings use most, so it
starts with "The" only when the writer's headings do.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from transformations.engines.local.lexicon import CALENDAR_WORDS, STOPWORDS
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    STORY_KINDS,
    blocks_by_section,
    name_regex,
    ranked,
    sentence_with,
)
from transformations.ingest.screenplay import PLACE_WORDS
from transformations.ingest.text import place_slug, readable, sentences, shorten, word_set
from transformations.pipeline.types import Document, LocationSketch

MIN_PLACE_MENTIONS = 2
# First words that make a capitalised phrase a place name by themselves ("Port Merrow").
_PLACE_PREFIXES = word_set("port mount mt lake fort cape isle glen loch saint st new north south")
_PLACE_SUFFIXES = PLACE_WORDS | word_set(
    """square hotel inn tower castle river lake mountain mountains palace museum cathedral
    college university bay island village town city manor farm gardens woods hill hills
    valley coast port airport cemetery prison temple abbey court lane"""
)
_PLACE_PHRASE_RE = re.compile(
    r"\b(?:in|at|to|from|into|inside|outside|near|toward|towards|across|through|past|reached"
    r"|entered|left|visited|over|around|along|beyond)\s+(the\s+)?([A-Z][\w'\u2019-]+(?:\s+(?:of\s+(?:the\s+)?)?"
    r"[A-Z][\w'\u2019-]+){0,3})"
)


def sketch_locations(document: Document, character_forms: list[str]) -> list[LocationSketch]:
    if document.pack is not None:
        return _pack_locations(document)
    if any(section.location for section in document.sections):
        return _heading_locations(document)
    return _phrase_locations(document, character_forms)


def _heading_locations(document: Document) -> list[LocationSketch]:
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    sections: dict[str, list[int]] = defaultdict(list)
    settings: dict[str, set[str]] = defaultdict(set)
    for section in document.sections:
        if not section.location:
            continue
        key = place_slug(section.location)
        forms[key][section.location] += 1
        sections[key].append(section.index)
        if section.int_ext:
            settings[key].update(section.int_ext.split("/"))
    grouped = blocks_by_section(document)
    display = _display_names(document)
    locations = []
    for key, counter in forms.items():
        first_seen = {form: i for i, form in enumerate(counter)}
        name = ranked(counter, tiebreak=first_seen)[0]
        first_action = next(
            (b.text for b in grouped[sections[key][0]] if b.kind in NARRATIVE_KINDS), ""
        )
        locations.append(
            LocationSketch(
                key=key,
                name=name,
                description=_opening_description(first_action, display),
                int_ext="/".join(s for s in ("INT", "EXT") if s in settings[key]),
                sections=sections[key],
            )
        )
    return sorted(locations, key=lambda location: location.sections[0])


def _opening_description(text: str, display: dict[str, str]) -> str:
    """The first sentences of a scene's first action line: how the writer sets the place."""
    chosen: list[str] = []
    for sentence in sentences(text):
        chosen.append(sentence)
        if len(" ".join(chosen).split()) >= 12 or len(chosen) == 2:
            break
    description = shorten(" ".join(chosen), 45)
    for upper, name in display.items():
        description = re.sub(rf"(?<![\w']){re.escape(upper)}(?!\w)", name, description)
    return description


def _display_names(document: Document) -> dict[str, str]:
    speakers = sorted({b.speaker for b in document.blocks if b.speaker}, key=lambda s: (-len(s), s))
    # Longest first, so "ELENA ROSS" is replaced before "ELENA".
    return {speaker.upper(): readable(speaker) for speaker in speakers if speaker.isupper()}


def _pack_locations(document: Document) -> list[LocationSketch]:
    assert document.pack is not None
    locations = []
    for location in document.pack.locations:
        key = place_slug(location.name)
        cards = [
            index
            for index, card in enumerate(document.pack.cards)
            if card.location and place_slug(card.location) == key
        ]
        locations.append(
            LocationSketch(
                key=key, name=location.name, description=location.description, sections=cards
            )
        )
    return locations


def _phrase_locations(document: Document, character_forms: list[str]) -> list[LocationSketch]:
    """Capitalised places after prepositions ("at the Blue Door Café", "to Lisbon")."""
    people = {form.lower() for form in character_forms}
    counts: Counter[str] = Counter()
    with_article: Counter[str] = Counter()
    for block in document.blocks:
        if block.kind not in STORY_KINDS:
            continue
        for match in _PLACE_PHRASE_RE.finditer(block.text):
            phrase = re.sub(r"['\u2019]s$", "", match.group(2)).strip()
            if not _plausible_place(phrase, people):
                continue
            counts[phrase] += 1
            with_article[phrase] += int(bool(match.group(1)))
    kept = [
        phrase
        for phrase in ranked(counts)
        if counts[phrase] >= MIN_PLACE_MENTIONS
        or phrase.split()[-1].lower() in _PLACE_SUFFIXES
        or (len(phrase.split()) > 1 and phrase.split()[0].lower() in _PLACE_PREFIXES)
    ]
    grouped = blocks_by_section(document)
    locations: dict[str, LocationSketch] = {}
    for phrase in kept:
        name = f"The {phrase}" if with_article[phrase] * 2 > counts[phrase] else phrase
        key = place_slug(name)
        pattern = name_regex([phrase])
        if key in locations or pattern is None:
            continue
        sections = [
            index
            for index, blocks in sorted(grouped.items())
            if any(pattern.search(b.text) for b in blocks if b.kind in STORY_KINDS)
        ]
        described = next(
            (
                sentence_with(b.text, pattern)
                for b in document.blocks
                if b.kind in NARRATIVE_KINDS and pattern.search(b.text)
            ),
            "",
        )
        locations[key] = LocationSketch(
            key=key, name=name, description=shorten(described, 40), sections=sections
        )
    return sorted(locations.values(), key=lambda loc: (loc.sections[:1] or [0])[0])


def _plausible_place(phrase: str, people: set[str]) -> bool:
    tokens = phrase.lower().split()
    if not tokens or phrase.lower() in people or tokens[0] in people:
        return False
    if tokens[0] in STOPWORDS or tokens[0] in CALENDAR_WORDS or tokens[0] == "i":
        return False
    return not all(token in CALENDAR_WORDS | STOPWORDS for token in tokens)
