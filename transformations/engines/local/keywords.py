"""Keyphrases for the theme, from YAKE (a maintained, unsupervised keyword extractor).

YAKE scores each candidate phrase from statistics of the text alone (case, position,
frequency, spread over sentences, the variety of its neighbours); it needs no model,
downloads nothing (lemmatisation, the only feature that would, stays off) and gives
the same list for the same text: candidates are kept in text order and sorted by a
stable sort, and the scores are rounded here before any comparison.

It costs about 0.1 ms a word, so a long book is sampled: `SAMPLE_WINDOWS` evenly
spaced runs of whole blocks, `SAMPLE_WORDS` words in all. A theme is what recurs
everywhere, so a spread sample finds it; the cost stays flat however long the book.
"""

from __future__ import annotations

import re

from transformations.engines.local.lexicon import CALENDAR_WORDS, STOPWORDS
from transformations.ingest.text import words

SAMPLE_WORDS = 2500
SAMPLE_WINDOWS = 20
MAX_PHRASES = 8
_MAX_NGRAM = 2


def sample_text(blocks: list[str], limit: int = SAMPLE_WORDS) -> str:
    """Up to `limit` words: the whole text if it is short, else evenly spaced windows."""
    sizes = [len(words(text)) for text in blocks]
    total = sum(sizes)
    if total <= limit:
        return "\n".join(blocks)
    window = max(1, limit // SAMPLE_WINDOWS)
    chosen: list[int] = []
    starts = [int(k * total / SAMPLE_WINDOWS) for k in range(SAMPLE_WINDOWS)]
    position, index = 0, 0
    for start in starts:
        while index < len(blocks) and position + sizes[index] <= start:
            position += sizes[index]
            index += 1
        taken, j = 0, index
        while j < len(blocks) and taken < window:
            if not chosen or j > chosen[-1]:
                chosen.append(j)
            taken += sizes[j]
            j += 1
    return "\n".join(blocks[j] for j in chosen)


def keyphrases(blocks: list[str], exclude: frozenset[str], limit: int = MAX_PHRASES) -> list[str]:
    """The story's keyphrases, lower case, best first; names and places left out."""
    text = sample_text(blocks)
    if not text.strip():
        return []
    import yake  # imported here: numpy and networkx load only when a theme is needed

    extractor = yake.KeywordExtractor(lan="en", n=_MAX_NGRAM, top=60, dedup_lim=0.7)
    extractor.stopword_set = set(extractor.stopword_set) | set(STOPWORDS)
    scored = extractor.extract_keywords(text)
    ranked = sorted(
        ((round(float(score), 9), index, phrase) for index, (phrase, score) in enumerate(scored)),
    )
    out: list[str] = []
    seen: set[str] = set()
    for _, _, phrase in ranked:
        clean = _clean(phrase, exclude)
        if not clean:
            continue
        key = " ".join(token.removesuffix("s") for token in clean.split())
        if key in seen:
            continue
        seen.add(key)
        out.append(clean)
        if len(out) >= limit:
            break
    return out


def _clean(phrase: str, exclude: frozenset[str]) -> str:
    tokens = [t.lower().strip("'\u2019-") for t in re.findall(r"[\w'\u2019\-]+", phrase)]
    if not tokens or any(not t.isalpha() for t in tokens):
        return ""
    if any(t in exclude or t.removesuffix("'s") in exclude for t in tokens):
        return ""
    if any(t in CALENDAR_WORDS for t in tokens) or all(t in STOPWORDS for t in tokens):
        return ""
    if any(len(t) < 3 for t in tokens):
        return ""
    return " ".join(tokens)
