"""Locations: scene headings in scripts, pack locations in packs, place phrases elsewhere.

Scripts and plays. Every scene heading is read again by `headings.parse_heading`:
"INT. COFFEE SHOP - DAY" and "EXT. COFFEE SHOP – NIGHT" are one location
(key "coffee-shop", int_ext "INT/EXT"); the time of day stays with the scene.
A sub-set written "LOCHSIDE HOTEL - BALLROOM" is a location of its own,
"Lochside Hotel Ballroom", with `parent_key` "lochside-hotel" (the corpus
annotation rule: a ballroom and a lobby are different sets). Shots, POVs, inserts
and title cards are not places; a forced heading that names a place is. A play's
declared setting ("The action takes place in the harbour town of Wick") is listed
too. Places named only in dialogue are not.

Prose, articles, decks and transcripts. Capitalised phrases are scored by their
evidence: the preposition before them ("in Bellhaven", "along Harbour Street",
"at St. Brendan's Hospital"), a place noun or prefix in the phrase itself
("Saltmarsh Lane", "The Crown Hotel", "Port Kells"), slide, chapter and section
titles that name places ("Scene 3: The Lighthouse", "Porto, 1841–1862"), and
how often and where they recur. Honorifics ("Mr", "St" on their own), people,
organisations ("Wren Maritime", "the Royal Geographical Society"), days and
continents are refused. Narration counts more than dialogue, except in
transcripts, where speech is all there is.

Each location carries its other forms (`aliases`), how often it is named
(`mentions`) and a confidence from the kind of evidence behind it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from transformations.engines.local.headings import (
    parse_heading,
    time_in_words,
    title_case,
)
from transformations.engines.local.lexicon import (
    BROAD_PLACES,
    CALENDAR_WORDS,
    HOLIDAY_WORDS,
    HONORIFICS,
    ORG_WORDS,
    PLACE_NOUNS,
    PLACE_PREFIXES,
    STOPWORDS,
)
from transformations.engines.local.text import (
    NARRATIVE_KINDS,
    SPOKEN_KINDS,
    STORY_KINDS,
    blocks_by_section,
    sentence_with,
)
from transformations.ingest.screenplay import PLACE_WORDS
from transformations.ingest.text import place_slug, readable, sentences, shorten, word_set
from transformations.pipeline.types import (
    BlockKind,
    Document,
    LocationSketch,
    Section,
    SourceType,
)

MAX_PROSE_LOCATIONS = 15
# Score a phrase needs to be kept (see `_Candidate.score`).
MIN_PLACE_SCORE = 2.5
# A single common noun used as a name ("the Narrows") needs more.
MIN_GENERIC_SCORE = 4.5
_NOUNS = PLACE_NOUNS | PLACE_WORDS
_CAP = "A-ZÀ-ÖØ-Þ"
_NAME_WORD = rf"(?:(?:St|Mt|Ft)\.|[{_CAP}][\w'\u2019\-]*)"
_CONNECTOR = r"(?:of\s+the|of|de\s+la|de|da|das|do|dos|del|du|la|le|upon|y|at)"
_PHRASE_RE = re.compile(
    rf"(?<![\w'\u2019.])(?P<the>[Tt]he\s+)?(?P<name>{_NAME_WORD}"
    rf"(?:\s+(?:{_CONNECTOR}\s+)?{_NAME_WORD}){{0,5}})"
)
_STRONG_PREPOSITIONS = (
    "in|at|into|inside|outside|across|through|along|near|toward|towards|on|onto|past|beyond"
    "|around|behind|within|throughout|aboard|reached|entered|arrived in|arrived at|as far as"
    "|up|down|over|off|under"
)
_WEAK_PREPOSITIONS = (
    "to|from|of|back to|out of|left|visited|left for|sailed for|bound for|headed for|set off for"
    "|via|by way of|outbound for|homeward to"
)
_PREPOSITION_RE = re.compile(
    rf"(?i:(?<![\w'])(?P<strong>{_STRONG_PREPOSITIONS})|(?<![\w'])(?P<weak>{_WEAK_PREPOSITIONS}))"
    r"\s*$"
)
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;\"“”\u2014(\[]\s*|\n)\s*$")
_QUOTE_SPAN_RE = re.compile(r"“[^”]{0,2000}”|\"[^\"\n]{0,2000}\"")
_TITLE_PREFIX_RE = re.compile(
    r"^(?:(?:scene|slide|part|chapter|act|section|episode|book|stop)\s+[\w\d]+\s*[:.\-–—]\s*"
    r"|\d+\s*[.:)\-–—]\s*)",
    re.IGNORECASE,
)
_TITLE_YEARS_RE = re.compile(r",?\s*(?:c\.\s*)?\d{3,4}(?:\s*[–\-]\s*\d{2,4})?\s*$")
# "Midnight at Gull Ness", "Home to Hollin Bridge": a moment, then the place.
_MOMENT_AT_RE = re.compile(
    r"^(?:[A-Za-z]+\s+){1,2}(?:at|to|in|on|near|by|from|across)\s+(?:the\s+)?(?P<place>.+)$"
)
_MOMENT_WORDS = word_set(
    """midnight noon morning evening night dawn dusk home return back journey arrival
    departure road way storm winter summer spring autumn christmas return"""
)
_SETTING_RE = re.compile(
    r"(?i:takes place|is set|are set|set|scene is|scene:|setting:)\s+(?:in\s+|at\s+)?"
    r"(?:the\s+[a-z\- ]{0,40}?\s+of\s+)?(?P<place>[A-Z][\w'\u2019\-]+(?:\s+[A-Z][\w'\u2019\-]+)*)"
)
_STRIP_PUNCT = ".,;:!?\"'“”‘’()[]"
# "the Pacific coast", "a Chilean gunboat": a one-word adjective before a common noun.
_ADJECTIVE_RE = re.compile(r"^[A-ZÀ-Þ][a-zà-ÿ]+(?:an|ese|ish|ic)$")
_NEXT_WORD_RE = re.compile(r"\s+([a-z][a-z'\-]+)")
_OPENING_PREPOSITION_RE = re.compile(
    r"^(In|At|Into|Inside|Outside|Across|Through|Along|Near|Toward|Towards|On|Past|Beyond|"
    r"Around|Behind|Within|Aboard|To|From|Via)\s+(?=\S)"
)


@dataclass
class _Candidate:
    forms: Counter[str] = field(default_factory=Counter)
    with_article: int = 0
    evidence: float = 0.0  # prepositions, weighted by strength and narration
    titles: int = 0  # slide, chapter or document titles naming it
    mentions: int = 0
    sections: set[int] = field(default_factory=set)
    first: tuple[int, int] = (1 << 30, 0)  # (block, offset) of the first mention
    shaped: bool = False  # a place noun or prefix in the phrase itself
    other_forms: list[str] = field(default_factory=list)  # forms merged in from others
    generic: bool = False  # one common place noun ("the Narrows", "the City")
    narrated: int = 0  # mentions outside dialogue (all speech counts in transcripts)

    @property
    def score(self) -> float:
        spread = 1.0 if len(self.sections) > 1 else 0.0
        return self.evidence + 3.0 * min(self.titles, 2) + 2.0 * self.shaped + spread

    def add(self, form: str, article: bool, position: tuple[int, int], section: int) -> None:
        self.forms[form] += 1
        self.with_article += int(article)
        self.mentions += 1
        self.sections.add(section)
        self.first = min(self.first, position)


def sketch_locations(document: Document, character_forms: list[str]) -> list[LocationSketch]:
    if document.pack is not None:
        return _pack_locations(document)
    from_headings = _heading_locations(document)
    if from_headings:
        return from_headings + _declared_setting(document, from_headings)
    return _prose_locations(document, character_forms)


# ---------------------------------------------------------------- scripts and plays


@dataclass(frozen=True)
class ScenePlace:
    """Where and when one section happens, as its heading says."""

    name: str = ""
    key: str = ""
    parent: str = ""  # the set a sub-set belongs to ("Lochside Hotel")
    int_ext: str = ""
    time_of_day: str = ""
    shot: bool = False  # INSERT / POV / BACK TO SCENE: continues the scene before
    forced: bool = False
    raw_place: str = ""


def scene_place(section: Section) -> ScenePlace:
    """The place of a section from its heading; plays fall back on stage 0's reading."""
    if not section.heading:
        return ScenePlace()
    heading = parse_heading(section.heading)
    if heading.shot:
        return ScenePlace(shot=True, forced=heading.forced)
    if heading.int_ext or heading.forced:
        if not heading.place:
            return ScenePlace(forced=heading.forced)
        return ScenePlace(
            name=heading.name,
            key=place_key(heading.name),
            parent=heading.place if heading.sub else "",
            int_ext=heading.int_ext,
            time_of_day=heading.time_of_day,
            forced=heading.forced,
            raw_place=heading.raw_place,
        )
    if section.location:  # "SCENE 1. The taproom of the Anchor Inn. A winter evening."
        rest = section.heading.split(section.location, 1)[-1]
        return ScenePlace(
            name=section.location,
            key=place_key(section.location),
            int_ext=section.int_ext,
            time_of_day=section.time_of_day or time_in_words(rest),
        )
    return ScenePlace()


def place_key(name: str) -> str:
    """ "The Coffee Shop", "COFFEE SHOP" -> "coffee-shop"."""
    return place_slug(name)


def _heading_locations(document: Document) -> list[LocationSketch]:
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    raw_forms: dict[str, list[str]] = defaultdict(list)
    sections: dict[str, list[int]] = defaultdict(list)
    settings: dict[str, set[str]] = defaultdict(set)
    parents: dict[str, str] = {}
    forced: dict[str, bool] = {}
    for section in document.sections:
        place = scene_place(section)
        if not place.key:
            continue
        forms[place.key][place.name] += 1
        if place.raw_place and place.raw_place not in raw_forms[place.key]:
            raw_forms[place.key].append(place.raw_place)
        sections[place.key].append(section.index)
        settings[place.key].update(place.int_ext.split("/") if place.int_ext else ())
        if place.parent:
            parents[place.key] = place_key(place.parent)
        forced[place.key] = forced.get(place.key, True) and place.forced
    grouped = blocks_by_section(document)
    display = _display_names(document)
    locations = []
    for key, counter in forms.items():
        first_seen = {form: i for i, form in enumerate(counter)}
        name = sorted(counter, key=lambda f: (-counter[f], first_seen[f], f))[0]
        first_action = next(
            (b.text for b in grouped[sections[key][0]] if b.kind in NARRATIVE_KINDS), ""
        )
        aliases = [f for f in [*counter, *raw_forms[key]] if f != name]
        locations.append(
            LocationSketch(
                key=key,
                name=name,
                description=_opening_description(first_action, display),
                int_ext="/".join(s for s in ("INT", "EXT") if s in settings[key]),
                sections=sections[key],
                aliases=list(dict.fromkeys(aliases)),
                parent_key=parents.get(key, ""),
                mentions=len(sections[key]),
                confidence=0.7 if forced[key] else 0.95 if settings[key] else 0.85,
            )
        )
    # Ranked: the most used sets first, then by first appearance.
    return sorted(locations, key=lambda loc: (-len(loc.sections), loc.sections[0]))


def _declared_setting(document: Document, known: list[LocationSketch]) -> list[LocationSketch]:
    """A play's cast page or opening names where the whole play happens."""
    known_keys = {loc.key for loc in known}
    front = {s.index for s in document.sections if s.kind in ("front-matter", "heading")}
    front |= {document.sections[0].index} if document.sections else set()
    for block in document.blocks:
        if block.section not in front or block.kind not in NARRATIVE_KINDS:
            continue
        match = _SETTING_RE.search(block.text)
        if not match:
            continue
        name = match.group("place").strip()
        key = place_key(name)
        if key in known_keys or name.lower() in STOPWORDS:
            return []
        pattern = re.compile(rf"(?<![\w'])(?:{re.escape(name)})(?!\w)")
        in_sections = sorted(
            {b.section for b in document.blocks if b.kind in STORY_KINDS and pattern.search(b.text)}
        )
        return [
            LocationSketch(
                key=key,
                name=name,
                description=shorten(sentence_with(block.text, pattern), 40),
                sections=in_sections,
                mentions=len(in_sections) + 1,
                confidence=0.6,
            )
        ]
    return []


def _opening_description(text: str, display: dict[str, str]) -> str:
    """The first sentences of a scene's first action line: how the writer sets the place."""
    chosen: list[str] = []
    for sentence in sentences(text):
        chosen.append(sentence)
        if len(" ".join(chosen).split()) >= 12 or len(chosen) == 2:
            break
    description = shorten(" ".join(chosen), 45)
    for upper, name in display.items():
        description = re.sub(rf"(?<![\w']){re.escape(upper)}(?!\w)", name, description)
    return description


def _display_names(document: Document) -> dict[str, str]:
    speakers = sorted({b.speaker for b in document.blocks if b.speaker}, key=lambda s: (-len(s), s))
    # Longest first, so "ELENA ROSS" is replaced before "ELENA".
    return {speaker.upper(): readable(speaker) for speaker in speakers if speaker.isupper()}


def _pack_locations(document: Document) -> list[LocationSketch]:
    assert document.pack is not None
    locations = []
    for location in document.pack.locations:
        key = place_key(location.name)
        cards = [
            index
            for index, card in enumerate(document.pack.cards)
            if card.location and place_key(card.location) == key
        ]
        locations.append(
            LocationSketch(
                key=key,
                name=location.name,
                description=location.description,
                sections=cards,
                mentions=len(cards),
                confidence=1.0,
            )
        )
    return locations


# ---------------------------------------------------------------- prose and the rest


class _PlaceFinder:
    def __init__(self, document: Document, character_forms: list[str]) -> None:
        self.document = document
        self.people = {form.lower() for form in character_forms}
        self.people |= {form.lower().removeprefix("the ") for form in character_forms}
        self.candidates: dict[str, _Candidate] = defaultdict(_Candidate)
        self.spoken_weight = 1.0 if document.source_type == SourceType.TRANSCRIPT else 0.5
        self.furniture = _furniture_sections(document)
        # Bare mentions ("Bellhaven was quiet"): they count only for places found otherwise.
        self.bare: dict[str, list[tuple[str, tuple[int, int], int]]] = defaultdict(list)
        self.title_names: list[tuple[str, bool, tuple[int, int], int]] = []
        story = "\n".join(b.text for b in document.blocks if b.kind in STORY_KINDS)
        self.person_names = _honorific_names(story)
        self.media_title = bool(set(re.findall(r"[a-z]+", document.title.lower())) & _MEDIA_WORDS)
        self.title_key = _form_key(document.title)

    # -- phrases in the text
    def scan(self) -> None:
        for index, block in enumerate(self.document.blocks):
            if block.kind in STORY_KINDS:
                self._scan_text(block.text, index, block.section, block.kind in SPOKEN_KINDS)
            elif (
                block.kind in (BlockKind.HEADING, BlockKind.SLIDE_TITLE)
                and block.section not in self.furniture  # not "Thank you", not the deck's title
            ):
                self._scan_title(block.text, index, block.section)
        if self.document.title:
            self._scan_document_title(self.document.title)
            self._scan_title_phrases(self.document.title)

    def _scan_text(self, text: str, index: int, section: int, spoken: bool) -> None:
        quoted = [m.span() for m in _QUOTE_SPAN_RE.finditer(text)] if not spoken else []
        for match in _PHRASE_RE.finditer(text):
            in_quote = spoken or any(a <= match.start() < b for a, b in quoted)
            weight = self.spoken_weight if in_quote else 1.0
            before = text[max(0, match.start() - 30) : match.start()]
            phrase = match.group("name")
            if _ADJECTIVE_RE.match(phrase):
                following = _NEXT_WORD_RE.match(text, match.end())
                if following and following.group(1) not in STOPWORDS:
                    continue  # "the Pacific coast", "Chilean navy": a modifier, not a place
            opener = _OPENING_PREPOSITION_RE.match(phrase)
            if opener and not match.group("the"):
                # "At Antofagasta, the captain ...": the sentence opens with the preposition.
                before = f"{before} {opener.group(1)} "
                phrase = phrase[opener.end() :]
                if re.match(r"(?i)the\s+", phrase):
                    phrase = re.sub(r"(?i)^the\s+", "", phrase)
            for name, prep, start in _split_phrase(phrase):
                article = bool(match.group("the")) and start == 0
                if start:
                    prep_before, at_start = prep, False
                else:
                    found = _PREPOSITION_RE.search(before)
                    prep_before = _strength(found) if found else prep
                    at_start = not article and bool(_SENTENCE_START_RE.search(before))
                self._add(
                    name, article, prep_before, weight, at_start, (index, match.start()), section
                )

    def _add(
        self,
        name: str,
        article: bool,
        prep: str,
        weight: float,
        at_start: bool,
        position: tuple[int, int],
        section: int,
    ) -> None:
        name = _clean(name)
        if not name or not self._plausible(name):
            return
        shaped = _shaped(name)
        if not prep and not shaped and not article:
            # A bare capitalised word proves nothing by itself ("Elena", "Still").
            self.bare[_form_key(name)].append((name, position, section))
            return
        candidate = self.candidates[_form_key(name)]
        candidate.add(name, article, position, section)
        candidate.shaped = candidate.shaped or shaped
        candidate.generic = len(name.split()) == 1 and name.lower() in _NOUNS
        candidate.narrated += int(weight >= 1.0)
        candidate.evidence += weight * _PREPOSITION_WEIGHT.get(prep, 0.0)

    # -- titles
    def _scan_title(self, title: str, index: int, section: int) -> None:
        for place in title_places(title):
            name = _clean(place)
            article = bool(re.match(r"(?i)^the\s", place))
            if not name or not self._plausible(name, from_title=True):
                continue
            self.title_names.append((name, article, (index, 0), section))

    def _scan_document_title(self, title: str) -> None:
        """ "The Glass Orchard": a title naming a place the text calls "the orchard"."""
        match = re.fullmatch(r"(?i)(the\s+)?(.+)", title.strip())
        name = _clean(match.group(2)) if match else ""
        if not name or not _title_case_words(name) or not self._plausible(name):
            return
        head = name.split()[-1].lower()
        if head not in _NOUNS:
            return
        text = "\n".join(b.text for b in self.document.blocks if b.kind in STORY_KINDS)
        if len(re.findall(rf"\bthe {re.escape(head)}\b", text, flags=re.IGNORECASE)) >= 2:
            self.title_names.append((name, bool(match.group(1)), (0, 0), -1))

    def _scan_title_phrases(self, title: str) -> None:
        """ "Greenhill Road Allotments Association - Committee meeting": an organisation
        named after its place names the place ("Greenhill Road Allotments")."""
        for match in _PHRASE_RE.finditer(title):
            tokens = match.group("name").split()
            if len(tokens) < 3 or tokens[-1].lower() not in ORG_WORDS:
                continue
            while tokens and tokens[-1].lower() in ORG_WORDS:
                tokens.pop()
            name = _clean(" ".join(tokens))
            if name and _shaped(name) and self._plausible(name):
                self.title_names.append((name, bool(match.group("the")), (0, 0), -1))

    def resolve_titles(self) -> None:
        """Title places count when the phrase is a place by its shape, or the text
        also puts something in or at it; in a deck of "Scene N: <place>" slides
        every such title counts."""
        scene_titles = sum(
            1
            for s in self.document.sections
            if re.match(r"(?i)^scene\s+\d+\s*:", s.title) and s.index not in self.furniture
        )
        deck = self.document.source_type == SourceType.PPTX and scene_titles >= 3
        for name, article, position, section in self.title_names:
            key = _form_key(name)
            known = self.candidates.get(key)
            evidence = known.evidence if known else 0.0
            if not (_shaped(name) or evidence >= 1.0 or deck):
                continue
            candidate = self.candidates[key]
            candidate.add(name, article, position, section if section >= 0 else 0)
            if section < 0:
                candidate.sections.discard(0)
            candidate.titles += 1
            candidate.shaped = candidate.shaped or _shaped(name)

    def _plausible(self, name: str, *, from_title: bool = False) -> bool:
        tokens = name.split()
        lowered = [t.lower().rstrip(".").replace("\u2019", "'") for t in tokens]
        if not tokens or lowered[0] in STOPWORDS or lowered[0] == "i":
            return False
        if lowered[0] in HONORIFICS or (len(tokens) == 1 and lowered[0] in {"st", "mt", "ft"}):
            return False
        if any(
            t in CALENDAR_WORDS or t.removesuffix("s") in CALENDAR_WORDS or t in HOLIDAY_WORDS
            for t in lowered
        ):
            return False
        if name.lower() in BROAD_PLACES or " ".join(lowered[-2:]) in {"south america"}:
            return False
        if lowered[-1] in ORG_WORDS:
            return False
        if name.isupper() and len(name) > 3:
            return False  # shouting in action lines, acronyms
        key = _form_key(name)
        is_person = (
            name.lower() in self.people
            or key in self.person_names
            or (len(tokens) == 1 and lowered[0].removesuffix("'s") in self.people)
        )
        if is_person and not _shaped(name):
            return False
        # "The Small Hours" in "The Small Hours Podcast" is the show itself.
        return not (self.media_title and key in self.title_key and not _shaped(name))

    # -- result
    def count_bare_mentions(self) -> None:
        for key, mentions in self.bare.items():
            candidate = self.candidates.get(key)
            if candidate is None:
                continue
            for name, position, section in mentions:
                candidate.add(name, False, position, section)

    def locations(self) -> list[LocationSketch]:
        self.count_bare_mentions()
        self._merge_prefixes()
        self._merge_generic_titles()
        kept = [
            (key, c)
            for key, c in self.candidates.items()
            if c.mentions
            and (c.narrated or c.titles)  # only ever named in dialogue: not a setting
            and (c.titles or (c.shaped and c.score >= 2) or c.score >= MIN_PLACE_SCORE)
            and not (c.generic and not c.titles and c.score < MIN_GENERIC_SCORE)
        ]
        kept.sort(key=lambda item: (-item[1].score, item[1].first, item[0]))
        kept = kept[:MAX_PROSE_LOCATIONS]
        out = []
        for key, candidate in kept:
            name = _display(candidate)
            out.append(
                LocationSketch(
                    key=place_key(name) or key,
                    name=name,
                    description=self._describe(candidate),
                    sections=sorted(candidate.sections),
                    aliases=list(
                        dict.fromkeys(
                            f for f in [*candidate.forms, *candidate.other_forms] if f != name
                        )
                    ),
                    mentions=candidate.mentions,
                    confidence=round(min(0.9, 0.3 + 0.08 * candidate.score), 2),
                )
            )
        return _unique_keys(out)

    def _merge_prefixes(self) -> None:
        """ "St. Brendan's" joins "St. Brendan's Hospital"; "the Crown" joins "the Crown
        Hotel": a shorter form that is the start of one longer place, followed only by
        place nouns, is the same place unless it is a place by its own shape."""
        keys = sorted(self.candidates, key=lambda k: (len(k.split()), k))
        for short in keys:
            longer = [
                k
                for k in self.candidates
                if k != short
                and k.startswith(short + " ")
                and all(t in _NOUNS for t in k[len(short) + 1 :].split())
            ]
            shorter = self.candidates.get(short)
            if len(longer) != 1 or shorter is None:
                continue
            street = short.split()[-1] in _STREET_WORDS  # "the allotments on Greenhill Road"
            if shorter.shaped and not short.endswith("'s") and not street:
                continue
            self._absorb(longer[0], short)

    def _merge_generic_titles(self) -> None:
        """ "Scene 8: The Lighthouse" and a text that says "the Gull Ness lighthouse": the
        generic title is that named place ("Gull Ness Lighthouse")."""
        text = "\n".join(b.text for b in self.document.blocks if b.kind in STORY_KINDS)
        for key in sorted(self.candidates):
            candidate = self.candidates.get(key)
            tokens = key.split()
            if candidate is None or not candidate.titles or len(tokens) != 1:
                continue
            if tokens[0] not in _NOUNS:
                continue
            owners = []
            for other in sorted(self.candidates):
                if other == key or not self.candidates[other].evidence:
                    continue
                form = self.candidates[other].forms.most_common(1)[0][0]
                if re.search(rf"{re.escape(form)}\s+{tokens[0]}\b", text, flags=re.IGNORECASE):
                    owners.append(other)
            if len(owners) == 1:
                owner = self.candidates[owners[0]]
                head = title_case(tokens[0].upper())
                combined = f"{owner.forms.most_common(1)[0][0]} {head}"
                owner.forms[combined] += owner.mentions + 1  # the name it is known by
                self._absorb(owners[0], key)

    def _absorb(self, into: str, key: str) -> None:
        source = self.candidates.pop(key)
        target = self.candidates[into]
        target.other_forms += [*source.forms, *source.other_forms]
        target.evidence += source.evidence
        target.titles += source.titles
        target.mentions += source.mentions
        target.sections |= source.sections
        target.first = min(target.first, source.first)
        target.shaped = target.shaped or source.shaped

    def _describe(self, candidate: _Candidate) -> str:
        forms = sorted(candidate.forms, key=lambda f: (-len(f), f))
        pattern = re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(f) for f in forms) + r")(?!\w)")
        for block in self.document.blocks:
            if block.kind in NARRATIVE_KINDS and block.section not in self.furniture:
                found = sentence_with(block.text, pattern)
                if found:
                    return shorten(found, 40)
        for block in self.document.blocks:
            if block.kind in SPOKEN_KINDS:
                found = sentence_with(block.text, pattern)
                if found:
                    return shorten(found, 40)
        return ""


def _prose_locations(document: Document, character_forms: list[str]) -> list[LocationSketch]:
    finder = _PlaceFinder(document, character_forms)
    finder.scan()
    finder.resolve_titles()
    return finder.locations()


def _display(candidate: _Candidate) -> str:
    counts = candidate.forms
    order = sorted(counts, key=lambda f: (-counts[f], -len(f), f))
    name = order[0]
    if (
        not name.lower().startswith("the ")
        and candidate.with_article * 2 > candidate.mentions
        and not name.endswith(("'s", "\u2019s"))
    ):
        name = f"The {name}"
    return name


def _unique_keys(locations: list[LocationSketch]) -> list[LocationSketch]:
    seen: set[str] = set()
    out = []
    for location in locations:
        if location.key in seen:
            continue
        seen.add(location.key)
        out.append(location)
    return out


def title_places(title: str) -> list[str]:
    """Places a title names: "Scene 3: The Lighthouse" -> ["The Lighthouse"],
    "Porto, 1841–1862" -> ["Porto"], "Lima and the Atacama, 1879–1884" -> ["Lima",
    "the Atacama"], "Midnight at Gull Ness" -> ["Gull Ness"]."""
    text = _TITLE_PREFIX_RE.sub("", title.strip())
    text = _TITLE_YEARS_RE.sub("", text).strip(" ,.:;")
    if not text:
        return []
    out = []
    for part in re.split(r"\s+(?:and|&)\s+", text):
        part = part.strip(" ,")
        moment = _MOMENT_AT_RE.match(part)
        if moment and part.split()[0].lower() in _MOMENT_WORDS:
            part = moment.group("place")
        if _title_case_words(part):
            out.append(part)
    return out


def _title_case_words(text: str) -> bool:
    tokens = [t for t in re.findall(r"[\w'\u2019.\-]+", text) if t]
    significant = [t for t in tokens if t.lower() not in _CONNECTORS_AND_ARTICLES]
    return bool(significant) and all(t[0].isupper() or t[0].isdigit() for t in significant)


_CONNECTORS_AND_ARTICLES = word_set("the a an of at de la da das do dos del du le upon y on in to")


_JOINERS = word_set("of at de da das do dos del du la le upon y the")


def _split_phrase(phrase: str) -> list[tuple[str, str, int]]:
    """A phrase split where a connector joins two things that are not one name:
    "Mapmaker of Valparaíso" -> "Mapmaker", then "Valparaíso" after a weak "of";
    "Rua das Flores" and "Isle of Man" stay whole (a place word or prefix comes before
    the connector). Returns (name, preposition strength before it, position), where
    position 0 marks the part the phrase starts with."""
    tokens = phrase.split()
    out: list[tuple[str, str, int]] = []
    start, prep = 0, ""
    i = 0
    while i < len(tokens):
        lowered = tokens[i].lower()
        before = tokens[i - 1].lower().rstrip(".") if i else ""
        if i > start and lowered in _JOINERS and before not in _NOUNS | PLACE_PREFIXES:
            out.append((" ".join(tokens[start:i]), prep, start))
            prep = "weak" if lowered in ("of", "upon") else "strong"
            i += 1
            while i < len(tokens) and tokens[i].lower() in ("the", "la"):
                i += 1
            start = i
            continue
        i += 1
    out.append((" ".join(tokens[start:]), prep, start))
    return [part for part in out if part[0]]


def _clean(name: str) -> str:
    name = name.strip(_STRIP_PUNCT + " ")
    tokens = name.split()
    while tokens and tokens[0].lower() in STOPWORDS and tokens[0].lower() != "st":
        tokens.pop(0)
    while tokens and (tokens[-1].lower() in _CONNECTORS_AND_ARTICLES or tokens[-1] == "I"):
        tokens.pop()
    if not tokens:
        return ""
    name = " ".join(tokens)
    first = tokens[0].lower().rstrip(".")
    saintly = first in ("st", "saint", "san", "santa")
    if not saintly:
        name = re.sub(r"['\u2019]s$", "", name)
    return name.strip(_STRIP_PUNCT + " ")


def _shaped(name: str) -> bool:
    tokens = [t.lower().rstrip(".") for t in name.split()]
    if not tokens:
        return False
    if len(tokens) >= 2 and tokens[-1] in _NOUNS and not all(t in _NOUNS for t in tokens):
        return True
    return len(tokens) >= 2 and tokens[0] in PLACE_PREFIXES


_HONORIFIC_NAME_RE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Captain|Capt|Lady|Lord|Sir|Inspector|Mayor|Councillor|"
    r"Professor|Prof|Aunt|Uncle|Reverend|Rev|Detective|Sergeant|Sgt|Lieutenant|Lt|Officer|Judge|"
    r"Brother|Sister|Father|Grandad|Granny|Nurse)\.?\s+((?:[A-Z][\w'\u2019\-]+\s+){0,2}"
    r"[A-Z][\w'\u2019\-]+)"
)


# "in", "at", "into": where something happens; "past", "toward": where it goes by.
_SETTING_PREPOSITIONS = word_set("in at into inside within aboard reached entered")
_PREPOSITION_WEIGHT = {"setting": 2.5, "strong": 2.0, "weak": 1.0}


def _strength(found: re.Match[str]) -> str:
    if found.group("strong"):
        first = found.group("strong").split()[0].lower()
        arrived = found.group("strong").lower().startswith("arrived")
        return "setting" if first in _SETTING_PREPOSITIONS or arrived else "strong"
    return "weak"


_MEDIA_WORDS = word_set("podcast show episode series radio tv television news gazette times herald")
_STREET_WORDS = word_set("road street lane avenue way drive close crescent row terrace")


def _honorific_names(text: str) -> set[str]:
    """ "Captain Hugh Ransome", "Mr. Grice": these names, and each of their words, are people."""
    found: set[str] = set()
    for match in _HONORIFIC_NAME_RE.finditer(text):
        name = re.sub(r"['\u2019]s$", "", match.group(1))
        tokens = name.split()
        if any(t.lower() in _NOUNS or t.lower() in PLACE_PREFIXES for t in tokens[1:]):
            continue  # "Father Christmas Lane"? leave it to the place rules
        found.add(_form_key(name))
        found.update(_form_key(token) for token in tokens)
    return found


def _form_key(name: str) -> str:
    return re.sub(r"^the\s+", "", name.lower().replace("\u2019", "'")).strip()


def _furniture_sections(document: Document) -> set[int]:
    from transformations.engines.local.segments import furniture_sections

    return furniture_sections(document)
