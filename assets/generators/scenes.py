"""The set of a card's picture: a room seen from inside, or a town, shore or open country.

Colours come from the story's palette and every choice from the caller's random generator,
so the same card paints the same set. Each painter returns the `Stage` its figures stand on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from PIL import Image, ImageChops, ImageDraw

from assets.generators.base import CardContext
from assets.generators.palette import (
    BLACK,
    RGB,
    WHITE,
    Light,
    Roles,
    glow,
    gradient,
    lit,
    mix,
    paint_sky,
    veil,
)

LAMPLIGHT: RGB = (255, 214, 150)

# What the card says about the place.


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


def plain_words(*texts: str) -> set[str]:
    return {word.strip(".,;:!?'\"()").lower() for text in texts for word in text.split()}


def is_interior(card: CardContext) -> bool:
    marked = card.int_ext.strip().upper()
    if marked.startswith("INT"):  # INT/EXT too: a room with a wide opening
        return True
    if marked == "EXT":
        return False
    return bool(plain_words(card.location_name, card.location_description) & INTERIOR_WORDS)


def landscape_kind(card: CardContext) -> str:
    """Town, water or country: the place's own noun first ("Harbour Street" is a street)."""
    named = card.location_name.split()
    for words in (
        plain_words(named[-1]) if named else set(),
        plain_words(card.location_name),
        plain_words(card.location_description, card.scene_description),
    ):
        if words & TOWN_WORDS:
            return "town"
        if words & WATER_WORDS:
            return "water"
    return "country"


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
