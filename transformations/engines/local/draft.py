"""Stage 5 for the local engine: the words of one card, drawn from its own scene.

Scene text is the scene itself made readable (action as paragraphs, dialogue as
`Elena: "line"`). A scene longer than `MAX_SCENE_WORDS` keeps its most important
passages, in order, with "…" where something was left out: the opening always,
then the passages that carry the most (the story's keywords, its main characters,
questions and exclamations) until the budget is spent. Nothing is
rewritten: every sentence of the scene text is in the source.

Captions, the recap, the scene description, the image prompt and the questions
are chosen from the card's sentences by explicit scores, so they are specific to
this card and the same every time. The recap tells what came before: the key
moment of the previous card and where it happened.
"""

from __future__ import annotations

import re
from collections import Counter

from transformations.engines.local.cast import CastLookup
from transformations.engines.local.memo import lookup_for, memoised, mentions_for
from transformations.engines.local.memo import tokens as _tokens
from transformations.engines.local.plan import card_blocks
from transformations.engines.local.prompts import (
    CardContext,
    Line,
    discussion_questions,
    image_prompt,
    image_prompt_parts,
    image_style,
    scene_description,
    setting_line,
)
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    lower_words,
    place_phrase,
    quotes_in,
    without_quotes,
)
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
    SourceType,
    World,
)

MAX_SCENE_WORDS = 1500
MAX_CAPTION_WORDS = 22
_TITLE_KINDS = frozenset({BlockKind.HEADING, BlockKind.SLIDE_TITLE})
# "(30s)", "(42)", "(late 20s)": a character's first appearance in a screenplay.
_INTRODUCTION_RE = re.compile(r"\((?:\d{1,2}s?|late \d0s|early \d0s|mid-\d0s)\)")
_GAP = "…"


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
    lookup = lookup_for(world)
    pack_card = _pack_card(document, card)
    lines = _spoken_lines(blocks, lookup, world)
    beats = _action_beats(blocks, lookup)
    context = CardContext.build(document, world, identity, plan, card, lines, beats, previous)

    context.key_beat = _key_beat(beats, identity.keywords, context)
    # The next card's recap tells this card's moment: remember it now.
    memoised("moment", world, _card_key(card), lambda: _moment_from(beats, lines, identity, world))
    context.primary_keys = _primary(lines, card)
    captions = _captions(lines, beats, identity.keywords, context)
    recap = _recap(document, identity, world, plan, card, previous, lookup)
    questions = discussion_questions(context)
    if pack_card is not None:
        scene_text = pack_card.scene_text
        captions = _prefer(pack_card.captions, captions, 3)
        recap = pack_card.recap_text or recap
        questions = _prefer(pack_card.discussion_questions, questions, 4)
    else:
        scene_text = render_scene(
            blocks,
            lookup,
            script=document.source_type == SourceType.SCRIPT,
            keywords=identity.keywords,
            main=context.main_keys,
        )
    parts = image_prompt_parts(context)
    return DraftedCard(
        day_index=card.day_index,
        title=card.title,
        captions=captions,
        scene_text=scene_text,
        recap_text=recap,
        scene_description=scene_description(context),
        image_prompt=image_prompt(context, parts),
        image_style=image_style(identity),
        image=parts,
        primary_character_keys=context.primary_keys,
        chat_unlocked_keys=context.unlocked,
        location_key=card.location_key,
        discussion_questions=questions,
        confidence=_confidence(card, context, pack_card is not None),
    )


def _confidence(card: CardPlan, context: CardContext, pack: bool) -> float:
    """The cut's confidence, lowered when the card has nobody or nowhere to show."""
    if pack:
        return 1.0
    value = card.confidence
    if not context.characters:
        value *= 0.8
    if not context.location:
        value *= 0.9
    return round(value, 2)


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


# ---------------------------------------------------------------- scene text


def render_scene(
    blocks: list[Block],
    lookup: CastLookup,
    *,
    script: bool = False,
    keywords: list[str] | None = None,
    main: set[str] | None = None,
    limit: int = MAX_SCENE_WORDS,
) -> str:
    """Action as paragraphs, dialogue as `Elena (quietly): "line"`; a long scene keeps
    its most important passages (see the module docstring)."""
    passages = _passages(blocks, lookup, script=script)
    return _select(passages, keywords or [], main or set(), limit)


class _Passage:
    __slots__ = ("key", "kind", "text", "words")

    def __init__(self, text: str, kind: str, key: str = "") -> None:
        self.text = text
        self.kind = kind  # action | line | title | heading
        self.key = key  # the speaker's character key, for lines
        self.words = len(text.split())  # as a reader counts: numbers too


def _passages(blocks: list[Block], lookup: CastLookup, *, script: bool) -> list[_Passage]:
    from transformations.engines.local.headings import parse_heading

    out: list[_Passage] = []
    direction = ""
    for block in blocks:
        if block.kind in NARRATIVE_KINDS:
            out.append(_Passage(_display_caps(block.text, lookup), "action"))
        elif block.kind in _TITLE_KINDS:
            if not script:  # a script's "Act I" is structure, not story
                out.append(_Passage(block.text, "title"))
        elif block.kind == BlockKind.SCENE_HEADING:
            heading = parse_heading(block.text)
            if out and not heading.shot and heading.place:
                # A merged scene begins: say where, in the heading's own words.
                where = heading.name
                if heading.time_of_day:
                    where = f"{where} — {readable(heading.time_of_day)}"
                out.append(_Passage(where, "heading"))
        elif block.kind == BlockKind.PARENTHETICAL:
            direction = block.text.strip("() ")
        elif block.kind in SPOKEN_KINDS:
            name = speaker_name(block.speaker, lookup)
            manner = f" ({direction})" if direction else ""
            key = lookup.key_for(block.speaker)
            out.append(_Passage(f'{name}{manner}: "{block.text}"', "line", key))
            direction = ""
    return out


def _select(passages: list[_Passage], keywords: list[str], main: set[str], limit: int) -> str:
    total = sum(p.words for p in passages)
    if total <= limit:
        return "\n\n".join(p.text for p in passages)
    keyword_set = set(keywords[:12])
    chosen: set[int] = set()
    budget = limit - max(10, limit // 50)  # room for the "…" between passages
    # The opening sets the scene and is how the card begins: keep it.
    opening_budget = max(1, limit // 5)
    used = 0
    for i, passage in enumerate(passages):
        if passage.kind in ("title", "heading") or used < opening_budget:
            if used + passage.words > budget:
                break
            chosen.add(i)
            used += passage.words
            if passage.kind not in ("title", "heading") and used >= opening_budget:
                break
        else:
            break
    budget -= used
    ranked = sorted(
        (i for i in range(len(passages)) if i not in chosen),
        key=lambda i: (-_passage_score(passages[i], keyword_set, main, i, len(passages)), i),
    )
    for i in ranked:
        size = passages[i].words
        if 0 < size <= budget:
            chosen.add(i)
            budget -= size
        if budget < 5:
            break
    if not chosen:
        return _trim(passages[0].text, limit)
    ordered = sorted(chosen)
    if len(ordered) == 1 and passages[ordered[0]].words > limit:
        return _trim(passages[ordered[0]].text, limit)
    out: list[str] = []
    previous = -1
    for i in ordered:
        if previous >= 0 and i != previous + 1:
            out.append(_GAP)
        out.append(passages[i].text)
        previous = i
    if ordered[-1] != len(passages) - 1:
        out[-1] = f"{out[-1]} {_GAP}"
    return "\n\n".join(out)


def _passage_score(
    passage: _Passage, keywords: set[str], main: set[str], index: int, count: int
) -> float:
    del index, count  # ties go to the earlier passage (see the caller's sort)
    tokens = _tokens(passage.text)
    score = min(3, len(keywords & tokens)) * 1.0
    score += 1.5 * bool(passage.key and passage.key in main)
    score += 0.5 * ("?" in passage.text or "!" in passage.text)
    score -= 0.5 * (passage.words > 120)  # long speeches cost more than they give
    score += 0.5 * (5 <= passage.words <= 60)
    return score


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
    return "\n\n".join(kept) + f" {_GAP}"


# ---------------------------------------------------------------- lines and beats


def _spoken_lines(blocks: list[Block], lookup: CastLookup, world: World) -> list[Line]:
    """Dialogue blocks and speaker turns; in prose, quotes next to a named speaker."""
    lines = []
    for position, block in enumerate(blocks):
        if block.kind in SPOKEN_KINDS:
            key = lookup.key_for(block.speaker)
            lines.append(Line(key, speaker_name(block.speaker, lookup), block.text, position))
        elif block.kind in NARRATIVE_KINDS and (quotes := quotes_in(block.text)):
            named = mentions_for(world).count(without_quotes(block.text))
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
    return [beat for beat in beats if words(beat) and not _is_cue(beat)]


def _is_cue(beat: str) -> bool:
    """ "[THEME MUSIC]", "THUNDER.": sound cues and shouted one-word lines are not beats."""
    stripped = beat.strip()
    return (stripped.startswith("[") and stripped.endswith("]")) or (
        stripped.isupper() and len(words(stripped)) <= 3
    )


def _line_score(line: Line, keywords: set[str], main: set[str], lead: str = "") -> int:
    """Complete, quotable, on the story's subject, said by someone who matters here."""
    count = len(words(line.text))
    score = 3 * (5 <= count <= 18) + (3 <= count <= 4) - int(not line.whole)
    score += min(2, len(keywords & _tokens(line.text)))
    score += int("?" in line.text or "!" in line.text) + int(line.key in main)
    return score + int(bool(lead) and line.key == lead)


def _beat_score(beat: str, keywords: set[str], names: set[str], late: bool) -> int:
    count = len(words(beat))
    tokens = _tokens(beat)
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


# ---------------------------------------------------------------- recap


def _recap(
    document: Document,
    identity: Identity,
    world: World,
    plan: Plan,
    card: CardPlan,
    previous: list[DraftedCard],
    lookup: CastLookup,
) -> str:
    """What came before: the key moment of the previous card, and where it happened.
    The first card has nothing before it: it says how the story opens."""
    places = {loc.key: loc for loc in world.locations}
    names = {c.key: c.name for c in world.characters}
    if card.day_index <= 1 or not previous:
        where = places.get(card.location_key)
        who = [names[k] for k in card.character_keys[:2] if k in names]
        text = "The story opens"
        if where:
            text += f" at {place_phrase(where.name)}"
        if who:
            text += f" with {' and '.join(who)}"
        return text + "."
    before = plan.cards[card.day_index - 2] if card.day_index - 2 < len(plan.cards) else None
    if before is None:
        return ""
    moment = _moment(document, identity, world, before, lookup)
    where = places.get(before.location_key)
    lead = "Previously"
    if where:
        lead += f", at {place_phrase(where.name)}"
    return f"{lead}: {shorten(moment or f'“{before.title}”.', 35)}"


def _moment(
    document: Document, identity: Identity, world: World, card: CardPlan, lookup: CastLookup
) -> str:
    """A card's key moment in one sentence (remembered when the card was drafted)."""

    def compute() -> str:
        blocks = card_blocks(document, card)
        beats = _action_beats(blocks, lookup)
        return _moment_from(beats, _spoken_lines(blocks, lookup, world), identity, world)

    return memoised("moment", world, _card_key(card), compute)


def _card_key(card: CardPlan) -> tuple:
    return (card.day_index, tuple(card.sections), tuple(card.block_span))


def _moment_from(beats: list[str], lines: list[Line], identity: Identity, world: World) -> str:
    """The strongest action beat, else the strongest line, else nothing."""
    keyword_set = set(identity.keywords[:10])
    name_words = {w for c in world.characters for w in lower_words(c.name)}
    if beats:
        scores = [
            _beat_score(b, keyword_set, name_words, i >= len(beats) / 2)
            for i, b in enumerate(beats)
        ]
        return beats[scores.index(max(scores))]
    if lines:
        main = {c.key for c in world.characters if c.tier == "main"}
        best = max(lines, key=lambda ln: (_line_score(ln, keyword_set, main), -ln.position))
        return f'{best.name} said, "{shorten(best.text, 20)}"'
    return ""


def _primary(lines: list[Line], card: CardPlan) -> list[str]:
    """Who carries the card: the one or two characters with the most lines."""
    counts = Counter(line.key for line in lines if line.key)
    if not counts:
        return card.character_keys[:2]
    first = {line.key: line.position for line in reversed(lines)}
    ordered = sorted(counts, key=lambda k: (-counts[k], first[k]))
    top = counts[ordered[0]]
    return [k for k in ordered[:2] if counts[k] * 3 >= top]
