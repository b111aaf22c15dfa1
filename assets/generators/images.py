"""Covers and beat images: painted locally with Pillow, or by the OpenAI image model.

The local painter builds a picture from what the card knows: inside a room (walls, a
window onto the time of day, a door, floorboards in perspective) or outside (a sky by
time of day over hills, houses or water), one silhouette per character present, and the
story's mood as grade and weather. Every colour comes from the story's palette and every
choice from the asset's seed, so a universe looks like one book and the same request
paints the same picture. The set is painted in `scenes`, the people in `figures`; this
module composes them into a card or a cover and sets the cover's title.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from assets.generators.base import (
    AssetRequest,
    GeneratedAsset,
    GeneratedFile,
    GeneratorSession,
)
from assets.generators.figures import build_of, draw_shapes, figure_shapes, paint_figures, seeded
from assets.generators.openai_media import media_client, media_settings, model_image
from assets.generators.palette import (
    WHITE,
    Roles,
    graded,
    image_colours,
    light_for,
    lit,
    mix,
    mood_of,
    paint_sky,
    paper,
    roles,
    story_palette,
)
from assets.generators.scenes import is_interior, paint_exterior, paint_interior, ridge

COVER_SIZE = (1200, 1600)
CARD_SIZE = (1536, 1024)
# The cover's title band, as shares of its height: the title changes nothing else.
TITLE_BAND = (0.70, 0.88)
TITLE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSerif-Bold.ttf"),
)
# Enough texture to read as paint on paper; more makes the PNG large and slow to encode.
PAPER_GRAIN = 0.1


def png_file(image: Image.Image) -> GeneratedFile:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=3)  # busy pictures: the default level is slow
    return GeneratedFile(content=out.getvalue(), extension="png", content_type="image/png")


def palette_for(request: AssetRequest) -> tuple[str, ...]:
    story = request.story
    return story.palette or story_palette(story.tone_tags, story.genre)


def scene_mood(request: AssetRequest) -> str:
    """The card's own mood when it names one the palette table knows, else the story's."""
    card_mood = request.card.image_parts.get("mood", "") if request.card else ""
    for word in [*str(card_mood).replace(",", " ").split(), *request.story.tone_tags]:
        if mood_of(word):
            return mood_of(word)
    return "understated"


def paint_card(request: AssetRequest) -> Image.Image:
    card = request.card
    rng = seeded(request.seed, request.key)
    palette = roles(palette_for(request))
    light = light_for(card.time_of_day, palette)
    image = Image.new("RGB", CARD_SIZE, light.sky[-1][1])
    painter = paint_interior if is_interior(card) else paint_exterior
    stage = painter(image, card, palette, light, rng)
    paint_figures(image, card.characters, stage, palette, rng)
    return paper(graded(image, scene_mood(request), palette, rng), rng, PAPER_GRAIN)


# A cover's light follows the story's mood, as a card's follows its time of day.
COVER_TIMES = {
    "dark": "NIGHT",
    "tense": "NIGHT",
    "mysterious": "NIGHT",
    "warm": "DUSK",
    "romantic": "DUSK",
    "nostalgic": "DUSK",
    "melancholic": "DAWN",
}


def paint_cover(request: AssetRequest) -> Image.Image:
    """Layered hills under a large sun or moon, a path winding to the horizon with one
    walker on it, and the title in a band. Only the band depends on the title."""
    rng = seeded(request.seed, request.key)
    palette = roles(palette_for(request))
    mood = scene_mood(request)
    light = light_for(COVER_TIMES.get(mood, "DAY"), palette)
    width, height = COVER_SIZE
    image = Image.new("RGB", COVER_SIZE, light.sky[-1][1])
    horizon = round(height * 0.5)
    paint_sky(image, (0, 0, width, horizon + 4), light, rng, scale=1.8)
    draw = ImageDraw.Draw(image)
    haze = light.sky[-1][1]
    for layer in range(4):  # ridges darken as they come nearer
        colour = mix(mix(palette.mid, haze, 0.6), palette.deep, layer / 3 * 0.85)
        ridge_line = ridge(COVER_SIZE, horizon + height * (0.02 + 0.07 * layer), height * 0.04, rng)
        draw.polygon(ridge_line, fill=lit(colour, light.tint))
    phase, start = rng.uniform(0, 6.3), horizon + height * 0.04

    def path_at(t: float) -> tuple[float, float, float]:  # centre x, y, half width
        centre = width / 2 + math.sin(t * 4 + phase) * width * 0.14 * t
        return centre, start + (height - start) * t, 3 + width * 0.22 * t**1.7

    edges = [path_at(step / 20) for step in range(21)]
    outline = [(cx - half, y) for cx, y, half in edges] + [
        (cx + half, y) for cx, y, half in edges[::-1]
    ]
    draw.polygon(outline, fill=lit(mix(haze, palette.light, 0.5), light.tint))
    walker_x, walker_foot, _ = path_at(0.22)
    walker = figure_shapes(
        walker_x, walker_foot, height * 0.085, build_of(request.seed or "walker")
    )
    walker_tone = lit(palette.deep, light.tint)
    draw_shapes(draw, walker, {"body": walker_tone, "hair": walker_tone})
    image = paper(graded(image, mood, palette, rng), rng, PAPER_GRAIN)
    set_title(image, request.story.title, palette)
    return image


@lru_cache(maxsize=32)
def title_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in TITLE_FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def wrapped(words: Sequence[str], fits) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def set_title(image: Image.Image, title: str, palette: Roles) -> None:
    """The title, as large as fits in up to three lines, on a band of the deep colour."""
    width, height = image.size
    top, bottom = (round(height * share) for share in TITLE_BAND)
    band = image.crop((0, top, width, bottom))
    image.paste(Image.blend(band, Image.new("RGB", band.size, palette.deep), 0.86), (0, top))
    draw = ImageDraw.Draw(image)
    for y in (top + 16, bottom - 16):
        draw.line((width * 0.12, y, width * 0.88, y), fill=palette.accent, width=3)
    words = title.split() or ["Untitled"]
    room_width, room_height = width * 0.82, (bottom - top) * 0.66
    for size in range(112, 27, -6):
        font = title_font(size)
        line_height = size * 1.2

        def fits(text: str, font=font) -> bool:
            return draw.textlength(text, font=font) <= room_width

        lines = wrapped(words, fits)
        if len(lines) * line_height <= room_height and all(map(fits, lines)):
            break
    most = max(1, int(room_height // line_height))
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1] + "…"]
    y = (top + bottom) / 2 - (len(lines) - 1) * line_height / 2
    for line in lines:
        draw.text((width / 2, y), line, font=font, fill=mix(palette.light, WHITE, 0.3), anchor="mm")
        y += line_height


def local_image(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    if request.asset_type == "cover":
        image = paint_cover(request)
    elif request.card is not None:
        image = paint_card(request)
    else:
        raise ValueError(f"{request.key}: a card image needs its card")
    session.report(1, 1, f"painted {request.key}")
    return GeneratedAsset(
        files={"main": png_file(image)},
        metadata={
            "width": image.width,
            "height": image.height,
            "palette": image_colours(image),
            "engine": "local",
        },
    )


# The OpenAI image model.


def image_size(asset_type: str) -> str:
    """The configured size; a cover stands upright, like a book (1536x1024 → 1024x1536)."""
    size = settings.OPENAI_IMAGE_SIZE
    across, _, down = size.partition("x")
    if asset_type == "cover" and across.isdigit() and down.isdigit() and int(across) > int(down):
        return f"{down}x{across}"
    return size


def takes_reference(model: str) -> bool:
    # The GPT image models edit from reference images; DALL·E 3 cannot, DALL·E 2 only
    # square PNGs with a mask. Those fall back to a plain generation.
    return not model.startswith("dall-e")


def openai_prompt(request: AssetRequest, *, reference: bool = False) -> str:
    story = request.story
    colours = ", ".join(palette_for(request))
    if request.asset_type == "cover":
        parts = [f"A book-cover illustration for the story “{story.title}”."]
        parts += [story.logline] if story.logline else []
        parts += [f"Theme: {story.theme}."] if story.theme else []
        parts += [f"Mood: {', '.join(story.tone_tags)}."] if story.tone_tags else []
        # The title is set by the app, where it is spelt right; models misspell lettering.
        parts += [
            f"Palette: {colours}. Portrait format, one clear central image, calm space in "
            "the lower third. No text, title or lettering in the image."
        ]
        return " ".join(parts)
    card = request.card
    prompt = card.image_prompt or (
        f"{card.scene_description or card.title} Mood: {', '.join(story.tone_tags)}. "
        f"Palette: {colours}."
    )
    if "lettering" not in prompt.lower():
        prompt += " No text, captions or lettering in the image."
    if reference:
        prompt = (
            "The reference image is this book's cover: keep its painting style, palette and "
            f"the look of its people. Paint a new scene. {prompt}"
        )
    return prompt


def openai_image(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    """The cover, or a card's picture from its image prompt. A card image is drawn from the
    cover as reference when there is one and the model can take it, for consistency."""
    if request.asset_type != "cover" and request.card is None:
        raise ValueError(f"{request.key}: a card image needs its card")
    client = media_client(media_settings())
    model, size = settings.OPENAI_IMAGE_MODEL, image_size(request.asset_type)
    cover = request.images.get("cover", b"") if request.asset_type == "card_image" else b""
    reference = cover if cover and takes_reference(model) else b""
    prompt = openai_prompt(request, reference=bool(reference))

    def send(headers: dict):
        if reference:
            return client.images.edit(
                image=("cover.png", reference, "image/png"),
                prompt=prompt,
                model=model,
                size=size,
                extra_headers=headers,
            )
        return client.images.generate(prompt=prompt, model=model, size=size, extra_headers=headers)

    session.report(0, 1, f"asking {model} for {request.key}")
    image = model_image(
        send, session=session, purpose=f"image {request.key}", model=model, prompt=prompt
    )
    session.report(1, 1, f"received {request.key}")
    return GeneratedAsset(
        files={"main": png_file(image)},
        metadata={
            "width": image.width,
            "height": image.height,
            "palette": image_colours(image),
            "model": model,
            "reference": "cover" if reference else "",
            "prompt": prompt,
        },
    )
