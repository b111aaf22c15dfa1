"""Person names: titles and their gender, name forms, and the rules that group forms
into people.

The grouping rules follow the research notes (§3.2) and Lucy's BookNLP fixes:

- a full name ("Elena Ruiz") is a person, and so is every full name the text spells the
  same way with a title ("Dr. Elena Ruiz");
- a titled form ("Mr. Quill", "Dr. Elena") joins the one full name it fits: by surname,
  or by first name for titles used with first names ("Grandad Osric"); the title's
  gender must agree with what the text says about that person, so Mr. Quill and
  Mrs. Quill never merge;
- a single word joins the one person whose first name it is, else the one person whose
  surname it is, else the one person whose first name it shortens ("Raj" of "Rajesh");
- a form that fits several people joins none of them: a first name or surname is given
  to one character only, and two people are never merged through a shared word.

Everything here is pure and deterministic: inputs are lists, outputs are lists in
first-seen order, and no decision depends on set iteration order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from transformations.ingest.text import collapse_spaces, word_set

# Titles by the gender they state. "m"/"f" titles decide merges; neutral ones do not.
MALE_TITLES = word_set(
    """mr mister sir lord king prince duke earl baron count brother father fr uncle grandad
    granddad grandpa grandfather master monsieur senor señor senhor herr signor"""
)
FEMALE_TITLES = word_set(
    """mrs ms miss lady dame queen princess duchess countess baroness sister mother
    aunt auntie granny grandma grandmother nan nana madame mme mlle madam senora señora
    senhora frau signora"""
)
NEUTRAL_TITLES = word_set(
    """mx dr doctor prof professor captain capt cpt lieutenant lt sergeant sgt inspector
    detective det constable pc officer agent judge justice mayor councillor councilor
    alderman reverend rev revd minister chief commander cmdr colonel col major general
    admiral commodore president senator governor bishop archbishop rabbi imam pastor
    deacon elder coach nurse matron cousin"""
)
TITLES = MALE_TITLES | FEMALE_TITLES | NEUTRAL_TITLES
# Titles that only ever go with a person's name: "Mrs. Hall" is a person, while
# "Queen Street" and "Prince Albert Road" are places.
PERSONAL_TITLES = word_set("mr mrs ms miss mx dr doctor prof professor")
# Titles usually followed by a first name rather than a surname ("Brother Aelred").
FIRST_NAME_TITLES = word_set(
    """brother sister uncle aunt auntie grandad granddad grandpa granny grandma nan nana
    cousin sir dame"""
)

# Capitalised words that are never a person's name on their own.
NOT_NAMES = word_set(
    """st mt ft jr sr co ltd inc plc no vol ch pp ok okay god lord sir madam ma'am mum mom
    dad papa mama daddy mummy mommy grandad granny nan sis bro mate love darling dear honey
    sweetheart sweetie pet son boy girl lad lass man woman kid child baby guys folks
    everyone everybody anyone anybody someone somebody nobody noone all both none
    chapter part act scene page section book volume episode the a an i
    english french spanish german italian portuguese dutch irish scottish welsh british
    american european chinese japanese indian african russian greek latin"""
)
CALENDAR = word_set(
    """monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays
    thursdays fridays saturdays sundays january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    today tomorrow yesterday tonight christmas easter midwinter midsummer eve hogmanay
    halloween michaelmas whitsun lent advent spring summer autumn winter"""
)
# Nouns that make a capitalised phrase a place or an organisation ("Merrow Market",
# "Wren Maritime Holdings"): a person's full name rarely ends in one.
PLACE_ORG_WORDS = word_set(
    """street st road rd lane avenue ave square place row terrace close crescent way drive
    court parade walk market bridge hall hotel inn pub tavern arms house farm manor cottage
    lodge wood woods forest river ford bay harbour harbor quay wharf pier dock docks port
    point head headland ness cape hill hills mount mountain mountains valley vale glen
    park garden gardens church chapel abbey priory cathedral minster temple mosque
    synagogue school college university academy hospital clinic infirmary station
    terminus depot castle tower towers palace lighthouse island isle islands coast shore
    beach sands cove creek lake loch sea ocean channel strait sound firth yard field fields
    green common moor heath marsh fen county city town village district ward parish
    borough shire kingdom republic empire state states province region mill works ruins
    rocks narrows falls springs gate gates cross centre center mall arcade library museum
    gallery theatre theater cinema office bank prison cemetery airport estate
    company co ltd limited inc plc llc corp corporation holdings maritime group partners
    society association council committee board trust foundation institute institution
    agency ministry department navy army police government parliament club union party
    league federation authority commission service services press times news gazette
    herald post journal radio television series show podcast records studios"""
)
# Words before a capitalised phrase that make it a place ("in Bellhaven", "from Lisbon").
LOCATIVE_WORDS = word_set(
    """in at to from into onto toward towards near across through via past beyond
    outside inside around along over under off within throughout between behind below
    above opposite"""
)
# Words after a name that make it a place ("Merrow road", "Gull Ness lighthouse").
PLACE_NOUNS_AFTER = word_set(
    """road street lane path harbour harbor quay station market church chapel hall hotel
    inn pub bridge river coast lighthouse village town city valley hills woods wood shore
    sea bay estuary castle abbey farm mill line railway airport"""
)
NAME_PARTICLES = word_set("de da das dos do del della di du van von der den ter le la bin ibn al")

_INITIAL_RE = re.compile(r"^[A-Z]\.?$")


def title_key(word: str) -> str:
    """ "Mrs." -> "mrs"; "" when the word is not a title."""
    key = word.lower().rstrip(".")
    return key if key in TITLES else ""


def title_gender(title: str) -> str:
    if title in MALE_TITLES:
        return "m"
    if title in FEMALE_TITLES:
        return "f"
    return ""


@dataclass(frozen=True)
class NameForm:
    """A name as written, split into its titles and its name words.

    "Dr. Elena Ruiz" -> titles ("dr",), words ("Elena", "Ruiz");
    "the Glazier" -> role ("Glazier",).
    """

    text: str
    titles: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    role: bool = False

    @property
    def gender(self) -> str:
        genders = sorted({title_gender(t) for t in self.titles} - {""})
        return genders[0] if len(genders) == 1 else ""

    @property
    def first(self) -> str:
        return self.words[0] if self.words else ""

    @property
    def last(self) -> str:
        return self.words[-1] if self.words else ""

    @property
    def is_full(self) -> bool:
        """Two or more name words (initials do not count): "Elena Ruiz", "Mr. Obadiah Grice"."""
        return len([w for w in self.words if not _INITIAL_RE.match(w)]) >= 2


def parse_name(text: str, *, role: bool = False) -> NameForm:
    """Split a written name into titles and name words (initials and particles kept)."""
    text = collapse_spaces(text)
    if role:
        bare = re.sub(r"^the\s+", "", text, flags=re.I)
        return NameForm(text=text, words=tuple(bare.split(" ")), role=True)
    tokens = text.split(" ")
    titles: list[str] = []
    while len(tokens) > 1 and title_key(tokens[0]):
        titles.append(title_key(tokens.pop(0)))
    return NameForm(text=text, titles=tuple(titles), words=tuple(tokens))


def name_key(words: tuple[str, ...]) -> str:
    """Words compared without case or accents' case: ("McKENZIE",) and ("McKenzie",) match."""
    return " ".join(w.lower().rstrip(".") for w in words)


@dataclass
class Person:
    """A group of name forms that the rules say belong to one person."""

    forms: list[NameForm]
    words: tuple[str, ...]  # the fullest name words known (a full name, else the form's)
    gender: str = ""  # "m" | "f" | "" from titles and pronouns
    titles: list[str] = field(default_factory=list)  # titles seen with this person
    votes: list[str] = field(default_factory=list)  # more forms whose pronouns count

    @property
    def first(self) -> str:
        return self.words[0].lower() if self.words else ""

    @property
    def last(self) -> str:
        return self.words[-1].lower() if self.words else ""

    @property
    def is_full(self) -> bool:
        return len(self.words) >= 2

    def add(self, form: NameForm) -> None:
        if form.text not in [f.text for f in self.forms]:
            self.forms.append(form)
        for title in form.titles:
            if title not in self.titles:
                self.titles.append(title)


def cluster_names(
    forms: list[NameForm],
    *,
    pronouns: Mapping[str, tuple[int, int]] | None = None,
    anchors: list[list[NameForm]] | None = None,
) -> tuple[list[Person], list[NameForm]]:
    """Group forms into people; returns (people, single words that fit several people).

    `anchors` are people known in advance (speaker labels), each with its forms; they
    are never merged with each other. `pronouns` maps a form's text to the number of
    (he, she) pronouns that follow it in the text. Forms are taken in the given order.
    """
    votes: dict[str, tuple[int, int]] = {}
    for text, (he, she) in (pronouns or {}).items():
        before = votes.get(text.lower(), (0, 0))
        votes[text.lower()] = (before[0] + he, before[1] + she)
    people: list[Person] = []
    for group in anchors or []:
        person = Person(forms=[], words=max((f.words for f in group), key=len))
        for form in group:
            person.add(form)
        people.append(person)
    by_words: dict[str, Person] = {name_key(p.words): p for p in people if p.is_full}
    leftovers: list[NameForm] = []

    # 1. Full names are people; the same full name with or without a title is one person.
    for form in forms:
        if form.role or not form.is_full:
            continue
        key = name_key(form.words)
        if key in by_words:
            by_words[key].add(form)
            continue
        # "Obadiah Grice" and "Obadiah J. Grice": the same first and last name.
        wider = [
            p
            for p in people
            if p.is_full and p.first == form.first.lower() and p.last == form.last.lower()
        ]
        if len(wider) == 1:
            wider[0].add(form)
            if len(form.words) > len(wider[0].words):
                wider[0].words = form.words
            by_words[key] = wider[0]
            continue
        person = Person(forms=[], words=form.words)
        person.add(form)
        people.append(person)
        by_words[key] = person
    # A first name used alone speaks for its one full name ("Joaquim ... he wrote").
    firsts = [p.first for p in people if p.is_full]
    for person in people:
        alone = [f for f in forms if not f.titles and not f.role and len(f.words) == 1]
        if person.is_full and firsts.count(person.first) == 1:
            for form in alone:
                if form.words[0].lower() == person.first:
                    person.votes.append(form.text)
        _settle_gender(person, votes)

    # 2. Titled single names: "Mr. Quill", "Dr. Ruiz", "Grandad Osric", "Mrs. Fenn".
    for form in forms:
        if not form.titles or form.is_full or form.role or not form.words:
            continue
        person = _titled_match(form, people)
        if person is None or person is _AMBIGUOUS:
            # Nobody fits, or several do ("Mr. Bennet" beside Elizabeth and Jane Bennet):
            # a person of their own, never a guess between two.
            # "Mr Bennet" joins "Mr. Bennet": the same word with a title of the same gender.
            same = [
                p
                for p in people
                if not p.is_full
                and p.titles
                and p.last == form.last.lower()
                and p.gender == form.gender
            ]
            if len(same) == 1:
                person = same[0]
            else:
                person = Person(forms=[], words=form.words[-1:])
                people.append(person)
        person.add(form)
        _settle_gender(person, votes)

    # 3. Single words: a first name, a surname, or a short form of a first name.
    for form in forms:
        if form.titles or form.is_full or form.role or not form.words:
            continue
        he, she = votes.get(form.text.lower(), (0, 0))
        word = form.words[-1].lower().rstrip(".")
        person = _single_match(word, people, gender_from_pronouns(he, she))
        if person is _AMBIGUOUS:
            leftovers.append(form)
        elif person is not None:
            person.add(form)
        else:
            person = Person(forms=[], words=form.words)
            person.add(form)
            people.append(person)

    # 4. Role names ("the Glazier") are people of their own.
    for form in forms:
        if not form.role:
            continue
        key = name_key(form.words)
        same = [p for p in people if p.forms and p.forms[0].role and name_key(p.words) == key]
        if same:
            same[0].add(form)
        else:
            person = Person(forms=[], words=form.words)
            person.add(form)
            people.append(person)
    known = len(anchors or [])  # anchors keep their places, even without forms
    return people[:known] + [p for p in people[known:] if p.forms], leftovers


# Returned by the matchers when several people fit: the form is given to nobody.
_AMBIGUOUS = Person(forms=[], words=())


def gender_from_pronouns(he: int, she: int) -> str:
    """ "m" or "f" when one kind of pronoun clearly dominates (at least twice the other)."""
    if he > 0 and he >= 2 * she:
        return "m"
    if she > 0 and she >= 2 * he:
        return "f"
    return ""


def _settle_gender(person: Person, votes: Mapping[str, tuple[int, int]]) -> None:
    # `votes` is keyed by lower-case form text.
    """Titles decide gender; without a gendered title, the pronouns after the forms do."""
    from_titles = sorted({title_gender(t) for t in person.titles} - {""})
    if len(from_titles) == 1:
        person.gender = from_titles[0]
        return
    texts = list(dict.fromkeys(t.lower() for t in [*(f.text for f in person.forms), *person.votes]))
    he = sum(votes.get(text, (0, 0))[0] for text in texts)
    she = sum(votes.get(text, (0, 0))[1] for text in texts)
    person.gender = gender_from_pronouns(he, she)


def _titled_match(form: NameForm, people: list[Person]) -> Person | None:
    """The one person a titled single name fits; None for nobody, `_AMBIGUOUS` for several."""
    word = form.words[-1].lower().rstrip(".")
    gender = form.gender
    title = form.titles[-1]
    full = [p for p in people if p.is_full]
    by_surname = [p for p in full if p.last == word and _compatible(gender, p)]
    by_first = [p for p in full if p.first == word and _compatible(gender, p)]
    # Another titled single name already made a person ("Mayor Marsh" then "Ms. Marsh").
    by_title = [
        p
        for p in people
        if not p.is_full and p.last == word and p.titles and _compatible(gender, p)
    ]
    order = (by_first, by_surname) if title in FIRST_NAME_TITLES else (by_surname, by_first)
    for candidates in (*order, by_title):
        if not candidates:
            continue
        if len(candidates) > 1:
            # Prefer whoever the text already wrote with this title ("Mr. Obadiah Grice"),
            # then whoever is known to have the title's gender.
            same_title = [p for p in candidates if _full_with_title(p, title)]
            gendered = [p for p in candidates if gender and p.gender == gender]
            candidates = same_title if len(same_title) == 1 else gendered
        return candidates[0] if len(candidates) == 1 else _AMBIGUOUS
    return None


def _compatible(gender: str, person: Person) -> bool:
    return not gender or not person.gender or gender == person.gender


def _full_with_title(person: Person, title: str) -> bool:
    return any(title in f.titles and f.is_full for f in person.forms)


def _single_match(word: str, people: list[Person], gender: str = "") -> Person | None:
    """First name, then surname (or a one-word name), then a short form of a first name;
    `_AMBIGUOUS` when several people fit. `gender` is what the pronouns after this
    form say, when they say anything."""
    firsts = [p for p in people if p.is_full and p.first == word]
    if len(firsts) == 1:
        return firsts[0]
    if len(firsts) > 1:
        return _AMBIGUOUS
    lasts = [p for p in people if p.last == word]
    if len(lasts) > 1 and gender:
        lasts = [p for p in lasts if p.gender == gender] or lasts
    if len(lasts) > 1:
        # "Grice" alone belongs to the full name that is also "Mr. Grice", when only one is.
        titled = [
            p
            for p in lasts
            if p.is_full
            and any(f.titles and not f.is_full and f.last.lower() == word for f in p.forms)
        ]
        lasts = titled if len(titled) == 1 else lasts
    if len(lasts) == 1:
        return lasts[0]
    if len(lasts) > 1:
        return _AMBIGUOUS
    if len(word) >= 3:
        shortened = [p for p in people if len(p.first) > len(word) and p.first.startswith(word)]
        if len(shortened) == 1:
            return shortened[0]
        if len(shortened) > 1:
            return _AMBIGUOUS
    return None


def best_name(forms: list[NameForm]) -> str:
    """The fullest form: "Elena Ruiz" over "Dr. Ruiz" over "Elena"; ties by first seen.
    A full name is given without its title; someone known only as "Mrs. Tallow" keeps it."""

    def rank(item: tuple[int, NameForm]) -> tuple[int, int, int]:
        position, form = item
        if form.role:
            return (3, 0, position)
        kind = 0 if form.is_full and not form.titles else 1 if form.is_full else 2
        if kind == 2 and form.titles:
            kind = 1
        return (kind, -len(form.words), position)

    chosen = min(enumerate(forms), key=rank)[1]
    if chosen.role:
        return "The " + " ".join(chosen.words)
    if chosen.is_full:
        return " ".join(chosen.words)  # "Dr. Elena Ruiz" reads as "Elena Ruiz"
    return chosen.text
