"""People in prose: capitalised name sequences kept only on evidence that they are people.

One pass over the story's paragraphs finds every capitalised sequence ("Dr. Elena Ruiz",
"Mr. Grice's", "the Glazier") and notes what surrounds each occurrence:

- person evidence: a title ("Mrs."), a speech verb next to it ("said Elena", "Brennan
  said"), a relative "who" ("Adela Soto, whose shop"), being addressed in quoted speech
  ("Tam, is it?"), a verb only people do ("Carvalho rented"), a "he"/"she" after it;
- place and thing evidence: a place or organisation word in the name ("Merrow Market",
  "Wren Maritime"), a preposition of place before it ("in Bellhaven"), an article
  ("the Cerro Alegre"), a place noun after it ("the Merrow road"), an animal being
  named ("The horse was called Dauntless");
- non-names: sentence-initial words the text also writes in lower case ("Still",
  "Rain"), days, months and holidays, titles on their own ("Mr"), "St".

Forms are grouped into people by `names.cluster_names`, and a group is kept when its
person evidence outweighs its place evidence. A role used as a name ("the Glazier")
counts when the text lets it speak or act. A first-person narrator counts only under
a name others call them by.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from transformations.engines.local.lexicon import STOPWORDS
from transformations.engines.local.names import (
    CALENDAR,
    LOCATIVE_WORDS,
    NAME_PARTICLES,
    NOT_NAMES,
    PERSONAL_TITLES,
    PLACE_NOUNS_AFTER,
    PLACE_ORG_WORDS,
    NameForm,
    Person,
    cluster_names,
    parse_name,
    title_key,
)
from transformations.engines.local.vocatives import find_vocatives
from transformations.ingest.text import word_set

SPEECH_WORDS = word_set(
    """said says asked asks replied replies whispered whispers shouted shouts answered
    answers muttered mutters cried yelled yells murmured murmurs snapped snaps told tells
    added adds insisted insists admitted admits agreed agrees explained explains repeated
    demanded wondered breathed hissed pleaded confirmed confirms announced announces
    stated states declared declares argued argues claimed claims noted notes recalled
    recalls warned warns exclaimed wrote writes began continued called calls"""
)
# Verbs whose subject is nearly always a person ("Carvalho rented", "Mrs. Tallow strikes").
HUMAN_VERBS = word_set(
    """smiled smiles laughed laughs nodded nods frowned frowns shrugged shrugs sighed sighs
    grinned grins winked winks wept weeps whispered thought thinks felt feels knew knows
    decided decides realised realises realized realizes remembered remembers wondered
    wonders hoped hopes wanted wants loved loves hated hates believed believes apologised
    apologises apologized apologizes promised promises refused refuses sat sits stood
    stands walked walks climbed climbs followed follows watched watches looked looks
    listened listens opened opens picked picks held holds lifted lifts pulled pulls pushed
    pushes waited waits arrived arrives returned returns visited visits married marries
    died lived lives worked works studied studies taught teaches learned learns learnt
    engraved engraves rented rents bought buys sold sells met meets kissed kisses hugged
    hugs sang sings danced dances slept sleeps woke wakes drank drinks carried carries
    handed hands struck strikes knelt kneels kneeled drew draws sailed sails travelled
    traveled travels recorded records arranged arranges persuaded persuades presented
    presents outlived outlives spoke speaks grabbed grabs hauled hauls scolded scolds
    blushed blushes hesitated hesitates relented relents chaired chairs fished
    sulks sulked poured pours signed signs paid pays hired hires fired kept keeps chose
    chooses tried tries begged begs prayed prays"""
)
# Pronouns that say a person's gender without ambiguity ("her" could be anyone's).
MALE_PRONOUNS = word_set("he his himself")
FEMALE_PRONOUNS = word_set("she herself")
# Animals named in the text ("The horse was called Dauntless") are not characters.
ANIMALS = word_set(
    """horse pony cob mare stallion foal donkey mule dog puppy hound sheepdog terrier cat
    kitten canary parrot bird budgie hen cock rooster goat cow bull ox pig sheep lamb
    rabbit hamster mouse rat fox owl raven crow goose duck swan fish boat ship yacht
    ferry barge car"""
)
# Words before a capitalised word that make it an age or a kind, not part of the name.
DESCRIPTORS = word_set("old young little big poor dear good great old-timer")
NAMING_VERBS = word_set("called named nicknamed christened")
MIN_MENTIONS = 2
FIRST_PERSON = word_set("i me my mine myself")

_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*|\d+|\S")
_OPEN_QUOTES = frozenset("\u201c\u2018(")
_CLOSE_QUOTES = frozenset("\u201d\u2019)")
_ENDERS = frozenset(".!?…:")
_CONTRACTIONS = ("t", "m", "re", "ve", "ll", "d")
_QUOTE_RE = re.compile(r"\u201c([^\u201d]{1,800})\u201d|\"([^\"\n]{1,800})\"")


@dataclass
class _Token:
    text: str
    lower: str
    in_quote: bool
    start: bool = False  # starts a sentence (or a quotation)


@dataclass
class FormEvidence:
    """What the text says around every occurrence of one name form."""

    count: int = 0
    titled: int = 0
    speech: int = 0
    who: int = 0
    vocative: int = 0
    human: int = 0
    place: int = 0
    animal: int = 0
    initial: int = 0  # occurrences at the start of a sentence
    quoted: int = 0  # occurrences inside quotation marks
    he: int = 0
    she: int = 0
    first_block: int = 0

    @property
    def strong(self) -> int:
        return self.titled + self.speech + self.who + self.vocative


@dataclass
class ProsePerson:
    forms: list[str]  # as written, titles included, first seen first
    person: Person
    evidence: FormEvidence
    role: bool = False
    narrator: bool = False
    reasons: list[str] = field(default_factory=list)


@dataclass
class NameScan:
    """Name forms found in the text, their evidence, and facts about the narration."""

    forms: dict[str, NameForm] = field(default_factory=dict)
    evidence: dict[str, FormEvidence] = field(default_factory=dict)
    lower_words: Counter[str] = field(default_factory=Counter)
    first_person: int = 0
    narrative_words: int = 0
    outside_quotes: set[str] = field(default_factory=set)  # forms seen in narration
    vocatives: Counter[str] = field(default_factory=Counter)
    strong_vocatives: Counter[str] = field(default_factory=Counter)

    def pronouns(self) -> dict[str, tuple[int, int]]:
        return {text: (e.he, e.she) for text, e in self.evidence.items()}


def scan_names(texts: list[tuple[int, str]]) -> NameScan:
    """Every capitalised name form in (block index, text) paragraphs, with its evidence."""
    scan = NameScan()
    tokenised = [(index, _tokens(text)) for index, text in texts]
    for _, tokens in tokenised:
        for token in tokens:
            if token.text[0].islower() and token.text[0].isalpha():
                scan.lower_words[token.lower] += 1
    for _, text in texts:
        for a, b in _QUOTE_RE.findall(text):
            for vocative in find_vocatives(a or b):
                scan.vocatives[vocative.name] += 1
                if vocative.strong:
                    scan.strong_vocatives[vocative.name] += 1
    for index, tokens in tokenised:
        _scan_block(index, tokens, scan)
    for text, evidence in scan.evidence.items():
        evidence.vocative = scan.strong_vocatives[text]
    return scan


def find_people(texts: list[tuple[int, str]]) -> list[ProsePerson]:
    """People named in prose paragraphs given as (block index, text), in first-seen order."""
    scan = scan_names(texts)
    names = [f for f in scan.forms.values() if not f.role]
    people, _ = cluster_names(names, pronouns=scan.pronouns())
    kept = _keep_people(people, scan)
    kept += _role_people(scan)
    narrator = _narrator(scan, kept)
    if narrator:
        kept.append(narrator)
    return sorted(kept, key=lambda p: (p.evidence.first_block, p.forms[0]))


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    in_quote = False
    sentence_start = True
    for match in _TOKEN_RE.finditer(text):
        raw = match.group(0)
        if raw in {"\u201c", "\u201d", '"'}:
            in_quote = raw == "\u201c" or (raw == '"' and not in_quote)
            if in_quote:
                sentence_start = True
            continue
        token = _Token(raw, raw.lower(), in_quote, sentence_start)
        tokens.append(token)
        if raw in _ENDERS:
            # "Mr." and initials ("B.") do not end a sentence.
            previous = tokens[-2].text if len(tokens) > 1 else ""
            sentence_start = not (
                raw == "." and (title_key(previous) or len(previous) == 1 or previous == "St")
            )
        elif raw not in _OPEN_QUOTES and raw not in _CLOSE_QUOTES:
            sentence_start = False
    return tokens


def _name_word(token: _Token) -> bool:
    text = token.text
    if len(text) < 2 or not text[0].isupper() or text.isupper() or not text[0].isalpha():
        return False
    for mark in ("'", "\u2019"):
        if mark in text:
            tail = text.rsplit(mark, 1)[1].lower()
            if tail in _CONTRACTIONS:
                return False
    return True


def _possessive(text: str) -> str:
    for ending in ("'s", "\u2019s"):
        if text.endswith(ending):
            return text[: -len(ending)]
    if text.endswith(("s'", "s\u2019")):
        return text[:-1]
    return ""


def _scan_block(index: int, tokens: list[_Token], scan: NameScan) -> None:
    i = 0
    for token in tokens:
        if not token.in_quote and token.lower[:1].isalpha():
            scan.narrative_words += 1
            if token.lower in FIRST_PERSON and (token.lower != "i" or token.text == "I"):
                scan.first_person += 1
    while i < len(tokens):
        end = _span_end(tokens, i)
        if end == i:
            i += 1
            continue
        _record(index, tokens, i, end, scan)
        i = end


def _span_end(tokens: list[_Token], i: int) -> int:
    """End (exclusive) of the capitalised name sequence starting at i, or i if none."""
    j = i
    # Titles: "Mr.", "Dr", "the Reverend Mr." (each may be followed by a full stop).
    while j < len(tokens) and title_key(tokens[j].text) and tokens[j].text[0].isupper():
        k = j + 1
        if k < len(tokens) and tokens[k].text == ".":
            k += 1
        if k < len(tokens) and (_name_word(tokens[k]) or title_key(tokens[k].text)):
            j = k
        else:
            break
    if j >= len(tokens) or not _name_word(tokens[j]):
        return i
    j += 1
    while j < len(tokens):
        previous = tokens[j - 1].text
        if _possessive(previous):
            break
        token = tokens[j]
        following = tokens[j + 1] if j + 1 < len(tokens) else None
        if (_name_word(token) and not title_key(token.text)) or (
            token.lower in NAME_PARTICLES and following and _name_word(following)
        ):
            j += 1
        elif (
            len(token.text) == 1
            and token.text.isupper()
            and following is not None
            and following.text == "."
            and j + 2 < len(tokens)
            and _name_word(tokens[j + 2])
        ):
            j += 2  # an initial: "Mr. B. Knox"
        else:
            break
    return j


def _record(index: int, tokens: list[_Token], i: int, end: int, scan: NameScan) -> None:
    raw = [t.text for t in tokens[i:end]]
    possessive = _possessive(raw[-1])
    if possessive:
        raw[-1] = possessive
    text = re.sub(r"\s+\.", ".", " ".join(raw))
    form = parse_name(text)
    words = list(form.words)
    first = i  # the token of the first name word kept
    # Sentence-initial words the text also uses in lower case are not names ("Still").
    while len(words) > 0 and not form.titles and first == i and tokens[i].start:
        lowered = words[0].lower()
        common = (
            lowered in STOPWORDS
            or lowered in NOT_NAMES
            or scan.lower_words[lowered] > 0
            or (lowered in DESCRIPTORS and len(words) > 1)
        )
        if not common:
            break
        words.pop(0)
        first += 1
    if not form.titles and len(words) > 1 and words[0].lower() in DESCRIPTORS:
        words.pop(0)  # "old Tomas"
        first += 1
    if not words:
        return
    initial = first == i and tokens[i].start
    lowered = [w.lower().rstrip(".") for w in words]
    before = tokens[first - 1].lower if first > 0 else ""
    before2 = tokens[first - 2].lower if first > 1 else ""
    after = tokens[end] if end < len(tokens) else None
    if any(w in CALENDAR for w in lowered) and not form.titles:
        return
    personal = any(title in PERSONAL_TITLES for title in form.titles)
    if not personal and (lowered[-1] in PLACE_ORG_WORDS or lowered[0] in _PLACE_FIRST_WORDS):
        return  # "Merrow Market", "Port Kells", "Queen Street"; but "Mrs. Hall" is a person
    if possessive and after is not None and _name_word(after) and after.lower in PLACE_ORG_WORDS:
        return  # "Fenn's Farm", "St. Brendan's Hospital"
    if not form.titles and len(words) == 1 and (lowered[0] in NOT_NAMES or lowered[0] in STOPWORDS):
        return
    if before in {"a", "an"} and not form.titles:
        return
    if before == "the" and not form.titles:
        if len(words) == 1 and tokens[first].text == words[0]:
            _record_role(index, tokens, first, end, words[0], scan)
        return
    text = _written(raw, len(form.titles), words)
    name = parse_name(text)
    scan.forms.setdefault(text, name)
    evidence = scan.evidence.setdefault(text, FormEvidence(first_block=index))
    evidence.count += 1
    evidence.titled += int(bool(name.titles))
    evidence.initial += int(initial)
    evidence.quoted += int(tokens[i].in_quote)
    if not tokens[i].in_quote:
        scan.outside_quotes.add(text)
    common = len(words) == 1 and scan.lower_words[lowered[0]] > 0
    # After a possessive comes what is owned ("Ada's hands"), not what she does.
    nxt = [] if possessive else _next_words(tokens, end)
    if (before in SPEECH_WORDS and not (before in NAMING_VERBS and before2 in _BE)) or any(
        word in SPEECH_WORDS for word in nxt
    ):
        evidence.speech += 1
    if any(word in {"who", "whose"} for word in nxt):
        evidence.who += 1
    if any(word in HUMAN_VERBS for word in nxt) and not common:
        evidence.human += 1
    if before in LOCATIVE_WORDS and not name.titles:
        evidence.place += 1
    if after is not None and after.lower in PLACE_NOUNS_AFTER and after.text[0].islower():
        evidence.place += 1
    if before in NAMING_VERBS:
        back = {t.lower for t in tokens[max(0, i - 6) : i]}
        if back & ANIMALS:
            evidence.animal += 1
    he, she = _pronouns_after(tokens, end)
    # A pronoun that follows speaks for a name that opened its sentence or clause, not
    # for an object ("reached Harwick. She left her bag", "a firm of Southwark").
    # "said Jem Tully" is a subject too: the speaker of an inverted attribution.
    subject = initial or before in CLAUSE_OPENERS or before in INVERTED_SPEECH
    if not common and subject and not tokens[i].in_quote:
        evidence.he += he
        evidence.she += she
        if he or she:
            evidence.human += 1


_BE = word_set("was is were are been be being")
INVERTED_SPEECH = word_set(
    "said says replied replies whispered whispers shouted cried answered muttered murmured"
)
CLAUSE_OPENERS = word_set(", ; and but then when while as so until after before because")
_PLACE_FIRST_WORDS = word_set(
    "port mount mt lake fort cape saint st rua calle via avenida plaza piazza cerro monte rue"
)


def _written(raw: list[str], title_count: int, words: list[str]) -> str:
    """The form as written: its titles (with their full stops) and the kept name words."""
    titles: list[str] = []
    position = 0
    while len(titles) < title_count and position < len(raw):
        token = raw[position]
        position += 1
        if token == ".":
            if titles:
                titles[-1] += "."
            continue
        titles.append(token)
    if position < len(raw) and raw[position] == ".":
        titles[-1] += "."
    return " ".join([*titles, *words])


def _next_words(tokens: list[_Token], end: int) -> list[str]:
    """The word after a name; after a comma, the word after the comma and the word
    after a closing comma, to see past an appositive ("Margaret Ojo, confirmed",
    "Tobias Wren, the company's managing director, told")."""
    if end >= len(tokens):
        return []
    if tokens[end].text != ",":
        return [tokens[end].lower]
    found = [tokens[end + 1].lower] if end + 1 < len(tokens) else []
    for k in range(end + 1, min(len(tokens), end + 14)):
        if tokens[k].text in _ENDERS:
            break
        if tokens[k].text == ",":
            if k + 1 < len(tokens):
                found.append(tokens[k + 1].lower)
            break
    return found


def _pronouns_after(tokens: list[_Token], end: int) -> tuple[int, int]:
    """The first gendered pronoun in narration after a name, in its sentence or the next."""
    sentences_seen = 0
    for token in tokens[end : end + 40]:
        if token.start and not token.in_quote:
            sentences_seen += 1
            if sentences_seen > 1:
                break
        if token.in_quote:
            continue
        if token.lower in MALE_PRONOUNS:
            return 1, 0
        if token.lower in FEMALE_PRONOUNS:
            return 0, 1
        if _name_word(token) and not token.start and not title_key(token.text):
            break  # someone else is named first
    return 0, 0


def _record_role(index: int, tokens: list[_Token], i: int, end: int, word: str, scan: NameScan):
    """ "the Glazier": a capitalised common noun used as a name."""
    lowered = word.lower()
    if lowered in PLACE_ORG_WORDS or lowered in NOT_NAMES or lowered in CALENDAR:
        return
    if lowered.endswith("s") and scan.lower_words[lowered] > 0:
        return  # a plural common noun: "the Sisters"
    text = f"{tokens[i - 1].text} {word}"  # "the Glazier", or "The Glazier" opening a sentence
    scan.forms.setdefault(text, parse_name(text, role=True))
    evidence = scan.evidence.setdefault(text, FormEvidence(first_block=index))
    evidence.count += 1
    speech_before = tokens[i - 2].lower if i > 1 else ""
    nxt = _next_words(tokens, end)
    if speech_before in SPEECH_WORDS or any(word in SPEECH_WORDS for word in nxt):
        evidence.speech += 1
    if any(word in HUMAN_VERBS for word in nxt):
        evidence.human += 1
    if any(word in {"who", "whose"} for word in nxt):
        evidence.who += 1
    if speech_before in LOCATIVE_WORDS:
        evidence.place += 1


def _merge(evidence: list[FormEvidence]) -> FormEvidence:
    total = FormEvidence(first_block=min(e.first_block for e in evidence))
    for item in evidence:
        for name in [
            "count",
            "titled",
            "speech",
            "who",
            "vocative",
            "human",
            "place",
            "animal",
            "initial",
            "quoted",
            "he",
            "she",
        ]:
            setattr(total, name, getattr(total, name) + getattr(item, name))
    return total


def _keep_people(people: list[Person], scan: NameScan) -> list[ProsePerson]:
    candidates = []
    for person in people:
        texts = [f.text for f in person.forms]
        evidence = _merge([scan.evidence[t] for t in texts])
        candidates.append(ProsePerson(forms=texts, person=person, evidence=evidence))
    strong_surnames = {
        c.person.last
        for c in candidates
        if (c.evidence.strong and c.person.is_full) or c.person.titles
    }
    kept = []
    for candidate in candidates:
        e = candidate.evidence
        person = candidate.person
        reasons = []
        strong = e.strong
        if e.quoted >= e.count:
            continue  # only ever named in dialogue: talked about, not seen
        # Families share surnames: "Joaquim Carvalho" beside "Miss Carvalho".
        if person.is_full and person.last in strong_surnames and not strong:
            relatives = [
                c for c in candidates if c is not candidate and c.person.last == person.last
            ]
            if any(c.evidence.strong for c in relatives):
                strong += 1
                reasons.append("shares a surname with another person")
        score = 2 * strong + e.human
        if e.animal and not e.speech:
            continue
        if score <= e.place:
            continue
        if not strong and (e.human < 2 or 3 * e.human < e.count):
            continue  # without a strong sign, a third of the mentions must show a person
        if e.count < MIN_MENTIONS and not (e.titled or (person.is_full and strong)):
            continue
        candidate.reasons = reasons
        kept.append(candidate)
    return kept


def _role_people(scan: NameScan) -> list[ProsePerson]:
    """Roles used as names ("the Glazier", "The Glazier") count when the text lets them
    speak or act, and names them more than once."""
    groups: dict[str, list[str]] = {}
    for text, form in scan.forms.items():
        if form.role:
            groups.setdefault(" ".join(form.words).lower(), []).append(text)
    people = []
    for texts in groups.values():
        e = _merge([scan.evidence[text] for text in texts])
        if e.count < MIN_MENTIONS or e.place >= e.count:
            continue
        if e.speech or e.who or e.human >= 2:
            forms = [scan.forms[text] for text in texts]
            person = Person(forms=forms, words=forms[0].words)
            people.append(ProsePerson(forms=texts, person=person, evidence=e, role=True))
    return people


def _narrator(scan: NameScan, kept: list[ProsePerson]) -> ProsePerson | None:
    """A first-person narrator, under the name others call them by in quoted speech.

    Only when the narration is in the first person, and only a one-word name that is
    addressed (at least once set off by a comma, twice in all) and never used in the
    narration itself, which would make it someone the narrator talks about. Returns a
    new person, or marks the kept person with that name and returns None.
    """
    if scan.first_person < 5 or scan.first_person * 50 < scan.narrative_words:
        return None
    best: tuple[int, str] | None = None
    for name, count in sorted(scan.vocatives.items()):
        lowered = name.lower()
        holders = [p for p in kept if lowered in {f.lower() for f in p.forms}]
        others = [p for p in kept if p not in holders]
        if " " in name or count < 2 or not scan.strong_vocatives[name]:
            continue
        if name in scan.outside_quotes or scan.lower_words[lowered] > 0:
            continue
        if any(f in scan.outside_quotes for p in holders for f in p.forms):
            continue
        if any(lowered in {w.lower() for w in p.person.words} for p in others):
            continue
        if any(p.person.first.startswith(lowered) for p in others):
            continue  # a short form of someone's name ("Bry" for Bryony)
        if best is None or count > best[0]:
            best = (count, name)
    if best is None:
        return None
    count, name = best
    for person in kept:
        if name.lower() in {f.lower() for f in person.forms}:
            person.narrator = True
            person.reasons.append(f"the first-person narrator, called {name} by others")
            return None
    form = parse_name(name)
    evidence = FormEvidence(count=count, vocative=count)
    person = Person(forms=[form], words=form.words)
    return ProsePerson(
        forms=[name],
        person=person,
        evidence=evidence,
        narrator=True,
        reasons=[f"the first-person narrator, called {name} by others"],
    )
