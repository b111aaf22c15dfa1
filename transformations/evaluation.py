"""Scoring the story engine against hand-annotated ground truth (pure functions).

A corpus is a folder of documents, each with a `<file>.truth.json` beside it:

    {
      "characters": [{"name": "Elena", "aliases": ["Elena Ruiz"]}, ...],
      "locations": [{"name": "Coffee Shop", "aliases": ["The Coffee Shop"]}, ...],
      "cardStarts": ["A narrow coffee shop", "Rain hammers the awning", ...]
    }

Characters and locations match when any name or alias of a prediction equals
any name or alias of a truth entry (case, punctuation and a leading "the"
ignored). Each truth entry is matched at most once, so a character split in
two costs precision. Card starts match when a card's first words begin with
the expected words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Score:
    true_positives: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.true_positives + other.true_positives,
            self.predicted + other.predicted,
            self.expected + other.expected,
        )


EMPTY = Score(0, 0, 0)


@dataclass
class DocumentScore:
    name: str
    source_type: str
    characters: Score
    locations: Score
    cards: Score
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    unfaithful_cards: list[int] = field(default_factory=list)


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = re.sub(r"^the\s+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


def _forms(entry: dict) -> set[str]:
    names = [entry.get("name", ""), *entry.get("aliases", [])]
    return {normalise_name(n) for n in names if normalise_name(n)}


def match_entities(predicted: list[dict], expected: list[dict]) -> tuple[Score, list[str]]:
    """Greedy one-to-one matching by shared name forms; returns the score and misses."""
    expected_forms = [_forms(entry) for entry in expected]
    matched_truth: set[int] = set()
    true_positives = 0
    false_positives: list[str] = []
    for entry in predicted:
        forms = _forms(entry)
        hit = next(
            (
                i
                for i, truth in enumerate(expected_forms)
                if i not in matched_truth and forms & truth
            ),
            None,
        )
        if hit is None:
            false_positives.append(entry.get("name", ""))
        else:
            matched_truth.add(hit)
            true_positives += 1
    missed = [expected[i]["name"] for i in range(len(expected)) if i not in matched_truth]
    return Score(true_positives, len(predicted), len(expected)), [
        *(f"extra: {n}" for n in false_positives),
        *(f"missed: {n}" for n in missed),
    ]


# Dialogue rendered as prose: `Elena (a breath): "…"`. The speaker label is ours, not the source's.
_SPEAKER_LABEL = re.compile(r"^[A-Z][\w.'’ -]{0,40}(?: \([^)]*\))?: ", re.MULTILINE)
# Only a label followed by quoted speech: "Scene 3: The Mill" is a title, not a speaker.
_QUOTED_SPEAKER_LABEL = re.compile(r"^[A-Z][\w.'’ -]{0,40}(?: \([^)]*\))?: (?=[\"“])", re.MULTILINE)


def _words(text: str, count: int) -> str:
    return " ".join(normalise_name(text).split()[:count])


def match_card_starts(card_texts: list[str], expected_starts: list[str]) -> Score:
    """A predicted card boundary is right when its text starts with an expected start."""
    expected = [_words(start, 6) for start in expected_starts]
    remaining = list(expected)
    hits = 0
    for text in card_texts:
        # Transcript cards show speakers' labels (also after a sound cue such as
        # "[RADIO STATIC]"); truth files leave the labels out.
        opening = _words(_QUOTED_SPEAKER_LABEL.sub("", text.lstrip()), 40)
        for start in remaining:
            if start and opening.startswith(start):
                remaining.remove(start)
                hits += 1
                break
    return Score(hits, len(card_texts), len(expected))


def unfaithful_cards(card_texts: list[str], source_text: str) -> list[int]:
    """Cards (1-based) whose scene text has sentences that are not in the source."""
    source = normalise_name(source_text)
    bad = []
    for index, text in enumerate(card_texts, start=1):
        text = _SPEAKER_LABEL.sub("", text)
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
            words = normalise_name(sentence)
            if len(words.split()) >= 4 and words not in source:
                bad.append(index)
                break
    return bad
