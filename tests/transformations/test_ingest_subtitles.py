"""Stage 0 for subtitles: SRT and WebVTT cues to timed speaker turns and segments."""

from __future__ import annotations

import pytest

from jobqueue.models import QueueStatus
from tests.helpers import reload, run_until_idle
from transformations.ingest import detect, normalise
from transformations.ingest.subtitles import parse_srt, parse_timestamp, parse_webvtt
from transformations.pipeline.errors import IngestError
from transformations.pipeline.types import BlockKind, SourceType

# A film's subtitles: no speakers, names only as vocatives, "- " marks a new speaker.
FERRY_SRT = b"""1
00:00:01,000 --> 00:00:03,500
Mara, wait!

2
00:00:03,600 --> 00:00:05,000
- Where are you going?
- Home, Tomas.

3
00:00:05,100 --> 00:00:07,000
<i>The ferry leaves</i>

4
00:00:07,100 --> 00:00:09,000
at midnight, and I
will be on it.

5
00:00:15,000 --> 00:00:16,500
[door slams]

6
00:00:17,000 --> 00:00:19,000
{\\an8}Tomas, you can't just leave her.
"""

# Exported by a tool that writes "." milliseconds and forgets blank lines.
PACKED_SRT = b"""1
00:00:01.000 --> 00:00:02.500
The lamp is out again.
2
00:00:02.600 --> 00:00:04.000
Then light it, Ewan.
3
00:00:04.100 --> 00:00:06.000
With what? The oil's gone.
4
00:01:30.000 --> 00:01:32.000
Morning came grey over the harbour.
5
00:01:32.100 --> 00:01:34.000
Nobody had slept, Maggie least of all.
"""

MESSY_VTT = b"""WEBVTT - The Harbour Interview
Kind: captions
Language: en

NOTE exported by hand,
and the note runs over two lines

STYLE
::cue { color: yellow }

intro
00:00:01.000 --> 00:00:04.000 align:start position:10%
<v Mara>Welcome back to the harbour.</v> <v.loud Tomas>Glad to be here.</v>

00:00:04.500 --> 00:00:07.000
<v Mara>You measured the river
for ten years, <i>every</i> spring.

00:00:07.200 --> 00:00:08.000

00:00:08.100 --> 00:00:10.000
<v Mara><c.yellow>Was it worth it?</c>
<v Tomas>Every <00:00:09.000>single day &amp; night.
00:00:10.100 --> 00:00:12.000
<v Tomas>The flood came three weeks early.

NOTE a note between cues

00:00:12.500 --> 00:00:14.000
<v Mara>Who warned the town?</v>
"""


def clean_vtt() -> bytes:
    """Two conversations a minute apart, each speaker's line in its own cue."""
    cues = ["WEBVTT", ""]
    lines = [
        ("Ana", "The bell rang at six, as it always does."),
        ("Ben", "And nobody came to the pier?"),
        ("Ana", "Nobody. The fog was too thick for the boats."),
        ("Ben", "So the ferry stayed in the harbour all day."),
        ("Ana", "All day, and the next one too."),
    ]
    for offset in (0, 120):
        for position, (speaker, line) in enumerate(lines):
            start = offset + position * 4
            cues += [
                f"00:{start // 60:02d}:{start % 60:02d}.000 --> "
                f"00:{start // 60:02d}:{start % 60 + 3:02d}.000",
                f"<v {speaker}>{line}</v>",
                "",
            ]
    return "\n".join(cues).encode()


def turns(document) -> list[tuple[str, str]]:
    return [(b.speaker, b.text) for b in document.blocks if b.kind == BlockKind.SPEAKER_TURN]


# SRT ------------------------------------------------------------------------------------


def test_srt_dash_prefixes_split_speakers_and_cues_of_one_sentence_join():
    detection = detect(FERRY_SRT, filename="ferry.srt")
    assert (detection.source_type, detection.format) == (SourceType.TRANSCRIPT, "srt")
    assert detection.confidence >= 0.95

    document = normalise(FERRY_SRT, filename="ferry.srt")
    assert len(document.sections) == 1
    assert turns(document) == [
        ("", "Mara, wait!"),
        ("", "Where are you going?"),
        ("", "Home, Tomas."),
        ("", "The ferry leaves at midnight, and I will be on it."),
        ("", "Tomas, you can't just leave her."),
    ]
    joined = document.blocks[3]
    assert (joined.start_ms, joined.end_ms) == (5_100, 9_000)
    sound = next(b for b in document.blocks if b.kind == BlockKind.PARAGRAPH)
    assert (sound.text, sound.speaker) == ("[door slams]", "")
    assert document.metadata["dash_turn_count"] == 2
    assert document.metadata["cue_count"] == 6


def test_srt_with_dot_milliseconds_and_no_blank_lines():
    detection = detect(PACKED_SRT)
    assert (detection.source_type, detection.format) == (SourceType.TRANSCRIPT, "srt")
    assert 0.9 <= detection.confidence <= 1.0

    document = normalise(PACKED_SRT, filename="harbour.srt")
    texts = [text for _, text in turns(document)]
    # The cue numbers glued to the text are identifiers, not dialogue.
    assert texts[:3] == [
        "The lamp is out again.",
        "Then light it, Ewan.",
        "With what? The oil's gone.",
    ]
    assert not any(text.endswith((" 2", " 3")) for text in texts)
    # The 86-second silence does not split two cues that short, but timings survive.
    assert document.blocks[3].start_ms == 90_000
    assert document.metadata["duration_ms"] == 94_000


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        ("00:00:01,000", 1_000),
        ("01:02:03.5", 3_723_500),
        ("02:03.250", 123_250),
        ("1:00:00:040", 3_600_040),
        ("nonsense", 0),
    ],
)
def test_timestamps_in_every_spelling(value, ms):
    assert parse_timestamp(value) == ms


def test_deaf_and_hard_of_hearing_labels_name_the_speaker():
    parsed = parse_srt(
        "1\n00:00:01,000 --> 00:00:02,000\nMARY: Where were you?\n\n"
        "2\n00:00:02,100 --> 00:00:03,000\nJOHN: Out.\n"
    )
    assert [(b.speaker, b.text) for b in parsed.blocks] == [
        ("MARY", "Where were you?"),
        ("JOHN", "Out."),
    ]


# WebVTT ---------------------------------------------------------------------------------


def test_messy_webvtt_keeps_voices_and_drops_headers_notes_and_tags():
    detection = detect(MESSY_VTT)
    assert (detection.source_type, detection.format) == (SourceType.TRANSCRIPT, "webvtt")
    assert detection.confidence == 0.99

    document = normalise(MESSY_VTT, filename="interview.vtt")
    assert document.title == "The Harbour Interview"
    assert len(document.sections) == 1
    assert document.sections[0].title == "Mara: Welcome back to the harbour."
    assert turns(document) == [
        ("Mara", "Welcome back to the harbour."),
        ("Tomas", "Glad to be here."),
        ("Mara", "You measured the river for ten years, every spring. Was it worth it?"),
        ("Tomas", "Every single day & night. The flood came three weeks early."),
        ("Mara", "Who warned the town?"),
    ]
    # Two voices in one cue share its timing; joined cues span first start to last end.
    assert [(b.start_ms, b.end_ms) for b in document.blocks[:4]] == [
        (1_000, 4_000),
        (1_000, 4_000),
        (4_500, 10_000),
        (8_100, 12_000),
    ]
    text = " ".join(b.text for b in document.blocks)
    assert "Kind" not in text and "NOTE" not in text and "cue {" not in text
    assert document.metadata["voice_span_count"] == 7
    assert document.metadata["speaker_count"] == 2


def test_a_voice_named_by_first_name_only_merges_into_the_full_name():
    parsed = parse_webvtt(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ilse Brandt>Log entry, midnight.\n\n"
        "00:00:02.500 --> 00:00:04.000\n<v Corin>The light is out.\n\n"
        "00:00:04.500 --> 00:00:06.000\n<v Ilse>Stopped flashing, or stopped altogether?\n"
    )
    assert [b.speaker for b in parsed.blocks] == ["Ilse Brandt", "Corin", "Ilse Brandt"]


def test_clean_webvtt_is_segmented_at_the_long_silence():
    document = normalise(clean_vtt(), filename="fog.vtt")
    assert document.source_type == SourceType.TRANSCRIPT
    assert len(document.sections) == 2
    assert [s.kind for s in document.sections] == ["segment", "segment"]
    assert document.sections[1].title == "Ana: The bell rang at six, as it…"
    first = [b for b in document.blocks if b.section == 0]
    assert len(first) == 5
    assert {b.speaker for b in document.blocks} == {"Ana", "Ben"}
    assert document.blocks[5].start_ms == 120_000


def test_webvtt_without_any_cue_text_has_no_story():
    with pytest.raises(IngestError) as caught:
        normalise(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:03.000 --> 00:00:04.000\n")
    assert caught.value.code == "NO_STORY_FOUND"


# End to end -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_webvtt_transcript_runs_to_a_universe_with_the_voices_as_characters(make_job):
    job = make_job(clean_vtt(), filename="fog.vtt")
    run_until_idle()
    job = reload(job)
    assert job.status == QueueStatus.COMPLETED, job.error_message_dev
    assert job.source_type == "transcript"
    universe = job.output_universe
    names = set(universe.characters.values_list("name", flat=True))
    assert {"Ana", "Ben"} <= names
    assert universe.cards.count() >= 2
