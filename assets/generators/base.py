"""What every media generator takes and returns: plain data, no ORM.

A generator is a function `(AssetRequest, GeneratorSession) -> GeneratedAsset`.
It never touches the database or storage; the asset runner stores what it
returns (`assets/runner.py`). Each asset type has a local implementation and an
OpenAI one (`assets/generators/__init__.py` picks), like the story engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transformations.engines.journal import EngineSession

# The session carries job key, attempt, the call journal (model calls are kept
# for staff, like the story engine's) and a progress callback `(done, total, what)`.
GeneratorSession = EngineSession


@dataclass(frozen=True)
class StoryContext:
    title: str
    logline: str = ""
    theme: str = ""
    tone_tags: tuple[str, ...] = ()
    genre: str = ""
    # Three to five "#rrggbb" colours chosen for the story (from its tone), shared by
    # every local image so a universe looks like one book.
    palette: tuple[str, ...] = ()


@dataclass(frozen=True)
class CardContext:
    day_index: int
    title: str
    captions: tuple[str, ...] = ()
    scene_text: str = ""
    recap_text: str = ""
    scene_description: str = ""
    discussion_questions: tuple[str, ...] = ()
    image_prompt: str = ""
    # subject, setting, mood, palette, style (see transformations ImagePrompt)
    image_parts: dict = field(default_factory=dict)
    location_name: str = ""
    location_description: str = ""
    int_ext: str = ""  # INT | EXT | INT/EXT | ""
    time_of_day: str = ""  # DAY | NIGHT | ... | ""
    characters: tuple[str, ...] = ()  # names, most important first


@dataclass(frozen=True)
class CharacterContext:
    key: str
    name: str
    description: str = ""
    # From the vision profile service (appearance, palette, do_not_change, ...), or {}.
    visual_profile: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AssetRequest:
    asset_type: str  # cover | card_image | portrait | narration | pdf | activities
    key: str  # "cover", "card_image:3", "portrait:elena:watercolor:<token>", "pdf", ...
    story: StoryContext
    card: CardContext | None = None  # card_image, narration, activities
    cards: tuple[CardContext, ...] = ()  # pdf: every card in order
    character: CharacterContext | None = None  # portrait
    style: str = ""  # portrait style preset
    variants: int = 1  # portrait variants to draw
    # Finished images by asset key ("cover", "card_image:3"): the PDF embeds them; card
    # images may use the cover as a reference for consistency.
    images: dict[str, bytes] = field(default_factory=dict)
    # Stable per asset (and per run token for portraits): deterministic variation.
    seed: str = ""


@dataclass(frozen=True)
class GeneratedFile:
    content: bytes
    extension: str  # "png", "wav", "mp3", "vtt", "pdf"
    content_type: str


@dataclass
class GeneratedAsset:
    # By role: "main" for the asset itself; "captions" beside narration;
    # "variant-1", "variant-2", ... for portraits.
    files: dict[str, GeneratedFile] = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # JSON results (activities)
    # palette (list of "#rrggbb"), width, height, duration_ms, page_count, voice, model, ...
    metadata: dict = field(default_factory=dict)


class AssetSkipped(Exception):  # an outcome, not an error
    """This asset cannot be made on this server (e.g. no speech synthesiser): not a failure."""

    def __init__(self, reason: str, code: str = "ASSET_SKIPPED") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
