"""Who is in the story: speakers, prose names and pack characters, tiered main/supporting.

Screenplays and transcripts name their speakers; prose does not, so names are
taken from capitalised words next to speech verbs ("said Elena", "Elena asked")
and from honorifics ("Mrs. Abernathy"), kept when mentioned at least twice, and
merged into one person by the alias rules in the research notes (a first name
joins the only full name it begins; "Mr. X" and "Mrs. X" never merge).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from transformations.engines.local.lexicon import (
    CALENDAR_WORDS,
    HONORIFICS,
    SPEECH_VERBS,
    STOPWORDS,
    YOUTH_AGE_PREFIXES,
)
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    blocks_by_section,
    name_regex,
    name_variants,
    quotes_in,
)
from transformations.ingest.text import collapse_spaces, readable
from transformations.pipeline.types import BlockKind, Document, World

MAX_MAIN_CHARACTERS = 6
MIN_PROSE_MENTIONS = 2

_NAME_WORD = r"[A-Z][a-z]+(?:[-'\u2019][A-Z]?[a-z]+)?"
_HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Captain|Aunt|Uncle|Sir|Lady|Lord)\.?"
_PROSE_NAME = rf"(?:{_HONORIFIC}\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD})?"
_VERBS = "|".join(sorted(SPEECH_VERBS))
_NAME_AFTER_VERB_RE = re.compile(rf"\b(?:{_VERBS})\s+({_PROSE_NAME})")
_NAME_BEFORE_VERB_RE = re.compile(rf"\b({_PROSE_NAME})\s+(?:{_VERBS})\b")
_HONORIFIC_NAME_RE = re.compile(rf"\b{_HONORIFIC}\s+{_NAME_WORD}")


@dataclass
class CastMember:
    name: str  # display form
    aliases: list[str]  # every form seen, as written
    first_seen: int = 0  # block index of the first appearance, for stable ordering
    lines: list[tuple[int, str]] = field(default_factory=list)  # (section, spoken text)
    directions: list[str] = field(default_factory=list)  # parentheticals: how they speak
    spoken_sections: set[int] = field(default_factory=set)
    mentions: Counter[int] = field(default_factory=Counter)  # section -> narrative mentions
    description: str = ""
    secret_info: str = ""
    # In prose and packs, being written about counts as much as speaking.
    counts_mentions: bool = False

    @property
    def sections(self) -> list[int]:
        return sorted(self.spoken_sections | {s for s, count in self.mentions.items() if count})

    @property
    def importance(self) -> int:
        """Dialogue lines in scripts and transcripts; quotes plus mentions in prose."""
        if self.counts_mentions:
            return len(self.lines) + sum(self.mentions.values())
        return len(self.lines) or sum(self.mentions.values())


def find_cast(document: Document) -> list[CastMember]:
    """Everyone in the story, in order of first appearance."""
    if document.pack is not None:
        cast = _pack_cast(document)
        _count_mentions(document, cast)
    elif cast := _speaker_cast(document):
        _count_mentions(document, cast)
    else:
        cast = _prose_cast(document)  # counts mentions itself, to drop one-off names
    return sorted(cast, key=lambda member: member.first_seen)


def _speaker_cast(document: Document) -> list[CastMember]:
    members: dict[str, CastMember] = {}
    for index, block in enumerate(document.blocks):
        if not block.speaker:
            continue
        identity = collapse_spaces(block.speaker).upper()
        if block.kind in SPOKEN_KINDS:
            if identity not in members:
                members[identity] = CastMember(readable(block.speaker), [block.speaker], index)
            member = members[identity]
            member.lines.append((block.section, block.text))
            member.spoken_sections.add(block.section)
        elif block.kind == BlockKind.PARENTHETICAL and identity in members:
            members[identity].directions.append(block.text.strip("() "))
    _merge_age_variants(members)
    return list(members.values())


def _merge_age_variants(members: dict[str, CastMember]) -> None:
    """ "YOUNG ELENA" is Elena at another age, when ELENA also speaks."""
    for identity in list(members):
        first, _, rest = identity.partition(" ")
        if first.lower() in YOUTH_AGE_PREFIXES and rest in members:
            variant, target = members.pop(identity), members[rest]
            target.aliases.extend(variant.aliases)
            target.lines = sorted(target.lines + variant.lines)
            target.spoken_sections |= variant.spoken_sections
            target.first_seen = min(target.first_seen, variant.first_seen)


def _pack_cast(document: Document) -> list[CastMember]:
    assert document.pack is not None
    members = []
    for order, character in enumerate(document.pack.characters):
        member = CastMember(character.name, [character.name], order, counts_mentions=True)
        member.description = character.description
        member.secret_info = character.secret_info
        for index, card in enumerate(document.pack.cards):
            if any(name.lower() == character.name.lower() for name in card.characters):
                member.spoken_sections.add(index)
        members.append(member)
    _attribute_quotes(document, members)
    return members


def _prose_cast(document: Document) -> list[CastMember]:
    """Names from speech attributions and honorifics, merged into people."""
    blocks = [b for b in document.blocks if b.kind in NARRATIVE_KINDS | SPOKEN_KINDS]
    text = "\n".join(block.text for block in blocks)
    forms: Counter[str] = Counter()
    for pattern in (_NAME_AFTER_VERB_RE, _NAME_BEFORE_VERB_RE, _HONORIFIC_NAME_RE):
        for match in pattern.finditer(text):
            form = _clean_name(match.group(1) if pattern.groups else match.group(0))
            if form:
                forms[form] += 1
    forms.update(_full_names(forms, text))
    people = _cluster_forms(sorted(forms), text)
    members = []
    for aliases in people:
        pattern = name_regex(aliases)
        first = next(
            (i for i, b in enumerate(document.blocks) if pattern and pattern.search(b.text)), 0
        )
        members.append(CastMember(_best_name(aliases), aliases, first, counts_mentions=True))
    _count_mentions(document, members)
    members = [m for m in members if sum(m.mentions.values()) >= MIN_PROSE_MENTIONS]
    _attribute_quotes(document, members)
    return members


def _full_names(forms: Counter[str], text: str) -> Counter[str]:
    """ "Nadia" said something, and the narration once calls her "Nadia Brandt"."""
    found: Counter[str] = Counter()
    for form in forms:
        if " " in form:
            continue
        for match in re.finditer(rf"\b{re.escape(form)}\s+({_NAME_WORD})\b", text):
            surname = match.group(1)
            lowered = surname.lower()
            if lowered not in STOPWORDS and lowered not in CALENDAR_WORDS | SPEECH_VERBS:
                found[f"{form} {surname}"] += 1
    return found


def _clean_name(form: str) -> str:
    """Drop sentence-start words ("Then Elena" -> "Elena"); refuse non-names."""
    tokens = collapse_spaces(form).split(" ")
    while tokens and tokens[0].lower().rstrip(".") in STOPWORDS:
        tokens.pop(0)
    if not tokens:
        return ""
    if len(tokens) == 1 and tokens[0].lower().rstrip(".") in HONORIFICS:
        return ""
    if any(token.lower() in CALENDAR_WORDS or token.lower() in STOPWORDS for token in tokens):
        return ""
    return " ".join(tokens)


def _cluster_forms(forms: list[str], text: str) -> list[list[str]]:
    """Group name forms into people.

    1. Full names (two words, no honorific) are people.
    2. "Mr. Vargas" joins the only full name ending in "Vargas", unless another
       honorific is also used with that surname (Mr. and Mrs. Bennet are two people);
       otherwise it is a person of its own.
    3. A single word joins the only person whose name starts or ends with it
       ("Elena" -> "Elena Vargas", "Okafor" -> "Dr. Okafor").
    4. Anything left is a person of its own.
    """
    full = [f for f in forms if len(f.split(" ")) >= 2 and not _honorific(f)]
    people: dict[str, list[str]] = {name: [name] for name in full}
    titled = [f for f in forms if _honorific(f) and len(f.split(" ")) >= 2]
    titled_surnames = Counter(f.split(" ")[-1] for f in titled)
    for form in titled:
        last = form.split(" ")[-1]
        matches = [n for n in full if n.split(" ")[-1] == last]
        if len(matches) == 1 and titled_surnames[last] == 1:
            people[matches[0]].append(form)
        else:
            people.setdefault(form, [form])
    for form in forms:
        if " " in form or form in people:
            continue
        matches = [n for n in people if form in _plain_tokens(n)[:1] + _plain_tokens(n)[-1:]]
        if len(matches) == 1:
            people[matches[0]].append(form)
        else:
            people.setdefault(form, [form])
    # A first name used on its own in the text also names its full-name person.
    for name, aliases in people.items():
        first = name.split(" ")[0]
        if " " in name and first not in aliases and re.search(rf"\b{re.escape(first)}\b", text):
            holders = [n for n in full if n.split(" ")[0] == first]
            if len(holders) == 1:
                aliases.append(first)
    return list(people.values())


def _honorific(form: str) -> str:
    first = form.split(" ")[0].lower().rstrip(".")
    return first if first in HONORIFICS else ""


def _plain_tokens(form: str) -> list[str]:
    """Name words without the honorific: "Dr. Ada Okafor" -> ["Ada", "Okafor"]."""
    tokens = form.split(" ")
    return tokens[1:] if _honorific(form) else tokens


def _best_name(aliases: list[str]) -> str:
    """The fullest form: "Elena Vargas" over "Ms. Vargas" over "Elena" or "Vargas"."""

    def rank(form: str) -> tuple[int, int, str]:
        size = len(form.split(" "))
        kind = 2 if size == 1 else 1 if _honorific(form) else 0
        return (kind, -size, form)

    return min(aliases, key=rank)


def _count_mentions(document: Document, members: list[CastMember]) -> None:
    """Mentions per section in narration, with one pass of one pattern per section.

    The alternation lists longer forms first, so "Elena Vargas" is one mention of
    Elena Vargas, not one each for "Elena" and "Vargas".
    """
    owner: dict[str, CastMember] = {}
    for member in members:
        member.mentions.clear()
        for form in member.aliases:
            for variant in name_variants(form):
                owner.setdefault(variant, member)
    if not owner:
        return
    ordered = sorted(owner, key=lambda variant: (-len(variant), variant))
    pattern = re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")
    for section, blocks in blocks_by_section(document).items():
        text = " ".join(b.text for b in blocks if b.kind in NARRATIVE_KINDS)
        for match in pattern.finditer(text):
            owner[match.group(0)].mentions[section] += 1


def _attribute_quotes(document: Document, members: list[CastMember]) -> None:
    """Quotes in a paragraph belong to the one person a speech verb names there, or,
    with no such verb, to the only person the paragraph names at all (two sieves of
    the rule-based attribution in the research notes)."""
    patterns = [(name_regex(member.aliases), member) for member in members]
    for block in document.blocks:
        if block.kind not in NARRATIVE_KINDS:
            continue
        quotes = quotes_in(block.text)
        if not quotes:
            continue
        outside = re.sub(r"“[^”]*”|\"[^\"]*\"", " | ", block.text)
        speakers = {
            id(member): member
            for pattern, member in patterns
            if pattern and _attributed(outside, pattern)
        }
        if not speakers:
            speakers = {
                id(member): member
                for pattern, member in patterns
                if pattern and pattern.search(outside)
            }
        if len(speakers) == 1:
            member = next(iter(speakers.values()))
            member.lines.extend((block.section, quote) for quote in quotes)
            member.spoken_sections.add(block.section)


def _attributed(text: str, pattern: re.Pattern[str]) -> bool:
    for match in pattern.finditer(text):
        before = text[: match.start()].split()[-1:]
        after = text[match.end() :].split()[:1]
        near = [word.strip(",.;:!?").lower() for word in before + after]
        if any(word in SPEECH_VERBS for word in near):
            return True
    return False


def assign_tiers(members: list[CastMember]) -> dict[int, str]:
    """main | supporting per member (by id), with afterwriting's tiering.

    Score = sections they appear in x their share of all lines (or mentions).
    Sorted by score, with a zero appended, the main tier ends at the largest
    drop between neighbours, so two equal leads are both main and a dominant
    lead stands alone.
    """

    def weight(member: CastMember) -> int:
        # Pack characters nobody quotes still count by the cards they are listed in.
        return member.importance or len(member.sections)

    total = sum(weight(member) for member in members) or 1
    scored = sorted(
        members,
        key=lambda m: (-len(m.sections) * weight(m) / total, m.first_seen),
    )
    values = [len(m.sections) * weight(m) / total for m in scored] + [0.0]
    drops = [values[i] - values[i + 1] for i in range(len(scored))]
    cut = drops.index(max(drops)) + 1 if drops else 0
    cut = min(max(cut, 1), MAX_MAIN_CHARACTERS)
    return {id(m): ("main" if i < cut else "supporting") for i, m in enumerate(scored)}


class CastLookup:
    """Maps what the text calls someone to their character key."""

    def __init__(self, world: World) -> None:
        self._by_form: dict[str, str] = {}
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for character in world.characters:
            forms = [character.name, *character.aliases]
            for form in forms:
                self._by_form.setdefault(collapse_spaces(form).lower(), character.key)
            pattern = name_regex(forms)
            if pattern:
                self._patterns.append((character.key, pattern))
        self.names = {c.key: c.name for c in world.characters}
        self.tiers = {c.key: c.tier for c in world.characters}

    def key_for(self, name: str) -> str:
        return self._by_form.get(collapse_spaces(name).lower(), "")

    def mentioned(self, text: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for key, pattern in self._patterns:
            hits = len(pattern.findall(text))
            if hits:
                found[key] += hits
        return found
