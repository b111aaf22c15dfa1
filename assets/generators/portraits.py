"""Character portraits in a chosen style: painted locally, or by the OpenAI image model.

Whatever the style, a portrait keeps what makes the character recognisable: the vision
profile's `do_not_change` traits or, without them, the age, hair, glasses and clothes the
description mentions. The prompt always carries them; the local painter draws the ones
it can (hair colour and length, glasses, a beard, a hat) in `portrait_drawing`.
"""

from __future__ import annotations

import re

from django.conf import settings

from assets.generators.base import (
    AssetRequest,
    CharacterContext,
    GeneratedAsset,
    GeneratorSession,
)
from assets.generators.figures import seeded
from assets.generators.images import palette_for, png_file
from assets.generators.openai_media import media_client, media_settings, model_image
from assets.generators.palette import Roles, image_colours, roles
from assets.generators.portrait_drawing import look_of, paint_portrait
from assets.generators.scenes import word_set
from transformations.pipeline.errors import StageFailed

OPENAI_PORTRAIT_SIZE = "1024x1024"

# What the image model is told for each style. The local painter keys its renderings
# by the same names, in `portrait_drawing.RENDERINGS`: a new style needs both.
STYLE_PRESETS: dict[str, str] = {
    "watercolor": (
        "loose watercolour painting on textured paper, soft washes that bleed at the edges, "
        "a light pencil underdrawing"
    ),
    "storybook": ("warm storybook illustration in gouache, gentle brown outlines, a cosy vignette"),
    "anime": "anime character portrait, clean bold line art, cel shading, large expressive eyes",
    "flat": "flat vector illustration, simple hard-edged shapes, no gradients, a limited palette",
    "colored-pencil": (
        "coloured-pencil drawing on cream paper, visible hatching strokes, soft layered colour"
    ),
}
STYLE_ALIASES = {"watercolour": "watercolor", "coloured-pencil": "colored-pencil"}


def checked_style(style: str) -> str:
    key = re.sub(r"[\s_]+", "-", style.strip().lower())
    key = STYLE_ALIASES.get(key, key)
    if key not in STYLE_PRESETS:
        raise StageFailed(
            f"“{style}” is not a portrait style. Choose one of: {', '.join(STYLE_PRESETS)}.",
            code="UNKNOWN_STYLE",
        )
    return key


# Traits a portrait must keep.

_AGE = re.compile(
    r"\((\d{1,2}0s|\d{1,2})\)"
    r"|\bin (?:his|her|their) (?:early |mid-|late )?"
    r"(?:twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties|\d0s)\b"
    r"|\b\d{1,3}[- ]years?[- ]old\b|\baged \d{1,3}\b"
    r"|\b(?:elderly|middle-aged|teenaged?|teenager)\b"
    r"|\b(?:young|old|little) (?:woman|man|girl|boy|lady)\b",
    re.IGNORECASE,
)
_FEATURES = (
    "hair|beard|moustache|mustache|stubble|braids?|ponytail|curls|fringe|bald|glasses|"
    "spectacles|eyepatch|monocle|scar|freckles|tattoo|birthmark|earrings?|jacket|coat|dress|"
    "shirt|apron|scarf|hat|cap|uniform|suit|sweater|jumper|cardigan|boots|tie|hoodie|"
    "overalls|waistcoat|cloak|robe|blouse|skirt|trousers|jeans|gloves|headscarf|hijab|turban|"
    "raincoat|overcoat|parka|anorak|wellies|wellingtons|trainers|sneakers|sandals|necklace|ribbon"
)
# A feature noun with up to three words before it ("dark, shoulder-length hair").
_FEATURE = re.compile(rf"\b((?:[\w'-]+,? ){{0,3}}(?:{_FEATURES}))\b", re.IGNORECASE)
# Words that end a description of the feature: what comes before them is about something else.
_BREAKS = word_set(
    """a an the in with wearing wears his her their its and or who has had always of on is
    was he she they behind under over off into from to at by for as but"""
)


def traits_from_description(text: str) -> list[str]:
    """Age, hair, face and clothing phrases as the description words them."""
    found = []
    for match in _AGE.finditer(text):
        given = match.group(1)  # "Marcus (40s)", "Ada (7)": the screenplay way
        if not given:
            found.append(match.group(0))
        else:
            found.append(f"in their {given}" if given.endswith("s") else f"aged {given}")
    for match in _FEATURE.finditer(text):
        words = match.group(1).split()
        cut = max(
            (i + 1 for i, word in enumerate(words[:-1]) if word.strip(",").lower() in _BREAKS),
            default=0,
        )
        found.append(" ".join(words[cut:]).strip(" ,"))
    return unique(found)[:8]


def unique(phrases) -> list[str]:
    seen, kept = set(), []
    for phrase in phrases:
        phrase = " ".join(str(phrase).split())
        if phrase and phrase.lower() not in seen:
            seen.add(phrase.lower())
            kept.append(phrase)
    return kept


def invariants(character: CharacterContext) -> list[str]:
    """The profile's `do_not_change`; without it, what the description says of the look."""
    profile = character.visual_profile or {}
    kept = unique(profile.get("do_not_change") or [])
    if kept:
        return kept
    return traits_from_description(f"{profile.get('appearance', '')} {character.description}")


def portrait_prompt(character: CharacterContext, style: str) -> str:
    style = checked_style(style)
    profile = character.visual_profile or {}
    parts = [f"Head-and-shoulders portrait of {character.name}, on a plain, softly lit background."]
    look = (profile.get("appearance") or character.description or "").strip()
    if look:
        parts.append(f"Appearance: {look.rstrip('.')}.")
    for label, key in (("Age", "age_range"), ("Hair", "hair"), ("Clothing", "clothing")):
        if profile.get(key):
            parts.append(f"{label}: {str(profile[key]).rstrip('.')}.")
    if profile.get("palette"):
        parts.append(f"Colours: {', '.join(profile['palette'])}.")
    parts.append(f"Style: {STYLE_PRESETS[style]}.")
    kept = invariants(character)
    if kept:  # last, so a style never talks the model out of them
        parts.append(f"Whatever the style, keep exactly: {'; '.join(kept)}.")
    parts.append("No text or lettering.")
    return " ".join(parts)


def portrait_palette(request: AssetRequest) -> Roles:
    profile = request.character.visual_profile if request.character else {}
    return roles((profile or {}).get("palette") or palette_for(request))


def portrait_request_parts(request: AssetRequest) -> tuple[CharacterContext, str, int]:
    style = checked_style(request.style)
    if request.character is None:
        raise ValueError(f"{request.key}: a portrait needs its character")
    return request.character, style, max(1, request.variants)


def local_portrait(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    character, style, count = portrait_request_parts(request)
    palette = portrait_palette(request)
    look = look_of(character, invariants(character), palette)
    files, first_palette = {}, []
    for index in range(1, count + 1):
        image = paint_portrait(look, style, palette, seeded(request.seed, request.key, index))
        first_palette = first_palette or image_colours(image)
        files[f"variant-{index}"] = png_file(image)
        session.report(index, count, f"portrait of {character.name}, variant {index}")
    return GeneratedAsset(
        files=files,
        metadata={
            "style": style,
            "variants": count,
            "palette": first_palette,
            "prompt": portrait_prompt(character, style),
            "engine": "local",
        },
    )


# Each variant asks for a different pose, so the variants are worth choosing between.
POSES = (
    "facing the viewer",
    "a three-quarter view, turned slightly to the left",
    "a three-quarter view, turned slightly to the right, a small smile",
    "looking up, thoughtful",
)


def openai_portrait(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    character, style, count = portrait_request_parts(request)
    prompt = portrait_prompt(character, style)
    client = media_client(media_settings())
    model = settings.OPENAI_IMAGE_MODEL
    files, first_palette = {}, []
    for index in range(1, count + 1):
        variant_prompt = f"{prompt} Pose: {POSES[(index - 1) % len(POSES)]}."

        def send(headers: dict, variant_prompt: str = variant_prompt):
            return client.images.generate(
                prompt=variant_prompt, model=model, size=OPENAI_PORTRAIT_SIZE, extra_headers=headers
            )

        purpose = f"portrait {character.key} variant {index}"
        image = model_image(
            send, session=session, purpose=purpose, model=model, prompt=variant_prompt
        )
        first_palette = first_palette or image_colours(image)
        files[f"variant-{index}"] = png_file(image)
        session.report(index, count, f"portrait of {character.name}, variant {index}")
    return GeneratedAsset(
        files=files,
        metadata={
            "style": style,
            "variants": count,
            "palette": first_palette,
            "prompt": prompt,
            "model": model,
        },
    )
