"""`Speaker: line` transcripts (interviews, podcasts, meetings, plays written with colons).

Turns are grouped into segments, the transcript's sections: a segment closes after
about a dozen turns, or earlier at a topic heading or at a longer-than-usual gap of
blank lines between turns.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from transformations.ingest.builder import DocumentBuilder, ParsedText
from transformations.ingest.text import (
    collapse_spaces,
    readable,
    sentences,
    shorten,
    strip_emphasis,
    word_count,
    word_set,
)
from transformations.pipeline.types import BlockKind

TURNS_PER_SEGMENT = 12
MIN_TURNS_BEFORE_GAP_BREAK = 4
MAX_WORDS_PER_SEGMENT = 1200

_PARTICLES = r"van|von|de|da|del|der|la|le|di|du|al|bin|ibn"
_SPEAKER_LINE_RE = re.compile(
    r"^\s*(?:[\[(]?(?P<stamp>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)[\])]?\s*[-\u2013—]?\s*)?"
    r"[*_]*(?P<name>[A-Z][\w'\u2019.\-]*(?: (?:[A-Z][\w'\u2019.\-]*|\d+|"
    + _PARTICLES
    + r")){0,3})[*_]*"
    r"\s*(?:[\[(][^\])\n]{0,24}[\])])?[*_]*\s*:[*_]*\s+(?P<text>\S.*)$"
)
# Capitalised words that begin ordinary sentences or document labels, never speakers.
_NOT_SPEAKERS = word_set(
    """the this that these those it he she they we i you there here his her their our my
    note notes title chapter part summary warning example step subject from to date cc bcc
    re fwd http https tip and but so then when remember update edit ps source credit author
    authors draft contact copyright answer question rule result reason total episode season
    transcript recording meeting agenda topic location time attendees participants speakers
    present"""
)


@dataclass(frozen=True)
class SpeakerLine:
    speaker: str
    text: str
    timestamp: str = ""


@dataclass
class _Turn:
    speaker: str
    parts: list[str]
    gap_before: int  # blank lines between the previous turn and this one
    heading: str = ""  # a topic heading seen just before this turn
    notes: list[str] = field(default_factory=list)  # stage directions after the turn

    @property
    def text(self) -> str:
        return collapse_spaces(" ".join(self.parts))


@dataclass
class TranscriptEvidence:
    turns: int = 0
    orphan_paragraphs: int = 0  # paragraphs that do not start with a speaker
    speakers: Counter[str] = field(default_factory=Counter)
    timestamps: int = 0


def match_speaker_line(line: str) -> SpeakerLine | None:
    match = _SPEAKER_LINE_RE.match(line)
    if not match:
        return None
    name = collapse_spaces(strip_emphasis(match.group("name"))).rstrip(".")
    if not name or name.split(" ")[0].lower() in _NOT_SPEAKERS or len(name) > 40:
        return None
    return SpeakerLine(name, match.group("text").strip(), match.group("stamp") or "")


def transcript_evidence(text: str) -> TranscriptEvidence:
    evidence = TranscriptEvidence()
    previous = "blank"  # blank | turn | other
    for line in text.split("\n"):
        if not line.strip():
            previous = "blank"
            continue
        spoken = match_speaker_line(line)
        if spoken:
            evidence.turns += 1
            evidence.speakers[spoken.speaker.lower()] += 1
            evidence.timestamps += int(bool(spoken.timestamp))
            previous = "turn"
        elif previous == "blank":
            evidence.orphan_paragraphs += 1
            previous = "other"
        # A line right after a turn is that turn's continuation and counts for nothing.
    return evidence


def parse_transcript(text: str) -> ParsedText:
    title, preface, turns = _read_turns(text.split("\n"))
    canonical = _canonical_speakers([turn.speaker for turn in turns])
    builder = DocumentBuilder()
    if preface:
        builder.start_section("Introduction", kind="segment")
        for paragraph in preface:
            builder.add(BlockKind.PARAGRAPH, paragraph)
    for segment in _segments(turns):
        first = segment[0]
        opening = _opening(first.text)
        builder.start_section(
            first.heading or f"{readable(canonical[first.speaker])}: {opening}", kind="segment"
        )
        for turn in segment:
            builder.add(BlockKind.SPEAKER_TURN, turn.text, speaker=canonical[turn.speaker])
            for note in turn.notes:
                builder.add(BlockKind.PARAGRAPH, note)
    builder.drop_empty_sections()
    parsed = builder.parsed
    parsed.title = title
    parsed.metadata.update(
        {
            "turn_count": len(turns),
            "speaker_count": len(set(canonical.values())),
            "segment_count": len(parsed.sections),
        }
    )
    return parsed


def _read_turns(lines: list[str]) -> tuple[str, list[str], list[_Turn]]:
    """Walk the lines once: turns, their continuations, headings and the preface."""
    title = ""
    preface: list[str] = []
    turns: list[_Turn] = []
    blank_run, heading, after_turn = 0, "", False
    for raw in lines:
        line = raw.strip()
        if not line:
            blank_run += 1
            after_turn = False
            continue
        spoken = match_speaker_line(line)
        if spoken:
            turns.append(_Turn(spoken.speaker, [spoken.text], blank_run, heading))
            heading, after_turn = "", True
        elif after_turn:
            turns[-1].parts.append(line)  # a wrapped turn
        elif not turns:
            if not title and not preface and _looks_like_heading(line):
                title = strip_emphasis(line.lstrip("# "))
            else:
                preface.append(line)
        elif _looks_like_heading(line):
            heading = strip_emphasis(line.lstrip("# ").strip("-=*[] "))
        else:
            turns[-1].notes.append(line)  # "[laughter]", a stage direction
        blank_run = 0
    return title, preface, turns


def _opening(text: str) -> str:
    """The first sentence that says something ("Welcome back." does not), shortened."""
    candidates = sentences(text) or [text]
    chosen = next((s for s in candidates if word_count(s) >= 4), candidates[0])
    return shorten(chosen, 7)


def _looks_like_heading(line: str) -> bool:
    text = line.strip("#-=*[] ")
    return 0 < word_count(text) <= 8 and not text.endswith((".", "!", "?", ",", ";", '"', "”"))


def _canonical_speakers(names: list[str]) -> dict[str, str]:
    """One display form per person.

    Case variants merge ("ALICE" and "Alice": the first spelling seen wins), and a
    one-word speaker merges into the only longer name it begins ("GUIDO" and
    "Guido van Rossum"), never when two longer names share that first word.
    """
    display: dict[str, str] = {}
    for name in names:
        display.setdefault(name.lower(), name)
    longer_by_first: dict[str, set[str]] = {}
    for lowered in display:
        if " " in lowered:
            longer_by_first.setdefault(lowered.split(" ")[0], set()).add(lowered)
    canonical: dict[str, str] = {}
    for name in names:
        lowered = name.lower()
        targets = longer_by_first.get(lowered, set()) if " " not in lowered else set()
        target = next(iter(targets)) if len(targets) == 1 else lowered
        canonical[name] = display[target]
    return canonical


def _segments(turns: list[_Turn]) -> list[list[_Turn]]:
    if not turns:
        return []
    gaps = [turn.gap_before for turn in turns[1:]]
    usual_gap = median(gaps) if gaps else 0
    segments: list[list[_Turn]] = [[]]
    words = 0
    for turn in turns:
        current = segments[-1]
        is_gap = turn.gap_before > usual_gap
        if current and (
            turn.heading
            or len(current) >= TURNS_PER_SEGMENT
            or (is_gap and len(current) >= MIN_TURNS_BEFORE_GAP_BREAK)
            or words >= MAX_WORDS_PER_SEGMENT
        ):
            segments.append([])
            words = 0
        segments[-1].append(turn)
        words += word_count(turn.text)
    # A last scrap of one or two turns reads better as the end of the previous segment.
    if len(segments) > 1 and len(segments[-1]) < 3 and not segments[-1][0].heading:
        segments[-2].extend(segments.pop())
    return segments
