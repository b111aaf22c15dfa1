"""Stage 4 for the local engine: cards that follow the story's own structure.

1. One unit per section (scene, slide, chapter, segment). Furniture (title pages,
   cast lists, title and closing slides, an article's title block) and shots
   (INSERT, POV, BACK TO SCENE) never become cards: furniture folds into the
   neighbouring card and is left out of its text, a shot continues the scene
   before it (`segments`).
2. A meeting transcript that announces its agenda ("Item two, the foxes") is cut
   at each item instead of at stage 0's guessed segments.
3. Guessed boundaries (speaker-transcript segments) merge, smallest neighbours
   first, to about one card per `target_words_per_card` words.
4. More than `max_cards` units: the adjacent pair with the fewest words merges
   until `max_cards` remain.
5. Fewer than `min_cards`, or a unit longer than `max_words_per_card`: the
   longest unit splits at the block boundary nearest its middle (never between a
   cue and its line) while the plan has fewer than `max_cards`.

Story packs keep their cards exactly. Every choice is a number in `PlanSettings`,
so a caller can ask for shorter or longer cards without touching the rules.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from transformations.engines.local.cast import CastLookup
from transformations.engines.local.memo import Mentions, lookup_for, memoised, mentions_for
from transformations.engines.local.places import scene_place
from transformations.engines.local.segments import (
    FURNITURE,
    SHOT,
    classify_sections,
    is_sound_cue,
)
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    STORY_KINDS,
    name_regex,
)
from transformations.ingest.text import readable, sentences, shorten, word_count
from transformations.pipeline.types import (
    Block,
    BlockKind,
    CardPlan,
    Document,
    SourceType,
    World,
)


@dataclass(frozen=True)
class PlanSettings:
    """How long a card should be. The defaults suit a daily card read in a few minutes."""

    min_cards: int = 3
    max_cards: int = 30
    # Guessed boundaries (speaker transcripts) merge towards this many words per card.
    target_words_per_card: int = 300
    # A unit longer than this splits, while the plan has fewer than max_cards cards.
    max_words_per_card: int = 2500


DEFAULT_SETTINGS = PlanSettings()
MAX_CARDS = DEFAULT_SETTINGS.max_cards
MIN_CARDS = DEFAULT_SETTINGS.min_cards

# A card may begin at these blocks; never between a cue and its dialogue.
_CARD_STARTS = frozenset(
    {
        BlockKind.ACTION,
        BlockKind.PARAGRAPH,
        BlockKind.CHARACTER_CUE,
        BlockKind.SPEAKER_TURN,
        BlockKind.SCENE_HEADING,
        BlockKind.HEADING,
    }
)
# "Item two, the foxes.", "Right. Next item:", "Any other business?"
_AGENDA_RE = re.compile(
    r"^(?:(?:right|ok|okay|so|lovely|good|great|now|thanks|thank you|then)[,.!]?\s+)*"
    r"(?:item\s+(?:one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b|next item\b"
    r"|(?:and\s+)?any other business\b|moving on\b|on to item\b|agenda item\b)",
    re.IGNORECASE,
)


@dataclass
class Unit:
    """A contiguous run of blocks that becomes one card."""

    start: int
    end: int  # exclusive
    sections: list[int] = field(default_factory=list)
    partial: bool = False  # covers only part of its sections
    # The blocks the card shows: furniture folded in at either end is left out.
    show_start: int = -1
    show_end: int = -1
    strong: bool = True  # the boundary before this unit is a real break
    confidence: float = 0.9
    title_section: int = -1
    title: str = ""  # set when the unit names itself (an agenda item)

    def __post_init__(self) -> None:
        if self.show_start < 0:
            self.show_start = self.start
        if self.show_end < 0:
            self.show_end = self.end
        if self.title_section < 0 and self.sections:
            self.title_section = self.sections[0]


def card_blocks(document: Document, card: CardPlan) -> list[Block]:
    if card.block_span:
        start, end = card.block_span
        wanted = set(card.sections)
        return [b for b in document.blocks[start:end] if b.section in wanted]
    wanted = set(card.sections)
    return [block for block in document.blocks if block.section in wanted]


def plan_cards(
    document: Document,
    world: World,
    *,
    hook_pack_count: int,
    settings: PlanSettings = DEFAULT_SETTINGS,
) -> list[CardPlan]:
    """`hook_pack_count` does not change the cut: every card must stand on its own,
    hook pack or not. The stage uses it for the release schedule."""
    del hook_pack_count
    sizes = [word_count(b.text) if b.kind in STORY_KINDS else 0 for b in document.blocks]
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    if document.pack is not None:
        units = _section_units(document)
    else:
        units = _story_units(document)
        units = _agenda_units(document, units)
        units = _merge_weak(units, prefix, settings)
        units = _merge_to(units, prefix, settings.max_cards)
        units = _split_long(document, units, prefix, settings)
    lookup = lookup_for(world)
    mentions = mentions_for(world)
    locations = {location.key: location for location in world.locations}
    titles = _titles(document, units)
    cards = []
    for day_index, (unit, title) in enumerate(zip(units, titles, strict=True), start=1):
        blocks = document.blocks[unit.show_start : unit.show_end]
        whole = (
            not unit.partial
            and unit.show_start == unit.start
            and unit.show_end == unit.end
            and _covers_sections(document, unit)
        )
        cards.append(
            CardPlan(
                day_index=day_index,
                title=title,
                sections=unit.sections,
                character_keys=_who_appears(document, unit, blocks, lookup, mentions),
                location_key=_where(document, unit, blocks, locations),
                block_span=[] if whole else [unit.show_start, unit.show_end],
                confidence=round(unit.confidence, 2),
            )
        )
    return cards


def _section_units(document: Document) -> list[Unit]:
    ranges: dict[int, list[int]] = {}
    for index, block in enumerate(document.blocks):
        ranges.setdefault(block.section, [index, index + 1])[1] = index + 1
    return [Unit(start, end, [section]) for section, (start, end) in sorted(ranges.items())]


def _covers_sections(document: Document, unit: Unit) -> bool:
    """True when the unit's blocks are exactly all the blocks of its sections."""
    count = unit.end - unit.start
    return count == sum(_section_sizes(document).get(s, 0) for s in unit.sections)


def _section_sizes(document: Document) -> dict[int, int]:
    """Blocks per section (computed once per document)."""
    return memoised(
        "section-sizes",
        document,
        None,
        lambda: dict(Counter(block.section for block in document.blocks)),
    )


def _story_units(document: Document) -> list[Unit]:
    """Story sections become units; furniture and shots fold into a neighbour."""
    roles = classify_sections(document)
    timed = any(b.start_ms is not None for b in document.blocks)
    base = []
    for unit in _section_units(document):
        role = roles.get(unit.sections[0])
        if role is None:
            base.append((unit, "story"))
            continue
        unit.show_start = unit.start + role.skip
        unit.strong = role.strong
        unit.confidence = _boundary_confidence(document, role.strong, timed)
        base.append((unit, role.role))
    story_after = [False] * (len(base) + 1)
    for position in range(len(base) - 1, -1, -1):
        story_after[position] = story_after[position + 1] or base[position][1] == "story"
    units: list[Unit] = []
    pending: list[Unit] = []  # furniture waiting for the next story unit
    for position, (unit, role) in enumerate(base):
        if role == FURNITURE:
            if units and not story_after[position]:
                _append_hidden(units[-1], unit)  # a closing slide: the end of the last card
            else:
                pending.append(unit)
            continue
        if role == SHOT and units:
            _extend(units[-1], unit)
            continue
        if pending:
            first = pending[0]
            unit.sections = [s for p in pending for s in p.sections] + unit.sections
            unit.start = first.start
            # "[THEME MUSIC]" closing the title lines opens the first segment.
            while unit.show_start > first.start and is_sound_cue(
                document.blocks[unit.show_start - 1]
            ):
                unit.show_start -= 1
            pending = []
        units.append(unit)
    if pending and units:
        for unit in pending:
            _append_hidden(units[-1], unit)
    return units or _section_units(document)


def _append_hidden(target: Unit, unit: Unit) -> None:
    target.sections = target.sections + unit.sections
    target.end = unit.end


def _extend(target: Unit, unit: Unit) -> None:
    target.sections = target.sections + unit.sections
    target.end = unit.end
    target.show_end = unit.end


def _boundary_confidence(document: Document, strong: bool, timed: bool) -> float:
    if document.source_type == SourceType.SCRIPT and any(s.heading for s in document.sections):
        return 0.95
    if not strong:
        return 0.55
    if timed:
        return 0.7
    if any(s.kind in ("heading", "slide", "page") for s in document.sections):
        return 0.85
    return 0.65  # paragraphs grouped by stage 0, or an author's scene breaks


def _agenda_units(document: Document, units: list[Unit]) -> list[Unit]:
    """Meetings announce their topics: "Item one, the shed fire." Cut there instead."""
    if document.source_type != SourceType.TRANSCRIPT or not units:
        return units
    blocks = document.blocks
    start, end = units[0].show_start, units[-1].show_end
    marks = [
        i
        for i in range(start, end)
        if blocks[i].kind == BlockKind.SPEAKER_TURN and _AGENDA_RE.match(blocks[i].text.strip())
    ]
    if len(marks) < 2:
        return units
    cuts = [start, *[m for m in marks if m > start], end]
    out = []
    for a, b in pairwise(cuts):
        if a < b:
            unit = Unit(a, b, _sections_of(document, a, b), partial=True, confidence=0.75)
            if a in marks:
                unit.title = _agenda_title(blocks[a].text)
            out.append(unit)
    # Furniture folded into the first and last units stays with them, out of sight.
    out[0].start = units[0].start
    out[0].sections = _sections_of(document, out[0].start, out[0].end)
    out[-1].end = units[-1].end
    out[-1].sections = _sections_of(document, out[-1].start, out[-1].end)
    return out


def _agenda_title(text: str) -> str:
    """ "Lovely. Item one, the shed fire on plot fourteen." -> "Item one, the shed fire on
    plot fourteen"."""
    body = text.strip()
    item = re.search(r"(?i)\b(item\s+\w+|next item|any other business|moving on|agenda item)", body)
    if item:
        body = body[item.start() :]
    first = sentences(body)
    return shorten((first[0] if first else body).rstrip(".!? "), 9)


def _words_of(unit: Unit, prefix: list[int]) -> int:
    return prefix[unit.show_end] - prefix[unit.show_start]


def _merge_weak(units: list[Unit], prefix: list[int], settings: PlanSettings) -> list[Unit]:
    """Guessed boundaries merge, smallest neighbours first, towards one card per
    `target_words_per_card` words (never below `min_cards`)."""
    if all(unit.strong for unit in units[1:]):
        return units
    total = sum(_words_of(u, prefix) for u in units)
    target = int(total / max(1, settings.target_words_per_card) + 0.5)
    target = max(settings.min_cards, min(settings.max_cards, target))
    return _merge_to(units, prefix, target, only_weak=True)


def _merge_to(
    units: list[Unit], prefix: list[int], limit: int, *, only_weak: bool = False
) -> list[Unit]:
    """Merge the adjacent pair with the fewest words until at most `limit` remain.

    A heap of pairs with lazy deletion keeps this O(n log n) on long books.
    """
    if len(units) <= limit:
        return units
    units = list(units)
    alive = [True] * len(units)
    nxt = list(range(1, len(units) + 1))
    prv = list(range(-1, len(units) - 1))
    version = [0] * len(units)

    def words(i: int) -> int:
        return _words_of(units[i], prefix)

    def mergeable(j: int) -> bool:
        return not only_weak or not units[j].strong

    heap: list[tuple[int, int, int, int, int]] = []
    for i in range(len(units) - 1):
        if mergeable(i + 1):
            heap.append((words(i) + words(i + 1), i, i + 1, version[i], version[i + 1]))
    heapq.heapify(heap)
    count = len(units)
    while count > limit and heap:
        _, i, j, vi, vj = heapq.heappop(heap)
        if not (alive[i] and alive[j]) or version[i] != vi or version[j] != vj or nxt[i] != j:
            continue
        first, second = units[i], units[j]
        units[i] = Unit(
            first.start,
            second.end,
            first.sections + [s for s in second.sections if s not in first.sections],
            partial=first.partial or second.partial,
            show_start=first.show_start,
            show_end=second.show_end,
            strong=first.strong,
            confidence=min(first.confidence, second.confidence) * (0.9 if only_weak else 0.85),
            title_section=first.title_section,
            title=first.title,
        )
        alive[j] = False
        version[i] += 1
        nxt[i] = nxt[j]
        if nxt[i] < len(units):
            prv[nxt[i]] = i
        count -= 1
        if prv[i] >= 0 and mergeable(i):
            p = prv[i]
            heapq.heappush(heap, (words(p) + words(i), p, i, version[p], version[i]))
        if nxt[i] < len(units) and mergeable(nxt[i]):
            n = nxt[i]
            heapq.heappush(heap, (words(i) + words(n), i, n, version[i], version[n]))
    return [unit for unit, keep in zip(units, alive, strict=True) if keep]


def _split_long(
    document: Document, units: list[Unit], prefix: list[int], settings: PlanSettings
) -> list[Unit]:
    """Units longer than `max_words_per_card` split into as many equal parts as they
    need (within `max_cards` in all); then, while the plan has fewer than `min_cards`,
    the longest unit splits in two. Cuts fall on the block boundary nearest each
    target, never between a cue and its line."""
    sizes = [_words_of(u, prefix) for u in units]
    pieces = [max(1, -(-size // max(1, settings.max_words_per_card))) for size in sizes]
    while sum(pieces) > max(settings.max_cards, len(units)):
        # Give up a piece where it costs least: the unit whose parts would stay shortest.
        candidates = [(sizes[i] / (pieces[i] - 1), i) for i in range(len(units)) if pieces[i] > 1]
        if not candidates:
            break
        _, i = min(candidates)
        pieces[i] -= 1
    out: list[Unit] = []
    for unit, count in zip(units, pieces, strict=True):
        out.extend(_split_into(document, unit, prefix, count) if count > 1 else [unit])
    while len(out) < min(settings.min_cards, settings.max_cards):
        order = sorted(range(len(out)), key=lambda i: (-_words_of(out[i], prefix), i))
        for i in order:
            parts = _split_into(document, out[i], prefix, 2)
            if len(parts) == 2:
                out[i : i + 1] = parts
                break
        else:
            break
    return out


def _split_into(document: Document, unit: Unit, prefix: list[int], count: int) -> list[Unit]:
    """The unit cut into `count` parts of about equal words (fewer if it cannot be cut)."""
    boundaries = _boundaries(document, unit)
    if not boundaries:
        return [unit]
    lo, hi = unit.show_start, unit.show_end
    total = prefix[hi] - prefix[lo]
    cuts: list[int] = []
    position = 0
    for j in range(1, count):
        target = prefix[lo] + total * j / count
        best = None
        for k in range(position, len(boundaries)):
            at = boundaries[k]
            key = abs(prefix[at] - target)
            if best is None or key < best[0]:
                best = (key, k)
            elif prefix[at] > target:
                break
        if best is None:
            break
        cuts.append(boundaries[best[1]])
        position = best[1] + 1
        if position >= len(boundaries):
            break
    edges = [unit.start, *cuts, unit.end]
    shows = [unit.show_start, *cuts, unit.show_end]
    parts = []
    for index in range(len(edges) - 1):
        a, b = edges[index], edges[index + 1]
        parts.append(
            Unit(
                a,
                b,
                _sections_of(document, a, b),
                partial=True,
                show_start=shows[index],
                show_end=shows[index + 1],
                strong=unit.strong if index == 0 else False,
                confidence=min(unit.confidence, 0.6),
                title_section=unit.title_section,
                title=unit.title,
            )
        )
    return parts


def _boundaries(document: Document, unit: Unit) -> list[int]:
    """Block indices where the unit may be cut, leaving story text on both sides."""
    blocks = document.blocks
    lo, hi = unit.show_start, unit.show_end
    story = [i for i in range(lo, hi) if blocks[i].kind in STORY_KINDS]
    if len(story) < 2:
        return []
    found = []
    for at in range(story[0] + 1, story[-1] + 1):
        if blocks[at].kind not in _CARD_STARTS:
            continue
        if blocks[at - 1].kind in (BlockKind.HEADING, BlockKind.SCENE_HEADING):
            continue
        found.append(at)
    return found


def _sections_of(document: Document, start: int, end: int) -> list[int]:
    return sorted({block.section for block in document.blocks[start:end]})


def _titles(document: Document, units: list[Unit]) -> list[str]:
    """Section titles; the parts of a split section are numbered "(part 2 of 3)"."""
    by_index = {section.index: section for section in document.sections}
    base = [_unit_title(document, by_index, u) for u in units]
    parts = Counter((b, u.title_section) for b, u in zip(base, units, strict=True) if u.partial)
    seen: Counter[tuple[str, int]] = Counter()
    titles = []
    for title, unit in zip(base, units, strict=True):
        group = (title, unit.title_section)
        if unit.partial and parts[group] > 1:
            seen[group] += 1
            title = f"{title} (part {seen[group]} of {parts[group]})"
        titles.append(title)
    return titles


_MARKER_TITLE_RE = re.compile(r"^[A-Z][A-Z0-9 ,.'&-]{1,40}$")


def _unit_title(document: Document, by_index: dict, unit: Unit) -> str:
    if unit.title:
        return unit.title
    section = by_index.get(unit.title_section) if unit.sections else None
    if section is None:
        return "Untitled"
    title = section.title
    if document.source_type == SourceType.TRANSCRIPT and _MARKER_TITLE_RE.match(title):
        # "AD BREAK", "LAUGHTER": stage 0 names a segment by its marker. Say who opens it.
        opening = next(
            (b for b in document.blocks[unit.show_start : unit.show_end] if b.speaker), None
        )
        if opening is not None:
            first = [s for s in sentences(opening.text) if len(s.split()) >= 3]
            words = shorten((first[0] if first else opening.text).strip("\"“”' "), 8)
            return f"{readable(opening.speaker)}: {words}"
    return title


def _who_appears(
    document: Document, unit: Unit, blocks: list[Block], lookup: CastLookup, mentions: Mentions
):
    """Listed (packs) and speaking characters first, by lines; then those mentioned."""
    order: list[str] = []
    if document.pack is not None:
        for index in unit.sections:
            for name in document.pack.cards[index].characters:
                key = lookup.key_for(name)
                if key and key not in order:
                    order.append(key)
    speaking: Counter[str] = Counter()
    first_line: dict[str, int] = {}
    for position, block in enumerate(blocks):
        if block.kind in SPOKEN_KINDS and (key := lookup.key_for(block.speaker)):
            speaking[key] += 1
            first_line.setdefault(key, position)
    order += [
        k for k in sorted(speaking, key=lambda k: (-speaking[k], first_line[k])) if k not in order
    ]
    text = " ".join(b.text for b in blocks if b.kind in NARRATIVE_KINDS | SPOKEN_KINDS)
    mentioned = mentions.count(text)
    order += [k for k in sorted(mentioned, key=lambda k: (-mentioned[k], k)) if k not in order]
    return order


def _where(document: Document, unit: Unit, blocks: list[Block], locations: dict) -> str:
    """The scene heading's place; for prose, the location named most in the card."""
    by_index = {section.index: section for section in document.sections}
    for index in unit.sections:
        section = by_index[index]
        place = scene_place(section)
        if place.key in locations:
            return place.key
    if document.pack is not None:
        for index in unit.sections:
            card = document.pack.cards[index]
            key = _pack_key(card.location)
            if key in locations:
                return key
        return ""
    text = " ".join(b.text for b in blocks if b.kind in STORY_KINDS or b.kind in _TITLES)
    counts: Counter[str] = Counter()
    for key, pattern in _location_patterns(locations):
        counts[key] = len(pattern.findall(text))
    best = sorted(counts, key=lambda k: (-counts[k], k))
    return best[0] if best and counts[best[0]] else ""


def _location_patterns(locations: dict) -> list[tuple[str, re.Pattern[str]]]:
    """One pattern per location (its name and other forms), compiled once per plan."""

    def compile_all() -> list[tuple[str, re.Pattern[str]]]:
        out = []
        for key, location in locations.items():
            forms = [location.name, location.name.removeprefix("The "), *location.aliases]
            pattern = name_regex([f for f in forms if len(f) > 2])
            if pattern:
                out.append((key, pattern))
        return out

    return memoised("location-patterns", locations, None, compile_all)


_TITLES = frozenset({BlockKind.HEADING, BlockKind.SLIDE_TITLE})


def _pack_key(name: str) -> str:
    from transformations.ingest.text import place_slug

    return place_slug(name) if name else ""
