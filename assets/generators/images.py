"""Covers and beat images: painted locally with Pillow, or by the OpenAI image model.

The local painter builds a picture from what the card knows: inside a room (walls, a
window onto the time of day, a door, floorboards in perspective) or outside (a sky by
time of day over hills, houses or water), one silhouette per character present, and the
story's mood as grade and weather. Every colour comes from the story's palette and every
choice from the asset's seed, so a universe looks like one book and the same request
paints the same picture.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageChops, ImageDraw, ImageFont

from assets.generators.base import (
    AssetRequest,
    CardContext,
    GeneratedAsset,
    GeneratedFile,
    GeneratorSession,
)
from assets.generators.openai_media import call_media, media_client, media_settings
from assets.generators.palette import (
    BLACK,
    RGB,
    WHITE,
    Light,
    Roles,
    glow,
    graded,
    gradient,
    image_colours,
    light_for,
    lit,
    mix,
    mood_of,
    paint_sky,
    paper,
    roles,
    story_palette,
    veil,
)
from transformations.pipeline.errors import StageFailed

COVER_SIZE = (1200, 1600)
CARD_SIZE = (1536, 1024)
# The cover's title band, as shares of its height: the title changes nothing else.
TITLE_BAND = (0.70, 0.88)
TITLE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSerif-Bold.ttf"),
)
LAMPLIGHT: RGB = (255, 214, 150)
# Enough texture to read as paint on paper; more makes the PNG large and slow to encode.
PAPER_GRAIN = 0.1


def seeded(*parts: object) -> random.Random:
    # random.Random seeds a str through SHA-512: stable across runs and machines.
    return random.Random("|".join(str(part) for part in parts))


def png_file(image: Image.Image) -> GeneratedFile:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=3)  # busy pictures: the default level is slow
    return GeneratedFile(content=out.getvalue(), extension="png", content_type="image/png")


def palette_for(request: AssetRequest) -> tuple[str, ...]:
    story = request.story
    return story.palette or story_palette(story.tone_tags, story.genre)


# What the card says about the picture.


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


INTERIOR_WORDS = word_set(
    """room kitchen shop cafe café bar pub office hall house flat apartment bedroom studio
    library classroom corridor hallway lobby restaurant diner inside interior attic cellar
    basement workshop church chapel ward hospital cabin lounge parlour parlor bathroom
    store gallery museum theatre theater cinema salon"""
)
TOWN_WORDS = word_set(
    """street lane road city town square avenue alley station market village high
    crossroads rooftop rooftops corner pavement sidewalk block district"""
)
WATER_WORDS = word_set(
    """sea beach shore coast harbour harbor lake river pier jetty bay quay dock docks
    marina ocean waterfront canal island"""
)


def _words(*texts: str) -> set[str]:
    return {word.strip(".,;:!?'\"()").lower() for text in texts for word in text.split()}


def is_interior(card: CardContext) -> bool:
    marked = card.int_ext.strip().upper()
    if marked.startswith("INT"):  # INT/EXT too: a room with a wide opening
        return True
    if marked == "EXT":
        return False
    return bool(_words(card.location_name, card.location_description) & INTERIOR_WORDS)


def landscape_kind(card: CardContext) -> str:
    """Town, water or country: the place's own noun first ("Harbour Street" is a street)."""
    named = card.location_name.split()
    for words in (
        _words(named[-1]) if named else set(),
        _words(card.location_name),
        _words(card.location_description, card.scene_description),
    ):
        if words & TOWN_WORDS:
            return "town"
        if words & WATER_WORDS:
            return "water"
    return "country"


def scene_mood(request: AssetRequest) -> str:
    """The card's own mood when it names one the palette table knows, else the story's."""
    card_mood = request.card.image_parts.get("mood", "") if request.card else ""
    for word in [*str(card_mood).replace(",", " ").split(), *request.story.tone_tags]:
        if mood_of(word):
            return mood_of(word)
    return "understated"


# The set: land, town, room, under the sky `paint_sky` paints.


def ridge(size: tuple[int, int], base: float, amplitude: float, rng) -> list[tuple]:
    """A hill line across the frame (a few sines, random phases), closed below the frame."""
    width, height = size
    waves = [(rng.uniform(0.5, 3.5), rng.uniform(0, 6.3), weight) for weight in (0.6, 0.3, 0.1)]
    points = [
        (x, base - amplitude * sum(w * math.sin(f * x / width * 6.3 + p) for f, p, w in waves))
        for x in range(-24, width + 48, 24)
    ]
    return [*points, (width + 48, height + 10), (-24, height + 10)]


@dataclass(frozen=True)
class Stage:
    """What the set leaves for the actors: where feet stand, the light on them."""

    feet: float
    tint: RGB
    rim: RGB


def paint_exterior(image, card: CardContext, palette: Roles, light: Light, rng) -> Stage:
    width, height = image.size
    horizon = round(height * rng.uniform(0.55, 0.62))
    body_x, _ = paint_sky(image, (0, 0, width, horizon + 4), light, rng)
    draw = ImageDraw.Draw(image)
    shade = partial(lit, tint=light.tint)
    haze = light.sky[-1][1]
    far_hills = ridge(image.size, horizon, height * 0.05, rng)
    draw.polygon(far_hills, fill=shade(mix(palette.mid, haze, 0.55)))
    kind = landscape_kind(card)
    if kind == "water":
        water = mix(palette.mid, (70, 110, 150), 0.45)  # the sea leans blue, like the sky
        sea_colours = ((0, mix(haze, water, 0.4)), (1, water))
        sea = gradient((width, height - horizon), sea_colours)
        image.paste(ImageChops.multiply(sea, Image.new("RGB", sea.size, light.tint)), (0, horizon))
        sparkle = mix(haze, WHITE, 0.5)
        for _ in range(70):  # glints, most on the sun's or moon's path
            near = rng.random() < 0.4
            x = body_x + rng.gauss(0, width * 0.03) if near else rng.uniform(0, width)
            y = rng.uniform(horizon + 4, height * 0.82)
            span = (y - horizon) * 0.2 + 8
            draw.line((x - span, y, x + span, y), fill=sparkle if near else shade(sparkle), width=2)
        shore = ridge(image.size, height * 0.84, height * 0.025, rng)
        draw.polygon(shore, fill=shade(mix(palette.light, palette.accent, 0.25)))
    elif kind == "town":
        draw.rectangle((0, horizon, width, height), fill=shade(mix(palette.mid, palette.deep, 0.5)))
        paint_houses(draw, image.size, horizon, palette, light, rng)
        road = [(width * 0.46, horizon), (width * 0.54, horizon), (width * 0.95, height)]
        draw.polygon([*road, (width * 0.05, height)], fill=shade(mix(palette.mid, WHITE, 0.3)))
    else:
        near_hills = ridge(image.size, horizon + height * 0.07, height * 0.05, rng)
        draw.polygon(near_hills, fill=shade(mix(palette.mid, palette.deep, 0.3)))
        start = horizon + height * 0.08
        path = [(width * 0.49, start), (width * 0.51, start), (width * 0.72, height)]
        draw.polygon(
            [*path, (width * 0.32, height)], fill=shade(mix(palette.light, palette.accent, 0.2))
        )
        for _ in range(rng.randint(3, 6)):
            x = rng.choice((rng.uniform(0, width * 0.3), rng.uniform(width * 0.7, width)))
            y, crown = horizon + height * rng.uniform(0.06, 0.14), height * rng.uniform(0.05, 0.09)
            draw.rectangle(
                (x - crown * 0.12, y - crown, x + crown * 0.12, y), fill=shade(palette.deep)
            )
            leaves = shade(mix(palette.deep, palette.extra, 0.4))
            draw.ellipse((x - crown, y - crown * 2.6, x + crown, y - crown * 0.7), fill=leaves)
    foreground = ridge(image.size, height * 0.9, height * 0.012, rng)
    draw.polygon(foreground, fill=shade(mix(palette.deep, palette.mid, 0.35)))
    rim = mix(palette.light, palette.mid, 0.4) if light.stars else mix(haze, WHITE, 0.3)
    return Stage(feet=height * 0.93, tint=light.tint, rim=rim)


def paint_houses(draw, size, horizon: int, palette: Roles, light: Light, rng) -> None:
    """A row of houses on the horizon; their windows shine when the lamps are lit."""
    width, height = size
    shade = partial(lit, tint=light.tint)
    lamp, glass = mix(palette.accent, LAMPLIGHT, 0.6), shade(mix(palette.light, palette.mid, 0.4))
    x = -rng.uniform(0, 60)
    while x < width:
        wide, tall = width * rng.uniform(0.07, 0.14), height * rng.uniform(0.12, 0.32)
        top, wall = horizon - tall, shade(mix(palette.mid, palette.deep, rng.uniform(0.15, 0.6)))
        draw.rectangle((x, top, x + wide, horizon + 2), fill=wall)
        roof = rng.choice(("flat", "gable", "chimney"))
        if roof == "gable":
            peak = (x + wide / 2, top - wide * 0.35)
            draw.polygon([(x - 6, top), peak, (x + wide + 6, top)], fill=shade(palette.deep))
        elif roof == "chimney":
            draw.rectangle((x + wide * 0.65, top - 34, x + wide * 0.8, top), fill=wall)
        columns, rows = max(1, int(wide // 46)), max(1, int((tall - 20) // 64))
        for column in range(columns):
            for row in range(rows):
                cx = x + (column + 0.5) * wide / columns
                cy = top + 16 + (row + 0.5) * (tall - 20) / rows
                shining = light.lamps and rng.random() < 0.55
                draw.rectangle((cx - 9, cy - 13, cx + 9, cy + 13), fill=lamp if shining else glass)
        x += wide + rng.uniform(0, 16)


def paint_interior(image, card: CardContext, palette: Roles, light: Light, rng) -> Stage:
    """A room in one-point perspective: a back wall with a window onto the time of day,
    side walls, a door, floorboards converging on the vanishing point, a hanging lamp."""
    width, height = image.size
    # Rooms are dimmer than outside by day; at night they are lamp-lit, warm and low.
    tint = mix(light.tint, (240, 190, 130), 0.45) if light.lamps else mix(WHITE, palette.light, 0.2)
    shade = partial(lit, tint=tint)
    vx, vy = width * rng.uniform(0.42, 0.58), height * 0.42
    left, right, top, floor = vx - width * 0.25, vx + width * 0.25, height * 0.14, height * 0.66
    wall = mix(palette.light, palette.mid, rng.uniform(0.15, 0.45))
    boards, frame = mix(palette.accent, palette.deep, 0.5), shade(palette.deep)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height), fill=shade(mix(wall, WHITE, 0.3)))
    for corners, darker in (
        ([(0, 0), (left, top), (left, floor), (0, height)], 0.14),
        ([(width, 0), (right, top), (right, floor), (width, height)], 0.06),
    ):
        draw.polygon(corners, fill=shade(mix(wall, BLACK, darker)))
    draw.polygon([(0, height), (left, floor), (right, floor), (width, height)], fill=shade(boards))
    draw.rectangle((left, top, right, floor), fill=shade(wall))
    depth = (floor - vy) / (height - vy)
    for step in range(11):
        x = step * width / 10
        seam = (x, height, vx + (x - vx) * depth, floor)
        draw.line(seam, fill=shade(mix(boards, BLACK, 0.3)), width=3)
    draw.line((left, floor, right, floor), fill=frame, width=6)
    # A wider opening when the scene is half inside, half out.
    share = rng.uniform(0.5, 0.6) if "/" in card.int_ext else rng.uniform(0.3, 0.42)
    wide = (right - left) * share
    wx = rng.uniform(left + (right - left) * 0.08, right - wide - (right - left) * 0.08)
    window = (wx, top + (floor - top) * 0.14, wx + wide, top + (floor - top) * 0.62)
    paint_window(image, tuple(map(round, window)), floor, palette, light, tint, rng)
    door = shade(mix(palette.accent, palette.deep, 0.55))
    paint_door(draw, image.size, (left, right, top, floor), wx + wide / 2 < vx, door, frame)
    away = 1 if wx + wide / 2 < vx else -1  # the lamp hangs on the other side from the window
    lamp_x = vx + away * width * rng.uniform(0.06, 0.16)
    draw.line((lamp_x, 0, lamp_x, height * 0.2), fill=frame, width=4)
    lampshade = [
        (lamp_x - 60, height * 0.27),
        (lamp_x - 26, height * 0.2),
        (lamp_x + 26, height * 0.2),
    ]
    draw.polygon([*lampshade, (lamp_x + 60, height * 0.27)], fill=shade(palette.accent))
    if light.lamps:
        glow(image, (lamp_x, height * 0.3), round(height * 0.45), LAMPLIGHT, 0.45)
    rim = LAMPLIGHT if light.lamps else mix(palette.light, WHITE, 0.5)
    return Stage(feet=height * 0.93, tint=tint, rim=rim)


def paint_window(image, box, floor: float, palette: Roles, light: Light, tint: RGB, rng) -> None:
    """The back wall's window: the sky and hills outside, frame, sill, curtains, and by
    day a pool of light on the floor."""
    left, top, right, bottom = box
    shade, frame = partial(lit, tint=tint), lit(palette.deep, tint)
    outside = Image.new("RGB", (right - left, bottom - top))
    paint_sky(outside, (0, 0, *outside.size), light, rng)
    hills = ridge(outside.size, outside.height * 0.82, outside.height * 0.06, rng)
    hill_colour = lit(mix(palette.mid, palette.deep, 0.4), light.tint)
    ImageDraw.Draw(outside).polygon(hills, fill=hill_colour)
    image.paste(outside, (left, top))
    draw = ImageDraw.Draw(image)
    draw.rectangle(box, outline=frame, width=12)
    draw.line(((left + right) / 2, top, (left + right) / 2, bottom), fill=frame, width=8)
    draw.line((left, (top + bottom) / 2, right, (top + bottom) / 2), fill=frame, width=8)
    draw.rectangle((left - 20, bottom, right + 20, bottom + 14), fill=shade(palette.light))
    for edge, sign in ((left, -1), (right, 1)):  # curtains
        drape = [(edge, top - 24), (edge + sign * 70, top - 24), (edge + sign * 40, bottom + 40)]
        draw.polygon([*drape, (edge - sign * 10, bottom + 40)], fill=shade(palette.accent))
    if not light.lamps:  # daylight falls through the window onto the floor
        pool = Image.new("L", (image.width // 4, image.height // 4))
        near = pool.height
        spread = [(left / 4, floor / 4), (right / 4, floor / 4), (right / 4 + 60, near)]
        ImageDraw.Draw(pool).polygon([*spread, (left / 4 - 20, near)], fill=70)
        veil(image, mix(palette.light, WHITE, 0.5), pool)


def paint_door(draw, size, back, door_on_right: bool, colour: RGB, frame: RGB) -> None:
    """A door on a side wall, drawn along the wall's perspective from the back wall out."""
    width, height = size
    left, right, top, floor = back
    edges = []
    for t in (0.12, 0.32):  # how far along the wall, from the back wall to the frame
        x = right + (width - right) * t if door_on_right else left * (1 - t)
        ceiling, ground = top * (1 - t), floor + (height - floor) * t
        edges.append(((x, ground - 0.7 * (ground - ceiling)), (x, ground)))
    (near_top, near_bottom), (far_top, far_bottom) = edges
    draw.polygon([near_top, far_top, far_bottom, near_bottom], fill=colour, outline=frame, width=6)
    knob_x = near_bottom[0] + (far_bottom[0] - near_bottom[0]) * 0.8
    knob_y = (far_top[1] + far_bottom[1]) / 2
    draw.ellipse((knob_x - 6, knob_y - 6, knob_x + 6, knob_y + 6), fill=frame)


# People: a silhouette per character present.


@dataclass(frozen=True)
class Build:
    """A character's figure, seeded by name: the same person in every picture."""

    height: float
    shoulders: float
    hair: str  # short | long | bun | hat
    coat: bool
    colour: int  # which palette colour tints the silhouette


def build_of(name: str) -> Build:
    look = seeded("figure", name.strip().lower())
    hair = look.choice(("short", "long", "bun", "hat"))
    shape = (look.uniform(0.88, 1.06), look.uniform(0.2, 0.26), hair, look.random() < 0.5)
    return Build(*shape, colour=look.randrange(5))


def around(x: float, y: float, across: float, down: float | None = None) -> list[float]:
    """The box of an ellipse or rectangle centred on (x, y)."""
    down = across if down is None else down
    return [x - across, y - down, x + across, y + down]


def figure_shapes(x: float, foot: float, tall: float, build: Build) -> list[tuple]:
    """A standing person as (part, "ellipse" | "rect" | "poly", coordinates), back to
    front; part is "body" or "hair", so hair can be a shade darker."""
    head, half = tall * 0.08, tall * build.shoulders / 2
    head_y = foot - tall + head
    shoulder, hip = head_y + head * 1.55, foot - tall * 0.46
    hem, flare = (hip + tall * 0.24, 1.15) if build.coat else (hip + tall * 0.02, 0.78)
    shapes: list[tuple] = []
    if build.hair == "long":  # falls behind the head to the shoulders
        shapes.append(("hair", "ellipse", around(x, head_y + head * 0.5, head * 1.05, head * 1.6)))
    for side in (-1, 1):
        shapes.append(
            (
                "body",
                "rect",
                around(x + side * half * 0.25, (hip + foot) / 2, half * 0.23, (foot - hip) / 2),
            )
        )
        hand = x + side * half * 1.02
        arm = [(x + side * half * 0.8, shoulder), (x + side * half * 1.08, shoulder + head * 0.3)]
        arm += [
            (hand + side * head * 0.18, hip + tall * 0.05),
            (hand - side * head * 0.3, hip + tall * 0.05),
        ]
        shapes.append(("body", "poly", [*arm, (x + side * half * 0.7, shoulder + head)]))
    waist = half * 0.8
    torso = [(x - half, shoulder), (x + half, shoulder), (x + waist, hip), (x + half * flare, hem)]
    shapes.append(("body", "poly", [*torso, (x - half * flare, hem), (x - waist, hip)]))
    shapes.append(("body", "ellipse", around(x, shoulder + head * 0.15, half, head * 0.35)))
    shapes.append(("body", "rect", around(x, head_y + head * 1.1, head * 0.32, head * 0.5)))
    shapes.append(("body", "ellipse", around(x, head_y, head * 0.82, head)))
    if build.hair in ("short", "long", "bun"):
        shapes.append(
            ("hair", "ellipse", [x - head * 0.9, head_y - head * 1.1, x + head * 0.9, head_y])
        )
    if build.hair == "bun":
        shapes.append(("hair", "ellipse", around(x, head_y - head * 1.2, head * 0.42)))
    if build.hair == "hat":
        shapes.append(("hair", "rect", around(x, head_y - head * 0.66, head * 1.5, head * 0.12)))
        shapes.append(("hair", "rect", around(x, head_y - head * 1.1, head * 0.8, head * 0.5)))
    return shapes


def draw_shapes(draw: ImageDraw.ImageDraw, shapes, colours: dict[str, RGB], offset=(0, 0)):
    dx, dy = offset
    for part, kind, coordinates in shapes:
        colour = colours[part]
        if kind == "poly":
            draw.polygon([(px + dx, py + dy) for px, py in coordinates], fill=colour)
        else:
            left, top, right, bottom = coordinates
            paint = draw.ellipse if kind == "ellipse" else draw.rectangle
            paint((left + dx, top + dy, right + dx, bottom + dy), fill=colour)


# Where one, two, three or four people stand, the most important at centre stage.
SLOTS = {1: (0.5,), 2: (0.38, 0.62), 3: (0.5, 0.28, 0.72), 4: (0.42, 0.6, 0.24, 0.78)}


def paint_figures(image, names: Sequence[str], stage: Stage, palette: Roles, rng) -> None:
    names = [name for name in names if name.strip()][:4]
    width, height = image.size
    draw = ImageDraw.Draw(image)
    placed = []
    for index, name in enumerate(names):
        build, back = build_of(name), min(index, 2)
        x = width * (SLOTS[len(names)][index] + rng.uniform(-0.025, 0.025))
        tall = height * 0.5 * build.height * (1 - 0.08 * back)
        placed.append((stage.feet - height * 0.035 * back, x, tall, build))
    for foot, x, tall, build in sorted(placed, key=lambda figure: figure[0]):  # back first
        shadow = lit(mix(palette.deep, BLACK, 0.3), stage.tint)
        draw.ellipse(around(x, foot, tall * 0.15, tall * 0.018), fill=shadow)
        shapes = figure_shapes(x, foot, tall, build)
        body = mix(palette.deep, palette.colours[build.colour % len(palette.colours)], 0.3)
        rim = {"body": stage.rim, "hair": stage.rim}
        draw_shapes(draw, shapes, rim, offset=(4, -3))  # rim light lifts them off the set
        tones = {"body": lit(body, stage.tint), "hair": lit(mix(body, BLACK, 0.35), stage.tint)}
        draw_shapes(draw, shapes, tones)


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

BAD_IMAGE_MESSAGE = (
    "The image model sent back something that is not a picture. You can retry, or make "
    "this image with the local engine."
)


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


def returned_image(response) -> bytes:
    """The first image's bytes from an images response; b"" if it carries none."""
    data = getattr(response, "data", None) or []
    encoded = getattr(data[0], "b64_json", None) if data else None
    if not encoded:
        return b""
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return b""


def checked_image(content: bytes, purpose: str) -> Image.Image:
    """The model's picture, decoded; anything Pillow cannot read fails the asset."""
    try:
        with Image.open(io.BytesIO(content)) as opened:
            opened.load()
            clear = opened.mode in ("RGBA", "LA") or "transparency" in opened.info
            return opened.convert("RGBA" if clear else "RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise StageFailed(
            BAD_IMAGE_MESSAGE,
            code="MODEL_BAD_IMAGE",
            dev_message=f"{purpose}: {len(content)} bytes: {type(exc).__name__}: {exc}",
        ) from exc


def model_image(send, *, session: GeneratorSession, purpose: str, model: str, prompt: str):
    response = call_media(
        send, session=session, purpose=purpose, model=model, prompt=prompt, describe=returned_image
    )
    return checked_image(returned_image(response), purpose)


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
