"""Work shared between stages of one run, computed once per document.

Stages 1, 2 and 3 all need the cast, and stages 2 and 3 the locations; on a long
book each is seconds of work. Results are cached by the identity of the (immutable
in practice) Document object, holding a reference to it so an id is never reused
while its entry lives; a handful of entries are kept. A document rebuilt from
stored JSON (a retried job) is a new object and is simply computed again.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any

from transformations.engines.local.text import name_variants
from transformations.pipeline.types import Document, World

_MAX_ENTRIES = 8
_cache: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()


def memoised[T](kind: str, owner: Any, extra: Hashable, compute: Callable[[], T]) -> T:
    """compute(), cached under (kind, id(owner), extra) while `owner` is alive here."""
    key = (kind, id(owner), extra)
    hit = _cache.get(key)
    if hit is not None and hit[0] is owner:
        _cache.move_to_end(key)
        return hit[1]
    value = compute()
    _cache[key] = (owner, value)
    while len(_cache) > _MAX_ENTRIES * 4:
        _cache.popitem(last=False)
    return value


def cast_for(document: Document):
    """`cast.find_cast(document)`, once per document."""
    from transformations.engines.local.cast import find_cast

    return memoised("cast", document, None, lambda: find_cast(document))


class Mentions:
    """Who a text names, with one pass of one pattern (longest forms first, so
    "Elena Vargas" is one mention of Elena, not one each for "Elena" and "Vargas")."""

    def __init__(self, world: World) -> None:
        owner: dict[str, str] = {}
        for character in world.characters:
            for form in (character.name, *character.aliases):
                for variant in name_variants(form):
                    owner.setdefault(variant, character.key)
        self._owner = owner
        ordered = sorted(owner, key=lambda v: (-len(v), v))
        self._pattern = (
            re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")
            if ordered
            else None
        )

    def count(self, text: str) -> Counter[str]:
        found: Counter[str] = Counter()
        if self._pattern is None or not text:
            return found
        for match in self._pattern.finditer(text):
            found[self._owner[match.group(0)]] += 1
        return found


def mentions_for(world: World) -> Mentions:
    return memoised("mentions", world, None, lambda: Mentions(world))


def lookup_for(world: World):
    """One `cast.CastLookup` per World (it compiles a pattern per character)."""
    from transformations.engines.local.cast import CastLookup

    return memoised("lookup", world, None, lambda: CastLookup(world))


def locations_for(document: Document, forms: list[str]):
    """`places.sketch_locations`, once per document and set of character forms."""
    from transformations.engines.local.places import sketch_locations

    key = tuple(sorted({form.lower() for form in forms}))
    return memoised("locations", document, key, lambda: sketch_locations(document, forms))


_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")


@lru_cache(maxsize=16384)
def tokens(text: str) -> frozenset[str]:
    """The lower-case words of a sentence as `text.lower_words` gives them (possessive
    "'s" dropped), computed once however often the sentence is scored."""
    return frozenset(
        word[:-2] if word.endswith(("'s", "\u2019s")) else word
        for word in _WORD_RE.findall(text.lower())
    )
