"""Plain data passed between pipeline stages.

Every stage output is a pydantic model so the runner can store it as JSON
(`stage_outputs[i]`) and rebuild it exactly on a retry. Field names are the
private shape; what users see is built separately by `pipeline.artifacts`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class SourceType(StrEnum):
    SCRIPT = "script"
    PDF = "pdf"
    PPTX = "pptx"
    ARTICLE = "article"
    TRANSCRIPT = "transcript"
    UNKNOWN = "unknown"


class BlockKind(StrEnum):
    HEADING = "heading"
    SCENE_HEADING = "scene_heading"
    CHARACTER_CUE = "character_cue"
    DIALOGUE = "dialogue"
    PARENTHETICAL = "parenthetical"
    ACTION = "action"
    TRANSITION = "transition"
    SLIDE_TITLE = "slide_title"
    SPEAKER_TURN = "speaker_turn"
    PARAGRAPH = "paragraph"


class Block(BaseModel):
    kind: BlockKind
    text: str
    speaker: str = ""  # dialogue and speaker turns: who speaks (as written)
    section: int = 0  # index into Document.sections
    # Subtitles: when the block is spoken, in milliseconds from the start of the media.
    start_ms: int | None = None
    end_ms: int | None = None


class Section(BaseModel):
    index: int
    title: str
    kind: str = "section"  # scene | heading | paragraphs | segment | slide | page | card
    heading: str = ""  # the raw scene heading, for scripts
    location: str = ""  # normalised place name, when the heading names one
    int_ext: str = ""  # INT | EXT | INT/EXT, for scene headings
    time_of_day: str = ""  # DAY | NIGHT | ..., for scene headings


class PackCard(BaseModel):
    """A card already written by the creator in a story pack."""

    title: str
    scene_text: str
    location: str = ""
    characters: list[str] = Field(default_factory=list)
    captions: list[str] = Field(default_factory=list)
    recap_text: str = ""
    discussion_questions: list[str] = Field(default_factory=list)


class PackCharacter(BaseModel):
    name: str
    description: str = ""
    secret_info: str = ""


class PackLocation(BaseModel):
    name: str
    description: str = ""


class StoryPack(BaseModel):
    title: str = ""
    logline: str = ""
    characters: list[PackCharacter] = Field(default_factory=list)
    locations: list[PackLocation] = Field(default_factory=list)
    cards: list[PackCard] = Field(default_factory=list)


class Document(BaseModel):
    """Stage 0 output: the source, whatever it was, as typed blocks and sections."""

    source_type: SourceType
    parse_confidence: float
    title: str = ""
    blocks: list[Block] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    metadata: dict[str, str | int | float] = Field(default_factory=dict)
    pack: StoryPack | None = None
    char_count: int = 0


class NamedNote(BaseModel):
    name: str
    note: str = ""


class SectionDigest(BaseModel):
    """What a model made of one run of sections (the OpenAI engine's map step).

    Later stages work from these instead of the full text, so a long document
    never has to fit one context window. Private: never in artifacts.
    """

    sections: list[int] = Field(default_factory=list)
    summary: str = ""
    section_summaries: dict[int, str] = Field(default_factory=dict)
    people: list[NamedNote] = Field(default_factory=list)
    places: list[NamedNote] = Field(default_factory=list)


class Reading(BaseModel):
    """Stage 1 output."""

    structure_summary: str
    voice_notes: str
    logline: str = ""
    facts: dict[str, float | int | str] = Field(default_factory=dict)
    confidence: float = 1.0  # how far the measurements can be trusted (0-1)
    digests: list[SectionDigest] = Field(default_factory=list)  # OpenAI engine only


class Identity(BaseModel):
    """Stage 2 output."""

    theme: str
    tone_tags: list[str] = Field(default_factory=list)
    genre: str = ""
    genre_confidence: float = 0.0
    keywords: list[str] = Field(default_factory=list)
    confidence: float = 1.0  # evidence behind theme, tone and genre (0-1)
    keyphrases: list[str] = Field(default_factory=list)  # "brass clock", "ten minutes"


class CharacterSketch(BaseModel):
    key: str
    name: str
    description: str = ""
    aliases: list[str] = Field(default_factory=list)
    importance: int = 0  # dialogue lines, or mentions in prose
    tier: str = "supporting"  # main | supporting
    first_section: int = 0
    sections: list[int] = Field(default_factory=list)
    secret_info: str = ""
    chat_persona: str = ""
    sample_lines: list[str] = Field(default_factory=list)
    # How sure the engine is that this is one real character (0-1): labelled speakers
    # high, names inferred from being addressed in unlabelled subtitles low.
    confidence: float = 1.0


class LocationSketch(BaseModel):
    key: str
    name: str
    description: str = ""
    int_ext: str = ""
    sections: list[int] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)  # other forms the text uses
    parent_key: str = ""  # "Lochside Hotel Ballroom" is part of "lochside-hotel"
    mentions: int = 0  # scene headings, titles and place phrases naming it
    confidence: float = 1.0


class SceneBreakdown(BaseModel):
    """One scene (or section) as a production breakdown row: where, when, who."""

    section: int
    title: str = ""
    heading: str = ""
    location_key: str = ""
    int_ext: str = ""  # INT | EXT | INT/EXT
    time_of_day: str = ""  # DAY | NIGHT | ...
    speaking: list[str] = Field(default_factory=list)  # character keys, by lines spoken
    present: list[str] = Field(default_factory=list)  # speaking, then named in the action
    words: int = 0
    is_story: bool = True  # False for title pages, cast lists and closing slides


class World(BaseModel):
    """Stage 3 output."""

    characters: list[CharacterSketch] = Field(default_factory=list)
    locations: list[LocationSketch] = Field(default_factory=list)
    scenes: list[SceneBreakdown] = Field(default_factory=list)
    confidence: float = 1.0


class CardPlan(BaseModel):
    day_index: int  # 1-based
    title: str
    sections: list[int] = Field(default_factory=list)
    character_keys: list[str] = Field(default_factory=list)
    location_key: str = ""
    publish_at: str = ""  # ISO 8601, UTC
    # [start, end) indices into Document.blocks when the card covers only part of its
    # sections (one long section split into several cards); empty: the whole sections.
    block_span: list[int] = Field(default_factory=list)
    confidence: float = 1.0  # how sure the cut is (scene headings high, guessed breaks low)


def _mean_card_confidence(data: dict) -> float:
    """Plan and Drafts: the mean of their cards' confidences unless given."""
    cards = data.get("cards") or []
    values = [getattr(card, "confidence", 1.0) for card in cards]
    return round(sum(values) / len(values), 2) if values else 1.0


class Plan(BaseModel):
    """Stage 4 output."""

    cards: list[CardPlan] = Field(default_factory=list)
    hook_pack_count: int = 3
    release_mode: str = "hybrid"
    start_date: str = ""
    confidence: float = Field(default_factory=_mean_card_confidence)


class ImagePrompt(BaseModel):
    """An image prompt as parts, so a generator or a creator can adjust one at a time."""

    subject: str = ""
    setting: str = ""
    mood: str = ""
    palette: str = ""
    style: str = ""


class DraftedCard(BaseModel):
    day_index: int
    title: str
    captions: list[str] = Field(default_factory=list)
    scene_text: str = ""
    recap_text: str = ""
    scene_description: str = ""
    image_prompt: str = ""
    image_style: str = ""
    primary_character_keys: list[str] = Field(default_factory=list)
    chat_unlocked_keys: list[str] = Field(default_factory=list)
    location_key: str = ""
    discussion_questions: list[str] = Field(default_factory=list)
    publish_at: str = ""
    image: ImagePrompt | None = None  # image_prompt, as parts
    confidence: float = 1.0


class Drafts(BaseModel):
    """Stage 5 output."""

    cards: list[DraftedCard] = Field(default_factory=list)
    confidence: float = Field(default_factory=_mean_card_confidence)
