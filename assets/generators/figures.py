"""People: a silhouette per character present, standing on the stage a scene leaves.

A character's build is seeded by their name alone, so the same person looks the same on
every card, and their portrait wears the same hair.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import ImageDraw

from assets.generators.palette import BLACK, RGB, Roles, lit, mix
from assets.generators.scenes import Stage


# Every picture seeds its choices through this, so the same request paints the same
# picture. It lives here, the lowest module that needs it, so covers, cards and portraits
# can all import it without a cycle.
def seeded(*parts: object) -> random.Random:
    # random.Random seeds a str through SHA-512: stable across runs and machines.
    return random.Random("|".join(str(part) for part in parts))


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
