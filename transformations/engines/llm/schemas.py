"""The answers each stage asks a model for, defined once as pydantic models.

The same class gives the JSON schema sent with the request (`response_format`)
and validates the answer that comes back. Rules a schema cannot say (a section
number the request did not contain, a card that was not asked about) are
checked by the engine and reported back to the model the same way.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Short = Annotated[str, Field(max_length=200)]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NamedNote(Answer):
    name: Short
    note: Short = Field(description="One short phrase: who they are, or what the place is.")


class SectionNote(Answer):
    section: int = Field(description="The number after § in the text.")
    summary: str = Field(max_length=600, description="One or two sentences.")


class DigestAnswer(Answer):
    """Stage 1, map step: one chunk of the document."""

    summary: str = Field(max_length=1500, description="What happens in this part, briefly.")
    sections: list[SectionNote]
    people: list[NamedNote] = Field(description="Every named character who appears or speaks.")
    places: list[NamedNote] = Field(description="Every place where something happens.")


class SummaryAnswer(Answer):
    """Stage 1, combine step for documents whose digests do not fit one request."""

    summary: str = Field(max_length=2500)


class ReadingAnswer(Answer):
    structure_summary: str = Field(
        max_length=1200, description="How the story is built: acts, turns, where it ends."
    )
    voice_notes: str = Field(max_length=800, description="How it is told: voice, rhythm, register.")
    logline: str = Field(max_length=400, description="One sentence a reader would be hooked by.")


class IdentityAnswer(Answer):
    theme: str = Field(max_length=300, description="What the story is about underneath.")
    tone_tags: list[Short] = Field(min_length=1, max_length=5)
    genre: Short
    genre_confidence: float = Field(ge=0, le=1)
    keywords: list[Short] = Field(max_length=12)


class CharacterAnswer(Answer):
    name: Short = Field(description="As the text names them.")
    aliases: list[Short] = Field(description="Other names the text uses for the same person.")
    description: str = Field(max_length=600, description="Who they are and how they look.")
    tier: Literal["main", "supporting"]
    secret_info: str = Field(max_length=400, description="What they hide, if the text says.")
    chat_persona: str = Field(max_length=400, description="How they would talk to a reader.")


class LocationAnswer(Answer):
    name: Short
    description: str = Field(max_length=600)
    int_ext: Literal["INT", "EXT", "INT/EXT", ""]


class WorldAnswer(Answer):
    characters: list[CharacterAnswer]
    locations: list[LocationAnswer]


class MomentTitle(Answer):
    day_index: int
    title: str = Field(max_length=80)


class MomentTitlesAnswer(Answer):
    cards: list[MomentTitle]


class ImageAnswer(Answer):
    subject: str = Field(max_length=400, description="Who is in the picture and what they do.")
    setting: str = Field(max_length=400, description="The place and its light.")
    mood: Short
    palette: Short
    style: Short


class CardAnswer(Answer):
    captions: list[Short] = Field(min_length=2, max_length=4)
    scene_text: str = Field(max_length=2400, description="The moment, retold in a few paragraphs.")
    recap_text: str = Field(max_length=400, description="One sentence a later card can recall.")
    scene_description: str = Field(max_length=600)
    discussion_questions: list[Short] = Field(min_length=2, max_length=4)
    image: ImageAnswer


class CharacterProfileAnswer(Answer):
    """The vision profile of a character from a reference photo."""

    appearance: str = Field(max_length=800, description="What a painter needs, head to toe.")
    age_range: Short
    hair: Short
    clothing: Short
    distinguishing_features: list[Short] = Field(max_length=8)
    palette: list[Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]] = Field(
        min_length=3, max_length=5, description="Dominant colours as #rrggbb."
    )
    do_not_change: list[Short] = Field(
        min_length=1,
        max_length=8,
        description="Traits every portrait must keep, whatever the style.",
    )


# Keywords OpenAI's strict structured outputs reject; pydantic still enforces them.
_UNSUPPORTED = {"maxLength", "minLength", "default"}


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items() if k not in _UNSUPPORTED}
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def response_format(answer_type: type[Answer]) -> dict:
    """The `response_format` for a chat completion that must answer `answer_type`."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": answer_type.__name__,
            "strict": True,
            "schema": _strict(answer_type.model_json_schema()),
        },
    }
