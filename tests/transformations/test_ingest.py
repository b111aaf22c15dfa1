"""Stage 0: detection by content, decoding, the format parsers and their error codes."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from transformations.ingest import IngestLimits, detect, normalise
from transformations.ingest.screenplay import parse_scene_heading
from transformations.pipeline.errors import IngestError
from transformations.pipeline.types import BlockKind, SourceType

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "time-spent"

SCREENPLAY = b"""INT. KITCHEN - NIGHT

RUTH (60s) scrubs a pan that is already clean.

RUTH
You're late.

DANIEL (O.S.)
The train stopped outside the tunnel.

Daniel comes in, soaked.

RUTH
(not turning)
It always stops outside the tunnel.

CUT TO:

EXT. GARDEN - CONTINUOUS

Daniel stands in the rain and looks at the lit window.

DANIEL
She never asks why.
"""

TRANSCRIPT = b"""ALICE: Welcome back to the show.
BEN: Thanks. Glad to be here.
ALICE: You measured the river for ten years.
BEN: Every spring, yes. This year the flood came early.
ALICE: How early?
BEN: Three weeks. Nobody was ready.
"""

PROSE = (
    b"The rain had not stopped for three days. Mara watched it from the window of the "
    b"bakery, counting the umbrellas that passed.\n\n"
    b'"You will wear out the glass," said Old Tomas, dusting flour from his hands.\n\n'
    b"She laughed and turned back to the ovens, but her eyes kept drifting to the street.\n"
)


def make_zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def pack_bytes(**overrides) -> bytes:
    pack = {
        "format": "storyengine.pack/v1",
        "title": "Two Cards",
        "logline": "A short pack.",
        "characters": [{"name": "Ana", "description": "A ferry pilot."}],
        "locations": [{"name": "The Pier", "description": "Wet planks."}],
        "cards": [
            {
                "title": "One",
                "sceneText": "Ana ties the boat. The fog rolls in slowly.",
                "location": "The Pier",
                "characters": ["Ana"],
            },
            {"title": "Two", "sceneText": "Ana waits for the bell. Nobody rings it tonight."},
        ],
    }
    pack.update(overrides)
    return json.dumps(pack).encode()


def error_code(data: bytes, **kwargs) -> str:
    with pytest.raises(IngestError) as caught:
        normalise(data, **kwargs)
    return caught.value.code


# Detection -----------------------------------------------------------------------------


def test_pdf_is_detected_by_magic_bytes_whatever_its_name():
    detection = detect(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", filename="notes.txt")
    assert detection.source_type == SourceType.PDF
    assert detection.format == "pdf"


def test_pptx_is_detected_from_its_zip_parts():
    deck = make_zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "ppt/presentation.xml": b"<p:presentation/>",
            "ppt/slides/slide1.xml": b"<p:sld/>",
        }
    )
    detection = detect(deck)
    assert detection.source_type == SourceType.PPTX
    assert "1 slides" in detection.reason


def test_zip_without_presentation_parts_is_unknown():
    detection = detect(make_zip({"notes/readme.txt": b"hello"}))
    assert detection.source_type == SourceType.UNKNOWN
    assert detection.format == "zip"


def test_html_is_detected_as_an_article():
    html = b"<!DOCTYPE html><html><head><title>T</title></head><body><p>Hi</p></body></html>"
    detection = detect(html)
    assert (detection.source_type, detection.format) == (SourceType.ARTICLE, "html")


def test_webvtt_is_detected_by_its_header():
    vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ana>Hello there.\n"
    detection = detect(vtt)
    assert (detection.source_type, detection.format) == (SourceType.TRANSCRIPT, "webvtt")


def test_srt_is_detected_by_its_timing_lines():
    srt = b"1\n00:00:01,000 --> 00:00:02,500\nHello.\n\n2\n00:00:03,000 --> 00:00:04,000\nBye.\n"
    detection = detect(srt)
    assert (detection.source_type, detection.format) == (SourceType.TRANSCRIPT, "srt")


def test_fountain_with_title_page_is_a_script():
    detection = detect((SAMPLES / "time-spent.fountain").read_bytes())
    assert (detection.source_type, detection.format) == (SourceType.SCRIPT, "fountain")
    assert detection.confidence >= 0.95
    assert "title page" in detection.reason


def test_plain_screenplay_is_a_script_without_fountain_markup():
    detection = detect(SCREENPLAY)
    assert (detection.source_type, detection.format) == (SourceType.SCRIPT, "plain-screenplay")


def test_speaker_lines_are_a_transcript():
    detection = detect(TRANSCRIPT)
    assert (detection.source_type, detection.format) == (
        SourceType.TRANSCRIPT,
        "speaker-transcript",
    )


def test_markdown_headings_make_an_article():
    text = b"# Title\n\nIntro paragraph.\n\n## Part one\n\nSome text here.\n"
    detection = detect(text)
    assert (detection.source_type, detection.format) == (SourceType.ARTICLE, "markdown")


def test_plain_prose_is_an_article():
    detection = detect(PROSE)
    assert (detection.source_type, detection.format) == (SourceType.ARTICLE, "prose")


def test_story_pack_reports_its_declared_source_type():
    assert detect(pack_bytes()).source_type == SourceType.ARTICLE
    scripted = detect(pack_bytes(sourceType="script"))
    assert (scripted.source_type, scripted.format) == (SourceType.SCRIPT, "story-pack")


def test_binary_junk_is_unknown():
    junk = bytes((i * 37 + 11) % 256 for i in range(4096))
    assert detect(junk).source_type == SourceType.UNKNOWN
    assert detect(b"\x89PNG\r\n\x1a\n" + junk).format == "png"


def test_empty_and_blank_files_are_unknown():
    assert detect(b"").format == "empty"
    assert detect(b"  \n\t\n").format == "empty"


def test_clearer_evidence_gives_higher_confidence():
    mixed = TRANSCRIPT + b"\nThis paragraph is narration, not a turn.\n\nNor is this one.\n"
    assert detect(TRANSCRIPT).confidence > detect(mixed).confidence
    two_cues = b"ANA\nHello.\n\nBEN\nHi.\n\nANA\nBye.\n"
    assert detect(SCREENPLAY).confidence > detect(two_cues).confidence


def test_file_name_nudges_confidence_but_content_decides_the_type():
    plain = detect(SCREENPLAY)
    agreeing = detect(SCREENPLAY, filename="draft.fountain")
    disagreeing = detect(SCREENPLAY, filename="notes.md")
    assert agreeing.confidence > plain.confidence > disagreeing.confidence
    assert disagreeing.source_type == SourceType.SCRIPT
    assert agreeing.format == "fountain"


# Decoding ------------------------------------------------------------------------------


def test_utf16_with_bom_is_decoded():
    document = normalise(PROSE.decode().encode("utf-16"))
    assert document.blocks[0].text.startswith("The rain had not stopped")


def test_windows_1252_text_is_decoded():
    data = "Café owner Zoë said “wait” — then she left the room and never came back.".encode(
        "cp1252"
    )
    document = normalise(data)
    assert document.metadata["encoding"] == "cp1252"
    assert "Café owner Zoë said “wait” — then" in document.blocks[0].text


def test_windows_newlines_and_nuls_are_cleaned():
    document = normalise(
        SCREENPLAY.replace(b"\n", b"\r\n").replace(b"RUTH (60s)", b"RU\x00TH (60s)")
    )
    assert document.source_type == SourceType.SCRIPT
    assert "RUTH (60s)" in document.blocks[1].text


# Errors --------------------------------------------------------------------------------


def test_empty_file_fails_with_its_own_code():
    assert error_code(b"") == "EMPTY_FILE"
    assert error_code(b" \n \n") == "EMPTY_FILE"


def test_oversized_file_fails_before_parsing():
    assert error_code(PROSE, limits=IngestLimits(max_bytes=50)) == "FILE_TOO_LARGE"


def test_too_many_characters_fails_after_decoding():
    assert error_code(PROSE, limits=IngestLimits(max_chars=40)) == "TOO_MUCH_TEXT"


def test_unrecognised_binary_fails_as_unknown_format():
    assert error_code(bytes(range(256)) * 8) == "UNKNOWN_FORMAT"


def test_detected_but_unreadable_formats_say_so():
    final_draft = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<FinalDraft DocumentType="Script">'
        b'<Content><Paragraph Type="Scene Heading"><Text>INT. ROOM - DAY</Text></Paragraph>'
        b"</Content></FinalDraft>"
    )
    with pytest.raises(IngestError) as caught:
        normalise(final_draft, filename="draft.fdx")
    assert caught.value.code == "FORMAT_NOT_SUPPORTED_YET"
    assert caught.value.user_message.startswith("Final Draft files can be detected but not")


def test_damaged_zip_is_reported_as_corrupt():
    assert error_code(b"PK\x03\x04" + b"\x00garbage" * 20) == "CORRUPT_FILE"


def test_text_without_a_story_fails():
    assert error_code(b"Hello there.") == "NO_STORY_FOUND"


def test_malformed_pack_names_the_broken_field():
    cards = [{"title": "One", "sceneText": "Fine."}, {"title": "Two"}]
    with pytest.raises(IngestError) as caught:
        normalise(pack_bytes(cards=cards))
    assert caught.value.code == "INVALID_STORY_PACK"
    assert "cards[1].sceneText" in caught.value.user_message


def test_pack_card_naming_an_unknown_character_is_refused():
    cards = [{"title": "One", "sceneText": "Anna waits.", "characters": ["Anna"]}]
    with pytest.raises(IngestError) as caught:
        normalise(pack_bytes(cards=cards))
    assert "cards[0].characters" in caught.value.user_message
    assert "Ana" in caught.value.user_message


def test_pack_that_is_not_valid_json_reports_the_position():
    with pytest.raises(IngestError) as caught:
        normalise(b'{"format": "storyengine.pack/v1", "cards": [}')
    assert caught.value.code == "INVALID_STORY_PACK"
    assert "line 1" in caught.value.user_message


# Parsers -------------------------------------------------------------------------------


def test_time_spent_fountain_has_five_scenes_with_locations():
    document = normalise(
        (SAMPLES / "time-spent.fountain").read_bytes(), filename="time-spent.fountain"
    )
    assert document.title == "Time Spent"
    assert [s.location for s in document.sections] == [
        "Coffee Shop",
        "Halvorsen Watch Repair",
        "Coffee Shop",
        "Elena's Apartment",
        "Coffee Shop",
    ]
    assert [s.int_ext for s in document.sections] == ["INT", "INT", "EXT", "INT", "INT"]
    assert document.sections[2].time_of_day == "NIGHT"
    assert document.sections[0].title == "Coffee Shop — Day"
    assert all(block.section in range(5) for block in document.blocks)
    assert document.char_count > 5000
    assert document.metadata["scene_heading_count"] == 5


def test_cue_extensions_are_stripped_into_the_speaker():
    document = normalise((SAMPLES / "time-spent.fountain").read_bytes())
    cues = {b.text: b.speaker for b in document.blocks if b.kind == BlockKind.CHARACTER_CUE}
    assert cues["MARCUS (V.O.)"] == "MARCUS"
    assert cues["ELENA (CONT'D)"] == "ELENA"
    parentheticals = [b for b in document.blocks if b.kind == BlockKind.PARENTHETICAL]
    assert any(b.speaker == "MARCUS" and "answering machine" in b.text for b in parentheticals)


def test_boneyard_and_notes_never_reach_the_document():
    document = normalise((SAMPLES / "time-spent.fountain").read_bytes())
    text = " ".join(block.text for block in document.blocks)
    assert "Alternate opening" not in text
    assert "table read" not in text


def test_forced_heading_and_forced_cue_are_honoured():
    text = b".THE ROOFTOP\n\nWind.\n\n@McCLANE\nCome out to the coast.\n\n@Holly\nNo.\n"
    document = normalise(text, filename="scene.fountain")
    assert document.sections[0].title == "The Rooftop"
    speakers = [b.speaker for b in document.blocks if b.kind == BlockKind.DIALOGUE]
    assert speakers == ["McCLANE", "Holly"]


@pytest.mark.parametrize(
    ("heading", "int_ext", "location", "time_of_day", "title"),
    [
        ("INT. COFFEE SHOP - DAY", "INT", "Coffee Shop", "DAY", "Coffee Shop — Day"),
        ("EXT. COFFEE SHOP \u2013 NIGHT", "EXT", "Coffee Shop", "NIGHT", "Coffee Shop — Night"),
        ("INT./EXT. CAR - MOVING", "INT/EXT", "Car", "", "Car, Moving"),
        ("I/E THE HARBOUR - DAWN #12A#", "INT/EXT", "The Harbour", "DAWN", "The Harbour — Dawn"),
        (
            "INT. ELENA'S APARTMENT - KITCHEN - NIGHT",
            "INT",
            "Elena's Apartment",
            "NIGHT",
            "Elena's Apartment, Kitchen — Night",
        ),
        (".FLASHBACK", "", "", "", "Flashback"),
    ],
)
def test_scene_heading_is_split_into_setting_place_and_time(
    heading, int_ext, location, time_of_day, title
):
    parsed = parse_scene_heading(heading)
    assert (parsed.int_ext, parsed.location, parsed.time_of_day, parsed.title) == (
        int_ext,
        location,
        time_of_day,
        title,
    )


def test_transcript_turns_are_grouped_into_segments():
    lines = [f"{'ALICE' if i % 2 else 'Ben'}: Turn number {i} of the talk." for i in range(30)]
    document = normalise("\n".join(lines).encode())
    assert document.source_type == SourceType.TRANSCRIPT
    sizes = [sum(1 for b in document.blocks if b.section == s.index) for s in document.sections]
    assert sizes == [12, 12, 6]
    assert {b.speaker for b in document.blocks} == {"ALICE", "Ben"}


def test_long_transcript_is_regrouped_within_the_section_limit():
    lines = [f"{'Ann' if i % 2 else 'Bo'}: Point number {i} about the tides." for i in range(120)]
    document = normalise("\n".join(lines).encode(), limits=IngestLimits(max_sections=4))
    assert len(document.sections) == 3
    assert {b.section for b in document.blocks} == {0, 1, 2}


def test_too_many_author_sections_fail_with_their_own_code():
    scenes = b"".join(b"INT. ROOM %d - DAY\n\nANA\nLine %d here.\n\n" % (i, i) for i in range(3))
    assert error_code(scenes, limits=IngestLimits(max_sections=2)) == "TOO_MANY_SECTIONS"


def test_transcript_speaker_variants_merge_into_one_person():
    text = b"GUIDO: Hello.\nAnna: Hi Guido.\nGuido van Rossum: Shall we start?\nANNA: Yes.\n"
    document = normalise(text)
    assert {b.speaker for b in document.blocks} == {"Guido van Rossum", "Anna"}


def test_transcript_blank_line_gap_starts_a_new_segment():
    def turns(topic: str) -> str:
        return "\n".join(f"{'Ann' if i % 2 else 'Bo'}: {topic} point {i}." for i in range(6))

    document = normalise(f"{turns('weather')}\n\n{turns('harbour')}".encode())
    assert len(document.sections) == 2
    assert document.sections[1].title.startswith("Bo: harbour point 0")


def test_markdown_headings_become_sections_and_the_top_heading_the_title():
    text = (
        b"# The Harbour\n\n## Morning\n\nBoats go out at [five](https://x.y).\n\n"
        b"## Evening\n\nThey come **back** slower.\n"
    )
    document = normalise(text)
    assert document.title == "The Harbour"
    assert [s.title for s in document.sections] == ["Morning", "Evening"]
    assert document.blocks[-1].text == "They come back slower."


def test_prose_chapters_become_sections():
    text = (
        b"Chapter 1\n\nIt began with rain, and it went on raining.\n\n"
        b"CHAPTER TWO\n\nThen came the wind, and the wind did not stop.\n"
    )
    document = normalise(text)
    assert [s.title for s in document.sections] == ["Chapter 1", "Chapter Two"]


def test_prose_without_headings_is_grouped_into_sections():
    paragraph = "She walked along the shore and counted the boats that came home late. " * 6
    text = "\n\n".join(paragraph.strip() for _ in range(12)).encode()
    document = normalise(text)
    assert document.source_type == SourceType.ARTICLE
    assert 2 <= len(document.sections) <= 6
    assert all(s.kind == "paragraphs" for s in document.sections)


def test_story_pack_keeps_each_card_as_a_section():
    document = normalise((SAMPLES / "time-spent.storypack.json").read_bytes())
    assert document.source_type == SourceType.SCRIPT
    assert document.pack is not None and len(document.pack.cards) == 5
    assert [s.kind for s in document.sections] == ["card"] * 5
    assert document.sections[0].title == "Seven Minutes Fast"
    assert document.sections[0].location == "The Coffee Shop"
    assert document.pack.characters[0].secret_info


def test_normalise_is_deterministic():
    data = (SAMPLES / "time-spent.fountain").read_bytes()
    assert normalise(data).model_dump() == normalise(data).model_dump()
