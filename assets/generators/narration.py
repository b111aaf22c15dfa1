"""A card read aloud: a WAV file and WebVTT captions timed to it.

What is read is the card's title, then its scene text, paragraph by paragraph.
The captions shown with a card are left out: they quote or sum up the scene, so a
listener would hear the same lines twice. Only a card without scene text is read
from its captions, so that it is not silent. A card with no words at all is
skipped (`NOTHING_TO_NARRATE`).

Two engines, one result:
- local: espeak-ng, when the server has it (`ESPEAK_BINARY`); without it the asset is
  skipped with `NO_LOCAL_SPEECH`, never failed. It runs as a subprocess from an
  argument list (no shell), reads the text from a file (so no word of the story can
  be taken for an option) and writes a WAV file; a hung synthesiser is stopped.
- openai: the speech endpoint through `openai_media`, in parts of at most
  `SPEECH_INPUT_LIMIT` characters cut at sentence ends, each part one call.

Every WAV is read and written again with the `wave` module: the parts join into one
file, and a streamed WAV's placeholder sizes (OpenAI sends 0xFFFFFFFF for "unknown")
become the real ones, so players and the duration agree.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from assets.generators.base import (
    AssetRequest,
    AssetSkipped,
    CardContext,
    GeneratedAsset,
    GeneratedFile,
    GeneratorSession,
)
from assets.generators.captions import Cue, cues_for, sentences_of, webvtt
from assets.generators.openai_media import call_media, media_client, media_settings
from transformations.ingest.text import collapse_spaces
from transformations.pipeline.errors import EngineUnavailable, StageFailed

# The speech endpoint refuses longer input.
SPEECH_INPUT_LIMIT = 4096
LOCAL_VOICE = "en"
# Words per minute: espeak-ng's default (175) is brisk for a story read aloud.
LOCAL_WORDS_PER_MINUTE = 150
# A card takes espeak-ng well under a second; this only stops one that hangs.
LOCAL_TIMEOUT_SECONDS = 60

_SENTENCE_END = ".!?…\"'”’)"


def narration_text(card: CardContext) -> str:
    """The words read aloud: title, then scene paragraphs, separated by blank lines."""
    title = collapse_spaces(card.title)
    if title and title[-1] not in _SENTENCE_END:
        title += "."  # so the reader stops after the title instead of running on
    body = card.scene_text if card.scene_text.strip() else "\n".join(card.captions)
    paragraphs = [collapse_spaces(p) for p in re.split(r"\n\s*\n|\n", body)]
    return "\n\n".join(p for p in [title, *paragraphs] if p)


def speech_parts(text: str, limit: int = SPEECH_INPUT_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` characters, cut between sentences where possible.

    Paragraphs stay together when they fit; a sentence longer than `limit` is cut
    between words, and a word longer than `limit` between characters.
    """
    pieces: list[tuple[str, str]] = []  # (separator before it, piece)
    for paragraph in text.split("\n\n"):
        for index, sentence in enumerate(sentences_of(paragraph)):
            separator = " " if index else "\n\n"
            for chunk in _cut(sentence, limit):
                pieces.append((separator, chunk))
                separator = " "
    parts: list[str] = []
    for separator, piece in pieces:
        if parts and len(parts[-1]) + len(separator) + len(piece) <= limit:
            parts[-1] += separator + piece
        else:
            parts.append(piece)
    return parts


def _cut(sentence: str, limit: int) -> list[str]:
    chunks: list[str] = []
    for word in sentence.split(" "):
        while len(word) > limit:
            chunks.append(word[:limit])
            word = word[limit:]
        if chunks and len(chunks[-1]) + 1 + len(word) <= limit:
            chunks[-1] += " " + word
        elif word:
            chunks.append(word)
    return chunks


@dataclass(frozen=True)
class Pcm:
    channels: int
    sample_width: int
    rate: int
    frames: bytes

    @property
    def frame_count(self) -> int:
        return len(self.frames) // (self.channels * self.sample_width)


def read_wav(data: bytes) -> Pcm:
    """The format and PCM frames of a WAV, counted from the data present, not the header."""
    try:
        with wave.open(io.BytesIO(data), "rb") as audio:
            channels, width, rate = audio.getnchannels(), audio.getsampwidth(), audio.getframerate()
            # A streamed WAV claims 0xFFFFFFFF bytes of data: this reads what is there.
            frames = audio.readframes(audio.getnframes())
    except (wave.Error, EOFError) as exc:
        raise StageFailed(
            "The narration audio could not be read. Try again, or narrate with the other engine.",
            code="NARRATION_UNREADABLE",
            dev_message=f"{type(exc).__name__}: {exc} ({len(data)} bytes)",
        ) from exc
    whole = len(frames) - len(frames) % (channels * width)
    return Pcm(channels, width, rate, frames[:whole])


def join_wavs(clips: list[bytes]) -> tuple[bytes, list[int]]:
    """One WAV of `clips` in order, and where each clip ends in it (ms).

    The clips must share a format; each part of one narration does.
    """
    decoded = [read_wav(clip) for clip in clips]
    first = decoded[0]
    ends_ms, frame_total = [], 0
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(first.channels)
        audio.setsampwidth(first.sample_width)
        audio.setframerate(first.rate)
        for pcm in decoded:
            if (pcm.channels, pcm.sample_width, pcm.rate) != (
                first.channels,
                first.sample_width,
                first.rate,
            ):
                raise StageFailed(
                    "The parts of this narration came back in different audio formats and "
                    "cannot be joined. Try again.",
                    code="NARRATION_UNREADABLE",
                    dev_message=f"a part is {pcm.channels}x{pcm.sample_width}@{pcm.rate}, "
                    f"the first {first.channels}x{first.sample_width}@{first.rate}",
                )
            audio.writeframes(pcm.frames)
            frame_total += pcm.frame_count
            # From the running frame count, so rounding never adds up across parts.
            ends_ms.append(round(1000 * frame_total / first.rate))
    return out.getvalue(), ends_ms


def _narration(
    wav: bytes, captions: list[Cue], *, duration_ms: int, voice: str, engine: str, **extra
) -> GeneratedAsset:
    return GeneratedAsset(
        files={
            "main": GeneratedFile(wav, "wav", "audio/wav"),
            "captions": GeneratedFile(webvtt(captions).encode(), "vtt", "text/vtt"),
        },
        metadata={
            "duration_ms": duration_ms,
            "voice": voice,
            "engine": engine,
            "format": "wav",
            "captions": "phrase",  # timed per phrase, estimated (see captions.py)
            **extra,
        },
    )


def _text_for(request: AssetRequest) -> str:
    if request.card is None:
        raise ValueError(f"{request.key}: narration needs a card")
    text = narration_text(request.card)
    if not text:
        raise AssetSkipped("This card has no words to read aloud.", code="NOTHING_TO_NARRATE")
    return text


def local_narration(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    text = _text_for(request)
    binary = shutil.which(settings.ESPEAK_BINARY)
    if binary is None:
        raise AssetSkipped(
            "No speech synthesiser is installed on this server (espeak-ng); narration is skipped.",
            code="NO_LOCAL_SPEECH",
        )
    session.report(0, 1, "reading the card aloud")
    with tempfile.TemporaryDirectory(prefix="narration-") as folder:
        text_path, wav_path = Path(folder) / "card.txt", Path(folder) / "card.wav"
        text_path.write_text(text, encoding="utf-8")
        command = [
            binary,
            "-v",
            LOCAL_VOICE,
            "-s",
            str(LOCAL_WORDS_PER_MINUTE),
            "-b",
            "1",  # the text file is UTF-8
            "-f",
            str(text_path),
            "-w",
            str(wav_path),
        ]
        try:
            finished = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=LOCAL_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineUnavailable(
                "The speech synthesiser took too long; narration will be tried again.",
                code="LOCAL_SPEECH_TIMEOUT",
                dev_message=f"{binary} ran over {LOCAL_TIMEOUT_SECONDS} s",
            ) from exc
        produced = wav_path.read_bytes() if wav_path.exists() else b""
    if finished.returncode != 0 or not produced:
        raise StageFailed(
            "The speech synthesiser could not read this card aloud.",
            code="LOCAL_SPEECH_FAILED",
            dev_message=(
                f"{binary} exited {finished.returncode}: "
                f"{finished.stderr.decode(errors='replace')[-2000:]}"
            ),
        )
    wav, [duration_ms] = join_wavs([produced])
    session.report(1, 1, "narration ready")
    return _narration(
        wav,
        cues_for(text, 0, duration_ms),
        duration_ms=duration_ms,
        voice=LOCAL_VOICE,
        engine="local",
        synthesiser="espeak-ng",
    )


def openai_narration(request: AssetRequest, session: GeneratorSession) -> GeneratedAsset:
    text = _text_for(request)
    config = media_settings()
    client = media_client(config)
    model, voice = settings.OPENAI_SPEECH_MODEL, settings.OPENAI_SPEECH_VOICE
    parts = speech_parts(text)
    clips = []
    for number, part in enumerate(parts, start=1):
        session.report(number - 1, len(parts), f"reading part {number} of {len(parts)} aloud")
        clips.append(
            call_media(
                lambda headers, part=part: client.audio.speech.create(
                    model=model,
                    voice=voice,
                    input=part,
                    response_format="wav",
                    extra_headers=headers,
                ).read(),
                session=session,
                purpose=f"narration part {number} of {len(parts)}",
                model=model,
                prompt=part,
                describe=lambda data: data,
            )
        )
    session.report(len(parts), len(parts), "narration ready")
    wav, ends_ms = join_wavs(clips)
    # Each part is timed within its own clip: an estimate cannot drift past a part's end.
    captions = []
    for part, start, end in zip(parts, [0, *ends_ms], ends_ms, strict=False):
        captions.extend(cues_for(part, start, end))
    return _narration(
        wav,
        captions,
        duration_ms=ends_ms[-1],
        voice=voice,
        engine="openai",
        model=model,
        parts=len(parts),
    )
