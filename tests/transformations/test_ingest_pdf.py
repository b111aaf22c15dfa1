"""Stage 0 for PDFs: documents, screenplays by layout, and every way a PDF can be refused.

Every fixture is written by the test with fpdf2 (or by hand, for the bomb), so
what each PDF holds and where each line sits is known exactly.
"""

from __future__ import annotations

import functools
import gc
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobqueue.models import QueueStatus
from tests.helpers import SAMPLES_DIR, reload, run_until_idle
from tests.transformations.pdf_fixtures import (
    CHAPTERS,
    SHORT_SCRIPT,
    handwritten_pdf,
    inflating_stream,
    render_flush_left,
    render_image_only_pages,
    render_prose,
    render_screenplay,
)
from transformations.ingest import IngestLimits, detect, normalise
from transformations.ingest.pdf import _may_be_screenplay, parse_pdf
from transformations.pipeline.errors import IngestError
from transformations.pipeline.types import BlockKind, SourceType
from universes.models import Universe


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """One stream that inflates to 300 MB."""
    return handwritten_pdf(inflating_stream(300))


@pytest.fixture(scope="module")
def bomb_in_parts() -> bytes:
    """Five streams of 30 MB: each under the one-stream limit, together over the total."""
    part = inflating_stream(30)
    return handwritten_pdf(*[part] * 5)


@functools.cache
def short_script_pdf() -> bytes:
    return render_screenplay(SHORT_SCRIPT)


def pdf_error(data: bytes, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as caught:
        normalise(data, **kwargs)
    return caught.value


def kinds_and_speakers(document, count: int) -> list[tuple[str, str]]:
    return [(block.kind.value, block.speaker) for block in document.blocks[:count]]


# Documents -----------------------------------------------------------------------------


def test_bookmarked_pdf_has_one_section_per_bookmark():
    document = normalise(render_prose(title="Northern Light"), filename="northern-light.pdf")

    assert document.source_type == SourceType.PDF
    assert document.parse_confidence >= 0.95
    assert document.title == "Northern Light"
    assert [s.title for s in document.sections] == [title for title, _ in CHAPTERS]
    assert {s.kind for s in document.sections} == {"heading"}
    assert [(b.kind, b.text) for b in document.blocks[:3]] == [
        (BlockKind.HEADING, "The Lighthouse Keeper"),
        (BlockKind.PARAGRAPH, CHAPTERS[0][1][0]),
        (BlockKind.PARAGRAPH, CHAPTERS[0][1][1]),
    ]
    assert document.metadata["sectioned_by"] == "outline"
    assert document.metadata["page_count"] == 3


def test_running_footers_never_reach_the_text():
    document = normalise(render_prose())
    assert not any("Page" in block.text for block in document.blocks)
    assert len(document.blocks) == 9  # three headings, six paragraphs


def test_pdf_without_bookmarks_or_headings_has_one_section_per_page():
    document = normalise(render_prose(bookmarks=False, headings=False))

    assert document.source_type == SourceType.PDF
    assert 0.85 <= document.parse_confidence < 0.99
    assert [(s.kind, s.title) for s in document.sections] == [
        ("page", "Page 1"),
        ("page", "Page 2"),
        ("page", "Page 3"),
    ]
    assert [b.text for b in document.blocks[:2]] == CHAPTERS[0][1]
    assert {b.kind for b in document.blocks} == {BlockKind.PARAGRAPH}


def test_large_type_makes_headings_when_there_are_no_bookmarks():
    document = normalise(render_prose(bookmarks=False))

    assert document.metadata["sectioned_by"] == "headings"
    assert [s.title for s in document.sections] == [title for title, _ in CHAPTERS]
    assert document.title == "The Lighthouse Keeper"  # no metadata title: the first heading


def test_many_pages_without_structure_are_grouped_within_the_section_limit():
    tides = ["low", "rising", "high", "turning", "falling", "slack", "spring", "neap", "king"]
    pages = [(tide, [f"The {tide} tide came in over the reef that night."]) for tide in tides]
    data = render_prose(pages, bookmarks=False, headings=False)
    document = normalise(data, limits=IngestLimits(max_sections=4))

    assert [s.title for s in document.sections] == ["Pages 1–3", "Pages 4–6", "Pages 7–9"]


def test_pdf_encrypted_with_an_empty_password_just_opens():
    document = normalise(render_prose(encrypt_with=""))
    assert document.source_type == SourceType.PDF
    assert document.metadata["encrypted"] == 1
    assert document.blocks[1].text == CHAPTERS[0][1][0]


# Screenplays ---------------------------------------------------------------------------


def test_screenplay_pdf_is_a_script_with_scenes_and_speakers():
    document = normalise(render_screenplay(SHORT_SCRIPT), filename="night-ferry.pdf")

    assert document.source_type == SourceType.SCRIPT
    assert document.parse_confidence >= 0.85
    assert document.title == "The Night Ferry"
    assert document.metadata["author"] == "Ana Lindqvist"
    assert [(s.kind, s.int_ext, s.location, s.time_of_day) for s in document.sections] == [
        ("scene", "INT", "Ferry Terminal", "NIGHT"),
        ("scene", "EXT", "Harbour Wall", "CONTINUOUS"),
    ]
    assert kinds_and_speakers(document, 9) == [
        ("scene_heading", ""),
        ("action", ""),
        ("character_cue", "RUTH"),
        ("dialogue", "RUTH"),
        ("character_cue", "DANIEL"),
        ("dialogue", "DANIEL"),
        ("action", ""),
        ("character_cue", "RUTH"),
        ("parenthetical", "RUTH"),
    ]
    assert document.blocks[1].text.startswith("Rain hammers the glass roof. RUTH (60s) waits")
    assert document.blocks[3].text == "You're late."
    transitions = [b.text for b in document.blocks if b.kind == BlockKind.TRANSITION]
    assert transitions == ["CUT TO:"]


def test_screenplay_pdf_reads_like_its_fountain_source():
    fountain = (SAMPLES_DIR / "time-spent.fountain").read_bytes()
    from_fountain = normalise(fountain)
    from_pdf = normalise(render_screenplay(fountain.decode()), filename="time-spent.pdf")

    assert from_pdf.source_type == SourceType.SCRIPT
    assert from_pdf.parse_confidence >= 0.9
    assert from_pdf.title == "Time Spent"
    assert from_pdf.metadata["page_count"] > 5  # speeches crossed page breaks
    assert [s.model_dump() for s in from_pdf.sections] == [
        s.model_dump() for s in from_fountain.sections
    ]
    assert [(b.kind, b.speaker, b.text) for b in from_pdf.blocks] == [
        (b.kind, b.speaker, b.text) for b in from_fountain.blocks
    ]


def test_scene_numbers_in_the_margins_are_not_read_as_text():
    document = normalise(render_screenplay(SHORT_SCRIPT, scene_numbers=True))
    headings = [b.text for b in document.blocks if b.kind == BlockKind.SCENE_HEADING]
    assert headings == ["INT. FERRY TERMINAL - NIGHT", "EXT. HARBOUR WALL - CONTINUOUS"]


def test_script_typed_flush_left_is_read_by_its_blank_lines():
    body = SHORT_SCRIPT.split("\n\n", 1)[1]  # no title page
    document = normalise(render_flush_left(body))

    assert document.source_type == SourceType.SCRIPT
    assert len(document.sections) == 2
    assert kinds_and_speakers(document, 4) == [
        ("scene_heading", ""),
        ("action", ""),
        ("character_cue", "RUTH"),
        ("dialogue", "RUTH"),
    ]


def test_prose_that_mentions_scene_headings_stays_a_pdf():
    chapters = [
        (
            "Notes on the Draft",
            [
                "The first scene was once written as INT. KITCHEN - NIGHT, but the writer "
                "later moved it outside, to EXT. GARDEN - DAY, because the light was better.",
                "Nothing else about the draft changed, and nobody speaks in it at all.",
            ],
        )
    ]
    document = normalise(render_prose(chapters))
    assert document.source_type == SourceType.PDF


# Detection by content ------------------------------------------------------------------


def test_real_pdf_named_txt_is_read_as_a_pdf():
    detection = detect(render_prose(), filename="chapters.txt")
    assert (detection.source_type, detection.format) == (SourceType.PDF, "pdf")
    document = normalise(render_prose(), filename="chapters.txt")
    assert document.source_type == SourceType.PDF
    assert len(document.sections) == 3


def test_text_file_named_pdf_is_read_as_text():
    prose = "\n\n".join(paragraph for _, paragraphs in CHAPTERS for paragraph in paragraphs)
    document = normalise(prose.encode(), filename="story.pdf", mime="application/pdf")
    assert document.source_type == SourceType.ARTICLE
    assert document.metadata["format"] == "prose"
    assert "disagrees" in document.metadata["detection_reason"]


# Failures ------------------------------------------------------------------------------


def test_password_protected_pdf_says_what_to_do():
    error = pdf_error(render_prose(encrypt_with="reader-secret"))
    assert error.code == "ENCRYPTED_FILE"
    assert error.user_message.startswith("This PDF is password-protected")
    assert "without a password" in error.user_message


def test_scanned_pdf_without_text_is_told_to_run_ocr():
    error = pdf_error(render_image_only_pages())
    assert error.code == "NO_TEXT_LAYER"
    assert "looks like a scan" in error.user_message
    assert "OCR" in error.user_message


def test_truncated_pdf_is_corrupt():
    data = render_prose()
    error = pdf_error(data[: len(data) // 2])
    assert error.code == "CORRUPT_FILE"
    assert error.dev_message  # the library's own words, for staff


def test_pdf_that_is_only_a_signature_is_corrupt():
    assert pdf_error(b"%PDF-1.4\n...").code == "CORRUPT_FILE"


def test_too_many_pages_is_refused_before_reading_them():
    error = pdf_error(render_prose(), limits=IngestLimits(max_pages=2))
    assert error.code == "TOO_MANY_PAGES"
    assert "3 pages; the limit is 2" in error.user_message


def test_too_much_text_stops_the_reading_early():
    error = pdf_error(render_prose(), limits=IngestLimits(max_chars=500))
    assert error.code == "TOO_MUCH_TEXT"
    assert "page 2" in error.user_message  # stopped before the last page


@pytest.mark.parametrize("fixture", ["bomb", "bomb_in_parts"])
def test_decompression_bomb_is_refused_with_bounded_memory(fixture, request):
    data = request.getfixturevalue(fixture)
    assert len(data) < 2 * 1024 * 1024  # hundreds of MB once inflated
    tracemalloc.start()
    try:
        with pytest.raises(IngestError) as caught:
            parse_pdf(data, IngestLimits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "PDF_TOO_COMPLEX"
    assert "Reduce file size" in caught.value.user_message
    assert peak < 150 * 1024 * 1024


def test_failed_pdfs_leave_no_memory_behind(bomb):
    failing = [bomb, render_prose(encrypt_with="secret"), render_prose()[:-600]]

    def fail_each_once() -> int:
        for data in failing:
            with pytest.raises(IngestError):
                parse_pdf(data, IngestLimits())
        gc.collect()  # tracebacks hold frames in cycles until the collector runs
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        fail_each_once()  # caches that live for the process fill up here
        settled = fail_each_once()
        later = [fail_each_once() for _ in range(3)][-1]
    finally:
        tracemalloc.stop()
    assert later - settled < 256 * 1024


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    damage=st.lists(
        st.tuples(st.integers(min_value=0, max_value=10**6), st.binary(min_size=1, max_size=8)),
        min_size=1,
        max_size=6,
    ),
    cut=st.one_of(st.none(), st.integers(min_value=10, max_value=10**6)),
)
def test_damaged_pdfs_end_in_a_document_or_a_coded_failure(damage, cut):
    data = bytearray(short_script_pdf())
    for offset, replacement in damage:
        position = offset % len(data)
        data[position : position + len(replacement)] = replacement
    if cut is not None:
        data = data[: cut % len(data) or 10]
    try:
        result = parse_pdf(bytes(data), IngestLimits())
    except IngestError as error:
        assert error.code in {
            "CORRUPT_FILE",
            "NO_TEXT_LAYER",
            "ENCRYPTED_FILE",
            "PDF_TOO_COMPLEX",
            "TOO_MANY_PAGES",
        }
        assert error.user_message
    else:
        assert result.parsed.blocks
        assert 0 <= result.confidence <= 1


# Through the whole pipeline ------------------------------------------------------------


@pytest.mark.django_db
def test_time_spent_screenplay_pdf_becomes_a_universe(make_job, time_spent_script):
    job = make_job(render_screenplay(time_spent_script.decode()), filename="time-spent.pdf")

    run_until_idle()

    row = reload(job)
    assert row.status == QueueStatus.COMPLETED, row.error_message_dev
    assert row.artifacts["0"]["detectedType"] == "script"
    assert len(row.artifacts["0"]["outlineSections"]) == 5
    universe = Universe.objects.get(pk=row.output_universe_id)
    assert {"elena", "marcus"} <= set(universe.characters.values_list("key", flat=True))
    assert universe.locations.filter(name__icontains="coffee shop").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "code"),
    [
        (render_prose(encrypt_with="reader-secret"), "ENCRYPTED_FILE"),
        (render_image_only_pages(), "NO_TEXT_LAYER"),
        (render_prose()[:-600], "CORRUPT_FILE"),
    ],
    ids=["encrypted", "scan", "truncated"],
)
def test_unreadable_pdf_fails_stage_0_and_keeps_the_source(make_job, data, code):
    job = make_job(data, filename="upload.pdf")

    run_until_idle()

    row = reload(job)
    assert row.status == QueueStatus.FAILED
    assert (row.current_stage, row.error_code, row.attempt) == (0, code, 1)
    assert row.error_message_user
    with row.source_file.open("rb") as stored:
        assert stored.read() == data  # kept for a retry once the creator fixes the file


def test_prose_lines_that_contain_int_or_ext_are_not_scene_headings():
    """ "Point", "West", "next", "Print" once looked like INT/EST/EXT headings, which sent
    long prose PDFs through the slow positional screenplay reading."""
    from transformations.ingest.pdf_reading import TextLine

    prose = [
        "Point before the rain, they walked.",
        "The best of the harbour lay west.",
        "next to the window stood a chair",
        "West of the river the fields began.",
        "Print it, she said.",
    ]
    page = [TextLine(text, 72.0, 700.0 - 14 * i, 11.0) for i, text in enumerate(prose)]
    assert not _may_be_screenplay([page] * 3)
    script = ["INT. HOUSE - DAY", "12 12INT. HALL - NIGHT", "12A EXT. PIER - DAWN"]
    headings = [TextLine(text, 108.0, 700.0 - 14 * i, 12.0) for i, text in enumerate(script)]
    assert _may_be_screenplay([headings])
