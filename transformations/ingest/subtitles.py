"""SRT and WebVTT subtitles: cues become speaker turns, turns are grouped into segments.

Hand-written rather than built on webvtt-py or srt: both stop with an exception on
the malformed files people actually upload (no WEBVTT header, no blank line between
cues, the other millisecond separator), and webvtt-py gives one `voice` per caption
where real cues hold several spans, some unclosed. Timings and tags are small regular
grammars, so a tolerant line reader is shorter than recovering from a strict parser.

How speakers are found, best evidence first:
- WebVTT voice spans `<v Ana>` / `<v.loud Ana>`, several per cue, closed or not;
- a deaf-and-hard-of-hearing label in capitals, "MARY: Where were you?";
- otherwise the speaker is unknown (""). A line starting with "- " still marks a
  change of speaker, so "- Hi.\\n- Hello." is two turns. Step 4 finds characters in
  such files from vocatives ("Mary, wait!") in the verbatim text.

Consecutive cues of one speaker are joined into a turn (for unknown speakers, only
while a sentence runs on into the next cue). Each turn keeps the start of its first
cue and the end of its last in `Block.start_ms` / `Block.end_ms`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from transformations.ingest.builder import DocumentBuilder, ParsedText
from transformations.ingest.text import collapse_spaces, readable, shorten, word_count
from transformations.ingest.transcript import _canonical_speakers
from transformations.pipeline.types import BlockKind

# A silence this long between cues usually means a new scene or topic.
SEGMENT_GAP_MS = 6_000
# Unknown-speaker cues are joined only when they follow each other this closely.
CONTINUATION_GAP_MS = 1_500
TURNS_PER_SEGMENT = 12
MIN_WORDS_PER_SEGMENT = 150  # subtitle turns are short: a dozen can be a single minute
MAX_WORDS_PER_SEGMENT = 1200
MAX_TURNS_PER_SEGMENT = 60
MIN_TURNS_BEFORE_GAP_BREAK = 4
# A long monologue (a lecture, a narrator) is cut into turns at sentence ends.
SOFT_MAX_TURN_WORDS = 150
HARD_MAX_TURN_WORDS = 400

_TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{1,2}(?:[,.:]\d{1,3})?"
_TIMING_RE = re.compile(rf"^\s*(?P<start>{_TIME})\s*-{{1,2}}>\s*(?P<end>{_TIME})")
_TIME_PARTS_RE = re.compile(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[,.:](\d{1,3}))?")
_VTT_HEADER_RE = re.compile(r"^\ufeff?WEBVTT(?:[ \t]+-?[ \t]*(?P<title>.*))?$")
_VTT_BLOCK_RE = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
# Tags that can carry text: voices, classes, styling, karaoke timestamps, ruby.
# Attributes must start with a space: "<v Ana>". Were they free to start anywhere,
# a long "<word..." with no ">" would be re-split between name and attributes
# at every position (quadratic).
_TAG_RE = re.compile(
    r"<(?P<close>/)?(?P<name>[A-Za-z][\w.\-]*|\d[\d:.,]*)(?P<attrs>(?:\s[^<>\n]*)?)>"
)
_ASS_OVERRIDE_RE = re.compile(r"\{\\[^{}]*\}")  # "{\an8}" positions some SRT lines
_DASH_RE = re.compile(r"^[-\u2010\u2013\u2014]\s*(?=[^\s\d\-])")
_SDH_LABEL_RE = re.compile(
    r"^(?P<name>[A-Z][A-Z0-9'’.\-]+(?: [A-Z][A-Z0-9'’.\-]*){0,2}):\s+(?P<text>\S.*)$"
)
_SOUND_RE = re.compile(r"^(?:\[[^\]]*\]|\([^)]*\))$")
_SENTENCE_END_RE = re.compile(r"[.!?…♪\"”'’)\]]$")


@dataclass
class _Cue:
    start_ms: int
    end_ms: int
    lines: list[str] = field(default_factory=list)


@dataclass
class _Utterance:
    speaker: str
    text: str
    marked_change: bool = False  # opened with a "- " dash: someone else speaks now
    is_sound: bool = False  # "[door slams]": a description, not speech


@dataclass
class _Turn:
    speaker: str
    parts: list[str]
    start_ms: int
    end_ms: int
    gap_before_ms: int
    is_sound: bool = False

    @property
    def text(self) -> str:
        return collapse_spaces(" ".join(self.parts))


@dataclass
class _Counts:
    voice_spans: int = 0
    dash_turns: int = 0
    labelled_turns: int = 0


def parse_srt(text: str) -> ParsedText:
    return _parse_subtitles(text, webvtt=False)


def parse_webvtt(text: str) -> ParsedText:
    return _parse_subtitles(text, webvtt=True)


def parse_timestamp(value: str) -> int:
    """Milliseconds of "01:02:03,5", "02:03.250" or "1:02:03:040"; fractions are decimal."""
    match = _TIME_PARTS_RE.fullmatch(value.strip())
    if not match:
        return 0
    hours, minutes, seconds, fraction = match.groups()
    millis = int((fraction or "0").ljust(3, "0")[:3])
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _parse_subtitles(text: str, *, webvtt: bool) -> ParsedText:
    title, cues = _read_cues(text.split("\n"))
    counts = _Counts()
    turns = _turns(cues, webvtt=webvtt, counts=counts)
    builder = DocumentBuilder()
    for segment in _segments(turns):
        builder.start_section(_segment_title(segment), kind="segment")
        for turn in segment:
            # A sound description ("[door slams]") is nobody's line.
            kind = BlockKind.PARAGRAPH if turn.is_sound else BlockKind.SPEAKER_TURN
            before = len(builder.parsed.blocks)
            builder.add(kind, turn.text, speaker="" if turn.is_sound else turn.speaker)
            if len(builder.parsed.blocks) > before:
                builder.parsed.blocks[-1].start_ms = turn.start_ms
                builder.parsed.blocks[-1].end_ms = turn.end_ms
    builder.drop_empty_sections()
    parsed = builder.parsed
    parsed.title = title
    speakers = {turn.speaker.lower() for turn in turns if turn.speaker}
    parsed.metadata.update(
        {
            "cue_count": len(cues),
            "turn_count": sum(1 for turn in turns if not turn.is_sound),
            "speaker_count": len(speakers),
            "voice_span_count": counts.voice_spans,
            "dash_turn_count": counts.dash_turns,
            "labelled_turn_count": counts.labelled_turns,
            "segment_count": len(parsed.sections),
            "duration_ms": max((cue.end_ms for cue in cues), default=0),
        }
    )
    return parsed


def _read_cues(lines: list[str]) -> tuple[str, list[_Cue]]:
    """Cues with their raw text lines, tolerating missing blank lines and stray text.

    - A timing line opens a cue; a blank line closes it.
    - The line just before a timing is the cue's identifier (the SRT number, or a
      WebVTT id after a blank line); a number glued to the previous cue's text is one
      too, when the blank line between cues is missing.
    - NOTE, STYLE and REGION blocks and the WebVTT header block are skipped.
    - Other text outside a cue (a blank line inside cue text) joins the previous cue.
    """
    title = ""
    cues: list[_Cue] = []
    current: _Cue | None = None
    skipping = False
    after_blank = True
    for position, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            current, skipping, after_blank = None, False, True
            continue
        following = lines[position + 1] if position + 1 < len(lines) else ""
        if "-->" in line:
            timing = _TIMING_RE.match(line)
            if current and current.lines and current.lines[-1].isdigit():
                current.lines.pop()
            previous_end = cues[-1].end_ms if cues else 0
            start = parse_timestamp(timing.group("start")) if timing else previous_end
            end = parse_timestamp(timing.group("end")) if timing else previous_end
            current = _Cue(start, max(start, end))
            cues.append(current)
            skipping = after_blank = False
            continue
        if skipping:
            continue
        if current is not None:
            current.lines.append(line)
        elif not cues and not title and (header := _VTT_HEADER_RE.match(line)):
            title = collapse_spaces(header.group("title") or "")
            skipping = True  # header fields (Kind:, Language:) run to the first blank line
        elif after_blank and _VTT_BLOCK_RE.match(line):
            skipping = True
        elif "-->" in following or line.isdigit():
            pass  # an identifier, or a number whose timing line is missing
        elif cues:
            cues[-1].lines.append(line)
        after_blank = False
    return title, cues


def _cue_utterances(cue: _Cue, *, webvtt: bool, counts: _Counts) -> list[_Utterance]:
    """The cue's text split where the speaker changes: voice spans, labels, dashes."""
    voiced: list[tuple[str, str]] = []  # (speaker, text) runs
    speaker, buffer, in_ruby_text = "", [], False
    for piece, tag in _tokens("\n".join(cue.lines)):
        if tag is None:
            if not in_ruby_text:
                buffer.append(piece)
            continue
        name = tag.group("name").lower()
        if name == "rt":  # ruby annotations (pronunciation) are not the line itself
            in_ruby_text = not tag.group("close")
        elif name.split(".")[0] == "v" and not tag.group("close"):
            voiced.append((speaker, "".join(buffer)))
            buffer = []
            speaker = collapse_spaces(tag.group("attrs"))
            counts.voice_spans += 1
    voiced.append((speaker, "".join(buffer)))

    utterances: list[_Utterance] = []
    for voice, chunk in voiced:
        if webvtt:
            chunk = html.unescape(chunk)
        for line in chunk.split("\n"):
            line = line.strip()
            if not line:
                continue
            dash = _DASH_RE.match(line)
            if dash:
                line = line[dash.end() :]
                counts.dash_turns += int(not voice)
            label = None if voice else _SDH_LABEL_RE.match(line)
            if label:
                counts.labelled_turns += 1
                line = label.group("text")
            who = voice or (label.group("name").rstrip(".") if label else "")
            is_sound = bool(_SOUND_RE.match(line))
            previous = utterances[-1] if utterances else None
            if (
                previous
                and not (dash or label or is_sound or previous.is_sound)
                and previous.speaker == who
            ):
                previous.text = f"{previous.text} {line}"  # a cue's line-wrapping
            else:
                utterances.append(_Utterance(who, line, bool(dash), is_sound=is_sound))
    return utterances


def _tokens(text: str):
    """(text, None) and (raw tag, match) pieces; SRT's "{\\an8}" codes are dropped."""
    text = _ASS_OVERRIDE_RE.sub("", text)
    position = 0
    for match in _TAG_RE.finditer(text):
        if match.start() > position:
            yield text[position : match.start()], None
        yield match.group(0), match
        position = match.end()
    if position < len(text):
        yield text[position:], None


def _turns(cues: list[_Cue], *, webvtt: bool, counts: _Counts) -> list[_Turn]:
    spoken = [
        (cue, utterance)
        for cue in cues
        for utterance in _cue_utterances(cue, webvtt=webvtt, counts=counts)
    ]
    # As for "Speaker: line" transcripts: "<v Ilse>" is "<v Ilse Brandt>" when only she
    # bears that first name, and case variants ("ANA", "Ana") are one person.
    canonical = _canonical_speakers([u.speaker for _, u in spoken if u.speaker])
    turns: list[_Turn] = []
    for cue, utterance in spoken:
        utterance.speaker = canonical.get(utterance.speaker, utterance.speaker)
        last = turns[-1] if turns else None
        gap = cue.start_ms - last.end_ms if last else 0
        if last and _continues(last, utterance, gap):
            last.parts.append(utterance.text)
            last.end_ms = max(last.end_ms, cue.end_ms)
            continue
        turns.append(
            _Turn(
                speaker=utterance.speaker,
                parts=[utterance.text],
                start_ms=cue.start_ms,
                end_ms=cue.end_ms,
                gap_before_ms=max(0, gap),
                is_sound=utterance.is_sound,
            )
        )
    return turns


def _continues(turn: _Turn, utterance: _Utterance, gap_ms: int) -> bool:
    if turn.is_sound or utterance.is_sound or utterance.marked_change:
        return False
    if turn.speaker.lower() != utterance.speaker.lower() or gap_ms >= SEGMENT_GAP_MS:
        return False
    words = word_count(turn.text)
    sentence_ended = bool(_SENTENCE_END_RE.search(turn.parts[-1]))
    if words >= HARD_MAX_TURN_WORDS or (words >= SOFT_MAX_TURN_WORDS and sentence_ended):
        return False
    if turn.speaker:
        return True
    # Unknown speakers: only a sentence running on into the next cue is surely one voice.
    return not sentence_ended and gap_ms <= CONTINUATION_GAP_MS


def _segments(turns: list[_Turn]) -> list[list[_Turn]]:
    segments: list[list[_Turn]] = [[]]
    words = 0
    for turn in turns:
        current = segments[-1]
        full = len(current) >= TURNS_PER_SEGMENT and words >= MIN_WORDS_PER_SEGMENT
        pause = turn.gap_before_ms >= SEGMENT_GAP_MS and len(current) >= MIN_TURNS_BEFORE_GAP_BREAK
        if current and (
            full or pause or words >= MAX_WORDS_PER_SEGMENT or len(current) >= MAX_TURNS_PER_SEGMENT
        ):
            segments.append([])
            words = 0
        segments[-1].append(turn)
        words += word_count(turn.text)
    # A last scrap of one or two turns reads better as the end of the previous segment.
    if len(segments) > 1 and len(segments[-1]) < 3:
        segments[-2].extend(segments.pop())
    return [segment for segment in segments if segment]


def _segment_title(segment: list[_Turn]) -> str:
    """The first spoken line, shortened, after its speaker when known."""
    first = next((turn for turn in segment if not turn.is_sound), segment[0])
    opening = shorten(first.text.strip("-–—♪ "), 7)
    if first.speaker:
        return f"{readable(first.speaker)}: {opening}"
    return opening or f"From {clock(first.start_ms)}"
