"""WebVTT captions for narration, timed phrase by phrase from the text and the audio's length.

Timings are estimates, not forced alignment: neither engine reports when each word
is spoken, and aligning audio to text would need a speech recogniser. The text is
cut into phrases (sentences, and long sentences at commas, semicolons, colons and
dashes, at most `MAX_CUE_WORDS` words a cue), and the audio's duration is shared
out in proportion to each phrase's spoken weight: its syllables, counted roughly,
plus the pause its closing punctuation asks for. Speech keeps a fairly even pace in
syllables, so a cue drifts by a fraction of a phrase at most, and never accumulates:
every boundary is placed from the running total, so the last cue ends exactly when
the audio does.

Cues tile the audio with no gaps (a pause belongs to the phrase before it), so a
player always shows the phrase being read or the one just finished.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from transformations.ingest.text import collapse_spaces, word_set

MAX_CUE_WORDS = 12
# A cue longer than this is shown on two lines, broken near the middle.
MAX_LINE_CHARS = 42

# Pauses in syllables' worth of time: a reader breathes at a comma, stops at a full
# stop and stops longer between paragraphs.
CLAUSE_PAUSE = 1.0
SENTENCE_PAUSE = 2.0
PARAGRAPH_PAUSE = 3.0

# Sentence ends keep their closing quotes and brackets: 'He said "Go." Then...' cuts after
# the quote. (`transformations.ingest.text.sentences` drops them, which a caption can't.)
_SENTENCE_END_RE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Ö])")
_ABBREVIATIONS = word_set("mr. mrs. ms. dr. st. mt. prof. jr. sr. vs. e.g. i.e. capt. lt.")
# Clauses end after a comma, semicolon, colon or dash; the mark stays with its clause.
_CLAUSE_END_RE = re.compile(r"(?<=[,;:—–])\s+|(?<= -)\s+|(?<= --)\s+")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_CLOSING_QUOTES = "\"'”’)]"


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


def sentences_of(text: str) -> list[str]:
    """The sentences of `text`, every character but extra whitespace kept."""
    text = collapse_spaces(text)
    found, start = [], 0
    for end in _SENTENCE_END_RE.finditer(text):
        candidate = text[start : end.end()]
        if candidate.rsplit(" ", 1)[-1].lower() in _ABBREVIATIONS:
            continue  # "Mrs. Abernathy" goes on
        found.append(candidate.strip())
        start = end.end()
    found.append(text[start:].strip())
    return [sentence for sentence in found if sentence]


def syllables(word: str) -> int:
    """A rough syllable count: vowel groups, a silent final "e" left out, digits one each."""
    word = word.lower()
    if word.isdigit():
        return len(word)
    count = len(_VOWEL_GROUP_RE.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(1, count)


def spoken_weight(phrase: str) -> float:
    return sum(syllables(word) for word in _WORD_RE.findall(phrase))


def _pause_after(phrase: str, *, ends_paragraph: bool) -> float:
    if ends_paragraph:
        return PARAGRAPH_PAUSE
    last = phrase.rstrip(_CLOSING_QUOTES)[-1:]
    if last in ".!?…":
        return SENTENCE_PAUSE
    if last in ",;:—–-":
        return CLAUSE_PAUSE
    return 0.0


def _split_words(text: str, limit: int) -> list[str]:
    """`text` in nearly equal runs of at most `limit` words."""
    tokens = text.split(" ")
    runs = math.ceil(len(tokens) / limit)
    size = math.ceil(len(tokens) / runs)
    return [" ".join(tokens[i : i + size]) for i in range(0, len(tokens), size)]


def _sentence_phrases(sentence: str, limit: int) -> list[str]:
    """A sentence as one phrase, or, when long, clauses packed into phrases of `limit` words."""
    if len(sentence.split(" ")) <= limit:
        return [sentence]
    clauses: list[str] = []
    for clause in _CLAUSE_END_RE.split(sentence):
        clause = clause.strip()
        if clause:
            clauses.extend(_split_words(clause, limit))
    phrases: list[str] = []
    for clause in clauses:
        if phrases and len(phrases[-1].split(" ")) + len(clause.split(" ")) <= limit:
            phrases[-1] = f"{phrases[-1]} {clause}"
        else:
            phrases.append(clause)
    return phrases


def phrases(text: str, limit: int = MAX_CUE_WORDS) -> list[tuple[str, float]]:
    """The caption phrases of `text` in order, each with its spoken weight including its pause."""
    out: list[tuple[str, float]] = []
    paragraphs = [collapse_spaces(p) for p in re.split(r"\n\s*\n|\n", text)]
    for paragraph in filter(None, paragraphs):
        pieces = [
            p for sentence in sentences_of(paragraph) for p in _sentence_phrases(sentence, limit)
        ]
        for index, piece in enumerate(pieces):
            pause = _pause_after(piece, ends_paragraph=index == len(pieces) - 1)
            out.append((piece, spoken_weight(piece) + pause))
    return out


def cues_for(text: str, start_ms: int, end_ms: int) -> list[Cue]:
    """Cues tiling [start_ms, end_ms] for `text`, each as long as its share of spoken weight."""
    parts = phrases(text)
    if not parts or end_ms <= start_ms:
        return []
    weights = [max(weight, 1.0) for _, weight in parts]
    total = sum(weights)
    cues: list[Cue] = []
    waiting: list[str] = []  # phrases whose share rounded to nothing: they join the next cue
    previous, running = start_ms, 0.0
    for index, ((phrase, _), weight) in enumerate(zip(parts, weights, strict=True)):
        running += weight
        last = index == len(parts) - 1
        boundary = end_ms if last else start_ms + round((end_ms - start_ms) * running / total)
        waiting.append(phrase)
        if boundary > previous:
            cues.append(Cue(previous, boundary, " ".join(waiting)))
            waiting, previous = [], boundary
    if waiting:
        cues[-1] = Cue(cues[-1].start_ms, cues[-1].end_ms, " ".join([cues[-1].text, *waiting]))
    return cues


def timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _escaped(text: str) -> str:
    # The three characters WebVTT cue text reserves; "-->" cannot survive either.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _lines(text: str) -> str:
    """One line, or two broken at the space nearest the middle when the cue is long."""
    if len(text) <= MAX_LINE_CHARS or " " not in text:
        return text
    middle = len(text) // 2
    spaces = [i for i, char in enumerate(text) if char == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return f"{text[:cut]}\n{text[cut + 1 :]}"


def webvtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        timing = f"{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}"
        blocks.append(f"{number}\n{timing}\n{_lines(_escaped(cue.text))}")
    return "\n\n".join(blocks) + "\n"


def webvtt_for(text: str, duration_ms: int) -> str:
    """WebVTT captions for `text` read aloud in `duration_ms`, one cue per phrase."""
    return webvtt(cues_for(text, 0, duration_ms))
