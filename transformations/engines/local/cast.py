"""Who is in the story: speakers, prose names and pack characters, tiered main/supporting.

Screenplays and transcripts name their speakers. Their labels are cleaned of
extensions ("(V.O.)", "(CONT'D)", "(iPhone)"), crowds are left out ("FANS", "ALL",
"Several voices"), age variants join the person ("YOUNG NORA"), and the full names,
titles and personal names the text gives each speaker become their aliases ("TOMAS
REYES (30s)", "Mr. Reyes", a dispatcher called "Sheila").

Subtitles without speaker labels name people only when they are addressed
("Anna, wait!"): those characters are inferred, and their confidence says so.

Prose names are found by evidence (`people`): titles, speech verbs, relative "who",
human verbs and pronouns for, prepositions of place and place words against, and
grouped into people by the alias rules in `names` (a first name joins the only full
name it begins; "Mr. X" and "Mrs. X" never merge; a shared word is given to nobody).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from transformations.engines.local.lexicon import SPEECH_VERBS, YOUTH_AGE_PREFIXES
from transformations.engines.local.names import (
    NameForm,
    best_name,
    cluster_names,
    parse_name,
)
from transformations.engines.local.people import (
    FIRST_PERSON,
    ProsePerson,
    find_people,
    scan_names,
)
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    blocks_by_section,
    name_regex,
    name_variants,
    quotes_in,
)
from transformations.engines.local.vocatives import find_vocatives
from transformations.ingest.text import collapse_spaces, readable, word_set, words
from transformations.pipeline.types import BlockKind, Document, SourceType, World

MAX_MAIN_CHARACTERS = 6

# Cue words that name a group, not a person ("ALL", "SEVERAL VOICES", "TWO FANS").
GROUP_WORDS = word_set(
    """all both everyone everybody together others crowd chorus audience congregation
    choir band team class family group gang mob jury voices people crowds several some
    many various multiple assorted"""
)
NUMBER_WORDS = word_set(
    "two three four five six seven eight nine ten eleven twelve twenty dozen hundred both"
)
# Plural nouns for groups that speak together in scripts and transcripts.
GROUP_NOUNS = word_set(
    """guests fans people men women children kids boys girls lads ladies gentlemen
    neighbours neighbors villagers townsfolk townspeople fishwives fishermen sailors
    soldiers guards police officers students pupils passengers customers reporters
    protesters nurses doctors workers miners voices others friends parents sisters
    brothers twins monks nuns priests witches ghosts spirits players dancers singers
    musicians patrons diners drinkers shoppers tourists onlookers bystanders spectators
    mourners bridesmaids councillors members delegates listeners callers viewers"""
)
UNISON_DIRECTIONS = ("in unison", "together", "all together", "as one", "chorus", "overlapping")
# A role used as a speaker's name ("DISPATCHER", "Coastguard"), not a personal name.
ROLE_NOUNS = word_set(
    """dispatcher harbourmaster harbormaster coastguard producer host presenter announcer
    narrator interviewer interviewee moderator chair chairman chairwoman chairperson
    operator pilot captain skipper driver conductor guard waiter waitress barista
    bartender barman barmaid landlord landlady clerk receptionist nurse doctor officer
    sergeant inspector detective constable judge lawyer priest vicar minister teacher
    professor student customer caller listener guest reporter journalist voice radio
    tannoy keeper porter postman shopkeeper stranger boy girl man woman child manager
    boss director editor engineer mechanic farmer fisherman sailor soldier king queen
    prince princess duke lord lady servant butler maid cook chef"""
)
_RAW_QUOTE_RE = re.compile(r"\u201c([^\u201d]{1,800})\u201d|\"([^\"\n]{1,800})\"")
# Device and platform labels that video-call transcripts add to a name: "Raj (iPhone)".
_EXTENSION_RE = re.compile(r"\s*\((?:[^()]*)\)\s*$")
_CUE_MARKS_RE = re.compile(r"^[@!]+|[\^\s:]+$")
# A name in capitals introduced in screenplay action: "TOMAS REYES (30s), a surveyor".
_CAPS_WORD = r"(?:Mc|Mac|O')?[A-Z][A-Z'\u2019\-]*\.?"
_CAPS_INTRO_RE = re.compile(rf"(?<![\w'])((?:{_CAPS_WORD}\s+){{0,4}}{_CAPS_WORD})(?=\s*[(,])")


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
    confidence: float = 1.0  # how sure we are this is one real character (0-1)
    narrator: bool = False  # the first-person narrator of prose
    role: bool = False  # named by a role ("the Glazier", "DISPATCHER")

    @property
    def sections(self) -> list[int]:
        return sorted(self.spoken_sections | {s for s, count in self.mentions.items() if count})

    @property
    def importance(self) -> int:
        """Dialogue lines in scripts and transcripts; quotes plus mentions in prose."""
        if self.counts_mentions:
            return len(self.lines) + sum(self.mentions.values())
        return len(self.lines) or sum(self.mentions.values())

    def absorb(self, other: CastMember) -> None:
        for alias in other.aliases:
            if alias not in self.aliases:
                self.aliases.append(alias)
        self.lines = sorted(self.lines + other.lines)
        self.directions += other.directions
        self.spoken_sections |= other.spoken_sections
        self.first_seen = min(self.first_seen, other.first_seen)


def find_cast(document: Document) -> list[CastMember]:
    """Everyone in the story, in order of first appearance."""
    if document.pack is not None:
        cast = _pack_cast(document)
        _count_mentions(document, cast)
    elif any(b.speaker for b in document.blocks if b.kind in SPOKEN_KINDS):
        cast = _speaker_cast(document)
        _count_mentions(document, cast)
    elif any(b.kind in SPOKEN_KINDS for b in document.blocks):
        cast = _vocative_cast(document)
    else:
        cast = _prose_cast(document)  # counts mentions itself, to drop one-off names
    return sorted(cast, key=lambda member: (member.first_seen, member.name))


# --- Speakers: screenplays, plays and labelled transcripts -------------------------------


def speaker_label(label: str) -> str:
    """A speaker label without cue extensions and marks: "DELROY (CONT'D)" -> "DELROY",
    "Raj (iPhone)" -> "Raj", "@McKENZIE" -> "McKENZIE", "FIONA ^" -> "FIONA"."""
    label = collapse_spaces(label)
    previous = None
    while previous != label:
        previous = label
        label = _CUE_MARKS_RE.sub("", _EXTENSION_RE.sub("", label)).strip().rstrip(".")
    return label


@dataclass
class _Turn:
    block: int
    section: int
    label: str  # cleaned
    raw: str  # as written
    text: str


def _speaker_cast(document: Document) -> list[CastMember]:
    turns, intros = _turns(document)
    members: dict[str, CastMember] = {}
    for turn in turns:
        identity = turn.label.upper()
        member = members.get(identity)
        if member is None:
            member = CastMember(_display(turn.label), [turn.label], turn.block)
            member.role = _is_role(turn.label)
            members[identity] = member
        if turn.text:
            if turn.raw not in member.aliases:
                member.aliases.append(turn.raw)
            member.lines.append((turn.section, turn.text))
            member.spoken_sections.add(turn.section)
        else:
            member.directions.append(turn.raw)
    _drop_groups(document, members)
    _merge_age_variants(members)
    _merge_title_variants(members)
    if document.source_type == SourceType.TRANSCRIPT:
        _merge_short_labels(members, turns)
    cast = list(members.values())
    _name_from_text(document, cast, intros)
    _name_roles_from_vocatives(cast, turns, _lower_words(document))
    for member in cast:
        member.confidence = 0.95 if len(member.lines) >= 2 else 0.85
    return cast


def _turns(document: Document) -> tuple[list[_Turn], list[str]]:
    """Spoken turns in order (parentheticals as turns without text), and the text of
    character introductions a parser mistook for cues ("DELROY BANKS (50s), a driver")."""
    turns: list[_Turn] = []
    intros: list[str] = []
    misread = ""
    for index, block in enumerate(document.blocks):
        if block.kind == BlockKind.CHARACTER_CUE:
            outside = re.sub(r"\([^)]*\)", "", block.text)
            misread = block.speaker if re.search(r"[,;]\s*[a-z]|\b[a-z]{3,}\b", outside) else ""
            if misread:
                intros.append(block.text)
            continue
        if not block.speaker:
            misread = ""
            continue
        if misread and block.speaker == misread and block.kind == BlockKind.DIALOGUE:
            intros[-1] += " " + block.text
            continue
        misread = ""
        label = speaker_label(block.speaker)
        if not label:
            continue
        if block.kind in SPOKEN_KINDS and block.text.strip():
            turns.append(_Turn(index, block.section, label, block.speaker, block.text))
        elif block.kind == BlockKind.PARENTHETICAL:
            # A direction: its "raw" is what the parenthetical says, and it has no text.
            turns.append(_Turn(index, block.section, label, block.text.strip("() "), ""))
    return turns, intros


def _is_group(label: str, lower_text: Counter[str], directions: list[str]) -> bool:
    """A crowd speaking as one: "ALL", "SEVERAL VOICES", "TWO FANS", "FIONA AND RORY",
    "GUESTS", "FISHWIVES", or any cue whose lines are all spoken in unison."""
    tokens = [t.lower().strip(".'’") for t in re.split(r"[\s/&+]+", label) if t]
    if not tokens:
        return True
    if "and" in tokens or "&" in label or "/" in label:
        return True
    if tokens[0] in GROUP_WORDS or tokens[0] in NUMBER_WORDS or tokens[-1] in GROUP_WORDS:
        return True
    last = tokens[-1]
    if last in GROUP_NOUNS or (last.endswith(("men", "women", "folk", "people")) and len(last) > 5):
        return True
    # A plural noun the text also writes in lower case: "the fans subside".
    if last.endswith("s") and not last.endswith(("ss", "us", "is")) and lower_text[last] > 0:
        return True
    said = [d.lower() for d in directions]
    return bool(said) and all(any(u in d for u in UNISON_DIRECTIONS) for d in said)


def _lower_words(document: Document) -> Counter[str]:
    """Words the text writes in lower case (so they are common words, not names)."""
    counts: Counter[str] = Counter()
    for block in document.blocks:
        if block.kind in NARRATIVE_KINDS | SPOKEN_KINDS:
            for word in words(block.text):
                if word[0].islower():
                    counts[word] += 1
    return counts


def _drop_groups(document: Document, members: dict[str, CastMember]) -> None:
    lower_text = _lower_words(document)
    for identity in list(members):
        member = members[identity]
        if _is_group(member.aliases[0], lower_text, member.directions):
            del members[identity]


def _merge_age_variants(members: dict[str, CastMember]) -> None:
    """ "YOUNG ELENA" is Elena at another age, when ELENA also speaks."""
    for identity in list(members):
        first, _, rest = identity.partition(" ")
        if first.lower() in YOUTH_AGE_PREFIXES and rest in members:
            members[rest].absorb(members.pop(identity))


def _merge_title_variants(members: dict[str, CastMember]) -> None:
    """ "MR. FENWICK" and "FENWICK" are one speaker, unless titles of both genders
    are used with FENWICK (then MR. and MRS. FENWICK are two people, and FENWICK
    could be either)."""
    titled: dict[str, list[str]] = {}
    for identity in members:
        form = parse_name(identity)
        if form.titles:
            titled.setdefault(" ".join(form.words).upper(), []).append(identity)
    for bare, identities in titled.items():
        genders = {parse_name(identity).gender for identity in identities} - {""}
        if bare not in members or len(genders) > 1:
            continue
        for identity in identities:
            members[bare].absorb(members.pop(identity))


def _merge_short_labels(members: dict[str, CastMember], turns: list[_Turn]) -> None:
    """Transcripts relabel people: "DANNY HOLLOWAY:" then "DANNY:", "Rajesh Patel" then
    "Raj (iPhone)". A one-word label joins the one longer label it is the first name of,
    or the one first name it shortens (at least three letters); never when the two
    labels answer each other, each speaking straight after the other (then they are
    two people talking), and never when the short label fits several people."""
    adjacent = _adjacent_labels(turns)
    for identity in sorted(members, key=lambda i: (len(i), i)):
        if " " in identity or identity not in members:
            continue
        short = identity.lower()
        fits = [
            other
            for other in members
            if other != identity
            and (
                (" " in other and other.split(" ")[0].lower() == short)
                or (
                    len(short) >= 3
                    and other.split(" ")[0].lower().startswith(short)
                    and len(other.split(" ")[0]) > len(short)
                )
            )
        ]
        if len(fits) != 1:
            continue
        target = fits[0]
        if (identity, target) in adjacent and (target, identity) in adjacent:
            continue  # they answer each other: two people
        members[target].absorb(members.pop(identity))


def _adjacent_labels(turns: list[_Turn]) -> set[tuple[str, str]]:
    """Pairs of labels (upper case) where one speaks straight after the other."""
    pairs: set[tuple[str, str]] = set()
    spoken = [t for t in turns if t.text]
    for a, b in pairwise(spoken):
        if a.section == b.section and a.label.upper() != b.label.upper():
            pairs.add((a.label.upper(), b.label.upper()))
    return pairs


def _display(label: str) -> str:
    """How a label reads in prose: "TOMAS REYES" -> "Tomas Reyes", "ANGUS McKENZIE" ->
    "Angus McKenzie"; a label already in mixed case ("Ilse Brandt") is kept."""
    if label.isupper():
        return readable(label)
    out = []
    for token in label.split(" "):
        prefix = re.match(r"^(?:Mc|Mac)(?=[A-Z]{2})", token)
        if prefix:
            out.append(prefix.group(0) + readable(token[prefix.end() :]))
        else:
            out.append(readable(token) if token.isupper() and len(token) > 1 else token)
    return " ".join(out)


def _name_from_text(document: Document, cast: list[CastMember], intros: list[str]) -> None:
    """Full names, titles and first names the text gives each speaker become aliases.

    Screenplay introductions in capitals ("TOMAS REYES (30s)", "MR. HOBBS (70s)", "THE
    REVEREND ALISTAIR PIKE, minister") join the one speaker whose cue begins or ends
    them; then every name form in the dialogue and action ("Mr. Reyes", "Captain
    Brandt", "Dave") is grouped with the speakers by the same rules as prose names,
    and kept only where it lands on exactly one speaker.
    """
    groups: list[list[NameForm]] = []
    for member in cast:
        forms = []
        for alias in member.aliases:
            form = parse_name(_plain(_ageless(speaker_label(alias))))
            if form.words and form.text not in [f.text for f in forms]:
                forms.append(form)
        groups.append(forms)
    action = [b.text for b in document.blocks if b.kind in NARRATIVE_KINDS]
    for text in [*intros, *action]:
        for match in _CAPS_INTRO_RE.finditer(text):
            _attach_intro(match.group(1), cast, groups)
    texts = [
        (index, block.text)
        for index, block in enumerate(document.blocks)
        if block.kind in NARRATIVE_KINDS | SPOKEN_KINDS
    ]
    scan = scan_names(texts)
    forms = [f for f in scan.forms.values() if not f.role and f.words]
    people, _ = cluster_names(forms, pronouns=scan.pronouns(), anchors=groups)
    for member, person, group in zip(cast, people, groups, strict=False):
        labels = {f.text for f in group}  # the cues themselves, already aliases
        for form in person.forms:
            if form.text in labels:
                continue
            if form.text not in member.aliases and form.text.upper() not in {
                a.upper() for a in member.aliases
            }:
                member.aliases.append(form.text)
        if not member.role:
            fullest = best_name(person.forms)
            if len(fullest.split(" ")) > len(member.name.split(" ")):
                member.name = _display(fullest)


def _ageless(label: str) -> str:
    """ "YOUNG NORA" -> "NORA": an age is not part of the name."""
    first, _, rest = label.partition(" ")
    return rest if rest and first.lower() in YOUTH_AGE_PREFIXES else label


def _plain(label: str) -> str:
    """A label as name words: "MR. FENWICK" -> "MR. FENWICK"; "STORMY DAVE" kept."""
    return collapse_spaces(re.sub(r"[^\w.'\u2019\- ]+", " ", label))


def _attach_intro(text: str, cast: list[CastMember], groups: list[list[NameForm]]) -> None:
    form = parse_name(re.sub(r"^THE\s+", "", collapse_spaces(text)))
    tokens = [w.upper().rstrip(".") for w in form.words]
    if tokens and tokens[0].lower() in YOUTH_AGE_PREFIXES and len(tokens) > 1:
        tokens = tokens[1:]
    if not tokens or not all(re.search(r"[A-Z]{2}", t) for t in tokens):
        return
    starts, ends = [], []
    for position, forms in enumerate(groups):
        for label in forms:
            cue = [w.upper().rstrip(".") for w in label.words]
            if not cue:
                continue
            if tokens[: len(cue)] == cue:
                starts.append(position)
            elif tokens[-len(cue) :] == cue:
                ends.append(position)
    fits = sorted(set(starts)) or sorted(set(ends))
    if len(fits) == 1 and text not in [f.text for f in groups[fits[0]]]:
        groups[fits[0]].append(form)
        member = cast[fits[0]]
        if form.text not in member.aliases:
            member.aliases.append(form.text)


def _name_roles_from_vocatives(
    cast: list[CastMember], turns: list[_Turn], lower_text: Counter[str]
) -> None:
    """A speaker labelled by a role ("DISPATCHER") is the person the others address by
    a personal name in the turns next to theirs ("No, Sheila."), when every time that
    name is said (set off by a comma) the role speaker is the one answered or
    answering, and the name is nobody else's and not a word the text writes in lower
    case ("Lovely.")."""
    by_label = {a.upper(): m for m in cast for a in [speaker_label(x) for x in m.aliases]}
    roles = [m for m in cast if _is_role(m.aliases[0])]
    if not roles:
        return
    known = {w.lower() for m in cast for a in m.aliases for w in re.findall(r"[^\W\d_]+", a)}
    spoken = [t for t in turns if t.text]
    seen: dict[str, list[CastMember | None]] = {}
    for position, turn in enumerate(spoken):
        speaker = by_label.get(turn.label.upper())
        neighbours = [
            by_label.get(other.label.upper())
            for other in spoken[max(0, position - 1) : position + 2]
            if other is not turn and other.section == turn.section
        ]
        for vocative in find_vocatives(turn.text):
            if not vocative.strong or vocative.name.lower() in known:
                continue
            if any(lower_text[w.lower()] for w in vocative.name.split()):
                continue
            addressed = list(
                {
                    id(m): m for m in neighbours if m is not None and m is not speaker and m.role
                }.values()
            )
            seen.setdefault(vocative.name, []).append(addressed[0] if len(addressed) == 1 else None)
    for name, targets in seen.items():
        target = targets[0]
        if target is not None and all(t is target for t in targets) and name not in target.aliases:
            target.aliases.append(name)


def _is_role(label: str) -> bool:
    words_ = [w.lower() for w in re.findall(r"[^\W\d_]+", speaker_label(label))]
    return bool(words_) and words_[-1] in ROLE_NOUNS


# --- Subtitles without speaker labels: people known from being addressed ------------------

MIN_VOCATIVES = 2


def _vocative_cast(document: Document) -> list[CastMember]:
    """Characters of unlabelled subtitles: the names people are addressed by.

    A name counts when it is addressed at least twice, at least once set off by a
    comma ("Anna, wait!", "Go home, Jonas."), or once with a title ("Please, Mr.
    Weber."), and the text never writes it in lower case. Confidence stays low: nobody
    is ever labelled as speaking.
    """
    lower_text = _lower_words(document)
    counts: Counter[str] = Counter()
    strong: Counter[str] = Counter()
    first: dict[str, tuple[int, str]] = {}
    for index, block in enumerate(document.blocks):
        if block.kind not in SPOKEN_KINDS:
            continue
        for vocative in find_vocatives(block.text):
            counts[vocative.name] += 1
            strong[vocative.name] += int(vocative.strong)
            first.setdefault(vocative.name, (index, block.text))
    names = []
    for name in counts:
        form = parse_name(name)
        if any(lower_text[w.lower()] for w in form.words):
            continue
        if strong[name] and (counts[name] >= MIN_VOCATIVES or form.titles):
            names.append(form)
    people, _ = cluster_names(names)
    cast = []
    for person in people:
        forms = [f.text for f in person.forms]
        total = sum(counts[f] for f in forms)
        index, line = min(first[f] for f in forms)
        member = CastMember(best_name(person.forms), forms, index, counts_mentions=True)
        member.confidence = round(min(0.55, 0.3 + 0.05 * sum(strong[f] for f in forms)), 2)
        member.description = (
            f"Addressed by name {total} time{'s' if total != 1 else ''}, first in “{line}” "
            "The subtitles do not say who speaks, so this character is inferred from "
            "being spoken to."
        )
        cast.append(member)
    _count_spoken_mentions(document, cast)
    return cast


def _count_spoken_mentions(document: Document, members: list[CastMember]) -> None:
    """Mentions in what is said, for casts known only from speech (unlabelled subtitles)."""
    for member in members:
        pattern = name_regex(member.aliases)
        if pattern is None:
            continue
        for block in document.blocks:
            if block.kind in SPOKEN_KINDS:
                hits = len(pattern.findall(block.text))
                if hits:
                    member.mentions[block.section] += hits


# --- Story packs ---------------------------------------------------------------------------


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


# --- Prose --------------------------------------------------------------------------------


def _prose_cast(document: Document) -> list[CastMember]:
    """People found by evidence in the paragraphs (see `people`), with their quotes."""
    texts = [
        (index, block.text)
        for index, block in enumerate(document.blocks)
        if block.kind in NARRATIVE_KINDS | SPOKEN_KINDS
    ]
    pairs: list[tuple[CastMember, ProsePerson]] = []
    for person in find_people(texts):
        member = CastMember(
            best_name(person.person.forms),
            list(dict.fromkeys(person.forms)),
            person.evidence.first_block,
            counts_mentions=True,
            narrator=person.narrator,
            role=person.role,
        )
        pairs.append((member, person))
    _count_mentions(document, [member for member, _ in pairs])
    for member, _ in pairs:
        if member.narrator:
            _count_narrator(document, member)
    pairs = [(m, p) for m, p in pairs if sum(m.mentions.values()) or m.narrator]
    members = [member for member, _ in pairs]
    _attribute_quotes(document, members)
    for member, person in pairs:
        member.confidence = _prose_confidence(member, person)
        if member.narrator:
            member.description = _narrator_description(document, member)
    return members


def _count_narrator(document: Document, member: CastMember) -> None:
    """A first-person narrator is mentioned by every "I", "me" and "my" of the narration."""
    for section, blocks in blocks_by_section(document).items():
        for block in blocks:
            if block.kind not in NARRATIVE_KINDS:
                continue
            outside = re.sub(r"“[^”]*”|\"[^\"]*\"", " ", block.text)
            count = sum(1 for w in words(outside) if w.lower() in FIRST_PERSON and w != "i")
            if count:
                member.mentions[section] += count


def _narrator_description(document: Document, member: CastMember) -> str:
    pattern = name_regex(member.aliases)
    for block in document.blocks:
        if block.kind in NARRATIVE_KINDS and pattern is not None:
            for quote in quotes_in(block.text):
                if pattern.search(quote):
                    return (
                        f"The narrator, who tells the story as “I”; others call them "
                        f"{member.name} (“{quote}”)."
                    )
    return f"The narrator, who tells the story as “I”; others call them {member.name}."


def _prose_confidence(member: CastMember, person: ProsePerson) -> float:
    """How sure the evidence makes us, from 0.3 to 0.95:
    0.5, +0.15 for a title or full name, +0.15 for two or more strong signs (title,
    speech verb, "who", being addressed), +0.15 for quoted lines; a narrator known
    only by vocatives stays at 0.6, and someone mentioned once at most 0.55."""
    if member.narrator and not member.lines:
        return 0.6
    evidence = person.evidence
    score = 0.5
    if evidence.titled or person.person.is_full:
        score += 0.15
    if evidence.strong >= 2:
        score += 0.15
    if member.lines:
        score += 0.15
    if evidence.count < 2:
        score = min(score, 0.55)
    return round(max(0.3, min(0.95, score)), 2)


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
    """Each quotation goes to its speaker, by the sieves of rule-based quote attribution
    (research notes §1.2):

    1. the clause around it names someone with a speech verb: `"...," said Elena`,
       `"...," Silas Penrose said`, `Ada said, "..."` (but not `Jack's mother tells
       Wren, "..."`, where Wren is spoken to);
    2. a pronoun attribution (`"...," she said`) or no attribution at all continues
       the last speaker of the paragraph;
    3. otherwise the only person the paragraph names outside its quotations.
    """
    patterns = [(pattern, member) for member in members if (pattern := name_regex(member.aliases))]
    for block in document.blocks:
        if block.kind not in NARRATIVE_KINDS:
            continue
        text = block.text
        spans = [m for m in _RAW_QUOTE_RE.finditer(text) if _is_speech(m.group(1) or m.group(2))]
        if not spans:
            continue
        outside = _RAW_QUOTE_RE.sub(" | ", text)
        named = [member for pattern, member in patterns if pattern.search(outside)]
        previous: CastMember | None = None
        for position, match in enumerate(spans):
            start = spans[position - 1].end() if position else 0
            end = spans[position + 1].start() if position + 1 < len(spans) else len(text)
            after = re.split(r"(?<=[.!?])\s", text[match.end() : end], maxsplit=1)[0]
            before = re.split(r"[.!?]\s", text[start : match.start()])[-1]
            quote = collapse_spaces(match.group(1) or match.group(2))
            # `"...," said Elena` attributes; `"... by ten." Wren says no.` starts anew.
            continues = quote[-1:] != "." or after.lstrip()[:1].islower()
            speaker = (_speaker_in(after, patterns, opening=True) if continues else None) or (
                _speaker_in(before, patterns, opening=False)
            )
            if speaker is None:
                speaker = previous or (named[0] if len(named) == 1 else None)
            if speaker is None:
                continue
            previous = speaker
            for line in quotes_in(f"\u201c{quote}\u201d"):
                speaker.lines.append((block.section, line))
            speaker.spoken_sections.add(block.section)


def _is_speech(quote: str) -> bool:
    """Quotations that are speech end in punctuation inside the marks ("No,") or run to
    four words with a lower-case one. A name or title in quotation marks ("Forgotten
    Hands", called her "Finch") is not something said."""
    quote = collapse_spaces(quote)
    said = words(quote)
    return quote[-1:] in ".,!?…—-" or (len(said) >= 4 and any(w[0].islower() for w in said))


def _speaker_in(
    clause: str, patterns: list[tuple[re.Pattern[str], CastMember]], *, opening: bool
) -> CastMember | None:
    """The one person a clause names next to a speech verb: "Elena said" anywhere, or
    "said Elena" straight after the quotation (`opening`)."""
    found: list[CastMember] = []
    for pattern, member in patterns:
        for match in pattern.finditer(clause):
            after = clause[match.end() :].split()[:1]
            before = clause[: match.start()].split()
            if any(w.strip(",.;:!?").lower() in SPEECH_VERBS for w in after):
                found.append(member)
                break
            if opening and 0 < len(before) <= 2 and before[-1].strip(",").lower() in SPEECH_VERBS:
                found.append(member)
                break
    unique = list({id(m): m for m in found}.values())
    return unique[0] if len(unique) == 1 else None


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
