"""Text measurements and phrasing helpers for the local engine."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from transformations.engines.local.lexicon import STOPWORDS
from transformations.ingest.screenplay import PLACE_WORDS
from transformations.ingest.text import collapse_spaces, readable, sentences, words
from transformations.pipeline.types import Block, BlockKind, Document

NARRATIVE_KINDS = frozenset({BlockKind.ACTION, BlockKind.PARAGRAPH})
SPOKEN_KINDS = frozenset({BlockKind.DIALOGUE, BlockKind.SPEAKER_TURN})
# Blocks that carry the story's words (not cues, headings or transitions).
STORY_KINDS = NARRATIVE_KINDS | SPOKEN_KINDS

# "Boathouse", "Storeroom": compound common nouns that read with "the".
_COMMON_PLACE_ENDINGS = ("house", "room", "shop", "yard", "hall", "store", "office", "station")
_QUOTE_RE = re.compile(r"“([^”]{1,800})”|\"([^\"\n]{1,800})\"")


def lower_words(text: str) -> list[str]:
    """Lower-case words with possessives and edge apostrophes removed ("Elena's" -> "elena")."""
    out = []
    for word in words(text):
        word = word.lower()
        if word.endswith(("'s", "\u2019s")):
            word = word[:-2]
        word = word.strip("'\u2019-")
        if word:
            out.append(word)
    return out


def content_words(text: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    return [
        word
        for word in lower_words(text)
        if len(word) >= 3 and word not in STOPWORDS and word not in exclude and word.isalpha()
    ]


def quotes_in(text: str) -> list[str]:
    """Quoted speech, each quote ending like a sentence ("It's late," -> "It's late.")."""
    quotes = []
    for a, b in _QUOTE_RE.findall(text):
        quote = collapse_spaces(a or b).rstrip(",;: ")
        if quote:
            quotes.append(quote if quote[-1] in ".!?…-—" else f"{quote}.")
    return quotes


def without_quotes(text: str) -> str:
    return collapse_spaces(_QUOTE_RE.sub(" ", text))


def quoted_word_count(text: str) -> int:
    return sum(len(words(quote)) for quote in quotes_in(text))


def blocks_by_section(document: Document) -> dict[int, list[Block]]:
    grouped: dict[int, list[Block]] = defaultdict(list)
    for block in document.blocks:
        grouped[block.section].append(block)
    return grouped


def narrative_text(blocks: Iterable[Block]) -> str:
    return " ".join(block.text for block in blocks if block.kind in NARRATIVE_KINDS)


def story_text(blocks: Iterable[Block]) -> str:
    return " ".join(block.text for block in blocks if block.kind in STORY_KINDS)


def join_names(names: list[str]) -> str:
    """ "Elena", "Elena and Marcus", "Elena, Marcus and Priya"."""
    names = [name for name in names if name]
    if len(names) <= 1:
        return names[0] if names else ""
    return f"{', '.join(names[:-1])} and {names[-1]}"


def place_phrase(name: str) -> str:
    """How a place reads inside a sentence: "the Coffee Shop", "Elena's Apartment".

    Names that already start with "The" get a lower-case article mid-sentence;
    common-noun places ("Coffee Shop") get one; proper names and possessives do not.
    """
    if not name:
        return ""
    if name.lower().startswith("the "):
        return "the " + name[4:]
    last = name.split()[-1].lower()
    common = last in PLACE_WORDS or last.endswith(_COMMON_PLACE_ENDINGS)
    if "'s " in name.lower() or "\u2019s " in name.lower() or not common:
        return name
    return f"the {name}"


def name_variants(form: str) -> set[str]:
    """A name as written, in capitals, and in Title Case ("ELENA" also matches "Elena")."""
    form = collapse_spaces(form)
    if len(form) < 2:
        return set()
    return {form, form.upper(), readable(form)}


def name_regex(forms: Iterable[str]) -> re.Pattern[str] | None:
    """Match any of the forms as written, in Title Case or in capitals (screenplay intros)."""
    variants: set[str] = set()
    for form in forms:
        variants |= name_variants(form)
    if not variants:
        return None
    ordered = sorted(variants, key=lambda form: (-len(form), form))
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(form) for form in ordered) + r")(?!\w)")


def sentence_with(text: str, pattern: re.Pattern[str]) -> str:
    for sentence in sentences(text):
        if pattern.search(sentence):
            return sentence
    return ""


def ranked(counter: Counter[str], *, tiebreak: dict[str, int] | None = None) -> list[str]:
    """Most common first; ties broken by `tiebreak` (lower first), then alphabetically."""
    order = tiebreak or {}
    return sorted(counter, key=lambda item: (-counter[item], order.get(item, 0), item))


def percent(part: float, whole: float) -> int:
    return round(100 * part / whole) if whole else 0


def size_word(average: float, *, short: float, long: float) -> str:
    if average < short:
        return "short"
    return "long" if average > long else "medium-length"
