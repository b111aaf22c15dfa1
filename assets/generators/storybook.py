"""The storybook: one printable PDF of the whole universe, the same for every engine.

A cover, then one chapter per card (day label, title, picture, captions, scene,
questions to talk about). Pictures come finished in `request.images`; a card whose
picture is missing or unreadable is laid out without one rather than failing the book.

Text goes through a font that can draw it: DejaVu when this machine has it (most
scripts), otherwise the PDF core Helvetica, which only knows latin-1, so the text is
transliterated first. Either way a character no font can draw is replaced or dropped
before it reaches fpdf2, which would raise on core fonts and draw empty boxes on
TrueType ones.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from assets.generators.base import (
    AssetRequest,
    CardContext,
    GeneratedAsset,
    GeneratedFile,
    GeneratorSession,
)

logger = logging.getLogger(__name__)
# fontTools logs dozens of INFO lines per embedded font while fpdf2 subsets it.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

# A5 in millimetres: a book a child can hold, and two of them print on one A4 sheet.
# Given as numbers because fpdf2 warns on every "A5" (its A5 size changed in 2.8.5).
PAGE_SIZE_MM = (148.0, 210.0)
MARGIN_SIDE = 16.0
MARGIN_TOP = 16.0
MARGIN_BOTTOM = 18.0
BODY_SIZE = 11.0
LEADING = 1.45  # line height as a multiple of the font size: airy enough to read aloud
PT_TO_MM = 25.4 / 72
# Embedded pictures are resampled to this density at their printed size: sharp on
# paper while a forty-card book stays a download, not a hundred megabytes of PNG.
IMAGE_DPI = 200
JPEG_QUALITY = 85
TEXT_COLOUR = (38, 38, 38)
MUTED_COLOUR = (105, 105, 105)
DEFAULT_ACCENT = (84, 62, 122)

# Searched in order after STORYBOOK_FONT_DIR: Debian/Ubuntu, Fedora, Arch, then the
# per-user and local font folders.
SYSTEM_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/dejavu-serif-fonts",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
)
# Body faces by fpdf2 style, serif first (it reads like a book); sans when only that is here.
FACE_CHOICES = (
    {
        "": "DejaVuSerif.ttf",
        "B": "DejaVuSerif-Bold.ttf",
        "I": "DejaVuSerif-Italic.ttf",
        "BI": "DejaVuSerif-BoldItalic.ttf",
    },
    {
        "": "DejaVuSans.ttf",
        "B": "DejaVuSans-Bold.ttf",
        "I": "DejaVuSans-Oblique.ttf",
        "BI": "DejaVuSans-BoldOblique.ttf",
    },
)
# Wider coverage than DejaVu Serif for what it lacks: Sans has more symbols, Arabic and
# more; Droid Sans Fallback (Debian's fonts-droid-fallback) brings CJK.
FALLBACK_FACES = ("DejaVuSans.ttf", "DroidSansFallbackFull.ttf")

LATIN1 = frozenset([0x0A, *range(0x20, 0x7F), *range(0xA0, 0x100)])  # 0x0A: line breaks
# Typography that NFKD leaves alone but a plain-text reader expects spelled out.
TRANSLITERATIONS = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "‹": "<", "›": ">",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "−": "-", "—": "--", "―": "--",
    "…": "...", "•": "·", "€": "EUR", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ı": "i", "\t": " ",
}  # fmt: skip
# Symbols (emoji), invisible formatting (joiners, variation selectors) and stray marks
# vanish; any other unknown character shows as "?" so a reader sees something is missing.
DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me", "Zl", "Zp"})


@dataclass(frozen=True)
class Typeface:
    family: str
    label: str  # what metadata reports: "DejaVu" or "Helvetica"
    supported: frozenset[int]  # code points some registered font can draw


def storybook_pdf(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    return render_storybook(request, session, font_dirs=font_search_dirs())


def font_search_dirs() -> tuple[Path, ...]:
    configured = getattr(settings, "STORYBOOK_FONT_DIR", "")
    dirs = [Path(configured).expanduser()] if configured else []
    return (*dirs, *(Path(d).expanduser() for d in SYSTEM_FONT_DIRS))


def find_font(name: str, dirs: Sequence[Path]) -> Path | None:
    for directory in dirs:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def render_storybook(
    request: AssetRequest, session: GeneratorSession, font_dirs: Sequence[Path]
) -> GeneratedAsset:
    pdf = new_book(font_dirs)
    pdf.accent = accent_colour(request.story.palette)
    clean = text_cleaner(pdf.typeface.supported)

    story = request.story
    title = one_line(clean(story.title)) or "Untitled story"
    logline = one_line(clean(story.logline))
    # Document properties are Unicode whatever font the pages use: keep the real title.
    pdf.set_title(metadata_text(story.title) or title)
    pdf.set_author("Story Engine")
    pdf.set_creator("Story Engine")
    if metadata_text(story.logline):
        pdf.set_subject(metadata_text(story.logline))
    if story.tone_tags:
        pdf.set_keywords([metadata_text(tag) for tag in story.tone_tags])
    pdf.set_margins(MARGIN_SIDE, MARGIN_TOP, MARGIN_SIDE)
    pdf.set_auto_page_break(True, margin=MARGIN_BOTTOM)
    pdf.set_text_color(*TEXT_COLOUR)

    unreadable: list[str] = []
    cover = prepared_image(request.images, "cover", unreadable)
    lay_out_cover(pdf, title, logline, cover, story.palette)

    embedded = 1 if cover else 0
    missing: list[str] = []
    total = len(request.cards)
    for done, card in enumerate(request.cards, start=1):
        key = f"card_image:{card.day_index}"
        picture = prepared_image(request.images, key, unreadable)
        if picture:
            embedded += 1
        else:
            missing.append(key)
        lay_out_card(pdf, card, picture, clean)
        session.report(done, total, f"laid out day {card.day_index}")

    content = bytes(pdf.output())
    return GeneratedAsset(
        files={"main": GeneratedFile(content, "pdf", "application/pdf")},
        metadata={
            "page_count": pdf.page_no(),
            "images_embedded": embedded,
            "images_missing": missing,
            "images_unreadable": unreadable,
            "font": pdf.typeface.label,
        },
    )


class StorybookPDF(FPDF):
    typeface: Typeface
    accent: tuple[int, int, int]

    def footer(self) -> None:
        if self.page_no() == 1:  # a cover carries no folio
            return
        self.set_y(-12)
        self.set_font(self.typeface.family, "", 8.5)
        self.set_text_color(*MUTED_COLOUR)
        self.cell(0, 5, str(self.page_no()), align="C")
        self.set_text_color(*TEXT_COLOUR)


# --- fonts and text ------------------------------------------------------------------


def new_book(font_dirs: Sequence[Path]) -> StorybookPDF:
    """An empty book with the best typeface found in `font_dirs` registered."""
    for faces in FACE_CHOICES:
        regular = find_font(faces[""], font_dirs)
        if regular is None:
            continue
        # A fresh document per attempt: fonts half-registered by a failed one stay out.
        pdf = StorybookPDF(unit="mm", format=PAGE_SIZE_MM)
        try:
            pdf.typeface = register_dejavu(pdf, faces, regular, font_dirs)
            return pdf
        except Exception:  # a damaged font file in a configured folder: try the next
            logger.warning("storybook: cannot load font %s", regular, exc_info=True)
    pdf = StorybookPDF(unit="mm", format=PAGE_SIZE_MM)
    pdf.typeface = Typeface(family="Helvetica", label="Helvetica", supported=LATIN1)
    return pdf


def register_dejavu(pdf: FPDF, faces: dict, regular: Path, font_dirs: Sequence[Path]) -> Typeface:
    # A missing bold or italic file falls back to the regular face: plainer, still legible.
    for style, name in faces.items():
        path = find_font(name, font_dirs) or regular
        add_font_file(pdf, "Body", style, path)
    # A glyph is drawable when every body style has it (the current style may be any of
    # them) or when any fallback font does (fpdf2 then borrows it from there).
    body = [set(pdf.fonts[f"body{style}"].cmap) for style in faces]
    supported = set.intersection(*body)
    fallbacks = []
    for number, name in enumerate(FALLBACK_FACES):
        path = find_font(name, font_dirs)
        if path is None or path == regular:
            continue
        family = f"Fallback{number}"
        try:
            add_font_file(pdf, family, "", path)
        except Exception:
            logger.warning("storybook: cannot load fallback font %s", path, exc_info=True)
            continue
        fallbacks.append(family)
        supported |= set(pdf.fonts[family.lower()].cmap)
    if fallbacks:
        # Fallback fonts come in one style: borrow a glyph in regular rather than not at all.
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
    return Typeface(family="Body", label="DejaVu", supported=frozenset(supported | {0x0A}))


def add_font_file(pdf: FPDF, family: str, style: str, path: Path) -> None:
    # fontTools leaves the file open when it fails to parse one, so a file that is not a
    # TrueType/OpenType font at all is refused before it gets that far.
    with path.open("rb") as font_file:
        if font_file.read(4) not in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
            raise ValueError(f"{path} is not a TrueType font")
    pdf.add_font(family, style, str(path))


def text_cleaner(supported: frozenset[int]):
    """A function making any text drawable with the fonts behind `supported`."""
    replacements: dict[str, str] = {}

    def replacement(char: str) -> str:
        if char not in replacements:
            replacements[char] = drawable_substitute(char, supported)
        return replacements[char]

    def clean(text: str) -> str:
        # Composed form first: "e" + combining acute becomes the single glyph fonts have.
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        if all(ord(char) in supported for char in text):
            return text
        return "".join(char if ord(char) in supported else replacement(char) for char in text)

    return clean


def drawable_substitute(char: str, supported: frozenset[int]) -> str:
    if char in TRANSLITERATIONS:
        spelled = TRANSLITERATIONS[char]
        if all(ord(c) in supported for c in spelled):
            return spelled
    if unicodedata.category(char) == "Zs":
        return " "
    # "ő" → "o", "ﬁ" → "fi", full-width letters → ASCII; accents the font lacks go.
    decomposed = [c for c in unicodedata.normalize("NFKD", char) if unicodedata.category(c) != "Mn"]
    if decomposed and all(ord(c) in supported for c in decomposed):
        return "".join(decomposed)
    if unicodedata.category(char) in DROPPED_CATEGORIES:
        return ""
    return "?"


# --- images --------------------------------------------------------------------------


def prepared_image(images: dict[str, bytes], key: str, unreadable: list[str]) -> Image.Image | None:
    data = images.get(key)
    if not data:
        return None
    try:
        return decoded_image(data)
    except Exception as error:  # decoders raise many kinds of errors on damaged bytes
        logger.warning("storybook: skipped unreadable image %s: %s", key, error)
        unreadable.append(key)
        return None


def decoded_image(data: bytes) -> Image.Image:
    """Any image Pillow reads, fully decoded, as RGB or greyscale on white."""
    with Image.open(io.BytesIO(data)) as source:
        source.load()  # decodes every byte: a truncated file fails here, not inside fpdf2
        if source.mode in ("L", "RGB"):
            return source.copy()
        if source.mode in ("RGBA", "LA", "P", "PA"):
            # Transparent areas print on white paper, so flatten them on white.
            rgba = source.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return source.convert("RGB")


def fitted_size(image: Image.Image, max_w: float, max_h: float) -> tuple[float, float]:
    scale = min(max_w / image.width, max_h / image.height)
    return image.width * scale, image.height * scale


def place_picture(pdf: FPDF, image: Image.Image, max_w: float, max_h: float) -> None:
    w, h = fitted_size(image, max_w, max_h)
    # Resampled to the printed size and stored as JPEG: the embedded file is what the
    # reader downloads, and a generated PNG at full size is megabytes per page.
    target = (max(1, round(w / 25.4 * IMAGE_DPI)), max(1, round(h / 25.4 * IMAGE_DPI)))
    if image.width > target[0] or image.height > target[1]:
        image = image.resize(target, Image.Resampling.LANCZOS)
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=JPEG_QUALITY, optimize=True)
    encoded.seek(0)
    pdf.image(encoded, x=(pdf.w - w) / 2, y=pdf.get_y(), w=w, h=h)
    pdf.set_y(pdf.get_y() + h)


# --- layout --------------------------------------------------------------------------


def accent_colour(palette: Sequence[str]) -> tuple[int, int, int]:
    """The darkest palette colour, darkened until it reads as text on white paper."""
    colours = [rgb for rgb in (parsed_hex(value) for value in palette) if rgb]
    if not colours:
        return DEFAULT_ACCENT
    colour = min(colours, key=luminance)
    while luminance(colour) > 0.35:
        colour = (int(colour[0] * 0.8), int(colour[1] * 0.8), int(colour[2] * 0.8))
    return colour


def parsed_hex(value: str) -> tuple[int, int, int] | None:
    digits = str(value).strip().lstrip("#")
    if len(digits) != 6:
        return None
    try:
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    except ValueError:
        return None


def luminance(rgb: tuple[int, int, int]) -> float:
    red, green, blue = rgb
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def line_height(size_pt: float) -> float:
    return size_pt * PT_TO_MM * LEADING


def paragraph(pdf: StorybookPDF, text: str, size: float, style: str = "", align: str = "L") -> None:
    pdf.set_font(pdf.typeface.family, style, size)
    pdf.multi_cell(0, line_height(size), text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def lay_out_cover(
    pdf: StorybookPDF, title: str, logline: str, cover: Image.Image | None, palette: Sequence[str]
) -> None:
    pdf.add_page()
    pdf.start_section(title)
    if cover:
        place_picture(pdf, cover, pdf.epw, pdf.eph * 0.58)
        pdf.ln(9)
    else:
        # No picture yet: a band of the story's colours keeps the cover from looking blank.
        pdf.set_y(pdf.h * 0.3)
        swatches = [rgb for rgb in (parsed_hex(v) for v in palette) if rgb] or [pdf.accent]
        width = pdf.epw / len(swatches)
        for number, rgb in enumerate(swatches):
            pdf.set_fill_color(*rgb)
            pdf.rect(pdf.l_margin + number * width, pdf.get_y(), width, 4, style="F")
        pdf.ln(14)
    pdf.set_text_color(*pdf.accent)
    paragraph(pdf, title, 24, "B", align="C")
    pdf.set_text_color(*TEXT_COLOUR)
    if logline:
        pdf.ln(4)
        pdf.set_text_color(*MUTED_COLOUR)
        paragraph(pdf, logline, 12, "I", align="C")
        pdf.set_text_color(*TEXT_COLOUR)


def lay_out_card(pdf: StorybookPDF, card: CardContext, picture: Image.Image | None, clean) -> None:
    title = one_line(clean(card.title))
    pdf.add_page()
    pdf.start_section(f"Day {card.day_index}" + (f": {title}" if title else ""))

    pdf.set_text_color(*pdf.accent)
    pdf.set_char_spacing(1.2)
    paragraph(pdf, f"DAY {card.day_index}", 9, "B")
    pdf.set_char_spacing(0)
    pdf.set_text_color(*TEXT_COLOUR)
    if title:
        pdf.ln(1)
        paragraph(pdf, title, 17, "B")
    pdf.ln(2)
    pdf.set_draw_color(*pdf.accent)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 24, pdf.get_y())
    pdf.ln(5)

    if picture:
        place_picture(pdf, picture, pdf.epw, pdf.h * 0.42)
        pdf.ln(3)

    captions = [text for text in (one_line(clean(c)) for c in card.captions) if text]
    if captions:
        pdf.set_text_color(*MUTED_COLOUR)
        for caption in captions:
            paragraph(pdf, caption, 9.5, "I", align="C")
        pdf.set_text_color(*TEXT_COLOUR)
        pdf.ln(3)

    for text in paragraphs(clean(card.scene_text)):
        # Ragged right: a narrow page without hyphenation justifies into rivers of space.
        paragraph(pdf, text, BODY_SIZE)
        pdf.ln(2.2)

    questions = [q for q in (one_line(clean(q)) for q in card.discussion_questions) if q]
    if questions:
        lay_out_questions(pdf, questions)


def lay_out_questions(pdf: StorybookPDF, questions: list[str]) -> None:
    # Keep the heading with its first question rather than alone at the foot of a page.
    if pdf.will_page_break(line_height(11) * 3 + 6):
        pdf.add_page()
    else:
        pdf.ln(3)
    pdf.set_text_color(*pdf.accent)
    paragraph(pdf, "Talk about it", 11, "B")
    pdf.set_text_color(*TEXT_COLOUR)
    pdf.ln(1)
    pdf.set_font(pdf.typeface.family, "", BODY_SIZE - 0.5)
    indent = pdf.get_string_width("00.") + 2
    height = line_height(BODY_SIZE - 0.5)
    for number, question in enumerate(questions, start=1):
        if pdf.will_page_break(height):
            pdf.add_page()
        pdf.set_font(pdf.typeface.family, "B", BODY_SIZE - 0.5)
        pdf.cell(indent, height, f"{number}.")
        pdf.set_font(pdf.typeface.family, "", BODY_SIZE - 0.5)
        # A hanging indent: wrapped lines start under the text, not under the number.
        pdf.multi_cell(
            pdf.epw - indent, height, question, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(1.2)


def one_line(text: str) -> str:
    # Titles and questions are one line of thought: a dropped emoji leaves no double space.
    return " ".join(text.split())


def metadata_text(text: str) -> str:
    # Lone surrogates cannot be encoded and control characters mean nothing in a title.
    return one_line("".join(c for c in text if unicodedata.category(c) not in ("Cs", "Cc")))


def paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; single line breaks inside one are kept (verse, lists)."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text)]
    return [
        "\n".join(" ".join(line.split()) for line in block.splitlines() if line.strip())
        for block in blocks
        if block
    ]
