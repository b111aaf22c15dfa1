"""Colour and light: a story's palette from its tone, an image's dominant colours, the
light of a time of day, the grade of a mood, and the soft colour fields painters use.

Every local image of a universe is painted from one palette chosen by the story's tone,
so covers, beat images and portraits look like one book. The hex tables below are the
colours the local story engine names in words (`engines.local.lexicon.PALETTES`).
"""

from __future__ import annotations

import colorsys
import io
import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

RGB = tuple[int, int, int]

# light, mid, deep, accent, second accent: light for skies and walls, deep for shadows
# and silhouettes, the accents for lamps, suns and clothes.
PALETTES: dict[str, tuple[str, ...]] = {
    "warm": ("#f6ead2", "#e0a458", "#5a3a2a", "#c8643c", "#f2c894"),
    "tense": ("#d9dee4", "#5b7a99", "#1c2430", "#e8833a", "#8a9bb0"),
    "melancholic": ("#dfe3e6", "#7d8b99", "#2e3a46", "#b89b5e", "#a9b3bb"),
    "hopeful": ("#fbf3da", "#a8cbe3", "#2f4f3a", "#e9c46a", "#7fb069"),
    "playful": ("#fff6e0", "#8fd6bd", "#2b4158", "#ff7f66", "#ffd35c"),
    "dark": ("#c9cdd0", "#3f6b6e", "#16181b", "#7a1e24", "#4a4f55"),
    "romantic": ("#f7e4e1", "#c98a9a", "#3a2540", "#d9a441", "#8e6fae"),
    "mysterious": ("#d8dccf", "#5e7a4f", "#141e33", "#e3b24f", "#2d4163"),
    "nostalgic": ("#f1e3c8", "#6f9a96", "#3e2c1e", "#b8893a", "#a77b57"),
    "wry": ("#e6e1d8", "#9a948a", "#34302c", "#a9442f", "#d4a640"),
    "understated": ("#eeeae3", "#a7a196", "#3b3833", "#c27a4a", "#cfc8bb"),
}

# Words a model (or a creator) may use for the same moods as the table's.
MOOD_ALIASES = {
    "tender": "warm",
    "cosy": "warm",
    "cozy": "warm",
    "gentle": "warm",
    "heartfelt": "warm",
    "joyful": "playful",
    "joyous": "playful",
    "whimsical": "playful",
    "funny": "playful",
    "comic": "playful",
    "melancholy": "melancholic",
    "sad": "melancholic",
    "wistful": "melancholic",
    "bittersweet": "nostalgic",
    "suspenseful": "tense",
    "dramatic": "tense",
    "ominous": "dark",
    "grim": "dark",
    "eerie": "mysterious",
    "uplifting": "hopeful",
    "quiet": "understated",
    "ironic": "wry",
    "dry": "wry",
}

GENRE_MOODS = {
    "romance": "romantic",
    "mystery": "mysterious",
    "thriller": "tense",
    "crime": "dark",
    "horror": "dark",
    "fantasy": "hopeful",
    "science fiction": "mysterious",
    "comedy": "playful",
    "drama": "understated",
    "nonfiction": "understated",
}

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def mood_of(word: str) -> str:
    """The palette table's mood for a tone word, or "" when the table has none."""
    word = word.strip().lower()
    word = MOOD_ALIASES.get(word, word)
    return word if word in PALETTES else ""


def story_palette(tone_tags: Sequence[str], genre: str = "") -> tuple[str, ...]:
    """The story's colours: the first recognised tone's palette; a second tone lends its
    accent, so "tender, wry" and "tender, tense" stories are told apart."""
    moods = [mood for mood in map(mood_of, tone_tags) if mood]
    if not moods:
        moods = [GENRE_MOODS.get(genre.strip().lower(), "understated")]
    palette = PALETTES[moods[0]]
    second = next((mood for mood in moods[1:] if mood != moods[0]), "")
    if second:
        return (*palette[:4], PALETTES[second][3])
    return palette


def dominant_colours(image_bytes: bytes, count: int = 3) -> list[str]:
    """The image's `count` main colours as "#rrggbb", most common first.

    Median cut is deterministic, so the same image always reports the same palette; ties
    go to the smaller hex. An image with fewer colours than `count` reports fewer.
    """
    with Image.open(io.BytesIO(image_bytes)) as opened:
        return image_colours(opened, count)


def image_colours(image: Image.Image, count: int = 3) -> list[str]:
    """`dominant_colours` of an image already open."""
    image = image.convert("RGB")
    # A thumbnail keeps proportions and is plenty for a palette, and fast for big images.
    image.thumbnail((128, 128), Image.Resampling.BILINEAR)
    quantized = image.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    flat = quantized.getpalette() or []
    counted = quantized.getcolors(count) or []
    colours = [(used, hex_of(flat[index * 3 : index * 3 + 3])) for used, index in counted]
    colours.sort(key=lambda entry: (-entry[0], entry[1]))
    return [colour for _, colour in colours]


# Colour arithmetic for the painters.


def rgb(colour: str) -> RGB:
    match = _HEX.match(colour.strip())
    if not match:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    value = int(match.group(1), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def hex_of(colour: Sequence[int]) -> str:
    red, green, blue = (max(0, min(255, int(channel))) for channel in colour[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def mix(first: RGB, second: RGB, amount: float) -> RGB:
    """`amount` of the way from `first` to `second`."""
    return tuple(round(a + (b - a) * amount) for a, b in zip(first, second, strict=True))


def luminance(colour: RGB) -> float:
    red, green, blue = colour
    return 0.299 * red + 0.587 * green + 0.114 * blue


def saturation(colour: RGB) -> float:
    return colorsys.rgb_to_hls(*(channel / 255 for channel in colour))[2]


WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)


@dataclass(frozen=True)
class Roles:
    """A palette's colours by what a painter uses them for."""

    light: RGB
    mid: RGB
    deep: RGB
    accent: RGB
    extra: RGB
    colours: tuple[RGB, ...]


def roles(palette: Sequence[str]) -> Roles:
    """Roles by brightness and saturation, so any three to five colours (a creator's, a
    photo's) can paint a scene: lightest and darkest, the most saturated as the accent."""
    colours = []
    for colour in palette:
        try:
            colours.append(rgb(colour))
        except ValueError:
            continue
    if not colours:
        colours = [rgb(colour) for colour in PALETTES["understated"]]
    by_light = sorted(colours, key=luminance)
    deep, light = by_light[0], by_light[-1]
    # With too few colours the missing roles are mixed from the ones given.
    if luminance(light) - luminance(deep) < 90:
        deep, light = mix(deep, BLACK, 0.55), mix(light, WHITE, 0.6)
    middle = by_light[1:-1] or [mix(light, deep, 0.5)]
    accent = max(middle, key=saturation) if len(middle) > 1 else max(colours, key=saturation)
    rest = [colour for colour in middle if colour != accent] or [mix(light, deep, 0.45)]
    mid = rest[len(rest) // 2]
    extra = next((c for c in rest if c != mid), mix(accent, light, 0.4))
    return Roles(light, mid, deep, accent, extra, tuple(colours))


def lit(colour: RGB, tint: RGB) -> RGB:
    """The colour under coloured light (multiply): night is a dark blue tint."""
    return tuple(round(c * t / 255) for c, t in zip(colour, tint, strict=True))


# Light by time of day.


@dataclass(frozen=True)
class Light:
    sky: tuple[tuple[float, RGB], ...]  # gradient stops, zenith to horizon
    tint: RGB  # multiplied into everything the sky lights
    body: str  # "sun" | "moon"
    body_height: float  # above the horizon, as a share of the sky
    stars: bool
    lamps: bool  # windows and lamps shine


def light_for(time_of_day: str, palette: Roles) -> Light:
    """The sky and the light on things, made from the palette so night and day of one
    story still share its colours."""
    when = time_of_day.strip().upper()
    light, mid, deep, accent = palette.light, palette.mid, palette.deep, palette.accent
    if when == "NIGHT":
        top, low = mix(deep, BLACK, 0.55), mix(deep, mid, 0.35)
        sky = ((0.0, top), (0.7, mix(top, low, 0.7)), (1.0, low))
        return Light(sky, mix(mix(deep, mid, 0.3), (70, 80, 130), 0.5), "moon", 0.7, True, True)
    if when in ("DUSK", "SUNSET", "EVENING"):
        sky = ((0.0, mix(deep, mid, 0.45)), (0.6, mix(mid, accent, 0.5)), (1.0, accent))
        return Light(sky, mix(accent, WHITE, 0.55), "sun", 0.12, False, True)
    if when in ("DAWN", "SUNRISE", "MORNING"):
        sky = ((0.0, mix(mid, WHITE, 0.35)), (0.75, mix(light, accent, 0.25)), (1.0, light))
        return Light(sky, mix(light, WHITE, 0.5), "sun", 0.25, False, False)
    # Skies lean to sky blue, whatever the palette: a warm story still has blue days.
    sky = ((0.0, mix(mid, (110, 160, 210), 0.55)), (1.0, mix(light, WHITE, 0.4)))
    return Light(sky, WHITE, "sun", 0.62, False, False)


def paint_sky(image: Image.Image, box, light: Light, rng: random.Random, scale: float = 1.0):
    """Sky, sun or moon, and clouds or stars inside `box` (the frame, or a window);
    returns where the sun or moon is, for its reflection."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    image.paste(gradient((width, height), light.sky), (left, top))
    draw = ImageDraw.Draw(image)
    if light.stars:
        for _ in range(max(12, width * height // 9000)):
            x, y, size = (
                rng.uniform(left, right),
                rng.uniform(top, bottom),
                rng.choice((1, 1, 2, 3)),
            )
            draw.ellipse((x - size, y - size, x + size, y + size), fill=(235, 235, 215))
    radius = max(6, round(min(width, height) * (0.09 if light.body == "sun" else 0.06) * scale))
    x, y = left + width * rng.uniform(0.2, 0.8), bottom - height * light.body_height
    colour = (255, 236, 190) if light.body == "sun" else (240, 238, 222)
    glow(image, (x, y), radius * 4, colour, 0.55 if light.body == "sun" else 0.25)
    disc = Image.new("L", (2 * radius, 2 * radius))
    ImageDraw.Draw(disc).ellipse((0, 0, 2 * radius - 1, 2 * radius - 1), fill=255)
    if light.body == "moon":  # a crescent: a second disc bites the first
        ImageDraw.Draw(disc).ellipse(
            (radius * 0.5, -radius * 0.3, radius * 2.5, radius * 1.7), fill=0
        )
    image.paste(colour, (round(x - radius), round(y - radius)), disc)
    if not light.stars:
        clouds = Image.new("L", (max(1, width // 8), max(1, height // 8)))
        puffs = ImageDraw.Draw(clouds)
        for _ in range(rng.randint(2, 4)):
            cx, cy = rng.uniform(0, clouds.width), rng.uniform(0, clouds.height * 0.6)
            for _ in range(5):
                rx, ry = rng.uniform(4, 14), rng.uniform(2, 5)
                px, py = cx + rng.uniform(-12, 12), cy + rng.uniform(-2, 2)
                puffs.ellipse((px - rx, py - ry, px + rx, py + ry), fill=150)
        clouds = clouds.filter(ImageFilter.GaussianBlur(1.5)).resize((width, height), Image.BICUBIC)
        image.paste(mix(light.sky[-1][1], WHITE, 0.6), (left, top), clouds)
    return x, y


# Colour fields: gradients, glows, vignettes, paper. Everything soft is drawn small and
# enlarged, or built from Pillow's own gradients: no per-pixel Python.


def gradient(size: tuple[int, int], stops: Sequence[tuple[float, RGB]]) -> Image.Image:
    """A top-to-bottom gradient through `(position 0..1, colour)` stops."""

    def colour_at(at: float) -> RGB:
        for (start, first), (end, second) in itertools.pairwise(stops):
            if at <= end:
                return mix(first, second, (at - start) / max(end - start, 1e-6))
        return stops[-1][1]

    strip = Image.new("RGB", (1, 256))
    strip.putdata([colour_at(index / 255) for index in range(256)])
    return strip.resize(size, Image.Resampling.BILINEAR)


def soft_spot(diameter: int, strength: float = 1.0, falloff: float = 2.0) -> Image.Image:
    """An L mask: `strength` at the centre fading to nothing at the rim."""
    ring = ImageOps.invert(Image.radial_gradient("L")).resize((diameter, diameter))
    return ring.point(lambda v: round(255 * strength * (v / 255) ** falloff))


def glow(image: Image.Image, centre, radius: int, colour: RGB, strength: float) -> None:
    spot = soft_spot(2 * radius, strength)
    image.paste(colour, (round(centre[0] - radius), round(centre[1] - radius)), spot)


def vignette(image: Image.Image, colour: RGB, strength: float) -> Image.Image:
    edge = Image.radial_gradient("L").resize(image.size)
    mask = edge.point(lambda v: round(255 * strength * max(0.0, (v - 100) / 155) ** 1.5))
    return Image.composite(Image.new("RGB", image.size, colour), image, mask)


def veil(image: Image.Image, colour: RGB, small_mask: Image.Image) -> None:
    """Paint `colour` through a small mask enlarged to the image: soft light, fog, bokeh."""
    soft = small_mask.filter(ImageFilter.GaussianBlur(2))
    image.paste(colour, (0, 0), soft.resize(image.size, Image.Resampling.BICUBIC))


def paper(image: Image.Image, rng: random.Random, strength: float, scale: int = 6) -> Image.Image:
    """A soft mottle, as of paint on paper; from the seed, unlike Pillow's effect_noise."""
    small = (max(1, image.width // scale), max(1, image.height // scale))
    noise = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
    noise = noise.resize(image.size, Image.Resampling.BICUBIC)
    noise = noise.point(lambda v: round(128 + (v - 128) * strength))
    return ImageChops.soft_light(image, Image.merge("RGB", (noise, noise, noise)))


# Mood: how a story's tone colours a whole picture, and its weather.


@dataclass(frozen=True)
class Grade:
    colour: float = 1.0  # saturation
    contrast: float = 1.0
    brightness: float = 1.0
    sepia: float = 0.0
    vignette: float = 0.25
    weather: str = ""  # glow | rain | bokeh | fog


GRADES = {
    "warm": Grade(vignette=0.3, weather="glow"),
    "romantic": Grade(colour=1.05, vignette=0.3, weather="glow"),
    "tense": Grade(colour=0.8, contrast=1.18, vignette=0.6),
    "dark": Grade(brightness=0.8, contrast=1.1, vignette=0.7),
    "melancholic": Grade(colour=0.7, vignette=0.3, weather="rain"),
    "hopeful": Grade(colour=1.15, vignette=0.15, weather="bokeh"),
    "playful": Grade(colour=1.25, vignette=0.12, weather="bokeh"),
    "mysterious": Grade(colour=0.9, vignette=0.55, weather="fog"),
    "nostalgic": Grade(sepia=0.35, vignette=0.45),
    "wry": Grade(contrast=1.06, vignette=0.2),
    "understated": Grade(),
}


def weather(image: Image.Image, kind: str, palette: Roles, rng: random.Random) -> None:
    width, height = image.size
    if kind == "glow":  # low warm light from one side
        colour = mix(palette.accent, (255, 210, 160), 0.5)
        glow(image, (width * 0.85, height * 0.1), round(height * 0.8), colour, 0.35)
    elif kind == "rain":
        rain = Image.new("L", image.size)
        strokes = ImageDraw.Draw(rain)
        for _ in range(320):
            x, y, length = (
                rng.uniform(0, width + 200),
                rng.uniform(-60, height),
                rng.uniform(26, 60),
            )
            strokes.line((x, y, x - length * 0.3, y + length), fill=80, width=2)
        image.paste(mix(palette.light, WHITE, 0.4), (0, 0), rain)
    elif kind == "bokeh":  # out-of-focus lights
        bokeh = Image.new("L", (width // 4, height // 4))
        dots = ImageDraw.Draw(bokeh)
        for _ in range(16):
            x, y, r = (
                rng.uniform(0, bokeh.width),
                rng.uniform(0, bokeh.height * 0.6),
                rng.uniform(4, 12),
            )
            dots.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(40, 90))
        veil(image, mix(palette.accent, WHITE, 0.6), bokeh)
    elif kind == "fog":  # banks of mist low in the frame
        fog = Image.new("L", (width // 8, height // 8))
        banks = ImageDraw.Draw(fog)
        for _ in range(6):
            x, y = rng.uniform(0, fog.width), fog.height * rng.uniform(0.62, 0.8)
            banks.ellipse((x - fog.width * 0.3, y - 5, x + fog.width * 0.3, y + 5), fill=90)
        veil(image, mix(palette.light, palette.mid, 0.3), fog)


def graded(image: Image.Image, mood: str, palette: Roles, rng: random.Random) -> Image.Image:
    grade = GRADES.get(mood, GRADES["understated"])
    weather(image, grade.weather, palette, rng)
    for enhancer, amount in (
        (ImageEnhance.Color, grade.colour),
        (ImageEnhance.Contrast, grade.contrast),
        (ImageEnhance.Brightness, grade.brightness),
    ):
        if amount != 1.0:
            image = enhancer(image).enhance(amount)
    if grade.sepia:
        sepia = ImageOps.colorize(image.convert("L"), palette.deep, palette.light)
        image = Image.blend(image, sepia, grade.sepia)
    edge = BLACK if mood == "dark" else mix(palette.deep, BLACK, 0.4)
    return vignette(image, edge, grade.vignette)
