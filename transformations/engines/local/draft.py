"""Stage 5 for the local engine: the words of one card, drawn from its own scene.

Scene text is the scene itself made readable (action as paragraphs, dialogue as
`Elena: "line"`). Captions, the recap and the questions are chosen from the
scene's sentences by explicit scores, so they are specific to this card and the
same every time.
"""

from __future__ import annotations

import re
from collections import Counter

from transformations.engines.local.cast import CastLookup
from transformations.engines.local.plan import card_blocks
from transformations.engines.local.prompts import (
    CardContext,
    Line,
    discussion_questions,
    image_prompt,
    image_style,
    scene_description,
    setting_line,
)
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    join_names,
    lower_words,
    quotes_in,
    without_quotes,
)
from transformations.ingest.screenplay import parse_scene_heading
from transformations.ingest.text import readable, sentences, shorten, words
from transformations.pipeline.types import (
    Block,
    BlockKind,
    CardPlan,
    Document,
    DraftedCard,
    Identity,
    PackCard,
    Plan,
    Reading,
    World,
)

MAX_SCENE_WORDS = 1500
MAX_CAPTION_WORDS = 22
_TITLE_KINDS = frozenset({BlockKind.HEADING, BlockKind.SLIDE_TITLE})
# "(30s)", "(42)", "(late 20s)": a character's first appearance in a screenplay.
_INTRODUCTION_RE = re.compile(r"\((?:\d{1,2}s?|late \d0s|early \d0s|mid-\d0s)\)")


def draft_card(
    document: Document,
    reading: Reading,
    identity: Identity,
    world: World,
    plan: Plan,
    card: CardPlan,
    previous: list[DraftedCard],
) -> DraftedCard:
    del reading  # the reading's facts are already reflected in identity and world
    blocks = card_blocks(document, card)
    lookup = CastLookup(world)
    pack_card = _pack_card(document, card)
    lines = _spoken_lines(blocks, lookup)
    beats = _action_beats(blocks, lookup)
    context = CardContext.build(document, world, identity, plan, card, lines, beats, previous)

    context.key_beat = _key_beat(beats, identity.keywords, context)
    context.primary_keys = _primary(lines, card)
    captions = _captions(lines, beats, identity.keywords, context)
    recap = _recap(beats, lines, identity.keywords, context)
    questions = discussion_questions(context)
    if pack_card is not None:
        scene_text = pack_card.scene_text
        captions = _prefer(pack_card.captions, captions, 3)
        recap = pack_card.recap_text or recap
        questions = _prefer(pack_card.discussion_questions, questions, 3)
    else:
        scene_text = render_scene(blocks, lookup)
    return DraftedCard(
        day_index=card.day_index,
        title=card.title,
        captions=captions,
        scene_text=scene_text,
        recap_text=recap,
        scene_description=scene_description(context),
        image_prompt=image_prompt(context),
        image_style=image_style(identity),
        primary_character_keys=context.primary_keys,
        chat_unlocked_keys=context.unlocked,
        location_key=card.location_key,
        discussion_questions=questions,
    )


def _pack_card(document: Document, card: CardPlan) -> PackCard | None:
    if document.pack is None or len(card.sections) != 1:
        return None
    return document.pack.cards[card.sections[0]]


def _prefer(written: list[str], generated: list[str], limit: int) -> list[str]:
    """The creator's own lines first; generated ones only fill what is missing."""
    if len(written) >= 2:
        return written
    return list(dict.fromkeys([*written, *generated]))[: max(limit, len(written))]


def speaker_name(speaker: str, lookup: CastLookup) -> str:
    key = lookup.key_for(speaker)
    return lookup.names.get(key) or readable(speaker)


def render_scene(blocks: list[Block], lookup: CastLookup) -> str:
    """Action as paragraphs, dialogue as `Elena (quietly): "line"`, trimmed at a
    sentence boundary near MAX_SCENE_WORDS."""
    paragraphs: list[str] = []
    direction = ""
    for block in blocks:
        if block.kind in NARRATIVE_KINDS or block.kind in _TITLE_KINDS:
            paragraphs.append(_display_caps(block.text, lookup))
        elif block.kind == BlockKind.SCENE_HEADING and paragraphs:
            paragraphs.append(parse_scene_heading(block.text).title)  # a merged scene begins
        elif block.kind == BlockKind.PARENTHETICAL:
            direction = block.text.strip("() ")
        elif block.kind in SPOKEN_KINDS:
            name = speaker_name(block.speaker, lookup)
            manner = f" ({direction})" if direction else ""
            paragraphs.append(f'{name}{manner}: "{block.text}"')
            direction = ""
    return _trim("\n\n".join(paragraphs), MAX_SCENE_WORDS)


def _display_caps(text: str, lookup: CastLookup) -> str:
    """Screenplay action shouts names ("MARCUS rounds the corner"); prose does not."""
    for name in lookup.names.values():
        upper = name.upper()
        if upper != name and upper in text:
            text = re.sub(rf"(?<![\w']){re.escape(upper)}(?!\w)", name, text)
    return text


def _trim(text: str, limit: int) -> str:
    if len(words(text)) <= limit:
        return text
    kept: list[str] = []
    count = 0
    for paragraph in text.split("\n\n"):
        size = len(words(paragraph))
        if count + size <= limit:
            kept.append(paragraph)
            count += size
            continue
        partial = []
        for sentence in sentences(paragraph):
            if count + len(words(sentence)) > limit:
                break
            partial.append(sentence)
            count += len(words(sentence))
        if partial:
            kept.append(" ".join(partial))
        break
    return "\n\n".join(kept) + " …"


def _spoken_lines(blocks: list[Block], lookup: CastLookup) -> list[Line]:
    """Dialogue blocks and speaker turns; in prose, quotes next to a named speaker."""
    lines = []
    for position, block in enumerate(blocks):
        if block.kind in SPOKEN_KINDS:
            key = lookup.key_for(block.speaker)
            lines.append(Line(key, speaker_name(block.speaker, lookup), block.text, position))
        elif block.kind in NARRATIVE_KINDS and (quotes := quotes_in(block.text)):
            named = lookup.mentioned(without_quotes(block.text))
            if len(named) == 1:
                key = next(iter(named))
                for quote in quotes:
                    lines.append(Line(key, lookup.names[key], quote, position))
    return lines


def _action_beats(blocks: list[Block], lookup: CastLookup) -> list[str]:
    """Narrative sentences, in order, with screenplay capitals turned into names."""
    beats = []
    for block in blocks:
        if block.kind in NARRATIVE_KINDS:
            beats.extend(sentences(_display_caps(block.text, lookup)))
    return [beat for beat in beats if words(beat)]


def _line_score(line: Line, keywords: set[str], main: set[str], lead: str = "") -> int:
    """Complete, quotable, on the story's subject, said by someone who matters here."""
    count = len(words(line.text))
    score = 3 * (5 <= count <= 18) + (3 <= count <= 4) - int(not line.whole)
    score += min(2, len(keywords & set(lower_words(line.text))))
    score += int("?" in line.text or "!" in line.text) + int(line.key in main)
    return score + int(bool(lead) and line.key == lead)


def _beat_score(beat: str, keywords: set[str], names: set[str], late: bool) -> int:
    count = len(words(beat))
    tokens = set(lower_words(beat))
    score = 2 * (5 <= count <= 24) + min(2, len(keywords & tokens)) + 2 * bool(names & tokens)
    # "ELENA (30s), a barista ..." introduces a character; it is description, not a beat.
    return score + int(late) - 3 * bool(_INTRODUCTION_RE.search(beat))


def _quotable(lines: list[Line]) -> list[Line]:
    """Long speeches offer each of their sentences as a candidate caption."""
    out = []
    for line in lines:
        parts = sentences(line.text) if len(words(line.text)) > 18 else [line.text]
        whole = len(parts) == 1
        out.extend(Line(line.key, line.name, part, line.position, whole) for part in parts)
    return out


def _captions(
    lines: list[Line], beats: list[str], keywords: list[str], context: CardContext
) -> list[str]:
    """A striking line with its speaker, an action beat, and a second voice or the setting."""
    keyword_set = set(keywords[:10])
    lead = context.primary_keys[0] if context.primary_keys else ""
    ranked_lines = sorted(
        _quotable(lines),
        key=lambda ln: (-_line_score(ln, keyword_set, context.main_keys, lead), ln.position),
    )
    names = {w for name in context.names.values() for w in lower_words(name)}
    ranked_beats = sorted(
        enumerate(beats),
        key=lambda item: (
            -_beat_score(item[1], keyword_set, names, item[0] >= len(beats) / 2),
            item[0],
        ),
    )
    captions: list[str] = []
    if ranked_lines:
        best = ranked_lines[0]
        captions.append(f'{best.name}: "{shorten(best.text, MAX_CAPTION_WORDS)}"')
    if ranked_beats:
        captions.append(shorten(ranked_beats[0][1], MAX_CAPTION_WORDS))
    other_voice = next((ln for ln in ranked_lines[1:] if ranked_lines[0].key != ln.key), None)
    if other_voice is not None:
        captions.append(f'{other_voice.name}: "{shorten(other_voice.text, MAX_CAPTION_WORDS)}"')
    elif len(ranked_beats) > 1:
        captions.append(shorten(ranked_beats[1][1], MAX_CAPTION_WORDS))
    if len(captions) < 2:
        captions.append(setting_line(context))
    return list(dict.fromkeys(c for c in captions if c))[:3]


def _key_beat(beats: list[str], keywords: list[str], context: CardContext) -> str:
    """The action sentence that best shows the moment: the image prompt paints it."""
    if not beats:
        return ""
    keyword_set = set(keywords[:10])
    names = {w for name in context.names.values() for w in lower_words(name)}
    scores = [_beat_score(b, keyword_set, names, i >= len(beats) / 2) for i, b in enumerate(beats)]
    return beats[scores.index(max(scores))]


def _recap(beats: list[str], lines: list[Line], keywords: list[str], context: CardContext) -> str:
    """The strongest sentence from each half of the scene, in story order."""
    keyword_set = set(keywords[:10])
    names = {w for name in context.names.values() for w in lower_words(name)}
    candidates = [(i, b) for i, b in enumerate(beats) if len(words(b)) >= 4]
    if len(candidates) >= 2:
        middle = len(beats) / 2
        halves = [
            [c for c in candidates if c[0] < middle],
            [c for c in candidates if c[0] >= middle],
        ]
        chosen = []
        for half in halves:
            if half:
                chosen.append(
                    max(half, key=lambda c: (_beat_score(c[1], keyword_set, names, False), -c[0]))
                )
        return " ".join(shorten(beat, 35) for _, beat in sorted(chosen))
    if lines:
        speakers = list(dict.fromkeys(line.name for line in lines))
        best = max(
            lines, key=lambda ln: (_line_score(ln, keyword_set, context.main_keys), -ln.position)
        )
        lead = candidates[0][1] + " " if candidates else ""
        topics = context.card_keywords[:2]
        return (
            f"{lead}{' and '.join(speakers[:2])} talk{'s' if len(speakers) == 1 else ''}"
            f"{' about ' + join_names(topics) if topics else ''}"
            f"{' at ' + context.place_text if context.place_text else ''}; "
            f'{best.name} says, "{shorten(best.text, 25)}"'
        )
    return shorten(candidates[0][1], 35) if candidates else setting_line(context)


def _primary(lines: list[Line], card: CardPlan) -> list[str]:
    """Who carries the card: the one or two characters with the most lines."""
    counts = Counter(line.key for line in lines if line.key)
    if not counts:
        return card.character_keys[:2]
    first = {line.key: line.position for line in reversed(lines)}
    ordered = sorted(counts, key=lambda k: (-counts[k], first[k]))
    top = counts[ordered[0]]
    return [k for k in ordered[:2] if counts[k] * 3 >= top]
