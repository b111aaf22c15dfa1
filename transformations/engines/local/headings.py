"""Scene headings read for the world: the set, a sub-set, INT/EXT, time of day, and shots.

Stage 0 keeps each heading as written (`Section.heading`); this module reads it
again with the location rules of the corpus annotation (corpus/README.md):

- the prefix (`INT.`, `EXT.`, `EST.`, `INT./EXT.`, `I/E`) gives interior/exterior;
- the first dash-separated part is the set; a second part that is neither a time
  of day nor a qualifier (`MOVING`, `FLASHBACK`, `CONTINUOUS`, a year) is a
  sub-set with a location of its own: "INT. LOCHSIDE HOTEL - BALLROOM - NIGHT" is
  at "Lochside Hotel Ballroom", whose parent is "Lochside Hotel" (a ballroom and a
  lobby are different sets to a production, and a creator asks "where is the
  ballroom scene?", not "which part of the hotel");
- forced headings (`.INSERT - NORA'S LOGBOOK`, `.POV THROUGH THE BINOCULARS`,
  `BACK TO SCENE`) that name a shot, a device or a title card are not places; a
  forced heading that names a place (`.THE ROCKS BELOW THE LIGHT - NIGHT`) is;
- "INT. COFFEE SHOP - DAY" and "EXT. COFFEE SHOP – NIGHT" are the same set: the
  prefix and the time stay with the scene, not with the place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from transformations.ingest.screenplay import PLACE_WORDS
from transformations.ingest.text import collapse_spaces, strip_emphasis, word_set

_SCENE_NUMBER_RE = re.compile(r"\s*#[\w.\-]+#\s*$")
_PREFIX_RE = re.compile(
    r"^(int\.?\s*/\s*ext|ext\.?\s*/\s*int|i\s*/\s*e|int|ext|est)(?:\.\s*|\s+)", re.IGNORECASE
)
_SEPARATOR_RE = re.compile(r"\s+(?:-{1,2}|\u2013|\u2014)\s+|\s*(?:\u2013|\u2014)\s*")
_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
_TIME_WORDS = word_set(
    """day night morning afternoon evening dusk dawn sunrise sunset noon midnight later
    continuous moments moment same time early late next minutes hours a few the golden magic
    hour twilight daybreak nightfall lunch lunchtime dinner breakfast before after"""
)
# Parts of a heading that say how, not where: "NUMBER 47 BUS - MOVING - NIGHT".
_QUALIFIERS = word_set(
    """moving flashback flashforward continuous later same time present day dream sequence
    nightmare fantasy montage intercut series of shots slow motion establishing memory
    b&w black white sepia earlier years ago vision"""
)
# Forced headings that are camera directions, devices or cards, not places.
_SHOT_STARTS = (
    "insert",
    "pov",
    "p.o.v",
    "angle on",
    "angle",
    "close on",
    "close up",
    "close-up",
    "closeup",
    "extreme close",
    "ecu",
    "wide",
    "wide shot",
    "back to scene",
    "back to",
    "title card",
    "title",
    "titles",
    "super",
    "superimpose",
    "chyron",
    "caption",
    "intercut",
    "montage",
    "end montage",
    "series of shots",
    "flashback",
    "end flashback",
    "flash forward",
    "dream sequence",
    "black",
    "over black",
    "black screen",
    "split screen",
    "on screen",
    "on tv",
    "tv screen",
    "on the tv",
    "aerial",
    "tracking",
    "moments later",
    "later",
    "continuous",
    "same",
    "fade in",
    "fade out",
    "the end",
    "end credits",
    "credits",
)
_SMALL_WORDS = word_set(
    "a an and at by de del der di du da das dos do for from in la le of on or the to y"
)


@dataclass(frozen=True)
class HeadingPlace:
    raw: str
    int_ext: str = ""  # INT | EXT | INT/EXT
    place: str = ""  # "Lochside Hotel"; "" for shots and devices
    sub: str = ""  # "Ballroom"
    time_of_day: str = ""  # "NIGHT"
    shot: bool = False  # INSERT, POV, BACK TO SCENE, a title card ...
    forced: bool = False
    qualifiers: tuple[str, ...] = ()
    raw_place: str = ""  # the set as written: "LOCHSIDE HOTEL - BALLROOM"

    @property
    def name(self) -> str:
        """The location this scene happens at: the sub-set when there is one."""
        return f"{self.place} {self.sub}" if self.place and self.sub else self.place


def title_case(text: str) -> str:
    """ "DONALD'S VAN" -> "Donald's Van"; text with lower-case letters is kept as written."""
    text = collapse_spaces(text)
    if any(char.islower() for char in text):
        return text
    out = []
    for position, word in enumerate(text.split(" ")):
        lowered = word.lower()
        if position > 0 and lowered in _SMALL_WORDS:
            out.append(lowered)
        elif re.fullmatch(r"[IVX]{2,}\.?|[A-Z]\d*|\d+[A-Z]?", word):
            out.append(word)  # "PART II", "STUDIO B", "47A"
        else:
            out.append(
                re.sub(r"(^|[-/(])([^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), lowered)
            )
    return " ".join(out)


def is_time(text: str) -> bool:
    tokens = re.findall(r"[a-z]+", text.lower())
    return bool(tokens) and all(token in _TIME_WORDS for token in tokens)


def _is_qualifier(text: str) -> bool:
    if _YEAR_RE.fullmatch(text.strip()):
        return True
    tokens = re.findall(r"[a-z&]+", text.lower())
    return bool(tokens) and all(token in _QUALIFIERS for token in tokens)


def is_shot(text: str) -> bool:
    lowered = collapse_spaces(re.sub(r"[.:]+", " ", text.lower()).replace("p o v", "pov"))
    return any(lowered == start or lowered.startswith(start + " ") for start in _SHOT_STARTS)


def _looks_like_place(text: str) -> bool:
    lowered = text.lower()
    return (
        "'s " in lowered
        or "\u2019s " in lowered
        or any(word in PLACE_WORDS for word in re.findall(r"\w+", lowered))
    )


@lru_cache(maxsize=4096)
def parse_heading(raw: str) -> HeadingPlace:
    """Read a screenplay scene heading (any case, any dash) into its parts."""
    text = _SCENE_NUMBER_RE.sub("", raw.strip())
    forced = bool(re.match(r"^\.(?=[A-Za-z0-9])", text))
    if forced:
        text = text[1:]
    prefix = _PREFIX_RE.match(text)
    int_ext = ""
    if prefix:
        compact = re.sub(r"[\s.]", "", prefix.group(1)).upper()
        int_ext = "INT/EXT" if "/" in compact else "EXT" if compact in ("EXT", "EST") else "INT"
        text = text[prefix.end() :]
    text = strip_emphasis(text)
    qualifiers = [
        (a or b).strip() for a, b in re.findall(r"\(([^)]*)\)|\[([^\]]*)\]", text) if a or b
    ]
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    parts = [collapse_spaces(part).strip(" .,") for part in _SEPARATOR_RE.split(text)]
    parts = [part for part in parts if part]
    if not parts:
        return HeadingPlace(raw=raw, int_ext=int_ext, forced=forced)
    if not prefix and is_shot(parts[0]):
        return HeadingPlace(raw=raw, shot=True, forced=forced, qualifiers=tuple(parts[1:]))
    # "COFFEE SHOP, DAY": a time of day after a comma in the last part.
    tail = re.match(r"^(.*?\S)\s*,\s*([A-Za-z][A-Za-z ]*)$", parts[-1])
    if tail and is_time(tail.group(2)):
        parts[-1:] = [tail.group(1), tail.group(2)]
    place, rest = parts[0], parts[1:]
    time_of_day, subs = "", []
    for part in rest:
        if is_time(part) and not time_of_day:
            time_of_day = collapse_spaces(part).upper()
        elif _is_qualifier(part) or is_time(part) or is_shot(part):
            qualifiers.append(part)
        elif not time_of_day:
            subs.append(part)  # a sub-set comes before the time of day
        else:
            qualifiers.append(part)
    if forced and not prefix and not time_of_day and not _looks_like_place(place):
        # ".MONTAGE", ".LATER", ".NORA'S DREAM": a device, not somewhere to stand.
        return HeadingPlace(raw=raw, forced=True, qualifiers=tuple(parts))
    raw_place = " - ".join([place, *subs])
    return HeadingPlace(
        raw=raw,
        int_ext=int_ext,
        place=title_case(place),
        sub=title_case(" ".join(subs)),
        time_of_day=time_of_day,
        forced=forced,
        qualifiers=tuple(qualifiers),
        raw_place=raw_place,
    )


# Stage plays describe their time in words: "SCENE 2. The quay at Wick. Near midnight."
_TIME_IN_WORDS = (
    ("small hours", "NIGHT"),
    ("midnight", "NIGHT"),
    ("night", "NIGHT"),
    ("dawn", "DAWN"),
    ("daybreak", "DAWN"),
    ("sunrise", "DAWN"),
    ("morning", "MORNING"),
    ("noon", "DAY"),
    ("afternoon", "AFTERNOON"),
    ("dusk", "DUSK"),
    ("sunset", "DUSK"),
    ("twilight", "DUSK"),
    ("evening", "EVENING"),
    ("day", "DAY"),
)


def time_in_words(text: str) -> str:
    lowered = text.lower()
    for phrase, time in _TIME_IN_WORDS:
        if re.search(rf"\b{phrase}\b", lowered):
            return time
    return ""
