"""Stage 0 for zip containers: PowerPoint decks, Word documents, and hostile zips."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib

import docx
import pytest
from docx.oxml.ns import qn
from pptx import Presentation
from pptx.util import Inches, Pt

from jobqueue.errors import DeadlineExceeded
from jobqueue.models import QueueStatus
from tests.helpers import reload, run_until_idle
from transformations.ingest import IngestLimits, detect, normalise
from transformations.ingest.zipguard import repack_markup
from transformations.pipeline.errors import IngestError
from transformations.pipeline.types import BlockKind, SourceType

MB = 1024 * 1024
# The hostile-zip tests must stay far below the sizes they declare.
MEMORY_CEILING = 32 * MB


def error_of(data: bytes, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as caught:
        normalise(data, **kwargs)
    return caught.value


def saved(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def blocks_of(document, count: int) -> list[tuple[BlockKind, str]]:
    return [(block.kind, block.text) for block in document.blocks[:count]]


# Fixtures built with python-pptx and python-docx ---------------------------------------


def lighthouse_deck() -> Presentation:
    """Six slides: a cover, titled bullet slides, a table, notes and a hidden slide."""
    deck = Presentation()
    deck.core_properties.title = "The Lighthouse"
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "The Lighthouse"
    cover.placeholders[1].text = "A story in six slides"
    for title, bullets, notes in [
        (
            "Kerran Harbour",
            ["Elias climbs the 212 steps at dusk.", "Mira waits by the cottage door."],
            "Elias has kept the light for forty years.",
        ),
        ("The Lamp Room", ["The storm breaks the windows.", "Elias cranks the generator."], ""),
    ]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        frame = slide.placeholders[1].text_frame
        frame.text = bullets[0]
        for bullet in bullets[1:]:
            frame.add_paragraph().text = bullet
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    table_slide = deck.slides.add_slide(deck.slide_layouts[5])
    table_slide.shapes.title.text = "The Logbook"
    rows = [("Year", "Event"), ("1964", "Elias arrives"), ("1987", "The storm")]
    table = table_slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    hidden = deck.slides.add_slide(deck.slide_layouts[1])
    hidden.shapes.title.text = "Backup slide"
    hidden.element.set("show", "0")
    last = deck.slides.add_slide(deck.slide_layouts[1])
    last.shapes.title.text = "Dawn"
    last.placeholders[1].text = "The light goes dark; Mira opens the logbook."
    return deck


def add_text_box(shapes, text: str, left: float, top: float):
    box = shapes.add_textbox(Inches(left), Inches(top), Inches(3), Inches(1))
    box.text_frame.text = text
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(18)
    return box


LONG_FIRST_LINE = "Above the group, Ana counts the lanterns as the stalls close around her."


def grouped_deck() -> bytes:
    """Blank-layout slides: text boxes placed out of order, a group, no title placeholders."""
    deck = Presentation()
    blank = deck.slide_layouts[6]
    first = deck.slides.add_slide(blank)
    add_text_box(first.shapes, "The bottom line comes last.", left=1, top=5)
    add_text_box(first.shapes, "Night Market", left=1, top=0.5)
    add_text_box(first.shapes, "Right column, same row.", left=5, top=2)
    add_text_box(first.shapes, "Left column, same row.", left=1, top=2)
    second = deck.slides.add_slide(blank)
    group = second.shapes.add_group_shape()
    add_text_box(group.shapes, "Inside the group, second.", left=1, top=3)
    add_text_box(group.shapes, "Inside the group, first.", left=1, top=2)
    add_text_box(
        second.shapes,
        "Above the group, Ana counts the lanterns as the stalls close around her.",
        1,
        0.5,
    )
    deck.slides.add_slide(blank)  # a slide with no text at all
    return saved(deck)


def word_document() -> bytes:
    document = docx.Document()
    document.add_paragraph("The Lighthouse Keeper", style="Title")
    document.add_heading("Kerran Harbour", level=1)
    document.add_paragraph("Elias climbs the 212 steps every evening at dusk.")
    document.add_paragraph("Bring the logbook", style="List Bullet")
    document.add_heading("The storm", level=2)
    document.add_paragraph("The waves reach the lamp room.")
    table = document.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "Year", (0, 1): "Event", (1, 0): "1987", (1, 1): "Storm"}.items():
        table.cell(r, c).text = value
    document.add_heading("The last night", level=1)
    document.add_paragraph("Elias climbs the steps one last time, and Mira follows him.")
    return saved(document)


PROSE_PARAGRAPHS = [
    "The rain had not stopped for three days. Mara watched it from the bakery window.",
    '"You will wear out the glass," said Old Tomas, dusting flour from his hands.',
    "She laughed and turned back to the ovens, but her eyes kept drifting to the street.",
]


def word_prose() -> bytes:
    document = docx.Document()
    for paragraph in PROSE_PARAGRAPHS:
        document.add_paragraph(paragraph)
    return saved(document)


# Hostile zips --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A 'deck' whose one slide unpacks to 1 GiB of zeros; about 1 MB on disk.

    Written in 1 MiB chunks so the test itself never holds the gigabyte.
    """
    buffer = io.BytesIO()
    chunk = bytes(MB)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("ppt/presentation.xml", b"<p:presentation/>")
        with archive.open("ppt/slides/slide1.xml", "w", force_zip64=True) as entry:
            for _ in range(1024):
                entry.write(chunk)
    return buffer.getvalue()


def lying_zip(declared: int = 4096, real: int = 64 * MB) -> bytes:
    """A valid deck whose slide entry claims `declared` bytes but inflates to `real`."""
    deck = saved(lighthouse_deck())
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(deck)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in source.infolist():
            if info.filename == "ppt/slides/slide2.xml":
                with archive.open(info.filename, "w") as entry:
                    for _ in range(real // MB):
                        entry.write(bytes(MB))
            else:
                archive.writestr(info.filename, source.read(info.filename))
    data = bytearray(buffer.getvalue())
    name = b"ppt/slides/slide2.xml"
    # Patch the uncompressed size in both headers: the local one (offset 22) and the
    # central directory's (offset 24).
    local = data.rfind(b"PK\x03\x04", 0, data.index(name))
    struct.pack_into("<I", data, local + 22, declared)
    central = data.rfind(b"PK\x01\x02", 0, data.rindex(name))
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def peak_memory(call) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# PowerPoint ------------------------------------------------------------------------------


def test_titled_deck_has_one_section_per_visible_slide():
    document = normalise(saved(lighthouse_deck()), filename="lighthouse.pptx")

    assert document.source_type == SourceType.PPTX
    assert document.parse_confidence >= 0.9
    assert document.title == "The Lighthouse"
    assert [s.title for s in document.sections] == [
        "The Lighthouse",
        "Kerran Harbour",
        "The Lamp Room",
        "The Logbook",
        "Dawn",
    ]
    assert {s.kind for s in document.sections} == {"slide"}
    assert blocks_of(document, 6) == [
        (BlockKind.SLIDE_TITLE, "The Lighthouse"),
        (BlockKind.PARAGRAPH, "A story in six slides"),
        (BlockKind.SLIDE_TITLE, "Kerran Harbour"),
        (BlockKind.PARAGRAPH, "Elias climbs the 212 steps at dusk."),
        (BlockKind.PARAGRAPH, "Mira waits by the cottage door."),
        # Speaker notes follow the body, unprefixed.
        (BlockKind.PARAGRAPH, "Elias has kept the light for forty years."),
    ]
    logbook = [b.text for b in document.blocks if b.section == 3]
    assert logbook == ["The Logbook", "Year | Event", "1964 | Elias arrives", "1987 | The storm"]
    assert "Backup slide" not in {b.text for b in document.blocks}
    assert document.metadata["hidden_slide_count"] == 1
    assert document.metadata["notes_paragraph_count"] == 1
    assert document.metadata["table_count"] == 1


def test_untitled_slides_read_in_position_order_with_groups_expanded():
    document = normalise(grouped_deck(), filename="market.pptx")

    assert document.source_type == SourceType.PPTX
    assert 0.6 <= document.parse_confidence < 0.9  # no title placeholders, a textless slide
    assert len(document.sections) == 2
    assert document.sections[0].title == "Night Market"  # first line of the first text box
    assert [b.text for b in document.blocks if b.section == 0] == [
        "Night Market",
        "Left column, same row.",
        "Right column, same row.",
        "The bottom line comes last.",
    ]
    # A long first line is kept as text; the section title is its opening words.
    assert document.sections[1].title.startswith("Above the group, Ana counts")
    assert blocks_of(document, 8)[4:] == [
        (
            BlockKind.PARAGRAPH,
            "Above the group, Ana counts the lanterns as the stalls close around her.",
        ),
        (BlockKind.PARAGRAPH, "Inside the group, first."),
        (BlockKind.PARAGRAPH, "Inside the group, second."),
    ]
    assert document.metadata["textless_slide_count"] == 1


def test_deck_named_pdf_is_still_read_as_a_deck():
    document = normalise(saved(lighthouse_deck()), filename="lighthouse.pdf")
    assert document.source_type == SourceType.PPTX
    assert "disagrees" in document.metadata["detection_reason"]


def test_too_many_slides_fail_with_their_own_code():
    error = error_of(saved(lighthouse_deck()), limits=IngestLimits(max_slides=3))
    assert error.code == "TOO_MANY_SLIDES"
    assert "6 slides; the limit is 3" in error.user_message


def test_truncated_deck_is_a_damaged_powerpoint_file():
    deck = saved(lighthouse_deck())
    error = error_of(deck[: len(deck) // 2], filename="lighthouse.pptx")
    assert error.code == "CORRUPT_FILE"
    assert error.user_message.startswith("This PowerPoint file is damaged or incomplete")


def test_deck_with_text_only_on_pictures_finds_no_story():
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])
    assert error_of(saved(deck)).code == "NO_STORY_FOUND"


def test_media_parts_are_never_unpacked():
    buffer = io.BytesIO(saved(lighthouse_deck()))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("ppt/media/image9.png", b"\x89PNG" + bytes(2 * MB))
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        repacked = zipfile.ZipFile(repack_markup(archive, IngestLimits(), label="deck"))
    assert repacked.read("ppt/media/image9.png") == b""
    assert repacked.read("ppt/presentation.xml").startswith(b"<?xml")


# Hostile zips ---------------------------------------------------------------------------


def test_gigabyte_zip_bomb_disguised_as_a_deck_is_refused_in_bounded_memory(zip_bomb):
    assert len(zip_bomb) < 2 * MB
    caught: list[IngestError] = []

    def attempt():
        try:
            normalise(zip_bomb, filename="quarterly.pptx")
        except IngestError as exc:
            caught.append(exc)

    assert peak_memory(attempt) < MEMORY_CEILING
    assert caught[0].code == "ZIP_BOMB"
    assert "far more data than a real deck" in caught[0].user_message


def test_bomb_within_the_ratio_limit_is_still_too_large(zip_bomb):
    limits = IngestLimits(max_compression_ratio=5000)
    assert error_of(zip_bomb, limits=limits).code == "ZIP_TOO_LARGE"


def test_lying_size_header_never_inflates_past_the_declared_size():
    data = lying_zip()
    caught: list[IngestError] = []

    def attempt():
        try:
            normalise(data, filename="deck.pptx")
        except IngestError as exc:
            caught.append(exc)

    assert peak_memory(attempt) < MEMORY_CEILING
    assert caught[0].code == "CORRUPT_FILE"  # the checksum of the cut-short entry fails


def test_too_many_zip_entries_are_refused_before_listing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ppt/presentation.xml", b"<p:presentation/>")
        for index in range(10_001):
            archive.writestr(f"ppt/media/{index}.bin", b"")
    assert error_of(buffer.getvalue()).code == "ZIP_TOO_MANY_ENTRIES"


def test_password_protected_zip_entries_are_reported_as_encrypted():
    data = bytearray(saved(lighthouse_deck()))
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, data[central + 8] | 0x1)
    assert error_of(bytes(data)).code == "ENCRYPTED_FILE"


def test_worker_deadline_inside_the_library_is_not_mistaken_for_a_damaged_file(monkeypatch):
    def out_of_time(*args, **kwargs):
        raise DeadlineExceeded()

    monkeypatch.setattr("pptx.Presentation", out_of_time)
    with pytest.raises(DeadlineExceeded):
        normalise(saved(lighthouse_deck()))


def test_binary_junk_with_a_text_extension_is_an_unknown_format():
    junk = zlib.compress(bytes(range(256)) * 64)
    error = error_of(junk, filename="chapter-one.txt")
    assert error.code == "UNKNOWN_FORMAT"
    assert "binary data" in error.user_message


# Word ------------------------------------------------------------------------------------


def test_word_document_is_detected_as_an_article():
    detection = detect(word_document(), filename="keeper.docx")
    assert (detection.source_type, detection.format) == (SourceType.ARTICLE, "docx")


def test_word_headings_become_sections_and_the_title_style_the_title():
    document = normalise(word_document(), filename="keeper.docx")

    assert document.source_type == SourceType.ARTICLE
    assert 0.7 <= document.parse_confidence < 0.9  # short, but with headings
    assert document.title == "The Lighthouse Keeper"
    assert [(s.kind, s.title) for s in document.sections] == [
        ("heading", "Kerran Harbour"),
        ("heading", "The last night"),
    ]
    assert blocks_of(document, 7) == [
        (BlockKind.HEADING, "Kerran Harbour"),
        (BlockKind.PARAGRAPH, "Elias climbs the 212 steps every evening at dusk."),
        (BlockKind.PARAGRAPH, "Bring the logbook"),
        (BlockKind.HEADING, "The storm"),
        (BlockKind.PARAGRAPH, "The waves reach the lamp room."),
        (BlockKind.PARAGRAPH, "Year | Event"),
        (BlockKind.PARAGRAPH, "1987 | Storm"),
    ]


def test_word_document_without_headings_is_grouped_like_prose():
    document = normalise(word_prose(), filename="bakery.docx")

    assert document.source_type == SourceType.ARTICLE
    assert [s.kind for s in document.sections] == ["paragraphs"]
    assert [b.text for b in document.blocks] == PROSE_PARAGRAPHS


def test_tracked_insertions_are_read_and_deletions_are_not():
    document = docx.Document()
    paragraph = document.add_paragraph("Mara opened the ")
    inserted = paragraph._p.makeelement(qn("w:ins"), {qn("w:id"): "1", qn("w:author"): "Ed"})
    inserted.append(paragraph.add_run("bakery ")._r)
    paragraph._p.append(inserted)
    deleted_run = paragraph.add_run()._r
    deleted_text = deleted_run.makeelement(qn("w:delText"), {})
    deleted_text.text = "shop "
    deleted_run.append(deleted_text)
    paragraph.add_run("door before dawn and waited for the first customer to arrive.")
    result = normalise(saved(document))
    assert result.blocks[0].text == (
        "Mara opened the bakery door before dawn and waited for the first customer to arrive."
    )


def test_screenplay_typed_in_word_is_read_as_a_script():
    document = docx.Document()
    for line in [
        "INT. KITCHEN - NIGHT",
        "RUTH (60s) scrubs a pan that is already clean.",
        "RUTH",
        "You're late.",
        "EXT. GARDEN - CONTINUOUS",
        "DANIEL",
        "(quietly)",
        "She never asks why.",
    ]:
        document.add_paragraph(line)
    result = normalise(saved(document), filename="kitchen.docx")
    assert result.source_type == SourceType.SCRIPT
    assert [s.location for s in result.sections] == ["Kitchen", "Garden"]
    assert (result.blocks[3].kind, result.blocks[3].speaker) == (BlockKind.DIALOGUE, "RUTH")


def test_truncated_word_document_is_damaged():
    data = word_document()
    error = error_of(data[: len(data) - 200], filename="keeper.docx")
    assert error.code == "CORRUPT_FILE"
    assert error.user_message.startswith("This Word document is damaged")


def test_oversized_word_document_fails_with_its_own_code():
    buffer = io.BytesIO(word_document())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/media/video.bin", zlib.compress(bytes(range(256)) * 8192))
    error = error_of(buffer.getvalue(), limits=IngestLimits(max_uncompressed_bytes=1 * MB))
    assert error.code == "ZIP_TOO_LARGE"


# End to end through the worker ------------------------------------------------------------


@pytest.mark.django_db
def test_deck_upload_completes_through_the_worker(make_job):
    job = make_job(saved(lighthouse_deck()), filename="lighthouse.pptx")
    run_until_idle()
    row = reload(job)
    assert row.status == QueueStatus.COMPLETED, row.error_message_dev
    assert row.source_type == "pptx"
    assert row.output_universe.cards.count() >= 1


@pytest.mark.django_db
def test_word_upload_completes_through_the_worker(make_job):
    job = make_job(word_document(), filename="keeper.docx")
    run_until_idle()
    row = reload(job)
    assert row.status == QueueStatus.COMPLETED, row.error_message_dev
    assert row.source_type == "article"


@pytest.mark.django_db
def test_zip_bomb_upload_fails_at_stage_0_and_keeps_the_file_for_a_retry(make_job, zip_bomb):
    job = make_job(zip_bomb, filename="quarterly.pptx")
    run_until_idle()
    row = reload(job)
    assert (row.status, row.current_stage, row.error_code) == (QueueStatus.FAILED, 0, "ZIP_BOMB")
    assert row.attempt == 1  # permanent: not retried
    assert row.source_file.storage.exists(row.source_file.name)
