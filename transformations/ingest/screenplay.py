"""Fountain and plain-text screenplays, read with the Fountain line rules.

Parsing runs in two passes. `screenplay_elements` turns lines into a flat stream
of elements (scene heading, cue, dialogue, parenthetical, action, transition);
detection counts that stream to decide whether a text is a screenplay at all.
`parse_screenplay` then groups the stream into scenes, one section per heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transformations.ingest.builder import DocumentBuilder, ParsedText
from transformations.ingest.text import collapse_spaces, readable, strip_emphasis, word_set
from transformations.pipeline.types import BlockKind

TITLE_PAGE_KEYS = word_set(
    "title credit author authors source notes contact copyright revision date"
) | {"draft date", "written by"}

_TITLE_KEY_RE = re.compile(r"^([A-Za-z][A-Za-z ]{0,20}):\s*(.*)$")
_SCENE_PREFIX_RE = re.compile(
    r"^(int\.?\s*/\s*ext|ext\.?\s*/\s*int|i\s*/\s*e|int|ext|est)(?:\.\s*|\s+)", re.IGNORECASE
)
_FORCED_HEADING_RE = re.compile(r"^\.(?=[A-Za-z0-9])")
_SCENE_NUMBER_RE = re.compile(r"\s*#[\w.\-]+#\s*$")
_PAGE_BREAK_RE = re.compile(r"^={3,}$")
_KNOWN_TRANSITION_RE = re.compile(
    r"^(FADE (IN|OUT|TO BLACK)|CUT TO BLACK|SMASH CUT|MATCH CUT|JUMP CUT|DISSOLVE|IRIS (IN|OUT)"
    r"|BACK TO)\b"
)
_ROLE_SEPARATOR_RE = re.compile(r"\s+(?:-{1,2}|\u2013|—)\s+")
_TIME_WORDS = word_set(
    """day night morning afternoon evening dusk dawn sunrise sunset noon midnight later
    continuous moments moment same time early late next minutes hours a few the golden magic
    hour twilight daybreak nightfall lunch lunchtime dinner breakfast before after"""
)
PLACE_WORDS = word_set(
    """room house home shop store cafe café bar diner office street road avenue alley park
    station platform bridge roof rooftop hall hallway corridor apartment flat kitchen bedroom
    bathroom lobby garage warehouse church hospital library school restaurant market car bus
    train garden yard beach pier harbour harbor forest field studio workshop basement attic"""
)


@dataclass(frozen=True)
class Element:
    kind: BlockKind
    text: str
    speaker: str = ""


@dataclass
class ScreenplayElements:
    """The element stream and the evidence detection needs."""

    title_page: dict[str, str] = field(default_factory=dict)
    elements: list[Element] = field(default_factory=list)
    fountain_markers: int = 0

    def count(self, kind: BlockKind) -> int:
        return sum(1 for element in self.elements if element.kind == kind)

    @property
    def speakers(self) -> set[str]:
        return {e.speaker for e in self.elements if e.kind == BlockKind.CHARACTER_CUE}

    @property
    def paragraph_count(self) -> int:
        # Dialogue and parentheticals belong to their cue's paragraph.
        ignored = (BlockKind.DIALOGUE, BlockKind.PARENTHETICAL)
        return sum(1 for element in self.elements if element.kind not in ignored)


@dataclass(frozen=True)
class SceneHeading:
    raw: str
    int_ext: str  # INT | EXT | INT/EXT | ""
    location: str  # readable place name, "" when the heading names no place
    time_of_day: str  # DAY | NIGHT | MOMENTS LATER | ""
    title: str  # the heading in readable form: "Coffee Shop — Day"


def strip_boneyard_and_notes(text: str) -> str:
    return _strip_between(_strip_between(text, "/*", "*/"), "[[", "]]")


def _strip_between(text: str, opening: str, closing: str) -> str:
    r"""Remove every `opening…closing` span in one linear pass.

    A lazy regex (`/\*.*?\*/`) rescans the rest of the text from every unclosed
    opener, which is quadratic on hostile input; an unclosed opener is kept as text.
    """
    parts: list[str] = []
    position = 0
    while (start := text.find(opening, position)) != -1:
        end = text.find(closing, start + len(opening))
        if end == -1:
            break
        parts.append(text[position:start])
        position = end + len(closing)
    parts.append(text[position:])
    return "".join(parts)


def split_title_page(text: str) -> tuple[dict[str, str], str]:
    """Fountain title page: `Key: value` lines at the very top, ended by a blank line."""
    lines = text.lstrip("\n").split("\n")
    first = _TITLE_KEY_RE.match(lines[0]) if lines else None
    if not first or first.group(1).strip().lower() not in TITLE_PAGE_KEYS:
        return {}, text
    values: dict[str, str] = {}
    key = ""
    for position, line in enumerate(lines):
        if not line.strip():
            return _clean_title_page(values), "\n".join(lines[position + 1 :])
        match = _TITLE_KEY_RE.match(line)
        if match and not line[:1].isspace():
            key = match.group(1).strip().lower()
            values[key] = match.group(2).strip()
        elif key:  # an indented continuation of the previous value
            values[key] = f"{values[key]} {line.strip()}".strip()
    return _clean_title_page(values), ""


def _clean_title_page(values: dict[str, str]) -> dict[str, str]:
    return {key: collapse_spaces(strip_emphasis(value)) for key, value in values.items()}


def is_scene_heading(line: str) -> bool:
    line = line.strip()
    if _FORCED_HEADING_RE.match(line):
        return True
    return bool(_SCENE_PREFIX_RE.match(line)) and len(line) > 4


def is_transition(line: str) -> bool:
    line = line.strip()
    if line.startswith(">") and not line.endswith("<"):
        return True
    if not line.isupper():
        return False
    return line.endswith(" TO:") or bool(_KNOWN_TRANSITION_RE.match(line))


def cue_name(line: str) -> str:
    """The speaker named by a character cue, or "" when the line is not a cue.

    Extensions such as (V.O.), (O.S.) and (CONT'D) and the dual-dialogue caret are
    stripped. A leading `@` forces a cue with lower-case letters ("@McCLANE").
    """
    line = line.strip().rstrip("^").rstrip()
    forced = line.startswith("@")
    if forced:
        line = line[1:].strip()
    name = collapse_spaces(line.split("(", 1)[0])
    if not name or not any(char.isalpha() for char in name):
        return ""
    if forced:
        return name
    if any(char.islower() for char in name) or line[-1] in "!?:,.;":
        return ""
    if len(name) > 40 or len(name.split()) > 5 or line.startswith(("!", ">", "~", ".")):
        return ""
    if is_scene_heading(line) or is_transition(line):
        return ""
    return name


def screenplay_elements(text: str) -> ScreenplayElements:
    """Pass 1: lines to elements, following the Fountain rules on blank lines."""
    cleaned = strip_boneyard_and_notes(text)
    result = ScreenplayElements()
    result.fountain_markers = int(cleaned != text)
    result.title_page, body = split_title_page(cleaned)
    result.fountain_markers += int(bool(result.title_page))
    lines = body.split("\n")
    position, previous_blank = 0, True
    while position < len(lines):
        line = lines[position].strip()
        following = lines[position + 1].strip() if position + 1 < len(lines) else ""
        if not line:
            previous_blank = True
            position += 1
            continue
        if _PAGE_BREAK_RE.match(line) or line.startswith("#") or _is_synopsis(line):
            # Outline sections, synopses and page breaks structure the writing, not the story.
            result.fountain_markers += 1
            previous_blank = True
            position += 1
            continue
        if previous_blank and is_scene_heading(line):
            result.fountain_markers += int(line.startswith("."))
            result.elements.append(Element(BlockKind.SCENE_HEADING, line))
            position += 1
        elif previous_blank and is_transition(line):
            result.fountain_markers += int(line.startswith(">"))
            result.elements.append(Element(BlockKind.TRANSITION, line.lstrip("> ")))
            position += 1
        elif previous_blank and following and (name := cue_name(line)):
            result.fountain_markers += int(line.startswith("@"))
            result.elements.append(
                Element(BlockKind.CHARACTER_CUE, line.lstrip("@").rstrip("^ "), name)
            )
            position = _read_dialogue(lines, position + 1, name, result.elements)
        else:
            position = _read_action(lines, position, result)
        previous_blank = False
    return result


def _is_synopsis(line: str) -> bool:
    return line.startswith("=") and not line.startswith("==")


def _read_dialogue(lines: list[str], position: int, speaker: str, out: list[Element]) -> int:
    speech: list[str] = []

    def flush() -> None:
        if speech:
            out.append(Element(BlockKind.DIALOGUE, strip_emphasis(" ".join(speech)), speaker))
            speech.clear()

    while position < len(lines) and lines[position].strip():
        line = lines[position].strip()
        if line.startswith("("):
            flush()
            # A parenthetical may wrap onto following lines until its ")".
            while not line.endswith(")") and position + 1 < len(lines):
                if not lines[position + 1].strip():
                    break
                position += 1
                line = f"{line} {lines[position].strip()}"
            out.append(Element(BlockKind.PARENTHETICAL, line, speaker))
        else:
            speech.append(line.lstrip("~").strip())
        position += 1
    flush()
    return position


def _read_action(lines: list[str], position: int, result: ScreenplayElements) -> int:
    paragraph: list[str] = []
    while position < len(lines) and lines[position].strip():
        line = lines[position].strip()
        if line.startswith("!") or (line.startswith(">") and line.endswith("<")):
            result.fountain_markers += 1
            line = line.lstrip("!>").rstrip("<").strip()
        paragraph.append(line)
        position += 1
    result.elements.append(Element(BlockKind.ACTION, strip_emphasis(" ".join(paragraph))))
    return position


def parse_scene_heading(raw: str) -> SceneHeading:
    """Split "INT. COFFEE SHOP - DAY" into INT, "Coffee Shop" and DAY.

    The place is the first dash-separated part ("ELENA'S APARTMENT - KITCHEN - NIGHT"
    is at "Elena's Apartment"), so scenes in different rooms of one place merge into
    one location; the room stays in the title. A leading "THE" is kept as written.
    """
    text = _SCENE_NUMBER_RE.sub("", raw.strip())
    forced = bool(_FORCED_HEADING_RE.match(text))
    if forced:
        text = text[1:]
    prefix = _SCENE_PREFIX_RE.match(text)
    int_ext = _canonical_int_ext(prefix.group(1)) if prefix else ""
    rest = strip_emphasis(text[prefix.end() :] if prefix else text)
    rest = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", rest)
    parts = [part.strip(" .,") for part in _ROLE_SEPARATOR_RE.split(rest)]
    parts = [part for part in parts if part]
    time_of_day = ""
    if len(parts) >= 2 and _is_time(parts[-1]):
        time_of_day = parts.pop()
    elif parts:
        tail = re.match(r"^(.*?\S)\s*(?:,|-{1,2}|\u2013|—)\s*([A-Za-z][A-Za-z ]*)$", parts[-1])
        if tail and _is_time(tail.group(2)):
            parts[-1], time_of_day = tail.group(1), tail.group(2)
    place = parts[0] if parts else ""
    if forced and not int_ext and not _looks_like_place(place):
        place = ""  # ".FLASHBACK" or ".MONTAGE" names a device, not a place
    location = readable(place)
    title = ", ".join(readable(part) for part in parts) or readable(text)
    if time_of_day:
        title = f"{title} — {readable(time_of_day)}"
    return SceneHeading(
        raw=raw.strip(),
        int_ext=int_ext,
        location=location,
        time_of_day=collapse_spaces(time_of_day).upper(),
        title=title,
    )


def _canonical_int_ext(prefix: str) -> str:
    compact = re.sub(r"[\s.]", "", prefix).upper()
    if "/" in compact:
        return "INT/EXT"
    return "EXT" if compact in ("EXT", "EST") else "INT"


def _is_time(text: str) -> bool:
    tokens = re.findall(r"[a-z]+", text.lower())
    return bool(tokens) and all(token in _TIME_WORDS for token in tokens)


def _looks_like_place(text: str) -> bool:
    lowered = text.lower()
    return "'s " in lowered or any(word in PLACE_WORDS for word in re.findall(r"\w+", lowered))


def parse_screenplay(text: str) -> ParsedText:
    """Pass 2: group elements into scenes; one section per scene heading.

    Content before the first heading becomes an "Opening" section, except bare
    transitions such as FADE IN:, which join the first scene. A script with no
    headings at all is cut into scenes at its transitions.
    """
    stream = screenplay_elements(text)
    builder = DocumentBuilder()
    has_headings = any(e.kind == BlockKind.SCENE_HEADING for e in stream.elements)
    held: list[Element] = []
    for element in stream.elements:
        if element.kind == BlockKind.SCENE_HEADING:
            heading = parse_scene_heading(element.text)
            builder.start_section(
                heading.title,
                kind="scene",
                heading=heading.raw,
                location=heading.location,
                int_ext=heading.int_ext,
                time_of_day=heading.time_of_day,
            )
            for early in held:
                builder.add(early.kind, early.text, speaker=early.speaker)
            held.clear()
            builder.add(BlockKind.SCENE_HEADING, element.text)
            continue
        if not builder.has_section:
            if has_headings and element.kind == BlockKind.TRANSITION:
                held.append(element)
                continue
            builder.start_section("Opening" if has_headings else "Scene 1", kind="scene")
            for early in held:
                builder.add(early.kind, early.text, speaker=early.speaker)
            held.clear()
        elif not has_headings and _starts_new_scene(builder, element):
            builder.start_section(f"Scene {len(builder.parsed.sections) + 1}", kind="scene")
        builder.add(element.kind, element.text, speaker=element.speaker)
    builder.drop_empty_sections()

    parsed = builder.parsed
    page = stream.title_page
    parsed.title = page.get("title", "")
    parsed.metadata.update(
        {
            "scene_heading_count": stream.count(BlockKind.SCENE_HEADING),
            "character_cue_count": stream.count(BlockKind.CHARACTER_CUE),
            "dialogue_block_count": stream.count(BlockKind.DIALOGUE),
            "action_block_count": stream.count(BlockKind.ACTION),
            "transition_count": stream.count(BlockKind.TRANSITION),
            "speaker_count": len(stream.speakers),
            "fountain_markers": stream.fountain_markers,
        }
    )
    for key in ("author", "authors", "written by", "credit", "draft date", "source"):
        if page.get(key):
            parsed.metadata[key.replace(" ", "_")] = page[key]
    return parsed


def _starts_new_scene(builder: DocumentBuilder, element: Element) -> bool:
    """Without headings, a transition ("CUT TO:") closes a scene; the next element opens one."""
    blocks = builder.parsed.blocks
    return (
        bool(blocks)
        and blocks[-1].kind == BlockKind.TRANSITION
        and element.kind not in (BlockKind.TRANSITION,)
    )
