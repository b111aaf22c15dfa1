"""The storybook PDF: read back with pypdf to see what a reader would get."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from assets.generators import generator_for
from assets.generators.base import AssetRequest, CardContext, StoryContext
from assets.generators.storybook import (
    LATIN1,
    font_search_dirs,
    render_storybook,
    storybook_pdf,
    text_cleaner,
)
from transformations.engines.journal import EngineSession

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
needs_dejavu = pytest.mark.skipif(
    not (DEJAVU_DIR / "DejaVuSerif.ttf").is_file(), reason="DejaVu fonts not installed"
)
UNICODE_TEXT = (
    "“Welcome,” she said — to Ærøskøbing, the café of naïve señoras… ‘Really?’ "
    "😀🎉 日本語の物語 שלום مرحبا ﬁne Łódź ő\u200d\u00ad\ud800 end."
)


def picture(colour: str, size: tuple[int, int] = (640, 480), fmt: str = "PNG", mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt)
    return out.getvalue()


def card(day: int, **fields) -> CardContext:
    values = {
        "day_index": day,
        "title": f"The lantern of day {day}",
        "captions": (f"Caption for day {day}",),
        "scene_text": f"Mira lit the lantern on day {day}.\n\nThe harbour answered with bells.",
        "discussion_questions": ("Why did Mira go alone?", "What would you have done?"),
    }
    return CardContext(**(values | fields))


def unicode_card() -> CardContext:
    return card(
        1,
        title=UNICODE_TEXT,
        scene_text=UNICODE_TEXT,
        captions=(UNICODE_TEXT, "🎉"),
        discussion_questions=(UNICODE_TEXT,),
    )


def request_for(cards, images=None, **story) -> AssetRequest:
    story_fields = {"title": "The Harbour of Lanterns", "logline": "A girl keeps the light."}
    return AssetRequest(
        asset_type="pdf",
        key="pdf",
        story=StoryContext(**(story_fields | story)),
        cards=tuple(cards),
        images=images or {},
    )


def build(request: AssetRequest, font_dirs=None, session=None):
    session = session or EngineSession.detached()
    if font_dirs is None:
        asset = storybook_pdf(request, session)
    else:
        asset = render_storybook(request, session, font_dirs=font_dirs)
    main = asset.files["main"]
    assert (main.extension, main.content_type) == ("pdf", "application/pdf")
    assert main.content.startswith(b"%PDF-")
    return asset, PdfReader(io.BytesIO(main.content))


def page_texts(reader: PdfReader) -> list[str]:
    # Line breaks fall wherever the page width puts them: compare words, not lines.
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def embedded_images(reader: PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


def test_registry_picks_the_storybook_for_every_engine():
    assert generator_for("pdf", "local") is storybook_pdf
    assert generator_for("pdf", "openai") is storybook_pdf


def test_a_book_has_a_cover_then_every_card_with_its_text_and_pictures():
    images = {"cover": picture("navy", (600, 900)), "card_image:1": picture("gold")}
    images["card_image:2"] = picture("teal", fmt="JPEG")
    asset, reader = build(request_for([card(1), card(2), card(3)], images))

    texts = page_texts(reader)
    assert len(reader.pages) > 3
    assert asset.metadata["page_count"] == len(reader.pages)
    assert "The Harbour of Lanterns" in texts[0]
    assert "A girl keeps the light." in texts[0]
    assert "The lantern of day 1" not in texts[0]
    day_one = texts[1]
    assert "The lantern of day 1" in day_one
    assert "Mira lit the lantern on day 1." in day_one
    assert "Caption for day 1" in day_one
    assert "1. Why did Mira go alone?" in day_one
    assert "2. What would you have done?" in day_one
    # Cards follow in order, each on its own page.
    pages_of = [next(i for i, t in enumerate(texts) if f"day {d}" in t) for d in (1, 2, 3)]
    assert pages_of == sorted(pages_of) and len(set(pages_of)) == 3

    assert embedded_images(reader) == 3
    assert len(reader.pages[0].images) == 1
    assert asset.metadata["images_embedded"] == 3
    assert asset.metadata["images_missing"] == ["card_image:3"]
    assert asset.metadata["images_unreadable"] == []


def test_questions_are_a_numbered_list_in_order():
    questions = ("First question here?", "Second question here?", "Third question here?")
    _, reader = build(request_for([card(1, discussion_questions=questions)]))
    text = " ".join(page_texts(reader)[1:])
    listed = "1. First question here? 2. Second question here? 3. Third question here?"
    assert f"Talk about it {listed}" in text


def test_document_properties_name_the_story_and_the_tool():
    _, reader = build(request_for([card(1)], title="Étoile “One” 🌙"))
    assert reader.metadata.title == "Étoile “One” 🌙"
    assert reader.metadata.author == "Story Engine"
    assert reader.metadata.creator == "Story Engine"


def test_pages_after_the_cover_are_numbered_in_the_footer():
    _, reader = build(request_for([card(1), card(2)]))
    texts = [page.extract_text() for page in reader.pages]
    assert texts[1].strip().splitlines()[-1].strip() == "2"
    assert texts[2].strip().splitlines()[-1].strip() == "3"
    assert texts[0].strip().splitlines()[-1].strip() != "1"


def test_without_any_image_the_book_is_still_whole():
    asset, reader = build(request_for([card(1), card(2)]))
    assert embedded_images(reader) == 0
    assert asset.metadata["images_embedded"] == 0
    assert asset.metadata["images_missing"] == ["card_image:1", "card_image:2"]
    assert "The lantern of day 2" in " ".join(page_texts(reader))


def test_unreadable_images_are_left_out_and_reported():
    truncated = picture("red", (400, 400), fmt="JPEG")[:300]
    images = {
        "cover": b"definitely not an image",
        "card_image:1": truncated,
        "card_image:2": picture("green"),
    }
    asset, reader = build(request_for([card(1), card(2)], images))
    assert embedded_images(reader) == 1
    assert asset.metadata["images_embedded"] == 1
    assert asset.metadata["images_unreadable"] == ["cover", "card_image:1"]
    assert asset.metadata["images_missing"] == ["card_image:1"]
    assert "The lantern of day 1" in " ".join(page_texts(reader))


@pytest.mark.parametrize(
    ("mode", "fmt", "colour"),
    [
        ("RGBA", "PNG", (10, 20, 30, 128)),
        ("P", "PNG", 3),
        ("L", "PNG", 120),
        ("LA", "PNG", (50, 200)),
        ("CMYK", "JPEG", (0, 50, 100, 0)),
        ("I;16", "PNG", 3000),
        ("1", "PNG", 1),
        ("RGB", "WEBP", "orange"),
    ],
)
def test_images_of_any_common_mode_are_embedded(mode, fmt, colour):
    image = picture(colour, (300, 200), fmt=fmt, mode=mode)
    asset, reader = build(request_for([card(1)], {"card_image:1": image}))
    assert asset.metadata["images_embedded"] == embedded_images(reader) == 1


def test_pictures_keep_their_shape_and_fit_the_page():
    tall, wide = picture("navy", (300, 3000)), picture("gold", (4000, 400))
    _, reader = build(request_for([card(1)], {"cover": tall, "card_image:1": wide}))
    for page in reader.pages[:2]:
        (image,) = page.images
        width, height = image.image.size
        assert width <= 2000 and height <= 2000  # resampled to the printed size
    cover = reader.pages[0].images[0].image.size
    card_one = reader.pages[1].images[0].image.size
    assert cover[1] / cover[0] == pytest.approx(10, rel=0.05)
    assert card_one[0] / card_one[1] == pytest.approx(10, rel=0.05)


@needs_dejavu
def test_unicode_text_survives_with_dejavu():
    cards = [unicode_card()]
    asset, reader = build(request_for(cards, title=UNICODE_TEXT, logline=UNICODE_TEXT))
    assert asset.metadata["font"] == "DejaVu"
    text = " ".join(page_texts(reader))
    for phrase in ("“Welcome,” she said — to Ærøskøbing", "café", "naïve señoras…", "Łódź"):
        assert phrase in text


def test_unicode_text_falls_back_to_helvetica_without_fonts(tmp_path):
    cards = [unicode_card()]
    request = request_for(cards, title=UNICODE_TEXT, logline=UNICODE_TEXT)
    asset, reader = build(request, font_dirs=[tmp_path])
    assert asset.metadata["font"] == "Helvetica"
    text = " ".join(page_texts(reader))
    assert '"Welcome," she said -- to Ærøskøbing, the café of naïve señoras...' in text
    assert "fine Lódz o" in text
    assert "😀" not in text and "日" not in text


def test_a_damaged_font_file_falls_back_to_helvetica(tmp_path):
    (tmp_path / "DejaVuSerif.ttf").write_bytes(b"not a font at all")
    asset, reader = build(request_for([card(1)]), font_dirs=[tmp_path])
    assert asset.metadata["font"] == "Helvetica"
    assert "The lantern of day 1" in page_texts(reader)[1]


def test_the_configured_font_folder_is_searched_first(settings, tmp_path):
    settings.STORYBOOK_FONT_DIR = str(tmp_path)
    dirs = font_search_dirs()
    assert dirs[0] == tmp_path
    assert DEJAVU_DIR in dirs
    settings.STORYBOOK_FONT_DIR = ""
    assert tmp_path not in font_search_dirs()


def test_latin1_cleaning_spells_out_typography_and_drops_what_it_cannot_draw():
    clean = text_cleaner(LATIN1)
    assert clean("“Hi” — it’s… ok – fine") == '"Hi" -- it\'s... ok - fine'
    assert clean("Ærø café ő ﬁ Œuvre") == "Ærø café o fi OEuvre"
    assert clean("e\u0301") == "é"  # combining accent composed first
    assert clean("smile 😀 ok") == "smile  ok"
    assert clean("日本 שלום") == "?? ????"
    assert clean("line\r\nbreak\ttab") == "line\nbreak tab"
    assert all(ord(char) in LATIN1 for char in clean(UNICODE_TEXT))


def test_progress_is_reported_after_each_card():
    calls = []
    session = EngineSession(job_key="t", stage=0, progress=lambda *call: calls.append(call))
    build(request_for([card(1), card(2), card(3)]), session=session)
    assert [(done, total) for done, total, _ in calls] == [(1, 3), (2, 3), (3, 3)]
    assert "3" in calls[-1][2]


def test_a_book_without_cards_is_just_a_cover():
    asset, reader = build(request_for([], palette=("#ffeecc", "#112233", "oops")))
    assert len(reader.pages) == 1
    assert asset.metadata["images_missing"] == []
    assert "The Harbour of Lanterns" in page_texts(reader)[0]


def test_forty_long_cards_make_a_long_book():
    long_text = "\n\n".join(
        f"Paragraph {n}: " + "The tide rose over the old stones and the gulls cried. " * 20
        for n in range(5)
    )
    unbreakable = "x" * 600  # one word wider than the page
    cards = [
        card(day, scene_text=long_text + "\n\n" + unbreakable, captions=("One", "Two"))
        for day in range(1, 41)
    ]
    images = {f"card_image:{day}": picture("purple", (512, 512)) for day in range(1, 41, 3)}
    asset, reader = build(request_for(cards, images))
    assert len(reader.pages) > 80  # several pages a card
    assert asset.metadata["page_count"] == len(reader.pages)
    assert asset.metadata["images_embedded"] == embedded_images(reader) == len(images)
    assert len(asset.metadata["images_missing"]) == 40 - len(images)
    text = " ".join(page_texts(reader)[-12:])
    assert "The lantern of day 40" in text
