"""Stage plays in the Project Gutenberg style: `NAME.` cues, ACT and SCENE headings.

    ACT I

    SCENE II. Elsinore. A room of state in the Castle.

     Enter the King, Queen, Hamlet and Attendants.

    HAMLET.
    [_Aside._] A little more than kin, and less than kind.

A cue is a name in capitals ending with a period, either alone on its line with the
speech below it ("HAMLET." / "LORD POLONIUS.") or opening the speech itself
("LADY BRACKNELL. Good afternoon."), the layout of Wilde, Shaw and Ibsen
translations. A cue on its own line must start a paragraph or follow a finished
sentence, so a capitalised word that merely ends a wrapped line ("SUCH\\nDAMAGE.")
is never a speaker. Stage directions are bracketed or italic lines and paragraphs
that are not speeches (" Enter Ghost.", "[_Exeunt._]"). Headings make the sections:
one per scene, or per act when an act has no scenes.

Like `screenplay.py`, parsing runs in two passes: `play_elements` reads lines into
a flat element stream that detection counts; `parse_play` groups it into sections.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from transformations.ingest.builder import DocumentBuilder, ParsedText
from transformations.ingest.text import collapse_spaces, readable, strip_emphasis, word_set
from transformations.pipeline.types import BlockKind

_NUMBERS = (
    r"\d{1,2}|[IVXL]{1,6}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last"
)
_ACT_RE = re.compile(
    rf"^(?:ACT\s+(?P<number>{_NUMBERS})|(?P<ordinal>{_NUMBERS})\s+ACT)\b\.?[ \t]*(?P<rest>.*)$",
    re.IGNORECASE,
)
_SCENE_RE = re.compile(rf"^SCENE\s+(?P<number>{_NUMBERS})\b[.:]?[ \t]*(?P<rest>.*)$", re.IGNORECASE)
_PART_HEADING_RE = re.compile(
    r"^(?:THE\s+)?(?:PROLOGUE|EPILOGUE|INDUCTION)\b\.?(?:\s+(?:TO|OF)\s.*)?$", re.IGNORECASE
)
_CAST_HEADING_RE = re.compile(
    r"^(?:DRAMATIS\s+PERSON(?:AE|Æ|E)|PERSONS\s+(?:REPRESENTED|OF\s+THE\s+(?:PLAY|DRAMA))"
    r"|(?:THE\s+)?CHARACTERS(?:\s+(?:IN|OF)\s+THE\s+PLAY)?|CAST(?:\s+OF\s+CHARACTERS)?)[.:]?$",
    re.IGNORECASE,
)
_SCENE_LABEL_RE = re.compile(r"^(?:THE\s+)?SCENE[.:]?$", re.IGNORECASE)
_CONTENTS_RE = re.compile(r"^(?:CONTENTS|TABLE OF CONTENTS)[.:]?$", re.IGNORECASE)
_BYLINE_RE = re.compile(r"^by\s+(\S.{0,60})$", re.IGNORECASE)

# Honorifics keep their own period inside a name: "MRS. ALVING.", "DR. RANK."
_HONORIFIC = r"(?:MRS?|MS|DR|ST|MME|MLLE|MONS|CAPT|COL|GEN|REV|PROF|SGT)\.\s"
_NAME = rf"(?:{_HONORIFIC})?[A-Z][A-Z0-9'’&\-]*(?: [A-Z][A-Z0-9'’&\-]*){{0,4}}"
_ASIDE = r"(?:\[[^\]]*\]|\([^)]*\)|_[^_]+_)"
_OWN_LINE_CUE_RE = re.compile(rf"^(?P<name>{_NAME})\s*,?\s*(?P<aside>{_ASIDE})?\s*(?P<dot>\.)?$")
_INLINE_CUE_RE = re.compile(
    rf"^(?P<name>{_NAME})\s*,?\s*(?P<aside>{_ASIDE})?\s*\.\s+(?P<text>\S.*)$"
)
# Capitalised words that open a line without naming a speaker.
_NOT_NAMES = word_set(
    """act scene end finis curtain exit exeunt enter re-enter manet manent omnes
    dramatis persons characters contents preface introduction note notes footnote
    footnotes transcriber's transcriber’s produced chapter book part prologue epilogue
    induction appendix index glossary illustration illustrations tableau ok no yes warning
    caution important copyright license licence volume vol p.s ps a i o warranty
    disclaimer indemnity trademark limitation"""
)
_NOT_WHOLE_NAMES = {"the end", "the curtain", "exeunt omnes", "end of the play"}
_ROMAN_RE = re.compile(r"^[IVXLCDM]+$")
_DIRECTION_WORDS_RE = re.compile(
    r"^(?:Re-?enter|Enter|Exit|Exeunt|Manet|Manent|Flourish|Alarums?|Sennet|Trumpets?"
    r"|Thunder|Music|Dies|Dumb[- ]show|Curtain)\b",
    re.IGNORECASE,
)
_WHOLE_DIRECTION_RE = re.compile(r"^(?:\[[^\]]*\]?|\([^)]*\)|_[^_].*_[.,;:]?)$")
_LEADING_DIRECTION_RE = re.compile(r"^(\[[^\]]*\]|\([^)]*\)|_[^_]+_)\s*(\S.*)$")
_SENTENCE_END_RE = re.compile(r"[.!?…:;\])_—\-\"”'’]$")


@dataclass(frozen=True)
class PlayHeading:
    act: str  # "Act I", "Second Act"; "" when the heading names only a scene
    scene: str  # "Scene II"; "" for an act heading
    place: str  # the setting after the number: "Elsinore. A room of state"
    raw: str


@dataclass(frozen=True)
class PlayElement:
    kind: BlockKind
    text: str
    speaker: str = ""
    heading: PlayHeading | None = None


@dataclass
class PlayElements:
    """The element stream, the front matter and the evidence detection needs."""

    title: str = ""
    author: str = ""
    elements: list[PlayElement] = field(default_factory=list)
    subtitle: str = ""
    cast_heading: str = ""
    cast_list: list[str] = field(default_factory=list)
    speakers: Counter[str] = field(default_factory=Counter)
    paragraph_count: int = 0
    body_paragraphs: int = 0  # after the front matter, not headings: speeches, directions
    cue_paragraphs: int = 0
    heading_count: int = 0
    direction_count: int = 0

    @property
    def cue_count(self) -> int:
        return sum(self.speakers.values())


def play_cue(line: str) -> tuple[str, str, str] | None:
    """(speaker, aside, speech) when the line is a cue; speech is "" for a cue alone."""
    line = line.strip()
    if len(line) > 200:
        return None
    own = _OWN_LINE_CUE_RE.match(line)
    if own and (own.group("dot") or own.group("aside")):
        name = _speaker(own.group("name"))
        return (name, _aside(own.group("aside")), "") if name else None
    inline = _INLINE_CUE_RE.match(line)
    if inline:
        name = _speaker(inline.group("name"))
        return (name, _aside(inline.group("aside")), inline.group("text")) if name else None
    return None


def _speaker(name: str) -> str:
    name = collapse_spaces(name).rstrip(".")
    words = name.split(" ")
    letters = sum(char.isalpha() for char in name)
    if letters < 2 or len(name) > 40 or words[0].lower() in _NOT_NAMES:
        return ""
    if name.lower() in _NOT_WHOLE_NAMES or all(_ROMAN_RE.match(word) for word in words):
        return ""
    return name


def _aside(text: str | None) -> str:
    return collapse_spaces(strip_emphasis(text or "").strip("[]() "))


def parse_heading(line: str) -> PlayHeading | None:
    line = collapse_spaces(strip_emphasis(line))
    if len(line) > 120:
        return None
    act = _ACT_RE.match(line)
    if act:
        rest = act.group("rest")
        scene = _SCENE_RE.match(rest)
        number = act.group("number")
        return PlayHeading(
            act=f"Act {_numeral(number)}" if number else f"{_numeral(act.group('ordinal'))} Act",
            scene=f"Scene {_numeral(scene.group('number'))}" if scene else "",
            place=(scene.group("rest") if scene else rest).strip(" .:—-"),
            raw=line,
        )
    scene = _SCENE_RE.match(line)
    if scene:
        place = scene.group("rest").strip(" .:—-")
        return PlayHeading("", f"Scene {_numeral(scene.group('number'))}", place, line)
    if _PART_HEADING_RE.match(line):
        return PlayHeading("", "", "", line)
    return None


def _numeral(text: str) -> str:
    return text.upper() if _ROMAN_RE.match(text.upper()) else text.capitalize()


def _is_direction(line: str) -> bool:
    return bool(_WHOLE_DIRECTION_RE.match(line) or _DIRECTION_WORDS_RE.match(line))


def _direction_text(line: str) -> str:
    if "_" in line or "*" in line:  # strip_emphasis is slow on long paragraphs
        line = strip_emphasis(line)
    return collapse_spaces(line.strip("[]() "))


def _paragraphs(text: str) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [paragraph for paragraph in paragraphs if paragraph]


def play_elements(text: str) -> PlayElements:
    """Pass 1: paragraphs to elements (headings, cues, speech, directions)."""
    result = PlayElements()
    paragraphs = _paragraphs(text)
    result.paragraph_count = len(paragraphs)
    in_front_matter, in_cast_list = True, False
    for lines in paragraphs:
        heading = parse_heading(lines[0])
        if heading and sum(bool(parse_heading(line)) for line in lines[:4]) >= 2:
            continue  # a table of contents: "ACT I / Scene I. Elsinore. / Scene II. ..."
        if heading and (heading.act or heading.scene or len(lines) == 1):
            in_front_matter = in_cast_list = False
            second = lines[1] if len(lines) > 1 else ""
            if not heading.place and second and not (play_cue(second) or _is_direction(second)):
                heading = PlayHeading(heading.act, heading.scene, lines[1], heading.raw)
                lines = lines[1:]
            result.heading_count += 1
            result.elements.append(PlayElement(BlockKind.SCENE_HEADING, heading.raw, "", heading))
            lines = lines[1:]
            if not lines:
                continue
        if not in_front_matter and _SCENE_LABEL_RE.match(lines[0]) and len(lines) == 1:
            continue  # "SCENE" above the setting, in Wilde's layout
        last = result.elements[-1] if result.elements else None
        if last and last.heading and not last.heading.place and _looks_like_setting(lines):
            # "SECOND ACT" / "Garden at the Manor House.": the setting names the place.
            place = collapse_spaces(" ".join(lines))
            result.elements[-1] = replace(last, heading=replace(last.heading, place=place))
        if in_front_matter and _read_front_matter(lines, result, in_cast_list):
            in_cast_list = in_cast_list or bool(_CAST_HEADING_RE.match(lines[0]))
            continue
        result.body_paragraphs += 1
        if _read_paragraph(lines, result):
            result.cue_paragraphs += 1
            in_front_matter = in_cast_list = False
    return result


def _read_front_matter(lines: list[str], result: PlayElements, in_cast_list: bool) -> bool:
    """Title, byline, contents and the list of persons; True when the paragraph was one."""
    first = lines[0]
    if _CONTENTS_RE.match(first):
        return True
    if _CAST_HEADING_RE.match(first):
        result.cast_heading = readable(strip_emphasis(first).rstrip(".:"))
        result.cast_list.extend(lines[1:])
        return True
    if in_cast_list and not play_cue(first):
        result.cast_list.extend(lines)
        return True
    if not result.title and _looks_like_title(lines):
        result.title = readable(" ".join(strip_emphasis(line) for line in lines))
        return True
    byline = _BYLINE_RE.match(first)
    if byline and len(lines) == 1 and not result.author:
        result.author = byline.group(1).strip()
        return True
    if result.title and not result.subtitle and _looks_like_title(lines):
        result.subtitle = collapse_spaces(" ".join(strip_emphasis(line) for line in lines))
        return True  # "A Play in Two Acts", "A Comedy"
    return False


def _looks_like_setting(lines: list[str]) -> bool:
    first = lines[0]
    if len(lines) > 2 or sum(len(line.split()) for line in lines) > 15:
        return False
    return not (play_cue(first) or _is_direction(first) or _WHOLE_DIRECTION_RE.match(first))


def _looks_like_title(lines: list[str]) -> bool:
    first = lines[0]
    if len(lines) > 3 or len(first.split()) > 12 or first.endswith((".", "!", "?", ",")):
        return False
    return not (play_cue(first) or _is_direction(first))


def _read_paragraph(lines: list[str], result: PlayElements) -> bool:
    """Cues with their speech, and stage directions; True when the paragraph held a cue.

    A cue opening the speech ("NORA. Yes!") counts only at the start of a paragraph,
    so a shouted "HELP. Somebody..." inside a speech stays speech.
    """
    out = result.elements
    speaker, speech, action, had_cue = "", [], [], False

    def flush_speech() -> None:
        if speech:
            out.append(PlayElement(BlockKind.DIALOGUE, strip_emphasis(" ".join(speech)), speaker))
            speech.clear()

    def flush_action() -> None:
        if action:
            result.direction_count += int(_is_direction(action[0]))
            out.append(PlayElement(BlockKind.ACTION, _direction_text(" ".join(action))))
            action.clear()

    for position, line in enumerate(lines):
        cue = play_cue(line)
        if cue and cue[2] and position > 0:
            cue = None
        elif cue and not cue[2]:
            follows_sentence = position == 0 or bool(_SENTENCE_END_RE.search(lines[position - 1]))
            if position + 1 == len(lines) or not follows_sentence:
                cue = None  # a cue alone needs its speech below it, and a fresh start
        if cue:
            flush_speech()
            flush_action()
            speaker, aside, spoken = cue
            had_cue = True
            result.speakers[speaker] += 1
            out.append(PlayElement(BlockKind.CHARACTER_CUE, speaker, speaker))
            if aside:
                out.append(PlayElement(BlockKind.PARENTHETICAL, f"({aside})", speaker))
            if spoken:
                _add_speech_line(spoken, speaker, speech, out, result)
        elif speaker and _WHOLE_DIRECTION_RE.match(line):
            flush_speech()
            result.direction_count += 1
            out.append(PlayElement(BlockKind.ACTION, _direction_text(line)))
        elif speaker:
            _add_speech_line(line, speaker, speech, out, result)
        else:
            action.append(line)  # a stage direction or the setting of the scene
    flush_speech()
    flush_action()
    return had_cue


def _add_speech_line(
    line: str, speaker: str, speech: list[str], out: list[PlayElement], result: PlayElements
) -> None:
    """A line of speech; a leading "[_Aside._]" becomes a parenthetical and a trailing
    "[_Exit._]" a direction after the speech."""
    leading = _LEADING_DIRECTION_RE.match(line)
    if leading:
        if speech:
            out.append(PlayElement(BlockKind.DIALOGUE, strip_emphasis(" ".join(speech)), speaker))
            speech.clear()
        out.append(PlayElement(BlockKind.PARENTHETICAL, f"({_aside(leading.group(1))})", speaker))
        line = leading.group(2)
    # Searched from the end: a regex would rescan the line from every "[" in it.
    bracket = line.rfind("[") if line.endswith("]") else -1
    if bracket > 0 and line[bracket - 1].isspace() and "]" not in line[bracket:-1]:
        speech.append(line[:bracket].rstrip())
        out.append(PlayElement(BlockKind.DIALOGUE, strip_emphasis(" ".join(speech)), speaker))
        speech.clear()
        result.direction_count += 1
        out.append(PlayElement(BlockKind.ACTION, _direction_text(line[bracket:])))
        return
    speech.append(line)


def parse_play(text: str) -> ParsedText:
    """Pass 2: one section per scene (or act); front matter becomes its own section."""
    stream = play_elements(text)
    builder = DocumentBuilder()
    if stream.cast_list:
        builder.start_section(stream.cast_heading or "Dramatis Personae", kind="front-matter")
        for entry in stream.cast_list:
            builder.add(BlockKind.ACTION, strip_emphasis(entry))
    act = ""
    waiting_act: PlayHeading | None = None  # an act heading waits to see if a scene follows
    for element in stream.elements:
        heading = element.heading
        if heading is not None and not heading.scene and heading.act:
            act, waiting_act = heading.act, heading
            continue
        if heading is not None or waiting_act is not None:
            opened = heading or waiting_act
            act = opened.act or act
            builder.start_section(
                _section_title(opened, act),
                kind="scene",
                heading=opened.raw,
                location=_location(opened.place),
            )
            if waiting_act is not None:
                builder.add(BlockKind.HEADING, waiting_act.act)
                waiting_act = None
            if heading is not None:
                builder.add(BlockKind.SCENE_HEADING, heading.raw)
                continue
        elif not builder.has_section or builder.parsed.sections[-1].kind == "front-matter":
            builder.start_section("Opening" if stream.heading_count else "Scene 1", kind="scene")
        builder.add(element.kind, element.text, speaker=element.speaker)
    builder.drop_empty_sections()
    parsed = builder.parsed
    parsed.title = stream.title
    parsed.metadata.update(
        {
            "play_heading_count": stream.heading_count,
            "character_cue_count": stream.cue_count,
            "speaker_count": len(stream.speakers),
            "dialogue_block_count": sum(1 for e in stream.elements if e.kind == BlockKind.DIALOGUE),
            "stage_direction_count": stream.direction_count,
            "cast_list_count": len(stream.cast_list),
        }
    )
    if stream.author:
        parsed.metadata["author"] = stream.author
    if stream.subtitle:
        parsed.metadata["subtitle"] = stream.subtitle
    return parsed


def _section_title(heading: PlayHeading, act: str) -> str:
    parts = [part for part in (act, heading.scene) if part]
    label = ", ".join(parts) or readable(heading.raw.rstrip("."))
    place = collapse_spaces(heading.place).rstrip(".")
    return f"{label}: {place}" if place else label


def _location(place: str) -> str:
    """The first part of the setting: "Elsinore. A platform before the Castle." -> Elsinore."""
    first = re.split(r"\.\s+|;\s+|\s+[—–-]\s+", collapse_spaces(place).rstrip("."), maxsplit=1)[0]
    first = first.strip(" ,:")
    if not first or len(first.split()) > 8:
        return ""
    return readable(first)
