"""Stages 1 and 2 for the local engine: measure the text, then name what it is about.

Every sentence in the reading is built from a measured number, and the numbers
themselves go into `Reading.facts` so later stages (and staff) can check them.
"""

from __future__ import annotations

import re
from collections import Counter
from statistics import mean

from transformations.engines.local.cast import CastMember
from transformations.engines.local.confidence import text_confidence
from transformations.engines.local.keywords import keyphrases
from transformations.engines.local.lexicon import (
    CALENDAR_WORDS,
    GENRES,
    NOT_TENSE_CUES,
    PAST_VERBS,
    PRESENT_VERBS,
    PRONOUNS_FIRST,
    PRONOUNS_SECOND,
    PRONOUNS_THIRD,
    STOPWORDS,
    SUBJECT_PRONOUNS,
    THEMES,
    TONES,
)
from transformations.engines.local.memo import cast_for, locations_for
from transformations.engines.local.places import scene_place
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    STORY_KINDS,
    content_words,
    join_names,
    lower_words,
    percent,
    place_phrase,
    quoted_word_count,
    quotes_in,
    ranked,
    size_word,
    without_quotes,
)
from transformations.ingest.text import sentences, shorten, word_count, words
from transformations.pipeline.types import BlockKind, Document, Identity, Reading, SourceType

MAX_KEYWORDS = 12
MAX_TONES = 3
_SCRIPT_WORDS = frozenset({"int", "ext", "cont'd", "contd", "o.s", "v.o", "beat", "pause"})


def read_document(document: Document) -> Reading:
    cast = cast_for(document)
    facts = measure(document, cast)
    lead = lead_names(cast)
    return Reading(
        structure_summary=_structure_summary(document, facts, lead),
        voice_notes=_voice_notes(facts),
        logline=_logline(document, lead),
        facts=facts,
        confidence=text_confidence(document, int(facts["word_count"])),
    )


def measure(document: Document, cast: list[CastMember]) -> dict[str, float | int | str]:
    """Counts and ratios from the blocks: the evidence behind every reading sentence."""
    blocks = document.blocks
    narrative = " ".join(b.text for b in blocks if b.kind in NARRATIVE_KINDS)
    # Prose has no dialogue blocks: its quotes are its spoken lines.
    spoken = [b.text for b in blocks if b.kind in SPOKEN_KINDS] or quotes_in(narrative)
    total_words = sum(word_count(b.text) for b in blocks if b.kind in STORY_KINDS)
    spoken_words = sum(word_count(b.text) for b in blocks if b.kind in SPOKEN_KINDS)
    spoken_words += quoted_word_count(narrative)
    narration = without_quotes(narrative)
    narrative_sentences = [s for s in sentences(narration) if words(s)]
    speaking = [member for member in cast if member.lines]
    places = [scene_place(s) for s in document.sections]
    facts: dict[str, float | int | str] = {
        "section_count": len(document.sections),
        "scene_count": sum(
            1
            for s, p in zip(document.sections, places, strict=True)
            if s.kind == "scene" and not p.shot
        ),
        "shot_count": sum(1 for p in places if p.shot),
        "act_count": len(
            {
                b.text.strip().lower()
                for b in blocks
                if b.kind == BlockKind.HEADING and _ACT_RE.match(b.text)
            }
        ),
        "word_count": total_words,
        "dialogue_ratio": round(spoken_words / total_words, 3) if total_words else 0.0,
        "dialogue_lines": len(spoken),
        "avg_sentence_words": round(mean(len(words(s)) for s in narrative_sentences), 1)
        if narrative_sentences
        else 0.0,
        "avg_dialogue_line_words": round(mean(len(words(t)) for t in spoken), 1) if spoken else 0.0,
        "question_lines": sum(1 for text in spoken if "?" in text),
        "exclamation_lines": sum(1 for text in spoken if "!" in text),
        "speaking_characters": len(speaking),
        "character_count": len(cast),
        "location_count": len({p.key for p in places if p.key}),
        "interior_scenes": sum(1 for p in places if "INT" in p.int_ext),
        "exterior_scenes": sum(1 for p in places if "EXT" in p.int_ext),
        "day_scenes": sum(1 for p in places if _is_day(p.time_of_day)),
        "night_scenes": sum(1 for p in places if _is_night(p.time_of_day)),
    }
    facts.update(_point_of_view(narration))
    facts.update(_tense(narration))
    if speaking:
        top = max(speaking, key=lambda m: (len(m.lines), -m.first_seen))
        facts["top_speaker"] = top.name
        facts["top_speaker_share"] = round(len(top.lines) / max(1, facts["dialogue_lines"]), 3)
    return facts


_ACT_RE = re.compile(r"^\s*act\s+(?:[ivxlc]+|\d+|one|two|three|four|five)\b", re.IGNORECASE)


def _is_day(time_of_day: str) -> bool:
    return any(w in time_of_day for w in ("DAY", "MORNING", "AFTERNOON", "NOON", "DAWN"))


def _is_night(time_of_day: str) -> bool:
    return any(w in time_of_day for w in ("NIGHT", "EVENING", "DUSK", "MIDNIGHT"))


def _point_of_view(narration: str) -> dict[str, int | str]:
    tokens = lower_words(narration)
    first = sum(1 for t in tokens if t in PRONOUNS_FIRST)
    second = sum(1 for t in tokens if t in PRONOUNS_SECOND)
    third = sum(1 for t in tokens if t in PRONOUNS_THIRD)
    if first >= 5 and first >= 0.4 * (first + third):
        pov = "first person"
    elif second >= 5 and second > first + third:
        pov = "second person"
    else:
        pov = "third person"
    return {"first_person_pronouns": first, "third_person_pronouns": third, "point_of_view": pov}


def _tense(narration: str) -> dict[str, int | str]:
    """Past or present, from verb forms and from pronoun/name + verb pairs
    ("she turns" vs "she turned"); participles used as adjectives do not count."""
    tokens = words(narration)
    lowered = [t.lower() for t in tokens]
    past = sum(1 for t in lowered if t in PAST_VERBS)
    present = sum(1 for t in lowered if t in PRESENT_VERBS)
    for position in range(len(tokens) - 1):
        subject, verb = lowered[position], lowered[position + 1]
        # A pronoun or a capitalised word (a name) directly before the verb.
        if subject not in SUBJECT_PRONOUNS and not tokens[position][:1].isupper():
            continue
        if verb in NOT_TENSE_CUES or verb in STOPWORDS or len(verb) < 4:
            continue
        if verb.endswith("ed"):
            past += 1
        elif verb.endswith("s") and not verb.endswith("ss"):
            present += 1
    tense = "present" if present > past else "past"
    return {"past_tense_cues": past, "present_tense_cues": present, "tense": tense}


def _structure_summary(document: Document, facts: dict, lead: str) -> str:
    words_total = f"about {facts['word_count']:,} words"
    if document.pack is not None:
        pack = document.pack
        return (
            f"A story pack of {len(pack.cards)} written cards ({words_total}) with "
            f"{len(pack.characters)} characters and {len(pack.locations)} locations"
            + (f", led by {lead}." if lead else ".")
        )
    if document.source_type == SourceType.SCRIPT:
        scenes = facts["scene_count"] or facts["section_count"]
        acts = facts.get("act_count", 0)
        kind = (
            "play"
            if acts and not facts["interior_scenes"] + facts["exterior_scenes"]
            else "screenplay"
        )
        in_acts = f" in {acts} acts" if acts > 1 else ""
        text = (
            f"A {kind} of {scenes} scene{'s' if scenes != 1 else ''}{in_acts} across "
            f"{facts['location_count']} locations ({facts['interior_scenes']} interior, "
            f"{facts['exterior_scenes']} exterior), {words_total}. "
            f"{facts['speaking_characters']} characters speak"
            + (f", led by {lead}" if lead else "")
            + f"; dialogue carries {percent(facts['dialogue_ratio'], 1)}% of the words."
        )
        if facts["day_scenes"] or facts["night_scenes"]:
            text += (
                f" {facts['day_scenes']} scenes are set by day and "
                f"{facts['night_scenes']} at night."
            )
        return text
    if document.source_type == SourceType.TRANSCRIPT:
        text = (
            f"A transcript of {facts['dialogue_lines']} speaker turns by "
            f"{facts['speaking_characters']} speakers in {facts['section_count']} segments "
            f"({words_total})."
        )
        if "top_speaker" in facts:
            text += (
                f" {facts['top_speaker']} speaks most, with "
                f"{percent(facts['top_speaker_share'], 1)}% of the turns."
            )
        return text
    sections = document.sections
    by_heading = any(section.kind == "heading" for section in sections)
    longest = max(
        sections,
        key=lambda s: sum(word_count(b.text) for b in document.blocks if b.section == s.index),
    )
    longest_words = sum(word_count(b.text) for b in document.blocks if b.section == longest.index)
    how = "marked by its headings" if by_heading else "grouped from its paragraphs"
    return (
        f"A prose text of {words_total} in {len(sections)} sections {how}. The longest is "
        f"“{longest.title}” at {longest_words:,} words; quoted speech makes up "
        f"{percent(facts['dialogue_ratio'], 1)}% of the text"
        + (f", and {lead} carry the most of it." if lead and " and " in lead else ".")
    )


def _voice_notes(facts: dict) -> str:
    notes = []
    sentence_words = facts["avg_sentence_words"]
    if sentence_words:
        notes.append(
            f"The narration is written in the {facts['tense']} tense and the "
            f"{facts['point_of_view']}, in {size_word(sentence_words, short=12, long=22)} "
            f"sentences of about {sentence_words:.0f} words."
        )
    line_words = facts["avg_dialogue_line_words"]
    if line_words:
        lines = facts["dialogue_lines"] or 1
        pace = "brisk" if line_words < 12 else "measured" if line_words < 25 else "expansive"
        notes.append(
            f"Speech is {pace}: a line averages {line_words:.0f} words; "
            f"{percent(facts['question_lines'], lines)}% of lines are questions and "
            f"{percent(facts['exclamation_lines'], lines)}% exclamations."
        )
    ratio = facts["dialogue_ratio"]
    balance = (
        "driven by dialogue"
        if ratio > 0.55
        else "balanced between speech and description"
        if ratio > 0.3
        else "carried mostly by narration"
    )
    notes.append(f"Overall the text is {balance} ({percent(ratio, 1)}% spoken).")
    return " ".join(notes)


def lead_names(cast: list[CastMember], limit: int = 2) -> str:
    """The one or two people most present in the text: "Elena and Marcus"."""
    ordered = sorted(cast, key=lambda m: (-_presence(m), m.first_seen))
    return join_names([member.name for member in ordered[:limit] if _presence(member)])


def _presence(member: CastMember) -> int:
    return len(member.lines) + sum(member.mentions.values()) + len(member.spoken_sections)


def _logline(document: Document, lead: str) -> str:
    """The pack's own logline, else the leads and the story's first substantial image."""
    if document.pack is not None and document.pack.logline:
        return document.pack.logline
    opening = next(
        (
            sentence
            for block in document.blocks
            if block.kind in NARRATIVE_KINDS
            for sentence in sentences(without_quotes(block.text))
            if len(words(sentence)) >= 6
        ),
        "",
    )
    if not opening:
        opening = next((b.text for b in document.blocks if b.kind in SPOKEN_KINDS), "")
    place = next((s.location for s in document.sections if s.location), "")
    opening = shorten(opening, 30)
    if lead and place:
        return f"{lead}, in a story that opens at {place_phrase(place)}: {opening}"
    if lead:
        return f"{lead}, in a story that opens: {opening}"
    return opening


def identify_document(document: Document, reading: Reading) -> Identity:
    cast = cast_for(document)
    names = frozenset(w for m in cast for form in m.aliases for w in lower_words(form))
    forms = [form for member in cast for form in (member.name, *member.aliases)]
    place_names = [s.location for s in document.sections] + [
        name
        for location in locations_for(document, forms)
        for name in (location.name, *location.aliases)
    ]
    places = frozenset(w for name in place_names for w in lower_words(name))
    exclude = names | places | _SCRIPT_WORDS | CALENDAR_WORDS
    story_blocks = [b for b in document.blocks if b.kind in STORY_KINDS]
    counts: Counter[str] = Counter()
    spread: dict[str, set[int]] = {}
    for block in story_blocks:
        for word in content_words(block.text, exclude):
            counts[word] += 1
            spread.setdefault(word, set()).add(block.section)
    _merge_plurals(counts, spread)
    frequent = sorted(counts, key=lambda w: (-counts[w], -len(spread[w]), w))
    frequent = [w for w in frequent if counts[w] >= 2] or frequent
    phrases = keyphrases([b.text for b in story_blocks], exclude)
    keywords = _keywords(phrases, frequent, counts)

    all_words = [w for b in story_blocks for w in lower_words(b.text)]
    tones = _lexicon_scores(all_words, TONES)
    top = max(tones.values(), default=0)
    tone_tags = [t for t in ranked(tones) if tones[t] >= max(2, top / 2)][:MAX_TONES]
    genres = _lexicon_scores(all_words, GENRES)
    genre, confidence = "drama", 0.2
    if genres and max(genres.values()) > 0:
        genre = ranked(genres)[0]
        share = genres[genre] / sum(genres.values())
        confidence = round(share * min(1.0, genres[genre] / 12), 2)
    themes = _lexicon_scores(all_words, THEMES)
    theme_hits = sum(themes.values())
    evidence = min(1.0, len(all_words) / 800) * (0.5 + 0.25 * min(1.0, theme_hits / 10))
    evidence += 0.25 * confidence
    return Identity(
        theme=_theme(themes, keywords, phrases, lead_names(cast), genre, confidence),
        tone_tags=tone_tags or ["understated"],
        genre=genre,
        genre_confidence=confidence,
        keywords=keywords,
        keyphrases=phrases,
        confidence=round(max(0.05, min(1.0, evidence * reading.confidence**0.5)), 2),
    )


def _keywords(phrases: list[str], frequent: list[str], counts: Counter[str]) -> list[str]:
    """Single words for matching card text: the frequent words YAKE's phrases contain
    come first (what the story is about), then the rest of the most frequent words."""
    from_phrases = [
        word
        for phrase in phrases
        for word in phrase.split()
        if counts.get(word, 0) >= 2 and word not in STOPWORDS
    ]
    ordered = list(dict.fromkeys([*from_phrases[:4], *frequent]))
    return ordered[:MAX_KEYWORDS]


def _merge_plurals(counts: Counter[str], spread: dict[str, set[int]]) -> None:
    """ "minutes" counts for "minute" when both occur; the commoner form is kept."""
    for word in sorted(counts):
        singular = word[:-1] if word.endswith("s") and not word.endswith("ss") else ""
        if singular and singular in counts:
            keep, drop = (singular, word) if counts[singular] >= counts[word] else (word, singular)
            counts[keep] += counts.pop(drop)
            spread[keep] |= spread.pop(drop)


def _lexicon_scores(tokens: list[str], lexicon: dict[str, frozenset[str]]) -> Counter[str]:
    labels = _inverted(lexicon)
    scores: Counter[str] = Counter()
    for token in tokens:
        for label in labels.get(token, ()):
            scores[label] += 1
    return scores


_INVERTED: dict[int, dict[str, tuple[str, ...]]] = {}


def _inverted(lexicon: dict[str, frozenset[str]]) -> dict[str, tuple[str, ...]]:
    """word -> labels, in the lexicon's own order (built once per lexicon)."""
    cached = _INVERTED.get(id(lexicon))
    if cached is None:
        by_word: dict[str, list[str]] = {}
        for label, entries in lexicon.items():
            for entry in sorted(entries):
                by_word.setdefault(entry, []).append(label)
        cached = _INVERTED[id(lexicon)] = {w: tuple(ls) for w, ls in by_word.items()}
    return cached


def _theme(
    themes: Counter[str],
    keywords: list[str],
    phrases: list[str],
    lead: str,
    genre: str,
    genre_confidence: float,
) -> str:
    """Natural sentences: what the story is about, through whom, what it keeps
    returning to, and what it reads like (with how sure that guess is)."""
    subjects = [t for t in ranked(themes) if themes[t] >= 2][:2] or keywords[:2]
    if not subjects:
        return "A story whose subject the text does not yet make clear."
    text = f"A story about {join_names(subjects)}"
    if lead:
        text += f", told through {lead}"
    text += "."
    recurring = [p for p in phrases if p not in subjects][:3] or [
        k for k in keywords if k not in subjects
    ][:3]
    if recurring:
        quoted = join_names([f"“{p}”" for p in recurring])
        text += f" It keeps coming back to {quoted}."
    sureness = (
        "clearly" if genre_confidence >= 0.5 else "most" if genre_confidence >= 0.25 else "a little"
    )
    text += f" It reads {sureness} like {_GENRE_PHRASES.get(genre, 'a ' + genre)}."
    return text


_GENRE_PHRASES = {
    "crime": "a crime story",
    "horror": "a horror story",
    "science fiction": "science fiction",
    "nonfiction": "non-fiction",
}
