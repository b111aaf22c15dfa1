"""The local portrait painter: a head-and-shoulders bust drawn with Pillow, in one style.

It draws what it can of the traits a portrait must keep (hair colour and length, glasses,
a beard, a hat), and otherwise the hair of the figure the scenes draw for the same name,
so a character's portrait and their silhouettes agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from assets.generators.base import CharacterContext
from assets.generators.figures import around, build_of
from assets.generators.palette import (
    BLACK,
    RGB,
    WHITE,
    Roles,
    gradient,
    mix,
    paper,
    veil,
    vignette,
)

PORTRAIT_SIZE = (1024, 1024)


@dataclass(frozen=True)
class Rendering:
    """How the local painter renders a style."""

    outline: int = 0  # width of the dark contour; 0 for none
    eyes: float = 0.09  # eye size, as a share of the head's width
    soften: float = 0.0  # blur of the finished shapes, in pixels
    wash: float = 0.0  # paper showing through the paint
    grain: float = 0.0
    hatching: bool = False
    cel_shadow: bool = False  # one hard shadow down the side of the face
    vignette: float = 0.0
    blush: bool = False


RENDERINGS = {
    "watercolor": Rendering(soften=3, wash=0.2, grain=0.3, blush=True),
    "storybook": Rendering(outline=5, soften=1.2, grain=0.12, vignette=0.5, blush=True),
    "anime": Rendering(outline=9, eyes=0.2, cel_shadow=True, blush=True),
    "flat": Rendering(eyes=0.08),
    "colored-pencil": Rendering(outline=2, soften=0.6, wash=0.3, grain=0.2, hatching=True),
}

HAIR_COLOURS: dict[str, RGB] = {
    "grey": (150, 148, 146),
    "gray": (150, 148, 146),
    "silver": (190, 190, 192),
    "white": (228, 226, 220),
    "blonde": (222, 190, 120),
    "blond": (222, 190, 120),
    "fair": (215, 185, 130),
    "red": (170, 72, 40),
    "ginger": (190, 95, 45),
    "auburn": (130, 52, 32),
    "brown": (105, 68, 42),
    "dark": (52, 40, 34),
    "black": (28, 26, 30),
}


@dataclass(frozen=True)
class Look:
    """What the painter draws of a character, read from traits and palette."""

    skin: RGB
    hair: RGB
    clothes: RGB
    hair_style: str  # short | long | bun | hat | bald | curly
    glasses: bool
    beard: bool


# Words for how hair is worn, first match wins; matched at the start of a word.
HAIR_STYLES = (
    ("bald", "bald"),
    ("bun", "bun"),
    ("curl", "curly"),
    ("long", "long"),
    ("shoulder", "long"),
    ("short", "short"),
    ("cropped", "short"),
    ("hat", "hat"),
    ("cap", "hat"),
)


def look_of(character: CharacterContext, traits: list[str], palette: Roles) -> Look:
    """`traits` are the ones the portrait must keep; they win over the figure's seeded look."""
    words = " ".join([*traits, character.description]).lower()
    hair_phrase = next((t.lower() for t in traits if "hair" in t.lower()), words)
    hair = next(
        (c for name, c in HAIR_COLOURS.items() if re.search(rf"\b{name}\b", hair_phrase)),
        palette.deep,
    )
    # Otherwise the figure the scenes draw for this name, so the two agree; but never a
    # hat over hair the traits say must show.
    hair_style = build_of(character.name).hair
    if hair_style == "hat" and "hair" in words:
        hair_style = "short"
    hair_style = next(
        (style for word, style in HAIR_STYLES if re.search(rf"\b{word}", words)), hair_style
    )
    # A skin tone is never guessed: the profile's own colour if it has one, else a light
    # stylised tone from the palette.
    skin = next(
        (c for c in palette.colours if is_skin(c)), mix(palette.light, palette.accent, 0.22)
    )
    clothes = next(
        (c for c in (palette.accent, palette.extra, palette.mid) if distance(c, skin) > 80),
        mix(palette.accent, palette.deep, 0.5),
    )
    return Look(
        skin=skin,
        hair=hair,
        clothes=clothes,
        hair_style=hair_style,
        glasses=bool(re.search(r"\b(glasses|spectacles)\b", words)),
        beard=bool(re.search(r"\b(beard|bearded)\b", words)),
    )


def distance(first: RGB, second: RGB) -> float:
    return sum((a - b) ** 2 for a, b in zip(first, second, strict=True)) ** 0.5


def is_skin(colour: RGB) -> bool:
    red, green, blue = colour
    return red > green > blue and 90 < red < 250 and 0.1 < (red - blue) / max(red, 1) < 0.6


@dataclass(frozen=True)
class Head:
    """Where the head is; boxes in head units (half its width, half its height) from its
    centre, so the face is drawn once whatever the variant's size and place."""

    x: float
    y: float
    across: float
    down: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.x + x * self.across, self.y + y * self.down

    def box(self, left: float, top: float, right: float, bottom: float) -> list[float]:
        return [*self.point(left, top), *self.point(right, bottom)]

    def oval(self, x: float, y: float, across: float, down: float) -> list[float]:
        return self.box(x - across, y - down, x + across, y + down)


class Pen:
    """Draws filled shapes, with the style's contour when it has one."""

    def __init__(self, image: Image.Image, line: RGB, width: int) -> None:
        self.draw, self.line, self.width = ImageDraw.Draw(image), line, width

    def __call__(self, kind: str, box, fill: RGB, **options) -> None:
        contour = {"outline": self.line, "width": self.width} if self.width else {}
        getattr(self.draw, kind)(box, fill=fill, **contour, **options)


def paint_portrait(look: Look, style: str, palette: Roles, rng) -> Image.Image:
    """A bust: backdrop, shoulders, head, hair, face; then the style's finish."""
    rendering = RENDERINGS[style]
    width, height = PORTRAIT_SIZE
    backdrop = rng.choice(palette.colours)
    light_to_dark = ((0, mix(backdrop, WHITE, 0.55)), (1, mix(backdrop, palette.deep, 0.15)))
    image = gradient(PORTRAIT_SIZE, light_to_dark)
    draw, line = ImageDraw.Draw(image), mix(palette.deep, BLACK, 0.45)
    pen = Pen(image, line, rendering.outline)
    head = Head(
        x=width / 2 + rng.uniform(-50, 50),
        y=height * 0.42 + rng.uniform(-25, 25),
        across=150 * rng.uniform(0.94, 1.06),
        down=190 * rng.uniform(0.96, 1.04),
    )
    halo, halo_colour = rng.choice(("circle", "arch", "band")), mix(backdrop, WHITE, 0.75)
    if halo == "circle":
        draw.ellipse(head.oval(0, 0, 2.2, 2.2 * head.across / head.down), fill=halo_colour)
    elif halo == "arch":
        draw.rounded_rectangle(head.box(-2, -1.7, 2, 4), radius=300, fill=halo_colour)
    else:
        band = [(0, height * 0.7), (width, height * 0.2), (width, height * 0.45)]
        draw.polygon([*band, (0, height * 0.95)], fill=halo_colour)
    if look.hair_style == "long":
        pen("rounded_rectangle", head.box(-1.18, -1.02, 1.18, 1.5), look.hair, radius=head.across)
    shoulders = rng.uniform(2.0, 2.35)
    pen("ellipse", head.box(-shoulders, 1.25, shoulders, 3.6), look.clothes)
    pen("rectangle", head.box(-0.36, 0.6, 0.36, 1.35), look.skin)  # neck
    collar = [head.point(-0.5, 1.26), head.point(0.5, 1.26), head.point(0, 1.75)]
    pen("polygon", collar, look.skin)
    for side in (-1, 1):  # ears
        pen("ellipse", head.oval(side * 0.98, 0.05, 0.14, 0.16), look.skin)
    pen("ellipse", head.oval(0, 0, 1, 1), look.skin)
    if rendering.cel_shadow:
        draw.chord(head.oval(0, 0, 1, 1), 290, 70, fill=mix(look.skin, palette.deep, 0.2))
    paint_hair(pen, look, head)
    paint_face(draw, look, rendering, palette, rng, head, line)
    return finished(image, style, rendering, palette, rng)


def paint_hair(pen: Pen, look: Look, head: Head) -> None:
    if look.hair_style in ("short", "long", "bun", "curly"):
        pen("chord", head.oval(0, -0.32, 1.06, 0.78), look.hair, start=180, end=360)
    if look.hair_style == "curly":
        for step in range(9):  # curls, lower towards the temples
            pen(
                "ellipse",
                head.oval(step / 4 - 1, -0.55 + abs(step - 4) * 0.04, 0.26, 0.2),
                look.hair,
            )
    if look.hair_style == "bun":
        pen("ellipse", head.oval(0, -1.12, 0.42, 0.33), look.hair)
    if look.hair_style == "hat":
        pen("rectangle", head.oval(0, -0.62, 1.6, 0.08), look.clothes)
        pen("rounded_rectangle", head.oval(0, -1.0, 0.95, 0.38), look.clothes, radius=30)
    if look.beard:
        pen("chord", head.oval(0, 0.35, 0.95, 0.68), look.hair, start=0, end=180)


def paint_face(draw, look: Look, rendering: Rendering, palette: Roles, rng, head: Head, line):
    eye = 2 * rendering.eyes  # in head widths
    spacing, brow = rng.uniform(0.38, 0.46), mix(look.hair, BLACK, 0.3)
    ratio = head.across / head.down  # keeps eyes and lenses round on an oval head
    for side in (-1, 1):
        x = side * spacing
        if rendering.eyes > 0.15:  # anime eyes: large, coloured, with a highlight
            draw.ellipse(
                head.oval(x, 0.02, eye * 0.5, eye * 0.62 * ratio), fill=WHITE, outline=line, width=4
            )
            draw.ellipse(
                head.oval(x, 0.02 + eye * 0.08 * ratio, eye * 0.36, eye * 0.48 * ratio),
                fill=palette.mid,
            )
            draw.ellipse(
                head.oval(x, 0.02 + eye * 0.1 * ratio, eye * 0.18, eye * 0.24 * ratio), fill=line
            )
            draw.ellipse(
                head.oval(x - eye * 0.14, 0.02 - eye * 0.14 * ratio, eye * 0.1, eye * 0.1 * ratio),
                fill=WHITE,
            )
        else:
            draw.ellipse(head.oval(x, 0.02, eye * 0.5, eye * 0.58 * ratio), fill=line)
        tilt = side * rng.uniform(-0.02, 0.02)
        draw.line(
            head.box(
                x - eye * 0.8,
                0.02 - eye * 1.1 * ratio,
                x + eye * 0.8,
                0.02 - eye * 1.2 * ratio + tilt,
            ),
            fill=brow,
            width=8,
        )
        if rendering.blush:
            cheek = mix(look.skin, (220, 110, 110), 0.35)
            draw.ellipse(head.oval(x + side * eye * 0.4, 0.34, 0.16, 0.07), fill=cheek)
        if look.glasses:
            draw.ellipse(head.oval(x, 0.02, 0.3, 0.3 * ratio), outline=line, width=7)
    if look.glasses:
        draw.line(head.box(-spacing + 0.3, 0.02, spacing - 0.3, 0.02), fill=line, width=7)
    nose = [head.point(0, 0.1), head.point(-0.06, 0.32), head.point(0.04, 0.34)]
    draw.line(nose, fill=mix(look.skin, BLACK, 0.3), width=5)
    smile = rng.uniform(0.04, 0.14)
    mouth = head.box(-0.28, 0.46 - smile, 0.28, 0.46 + smile)
    draw.arc(mouth, 20, 160, fill=mix(look.skin, (120, 40, 40), 0.6), width=7)


def finished(
    image: Image.Image, style: str, rendering: Rendering, palette: Roles, rng
) -> Image.Image:
    """The style's finish: washes and blooms, hatching, vignette, paper."""
    if style == "watercolor":
        # Soft edges, and colour that has run beyond them.
        wet = image.filter(ImageFilter.GaussianBlur(rendering.soften * 4))
        image = Image.blend(image.filter(ImageFilter.GaussianBlur(rendering.soften)), wet, 0.3)
        blooms = Image.new("L", (64, 64))
        for _ in range(7):  # pigment pooling at random
            ImageDraw.Draw(blooms).ellipse(
                around(rng.uniform(0, 64), rng.uniform(0, 64), rng.uniform(4, 12)), fill=60
            )
        veil(image, mix(palette.mid, WHITE, 0.4), blooms)
    elif rendering.soften:
        image = image.filter(ImageFilter.GaussianBlur(rendering.soften))
    if rendering.hatching:
        strokes = Image.new("L", image.size, 255)
        pencil = ImageDraw.Draw(strokes)
        for offset in range(-image.height, image.width, 9):
            shade = rng.randint(150, 215)
            pencil.line((offset, image.height, offset + image.height, 0), fill=shade, width=2)
        image = ImageChops.multiply(image, Image.merge("RGB", (strokes, strokes, strokes)))
    if rendering.wash:
        image = Image.blend(image, Image.new("RGB", image.size, (250, 244, 230)), rendering.wash)
    if rendering.vignette:
        image = vignette(image, mix(palette.deep, palette.accent, 0.3), rendering.vignette)
    if rendering.grain:
        image = paper(image, rng, rendering.grain, scale=3)
    return image
