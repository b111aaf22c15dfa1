"""The descriptive parts of a card: where and when, the image prompt, the questions.

All of them are templates filled with this card's own facts (its place, time of
day, characters, recurring words, a line somebody asks), so no two cards read
alike and nothing is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transformations.engines.local.lexicon import IMAGE_STYLES, PALETTES
from transformations.engines.local.memo import tokens
from transformations.engines.local.text import join_names, lower_words, place_phrase
from transformations.ingest.text import sentences, shorten
from transformations.pipeline.types import (
    CardPlan,
    CharacterSketch,
    Document,
    DraftedCard,
    Identity,
    ImagePrompt,
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
        wanted = set(card.sections)
        sections = [s for s in document.sections if s.index in wanted]
        int_ext, time_of_day = _when_and_how(document, sections)
        text_words: set[str] = set()
        for text in [*(line.text for line in lines), *beats]:
            text_words |= tokens(text)
        unlocked: list[str] = []
        for earlier in previous:
            unlocked += [k for k in earlier.chat_unlocked_keys if k not in unlocked]
        unlocked += [c.key for c in characters if c.tier == "main" and c.key not in unlocked]
        return cls(
            card=card,
            identity=identity,
            characters=characters,
            location=location,
            int_ext=int_ext,
            time_of_day=time_of_day,
            lines=lines,
            beats=beats,
            card_keywords=[k for k in identity.keywords if k in text_words],
            unlocked=unlocked,
            earlier_at_place=bool(card.location_key)
            and any(p.location_key == card.location_key for p in previous),
            is_last=card.day_index == len(plan.cards),
        )


def _when_and_how(document: Document, sections: list) -> tuple[str, str]:
    """INT/EXT and time of day of the card's first scene (not its title page or a shot)."""
    from transformations.engines.local.places import scene_place

    for section in sections:
        place = scene_place(section)
        if place.key:
            return place.int_ext, place.time_of_day
    first = sections[0] if sections else None
    return (first.int_ext, first.time_of_day) if first else ("", "")


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
    description = context.location.description if context.location else ""
    if description:
        text += f" {shorten(description, 30)}"
    if context.key_beat and context.key_beat not in description:
        text += f" {_sentence(shorten(context.key_beat, 30))}"
    return text


def image_prompt_parts(context: CardContext) -> ImagePrompt:
    """The image prompt as parts: who and what (subject), where and in what light
    (setting), the story's mood, its palette and the book's style."""
    if context.location:
        frame = {"INT": "Interior of", "EXT": "Exterior of"}.get(context.int_ext, "Scene at")
        light = _LIGHT.get(context.time_of_day, "natural light")
        setting = f"{frame} {context.place_text}, {light}."
        if context.location.description:
            setting += f" {_sentence(shorten(context.location.description, 30))}"
    else:
        light = _LIGHT.get(context.time_of_day, "natural light")
        setting = f"A setting from “{context.card.title}”, {light}."
    subject_parts = []
    for character in context.characters[:3]:
        look = appearance(character)
        subject_parts.append(_sentence(f"{character.name}{look}") if look else "")
    subject_parts = [part for part in subject_parts if part]
    if context.key_beat:
        subject_parts.append(f"The moment: {_sentence(shorten(context.key_beat, 30))}")
    elif context.characters:
        about = join_names(context.card_keywords[:2])
        names = join_names([c.name for c in context.characters[:3]])
        subject_parts.append(f"{names} in conversation" + (f" about {about}." if about else "."))
    else:
        subject_parts.append(f"A moment from “{context.card.title}”.")
    tones = context.identity.tone_tags or ["understated"]
    return ImagePrompt(
        subject=" ".join(subject_parts),
        setting=setting,
        mood=", ".join(tones),
        palette=PALETTES.get(tones[0], PALETTES["understated"]),
        style=image_style(context.identity),
    )


def image_prompt(context: CardContext, parts: ImagePrompt | None = None) -> str:
    """Specific enough to paint: the place and its light, who is there and how they
    look, the moment, the story's mood and palette."""
    return image_prompt_text(parts or image_prompt_parts(context))


def image_prompt_text(parts: ImagePrompt) -> str:
    """The parts as one prompt an image model can take."""
    return (
        f"{parts.setting} {parts.subject} Mood: {parts.mood}. Palette: {parts.palette}. "
        f"Style: {parts.style}. No text, captions or lettering in the image."
    )


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


_MOMENT_QUESTIONS = (
    "“{beat}” What does that moment tell us about {who}?",
    "“{beat}” Why do you think it happens at {place}, and not somewhere else?",
    "“{beat}” What would you have done in {who}'s place?",
)


def _beat_for_question(context: CardContext) -> str:
    """The key beat, quoted whole when it is a short sentence that names someone here."""
    beat = context.key_beat.strip()
    if not beat or len(beat.split()) > 28:
        return ""
    return beat if beat.endswith((".", "!", "?", "…")) else f"{beat}."


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
    beat = _beat_for_question(context)
    if beat and (lead or context.location):
        usable = [
            t
            for t in _MOMENT_QUESTIONS
            if ("{place}" not in t or context.location) and ("{who}" not in t or lead)
        ]
        template = usable[day % len(usable)]
        beat_words = set(lower_words(beat))
        actor = next(
            (c.name for c in leads if set(lower_words(c.name)) & beat_words), lead
        )  # the question asks about whoever the moment shows
        candidates.append(template.format(beat=beat, who=actor, place=context.place_text))
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
