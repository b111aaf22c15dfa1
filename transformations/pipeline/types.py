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


class Reading(BaseModel):
    """Stage 1 output."""

    structure_summary: str
    voice_notes: str
    logline: str = ""
    facts: dict[str, float | int | str] = Field(default_factory=dict)


class Identity(BaseModel):
    """Stage 2 output."""

    theme: str
    tone_tags: list[str] = Field(default_factory=list)
    genre: str = ""
    genre_confidence: float = 0.0
    keywords: list[str] = Field(default_factory=list)


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


class LocationSketch(BaseModel):
    key: str
    name: str
    description: str = ""
    int_ext: str = ""
    sections: list[int] = Field(default_factory=list)


class World(BaseModel):
    """Stage 3 output."""

    characters: list[CharacterSketch] = Field(default_factory=list)
    locations: list[LocationSketch] = Field(default_factory=list)


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


class Plan(BaseModel):
    """Stage 4 output."""

    cards: list[CardPlan] = Field(default_factory=list)
    hook_pack_count: int = 3
    release_mode: str = "hybrid"
    start_date: str = ""


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


class Drafts(BaseModel):
    """Stage 5 output."""

    cards: list[DraftedCard] = Field(default_factory=list)
