"""The descriptive parts of a card: where and when, the image prompt, the questions.

All of them are templates filled with this card's own facts (its place, time of
day, characters, recurring words, a line somebody asks), so no two cards read
alike and nothing is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transformations.engines.local.lexicon import IMAGE_STYLES, PALETTES
from transformations.engines.local.text import join_names, lower_words, place_phrase
from transformations.ingest.text import sentences, shorten
from transformations.pipeline.types import (
    CardPlan,
    CharacterSketch,
    Document,
    DraftedCard,
    Identity,
    LocationSketch,
    Plan,
    World,
)

_TIME_PHRASES = {
    "DAY": "by day",
    "NIGHT": "at night",
    "MORNING": "in the morning",
    "AFTERNOON": "in the afternoon",
    "EVENING": "in the evening",
    "DUSK": "at dusk",
    "DAWN": "at dawn",
    "SUNSET": "at sunset",
    "SUNRISE": "at sunrise",
}
_LIGHT = {
    "DAY": "soft daylight",
    "NIGHT": "lamplight against deep indigo darkness",
    "MORNING": "clear morning light",
    "AFTERNOON": "warm afternoon light",
    "EVENING": "low evening light",
    "DUSK": "fading golden light",
    "DAWN": "pale dawn light",
}


@dataclass(frozen=True)
class Line:
    """A spoken line with who said it (character key and display name)."""

    key: str
    name: str
    text: str
    position: int
    whole: bool = True  # False for one sentence taken from a longer speech


@dataclass
class CardContext:
    """Everything the templates may mention about one card, gathered once."""

    card: CardPlan
    identity: Identity
    characters: list[CharacterSketch]  # in card order: speakers first
    location: LocationSketch | None
    int_ext: str
    time_of_day: str
    lines: list[Line] = field(default_factory=list)
    beats: list[str] = field(default_factory=list)
    card_keywords: list[str] = field(default_factory=list)
    unlocked: list[str] = field(default_factory=list)
    earlier_at_place: bool = False
    is_last: bool = False
    key_beat: str = ""  # the action sentence the image shows
    primary_keys: list[str] = field(default_factory=list)  # who carries the card

    @property
    def names(self) -> dict[str, str]:
        return {c.key: c.name for c in self.characters}

    @property
    def main_keys(self) -> set[str]:
        return {c.key for c in self.characters if c.tier == "main"}

    @property
    def place_text(self) -> str:
        return place_phrase(self.location.name) if self.location else ""

    @classmethod
    def build(
        cls,
        document: Document,
        world: World,
        identity: Identity,
        plan: Plan,
        card: CardPlan,
        lines: list[Line],
        beats: list[str],
        previous: list[DraftedCard],
    ) -> CardContext:
        by_key = {c.key: c for c in world.characters}
        characters = [by_key[k] for k in card.character_keys if k in by_key]
        location = next((loc for loc in world.locations if loc.key == card.location_key), None)
        sections = [s for s in document.sections if s.index in set(card.sections)]
        first = sections[0] if sections else None
        text_words = {w for line in lines for w in lower_words(line.text)}
        text_words |= {w for beat in beats for w in lower_words(beat)}
        unlocked: list[str] = []
        for earlier in previous:
            unlocked += [k for k in earlier.chat_unlocked_keys if k not in unlocked]
        unlocked += [c.key for c in characters if c.tier == "main" and c.key not in unlocked]
        return cls(
            card=card,
            identity=identity,
            characters=characters,
            location=location,
            int_ext=first.int_ext if first else "",
            time_of_day=first.time_of_day if first else "",
            lines=lines,
            beats=beats,
            card_keywords=[k for k in identity.keywords if k in text_words],
            unlocked=unlocked,
            earlier_at_place=bool(card.location_key)
            and any(p.location_key == card.location_key for p in previous),
            is_last=card.day_index == len(plan.cards),
        )


def _where(context: CardContext) -> str:
    if not context.location:
        return ""
    place = context.place_text
    if context.int_ext == "INT":
        return f"Inside {place}"
    if context.int_ext == "EXT":
        return f"Outside {place}"
    return f"At {place}"


def _when(context: CardContext) -> str:
    return _TIME_PHRASES.get(context.time_of_day, "")


def setting_line(context: CardContext) -> str:
    where, when = _where(context), _when(context)
    if where:
        return f"{where}{', ' + when if when else ''}."
    return f"“{context.card.title}”"


def scene_description(context: CardContext) -> str:
    """Where, when and who, then the place as the text first describes it."""
    who = join_names([c.name for c in context.characters])
    where, when = _where(context), _when(context)
    if where:
        text = f"{where}{', ' + when if when else ''}"
        text += f", with {who}." if who else "."
    elif who:
        text = f"“{context.card.title}”, with {who}."
    else:
        text = f"“{context.card.title}”."
    if context.location and context.location.description:
        text += f" {shorten(context.location.description, 30)}"
    return text


def image_prompt(context: CardContext) -> str:
    """Specific enough to paint: the place and its light, who is there and how they
    look, the moment, the story's mood and palette."""
    parts = []
    if context.location:
        setting = {"INT": "Interior of", "EXT": "Exterior of"}.get(context.int_ext, "Scene at")
        light = _LIGHT.get(context.time_of_day, "natural light")
        parts.append(f"{setting} {context.place_text}, {light}.")
        if context.location.description:
            parts.append(shorten(context.location.description, 30))
    elif context.characters and not context.key_beat:
        about = join_names(context.card_keywords[:2])
        names = join_names([c.name for c in context.characters[:3]])
        parts.append(f"{names} in conversation" + (f" about {about}." if about else "."))
    else:
        parts.append(f"A moment from “{context.card.title}”.")
    for character in context.characters[:3]:
        look = appearance(character)
        if look:
            parts.append(_sentence(f"{character.name}{look}"))
    if context.key_beat:
        parts.append(f"The moment: {shorten(context.key_beat, 30)}")
    tones = context.identity.tone_tags or ["understated"]
    palette = PALETTES.get(tones[0], PALETTES["understated"])
    parts.append(f"Mood: {', '.join(tones)}. Palette: {palette}.")
    parts.append("No text, captions or lettering in the image.")
    return " ".join(parts)


_APPOSITIVE_START_RE = re.compile(
    r"^(?:a|an|the|in|with|wearing|dressed|his|her|their|still|one|two|both|all|older|younger)\b",
    re.IGNORECASE,
)


def appearance(character: CharacterSketch) -> str:
    """What a painter can use from a description: an introduction such as "Marcus (40s),
    a watch repairer in a corduroy jacket, shakes the rain off" gives " (40s): a watch
    repairer in a corduroy jacket"; other descriptions are used shortened."""
    description = character.description
    if not description or description.startswith(("Speaks ", "Mentioned ", "In their own")):
        return ""
    intro = re.match(rf"^{re.escape(character.name)}\s*\(([^)]{{1,20}})\),\s*(.*)$", description)
    if not intro:
        first = sentences(description)[0] if sentences(description) else description
        return f": {shorten(first, 22).rstrip('.')}"
    kept = []
    for segment in intro.group(2).split(", "):
        if not _APPOSITIVE_START_RE.match(segment):
            break
        kept.append(segment.rstrip("."))
    look = ", ".join(kept)
    return f" ({intro.group(1)})" + (f": {shorten(look, 22)}" if look else "")


def _sentence(text: str) -> str:
    return text if text.endswith((".", "…", "!", "?")) else f"{text}."


def image_style(identity: Identity) -> str:
    """One style per story (from its genre), so every card looks like the same book."""
    return IMAGE_STYLES.get(identity.genre, IMAGE_STYLES["drama"])


# Several phrasings per kind of question; the card's day picks one, so a story's
# cards ask in different words while the same card always asks the same thing.
_RELATIONSHIP_QUESTIONS = (
    "What does {a} want from {b} in this moment, and what keeps it unsaid?",
    "How has the way {a} sees {b} shifted by the end of this moment?",
    "If {b} could hear what {a} is thinking here, what would change between them?",
)
_WORD_QUESTIONS = (
    "“{W}” comes up again here. What does it mean to {who} now?",
    "Why does “{w}” matter so much to {who} in this moment?",
    "What would this moment lose for {who} without “{w}”?",
)


def discussion_questions(context: CardContext) -> list[str]:
    """Two or three questions naming this card's people, place and words.

    Candidates are built in a fixed order from what the card has; the starting
    point and the phrasing rotate with the day so consecutive cards differ.
    """
    day = context.card.day_index - 1
    leads = sorted(context.characters, key=lambda c: c.tier != "main")  # stable: main first
    people = [c.name for c in leads]
    lead = people[0] if people else ""
    other = people[1] if len(people) > 1 else ""
    candidates = []
    asked = next((ln for ln in context.lines if ln.text.rstrip().endswith("?")), None)
    if asked is not None:
        listener = next((p for p in people if p != asked.name), "")
        follow = (
            f"What do you think {listener} hears in it?"
            if listener
            else f"Why does {asked.name} need to ask it now?"
        )
        candidates.append(f'{asked.name} asks, "{shorten(asked.text, 20)}" {follow}')
    if lead and other:
        template = _RELATIONSHIP_QUESTIONS[day % len(_RELATIONSHIP_QUESTIONS)]
        candidates.append(template.format(a=lead, b=other))
    if context.card_keywords:
        word = context.card_keywords[day % min(3, len(context.card_keywords))]
        template = _WORD_QUESTIONS[day % len(_WORD_QUESTIONS)]
        candidates.append(template.format(W=word.capitalize(), w=word, who=lead or "the story"))
    if context.location:
        place = context.place_text
        if context.earlier_at_place and lead:
            candidates.append(f"We have been at {place} before. What has changed for {lead} since?")
        else:
            who = join_names(people[:2]) or "the characters"
            candidates.append(
                f"Why might this moment happen at {place}? How does the place shape what {who} do?"
            )
    if context.is_last and lead:
        candidates.append(
            f"Looking back, which earlier moment with {lead} matters most now, and why?"
        )
    if len(candidates) < 2:
        subject = context.card_keywords[0] if context.card_keywords else context.card.title
        candidates.append(f"What does “{subject}” suggest about where the story goes next?")
    start = day % len(candidates)
    return (candidates[start:] + candidates[:start])[:3]
