"""Character sketches: keys, descriptions, private chat personas and implied secrets.

Everything is drawn from the text: the action line that introduces someone, the
lines they speak, the stage directions on those lines. `chat_persona` and
`secret_info` are private (they steer chat); artifacts never publish them.
"""

from __future__ import annotations

import re
from collections import Counter
from statistics import mean

from transformations.engines.local.cast import CastMember, assign_tiers
from transformations.engines.local.lexicon import CONFESSION_MARKERS, HONORIFICS, ROLE_WORDS
from transformations.engines.local.memo import cast_for
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    content_words,
    join_names,
    lower_words,
    name_regex,
    place_phrase,
    ranked,
    sentence_with,
    size_word,
)
from transformations.ingest.text import sentences, shorten, slugify, words
from transformations.pipeline.types import CharacterSketch, Document, Identity

MAX_SAMPLE_LINES = 4
_SELF_INTRO_RE = re.compile(
    r"\b(?:I'm an? |I am an? |my name is |I work |I've been |I have been |I grew up )", re.I
)


def character_key_base(name: str) -> str:
    """Lower-case slug of the first name: "Elena Vargas" -> "elena", "Mrs. Abernathy" ->
    "abernathy", "The Glazier" -> "glazier". A role ("Old Man", "Customer 2") keeps its
    whole name: "old-man"."""
    tokens = [t for t in re.split(r"\s+", re.sub(r"^the\s+", "", name.strip(), flags=re.I)) if t]
    lowered = [t.lower().strip(".#") for t in tokens]
    titled = len(tokens) > 1 and lowered[0] in HONORIFICS  # "Doctor Singh" is "singh"
    if not titled and any(token in ROLE_WORDS for token in lowered):
        return slugify(name) or "character"
    named = [t for t, low in zip(tokens, lowered, strict=True) if low not in HONORIFICS]
    return slugify((named or tokens)[0]) or slugify(name) or "character"


def sketch_characters(document: Document, identity: Identity) -> list[CharacterSketch]:
    cast = cast_for(document)  # computed once per document, shared with stages 1 and 2
    if not cast:
        return []
    tiers = assign_tiers(cast)
    keys = _unique_keys(cast)
    display = {form.upper(): m.name for m in cast for form in [m.name, *m.aliases]}
    spoken_order = [
        (b.section, b.speaker.upper(), b.text) for b in document.blocks if b.kind in SPOKEN_KINDS
    ]
    # Names and place names say nothing about how someone talks.
    name_words = frozenset(w for m in cast for form in m.aliases for w in lower_words(form))
    name_words |= {w for section in document.sections for w in lower_words(section.location)}
    places = {section.index: section.location for section in document.sections}

    sketches = []
    for member in cast:
        sketches.append(
            CharacterSketch(
                key=keys[id(member)],
                name=member.name,
                description=member.description or _describe(document, member, display),
                aliases=list(
                    dict.fromkeys(a for a in member.aliases if a.lower() != member.name.lower())
                ),
                importance=member.importance,
                tier=tiers[id(member)],
                first_section=member.sections[0] if member.sections else 0,
                sections=member.sections,
                secret_info=member.secret_info or _implied_secret(member, spoken_order),
                chat_persona=_persona(member, name_words, places),
                sample_lines=_sample_lines(member, identity.keywords),
                confidence=member.confidence,
            )
        )
    if document.pack is None:
        # Main characters first, each tier by importance; packs keep the creator's order.
        score = {s.key: len(s.sections) * max(s.importance, 1) for s in sketches}
        sketches.sort(key=lambda s: (s.tier != "main", -score[s.key], s.first_section))
    return sketches


def _unique_keys(cast: list[CastMember]) -> dict[int, str]:
    """The more important of two Elenas keeps "elena"; the other becomes "elena-2"."""
    keys: dict[int, str] = {}
    used: set[str] = set()
    for member in sorted(cast, key=lambda m: (-m.importance, m.first_seen)):
        base = character_key_base(member.name)
        key, number = base, 1
        while key in used:
            number += 1
            key = f"{base}-{number}"
        used.add(key)
        keys[id(member)] = key
    return keys


def _describe(document: Document, member: CastMember, display: dict[str, str]) -> str:
    """The sentence that introduces them ("ELENA (30s), a barista ..."), else the first
    narrative sentence naming them, else what they say about themselves."""
    pattern = name_regex(member.aliases)
    narrative = [b.text for b in document.blocks if b.kind in NARRATIVE_KINDS]
    if pattern:
        upper_forms = "|".join(re.escape(a.upper()) for a in member.aliases)
        intro = re.compile(rf"(?<![\w'])(?:{upper_forms})(?=\s*[(,])")
        for text in narrative:
            found = sentence_with(text, intro)
            if found:
                return _display_names(found, display)
        for text in narrative:
            found = sentence_with(text, pattern)
            if found:
                return _display_names(shorten(found, 40), display)
    for _, line in member.lines:
        for sentence in sentences(line):
            if _SELF_INTRO_RE.search(sentence):
                return f"In their own words: “{shorten(sentence, 30)}”"
    if member.lines:
        scenes = len(member.spoken_sections)
        where = "scene" if document.source_type.value == "script" else "section"
        return (
            f"Speaks {len(member.lines)} times in {scenes} {where}{'s' if scenes != 1 else ''}, "
            f"first saying “{shorten(member.lines[0][1], 20)}”"
        )
    return f"Mentioned {member.importance} times in the story."


def _display_names(text: str, display: dict[str, str]) -> str:
    """Screenplay intros shout names ("ELENA (30s)"); descriptions use the display form."""
    for upper in sorted(display, key=len, reverse=True):
        text = re.sub(rf"(?<![\w']){re.escape(upper)}(?![\w])", display[upper], text)
    return text


def _persona(member: CastMember, name_words: frozenset[str], places: dict[int, str]) -> str:
    """How this character talks, measured from their lines; private chat guidance."""
    lines = [text for _, text in member.lines]
    # Where they are, weighted by what they do there: lines spoken and mentions.
    where: Counter[str] = Counter()
    for section, _ in member.lines:
        where[places.get(section, "")] += 1
    for section, count in member.mentions.items():
        where[places.get(section, "")] += count
    where.pop("", None)
    settings = join_names([place_phrase(p) for p in ranked(where)[:2]])
    if not lines:
        found = f" Found at {settings}." if settings else ""
        return f"{member.name} is never quoted directly; speak sparingly and in kind.{found}"
    average = mean(len(words(line)) for line in lines)
    questions = sum(1 for line in lines if "?" in line)
    exclamations = sum(1 for line in lines if "!" in line)
    favourite = ranked(Counter(content_words(" ".join(lines), name_words)))[:4]
    parts = [
        f"{member.name} speaks in {size_word(average, short=8, long=18)} lines "
        f"(about {average:.0f} words each) across {len(lines)} lines of dialogue.",
        f"Asks questions in {questions} of {len(lines)} lines; "
        f"exclaims {'often' if exclamations * 4 > len(lines) else 'rarely'}.",
    ]
    if favourite:
        parts.append(f"Returns to the words {join_names(favourite)}.")
    directions = list(dict.fromkeys(d.lower() for d in member.directions))[:3]
    if directions:
        parts.append(f"Delivery notes from the text: {', '.join(directions)}.")
    # The first line of the most common "full" length: long enough to show a voice.
    typical = max(enumerate(lines), key=lambda item: (min(len(words(item[1])), 20), -item[0]))[1]
    parts.append(f"Typical line: “{shorten(typical, 30)}”")
    if settings:
        parts.append(f"Mostly found at {settings}.")
    return " ".join(parts)


def _implied_secret(member: CastMember, spoken: list[tuple[int, str, str]]) -> str:
    """What the text implies but the character never resolves: a confession, a
    question left hanging at the end of a scene, and their last words."""
    if not member.lines:
        return ""
    own = {alias.upper() for alias in member.aliases}
    last_in_section: dict[int, tuple[str, str]] = {}
    for section, speaker, text in spoken:
        last_in_section[section] = (speaker, text)
    parts = []
    confession = next(
        (
            sentence
            for _, text in member.lines
            for sentence in sentences(text)
            if any(marker in sentence.lower() for marker in CONFESSION_MARKERS)
        ),
        "",
    )
    if confession:
        parts.append(f"Let slip: “{shorten(confession, 30)}”")
    hanging = [
        text
        for section, text in member.lines
        if "?" in text
        and last_in_section.get(section, ("", ""))[0] in own
        and last_in_section[section][1] == text
    ]
    if hanging:
        parts.append(f"Never got an answer to: “{shorten(hanging[-1], 25)}”")
    last = member.lines[-1][1]
    if not (confession and confession in last) and last not in hanging:
        parts.append(f"Last words in the story: “{shorten(last, 25)}”")
    return " ".join(parts)


def _sample_lines(member: CastMember, keywords: list[str]) -> list[str]:
    """Lines that show the character best: complete thoughts, on the story's subject."""
    keyword_set = set(keywords[:10])
    scored = []
    for position, (_, line) in enumerate(member.lines):
        count = len(words(line))
        score = 2 * (4 <= count <= 30) + min(2, len(keyword_set & set(lower_words(line))))
        score += int("?" in line or "!" in line)
        scored.append((-score, position, line))
    chosen = sorted(sorted(scored)[:MAX_SAMPLE_LINES], key=lambda item: item[1])
    return list(dict.fromkeys(shorten(line, 40) for _, _, line in chosen))
