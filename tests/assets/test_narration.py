"""Narration: captions timed per phrase, espeak-ng through a subprocess, OpenAI speech in parts."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import stat
import struct
import sys
import wave
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assets.generators import narration
from assets.generators.base import AssetRequest, AssetSkipped, CardContext, StoryContext
from assets.generators.captions import MAX_CUE_WORDS, sentences_of, webvtt_for
from assets.generators.narration import (
    SPEECH_INPUT_LIMIT,
    local_narration,
    narration_text,
    openai_narration,
    read_wav,
    speech_parts,
)
from tests.fake_openai import (
    FAKE_SPEECH_SECONDS,
    Reply,
    error,
    speech_wav,
)
from tests.helpers import SAMPLES_DIR
from transformations.engines.journal import CallStatus, EngineSession
from transformations.pipeline.errors import EngineUnavailable, StageFailed

FAKE_MS = int(FAKE_SPEECH_SECONDS * 1000)
_TIMING_RE = re.compile(
    r"^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$"
)
_ENTITY_RE = re.compile(r"&(?!(?:amp|lt|gt);)")


def parse_webvtt(text: str) -> list[tuple[int, int, str]]:
    """Strict: header, blank-line separated cues, optional id, HH:MM:SS.mmm timings, escaped text.

    Returns (start_ms, end_ms, text) with lines joined by spaces and entities decoded.
    """
    assert text.startswith("WEBVTT\n"), text[:40]
    assert "\r" not in text and text.endswith("\n")
    blocks = text[: -len("\n")].split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues = []
    for block in blocks[1:]:
        lines = block.split("\n")
        if not _TIMING_RE.match(lines[0]):
            identifier = lines.pop(0)
            assert identifier and "-->" not in identifier
        timing = _TIMING_RE.match(lines[0])
        assert timing, block
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(part) for part in timing.groups())
        start = ((h1 * 60 + m1) * 60 + s1) * 1000 + ms1
        end = ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2
        payload = lines[1:]
        assert payload and all(line.strip() for line in payload), block
        joined = " ".join(payload)
        assert "<" not in joined and ">" not in joined and "-->" not in joined
        assert not _ENTITY_RE.search(joined), joined
        cues.append((start, end, html.unescape(joined)))
    return cues


def assert_tiles(cues: list[tuple[int, int, str]], duration_ms: int) -> None:
    assert cues[0][0] == 0
    assert cues[-1][1] == duration_ms
    for (_, end, _), (start, _, _) in pairwise(cues):
        assert start == end
    assert all(end > start for start, end, _ in cues)


def pack_card(index: int = 0) -> CardContext:
    pack = json.loads((SAMPLES_DIR / "time-spent.storypack.json").read_text())
    card = pack["cards"][index]
    return CardContext(
        day_index=index + 1,
        title=card["title"],
        scene_text=card["sceneText"],
        captions=tuple(card["captions"]),
        location_name=card["location"],
        characters=tuple(card["characters"]),
    )


def request_for(card: CardContext) -> AssetRequest:
    return AssetRequest(
        asset_type="narration",
        key=f"narration:{card.day_index}",
        story=StoryContext(title="Time Spent"),
        card=card,
        seed=f"narration:{card.day_index}",
    )


def wav_duration_ms(data: bytes) -> int:
    with wave.open(io.BytesIO(data), "rb") as audio:
        return round(1000 * audio.getnframes() / audio.getframerate())


# --- captions ---------------------------------------------------------------------------


def test_captions_are_valid_webvtt_that_tile_the_audio_phrase_by_phrase():
    text = narration_text(pack_card())

    cues = parse_webvtt(webvtt_for(text, 95_000))

    assert_tiles(cues, 95_000)
    assert " ".join(cue for _, _, cue in cues).split() == text.split()
    assert all(len(cue.split()) <= MAX_CUE_WORDS for _, _, cue in cues)
    assert cues[0][2] == "Seven Minutes Fast."


def test_long_sentences_are_cut_at_their_clauses():
    sentence = (
        "She slid the cup across the counter, but he did not take it, because he was "
        "looking past her at the clock; it was seven minutes fast, as it always was."
    )

    cues = [cue for _, _, cue in parse_webvtt(webvtt_for(sentence, 10_000))]

    assert len(cues) > 1
    assert all(len(cue.split()) <= MAX_CUE_WORDS for cue in cues)
    assert all(cue.endswith((",", ";", ".")) for cue in cues)


def test_longer_phrases_get_more_time():
    cues = parse_webvtt(webvtt_for("Yes.\n\nThe watch repairer polished the crystal slowly.", 6000))

    (_, short_end, _), (long_start, long_end, _) = cues
    assert short_end < long_end - long_start


def test_cue_text_is_escaped():
    text = "Fish & chips <b>tonight</b> --> later."

    raw = webvtt_for(text, 2000)
    cues = parse_webvtt(raw)

    assert "&amp;" in raw and "&lt;b&gt;" in raw and "--&gt;" in raw
    assert cues[0][2] == text


def test_audio_too_short_for_every_phrase_still_gives_valid_cues():
    text = "One. Two. Three. Four. Five."

    cues = parse_webvtt(webvtt_for(text, 3))

    assert_tiles(cues, 3)
    assert " ".join(cue for _, _, cue in cues) == text


def test_no_text_or_no_audio_gives_an_empty_file():
    assert webvtt_for("", 1000) == "WEBVTT\n"
    assert webvtt_for("Words.", 0) == "WEBVTT\n"


def test_sentences_keep_their_closing_quotes():
    assert sentences_of('He said "Go." Then he left. Mrs. Abernathy stayed (quietly.) Fin.') == [
        'He said "Go."',
        "Then he left.",
        "Mrs. Abernathy stayed (quietly.)",
        "Fin.",
    ]


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("abcdefgh XYZ 019 .,;:!?—-\"'“”()&<>\n")), max_size=400
    ),
    duration_ms=st.integers(min_value=1, max_value=10_000_000),
)
def test_any_text_gives_valid_webvtt_covering_the_duration(text, duration_ms):
    cues = parse_webvtt(webvtt_for(text, duration_ms))

    if text.split():
        assert_tiles(cues, duration_ms)
    assert " ".join(cue for _, _, cue in cues).split() == text.split()


# --- what is read -----------------------------------------------------------------------


def test_the_title_and_scene_are_read_and_the_captions_are_not():
    card = pack_card()

    text = narration_text(card)

    assert text.startswith("Seven Minutes Fast.\n\nThe bell over the door")
    assert text.split() == f"{card.title}. {card.scene_text}".split()
    assert "A brass clock that runs early, on purpose." not in text


def test_a_card_without_scene_text_is_read_from_its_captions():
    card = CardContext(day_index=2, title="Ten Past Four!", captions=("A watch.", "A shop."))

    assert narration_text(card) == "Ten Past Four!\n\nA watch.\n\nA shop."


def test_a_card_without_words_is_skipped(settings):
    with pytest.raises(AssetSkipped) as skipped:
        local_narration(request_for(CardContext(day_index=1, title=" ")), EngineSession.detached())

    assert skipped.value.code == "NOTHING_TO_NARRATE"


def test_speech_parts_fit_the_limit_and_cut_between_sentences():
    sentence = "The clock above the espresso machine ran seven minutes fast. "
    text = "Title.\n\n" + sentence * 200 + "\n\n" + "word " * 1200

    parts = speech_parts(text)

    assert all(len(part) <= SPEECH_INPUT_LIMIT for part in parts)
    assert " ".join(parts).split() == text.split()
    assert all(part.endswith((".", "word")) for part in parts)


# --- local: espeak-ng -------------------------------------------------------------------


def test_without_espeak_the_narration_is_skipped_not_failed(settings):
    settings.ESPEAK_BINARY = "espeak-ng-is-not-installed-here"

    with pytest.raises(AssetSkipped) as skipped:
        local_narration(request_for(pack_card()), EngineSession.detached())

    assert skipped.value.code == "NO_LOCAL_SPEECH"
    assert "espeak-ng" in skipped.value.reason


FAKE_SYNTHESISER = """#!{python}
# A stand-in for espeak-ng: 10 ms of silence per character of the text file, 16 kHz mono.
import json, sys, time, wave
args = sys.argv[1:]
with open({log!r}, "w") as log:
    json.dump(args, log)
behaviour = {behaviour!r}
if behaviour == "fail":
    sys.stderr.write("espeak-ng: voice not found")
    sys.exit(1)
if behaviour == "hang":
    time.sleep(30)
text = open(args[args.index("-f") + 1], encoding="utf-8").read()
with open({text_log!r}, "w", encoding="utf-8") as copy:
    copy.write(text)
with wave.open(args[args.index("-w") + 1], "wb") as audio:
    audio.setnchannels(1)
    audio.setsampwidth(2)
    audio.setframerate(16000)
    audio.writeframes(b"\\0\\0" * 160 * len(text))
"""


@pytest.fixture
def fake_synthesiser(settings, tmp_path):
    def install(behaviour: str = "speak"):
        script = tmp_path / "fake-espeak-ng"
        script.write_text(
            FAKE_SYNTHESISER.format(
                python=sys.executable,
                log=str(tmp_path / "argv.json"),
                text_log=str(tmp_path / "text.txt"),
                behaviour=behaviour,
            )
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        settings.ESPEAK_BINARY = str(script)
        return tmp_path

    return install


def test_the_local_synthesiser_gets_the_text_from_a_file_and_writes_a_wav(fake_synthesiser):
    folder = fake_synthesiser()
    # Words that look like options must stay words.
    card = CardContext(day_index=3, title="--help", scene_text="-w /etc/passwd. Then silence.")
    progress = []
    session = EngineSession(job_key="t", stage=0, progress=lambda *step: progress.append(step))

    asset = local_narration(request_for(card), session)

    args = json.loads((folder / "argv.json").read_text())
    assert "--help" not in args and "/etc/passwd" not in " ".join(args)
    assert args[args.index("-v") + 1] == "en"
    spoken = (folder / "text.txt").read_text(encoding="utf-8")
    assert spoken == narration_text(card) == "--help.\n\n-w /etc/passwd. Then silence."
    wav = asset.files["main"].content
    assert (asset.files["main"].extension, asset.files["main"].content_type) == ("wav", "audio/wav")
    assert wav_duration_ms(wav) == asset.metadata["duration_ms"] == 10 * len(spoken)
    assert asset.metadata == {
        "duration_ms": 10 * len(spoken),
        "voice": "en",
        "engine": "local",
        "format": "wav",
        "captions": "phrase",
        "synthesiser": "espeak-ng",
    }
    captions = asset.files["captions"]
    assert (captions.extension, captions.content_type) == ("vtt", "text/vtt")
    assert_tiles(parse_webvtt(captions.content.decode()), asset.metadata["duration_ms"])
    assert progress[-1] == (1, 1, "narration ready")


def test_a_failing_synthesiser_fails_the_asset_with_its_message(fake_synthesiser):
    fake_synthesiser("fail")

    with pytest.raises(StageFailed) as failed:
        local_narration(request_for(pack_card()), EngineSession.detached())

    assert failed.value.code == "LOCAL_SPEECH_FAILED"
    assert "voice not found" in failed.value.dev_message


def test_a_hung_synthesiser_is_stopped_and_retried_later(fake_synthesiser, monkeypatch):
    fake_synthesiser("hang")
    monkeypatch.setattr(narration, "LOCAL_TIMEOUT_SECONDS", 0.5)

    with pytest.raises(EngineUnavailable) as stopped:
        local_narration(request_for(pack_card()), EngineSession.detached())

    assert stopped.value.code == "LOCAL_SPEECH_TIMEOUT"
    assert stopped.value.retryable


def test_real_espeak_ng_reads_a_card(settings):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (CI installs it with apt)")
    settings.ESPEAK_BINARY = "espeak-ng"

    asset = local_narration(request_for(pack_card(1)), EngineSession.detached())

    duration = asset.metadata["duration_ms"]
    assert duration == wav_duration_ms(asset.files["main"].content)
    assert duration > 20_000  # a few paragraphs read aloud
    assert_tiles(parse_webvtt(asset.files["captions"].content.decode()), duration)


# --- OpenAI speech ----------------------------------------------------------------------


def test_openai_reads_the_card_and_the_audio_is_kept_with_captions(fake_openai):
    card = pack_card()
    session = EngineSession.detached()

    asset = openai_narration(request_for(card), session)

    [request] = fake_openai.requests
    assert request.path == "/v1/audio/speech"
    assert request.body == {
        "model": "gpt-4o-mini-tts",
        "voice": "alloy",
        "input": narration_text(card),
        "response_format": "wav",
    }
    assert request.idempotency_key.startswith(f"storyengine-{session.job_key}-")
    wav = asset.files["main"].content
    assert read_wav(wav).frames == read_wav(speech_wav()).frames
    assert wav_duration_ms(wav) == asset.metadata["duration_ms"] == FAKE_MS
    assert asset.metadata == {
        "duration_ms": FAKE_MS,
        "voice": "alloy",
        "engine": "openai",
        "format": "wav",
        "captions": "phrase",
        "model": "gpt-4o-mini-tts",
        "parts": 1,
    }
    assert_tiles(parse_webvtt(asset.files["captions"].content.decode()), FAKE_MS)
    [call] = session.journal.calls
    assert call.status == CallStatus.OK
    assert call.purpose == "narration part 1 of 1"


def test_long_text_is_read_in_parts_and_joined(fake_openai):
    sentence = "Marcus set his watch by the fast clock, every morning, for a year."
    paragraph = " ".join([sentence] * 30)
    card = CardContext(day_index=4, title="The Long Card", scene_text="\n\n".join([paragraph] * 5))
    progress = []
    session = EngineSession(job_key="t", stage=0, progress=lambda *step: progress.append(step))

    asset = openai_narration(request_for(card), session)

    inputs = [request.body["input"] for request in fake_openai.requests]
    assert len(inputs) == 3
    assert all(len(text) <= SPEECH_INPUT_LIMIT for text in inputs)
    assert all(text.endswith(".") for text in inputs)
    assert " ".join(inputs).split() == narration_text(card).split()
    assert asset.metadata["duration_ms"] == 3 * FAKE_MS
    assert asset.metadata["parts"] == 3
    assert wav_duration_ms(asset.files["main"].content) == 3 * FAKE_MS
    cues = parse_webvtt(asset.files["captions"].content.decode())
    assert_tiles(cues, 3 * FAKE_MS)
    # Each part is timed within its own clip.
    assert {FAKE_MS, 2 * FAKE_MS} <= {end for _, end, _ in cues}
    assert progress == [
        (0, 3, "reading part 1 of 3 aloud"),
        (1, 3, "reading part 2 of 3 aloud"),
        (2, 3, "reading part 3 of 3 aloud"),
        (3, 3, "narration ready"),
    ]


def test_a_rate_limit_is_retried_with_the_same_idempotency_key(fake_openai):
    fake_openai.push(error(429, "slow down", headers={"Retry-After": "0"}))

    asset = openai_narration(request_for(pack_card()), EngineSession.detached())

    first, second = fake_openai.requests
    assert first.idempotency_key == second.idempotency_key
    assert asset.metadata["duration_ms"] == FAKE_MS


def streamed_wav() -> bytes:
    """The fake speech as OpenAI streams it: RIFF and data sizes 0xFFFFFFFF ("unknown")."""
    data = bytearray(speech_wav())
    data[4:8] = struct.pack("<I", 0xFFFFFFFF)
    at = data.index(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFFF)
    return bytes(data)


def test_a_streamed_wav_gets_its_real_sizes(fake_openai):
    fake_openai.push(Reply(body=streamed_wav(), content_type="audio/wav"))

    asset = openai_narration(request_for(pack_card()), EngineSession.detached())

    wav = asset.files["main"].content
    assert struct.unpack("<I", wav[4:8])[0] == len(wav) - 8
    assert wav_duration_ms(wav) == asset.metadata["duration_ms"] == FAKE_MS


def test_an_unreadable_answer_fails_the_asset(fake_openai):
    fake_openai.push(Reply(body=b"<html>not audio</html>", content_type="audio/wav"))

    with pytest.raises(StageFailed) as failed:
        openai_narration(request_for(pack_card()), EngineSession.detached())

    assert failed.value.code == "NARRATION_UNREADABLE"


def test_without_a_configured_model_no_request_is_made(settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""

    with pytest.raises(StageFailed) as failed:
        openai_narration(request_for(pack_card()), EngineSession.detached())

    assert failed.value.code == "ENGINE_NOT_AVAILABLE"
